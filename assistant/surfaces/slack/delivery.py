"""Delivering stored replies (the outbox) to Slack, on sender threads.

Each message of a reply is sent in order; a failure never drops it: a 429 waits Slack's
Retry-After, a refused connection, a timeout or a 5xx waits a backoff (CX_SLACK_RETRY_BASE_S
doubled up to CX_SLACK_RETRY_MAX_S), a refused token pauses delivery (the health says why).
Past its deadline a reply is late: it keeps being tried every CX_SLACK_LATE_RETRY_S, and
when Slack takes it the asker reads that it comes late, above the answer. Only what Slack
will never take (the channel is gone, the bot was removed) ends as failed, in the log.
No sender waits inside a call for a rate limit: the client has no 429 retry.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from assistant.storage.outbox import Pending
from assistant.surfaces.slack.blocks import LABELS, note_block
from assistant.surfaces.slack.mrkdwn import escape

log = logging.getLogger(__name__)
AUTH_ERRORS = frozenset({"invalid_auth", "token_revoked", "account_inactive", "not_authed",
                         "token_expired", "no_permission_for_token"})  # fmt: skip
TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error",
                              "service_unavailable", "request_timeout", "team_added_to_org"})
NOT_THERE = ("message_not_found", "cant_update_message", "edit_window_closed")


class Transient(Exception):
    """A send that may work later; `delay`: at least this long (Retry-After)."""

    def __init__(self, reason: str, delay: float = 0.0) -> None:
        super().__init__(reason)
        self.delay = delay


def retry_after(exc: SlackApiError) -> float:
    for key, value in (exc.response.headers or {}).items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(value))
            except ValueError:
                break
    return 1.0


def classify(exc: BaseException) -> tuple[str, float, str]:
    """("transient", wait, reason), ("auth", 0, error) or ("permanent", 0, error)."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        error = str(exc.response.get("error", "") or "")
        if status == 429 or error == "ratelimited":
            return "transient", retry_after(exc), f"rate limited ({status})"
        if error in AUTH_ERRORS:
            return "auth", 0.0, error
        if status >= 500 or error in TRANSIENT_ERRORS:
            return "transient", 0.0, error or f"HTTP {status}"
        return "permanent", 0.0, error or f"HTTP {status}"
    if isinstance(exc, Transient):
        return "transient", exc.delay, str(exc)
    # urllib's URLError, ConnectionRefusedError, TimeoutError, RemoteDisconnected: all OSError
    if isinstance(exc, OSError | ConnectionError | TimeoutError):
        return "transient", 0.0, f"{type(exc).__name__}: {str(exc)[:120]}"
    return "permanent", 0.0, f"{type(exc).__name__}: {str(exc)[:120]}"


