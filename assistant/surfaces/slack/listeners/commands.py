"""The /cx slash command: `/cx [ask|five|persona|pains|roadmap|journey|help] …`.

The front door acknowledges it at once ("Working on it…"); here, on a dispatcher, it is
queued like any question and answered privately through the response_url (from the outbox,
retried; once that URL has expired, in the asker's DM with the app), with a button to
share the answer in the channel. The conversation's facts come from Slack
(`conversations.info`, or the payload's `directmessage` channel name).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from assistant.surfaces.slack.answering import AskJob, submit
from assistant.surfaces.slack.context import PRIVATE, BotContext
from assistant.surfaces.slack.incoming import plain_text


def register(app: App, ctx: BotContext) -> None:
    @app.command("/cx")
    def on_cx(ack: Ack, command: dict[str, Any]) -> None:
        ack()  # the front door has answered Slack already
        text = plain_text(command.get("text") or "") or "help"
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        if command.get("channel_name") == "directmessage":
            facts = PRIVATE
        else:
            facts = ctx.facts.of(ctx.api, channel)
        submit(ctx, AskJob(
            channel=channel, thread_ts=None, user=user, text=text, facts=facts, place=channel,
            conversation=f"{channel}:cmd:{user}", status=False,
            response_url=command.get("response_url") or "", team=command.get("team_id", ""),
        ))  # fmt: skip
