"""What a conversation remembers: its last turns and the frame of its last request, per
conversation id."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from assistant.agent.frame import Frame
from assistant.core.lru import LRUMap

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
        return next((t.frame for t in reversed(self.turns(conversation)) if t.frame), None)

    def turns(self, conversation: str) -> list[Turn]:
        turns = self._turns.get(conversation)
        return list(turns) if turns is not None else []

    def forget(self, conversation: str) -> None:
        self._turns.pop(conversation)

    def __len__(self) -> int:
        return len(self._turns)
