"""The tabular copy of feedback: the protocol every caller types against, and the one place
a backend is chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.core.datadir import is_read_only
from assistant.core.settings import Settings
from assistant.feedback.store.protocol import FeedbackStore, RecordQuery, source_slug

if TYPE_CHECKING:
    from assistant.feedback.store.sql import SQLFeedbackStore
    from assistant.feedback.store.sqlite import SQLiteFeedbackStore

__all__ = ["FeedbackStore", "RecordQuery", "SQLFeedbackStore", "SQLiteFeedbackStore",
           "open_feedback_store", "source_slug"]  # fmt: skip


def __getattr__(name: str) -> Any:
    # The backends import SQLAlchemy (~0.15 s): only a request that opens the store pays it,
    # not a cold `ask` about the methodology, which imports the tools' types.
    if name == "SQLFeedbackStore":
        from assistant.feedback.store.sql import SQLFeedbackStore

        return SQLFeedbackStore
    if name == "SQLiteFeedbackStore":
        from assistant.feedback.store.sqlite import SQLiteFeedbackStore

        return SQLiteFeedbackStore
    raise AttributeError(name)


def open_feedback_store(settings: Settings) -> FeedbackStore:
    """The feedback store the settings name: the shared database when `CX_DATABASE_URL` is
    set (its tables made by `cx-assistant db upgrade`), else SQLite beside the index,
    read-only where the data folder cannot be written."""
    if settings.cx_database_url:
        from assistant.feedback.store.sql import SQLFeedbackStore
        from assistant.storage import database_url, open_engine
        from assistant.storage.migrations import require_version

        url = database_url(settings)
        engine = open_engine(settings, url)
        require_version(engine, "feedback")
        return SQLFeedbackStore(engine, url, read_only=settings.cx_read_only)
    read_only = is_read_only(settings.cx_data_dir, settings.cx_read_only) or (
        settings.feedback_db.is_file() and is_read_only(settings.feedback_db)
    )
    from assistant.feedback.store.sqlite import SQLiteFeedbackStore

    return SQLiteFeedbackStore(settings.feedback_db, read_only=read_only)
