"""Numbered schema versions, applied in order by `upgrade` (`cx-assistant db upgrade`).

Each migration is a function of a connection inside one transaction; a version, once
shipped, is never edited: a change is a new number. Migrations create tables from
`schema.py` with `checkfirst`, so a new table is `_create("name")` in a new version.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Connection, Engine, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateIndex

import assistant.storage.schema as schema
from assistant.core.errors import DatabaseError
from assistant.storage.feedback_sets import fill_stepsets, write_theme_quotes
from assistant.storage.feedback_tables import FEEDBACK_TABLES, RATINGS_TABLES
from assistant.storage.sql import safe_url

log = logging.getLogger(__name__)


def _create(*names: str) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for name in names:
            schema.metadata.tables[name].create(conn, checkfirst=True)

    return run


def _add_columns(table: str, *names: str) -> Callable[[Connection], None]:
    """Add columns declared in `schema.py` to an existing table, and its new indexes. A
    table created by an earlier migration from today's `schema.py` has them already: each
    is added only where missing, so the step is idempotent."""

    def run(conn: Connection) -> None:
        declared = schema.metadata.tables[table]
        have = {c["name"] for c in inspect(conn).get_columns(table)}
        for name in names:
            if name in have:
                continue
            column = declared.c[name]
            ddl = column.type.compile(dialect=conn.dialect)
            default = column.server_default.arg if column.server_default is not None else None
            tail = f" NOT NULL DEFAULT '{default}'" if default is not None else ""
            conn.exec_driver_sql(f'ALTER TABLE {table} ADD COLUMN "{name}" {ddl}{tail}')
        for index in declared.indexes:
            conn.execute(CreateIndex(index, if_not_exists=True))

    return run


def _step_sets_and_theme_quotes(conn: Connection) -> None:
    """Each record's step set numbered and each theme's quotable member, filled from the
    links and themes already stored: what the pain summary groups by instead of joining."""
    _create("step_sets")(conn)
    _add_columns("feedback", "stepset")(conn)
    _add_columns("themes", "quote")(conn)
    fill_stepsets(conn)
    write_theme_quotes(conn)


MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "the version table", _create("schema_version")),
    # Issue #22: feedback records, tags, themes, links, segments; answers and votes.
    (2, "the feedback store", _create(*(t.name for t in FEEDBACK_TABLES))),
    (3, "answers, votes and shares", _create(*(t.name for t in RATINGS_TABLES))),
    (4, "Slack delivery: jobs, outbox, event ids", _create("jobs", "outbox", "slack_events")),
    # Issue #22, phase 2: state that several instances share.
    (5, "conversation memory, seen messages, askers, stopped workspaces, locks",
     _create("conversation_turns", "seen_messages", "thread_askers", "stopped_teams", "locks")),
    # Per-user limits across instances: a job's asker, and the note it was given meanwhile.
    (6, "jobs: asker and queue note", _add_columns("jobs", "asker", "note")),
    # The pain summary at 10M records: step sets grouped by, theme quotes kept (issue #22).
    (7, "feedback: step sets and theme quotes", _step_sets_and_theme_quotes),
    # What each assistant thread's user is viewing, for every instance.
    (8, "assistant thread contexts", _create("thread_contexts")),
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


# The version that made each store's tables (issue #22): a store refuses an older database.
NEEDED = {"feedback": 2, "ratings": 3}


def require_version(engine: Engine, store: str) -> None:
    """Raise DatabaseError, naming `cx-assistant db upgrade`, when the database is behind
    the tables of `store` (or cannot be reached)."""
    where = safe_url(engine.url.render_as_string(hide_password=False))
    try:
        version = current_version(engine)
    except SQLAlchemyError as exc:
        log.warning("database %s: %r", where, exc)
        raise DatabaseError(
            f"The database {where} cannot be reached. Check that the server runs and that "
            f"CX_DATABASE_URL is right."
        ) from exc
    if version < NEEDED[store]:
        raise DatabaseError(
            f"The database {where} is at schema version {version}, older than this code "
            f"({MIGRATIONS[-1][0]}). Run `cx-assistant db upgrade` once, then start again."
        )
