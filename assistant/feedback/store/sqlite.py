"""The tabular copy of feedback in SQLite, beside the Chroma folder, for fast aggregation:
the one backend of the FeedbackStore protocol (store/protocol.py) so far, and the only
module that speaks SQL to it.

Record ids are "{source}:{content hash}". A source is named once per file location (the
`sources` table): the file's name when no other location has taken it, otherwise the name
and 8 characters of a digest of the location, so two files called export.csv never share
ids or rows. A source may be private (a file shared in a chat that its uploader did not ask
to add to the shared corpus): `corpus_where` is the one rule that keeps private sources out
of whole-corpus figures unless a request names them. A database written before this scheme
(user_version 0, ids built from the file name and the id column) is migrated in place: new
ids, every field redacted again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from assistant.core.datadir import read_only_error, storage_error
from assistant.core.errors import FeedbackDatabaseError
from assistant.core.redaction import redact_text
from assistant.feedback.dates import is_estimated
from assistant.feedback.linking import Link
from assistant.feedback.records import AspectLabel, FeedbackRecord
from assistant.feedback.store.protocol import FeedbackStore, source_slug

log = logging.getLogger(__name__)
T = TypeVar("T")
VERSION = 1

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
CREATE INDEX IF NOT EXISTS tags_aspect ON tags(aspect, sentiment);
CREATE INDEX IF NOT EXISTS feedback_date ON feedback(date);
CREATE INDEX IF NOT EXISTS feedback_source ON feedback(source);
"""

_COLUMNS = (
    "id", "content_hash", "source", "line", "text", "rating", "date", "date_raw", "channel",
    "segment", "journey", "stage", "lang", "labels", "labelled", "redactions", "external_id",
)  # fmt: skip


# A record's tags as one sorted string, kept in feedback.tagset (see scan_for_scope).
_TAGSET_OF_ID = ("SELECT GROUP_CONCAT(x, ',') FROM (SELECT aspect || ':' || sentiment AS x "
                 "FROM tags WHERE record_id = {id} ORDER BY x)")  # fmt: skip


def tagset(tags: Iterable[AspectLabel]) -> str | None:
    return ",".join(sorted(f"{t.aspect}:{t.sentiment}" for t in tags)) or None


