"""Answering in Slack, off the acknowledging threads.

A listener only builds an `AskJob` and hands it to `submit`: the answer runs on the shared
work queue (heavy and light lanes, a per-user limit), and a request that must wait gets a
note with its place in the queue. A worker then shows a status (assistant.threads.setStatus
with loading messages; a "Working on it…" message where there is no thread or the status
call fails), streams the answer in LLM mode (chat.startStream/appendStream/stopStream, the
buttons added at stop), or posts it whole, uploads its chart and deletes the file.

Slack's own errors are never the model's: a failed or rate-limited stream call is retried
after Retry-After, and the final answer is always posted whole when streaming did not finish.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from assistant.core.answers import Answer
from assistant.core.text import Lang, detect_lang
from assistant.surfaces.slack.blocks import LABELS, answer_messages, note, tail_blocks
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.mrkdwn import escape, safe_markdown

log = logging.getLogger(__name__)
MAX_STREAM_TEXT = 11_000  # chat.stopStream takes at most 12,000 characters of markdown
QUEUE_NOTE_AFTER_S = 1.0


@dataclass
class AskJob:
    channel: str
    thread_ts: str | None  # the thread to answer in; None: in place (a DM outside threads)
    user: str
    text: str  # plain text (see incoming.plain_text)
    shared: bool  # a conversation others see (a channel)
    team: str = ""
    note: str = ""  # markdown put before the answer (files it could not read)
    place: str = ""  # where Share posts the answer; "" = no Share button
    conversation: str = ""
    lang: Lang | None = None
    status: bool = True  # show assistant.threads.setStatus while working (threads only)
    lane: str = "light"  # set by submit: heavy (feedback summaries) or light

    def __post_init__(self) -> None:
        if not self.conversation:
            # A thread is a conversation; a DM written outside threads is one conversation too.
            self.conversation = (
                f"{self.channel}:{self.thread_ts}" if self.thread_ts else self.channel
            )
        if self.lang is None:
            self.lang = detect_lang(self.text) if self.text.strip() else "en"


def submit(ctx: BotContext, client: Any, job: AskJob) -> None:
    """Queue an answer (called from a listener: returns at once; chat/intake.py routes and
    queues it). A request that has waited QUEUE_NOTE_AFTER_S without starting gets a note
    with its place in the queue; its answer then replaces that note."""
    labels = LABELS[job.lang or "en"]
    queued = QueueNote(client, job)

    def on_queued(ahead: int) -> None:
        queued.schedule(labels["queued"].format(n=ahead) if ahead else labels["next"])

    def run(lane: str) -> None:
        job.lane = lane
        answer(ctx, client, job, queued.started())

    def on_refused() -> None:
        client.chat_postMessage(channel=job.channel, thread_ts=job.thread_ts,
                                **note(labels["busy"]))  # fmt: skip

    who = ctx.requester(job.user, job.channel, job.shared, job.place)
    ctx.intake.submit(who, job.text, job.conversation, run, on_queued=on_queued,
                      on_refused=on_refused)  # fmt: skip


class QueueNote:
    """The "N requests ahead of yours" note: posted only if the request is still waiting
    after QUEUE_NOTE_AFTER_S (a wait of a moment needs no note), never after its answer."""

    def __init__(self, client: Any, job: AskJob) -> None:
        self.client, self.job = client, job
        self.ts: str | None = None
        self._state = "waiting"  # waiting -> posting -> posted, or -> started
        self._cond = threading.Condition()

    def schedule(self, text: str) -> None:
        timer = threading.Timer(QUEUE_NOTE_AFTER_S, self._post, args=(text,))
        timer.daemon = True
        timer.start()

    def _post(self, text: str) -> None:
        with self._cond:
            if self._state != "waiting":
                return
            self._state = "posting"
        ts = None
        try:
            resp = self.client.chat_postMessage(
                channel=self.job.channel, thread_ts=self.job.thread_ts, **note(text)
            )
            ts = resp["ts"]
        except Exception:
            log.exception("posting a queue note in %s failed", self.job.channel)
        with self._cond:
            self.ts, self._state = ts, "posted"
            self._cond.notify_all()

    def started(self) -> str | None:
        """The request starts: no note from now on; the note's ts if one was posted."""
        with self._cond:
            if self._state == "waiting":
                self._state = "started"
            while self._state == "posting":
                self._cond.wait(timeout=30)
            return self.ts


