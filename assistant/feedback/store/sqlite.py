"""The embedded default backend of the feedback store: the SQLite file `feedback.sqlite`
beside the Chroma folder, queried by the one SQL store (store/sql.py). What is particular
to a file lives here: opening it read-only, completing an older file in place, SQLite's own
consistency check, and messages that name the file and the fix.

A database written before record ids were "{source}:{hash}" (user_version 0, ids built
from the file name and the id column) is migrated in place: new ids, every field redacted
again.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import QueuePool

from assistant.core.datadir import read_only_error, storage_error
from assistant.core.errors import FeedbackDatabaseError
from assistant.core.redaction import redact_text
from assistant.feedback.store.protocol import source_slug
from assistant.feedback.store.sql import SQLFeedbackStore, _guarded
from assistant.storage.feedback_sets import fill_stepsets, write_theme_quotes
from assistant.storage.feedback_tables import FEEDBACK_TABLES
from assistant.storage.sql import ensure_tables

log = logging.getLogger(__name__)
VERSION = 1

# The file's first tables as written by hand before SQLAlchemy (feedback_tables.py declares
# the same columns and keys): what a test writes to make a file of an older scheme.
SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    line INTEGER NOT NULL,
    text TEXT NOT NULL,
    rating INTEGER,
    date TEXT,
    date_raw TEXT,
    channel TEXT,
    segment TEXT,
    journey TEXT,
    stage TEXT,
    lang TEXT,
    labels TEXT NOT NULL DEFAULT '[]',
    labelled INTEGER NOT NULL DEFAULT 0,
    redactions INTEGER NOT NULL DEFAULT 0,
    tagged_by TEXT,
    external_id TEXT,
    tagset TEXT
);
CREATE TABLE IF NOT EXISTS sources (
    location TEXT PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    private INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tags (
    record_id TEXT NOT NULL REFERENCES feedback(id),
    aspect TEXT NOT NULL,
    sentiment TEXT NOT NULL,
    PRIMARY KEY (record_id, aspect)
);
"""

# A record's tags as one sorted string, kept in feedback.tagset (see scan_for_scope).
_TAGSET_OF_ID = ("SELECT GROUP_CONCAT(x, ',') FROM (SELECT aspect || ':' || sentiment AS x "
                 "FROM tags WHERE record_id = {id} ORDER BY x)")  # fmt: skip


# A record's themes, "ASPECT:sentiment:theme" sorted, as set_themes writes them.
_THEMESET_OF_ID = ("SELECT GROUP_CONCAT(x, ',') FROM (SELECT aspect || ':' || sentiment || ':' "
                   "|| theme AS x FROM theme_members WHERE record_id = feedback.id ORDER BY x)")


# Each record's (tagset, themeset) pair numbered in tag_combos, as the store numbers them.
_FILL_COMBOS = (
    "INSERT OR IGNORE INTO tag_combos (tagset, themeset) SELECT DISTINCT COALESCE(tagset, ''),"
    " COALESCE(themeset, '') FROM feedback WHERE tagset IS NOT NULL OR themeset IS NOT NULL",
    "UPDATE feedback SET combo = (SELECT c.id FROM tag_combos c WHERE c.tagset ="
    " COALESCE(feedback.tagset, '') AND c.themeset = COALESCE(feedback.themeset, ''))"
    " WHERE tagset IS NOT NULL OR themeset IS NOT NULL",
)


def _unreadable(path: Path, exc: BaseException) -> Exception:
    if err := storage_error(exc, path.parent):
        return err  # a full disk or a read-only folder: the file itself is fine
    log.warning("feedback database %s: %r", path, exc)
    if "locked" in str(exc):
        return FeedbackDatabaseError(
            f"The feedback copy {path} is locked by another process (an ingest still "
            f"running?). Try again when it has finished."
        )
    return FeedbackDatabaseError(
        f"The feedback copy {path} cannot be read (damaged, or not a SQLite database). Move it "
        f"away and run `cx-assistant index` to rebuild it from the corpus; files you ingested "
        f"yourself must be ingested again with `cx-assistant ingest`."
    )


