"""Errors whose message is shown to the user as it is (what went wrong, and where)."""


class AssistantError(Exception):
    """Base class: the message is fixed, helpful text safe to show a user."""


class CorpusError(AssistantError):
    """The corpus on disk is missing or malformed."""


class IndexNotReadyError(AssistantError):
    """The index is missing, empty or unreadable; the message names the fix."""


class FeedbackDatabaseError(IndexNotReadyError):
    """The tabular copy of the feedback (SQLite) cannot be read; the message names the file."""


class ChromaUnavailableError(AssistantError):
    """The Chroma server did not answer (in time, or as a Chroma server); names the settings."""


class IngestError(AssistantError):
    """A feedback file cannot be read at all (rows with problems are reported, not raised)."""


class ConfigError(AssistantError):
    """A setting is missing or inconsistent."""
