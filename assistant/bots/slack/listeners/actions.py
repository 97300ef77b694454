"""Buttons: 👍/👎 on answers, share a private answer, summarize a shared file's pains."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond

from assistant.bots.slack.answering import answer_in_thread
from assistant.bots.slack.blocks import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    LABELS,
    SHARE,
    SUMMARIZE_FILE,
    answer_messages,
)
from assistant.bots.slack.context import BotContext


def register(app: App, ctx: BotContext) -> None:
    def vote(ack: Ack, body: dict[str, Any], client: Any, up: bool) -> None:
        ack()
        action = body["actions"][0]
        ctx.ratings.vote(action["value"], body["user"]["id"], up)
        answer = ctx.ratings.answer(action["value"])
        lang = answer.lang if answer else "en"
        channel = body.get("channel", {}).get("id")
        if channel:
            client.chat_postEphemeral(
                channel=channel, user=body["user"]["id"], text=LABELS[lang]["thanks"]
            )

    @app.action(FEEDBACK_UP)
    def on_up(ack: Ack, body: dict[str, Any], client: Any) -> None:
        vote(ack, body, client, True)

    @app.action(FEEDBACK_DOWN)
    def on_down(ack: Ack, body: dict[str, Any], client: Any) -> None:
        vote(ack, body, client, False)

    @app.action(SHARE)
    def on_share(ack: Ack, body: dict[str, Any], client: Any, respond: Respond) -> None:
        ack()
        answer_id = body["actions"][0]["value"]
        answer = ctx.ratings.answer(answer_id)
        if answer is None:
            respond(response_type="ephemeral", text="This answer is no longer available.")
            return
        for message in answer_messages(answer, answer_id):
            client.chat_postMessage(channel=body["channel"]["id"], **message)

    @app.action(SUMMARIZE_FILE)
    def on_summarize(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()
        source = body["actions"][0]["value"]
        channel = body["channel"]["id"]
        thread_ts = body.get("message", {}).get("thread_ts") or body.get("message", {}).get("ts")
        answer_in_thread(
            ctx,
            client,
            channel=channel,
            thread_ts=thread_ts,
            user=body["user"]["id"],
            text=f"pains source:{source}",
            is_channel=True,
        )
