"""Buttons: 👍/👎 on answers, share a private answer, summarize a shared file's pains.

A vote counts once per person (a second click changes it) and only from the chat the answer
was given in (a vote from elsewhere is told why it does not count); the message's buttons
then show the tally, and the first vote gets a private thank-you in the same thread. Share
posts "Shared by @user: question" and the answer into the place it was asked from, only for
the person who asked, once; when the bot is not in that channel the sharer is told how to
fix it, and while Slack is rate limiting or down the click waits for it (its job is put
back). Decisions are the conversation layer's. Everything here runs on a dispatcher.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext

from assistant.chat.conversation import Requester
from assistant.storage.outbox import Outgoing
from assistant.surfaces.slack.answering import AskJob, submit
from assistant.surfaces.slack.blocks import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    LABELS,
    SHARE,
    SUMMARIZE_FILE,
    answer_messages,
    with_tally,
)
from assistant.surfaces.slack.context import PRIVATE, BotContext
from assistant.surfaces.slack.delivery import classify
from assistant.surfaces.slack.mrkdwn import escape
from assistant.surfaces.slack.service import wait_for_slack

log = logging.getLogger(__name__)
NOT_THERE = ("not_in_channel", "channel_not_found", "is_archived")


class Clicked:
    """What a block_actions payload says about the click: who, where, which message."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.action = body["actions"][0]
        self.value = str(self.action.get("value") or "")
        self.user = body.get("user", {}).get("id", "")
        self.container = body.get("container") or {}
        channel = body.get("channel") or {}
        self.channel = channel.get("id") or self.container.get("channel_id", "")
        self.dm = channel.get("name") == "directmessage"
        self.message = body.get("message") or {}
        self.thread_ts = self.message.get("thread_ts") or self.container.get("thread_ts")
        self.ephemeral = bool(self.container.get("is_ephemeral"))
        self.response_url = str(body.get("response_url") or "")

    def tell(self, text: str) -> Outgoing:
        """A private note to the person who clicked, in the thread of the message."""
        if self.ephemeral or not self.channel:
            return Outgoing("respond", {"response_url": self.response_url, "user": self.user,
                                        "text": text, "best_effort": True})  # fmt: skip
        return Outgoing("ephemeral", {"channel": self.channel, "user": self.user, "text": text,
                                      "thread_ts": self.thread_ts, "best_effort": True})


def register(app: App, ctx: BotContext) -> None:
    def vote(body: dict[str, Any], up: bool) -> None:
        click = Clicked(body)
        who = Requester(user=click.user, surface="slack")
        outcome = ctx.conversations.vote(click.value, who, up, chat=click.channel)
        labels = LABELS[outcome.lang]
        if outcome.state in ("missing", "refused"):
            ctx.reply(click.tell(labels["vote_refused" if outcome.state == "refused"
                                        else "missing"]))  # fmt: skip
            return
        if outcome.state == "same":
            return
        tally = (outcome.up, outcome.down)
        blocks = with_tally(click.message.get("blocks") or [], click.value, outcome.lang, tally)
        if blocks is not None:
            text = click.message.get("text", "")
            if click.ephemeral:
                ctx.reply(Outgoing("respond", {
                    "response_url": click.response_url, "user": click.user, "text": text,
                    "blocks": blocks, "replace_original": True, "best_effort": True,
                }))  # fmt: skip
            elif click.message.get("ts"):
                ctx.reply(Outgoing("tally", {"channel": click.channel, "ts": click.message["ts"],
                                             "text": text, "blocks": blocks,
                                             "best_effort": True}))  # fmt: skip
        if outcome.state == "new":
            ctx.reply(click.tell(labels["thanks"]))

    @app.action(FEEDBACK_UP)
    def on_up(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        vote(body, True)

    @app.action(FEEDBACK_DOWN)
    def on_down(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        vote(body, False)

    @app.action(SHARE)
    def on_share(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        click = Clicked(body)
        who = Requester(user=click.user, surface="slack")
        outcome = ctx.conversations.share(click.value, who)
        labels = LABELS[outcome.answer.lang if outcome.answer else "en"]
        if outcome.state != "ok" or outcome.answer is None:
            key = {"missing": "missing", "refused": "share_refused", "nowhere": "share_nowhere",
                   "already": "shared_already"}[outcome.state]  # fmt: skip
            ctx.reply(click.tell(labels[key].format(channel=outcome.target)))
            return
        shared_by = labels["shared_by"].format(user=click.user, question=escape(outcome.question))
        header = {"type": "context",
                  "elements": [{"type": "mrkdwn", "text": shared_by[:3000], "verbatim": True}]}
        links = ctx.conversations.source_links()
        messages = answer_messages(outcome.answer, click.value, buttons=False, links=links,
                                   header=[header])  # fmt: skip
        try:
            # Live: whether the bot may post there decides what the sharer is told.
            ctx.api.chat_postMessage(channel=outcome.target, **messages[0])
        except Exception as exc:
            ctx.conversations.share_failed(click.value, outcome.target)
            wait_for_slack(exc, ctx.settings.cx_slack_retry_base_s)
            reason = classify(exc)[2]
            if reason in NOT_THERE:
                ctx.reply(click.tell(labels["not_in_channel"].format(channel=outcome.target)))
            else:
                log.warning("sharing an answer into %s failed: %s", outcome.target, reason)
                ctx.reply(click.tell(labels["share_failed"]))
            return
        ctx.reply(*[Outgoing("post", {"channel": outcome.target, **m}) for m in messages[1:]])

    @app.action(SUMMARIZE_FILE)
    def on_summarize(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        click = Clicked(body)
        thread_ts = click.thread_ts or click.message.get("ts") or click.container.get("message_ts")
        facts = PRIVATE if click.dm else ctx.facts.of(ctx.api, click.channel)
        submit(ctx, AskJob(
            channel=click.channel, thread_ts=thread_ts, user=click.user,
            text=f"pains source:{click.value.split()[0] if click.value.split() else ''}",
            facts=facts, team=context.team_id or "", status=not click.dm,
        ))  # fmt: skip
