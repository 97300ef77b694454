"""Answers given and the 👍/👎 votes on them, in the relational store: SQLite beside the
index (`ratings.sqlite`, the embedded default) or the shared database (`CX_DATABASE_URL`),
through the same queries (the tables: assistant/storage/feedback_tables.py).

Slack stores every answer it posts (so a button can share or rate it later) and every
vote; `cx-assistant feedback export` writes the rated answers as eval candidates.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, case, create_engine, delete, func, select
from sqlalchemy.pool import QueuePool

from assistant.core.answers import Answer
from assistant.core.redaction import redact_data
from assistant.core.settings import Settings
from assistant.storage.feedback_tables import RATINGS_TABLES, answers, shares, votes
from assistant.storage.sql import ensure_tables, insert_for


@dataclass(frozen=True)
class AnswerRecord:
    """A stored answer with who it was given to and where (for owner checks)."""

    answer: Answer
    user: str
    channel: str
    conversation: str


def open_ratings_store(settings: Settings) -> RatingsStore:
    """The shared database when `CX_DATABASE_URL` is set (made by `cx-assistant db
    upgrade`), else `ratings.sqlite` in the data folder."""
    if settings.cx_database_url:
        from assistant.storage import open_engine
        from assistant.storage.migrations import require_version

        engine = open_engine(settings)
        require_version(engine, "ratings")
        return RatingsStore(engine)
    return RatingsStore(settings.ratings_db)


class RatingsStore:
    def __init__(self, where: Path | Engine) -> None:
        """`where`: the SQLite file of the embedded default (made when missing), or the
        engine of a database whose tables `db upgrade` made."""
        if isinstance(where, Path):
            path = where
            path.parent.mkdir(parents=True, exist_ok=True)
            # Slack listeners run in worker threads: a connection each, serialised by SQLite.
            where = create_engine(
                "sqlite://", poolclass=QueuePool, pool_size=5, max_overflow=20,
                creator=lambda: sqlite3.connect(path, timeout=30, check_same_thread=False),
            )  # fmt: skip
            with where.begin() as conn:
                ensure_tables(conn, RATINGS_TABLES)
        self.engine = where

    def save_answer(self, answer: Answer, user: str, channel: str, conversation: str) -> str:
        """Store an answer for votes and eval candidates, every text in it redacted: the
        question, and the answer's scope lines and filters that echo it."""
        answer_id = uuid.uuid4().hex[:16]
        data = redact_data(answer.model_dump(mode="json"))
        assert isinstance(data, dict)
        with self.engine.begin() as conn:
            conn.execute(answers.insert().values(
                id=answer_id, created=time.time(), user_id=user, channel=channel,
                conversation=conversation, question=data["question"], tool=answer.tool,
                answer_json=json.dumps(data, ensure_ascii=False)))  # fmt: skip
        return answer_id

    def answer(self, answer_id: str) -> Answer | None:
        found = self.record(answer_id)
        return found.answer if found else None

    def record(self, answer_id: str) -> AnswerRecord | None:
        a = answers.c
        with self.engine.connect() as conn:
            row = conn.execute(select(a.answer_json, a.user_id, a.channel, a.conversation)
                               .where(a.id == answer_id)).first()  # fmt: skip
        if row is None:
            return None
        return AnswerRecord(Answer.model_validate_json(row[0]), row[1], row[2], row[3])

    def vote(self, answer_id: str, user: str, up: bool) -> Literal["new", "changed", "same"]:
        """One vote per user and answer; a second click changes it, never adds one. The
        read and the write are one transaction; the upsert keeps two instances that take the
        same click at once to one row."""
        value = 1 if up else -1
        v = votes.c
        with self.engine.begin() as conn:
            before = conn.execute(select(v.vote).where(v.answer_id == answer_id,
                                                       v.user_id == user)).scalar()  # fmt: skip
            if before == value:
                return "same"
            stmt = insert_for(conn, votes).values(answer_id=answer_id, user_id=user, vote=value,
                                                  created=time.time())  # fmt: skip
            conn.execute(stmt.on_conflict_do_update(
                index_elements=["answer_id", "user_id"],
                set_={"vote": stmt.excluded.vote, "created": stmt.excluded.created}))  # fmt: skip
        return "changed" if before is not None else "new"

    def tally(self, answer_id: str) -> tuple[int, int]:
        """(👍, 👎) counts of an answer."""
        v = votes.c
        up = func.coalesce(func.sum(case((v.vote > 0, 1), else_=0)), 0)
        down = func.coalesce(func.sum(case((v.vote < 0, 1), else_=0)), 0)
        with self.engine.connect() as conn:
            row = conn.execute(select(up, down).where(v.answer_id == answer_id)).one()
        return int(row[0]), int(row[1])

    def mark_shared(self, answer_id: str, channel: str, user: str) -> bool:
        """True the first time an answer is shared into a channel: a second click on Share
        (on any instance) does not post it again."""
        with self.engine.begin() as conn:
            stmt = insert_for(conn, shares).values(answer_id=answer_id, channel=channel,
                                                   user_id=user, created=time.time())  # fmt: skip
            done = conn.execute(stmt.on_conflict_do_nothing().returning(shares.c.answer_id))
            return done.first() is not None

    def unmark_shared(self, answer_id: str, channel: str) -> None:
        """Posting failed (the bot is not in that channel): a later click may try again."""
        with self.engine.begin() as conn:
            conn.execute(delete(shares).where(shares.c.answer_id == answer_id,
                                              shares.c.channel == channel))  # fmt: skip

    def export(self, out: Path) -> int:
        """Rated answers as JSONL eval candidates: question, answer, tool, votes."""
        a, v = answers.c, votes.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(a.question, a.tool, a.answer_json, v.user_id, v.vote)
                .join_from(votes, answers, a.id == v.answer_id).order_by(v.created)
            ).all()
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
