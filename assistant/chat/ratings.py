"""Answers given and the 👍/👎 votes on them, in SQLite beside the index.

Slack stores every answer it posts (so a button can share or rate it later) and every
vote; `cx-assistant feedback export` writes the rated answers as eval candidates.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from assistant.core.answers import Answer
from assistant.core.redaction import redact_data

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY, created REAL, user_id TEXT, channel TEXT, conversation TEXT,
    question TEXT, tool TEXT, answer_json TEXT
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT REFERENCES answers(id), user_id TEXT, vote INTEGER, created REAL,
    PRIMARY KEY (answer_id, user_id)
);
CREATE TABLE IF NOT EXISTS shares (
    answer_id TEXT REFERENCES answers(id), channel TEXT, user_id TEXT, created REAL,
    PRIMARY KEY (answer_id, channel)
);
"""


@dataclass(frozen=True)
class AnswerRecord:
    """A stored answer with who it was given to and where (for owner checks)."""

    answer: Answer
    user: str
    channel: str
    conversation: str


class RatingsStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Slack listeners run in worker threads: one connection, serialised by SQLite.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()  # read-then-write steps (votes, shares) stay whole

    def save_answer(self, answer: Answer, user: str, channel: str, conversation: str) -> str:
        """Store an answer for votes and eval candidates, every text in it redacted: the
        question, and the answer's scope lines and filters that echo it."""
        answer_id = uuid.uuid4().hex[:16]
        data = redact_data(answer.model_dump(mode="json"))
        assert isinstance(data, dict)
        self._db.execute(
            "INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (answer_id, time.time(), user, channel, conversation, data["question"], answer.tool,
             json.dumps(data, ensure_ascii=False)),
        )  # fmt: skip
        return answer_id

    def answer(self, answer_id: str) -> Answer | None:
        row = self._db.execute(
            "SELECT answer_json FROM answers WHERE id=?", (answer_id,)
        ).fetchone()
        return Answer.model_validate_json(row[0]) if row else None

    def record(self, answer_id: str) -> AnswerRecord | None:
        row = self._db.execute(
            "SELECT answer_json, user_id, channel, conversation FROM answers WHERE id=?",
            (answer_id,),
        ).fetchone()
        if row is None:
            return None
        return AnswerRecord(Answer.model_validate_json(row[0]), row[1], row[2], row[3])

    def vote(self, answer_id: str, user: str, up: bool) -> Literal["new", "changed", "same"]:
        """One vote per user and answer; a second click changes it, never adds one."""
        value = 1 if up else -1
        with self._lock:
            row = self._db.execute(
                "SELECT vote FROM votes WHERE answer_id=? AND user_id=?", (answer_id, user)
            ).fetchone()
            if row and row[0] == value:
                return "same"
            self._db.execute(
                "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?)",
                (answer_id, user, value, time.time()),
            )
        return "changed" if row else "new"

    def tally(self, answer_id: str) -> tuple[int, int]:
        """(👍, 👎) counts of an answer."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(vote > 0), 0), COALESCE(SUM(vote < 0), 0) FROM votes "
            "WHERE answer_id=?",
            (answer_id,),
        ).fetchone()
        return int(row[0]), int(row[1])

    def mark_shared(self, answer_id: str, channel: str, user: str) -> bool:
        """True the first time an answer is shared into a channel: a second click on Share
        does not post it again."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO shares VALUES (?, ?, ?, ?)",
                (answer_id, channel, user, time.time()),
            )
        return cur.rowcount == 1

    def unmark_shared(self, answer_id: str, channel: str) -> None:
        """Posting failed (the bot is not in that channel): a later click may try again."""
        self._db.execute("DELETE FROM shares WHERE answer_id=? AND channel=?", (answer_id, channel))

    def export(self, out: Path) -> int:
        """Rated answers as JSONL eval candidates: question, answer, tool, votes."""
        rows = self._db.execute(
            "SELECT a.question, a.tool, a.answer_json, v.user_id, v.vote FROM votes v "
            "JOIN answers a ON a.id = v.answer_id ORDER BY v.created"
        ).fetchall()
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as f:
            for question, tool, answer_json, user, vote in rows:
                answer = json.loads(answer_json)
                f.write(json.dumps({
                    "question": question, "tool": tool, "answer": answer["answer"],
                    "citations": [c["doc_id"] for c in answer["citations"]],
                    "user_id": user, "vote": "up" if vote > 0 else "down",
                }, ensure_ascii=False) + "\n")  # fmt: skip
        return len(rows)
