"""Posting an answer: a 'working…' message first, then the answer in its place (split
across messages when long), its chart as an image, and every error as a short message."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from assistant.bots.slack.blocks import LABELS, answer_messages
from assistant.bots.slack.context import BotContext
from assistant.text import detect_lang

log = logging.getLogger(__name__)


def answer_in_thread(
    ctx: BotContext,
    client: Any,
    *,
    channel: str,
    thread_ts: str | None,
    user: str,
    text: str,
    is_channel: bool,
    note: str = "",
) -> None:
    lang = detect_lang(text) if text.strip() else "en"
    working = client.chat_postMessage(
        channel=channel, thread_ts=thread_ts, text=LABELS[lang]["working"]
    )
    try:
        # A thread is a conversation; a DM written outside threads is one conversation too.
        conversation = f"{channel}:{thread_ts}" if thread_ts else channel
        last = [0.0]

        def stream(partial: str) -> None:
            # LLM mode: show the answer as it is written, at most once per interval.
            now = time.monotonic()
            if now - last[0] >= ctx.settings.cx_slack_stream_interval_s:
                last[0] = now
                client.chat_update(channel=channel, ts=working["ts"], text=partial[:3000] + " …")

        reply = ctx.conversations.ask(
            text, conversation, ctx.requester(user, channel, is_channel), on_text=stream
        )
        answer, answer_id = reply.answer, reply.answer_id or ""
        if note:
            answer.answer = f"{note}\n\n{answer.answer}"
        messages = answer_messages(answer, answer_id)
        client.chat_update(channel=channel, ts=working["ts"], **messages[0])
        for extra in messages[1:]:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, **extra)
        for attachment in answer.attachments:
            try:
                client.files_upload_v2(
                    channel=channel,
                    thread_ts=thread_ts,
                    file=attachment.path,
                    title=attachment.title or "chart",
                )
            finally:
                Path(attachment.path).unlink(missing_ok=True)  # charts never pile up
    except Exception:
        log.exception("answering %r in %s failed", text[:200], channel)
        client.chat_update(channel=channel, ts=working["ts"], text=LABELS[lang]["error"])
