"""Every error the assistant raises. Those under AssistantError carry a message shown to the
user as it is (what went wrong, and where); the others are internal signals.
"""

from collections.abc import Sequence


class AssistantError(Exception):
    """Base class: the message is fixed, helpful text safe to show a user."""


class CorpusError(AssistantError):
    """The corpus on disk is missing or malformed."""


class IndexNotReadyError(AssistantError):
    """The index is missing, empty or unreadable; the message names the fix."""


class FeedbackDatabaseError(IndexNotReadyError):
    """The tabular copy of the feedback (SQLite) cannot be read; the message names the file."""


class DatabaseError(AssistantError):
    """The relational store (CX_DATABASE_URL) cannot be reached, is behind the code's schema,
    or a copy to it failed; the message names the database (never its password) and the fix."""


class ChromaUnavailableError(AssistantError):
    """The Chroma server did not answer (in time, or as a Chroma server); names the settings."""


class DataFolderReadOnlyError(AssistantError):
    """A write was asked of a data folder (or a file in it) that cannot be written."""


class DataFolderBusyError(AssistantError):
    """Another process held the data folder's write lock past CX_WRITE_LOCK_TIMEOUT_S."""


class DiskFullError(AssistantError):
    """A write failed because the disk holding the data folder is full."""


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


class AtlasError(AssistantError):
    """The atlas files have problems; each is shown as file:line: field: message."""

    def __init__(self, problems: Sequence[object]) -> None:
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"the atlas has {len(problems)} problem(s):\n{shown}{more}")


class UnknownNameError(AssistantError):
    """A journey, step or persona name that the atlas does not have; lists the closest."""

    def __init__(self, what: str, name: str, closest: list[str]) -> None:
        self.closest = closest
        hint = f" Closest: {', '.join(closest)}." if closest else ""
        super().__init__(f"No {what} named {name!r} in the atlas.{hint}")


class NoFeedbackError(AssistantError):
    """No feedback record is stored, or none is in scope of the request."""


class LinkCuesError(CorpusError):
    """The journey cue file is missing or invalid; lists file:line: field: problem."""


class SegmentsFileError(CorpusError):
    """The segments file is missing or invalid; the message lists file:line: field: problem."""


class LLMUnavailable(Exception):
    """The language model did not answer usably: the offline answer is given instead
    (internal: never shown as it is)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class TooLarge(Exception):
    """A shared file is over the download limit (internal: the surface says so)."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class UnknownTool(AssistantError):
    """No tool of that name (a model's invention, or a tool not registered)."""


class ToolRefused(AssistantError):
    """A registered tool the access policy does not grant this request."""
