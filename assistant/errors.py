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


class IngestLimitError(IngestError):
    """A feedback file is over a limit (bytes or rows): refused whole, nothing stored. The
    limit, what was found and the setting that sets it are kept for a surface's own text."""

    def __init__(self, message: str, *, what: str, found: int, limit: int, setting: str) -> None:
        super().__init__(message)
        self.what, self.found, self.limit, self.setting = what, found, limit, setting


class ConfigError(AssistantError):
    """A setting is missing or inconsistent."""