class SQLiteFeedbackStore(SQLFeedbackStore):
    def __init__(self, path: Path, read_only: bool = False) -> None:
        """`read_only`: the file or its folder cannot be written; opened with mode=ro, no
        migration or schema write, and every write says the folder is read-only."""
        self.path = path
        if read_only and not path.is_file():
            raise read_only_error(path.parent)
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)

        def connect() -> sqlite3.Connection:
            if read_only:
                uri = f"{path.resolve().as_uri()}?mode=ro"
                return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
            return sqlite3.connect(path, timeout=30, check_same_thread=False)

        # A pool of connections, one per thread at a time: the Slack app answers on several
        # worker threads. The rollback journal, as always: a read-only folder can be read.
        engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool,
                               pool_size=5, max_overflow=20)  # fmt: skip
        super().__init__(engine, str(path), read_only=read_only)
        self._open()

    def _error(self, exc: SQLAlchemyError) -> Exception:
        return _unreadable(self.path, exc.orig if isinstance(exc, DBAPIError) else exc)

    @_guarded
    def _open(self) -> None:
        try:
            self._complete_file()
        except sqlite3.DatabaseError as exc:  # the driver's own connection: not wrapped
            raise _unreadable(self.path, exc) from exc
        with self.engine.begin() as conn:
            ensure_tables(conn, FEEDBACK_TABLES)
            if getattr(self, "_fill_combos", False):  # a store from before the column
                conn.exec_driver_sql(_FILL_COMBOS[0])
                conn.exec_driver_sql(_FILL_COMBOS[1])
            # A store from before step sets and theme quotes: filled once (migration 7's
            # work, which a PostgreSQL database gets from `db upgrade`).
            if getattr(self, "_fill_stepsets", False):
                fill_stepsets(conn)
            if getattr(self, "_fill_quotes", False):
                write_theme_quotes(conn)

    def _complete_file(self) -> None:
        """An older file completed in place: the first id scheme migrated, columns added."""
        raw = self.engine.raw_connection()
        try:
            db = raw.driver_connection
            assert isinstance(db, sqlite3.Connection)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if self.read_only:  # readable as it is, or not at all: no migration write
                if version < VERSION:
                    raise sqlite3.OperationalError(
                        "attempt to write a readonly database (migration)"
                    )
                return
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "feedback" in tables and version < VERSION:
                _migrate_v0(db, self.path)
            if "sources" in tables and "private" not in _columns(db, "sources"):
                db.execute("ALTER TABLE sources ADD COLUMN private INTEGER NOT NULL DEFAULT 0")
            fill_tagset = "feedback" in tables and "tagset" not in _columns(db, "feedback")
            if fill_tagset:
                with db:  # a store from before the column: fill it once from the tags
                    db.execute("ALTER TABLE feedback ADD COLUMN tagset TEXT")
                    fill = _TAGSET_OF_ID.format(id="feedback.id")
                    db.execute(f"UPDATE feedback SET tagset = ({fill})")
            if "feedback" in tables and "themeset" not in _columns(db, "feedback"):
                with db:  # a store from before the column: fill it once from the themes
                    db.execute("ALTER TABLE feedback ADD COLUMN themeset TEXT")
                    if "theme_members" in tables:
                        db.execute(f"UPDATE feedback SET themeset = ({_THEMESET_OF_ID})")
            self._fill_combos = "feedback" in tables and "combo" not in _columns(db, "feedback")
            if self._fill_combos:
                db.execute("ALTER TABLE feedback ADD COLUMN combo INTEGER")
            self._fill_stepsets = "feedback" in tables and "stepset" not in _columns(db, "feedback")
            if self._fill_stepsets:
                db.execute("ALTER TABLE feedback ADD COLUMN stepset INTEGER")
            self._fill_quotes = "themes" in tables and "quote" not in _columns(db, "themes")
            if self._fill_quotes:
                db.execute("ALTER TABLE themes ADD COLUMN quote TEXT")
            db.execute(f"PRAGMA user_version = {VERSION}")
            db.commit()
        finally:
            raw.close()

    @_guarded
    def quick_check(self) -> list[str]:
        """SQLite's own consistency check: empty when the file is sound."""
        with self.engine.connect() as conn:
            rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check")]
        return [] if rows == ["ok"] else rows


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}


def _migrate_v0(db: sqlite3.Connection, path: Path) -> None:
    """Ids of the first scheme were "{file stem}:{id column or hash}" (raw values in ids,
    rows of same-named files mixed): give every row "{source}:{hash}" and redact every
    field again with the current rules. Tags follow their record."""
    rows = db.execute(
        "SELECT id, source, content_hash, text, date_raw, channel, segment, journey, stage,"
        " labels FROM feedback"
    ).fetchall()
    if "external_id" not in _columns(db, "feedback"):
        db.execute("ALTER TABLE feedback ADD COLUMN external_id TEXT")
    with db:
        for old, source, digest, text, date_raw, *rest in rows:
            *fields, labels = rest
            new_source = source_slug(source)
            suffix = old.split(":", 1)[1] if ":" in old else ""
            external = redact_text(suffix) if suffix and suffix != digest else None
            labels = json.dumps(
                [x | {"aspect": redact_text(x["aspect"])} for x in json.loads(labels)]
            )
            new = f"{new_source}:{digest}"
            db.execute(
                "UPDATE feedback SET id=?, source=?, text=?, date_raw=?, channel=?, segment=?,"
                " journey=?, stage=?, labels=?, external_id=? WHERE id=?",
                (new, new_source, redact_text(text), redact_text(date_raw or ""),
                 *(redact_text(f) if f else f for f in fields), labels, external, old),
            )  # fmt: skip
            db.execute("UPDATE tags SET record_id=? WHERE record_id=?", (new, old))
        # Derived from the records by id: dropped, rebuilt by the next link/tag run.
        for table in ("links", "link_steps", "linked", "link_meta", "themes",
                      "theme_members", "theme_groups"):
            db.execute(f"DROP TABLE IF EXISTS {table}")
    log.warning("feedback database %s: %d records migrated to the new ids", path, len(rows))
