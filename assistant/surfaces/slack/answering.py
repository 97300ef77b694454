"""Answering in Slack, on the answer workers.

A listener (on a dispatcher, see service.py) builds an `AskJob` and hands it to `submit`:
the answer runs on the shared work queue (heavy and light lanes, a per-user limit), and a
request that must wait gets a note with its place in the queue. A worker then shows a
status (assistant.threads.setStatus with loading messages; a "Working on it…" message where
there is no thread or the status call fails), streams the answer in LLM mode
(chat.startStream/appendStream/stopStream, the buttons added at stop), and stores the reply
in the outbox with its job (service.finish): the senders deliver it, retried until Slack
takes it. Status, notes and stream chunks are shown live and never wait: a failed one is
skipped. A stream that Slack stops taking (an outage) is replaced with the whole answer
from the outbox when Slack is back.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from assistant.core.answers import Answer
from assistant.core.text import Lang, detect_lang
from assistant.storage.jobs import Job
from assistant.storage.outbox import Outgoing
from assistant.surfaces.slack.blocks import LABELS, answer_messages, note, tail_blocks
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.delivery import classify, retry_after
from assistant.surfaces.slack.facts import Facts
from assistant.surfaces.slack.incoming import plain_text
from assistant.surfaces.slack.mrkdwn import escape, safe_markdown
from assistant.surfaces.slack.service import JobHandle

log = logging.getLogger(__name__)
MAX_STREAM_TEXT = 11_000  # chat.stopStream takes at most 12,000 characters of markdown
QUEUE_NOTE_AFTER_S = 1.0
STATUS_RETRY_S = 300.0  # a channel that refused setStatus is asked again after this


@dataclass
class AskJob:
    channel: str
    thread_ts: str | None  # the thread to answer in; None: in place (a DM outside threads)
    user: str
    text: str  # plain text (see incoming.plain_text)
    facts: Facts  # what Slack says about the conversation (type, external)
    team: str = ""
    note: str = ""  # markdown put before the answer (files it could not read)
    place: str = ""  # where Share posts the answer; "" = no Share button
    conversation: str = ""
    lang: Lang | None = None
    status: bool = True  # show assistant.threads.setStatus while working (threads only)
    lane: str = "light"  # set by submit: heavy (feedback summaries) or light
    response_url: str = ""  # set: a private reply through it (/cx), not a thread message
    handle: JobHandle | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.conversation:
            # A thread is a conversation; a DM written outside threads is one conversation too.
            self.conversation = (
                f"{self.channel}:{self.thread_ts}" if self.thread_ts else self.channel
            )
        if self.lang is None:
            self.lang = detect_lang(self.text) if self.text.strip() else "en"


def items_for(
    ctx: BotContext, job: AskJob, messages: list[dict], placeholder: str | None = None
) -> list[Outgoing]:
    """A reply's messages as outgoing items: the first replaces the placeholder (if any),
    the rest follow in the thread; a /cx reply goes through its response_url."""
    base = {"channel": job.channel, "thread_ts": job.thread_ts, "user": job.user,
            "ask": ctx.conversations.title(job.text), "lang": job.lang}  # fmt: skip
    items = []
    for n, message in enumerate(messages):
        if job.response_url:
            items.append(Outgoing("respond", {**base, **message,
                                              "response_url": job.response_url}))
        elif n == 0 and placeholder:
            items.append(Outgoing("update", {**base, **message, "ts": placeholder}))
        else:
            items.append(Outgoing("post", {**base, **message}))
    return items


def submit(ctx: BotContext, job: AskJob) -> None:
    """Queue an answer (called from a listener: returns at once; chat/intake.py routes and
    queues it). A request that has waited QUEUE_NOTE_AFTER_S without starting gets a note
    with its place in the queue; its answer then replaces that note."""
    labels = LABELS[job.lang or "en"]
    job.handle = ctx.hand_off()
    queued = QueueNote(ctx, job)
    held = job.handle.job
    if held is not None and held.note:  # told while it waited in the table for its turn
        queued.told(held.note)

    def on_queued(ahead: int) -> None:
        queued.schedule(labels["queued"].format(n=ahead) if ahead else labels["next"])

    def run(lane: str) -> None:
        job.lane = lane
        answer(ctx, job, queued.started())

    def on_refused() -> None:
        ctx.finish(job.handle, items_for(ctx, job, [note(labels["busy"])]))

    who = ctx.requester(job.user, job.facts, job.place)
    ctx.intake.submit(who, job.text, job.conversation, run, on_queued=on_queued,
                      on_refused=on_refused)  # fmt: skip


def waiting_place(body: str, agent_view: bool) -> tuple[str, str | None, str, str] | None:
    """Where the answer to a stored request will go: (channel, thread, response_url, what
    was asked), as the listeners decide it; None for what may not be a question (a reply
    between people in a thread, a click)."""
    if body.lstrip().startswith("{"):
        event = json.loads(body).get("event") or {}
        kind, channel, ts = event.get("type"), event.get("channel"), event.get("ts")
        if not channel or not ts or event.get("bot_id"):
            return None
        if kind == "app_mention":
            return channel, event.get("thread_ts") or ts, "", plain_text(event.get("text", ""))
        if kind == "message" and event.get("channel_type") == "im":
            thread = event.get("thread_ts") or (ts if agent_view else None)
            return channel, thread, "", plain_text(event.get("text", ""))
        return None
    form = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
    if form.get("command") and form.get("response_url"):
        return form.get("channel_id", ""), None, form["response_url"], form.get("text", "")
    return None


def waiting_note(ctx: BotContext, job: Job, ahead: int) -> str:
    """The note of a request that waits in the job table for its asker's turn (they have
    CX_SLACK_PER_USER answers running, maybe on other instances), with how many of their
    requests are before it: posted live; its ts ("" when there is none to replace)."""
    place = waiting_place(str(job.payload.get("body", "")), ctx.settings.cx_slack_agent_view)
    if place is None:
        return ""
    channel, thread_ts, response_url, text = place
    labels = LABELS[detect_lang(text) if text.strip() else "en"]
    message = note(labels["queued"].format(n=ahead) if ahead else labels["next"])
    if response_url:
        WebhookClient(response_url, timeout=10).send_dict(
            {"response_type": "ephemeral", "replace_original": False, **message})
        return ""
    return str(ctx.api.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)["ts"])


class QueueNote:
    """The "N requests ahead of yours" note: posted only if the request is still waiting
    after QUEUE_NOTE_AFTER_S (a wait of a moment needs no note), never after its answer.
    Shown live: when Slack does not take it, the answer simply comes without it."""

    def __init__(self, ctx: BotContext, job: AskJob) -> None:
        self.ctx, self.job = ctx, job
        self.ts: str | None = None
        self._state = "waiting"  # waiting -> posting -> posted, or -> started
        self._cond = threading.Condition()

    def told(self, note_ts: str) -> None:
        """A note was posted while the request waited in the job table (`waiting_note`):
        no other one; the answer replaces it ("-": it has no ts to replace)."""
        with self._cond:
            self.ts, self._state = (note_ts if note_ts != "-" else None), "posted"

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
            if self.job.response_url:
                WebhookClient(self.job.response_url, timeout=10).send_dict(
                    {"response_type": "ephemeral", "replace_original": False, **note(text)})
            else:
                resp = self.ctx.api.chat_postMessage(
                    channel=self.job.channel, thread_ts=self.job.thread_ts, **note(text)
                )
                ts = resp["ts"]
        except Exception as exc:
            log.info("posting a queue note in %s failed: %s", self.job.channel, str(exc)[:200])
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
    ctx: BotContext, job: AskJob, text: str, loading: list[str] | None = None
) -> bool:
    """assistant.threads.setStatus, live; False (logged, never raised) when Slack does not
    take it. A channel where Slack refused it is not asked again for STATUS_RETRY_S (a note
    is posted there instead); a rate limit or an outage is not remembered."""
    if not job.thread_ts or job.response_url:
        return False
    until = ctx.no_status.get(job.channel)
    if until is not None and time.monotonic() < until:
        return False
    try:
        ctx.api.assistant_threads_setStatus(
            channel_id=job.channel, thread_ts=job.thread_ts, status=text, loading_messages=loading
        )
        return True
    except Exception as exc:  # not an AI app, not allowed here, down…
        kind, _, reason = classify(exc)
        log.info("setStatus in %s failed: %s", job.channel, reason)
        if kind == "permanent":
            ctx.no_status[job.channel] = time.monotonic() + STATUS_RETRY_S
        return False


def answer(ctx: BotContext, job: AskJob, placeholder: str | None = None) -> None:
    """Answer one request (on a worker) and store the reply with its job."""
    handle = job.handle or JobHandle(None)
    items: list[Outgoing] = []
    try:
        items = _answer(ctx, job, placeholder)
    except Exception:  # never leave a job held without a reply
        log.exception("answering %r in %s failed", job.text[:200], job.channel)
        items = items_for(ctx, job, [note(escape(LABELS[job.lang or "en"]["error"]))],
                          placeholder)  # fmt: skip
    finally:
        ctx.finish(handle, items)


def _answer(ctx: BotContext, job: AskJob, placeholder: str | None) -> list[Outgoing]:
    lang: Lang = job.lang or "en"
    labels = LABELS[lang]
    loading = labels["loading_heavy" if job.lane == "heavy" else "loading"]
    status = job.status and set_status(ctx, job, labels["thinking"], loading)
    if placeholder is None and not status and not job.response_url:
        try:
            working = ctx.api.chat_postMessage(
                channel=job.channel, thread_ts=job.thread_ts, **note(labels["working"])
            )
            placeholder = working["ts"]
        except Exception as exc:  # the answer is stored and delivered all the same
            log.info("posting 'working on it' in %s failed: %s", job.channel, str(exc)[:200])
    stream = None
    try:
        if ctx.settings.llm_enabled and job.thread_ts and not job.response_url:
            stream = Streamer(ctx, job)
        who = ctx.requester(job.user, job.facts, job.place)
        reply = ctx.conversations.ask(
            job.text, job.conversation, who, on_text=stream.write if stream else None
        )
        result, answer_id = reply.answer, reply.answer_id or ""
        if job.note:
            result.answer = f"{job.note}\n\n{result.answer}"
        links = ctx.conversations.source_links()
        shareable = bool(job.place)
        streamed = (stream.finish(result, answer_id, shareable, links, placeholder)
                    if stream is not None else None)  # fmt: skip
        if streamed is not None:
            items = streamed
            cleared = True  # a new message clears the status
        else:
            messages = answer_messages(result, answer_id, shareable, links)
            items = items_for(ctx, job, messages, placeholder)
            cleared = placeholder is None
        items += uploads(job, result)
    except Exception:
        log.exception("answering %r in %s failed", job.text[:200], job.channel)
        items = stream.abandon() if stream is not None else []
        if not items:  # else the stopped stream's message says it
            items = items_for(ctx, job, [note(escape(labels["error"]))], placeholder)
        cleared = placeholder is None
    if status and not cleared:  # a chat.update does not clear it; a new message does
        items.append(Outgoing("status", {"channel": job.channel, "thread_ts": job.thread_ts,
                                         "status": "", "best_effort": True}))  # fmt: skip
    return items


def uploads(job: AskJob, answer: Answer) -> list[Outgoing]:
    """The answer's charts as uploads in its thread (a private /cx reply cannot carry a
    file: its charts are deleted)."""
    items = []
    for attachment in answer.attachments:
        if job.response_url:
            Path(attachment.path).unlink(missing_ok=True)
            continue
        items.append(Outgoing("upload", {"channel": job.channel, "thread_ts": job.thread_ts,
                                         "path": str(attachment.path),
                                         "title": attachment.title or "chart",
                                         "best_effort": True}))  # fmt: skip
    return items


class Streamer:
    """The model's text streamed into the thread as it is written (LLM mode).

    `write` is called on the model's thread with the text so far and never raises: a Slack
    error pauses (429: until Retry-After) or ends streaming, never the model. Text is sent
    up to the last whitespace only, made safe (escaped, no links), at most once per
    CX_SLACK_STREAM_INTERVAL_S. `finish` stops the stream with the sources and the buttons
    (live), or says what the outbox must deliver instead."""

    def __init__(self, ctx: BotContext, job: AskJob) -> None:
        self.ctx, self.job = ctx, job
        self.interval = ctx.settings.cx_slack_stream_interval_s
        self.client: WebClient = ctx.api  # no 429 retries: Retry-After is waited out here
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
                self.stream = self.client.chat_stream(
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
                wait = retry_after(exc)
                self.retry_at = time.monotonic() + wait
                # The stream keeps the unsent text in its buffer and sends it next time.
                self.sent = upto
                log.info("streaming rate limited in %s; waiting %.0f s", self.job.channel, wait)
            else:
                self.broken = True
                log.warning("streaming into %s stopped: %s", self.job.channel, exc)
        except OSError as exc:  # Slack unreachable: the outbox delivers the whole answer
            self.broken = True
            log.warning("streaming into %s stopped: %s", self.job.channel, str(exc)[:200])

    def finish(
        self, answer: Answer, answer_id: str, shareable: bool, links: dict, placeholder: str | None
    ) -> list[Outgoing] | None:
        """Stop the stream with the rest of the answer, its sources and its buttons: []
        when that worked. None when nothing was streamed (the caller stores the answer
        whole). Otherwise (streaming broke, Slack is down, or the final answer is not what
        was streamed: an offline fallback) the items that make the streamed message the
        whole final answer: stored, delivered when Slack takes them."""
        with self._lock:
            stream, sent, text = self.stream, self.sent, self.text
            self.broken = True  # no more writes
        if stream is None or (stream.ts is None and sent == 0):
            return None
        items: list[Outgoing] = []
        if placeholder:
            items.append(Outgoing("delete", {"channel": self.job.channel, "ts": placeholder,
                                             "best_effort": True}))  # fmt: skip
        final = answer.answer
        streamed = text[:sent].lstrip()  # the final answer is stripped
        rest = final[len(streamed) :] if final.startswith(streamed) else None
        if rest is not None and len(rest) <= MAX_STREAM_TEXT:
            try:
                blocks = tail_blocks(answer, answer_id, shareable, links)
                self.stopped = True
                stream.stop(markdown_text=safe_markdown(rest) or None, blocks=blocks)
                return items
            except Exception as exc:
                log.warning("stopping the stream in %s failed: %s", self.job.channel, exc)
        return items + self._replacement(answer_messages(answer, answer_id, shareable, links))

    def _replacement(self, messages: list[dict]) -> list[Outgoing]:
        """The streamed message stopped and replaced by `messages` (the outbox does it)."""
        ts = self.stream.ts if self.stream is not None else None
        items = items_for(self.ctx, self.job, messages)
        if ts:
            first = items[0]
            items[0] = Outgoing("replace_stream", {**first.payload, "ts": ts})
        return items

    def abandon(self) -> list[Outgoing]:
        """The answer failed: a stream that started is stopped (from the outbox)."""
        with self._lock:
            self.broken = True
            stream = self.stream
        if stream is not None and stream.ts and not self.stopped:
            return [Outgoing("replace_stream", {"channel": self.job.channel, "ts": stream.ts,
                                                **note(escape(LABELS[self.job.lang or "en"]
                                                              ["error"]))})]  # fmt: skip
        return []
