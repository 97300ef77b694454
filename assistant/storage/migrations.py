"""Numbered schema versions, applied in order by `upgrade` (`cx-assistant db upgrade`).

Each migration is a function of a connection inside one transaction; a version, once
shipped, is never edited: a change is a new number. Migrations create tables from
`schema.py` with `checkfirst`, so a new table is `_create("name")` in a new version.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Connection, Engine, select

import assistant.storage.schema as schema

log = logging.getLogger(__name__)


def _create(*names: str) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for name in names:
            schema.metadata.tables[name].create(conn, checkfirst=True)

    return run


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "the version table", _create("schema_version")),
    (3, "Slack delivery: jobs, outbox, event ids", _create("jobs", "outbox", "slack_events")),
]


def current_version(engine: Engine) -> int:
    """The version the database is at (0 for a new one)."""
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "schema_version"):
            return 0
        found = conn.execute(select(schema.schema_version.c.version)).scalar()
        return int(found or 0)


def upgrade(engine: Engine, applied_by: str = "cx-assistant") -> list[int]:
    """Apply every migration above the current version; returns the versions applied."""
    applied: list[int] = []
    for number, title, run in MIGRATIONS:
        if number <= current_version(engine):
            continue
        with engine.begin() as conn:
            run(conn)
            table = schema.schema_version
            conn.execute(table.delete())
            conn.execute(table.insert().values(id=1, version=number, applied_by=applied_by))
        log.info("database upgraded to version %d (%s)", number, title)
        applied.append(number)
    return applied
