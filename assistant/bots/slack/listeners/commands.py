"""The /cx slash command: `/cx [ask|five|persona|pains|roadmap|journey|help] …`.

It acknowledges at once (Slack allows 3 s), then answers privately through the
response_url, with a button to share the answer in the channel.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from assistant.bots.slack.blocks import LABELS, answer_messages
from assistant.bots.slack.context import BotContext
from assistant.text import detect_lang

log = logging.getLogger(__name__)


def register(app: App, ctx: BotContext) -> None:
    @app.command("/cx")
    def on_cx(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        text = (command.get("text") or "help").strip()
        lang = detect_lang(text)
        ack(text=LABELS[lang]["working"])
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        try:
            reply = ctx.conversations.ask(
                text, f"{channel}:cmd:{user}", ctx.requester(user, channel, is_channel=True)
            )
            for message in answer_messages(reply.answer, reply.answer_id or "", shareable=True):
                respond(response_type="ephemeral", replace_original=False, **message)
        except Exception:
            log.exception("/cx %r failed", text[:200])
            respond(response_type="ephemeral", text=LABELS[lang]["error"])
