"""Slack's AI-app container (the legacy assistant view, and DM threads in the agent view).

A new thread gets a greeting in the user's language (their Slack locale) and starter prompts
the policy lets them run. A message in a thread is answered like a DM (files included), with
a status and loading messages while it works (a failing status never stops the answer), a
title from the first question, and the channel the user is viewing (the thread context) as
the place its Share button posts to.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Assistant, BoltContext, Say, SetSuggestedPrompts, SetTitle
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore

from assistant.core.text import Lang, detect_lang
from assistant.surfaces.slack.answering import AskJob, submit
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.files import readable_file, run_ingest, unreadable_note
from assistant.surfaces.slack.incoming import plain_text
from assistant.surfaces.slack.threads import add_asker, bot_in_thread

log = logging.getLogger(__name__)
PROMPTS_TITLE = {"en": "How can I help?", "vi": "Tôi có thể giúp gì?"}


class ThreadContextStore(AssistantThreadContextStore):
    """Thread context (what the user is viewing) kept in memory: Bolt's default store reads
    the thread back from Slack on every message."""

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        self.ctx.viewing[f"{channel_id}:{thread_ts}"] = dict(context or {})

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        found = self.ctx.viewing.get(f"{channel_id}:{thread_ts}")
        return AssistantThreadContext(found) if found else None


def user_lang(ctx: BotContext, client: Any, user: str) -> Lang | None:
    """The user's language from their Slack locale (users.info), cached; None if unknown."""
    if not user:
        return None
    cached = ctx.locales.get(user)
    if cached is None:
        try:
            info = client.users_info(user=user, include_locale=True)
            locale = str((info.get("user") or {}).get("locale") or "")
        except Exception as exc:
            log.info("users.info for a locale failed: %s", str(exc)[:200])
            return None  # not cached: a later call may work
        cached = ("vi" if locale.lower().startswith("vi") else "en") if locale else ""
        ctx.locales[user] = cached
    return cached or None  # type: ignore[return-value]


def prompts_for(
    ctx: BotContext, client: Any, user: str, channel: str
) -> tuple[list[dict[str, str]], str]:
    lang = user_lang(ctx, client, user) or "en"
    who = ctx.requester(user, channel, is_channel=False)
    prompts = ctx.conversations.suggested_prompts(who, lang)
    return [{"title": p.title, "message": p.message} for p in prompts], PROMPTS_TITLE[lang]


def viewing_channel(ctx: BotContext, conversation: str) -> str:
    """The channel the user is viewing, if it is one a shared answer could go to."""
    channel = str((ctx.viewing.get(conversation) or {}).get("channel_id") or "")
    return channel if channel.startswith(("C", "G")) else ""


def register(app: App, ctx: BotContext) -> None:
    assistant = Assistant(thread_context_store=ThreadContextStore(ctx))

    @assistant.thread_started
    def started(
        payload: dict[str, Any], say: Say, set_suggested_prompts: SetSuggestedPrompts,
        client: Any,
    ) -> None:  # fmt: skip
        thread = payload["assistant_thread"]
        user, channel = thread.get("user_id", ""), thread["channel_id"]
        conversation = f"{channel}:{thread['thread_ts']}"
        ctx.viewing[conversation] = dict(thread.get("context") or {})
        ctx.threads[conversation] = True  # started here: nothing to read back from Slack
        who = ctx.requester(user, channel, is_channel=False)
        lang = user_lang(ctx, client, user)
        greetings = [ctx.conversations.greeting(who, lang)] if lang else [
            ctx.conversations.greeting(who, "en"), ctx.conversations.greeting(who, "vi")
        ]  # fmt: skip
        say(text="\n".join(greetings))
        prompts, title = prompts_for(ctx, client, user, channel)
        set_suggested_prompts(prompts=prompts, title=title)

    @assistant.user_message
    def on_user_message(
        payload: dict[str, Any], client: Any, context: BoltContext, set_title: SetTitle
    ) -> None:
        channel, thread_ts = payload["channel"], payload["thread_ts"]
        if not ctx.dedupe.first_time(f"msg:{channel}:{payload.get('ts')}"):
            return
        user, bot = payload.get("user", ""), context.bot_user_id
        text = plain_text(payload.get("text", ""), bot)
        conversation = f"{channel}:{thread_ts}"
        lang: Lang = detect_lang(text) if text.strip() else "en"
        f = readable_file(payload)
        if f is not None:  # a feedback file in an assistant thread: as in a DM
            run_ingest(ctx, client, f=f, channel=channel, thread_ts=thread_ts, user=user,
                       lang=lang, text=text)  # fmt: skip
            return
        bot_in_thread(ctx, client, channel, thread_ts, bot_user=bot, bot_id=context.bot_id,
                      before=payload.get("ts", ""))  # fmt: skip
        if not ctx.conversations.has_history(conversation) and text:
            try:
                set_title(ctx.conversations.title(text))
            except Exception as exc:
                log.info("setting the thread title failed: %s", str(exc)[:200])
        add_asker(ctx, conversation, user)
        submit(ctx, client, AskJob(
            channel=channel, thread_ts=thread_ts, user=user, text=text, shared=False,
            team=context.team_id or "", note=unreadable_note(payload, lang),
            place=viewing_channel(ctx, conversation),
        ))  # fmt: skip

    app.assistant(assistant)
