"""What reaches a log: personal data redacted, and no line longer than a limit.

A log line may quote a question, a comment, a payload or an exception about them; logs are
kept and shared more widely than the data, so the filter sits on every handler of the root
logger (the CLI and the Slack bot install it at start).
"""

from __future__ import annotations

import logging

from assistant.core.redaction import redact


class SafeLogs(logging.Filter):
    """Redacts every log message and cuts it to `limit` characters (a payload quoted in a
    log line, Bolt's own or an exception's, never floods the log)."""

    def __init__(self, limit: int = 2000) -> None:
        super().__init__()
        self.limit = limit

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if len(message) > self.limit:
            message = message[: self.limit] + f"… [{len(message) - self.limit} chars cut]"
        safe = redact(message)[0]
        if record.exc_info and not record.exc_text:  # the traceback quotes values too
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))[0]
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)[0]
        if safe != record.getMessage():
            record.msg, record.args = safe, None
        return True


def install_safe_logs(limit: int = 2000) -> None:
    """Put SafeLogs on every handler of the root logger (once)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SafeLogs) for f in handler.filters):
            handler.addFilter(SafeLogs(limit))