def _unreadable(path: Path, exc: sqlite3.Error) -> Exception:
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


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """SQLite errors become FeedbackDatabaseError naming the file and the fix."""

    @functools.wraps(method)
    def wrapper(self: SQLiteFeedbackStore, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise _unreadable(self.path, exc) from exc

    return wrapper


class SQLiteFeedbackStore:
    def __init__(self, path: Path, read_only: bool = False) -> None:
        """`read_only`: the file or its folder cannot be written; opened with mode=ro, no
        migration or schema write, and every write says the folder is read-only."""
        self.path = path
        self.read_only = read_only
        if read_only and not path.is_file():
            raise read_only_error(path.parent)
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        # One connection per thread: the Slack app answers on several worker threads.
        self._local = threading.local()
        self._open()

    @_guarded
    def _open(self) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if self.read_only:  # readable as it is, or not at all: no migration write
            if version < VERSION:
                raise sqlite3.OperationalError("attempt to write a readonly database (migration)")
            return
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "feedback" in tables and version < VERSION:
            self._migrate_v0()
        db.executescript(SCHEMA)
        if "private" not in {r[1] for r in db.execute("PRAGMA table_info(sources)")}:
            db.execute("ALTER TABLE sources ADD COLUMN private INTEGER NOT NULL DEFAULT 0")
        if "tagset" not in {r[1] for r in db.execute("PRAGMA table_info(feedback)")}:
            with db:  # a store from before the column: fill it once from the tags
                db.execute("ALTER TABLE feedback ADD COLUMN tagset TEXT")
                fill = _TAGSET_OF_ID.format(id="feedback.id")
                db.execute(f"UPDATE feedback SET tagset = ({fill})")
        db.execute(f"PRAGMA user_version = {VERSION}")

    def _migrate_v0(self) -> None:
        """Ids of the first scheme were "{file stem}:{id column or hash}" (raw values in ids,
        rows of same-named files mixed): give every row "{source}:{hash}" and redact every
        field again with the current rules. Tags follow their record."""
        db = self._db
        rows = db.execute(
            "SELECT id, source, content_hash, text, date_raw, channel, segment, journey, stage,"
            " labels FROM feedback"
        ).fetchall()
        columns = {r[1] for r in db.execute("PRAGMA table_info(feedback)")}
        if "external_id" not in columns:
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
        log.warning(
            "feedback database %s: %d records migrated to the new ids", self.path, len(rows)
        )

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = (
                sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
                if self.read_only
                else sqlite3.connect(self.path, timeout=30)
            )
            self._local.db = db
        return db

    @property
    def location(self) -> str:
        return str(self.path)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    @_guarded
    def source_for(
        self, location: str, name: str, reserved: Container[str] = (), private: bool = False
    ) -> str:
        """The source name of the file at `location` (the same on every ingest of it). Only a
        digest of the location is stored: a path may name a customer. `private`: a source
        named now is kept out of the shared corpus (an existing one keeps its state)."""
        db = self._db
        location = hashlib.sha256(location.encode("utf-8", "surrogateescape")).hexdigest()
        row = db.execute("SELECT source FROM sources WHERE location=?", (location,)).fetchone()
        if row:
            return row[0]
        source = source_slug(name)
        # Rows stored before sources had locations have none here: the first file of their
        # name to come back takes them over.
        taken = db.execute("SELECT 1 FROM sources WHERE source=?", (source,)).fetchone()
        if taken or source in reserved:
            source = f"{source}-{location[:8]}"
        with db:
            db.execute("INSERT INTO sources (location, source, private) VALUES (?, ?, ?)",
                       (location, source, int(private)))  # fmt: skip
        return source

    # -- the shared corpus and private sources --------------------------------------------
    @_guarded
    def share_source(self, source: str) -> None:
        """Add a private source to the shared corpus (its uploader asked for it)."""
        with self._db:
            self._db.execute("UPDATE sources SET private=0 WHERE source=?", (source,))

    @_guarded
    def private_sources(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT source FROM sources WHERE private=1")}

    @staticmethod
    def corpus_where(include: str | None = None, column: str = "source") -> tuple[str, tuple]:
        """THE rule of what whole-corpus figures count: every source but the private ones,
        plus the source `include` when a request names it (its uploader asking about it).
        An SQL condition on `column` and its arguments."""
        private = f"{column} IN (SELECT source FROM sources WHERE private=1)"
        if include:
            return f"(NOT {private} OR {column}=?)", (include,)
        return f"NOT {private}", ()

    @_guarded
    def corpus_count(self, include: str | None = None) -> int:
        """Records of the shared corpus (plus those of the source `include`)."""
        where, args = self.corpus_where(include)
        return self._db.execute(f"SELECT COUNT(*) FROM feedback WHERE {where}", args).fetchone()[0]

    @_guarded
    def quick_check(self) -> list[str]:
        """SQLite's own consistency check: empty when the file is sound."""
        rows = [r[0] for r in self._db.execute("PRAGMA quick_check")]
        return [] if rows == ["ok"] else rows

    @_guarded
    def add(self, records: Iterable[FeedbackRecord]) -> tuple[list[FeedbackRecord], int]:
        """Insert new records; return those inserted and how many were already there."""
        inserted: list[FeedbackRecord] = []
        duplicates = 0
        with self._db:
            for r in records:
                cur = self._db.execute(
                    f"INSERT OR IGNORE INTO feedback ({', '.join(_COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in _COLUMNS)})",
                    (
                        r.id, r.content_hash, r.source, r.line, r.text, r.rating,
                        r.date.isoformat() if r.date else None, r.date_raw, r.channel, r.segment,
                        r.journey, r.stage, r.lang,
                        json.dumps([lbl.model_dump() for lbl in r.labels]), r.labelled,
                        r.redactions, r.external_id,
                    ),
                )  # fmt: skip
                if cur.rowcount:
                    inserted.append(r)
                else:
                    duplicates += 1
        return inserted, duplicates

    @_guarded
    def count(self, source: str | None = None) -> int:
        if source:
            return self._db.execute(
                "SELECT COUNT(*) FROM feedback WHERE source=?", (source,)
            ).fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]

    @_guarded
    def ids(self, source: str | None = None) -> list[str]:
        if source is None:
            return [r[0] for r in self._db.execute("SELECT id FROM feedback")]
        return [r[0] for r in self._db.execute("SELECT id FROM feedback WHERE source=?", (source,))]

    @_guarded
    def hashes(self, source: str | None = None) -> set[str]:
        """Content hashes of stored rows (of one source, or all): rows already stored are
        only counted when a file comes again."""
        if source is None:
            return {r[0] for r in self._db.execute("SELECT content_hash FROM feedback")}
        rows = self._db.execute("SELECT content_hash FROM feedback WHERE source=?", (source,))
        return {r[0] for r in rows}

    def _select(self, where: str = "", args: Sequence[Any] = ()) -> Iterator[FeedbackRecord]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM feedback {where} ORDER BY source, line"
        try:
            for row in self._db.execute(sql, tuple(args)):
                d = dict(zip(_COLUMNS, row, strict=True))
                d["date"] = date.fromisoformat(d["date"]) if d["date"] else None
                d["labels"] = [AspectLabel(**x) for x in json.loads(d["labels"])]
                d["labelled"] = bool(d["labelled"])
                yield FeedbackRecord(**d)
        except sqlite3.DatabaseError as exc:
            raise _unreadable(self.path, exc) from exc

    def records(self, source: str | None = None) -> Iterator[FeedbackRecord]:
        return self._select("WHERE source=?", (source,)) if source else self._select()

    def records_by_id(self, ids: Iterable[str]) -> list[FeedbackRecord]:
        wanted = list(dict.fromkeys(ids))
        out: list[FeedbackRecord] = []
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            out += self._select(f"WHERE id IN ({', '.join('?' for _ in part)})", part)
        return out

    # -- tags ----------------------------------------------------------------------------
    def untagged(self, include_origins: Sequence[str] = ()) -> Iterator[FeedbackRecord]:
        """Records not tagged yet, plus those tagged by the given origins (to re-tag)."""
        marks = ", ".join("?" for _ in include_origins)
        where = "WHERE tagged_by IS NULL" + (f" OR tagged_by IN ({marks})" if marks else "")
        return self._select(where, tuple(include_origins))

    @_guarded
    def set_tags(self, tagged: Iterable[tuple[str, list[AspectLabel]]], origin: str) -> int:
        n = 0
        with self._db:
            for record_id, tags in tagged:
                self._db.execute("DELETE FROM tags WHERE record_id=?", (record_id,))
                self._db.executemany(
                    "INSERT OR REPLACE INTO tags (record_id, aspect, sentiment) VALUES (?, ?, ?)",
                    [(record_id, t.aspect, t.sentiment) for t in tags],
                )
                self._db.execute("UPDATE feedback SET tagged_by=?, tagset=? WHERE id=?",
                                 (origin, tagset(tags), record_id))  # fmt: skip
                n += 1
        return n

    @_guarded
    def tag_origins(self, include: str | None = None) -> dict[str, int]:
        """How the records of the shared corpus (plus the source `include`) were tagged."""
        where, args = self.corpus_where(include)
        rows = self._db.execute(
            f"SELECT COALESCE(tagged_by, 'untagged'), COUNT(*) FROM feedback WHERE {where} "
            "GROUP BY 1", args
        )  # fmt: skip
        return dict(rows.fetchall())

    @_guarded
    def count_dated(self, start: date, end: date, include: str | None = None) -> int:
        """Records of the shared corpus (plus the source `include`) dated start..end."""
        where, args = self.corpus_where(include)
        return self._db.execute(
            f"SELECT COUNT(*) FROM feedback WHERE {where} AND date BETWEEN ? AND ?",
            (*args, start.isoformat(), end.isoformat()),
        ).fetchone()[0]

    @_guarded
    def scan_for_scope(
        self, include: str | None = None, min_rating: int | None = None,
        max_rating: int | None = None,
    ) -> Iterator[tuple[str, int | None, str | None, str | None]]:
        """(id, rating, ISO date, tags) of the shared corpus (plus the source `include`), one
        row per record, the ratings filtered here. Tags come as the record's `tagset`
        ("ASPECT:sentiment,…", kept beside the record by set_tags): one plain table scan, one
        string per record, so a million records fit in seconds and memory."""
        where, args = self.corpus_where(include, column="f.source")
        if include:
            where, args = f"{where} AND f.source = ?", (*args, include)
        if min_rating:
            where, args = f"{where} AND f.rating >= ?", (*args, min_rating)
        if max_rating:
            where, args = f"{where} AND f.rating <= ?", (*args, max_rating)
        yield from self._db.execute(
            f"SELECT f.id, f.rating, f.date, f.tagset FROM feedback f WHERE {where}", args
        )

    def estimated_date_ids(self) -> set[str]:
        """Ids of the dated records whose date was estimated from a relative phrase ("2 tuần
        trước", "hôm qua") rather than written as a calendar date."""
        rows = self._db.execute(
            "SELECT id, date_raw FROM feedback WHERE date IS NOT NULL AND date_raw <> ''"
        )
        return {rid for rid, raw in rows if raw and is_estimated(raw)}

    # -- themes (computed when tagging, see themes.py) -------------------------------------
    def _themes_db(self) -> sqlite3.Connection:
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS themes (aspect TEXT, sentiment TEXT, theme INTEGER, "
            "label TEXT, representative TEXT, PRIMARY KEY (aspect, sentiment, theme));"
            "CREATE TABLE IF NOT EXISTS theme_members (record_id TEXT, aspect TEXT, "
            "sentiment TEXT, theme INTEGER, PRIMARY KEY (record_id, aspect, sentiment));"
            "CREATE TABLE IF NOT EXISTS theme_groups (aspect TEXT, sentiment TEXT, size INTEGER, "
            "PRIMARY KEY (aspect, sentiment));"
        )
        return self._db

    def theme_group_sizes(self) -> dict[tuple[str, str], int]:
        rows = self._themes_db().execute("SELECT aspect, sentiment, size FROM theme_groups")
        return {(a, s): n for a, s, n in rows}

    def set_themes(
        self, aspect: str, sentiment: str, size: int, themes: list[tuple[str, str, list[str]]]
    ) -> None:
        """Replace one group's themes: (label, representative id, member ids) each."""
        db = self._themes_db()
        with db:
            key = (aspect, sentiment)
            db.execute("DELETE FROM themes WHERE aspect=? AND sentiment=?", key)
            db.execute("DELETE FROM theme_members WHERE aspect=? AND sentiment=?", key)
            for n, (label, rep, members) in enumerate(themes):
                db.execute("INSERT INTO themes VALUES (?, ?, ?, ?, ?)", (*key, n, label, rep))
                db.executemany("INSERT INTO theme_members VALUES (?, ?, ?, ?)",
                               [(m, aspect, sentiment, n) for m in members])  # fmt: skip
            db.execute("INSERT OR REPLACE INTO theme_groups VALUES (?, ?, ?)", (*key, size))

    def themes_of(self, aspect: str, sentiment: str) -> tuple[dict[int, tuple[str, str]],
                                                              dict[str, int]]:
        """A group's themes: {theme: (label, representative)} and {record id: theme}."""
        db = self._themes_db()
        key = (aspect, sentiment)
        labels = {n: (label, rep) for n, label, rep in db.execute(
            "SELECT theme, label, representative FROM themes WHERE aspect=? AND sentiment=?",
            key)}  # fmt: skip
        members = dict(db.execute(
            "SELECT record_id, theme FROM theme_members WHERE aspect=? AND sentiment=?", key))
        return labels, members

    def latest_date(self) -> date | None:
        """The latest date of the shared corpus, today at the latest: relative periods ("last
        month") count from it (a private upload does not move them, nor a row dated in the
        future that a store written before ingestion rejected them)."""
        where, args = self.corpus_where()
        row = self._db.execute(
            f"SELECT MAX(date) FROM feedback WHERE {where} AND date <= ?",
            (*args, date.today().isoformat()),
        ).fetchone()
        return date.fromisoformat(row[0]) if row and row[0] else None

    def ids_with_segment_column(self, segment: str) -> set[str]:
        """Records whose own segment column names this segment (case-insensitive)."""
        rows = self._db.execute(
            "SELECT id FROM feedback WHERE lower(segment) = lower(?)", (segment.strip(),)
        )
        return {r[0] for r in rows}

    # -- segment mentions (computed when tagging, see KnowledgeBase.segment_members) -------
    def _segments_db(self) -> sqlite3.Connection:
        self._db.executescript(
            "CREATE TABLE IF NOT EXISTS segment_members (record_id TEXT NOT NULL, "
            "segment TEXT NOT NULL, PRIMARY KEY (segment, record_id));"
            "CREATE TABLE IF NOT EXISTS segment_state (state TEXT NOT NULL);"
        )
        return self._db

    def state(self) -> str:
        """Changes whenever records are added or removed: what derived tables are keyed on."""
        n, last = self._db.execute("SELECT COUNT(*), MAX(rowid) FROM feedback").fetchone()
        return f"{n}:{last}"

    @_guarded
    def segment_members(self, state: str) -> dict[str, set[str]] | None:
        """Segment id -> records whose text names it, if stored for this `state`."""
        db = self._segments_db()
        row = db.execute("SELECT state FROM segment_state").fetchone()
        if row is None or row[0] != state:
            return None
        out: dict[str, set[str]] = {}
        for segment, rid in db.execute("SELECT segment, record_id FROM segment_members"):
            out.setdefault(segment, set()).add(rid)
        return out

    @_guarded
    def set_segment_members(self, state: str, members: dict[str, set[str]]) -> None:
        db = self._segments_db()
        with db:
            db.execute("DELETE FROM segment_members")
            db.execute("DELETE FROM segment_state")
            db.executemany("INSERT INTO segment_members (segment, record_id) VALUES (?, ?)",
                           ((s, r) for s, ids in members.items() for r in ids))  # fmt: skip
            db.execute("INSERT INTO segment_state (state) VALUES (?)", (state,))

    def id_texts(self) -> Iterator[tuple[str, str]]:
        """(id, text) of every record, in storage order."""
        yield from self._db.execute("SELECT id, text FROM feedback")

    @_guarded
    def all_tags(self, include: str | None = None) -> list[tuple[str, str, str]]:
        """(record id, aspect, sentiment) of the tags of the shared corpus (plus the source
        `include`)."""
        where, args = self.corpus_where(include)
        return self._db.execute(
            "SELECT record_id, aspect, sentiment FROM tags WHERE record_id IN "
            f"(SELECT id FROM feedback WHERE {where})", args
        ).fetchall()  # fmt: skip

    @_guarded
    def texts(self, ids: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            marks = ", ".join("?" for _ in part)
            out.update(
                self._db.execute(f"SELECT id, text FROM feedback WHERE id IN ({marks})", part)
            )
        return out

    # -- journey links (assistant/knowledge/linking.py) -----------------------------------
    # Kept in their own tables, created on first use, so stores made before links existed
    # gain them without a migration.
    def _links(self) -> sqlite3.Connection:
        """The connection, with the link tables created once per thread."""
        db = self._db
        if not getattr(self._local, "links_ready", False):
            if self.read_only:  # as they are: a store linked before step links existed
                rows = db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                self._local.link_tables = {r[0] for r in rows}
            else:
                db.executescript(LINKS_SCHEMA)
                self._local.link_tables = {"links", "linked", "link_steps", "link_meta"}
            self._local.links_ready = True
        return db

    def _has_table(self, name: str) -> bool:
        self._links()
        return name in self._local.link_tables

    def set_links(self, linked: Iterable[tuple[str, Sequence[Link]]], mode: str) -> int:
        """Replace the links of each record; `mode` says how they were made ("cue" or
        "cue+semantic"). A record given no link is still marked as linked."""
        n = 0
        db = self._links()
        with db:
            for record_id, links in linked:
                db.execute("DELETE FROM links WHERE record_id=?", (record_id,))
                db.execute("DELETE FROM link_steps WHERE record_id=?", (record_id,))
                db.executemany(
                    "INSERT OR REPLACE INTO links (record_id, journey, step, score, method) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [(record_id, lk.journey, lk.step, lk.score, lk.why) for lk in links],
                )
                db.executemany(
                    "INSERT OR REPLACE INTO link_steps (record_id, journey, step, position) "
                    "VALUES (?, ?, ?, ?)",
                    [(record_id, lk.journey, s, i) for lk in links
                     for i, s in enumerate(lk.steps)],
                )  # fmt: skip
                db.execute(
                    "INSERT OR REPLACE INTO linked (record_id, mode) VALUES (?, ?)",
                    (record_id, mode),
                )
                n += 1
        return n

    def links_for(self, record_id: str) -> list[Link]:
        """The journeys a record was linked to (none when it talks about no journey)."""
        db = self._links()
        rows = db.execute(
            "SELECT journey, score, method FROM links WHERE record_id=? ORDER BY journey",
            (record_id,),
        ).fetchall()
        steps: dict[str, list[str]] = {}
        sql = (
            "SELECT journey, step FROM link_steps WHERE record_id=? ORDER BY journey, position"
            if self._has_table("link_steps")
            else "SELECT journey, step FROM links WHERE record_id=? AND step IS NOT NULL"
        )
        for j, s in db.execute(sql, (record_id,)):
            steps.setdefault(j, []).append(s)
        return [Link(journey=j, steps=steps.get(j, []), score=sc, why=m) for j, sc, m in rows]

    def records_linked_to(self, journey: str, step: str | None = None) -> list[str]:
        """Ids of the records linked to a journey (or that speak of one of its steps)."""
        if step is None:
            sql, args = "SELECT record_id FROM links WHERE journey=?", (journey,)
        else:
            table = "link_steps" if self._has_table("link_steps") else "links"
            sql = f"SELECT record_id FROM {table} WHERE journey=? AND step=?"
            args = (journey, step)
        return [r[0] for r in self._links().execute(sql + " ORDER BY record_id", args)]

    def steps_of(self, record_ids: Sequence[str]) -> dict[str, int]:
        """'journey.step' -> how many of these records speak of it."""
        table = "link_steps" if self._has_table("link_steps") else "links"
        db, out = self._links(), {}
        ids = list(record_ids)
        for i in range(0, len(ids), 900):  # under SQLite's variable limit
            part = ids[i : i + 900]
            marks = ", ".join("?" for _ in part)
            for j, s, n in db.execute(
                f"SELECT journey, step, COUNT(*) FROM {table} WHERE record_id IN ({marks}) "
                "AND step IS NOT NULL GROUP BY journey, step", part,
            ):
                out[f"{j}.{s}"] = out.get(f"{j}.{s}", 0) + n
        return out

    def link_signature(self) -> str | None:
        """The signature of the linker that made the stored links (None: none recorded)."""
        if not self._has_table("link_meta"):
            return None
        sql = "SELECT value FROM link_meta WHERE key='signature'"
        found = self._links().execute(sql).fetchone()
        return found[0] if found else None

    def set_link_signature(self, signature: str) -> None:
        """Record the linker the stored links come from (a later linker links again)."""
        db = self._links()
        with db:
            db.execute(
                "INSERT OR REPLACE INTO link_meta (key, value) VALUES ('signature', ?)",
                (signature,),
            )

    def to_link(self, include_modes: Sequence[str] = ()) -> Iterator[FeedbackRecord]:
        """Records never linked, plus those linked in the given modes (to link again)."""
        self._links()  # the query reads the link tables
        marks = ", ".join("?" for _ in include_modes)
        where = "WHERE id NOT IN (SELECT record_id FROM linked)" + (
            f" OR id IN (SELECT record_id FROM linked WHERE mode IN ({marks}))" if marks else ""
        )
        return self._select(where, tuple(include_modes))

    @_guarded
    def unfinished_ids(self) -> set[str]:
        """Records stored but not tagged or not linked: what a run that stopped (killed, a
        full disk) left half-done; the next ingest or index finishes them."""
        self._links()
        rows = self._db.execute(
            "SELECT id FROM feedback WHERE tagged_by IS NULL "
            "OR id NOT IN (SELECT record_id FROM linked)"
        )
        return {r[0] for r in rows}

    def unlinked_count(self) -> int:
        """Records never linked (ingested since the last link run)."""
        return self._links().execute(
            "SELECT COUNT(*) FROM feedback WHERE id NOT IN (SELECT record_id FROM linked)"
        ).fetchone()[0]

    def linked_ids(self, mode: str | None = None) -> set[str]:
        """Ids of the records linked (in `mode`, when given)."""
        sql, args = "SELECT record_id FROM linked", ()
        if mode is not None:
            sql, args = sql + " WHERE mode=?", (mode,)
        return {r[0] for r in self._links().execute(sql, args)}

    def link_modes(self) -> dict[str, int]:
        """How many records were linked in each mode, and how many are not linked yet."""
        rows = self._links().execute(
            "SELECT COALESCE(l.mode, 'unlinked'), COUNT(*) FROM feedback f "
            "LEFT JOIN linked l ON l.record_id = f.id GROUP BY 1"
        )
        return dict(rows.fetchall())

    # -- whole-store copies ---------------------------------------------------------------
    @_guarded
    def dump(self) -> dict[str, list[dict[str, Any]]]:
        db = self._db
        out: dict[str, list[dict[str, Any]]] = {}
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            cur = db.execute(f'SELECT * FROM "{table}"')
            names = [c[0] for c in cur.description]
            out[table] = [dict(zip(names, row, strict=True)) for row in cur]
        return out

    @_guarded
    def resample_from(self, other: FeedbackStore, n: int) -> None:
        """Record i copies real record (i * a large odd number) mod m of `other`: every
        record is used, in a scattered order; its date is spread the same way over 600 days.
        Its tags, and the themes when `other` has them, come along. Done in SQL, attached:
        a million records are written in seconds."""
        if not isinstance(other, SQLiteFeedbackStore):
            raise TypeError("resample_from reads another SQLite store")
        db = self._db
        db.execute("ATTACH DATABASE ? AS src", (str(other.path),))
        try:
            m = db.execute("SELECT COUNT(*) FROM src.feedback").fetchone()[0]
            db.executescript(f"""
                CREATE TEMP TABLE base AS
                    SELECT row_number() OVER (ORDER BY id) - 1 AS rn, * FROM src.feedback;
                CREATE TEMP TABLE pick AS
                    WITH RECURSIVE seq(i) AS
                        (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < {int(n) - 1})
                    SELECT i, 'synthetic:' || i AS id, (i * 2654435761) % {m} AS rn FROM seq;
                CREATE INDEX temp.pick_rn ON pick(rn);
                INSERT INTO feedback (id, content_hash, source, line, text, rating, date,
                                      date_raw, channel, segment, journey, stage, lang, labels,
                                      labelled, redactions, tagged_by, external_id, tagset)
                    SELECT p.id, 'synthetic-' || p.i, 'synthetic', p.i + 2, b.text, b.rating,
                           date('2019-01-01', '+' || ((p.i * 40503) % 600) || ' days'), NULL,
                           b.channel, b.segment, NULL, NULL, b.lang, b.labels, b.labelled, 0,
                           b.tagged_by, NULL, b.tagset
                    FROM pick p JOIN base b ON b.rn = p.rn;
                INSERT INTO tags (record_id, aspect, sentiment)
                    SELECT p.id, t.aspect, t.sentiment
                    FROM pick p JOIN base b ON b.rn = p.rn JOIN src.tags t ON t.record_id = b.id;
            """)
            tables = {r[0] for r in db.execute(
                "SELECT name FROM src.sqlite_master WHERE type='table'")}  # fmt: skip
            if {"themes", "theme_members", "theme_groups"} <= tables:
                self._themes_db()
                db.executescript("""
                    INSERT INTO themes SELECT * FROM src.themes;
                    INSERT INTO theme_groups SELECT * FROM src.theme_groups;
                    INSERT INTO theme_members
                        SELECT p.id, t.aspect, t.sentiment, t.theme
                        FROM pick p JOIN base b ON b.rn = p.rn
                        JOIN src.theme_members t ON t.record_id = b.id;
                    CREATE INDEX IF NOT EXISTS theme_members_group
                        ON theme_members(aspect, sentiment);
                """)
            db.commit()
            db.executescript("DROP TABLE temp.pick; DROP TABLE temp.base;")
        finally:
            db.execute("DETACH DATABASE src")


LINKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS links (
    record_id TEXT NOT NULL REFERENCES feedback(id),
    journey TEXT NOT NULL,
    step TEXT,
    score REAL NOT NULL,
    method TEXT NOT NULL,
    PRIMARY KEY (record_id, journey)
);
CREATE INDEX IF NOT EXISTS links_journey ON links(journey, step);
CREATE TABLE IF NOT EXISTS link_steps (
    record_id TEXT NOT NULL REFERENCES feedback(id),
    journey TEXT NOT NULL,
    step TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (record_id, journey, step)
);
CREATE INDEX IF NOT EXISTS link_steps_step ON link_steps(journey, step);
CREATE TABLE IF NOT EXISTS link_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS linked (
    record_id TEXT PRIMARY KEY REFERENCES feedback(id),
    mode TEXT NOT NULL
);
"""