def set_status(
    ctx: BotContext, client: Any, job: AskJob, text: str, loading: list[str] | None = None
) -> bool:
    """assistant.threads.setStatus; False (logged, never raised) when Slack refuses it. A
    channel where Slack refused it is not asked again (a note is posted there instead)."""
    if not job.thread_ts or ctx.no_status.get(job.channel):
        return False
    try:
        client.assistant_threads_setStatus(
            channel_id=job.channel, thread_ts=job.thread_ts, status=text, loading_messages=loading
        )
        return True
    except Exception as exc:  # not an AI app, not allowed here…
        log.info("setStatus in %s failed: %s", job.channel, str(exc)[:200])
        ctx.no_status[job.channel] = True
        return False


def answer(ctx: BotContext, client: Any, job: AskJob, placeholder: str | None = None) -> None:
    """Answer one request (on a worker)."""
    lang: Lang = job.lang or "en"
    labels = LABELS[lang]
    loading = labels["loading_heavy" if job.lane == "heavy" else "loading"]
    status = job.status and set_status(ctx, client, job, labels["thinking"], loading)
    if placeholder is None and not status:
        working = client.chat_postMessage(
            channel=job.channel, thread_ts=job.thread_ts, **note(labels["working"])
        )
        placeholder = working["ts"]
    stream = None
    cleared = False
    try:
        if ctx.settings.llm_enabled and job.thread_ts:
            stream = Streamer(ctx, client, job)
        who = ctx.requester(job.user, job.channel, job.shared, job.place)
        reply = ctx.conversations.ask(
            job.text, job.conversation, who, on_text=stream.write if stream else None
        )
        result, answer_id = reply.answer, reply.answer_id or ""
        if job.note:
            result.answer = f"{job.note}\n\n{result.answer}"
        links = ctx.conversations.source_links()
        shareable = bool(job.place)
        if stream is not None and stream.finish(result, answer_id, shareable, links, placeholder):
            cleared = True  # a new message clears the status
        else:
            messages = answer_messages(result, answer_id, shareable, links)
            post(client, job, messages, placeholder)
            cleared = placeholder is None
        upload(client, job, result)
    except Exception:
        log.exception("answering %r in %s failed", job.text[:200], job.channel)
        if stream is not None:
            stream.abandon()
        post(client, job, [note(escape(labels["error"]))], placeholder)
        cleared = placeholder is None
    finally:
        if status and not cleared:
            set_status(ctx, client, job, "")  # a chat.update does not clear it; a new message does


def post(client: Any, job: AskJob, messages: list[dict], placeholder: str | None) -> None:
    """The first message replaces the placeholder (if any); the rest follow in the thread."""
    first, *rest = messages
    if placeholder:
        client.chat_update(channel=job.channel, ts=placeholder, **first)
    else:
        client.chat_postMessage(channel=job.channel, thread_ts=job.thread_ts, **first)
    for extra in rest:
        client.chat_postMessage(channel=job.channel, thread_ts=job.thread_ts, **extra)


def upload(client: Any, job: AskJob, answer: Answer) -> None:
    for attachment in answer.attachments:
        try:
            client.files_upload_v2(
                channel=job.channel,
                thread_ts=job.thread_ts,
                file=attachment.path,
                title=attachment.title or "chart",
            )
        finally:
            Path(attachment.path).unlink(missing_ok=True)  # charts never pile up


def _retry_after(exc: SlackApiError) -> float:
    for key, value in (exc.response.headers or {}).items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(value))
            except ValueError:
                break
    return 1.0


def _no_rate_limit_retries(client: WebClient) -> WebClient:
    """The same client without the retry on 429: a streaming call must not hold the model's
    stream for Retry-After seconds; the streamer waits out Retry-After itself."""
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=[ConnectionErrorRetryHandler()],
    )


