"""Shared pytest configuration: fixture plugins live in their own modules."""

pytest_plugins = ["tests.db_fixtures", "tests.sitefixtures", "tests.prefectfixtures"]
