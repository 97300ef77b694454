"""Mentions in channels, direct messages outside threads, replies in channel threads, files
shared in a DM, and the Messages tab of the agent view (app_home_opened).

These run on a dispatcher (service.py), after the front door stored and acknowledged the
event: every Web API call here (a thread's history, a conversation's facts, the user's
language) may wait on Slack without holding an acknowledgement.

Thread etiquette: a reply in a channel thread without a mention is answered only when the
bot is in that thread and the reply comes from someone who asked it something there, or is a
question for the assistant (not talk between people, not addressed to someone else). A
message is answered once per channel and ts: an edited mention is not answered again.
In the agent view a top-level DM is answered in a thread of its own (with a status and, in
LLM mode, streaming), as Slack's agent view expects.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from assistant.core.text import Lang, detect_lang
from assistant.storage.outbox import Outgoing
from assistant.surfaces.slack.answering import AskJob, submit
from assistant.surfaces.slack.context import PRIVATE, BotContext
from assistant.surfaces.slack.facts import Facts
from assistant.surfaces.slack.files import readable_file, run_ingest, unreadable_note
from assistant.surfaces.slack.incoming import mentions_others, plain_text
from assistant.surfaces.slack.listeners.assistant import prompts_for, set_prompts
from assistant.surfaces.slack.service import RetryLater
from assistant.surfaces.slack.threads import add_asker, bot_in_thread, is_asker

log = logging.getLogger(__name__)


def first_time(ctx: BotContext, event: dict[str, Any]) -> bool:
    """Slack sends a mention again when it is edited (same channel and ts): answer once."""
    return ctx.first_time(key_of(event))


def key_of(event: dict[str, Any]) -> str:
    return f"msg:{event.get('channel')}:{event.get('ts')}"


def not_yet(ctx: BotContext, event: dict[str, Any]) -> None:
    """The message waits for Slack (RetryLater): its next run must not count as a repeat."""
    ctx.seen.forget(key_of(event))


def lang_of(text: str) -> Lang:
    return detect_lang(text) if text.strip() else "en"


def facts_of(ctx: BotContext, body: dict[str, Any], event: dict[str, Any]) -> Facts:
    """Slack's facts about the event's conversation: the event's own fields first."""
    ext = body.get("is_ext_shared_channel")
    return ctx.facts.of(ctx.api, event["channel"], event.get("channel_type"),
                        ext if isinstance(ext, bool) else None)  # fmt: skip


def register(app: App, ctx: BotContext) -> None:
    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        if not first_time(ctx, event):
            return
        try:
            mention(body, event, context)
        except RetryLater:
            not_yet(ctx, event)
            raise

    def mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        bot = context.bot_user_id
        channel, user = event["channel"], event.get("user", "")
        text = plain_text(event.get("text", ""), bot)
        thread_ts = event.get("thread_ts") or event["ts"]
        facts = facts_of(ctx, body, event)
        if event.get("thread_ts"):  # rebuild the thread's memory if a restart lost it
            bot_in_thread(ctx, channel, thread_ts, bot_user=bot, bot_id=context.bot_id,
                          before=event["ts"])  # fmt: skip
        add_asker(ctx, f"{channel}:{thread_ts}", user)
        submit(ctx, AskJob(
            channel=channel, thread_ts=thread_ts, user=user, text=text, facts=facts,
            team=context.team_id or "", note=unreadable_note(event, lang_of(text)),
        ))  # fmt: skip

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        if event.get("bot_id") or event.get("subtype") not in (None, "file_share",
                                                                "thread_broadcast"):
            return
        bot = context.bot_user_id
        raw = event.get("text", "")
        if event.get("channel_type") != "im" and bot and f"<@{bot}>" in raw:
            return  # a mention: on_mention answers it
        if not first_time(ctx, event):
            return
        text = plain_text(raw, bot)
        if event.get("channel_type") == "im":
            # DM threads belong to the assistant listener; this is a DM outside threads.
            on_direct_message(ctx, context, event, text)
            return
        if event.get("thread_ts"):
            try:
                reply_in_thread(ctx, context, body, event, text)
            except RetryLater:
                not_yet(ctx, event)
                raise

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any]) -> None:
        # Agent view: opening the Messages tab (the agent DM) shows the starter prompts.
        if event.get("tab") != "messages" or not event.get("channel"):
            return
        prompts, title = prompts_for(ctx, event.get("user", ""))
        ctx.reply(set_prompts(ctx, event["channel"], None, prompts, title))

    @app.event("assistant_thread_context_changed")
    def on_context_changed(event: dict[str, Any]) -> None:
        thread = event.get("assistant_thread") or {}
        if thread.get("channel_id") and thread.get("thread_ts"):
            key = f"{thread['channel_id']}:{thread['thread_ts']}"
            ctx.viewing.put(key, dict(thread.get("context") or {}))


def on_direct_message(
    ctx: BotContext, context: BoltContext, event: dict[str, Any], text: str
) -> None:
    channel, user = event["channel"], event.get("user", "")
    lang = lang_of(text)
    agent_view = ctx.settings.cx_slack_agent_view
    # The agent view answers a top-level DM in a thread of its own; the older view in place.
    thread_ts = event.get("thread_ts") or (event["ts"] if agent_view else None)
    f = readable_file(event)
    if f is not None:
        run_ingest(ctx, f=f, channel=channel, thread_ts=event.get("thread_ts") or event["ts"],
                   user=user, lang=lang, text=text)  # fmt: skip
        return
    if agent_view and text and not event.get("thread_ts"):
        ctx.reply(Outgoing("title", {"channel": channel, "thread_ts": thread_ts,
                                     "title": ctx.conversations.title(text),
                                     "best_effort": True}))  # fmt: skip
    submit(ctx, AskJob(
        channel=channel, thread_ts=thread_ts, user=user, text=text, facts=PRIVATE,
        team=context.team_id or "", note=unreadable_note(event, lang), status=agent_view,
    ))  # fmt: skip


def reply_in_thread(
    ctx: BotContext, context: BoltContext, body: dict[str, Any], event: dict[str, Any],
    text: str,
) -> None:  # fmt: skip
    """A reply without a mention in a channel thread: answered only in a thread the bot is
    in, from someone who asked it something there or as a question for the assistant."""
    channel, user, thread_ts = event["channel"], event.get("user", ""), event["thread_ts"]
    bot = context.bot_user_id
    conversation = f"{channel}:{thread_ts}"
    inside = bot_in_thread(ctx, channel, thread_ts, bot_user=bot, bot_id=context.bot_id,
                           before=event["ts"], strict=True)  # fmt: skip
    if not inside or mentions_others(event.get("text", ""), bot):
        return
    if not is_asker(ctx, conversation, user) and not ctx.conversations.addressed_to_assistant(
        text, conversation
    ):
        return  # talk between people in the thread
    add_asker(ctx, conversation, user)
    submit(ctx, AskJob(
        channel=channel, thread_ts=thread_ts, user=user, text=text,
        facts=facts_of(ctx, body, event), team=context.team_id or "",
        note=unreadable_note(event, lang_of(text)),
    ))  # fmt: skip
