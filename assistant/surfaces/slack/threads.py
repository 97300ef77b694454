"""Threads the bot takes part in, and their memory after a restart.

Conversation memory lives in the process, or in the shared store when CX_DATABASE_URL is
set (several instances; then it survives a restart too). After a restart a follow-up in an
existing thread would find none, so the first reply seen in such a thread reads it once
(conversations.replies), tells whether the bot answered there, and rebuilds the memory from
its question/answer pairs. The result is cached per thread, so a thread the bot is not in
costs one call, not one per message. It runs on a dispatcher, never on the thread that
acknowledged; when Slack rate limits or cannot be reached, a mention is answered without
the history, and a reply that only the history can decide waits (its job is put back).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.delivery import classify
from assistant.surfaces.slack.incoming import plain_text
from assistant.surfaces.slack.service import wait_for_slack

log = logging.getLogger(__name__)
HUMAN_SUBTYPES = (None, "file_share", "thread_broadcast")


def _from_bot(message: dict[str, Any], bot_user: str | None, bot_id: str | None) -> bool:
    return bool(
        (bot_user and message.get("user") == bot_user)
        or (bot_id and message.get("bot_id") == bot_id)
    )


def turns_of(
    messages: list[dict[str, Any]], bot_user: str | None, bot_id: str | None, before: str
) -> tuple[list[tuple[str, str]], set[str]]:
    """(question, answer) pairs of a thread before `before` (a ts), and who asked them: a
    person's message followed by the bot's reply."""
    turns: list[tuple[str, str]] = []
    askers: set[str] = set()
    question: tuple[str, str] | None = None
    for m in sorted(messages, key=lambda m: float(m.get("ts", "0") or 0)):
        if float(m.get("ts", "0") or 0) >= float(before or "inf"):
            break
        if _from_bot(m, bot_user, bot_id):
            if question is not None:
                turns.append((question[1], plain_text(m.get("text", ""), bot_user)))
                askers.add(question[0])
                question = None
        elif not m.get("bot_id") and m.get("subtype") in HUMAN_SUBTYPES:
            text = plain_text(m.get("text", ""), bot_user)
            if text:
                question = (m.get("user", ""), text)
    return turns, askers


def bot_in_thread(
    ctx: BotContext,
    channel: str,
    thread_ts: str,
    *,
    bot_user: str | None,
    bot_id: str | None,
    before: str,
    strict: bool = False,
) -> bool:
    """Whether the bot has answered in this thread; rebuilds its memory if it was lost.
    `strict`: when Slack cannot say now, raise RetryLater instead of answering False."""
    conversation = f"{channel}:{thread_ts}"
    if ctx.conversations.has_history(conversation):
        return True
    known = ctx.threads.get(conversation)
    if known is not None:
        return known
    with ctx.thread_reads.setdefault(conversation, threading.Lock()):
        # Another message of the same thread may have read it while this one waited.
        if ctx.conversations.has_history(conversation):
            return True
        known = ctx.threads.get(conversation)
        if known is not None:
            return known
        return _read_thread(ctx, channel, thread_ts, conversation, bot_user=bot_user,
                            bot_id=bot_id, before=before, strict=strict)  # fmt: skip


def _read_thread(
    ctx: BotContext,
    channel: str,
    thread_ts: str,
    conversation: str,
    *,
    bot_user: str | None,
    bot_id: str | None,
    before: str,
    strict: bool,
) -> bool:
    try:
        resp = ctx.api.conversations_replies(channel=channel, ts=thread_ts, limit=200)
        messages = list(resp.get("messages") or [])
    except Exception as exc:  # not allowed, not found, rate limited: not cached
        log.info("reading thread %s failed: %s", conversation, classify(exc)[2])
        if strict:
            wait_for_slack(exc, ctx.settings.cx_slack_retry_base_s)
        return False
    inside = any(_from_bot(m, bot_user, bot_id) for m in messages)
    turns, askers = turns_of(messages, bot_user, bot_id, before)
    if turns:
        restored = ctx.conversations.restore(conversation, turns)
        log.info("restored %d turn(s) of %s", restored, conversation)
    for user in askers:
        add_asker(ctx, conversation, user)
    ctx.threads[conversation] = inside
    return inside


def add_asker(ctx: BotContext, conversation: str, user: str) -> None:
    if user:
        known = ctx.known_askers.get(conversation) or frozenset()
        if user not in known:
            ctx.askers.add(conversation, user)
            ctx.known_askers[conversation] = known | {user}
        ctx.threads[conversation] = True


def is_asker(ctx: BotContext, conversation: str, user: str) -> bool:
    """Known here, or recorded by another instance sharing the store."""
    if user in (ctx.known_askers.get(conversation) or frozenset()):
        return True
    return ctx.askers.has(conversation, user)
