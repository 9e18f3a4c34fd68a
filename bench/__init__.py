"""Benchmarks: a generated loopback site and scripts that print measured figures.

Each module runs alone (``python -m bench.<name> --help``); ``scripts/bench`` runs them all.
Figures are printed as ``FIGURE <name> <number> <unit>`` lines so tests and people can read
them; see ``BENCHMARKS.md`` for the recorded results.
"""