class Streamer:
    """The model's text streamed into the thread as it is written (LLM mode).

    `write` is called on the model's thread with the text so far and never raises: a Slack
    error pauses (429: until Retry-After) or ends streaming, never the model. Text is sent
    up to the last whitespace only, made safe (escaped, no links), at most once per
    CX_SLACK_STREAM_INTERVAL_S. `finish` stops the stream with the sources and the buttons,
    or returns False so that the caller posts the final answer whole."""

    def __init__(self, ctx: BotContext, client: Any, job: AskJob) -> None:
        self.job = job
        self.interval = ctx.settings.cx_slack_stream_interval_s
        self.client = client
        self._stream_client = (
            _no_rate_limit_retries(client) if isinstance(client, WebClient) else client
        )
        self.stream: Any = None
        self.prefix = f"{job.note}\n\n" if job.note else ""
        self.done = ""  # text of earlier model turns
        self.turn = ""  # text of the current turn
        self.sent = 0  # characters of the whole text handed to the stream
        self.last = 0.0
        self.retry_at = 0.0
        self.broken = False
        self.stopped = False
        self._lock = threading.Lock()

    @property
    def text(self) -> str:
        return self.prefix + self.done + self.turn

    def write(self, so_far: str) -> None:
        with self._lock:
            try:
                self._write(so_far)
            except Exception:  # never the model's problem
                log.exception("streaming into %s failed", self.job.channel)
                self.broken = True

    def _write(self, so_far: str) -> None:
        if not so_far.startswith(self.turn):  # a new model turn after tool calls
            self.done += self.turn + "\n\n"
        self.turn = so_far
        now = time.monotonic()
        if self.broken or now < self.retry_at or now - self.last < self.interval:
            return
        text = self.text
        upto = max(text.rfind(" "), text.rfind("\n")) + 1
        if upto <= self.sent:
            return
        chunk = text[self.sent : upto]
        self.last = now
        try:
            if self.stream is None:
                self.stream = self._stream_client.chat_stream(
                    channel=self.job.channel,
                    thread_ts=self.job.thread_ts,
                    recipient_team_id=self.job.team or None,
                    recipient_user_id=self.job.user or None,
                    buffer_size=1,
                )
            self.stream.append(markdown_text=safe_markdown(chunk))
            self.sent = upto
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                wait = _retry_after(exc)
                self.retry_at = time.monotonic() + wait
                # The stream keeps the unsent text in its buffer and sends it next time.
                self.sent = upto
                log.info("streaming rate limited in %s; waiting %.0f s", self.job.channel, wait)
            else:
                self.broken = True
                log.warning("streaming into %s stopped: %s", self.job.channel, exc)

    def finish(
        self, answer: Answer, answer_id: str, shareable: bool, links: dict, placeholder: str | None
    ) -> bool:
        """Stop the stream with the rest of the answer, its sources and its buttons. False
        when nothing was streamed (the caller posts the answer whole). When streaming broke
        or the final answer is not what was streamed (an offline fallback), the streamed
        message becomes the whole final answer."""
        with self._lock:
            stream, sent, text = self.stream, self.sent, self.text
            self.broken = True  # no more writes
        if stream is None or (stream.ts is None and sent == 0):
            return False
        final = answer.answer
        if placeholder:
            self._delete(placeholder)
        streamed = text[:sent].lstrip()  # the final answer is stripped
        rest = final[len(streamed) :] if final.startswith(streamed) else None
        if rest is not None and len(rest) <= MAX_STREAM_TEXT:
            try:
                blocks = tail_blocks(answer, answer_id, shareable, links)
                self.stopped = True
                stream.stop(markdown_text=safe_markdown(rest) or None, blocks=blocks)
                return True
            except Exception as exc:
                log.warning("stopping the stream in %s failed: %s", self.job.channel, exc)
        # Post the final answer whole, in place of what was streamed when possible.
        messages = answer_messages(answer, answer_id, shareable, links)
        ts = stream.ts
        if ts and not self.stopped:
            self._close(stream)
        post(self.client, self.job, messages, ts)
        return True

    def abandon(self) -> None:
        with self._lock:
            self.broken = True
            stream = self.stream
        if stream is not None and stream.ts and not self.stopped:
            self._close(stream)

    def _close(self, stream: Any) -> None:
        self.stopped = True
        try:
            stream.stop()
        except Exception as exc:
            log.info("closing the stream in %s failed: %s", self.job.channel, exc)

    def _delete(self, ts: str) -> None:
        try:
            self.client.chat_delete(channel=self.job.channel, ts=ts)
        except Exception as exc:
            log.info("removing the queue note in %s failed: %s", self.job.channel, exc)
