"""Persistence: SQLModel tables, Alembic migrations and keyword-only storage functions.

Nothing here knows about Prefect, and nothing commits: the caller owns the transaction and
commits once per unit of work (one article, one digest). Start with ``db.get_engine(url)`` and
``db.upgrade(url)``; the tables are in ``storage.models``.
"""