class Sender:
    """Sends what the outbox holds; `deliver` one claimed message at a time."""

    def __init__(self, service: Any) -> None:  # service.SlackService (which imports this)
        self.service = service
        self.settings = service.settings
        self.api = service.sender_api

    def deliver(self, item: Pending) -> None:
        service = self.service
        try:
            retry_of_a_post = item.kind == "post" or (item.kind == "update" and item.late)
            if retry_of_a_post and item.attempts > 1 and self._posted(item):
                service.outbox.delivered(item.id)  # an earlier try got there after all
                return
            updated = self.send(item)
        except Exception as exc:  # every failure is classified, none is raised
            kind, wait, reason = classify(exc)
            if kind == "permanent":
                if item.payload.get("best_effort"):
                    service.outbox.delivered(item.id)  # a status or a prompt: not worth a log
                    return
                log.warning("Slack refused a reply (%s) in %s for good: %s", item.kind,
                            item.payload.get("channel", ""), reason)  # fmt: skip
                service.outbox.failed(item.id, reason)
                return
            if kind == "auth":
                service.health.auth_failed(reason)
            else:
                service.health.slack_unreachable(reason)
            if item.late and item.payload.get("best_effort"):
                service.outbox.failed(item.id, f"late, dropped: {reason}")
                return
            s = self.settings
            backoff = min(s.cx_slack_retry_max_s,
                          s.cx_slack_retry_base_s * 2 ** (item.attempts - 1))  # fmt: skip
            delay = max(wait, backoff, s.cx_slack_late_retry_s if item.late else 0.0)
            log.info("a reply to %s waits %.1f s: %s", item.payload.get("channel", ""), delay,
                     reason)  # fmt: skip
            service.outbox.retry(item.id, delay, reason)
            return
        service.health.slack_ok()
        service.outbox.delivered(item.id, updated)
        if item.late and item.seq == 0 and not item.payload.get("best_effort"):
            log.info("a late reply was delivered in %s", item.payload.get("channel", ""))

    # -- one method per kind -------------------------------------------------------------

    def send(self, item: Pending) -> dict[str, Any] | None:
        p = item.payload
        return getattr(self, f"_{item.kind}")(item, p)

    def _message(self, item: Pending, p: dict[str, Any]) -> dict[str, Any]:
        """The message to send; a late reply's first message says so first."""
        message = {"text": p.get("text", ""), "blocks": list(p.get("blocks") or [])}
        if item.late and item.seq == 0 and p.get("ask") is not None:
            lang = p.get("lang") or "en"
            ask = escape(str(p.get("ask") or ""))[:150]
            late = LABELS[lang]["late"].format(question=ask)
            message["blocks"] = [note_block(late)] + message["blocks"][:49]
            message["text"] = f"{late}\n{message['text']}"[:3000]
        return message

    def _post(self, item: Pending, p: dict[str, Any]) -> dict[str, Any]:
        kwargs = {"thread_ts": p["thread_ts"]} if p.get("thread_ts") else {}
        resp = self.api.chat_postMessage(channel=p["channel"], metadata=self._tag(item),
                                         **kwargs, **self._message(item, p))  # fmt: skip
        return {**p, "posted_ts": resp.get("ts")}

    @staticmethod
    def _tag(item: Pending) -> dict[str, Any]:
        """Message metadata naming the outgoing message, so a retry can tell whether an
        earlier try (whose answer was lost: a timeout, a dropped connection) got there."""
        return {"event_type": "cx_reply", "event_payload": {"outbox_id": item.id}}

    def _posted(self, item: Pending) -> bool:
        """Whether Slack holds a message tagged with this item (read back from the thread or
        the channel's latest messages); False when it cannot tell (it is then sent)."""
        p = item.payload
        channel = p["channel"]
        try:
            if p.get("thread_ts"):
                resp = self.api.conversations_replies(channel=channel, ts=p["thread_ts"],
                                                      limit=200, include_all_metadata=True)
            else:
                resp = self.api.conversations_history(channel=channel, limit=50,
                                                      include_all_metadata=True)
        except Exception as exc:
            log.info("looking for an earlier try in %s failed: %s", channel, str(exc)[:200])
            return False
        for message in resp.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("outbox_id") == item.id:
                return True
        return False

    def _update(self, item: Pending, p: dict[str, Any]) -> dict[str, Any]:
        """Replace a placeholder (a queue note, "Working on it…"); a late reply is posted
        anew (an edit long after would go unseen) and the placeholder removed."""
        if item.late:
            posted = self._post(item, p)
            try:  # delivered already: a failing clean-up must not send it twice
                self.api.chat_delete(channel=p["channel"], ts=p["ts"])
            except Exception as exc:
                log.info("removing a placeholder failed: %s", str(exc)[:200])
            return posted
        try:
            self.api.chat_update(channel=p["channel"], ts=p["ts"], **self._message(item, p))
        except SlackApiError as exc:
            if str(exc.response.get("error", "")) not in NOT_THERE:
                raise
            return self._post(item, p)  # the placeholder is gone: post the answer instead
        return p

    def _replace_stream(self, item: Pending, p: dict[str, Any]) -> dict[str, Any]:
        """A stream an outage cut: stopped, then its message becomes the whole answer."""
        try:
            self.api.chat_stopStream(channel=p["channel"], ts=p["ts"])
        except SlackApiError as exc:
            if classify(exc)[0] != "permanent":  # already stopped, or gone: carry on
                raise
        try:
            self.api.chat_update(channel=p["channel"], ts=p["ts"], **self._message(item, p))
        except SlackApiError as exc:
            if str(exc.response.get("error", "")) not in NOT_THERE:
                raise
            return self._post(item, p)
        return p

    def _respond(self, item: Pending, p: dict[str, Any]) -> dict[str, Any]:
        """A private reply through the response_url (valid 30 minutes); when it is expired
        or the reply is late, it goes to the asker's DM with the app instead."""
        if item.late and p.get("best_effort"):
            return p  # a click's note, long after the click: not worth a DM
        if not item.late and p.get("response_url"):
            body = {"response_type": "ephemeral",
                    "replace_original": bool(p.get("replace_original")),
                    **self._message(item, p)}  # fmt: skip
            timeout = int(self.settings.cx_slack_api_timeout_s)
            resp = WebhookClient(p["response_url"], timeout=timeout).send_dict(body)
            if resp.status_code == 200:
                return p
            if resp.status_code == 429 or resp.status_code >= 500:
                raise Transient(f"response_url HTTP {resp.status_code}")
            if p.get("best_effort"):
                return p
            log.info("a response_url answered %d: the reply goes to the DM", resp.status_code)
        dm = {**p, "channel": p["user"], "thread_ts": None}
        return self._post(item, dm)

    def _upload(self, item: Pending, p: dict[str, Any]) -> None:
        path = Path(p["path"])
        if not path.is_file():  # charts live in a temporary folder: gone after a restart
            return None
        kwargs = {"thread_ts": p["thread_ts"]} if p.get("thread_ts") else {}
        self.api.files_upload_v2(channel=p["channel"], file=str(path),
                                 title=p.get("title") or "chart", **kwargs)  # fmt: skip
        path.unlink(missing_ok=True)
        return None

    def _ephemeral(self, item: Pending, p: dict[str, Any]) -> None:
        kwargs = {"thread_ts": p["thread_ts"]} if p.get("thread_ts") else {}
        self.api.chat_postEphemeral(channel=p["channel"], user=p["user"], text=p["text"],
                                    **kwargs)  # fmt: skip

    def _status(self, item: Pending, p: dict[str, Any]) -> None:
        self.api.assistant_threads_setStatus(channel_id=p["channel"], thread_ts=p["thread_ts"],
                                             status=p.get("status", ""))  # fmt: skip

    def _prompts(self, item: Pending, p: dict[str, Any]) -> None:
        kwargs = {"thread_ts": p["thread_ts"]} if p.get("thread_ts") else {}
        self.api.assistant_threads_setSuggestedPrompts(
            channel_id=p["channel"], prompts=p["prompts"], title=p.get("title"), **kwargs
        )

    def _title(self, item: Pending, p: dict[str, Any]) -> None:
        self.api.assistant_threads_setTitle(channel_id=p["channel"], thread_ts=p["thread_ts"],
                                            title=p["title"])  # fmt: skip

    def _delete(self, item: Pending, p: dict[str, Any]) -> None:
        self._quietly(self.api.chat_delete, channel=p["channel"], ts=p["ts"])

    def _tally(self, item: Pending, p: dict[str, Any]) -> None:
        self.api.chat_update(channel=p["channel"], ts=p["ts"], text=p.get("text", ""),
                             blocks=p["blocks"])  # fmt: skip

    @staticmethod
    def _quietly(call: Any, **kwargs: Any) -> None:
        try:
            call(**kwargs)
        except SlackApiError as exc:
            if classify(exc)[0] != "permanent":
                raise
