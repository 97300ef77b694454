"""What a query needs to run unchanged on both backends: one insert with an ON CONFLICT
clause (SQLite and PostgreSQL spell it the same; SQLAlchemy builds it per dialect), the
tables of a file made or completed in place, and a URL that is safe to print."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex


def insert_for(conn: Connection, table: Table):  # noqa: ANN201 - a dialect's Insert
    """An INSERT for `table` with `.on_conflict_do_nothing()` / `.on_conflict_do_update()`
    in the connection's dialect."""
    module = postgresql if conn.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def ensure_tables(conn: Connection, tables: Iterable[Table]) -> None:
    """Create what is missing of `tables` and their indexes (a file from before an index
    was declared gains it)."""
    for table in tables:
        table.create(conn, checkfirst=True)
        for index in table.indexes:  # IF NOT EXISTS: both backends know it
            conn.execute(CreateIndex(index, if_not_exists=True))


def safe_url(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a URL that does not parse is shown by its scheme
        return url.split("://", 1)[0] + "://…"
