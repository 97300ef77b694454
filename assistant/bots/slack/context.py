"""What the listeners share: the agent, the settings, the answer store, the de-duplicator."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from assistant.agent.agent import Agent
from assistant.answer_ratings import RatingsStore
from assistant.bots.slack.dedupe import Deduplicator
from assistant.settings import Settings


@dataclass
class BotContext:
    agent: Agent
    settings: Settings
    ratings: RatingsStore
    dedupe: Deduplicator = field(default_factory=Deduplicator)
    chart_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cx-charts-")))

    def feedback_tools_allowed(self, user: str, is_channel: bool) -> bool:
        """Feedback-derived tools: in channels only, and for the allowed users if listed."""
        allowed = self.settings.slack_allowed_users
        return is_channel and (not allowed or user in allowed)
