"""The tabular copy of feedback: the protocol every caller types against, and the one place
a backend is chosen."""

from __future__ import annotations

from assistant.core.settings import Settings
from assistant.feedback.store.protocol import FeedbackStore, source_slug
from assistant.feedback.store.sqlite import SQLiteFeedbackStore

__all__ = ["FeedbackStore", "SQLiteFeedbackStore", "open_feedback_store", "source_slug"]


def open_feedback_store(settings: Settings) -> FeedbackStore:
    """The feedback store the settings name (SQLite beside the index, for now)."""
    return SQLiteFeedbackStore(settings.feedback_db)
