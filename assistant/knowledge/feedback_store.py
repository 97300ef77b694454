"""The tabular copy of feedback: SQLite beside the Chroma folder, for fast aggregation."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import NamedTuple

from assistant.knowledge.feedback import AspectLabel, FeedbackRecord


class AggregationRow(NamedTuple):
    """One record's fields that tools aggregate on (named, so no code reads `r[3]`)."""

    id: str
    rating: int | None
    date: str | None
    segment: str | None
    journey: str | None
    stage: str | None
    channel: str | None

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
    tagged_by TEXT
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
    "segment", "journey", "stage", "lang", "labels", "labelled", "redactions",
)  # fmt: skip


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection per thread: the Slack app answers on several worker threads.
        self._local = threading.local()
        self._db.executescript(SCHEMA)

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30)
            self._local.db = db
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

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
                        r.redactions,
                    ),
                )  # fmt: skip
                if cur.rowcount:
                    inserted.append(r)
                else:
                    duplicates += 1
        return inserted, duplicates

    def count(self, source: str | None = None) -> int:
        if source:
            return self._db.execute(
                "SELECT COUNT(*) FROM feedback WHERE source=?", (source,)
            ).fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]

    def ids(self, source: str) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT id FROM feedback WHERE source=?", (source,))]

    def hashes(self, source: str) -> set[str]:
        """Content hashes of a source's stored rows (to skip them when it is re-ingested)."""
        rows = self._db.execute("SELECT content_hash FROM feedback WHERE source=?", (source,))
        return {r[0] for r in rows}

    def _select(self, where: str = "", args: tuple = ()) -> Iterator[FeedbackRecord]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM feedback {where} ORDER BY source, line"
        for row in self._db.execute(sql, args):
            d = dict(zip(_COLUMNS, row, strict=True))
            d["date"] = date.fromisoformat(d["date"]) if d["date"] else None
            d["labels"] = [AspectLabel(**x) for x in json.loads(d["labels"])]
            d["labelled"] = bool(d["labelled"])
            yield FeedbackRecord(**d)

    def records(self, source: str | None = None) -> Iterator[FeedbackRecord]:
        return self._select("WHERE source=?", (source,)) if source else self._select()

    # -- tags ----------------------------------------------------------------------------
    def untagged(self, include_origins: Sequence[str] = ()) -> Iterator[FeedbackRecord]:
        """Records not tagged yet, plus those tagged by the given origins (to re-tag)."""
        marks = ", ".join("?" for _ in include_origins)
        where = "WHERE tagged_by IS NULL" + (f" OR tagged_by IN ({marks})" if marks else "")
        return self._select(where, tuple(include_origins))

    def set_tags(self, tagged: Iterable[tuple[str, list[AspectLabel]]], origin: str) -> int:
        n = 0
        with self._db:
            for record_id, tags in tagged:
                self._db.execute("DELETE FROM tags WHERE record_id=?", (record_id,))
                self._db.executemany(
                    "INSERT OR REPLACE INTO tags (record_id, aspect, sentiment) VALUES (?, ?, ?)",
                    [(record_id, t.aspect, t.sentiment) for t in tags],
                )
                self._db.execute("UPDATE feedback SET tagged_by=? WHERE id=?", (origin, record_id))
                n += 1
        return n

    def tag_origins(self) -> dict[str, int]:
        rows = self._db.execute(
            "SELECT COALESCE(tagged_by, 'untagged'), COUNT(*) FROM feedback GROUP BY 1"
        )
        return dict(rows.fetchall())

    def rows_for_aggregation(self) -> list[AggregationRow]:
        """The aggregation fields of every record."""
        rows = self._db.execute(
            "SELECT id, rating, date, segment, journey, stage, channel FROM feedback"
        ).fetchall()
        return [AggregationRow(*r) for r in rows]

    def all_tags(self) -> list[tuple[str, str, str]]:
        """(record id, aspect, sentiment) of every stored tag."""
        return self._db.execute("SELECT record_id, aspect, sentiment FROM tags").fetchall()

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
