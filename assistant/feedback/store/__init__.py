"""The tabular copy of feedback: the protocol every caller types against, and the one place
a backend is chosen."""

from __future__ import annotations

from assistant.core.datadir import is_read_only
from assistant.core.settings import Settings
from assistant.feedback.store.protocol import FeedbackStore, source_slug
from assistant.feedback.store.sqlite import SQLiteFeedbackStore

__all__ = ["FeedbackStore", "SQLiteFeedbackStore", "open_feedback_store", "source_slug"]


def open_feedback_store(settings: Settings) -> FeedbackStore:
    """The feedback store the settings name (SQLite beside the index, for now), read-only
    where the data folder cannot be written."""
    read_only = is_read_only(settings.cx_data_dir, settings.cx_read_only) or (
        settings.feedback_db.is_file() and is_read_only(settings.feedback_db)
    )
    return SQLiteFeedbackStore(settings.feedback_db, read_only=read_only)
