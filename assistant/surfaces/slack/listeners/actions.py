"""Buttons: 👍/👎 on answers, share a private answer, summarize a shared file's pains.

A vote counts once per person (a second click changes it) and only from the chat the answer
was given in; the message's buttons then show the tally, and the first vote gets a private
thank-you in the same thread. Share posts "Shared by @user: question" and the answer into
the place it was asked from, only for the person who asked, once; when the bot is not in
that channel the sharer is told how to fix it. Decisions are the conversation layer's.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk.errors import SlackApiError

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
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.mrkdwn import escape

log = logging.getLogger(__name__)
NOT_THERE = ("not_in_channel", "channel_not_found", "is_archived")


class Clicked:
    """What a block_actions payload says about the click: who, where, which message."""

    def __init__(self, body: dict[str, Any], client: Any, respond: Respond) -> None:
        self.body, self.client, self.respond = body, client, respond
        self.action = body["actions"][0]
        self.value = str(self.action.get("value") or "")
        self.user = body.get("user", {}).get("id", "")
        self.container = body.get("container") or {}
        self.channel = (body.get("channel") or {}).get("id") or self.container.get("channel_id", "")
        self.message = body.get("message") or {}
        self.thread_ts = self.message.get("thread_ts") or self.container.get("thread_ts")
        self.ephemeral = bool(self.container.get("is_ephemeral"))

    def tell(self, text: str) -> None:
        """A private note to the person who clicked, in the thread of the message."""
        if self.ephemeral or not self.channel:
            self.respond(response_type="ephemeral", replace_original=False, text=text)
            return
        kwargs = {"thread_ts": self.thread_ts} if self.thread_ts else {}
        self.client.chat_postEphemeral(channel=self.channel, user=self.user, text=text, **kwargs)


def register(app: App, ctx: BotContext) -> None:
    def vote(body: dict[str, Any], client: Any, respond: Respond, up: bool) -> None:
        click = Clicked(body, client, respond)
        who = ctx.requester(click.user, click.channel, is_channel=True)
        outcome = ctx.conversations.vote(click.value, who, up, chat=click.channel)
        labels = LABELS[outcome.lang]
        if outcome.state in ("missing", "refused"):
            click.tell(labels["missing"])
            return
        if outcome.state == "same":
            return
        tally = (outcome.up, outcome.down)
        blocks = with_tally(click.message.get("blocks") or [], click.value, outcome.lang, tally)
        if blocks is not None:
            text = click.message.get("text", "")
            if click.ephemeral:
                respond(replace_original=True, text=text, blocks=blocks)
            elif click.message.get("ts"):
                client.chat_update(channel=click.channel, ts=click.message["ts"], text=text,
                                   blocks=blocks)  # fmt: skip
        if outcome.state == "new":
            click.tell(labels["thanks"])

    @app.action(FEEDBACK_UP)
    def on_up(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        vote(body, client, respond, True)

    @app.action(FEEDBACK_DOWN)
    def on_down(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        vote(body, client, respond, False)

    @app.action(SHARE)
    def on_share(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        click = Clicked(body, client, respond)
        who = ctx.requester(click.user, click.channel, is_channel=True)
        outcome = ctx.conversations.share(click.value, who)
        labels = LABELS[outcome.answer.lang if outcome.answer else "en"]
        if outcome.state != "ok" or outcome.answer is None:
            key = {"missing": "missing", "refused": "share_refused", "nowhere": "share_nowhere",
                   "already": "shared_already"}[outcome.state]  # fmt: skip
            click.tell(labels[key].format(channel=outcome.target))
            return
        shared_by = labels["shared_by"].format(user=click.user, question=escape(outcome.question))
        header = {"type": "context",
                  "elements": [{"type": "mrkdwn", "text": shared_by[:3000], "verbatim": True}]}
        links = ctx.conversations.source_links()
        messages = answer_messages(outcome.answer, click.value, buttons=False, links=links,
                                   header=[header])  # fmt: skip
        try:
            for message in messages:
                client.chat_postMessage(channel=outcome.target, **message)
        except SlackApiError as exc:
            ctx.conversations.share_failed(click.value, outcome.target)
            error = str(exc.response.get("error", ""))
            if error in NOT_THERE:
                click.tell(labels["not_in_channel"].format(channel=outcome.target))
            else:
                log.exception("sharing an answer into %s failed", outcome.target)
                click.tell(labels["share_failed"])

    @app.action(SUMMARIZE_FILE)
    def on_summarize(ack: Ack, body: dict[str, Any], client: Any, context: BoltContext) -> None:
        ack()
        click = Clicked(body, client, lambda **_: None)
        thread_ts = click.thread_ts or click.message.get("ts") or click.container.get("message_ts")
        submit(ctx, client, AskJob(
            channel=click.channel, thread_ts=thread_ts, user=click.user,
            text=f"pains source:{click.value.split()[0] if click.value.split() else ''}",
            shared=True, team=context.team_id or "",
            status=not click.channel.startswith("D"),
        ))  # fmt: skip
