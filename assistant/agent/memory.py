"""What a conversation remembers: its last turns and the frame of its last request, per
conversation id (in the process, or in the relational store when several instances share
one)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.agent.frame import Frame
from assistant.core.lru import LRUMap

if TYPE_CHECKING:  # SQLAlchemy (~0.15 s) is imported by the instances that share memory only
    from sqlalchemy import Engine

MEMORY_TURNS = 10  # messages kept per conversation


@dataclass
class Turn:
    question: str
    answer: str
    tool: str
    args: dict[str, Any]
    frame: Frame | None = None


class ConversationMemory:
    """The last turns of each conversation (a Slack thread, a CLI session), bounded per
    conversation and in the number of conversations (least recently used dropped)."""

    def __init__(self, window: int = MEMORY_TURNS, max_conversations: int = 1000) -> None:
        self.window = window
        self._turns: LRUMap[str, deque[Turn]] = LRUMap(max_conversations)

    @property
    def max_conversations(self) -> int:
        return self._turns.capacity

    @max_conversations.setter
    def max_conversations(self, value: int) -> None:
        self._turns.capacity = value

    def add(self, conversation: str, turn: Turn) -> None:
        self._turns.setdefault(conversation, deque(maxlen=self.window)).append(turn)

    def frame(self, conversation: str) -> Frame | None:
        """The frame of the conversation's last request that had one (a follow-up edits it;
        help and out-of-scope turns leave it as it was)."""
        frames = self.frames(conversation)
        return frames[-1] if frames else None

    def frames(self, conversation: str) -> list[Frame]:
        """Every frame the conversation's remembered turns left, oldest first."""
        return [t.frame for t in self.turns(conversation) if t.frame]

    def turns(self, conversation: str) -> list[Turn]:
        turns = self._turns.get(conversation)
        return list(turns) if turns is not None else []

    def forget(self, conversation: str) -> None:
        self._turns.pop(conversation)

    def __len__(self) -> int:
        return len(self._turns)


class StoredMemory(ConversationMemory):
    """Conversation memory in the relational store (`conversation_turns`), for several
    instances sharing CX_DATABASE_URL: a thread started on one and continued on another
    keeps its context. No in-process copy: it could be stale once another instance adds a
    turn, so every read goes to the database."""

    def __init__(self, engine: Engine, window: int = MEMORY_TURNS) -> None:
        from assistant.storage.shared_state import ConversationTurns

        super().__init__(window)
        self._store = ConversationTurns(engine, window)

    def add(self, conversation: str, turn: Turn) -> None:
        # The frame as JSON (dates as ISO text, read back by the tools' inputs).
        frame = turn.frame.model_dump(mode="json") if turn.frame else None
        self._store.add(conversation, {"question": turn.question, "answer": turn.answer,
                                       "tool": turn.tool, "args": turn.args, "frame": frame})

    def turns(self, conversation: str) -> list[Turn]:
        return [Turn(str(t.get("question", "")), str(t.get("answer", "")),
                     str(t.get("tool", "")), dict(t.get("args") or {}),
                     Frame.model_validate(t["frame"]) if t.get("frame") else None)
                for t in self._store.last(conversation)]  # fmt: skip

    def forget(self, conversation: str) -> None:
        self._store.forget(conversation)

    def __len__(self) -> int:
        return self._store.count()
