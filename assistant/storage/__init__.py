"""The relational store shared by every process: one schema, two backends.

SQLite (a file in the data folder) is the embedded default; PostgreSQL
(`CX_DATABASE_URL=postgresql://…`) is the team backend. Both are reached through
SQLAlchemy Core, so each query is written once and runs on either. Tables are declared in
`schema.py`; `migrations.py` applies numbered versions (`cx-assistant db upgrade`).
"""

from assistant.storage.engine import database_url, open_engine
from assistant.storage.migrations import current_version, upgrade
from assistant.storage.schema import metadata

__all__ = ["current_version", "database_url", "metadata", "open_engine", "upgrade"]
