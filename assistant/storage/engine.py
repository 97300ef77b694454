"""One SQLAlchemy engine per process, built from the settings (never at import time)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event

from assistant.core.settings import Settings


def database_url(settings: Settings) -> str:
    """`CX_DATABASE_URL` when set (a bare `postgresql://` is given the psycopg 3 driver),
    else the SQLite file `state.sqlite` in the data folder."""
    url = (settings.cx_database_url or "").strip()
    if not url:
        return f"sqlite:///{settings.state_db}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def open_engine(settings: Settings, url: str | None = None) -> Engine:
    """An engine for `url` (default: `database_url(settings)`). SQLite gets WAL and a busy
    timeout, so several threads and processes on one machine wait for each other instead of
    failing with "database is locked"."""
    url = url or database_url(settings)
    if url.startswith("sqlite"):
        settings.cx_data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()
