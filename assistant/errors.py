"""Errors whose message is shown to the user as it is (what went wrong, and where)."""


class AssistantError(Exception):
    """Base class: the message is fixed, helpful text safe to show a user."""


class CorpusError(AssistantError):
    """The corpus on disk is missing or malformed."""


class IndexNotReadyError(AssistantError):
    """The index is missing, empty or unreadable; the message names the fix."""


class ConfigError(AssistantError):
    """A setting is missing or inconsistent."""
