"""Threads the bot takes part in, and their memory after a restart.

Conversation memory lives in the process. After a restart a follow-up in an existing thread
would find none, so the first reply seen in such a thread reads the thread once
(conversations.replies), tells whether the bot answered there, and rebuilds the memory from
its question/answer pairs. The result is cached per thread, so a thread the bot is not in
costs one call, not one per message.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.incoming import plain_text

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
    client: Any,
    channel: str,
    thread_ts: str,
    *,
    bot_user: str | None,
    bot_id: str | None,
    before: str,
) -> bool:
    """Whether the bot has answered in this thread; rebuilds its memory if it was lost."""
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
        return _read_thread(ctx, client, channel, thread_ts, conversation,
                            bot_user=bot_user, bot_id=bot_id, before=before)  # fmt: skip


def _read_thread(
    ctx: BotContext,
    client: Any,
    channel: str,
    thread_ts: str,
    conversation: str,
    *,
    bot_user: str | None,
    bot_id: str | None,
    before: str,
) -> bool:
    try:
        resp = client.conversations_replies(channel=channel, ts=thread_ts, limit=200)
        messages = list(resp.get("messages") or [])
    except Exception as exc:  # not allowed, not found, rate limited: treat as unknown
        log.info("reading thread %s failed: %s", conversation, str(exc)[:200])
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
        askers = ctx.askers.get(conversation) or frozenset()
        ctx.askers[conversation] = askers | {user}
        ctx.threads[conversation] = True


def is_asker(ctx: BotContext, conversation: str, user: str) -> bool:
    return user in (ctx.askers.get(conversation) or frozenset())
