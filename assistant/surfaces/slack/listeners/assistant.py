"""Slack's AI-app container (the agent view, and the older assistant view).

A new thread gets a greeting in the user's language (their Slack locale) and starter prompts
the policy lets them run. A message in a thread is answered like a DM (files included), with
a status and loading messages while it works (a failing status never stops the answer), a
title from the first question, and the channel the user is viewing (the thread context) as
the place its Share button posts to. In the agent view (CX_SLACK_AGENT_VIEW, as the manifest
sets it) suggested prompts are set without `thread_ts`: Slack ignores the call otherwise.
Everything here runs on a dispatcher; replies, prompts and titles go through the outbox.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Assistant, BoltContext
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore

from assistant.core.text import Lang, detect_lang
from assistant.storage.outbox import Outgoing
from assistant.surfaces.slack.answering import AskJob, submit
from assistant.surfaces.slack.blocks import note
from assistant.surfaces.slack.context import PRIVATE, BotContext
from assistant.surfaces.slack.files import readable_file, run_ingest, unreadable_note
from assistant.surfaces.slack.incoming import plain_text
from assistant.surfaces.slack.service import RetryLater
from assistant.surfaces.slack.threads import add_asker, bot_in_thread

log = logging.getLogger(__name__)
PROMPTS_TITLE = {"en": "How can I help?", "vi": "Tôi có thể giúp gì?"}


class ThreadContextStore(AssistantThreadContextStore):
    """Thread context (what the user is viewing) kept in the shared store: Bolt's default
    store reads the thread back from Slack on every message."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        self.ctx.viewing.put(f"{channel_id}:{thread_ts}", dict(context or {}))

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        found = self.ctx.viewing.get(f"{channel_id}:{thread_ts}")
        return AssistantThreadContext(found) if found else None


def user_lang(ctx: BotContext, user: str) -> Lang | None:
    """The user's language from their Slack locale (users.info), cached; None if unknown."""
    if not user:
        return None
    cached = ctx.locales.get(user)
    if cached is None:
        try:
            info = ctx.api.users_info(user=user, include_locale=True)
            locale = str((info.get("user") or {}).get("locale") or "")
        except Exception as exc:
            log.info("users.info for a locale failed: %s", str(exc)[:200])
            return None  # not cached: a later call may work
        cached = ("vi" if locale.lower().startswith("vi") else "en") if locale else ""
        ctx.locales[user] = cached
    return cached or None  # type: ignore[return-value]


def prompts_for(ctx: BotContext, user: str) -> tuple[list[dict[str, str]], str]:
    lang = user_lang(ctx, user) or "en"
    who = ctx.requester(user, PRIVATE)
    prompts = ctx.conversations.suggested_prompts(who, lang)
    return [{"title": p.title, "message": p.message} for p in prompts], PROMPTS_TITLE[lang]


def set_prompts(
    ctx: BotContext, channel: str, thread_ts: str | None, prompts: list[dict], title: str
) -> Outgoing:
    """assistant.threads.setSuggestedPrompts, as an outgoing item: in the agent view
    without `thread_ts` (Slack's docs: with it the call fails silently there)."""
    payload: dict[str, Any] = {"channel": channel, "prompts": prompts, "title": title,
                               "best_effort": True}  # fmt: skip
    if thread_ts and not ctx.settings.cx_slack_agent_view:
        payload["thread_ts"] = thread_ts
    return Outgoing("prompts", payload)


def viewing_channel(ctx: BotContext, conversation: str) -> str:
    """The channel the user is viewing (Slack's thread context), where Share would post."""
    return str((ctx.viewing.get(conversation) or {}).get("channel_id") or "")


def register(app: App, ctx: BotContext) -> None:
    assistant = Assistant(thread_context_store=ThreadContextStore(ctx))

    @assistant.thread_started
    def started(payload: dict[str, Any]) -> None:
        thread = payload["assistant_thread"]
        user, channel, thread_ts = thread.get("user_id", ""), thread["channel_id"], \
            thread["thread_ts"]  # fmt: skip
        conversation = f"{channel}:{thread_ts}"
        ctx.viewing.put(conversation, dict(thread.get("context") or {}))
        ctx.threads[conversation] = True  # started here: nothing to read back from Slack
        who = ctx.requester(user, PRIVATE)
        lang = user_lang(ctx, user)
        greetings = [ctx.conversations.greeting(who, lang)] if lang else [
            ctx.conversations.greeting(who, "en"), ctx.conversations.greeting(who, "vi")
        ]  # fmt: skip
        greeting = note("\n".join(greetings))
        prompts, title = prompts_for(ctx, user)
        ctx.reply(
            Outgoing("post", {"channel": channel, "thread_ts": thread_ts, **greeting}),
            set_prompts(ctx, channel, thread_ts, prompts, title),
        )

    @assistant.user_message
    def on_user_message(payload: dict[str, Any], context: BoltContext) -> None:
        key = f"msg:{payload['channel']}:{payload.get('ts')}"
        if not ctx.first_time(key):
            return
        try:
            user_message(payload, context)
        except RetryLater:
            ctx.seen.forget(key)
            raise

    def user_message(payload: dict[str, Any], context: BoltContext) -> None:
        channel, thread_ts = payload["channel"], payload["thread_ts"]
        user, bot = payload.get("user", ""), context.bot_user_id
        text = plain_text(payload.get("text", ""), bot)
        conversation = f"{channel}:{thread_ts}"
        lang: Lang = detect_lang(text) if text.strip() else "en"
        f = readable_file(payload)
        if f is not None:  # a feedback file in an assistant thread: as in a DM
            run_ingest(ctx, f=f, channel=channel, thread_ts=thread_ts, user=user, lang=lang,
                       text=text)  # fmt: skip
            return
        bot_in_thread(ctx, channel, thread_ts, bot_user=bot, bot_id=context.bot_id,
                      before=payload.get("ts", ""))  # fmt: skip
        if not ctx.conversations.has_history(conversation) and text:
            ctx.reply(Outgoing("title", {"channel": channel, "thread_ts": thread_ts,
                                         "title": ctx.conversations.title(text),
                                         "best_effort": True}))  # fmt: skip
        add_asker(ctx, conversation, user)
        submit(ctx, AskJob(
            channel=channel, thread_ts=thread_ts, user=user, text=text, facts=PRIVATE,
            team=context.team_id or "", note=unreadable_note(payload, lang),
            place=viewing_channel(ctx, conversation),
        ))  # fmt: skip

    app.assistant(assistant)
