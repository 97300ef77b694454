"""Mentions in channels, direct messages outside threads, replies in channel threads, files
shared in a DM, and the Messages tab of the agent view (app_home_opened).

Thread etiquette: a reply in a channel thread without a mention is answered only when the
bot is in that thread and the reply comes from someone who asked it something there, or is a
question for the assistant (not talk between people, not addressed to someone else). A
message is answered once per channel and ts: an edited mention is not answered again.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext

from assistant.core.text import Lang, detect_lang
from assistant.surfaces.slack.answering import AskJob, submit
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.files import readable_file, run_ingest, unreadable_note
from assistant.surfaces.slack.incoming import mentions_others, plain_text
from assistant.surfaces.slack.listeners.assistant import prompts_for
from assistant.surfaces.slack.threads import add_asker, bot_in_thread, is_asker

log = logging.getLogger(__name__)
HANDLED_SUBTYPES = (None, "file_share", "thread_broadcast")


def first_time(ctx: BotContext, event: dict[str, Any]) -> bool:
    """Slack sends a mention again when it is edited (same channel and ts): answer once."""
    return ctx.dedupe.first_time(f"msg:{event.get('channel')}:{event.get('ts')}")


def lang_of(text: str) -> Lang:
    return detect_lang(text) if text.strip() else "en"


def register(app: App, ctx: BotContext) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: Any, context: BoltContext) -> None:
        if not first_time(ctx, event):
            return
        bot = context.bot_user_id
        channel, user = event["channel"], event.get("user", "")
        text = plain_text(event.get("text", ""), bot)
        thread_ts = event.get("thread_ts") or event["ts"]
        if event.get("thread_ts"):  # rebuild the thread's memory if a restart lost it
            bot_in_thread(ctx, client, channel, thread_ts, bot_user=bot,
                          bot_id=context.bot_id, before=event["ts"])  # fmt: skip
        add_asker(ctx, f"{channel}:{thread_ts}", user)
        submit(ctx, client, AskJob(
            channel=channel, thread_ts=thread_ts, user=user, text=text, shared=True,
            team=context.team_id or "", note=unreadable_note(event, lang_of(text)),
        ))  # fmt: skip

    @app.event("message")
    def on_message(event: dict[str, Any], client: Any, context: BoltContext) -> None:
        if event.get("bot_id") or event.get("subtype") not in HANDLED_SUBTYPES:
            return
        bot = context.bot_user_id
        raw = event.get("text", "")
        if event.get("channel_type") != "im" and bot and f"<@{bot}>" in raw:
            return  # a mention: on_mention answers it
        if not first_time(ctx, event):
            return
        text = plain_text(raw, bot)
        if event.get("channel_type") == "im":
            # DM threads belong to the assistant listener; this is a DM outside threads,
            # answered in place as one conversation.
            on_direct_message(ctx, client, context, event, text)
            return
        thread_ts = event.get("thread_ts")
        if not thread_ts:
            return
        # Deciding needs Slack (the thread, after a restart) and routing (CPU): not here.
        ctx.background(reply_in_thread, ctx, client, context, event, text)

    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: Any) -> None:
        # Agent view: opening the Messages tab (the agent DM) shows the starter prompts.
        if event.get("tab") != "messages" or not event.get("channel"):
            return
        prompts, title = prompts_for(ctx, client, event.get("user", ""), event["channel"])
        try:
            client.assistant_threads_setSuggestedPrompts(
                channel_id=event["channel"], prompts=prompts, title=title
            )
        except Exception as exc:
            log.info("setting suggested prompts failed: %s", str(exc)[:200])


def on_direct_message(
    ctx: BotContext, client: Any, context: BoltContext, event: dict[str, Any], text: str
) -> None:
    channel, user = event["channel"], event.get("user", "")
    lang = lang_of(text)
    f = readable_file(event)
    if f is not None:
        run_ingest(ctx, client, f=f, channel=channel, thread_ts=event.get("thread_ts")
                   or event["ts"], user=user, lang=lang, text=text)  # fmt: skip
        return
    submit(ctx, client, AskJob(
        channel=channel, thread_ts=event.get("thread_ts"), user=user, text=text, shared=False,
        team=context.team_id or "", note=unreadable_note(event, lang), status=False,
    ))  # fmt: skip


def reply_in_thread(
    ctx: BotContext, client: Any, context: BoltContext, event: dict[str, Any], text: str
) -> None:
    """A reply without a mention in a channel thread: answered only in a thread the bot is
    in, from someone who asked it something there or as a question for the assistant."""
    channel, user, thread_ts = event["channel"], event.get("user", ""), event["thread_ts"]
    bot = context.bot_user_id
    conversation = f"{channel}:{thread_ts}"
    inside = bot_in_thread(ctx, client, channel, thread_ts, bot_user=bot,
                           bot_id=context.bot_id, before=event["ts"])  # fmt: skip
    if not inside or mentions_others(event.get("text", ""), bot):
        return
    if not is_asker(ctx, conversation, user) and not ctx.conversations.addressed_to_assistant(
        text, conversation
    ):
        return  # talk between people in the thread
    add_asker(ctx, conversation, user)
    submit(ctx, client, AskJob(
        channel=channel, thread_ts=thread_ts, user=user, text=text, shared=True,
        team=context.team_id or "", note=unreadable_note(event, lang_of(text)),
    ))  # fmt: skip
