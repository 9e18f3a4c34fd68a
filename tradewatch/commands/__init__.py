"""Command modules: each defines ``register(sub)`` adding its subcommand(s) to the CLI.

``tradewatch.cli.COMMAND_MODULES`` lists them explicitly, so every command is visible in one
place. A command function takes ``(args, settings)`` and returns an exit code.
"""
