"""The /cx slash command: `/cx [ask|five|persona|pains|roadmap|journey|help] …`.

It acknowledges at once (Slack allows 3 s; answers never run on the acknowledging threads),
then answers privately through the response_url from the work queue, with a button to share
the answer in the channel.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from slack_bolt import Ack, App, Respond

from assistant.core.text import detect_lang
from assistant.surfaces.slack.blocks import LABELS, answer_messages, note
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.incoming import plain_text

log = logging.getLogger(__name__)


def register(app: App, ctx: BotContext) -> None:
    @app.command("/cx")
    def on_cx(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        text = plain_text(command.get("text") or "") or "help"
        lang = detect_lang(text)
        labels = LABELS[lang]
        ack(text=labels["working"])
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        who = ctx.requester(user, channel, is_channel=True, place=channel)
        conversation = f"{channel}:cmd:{user}"

        def run(lane: str) -> None:
            try:
                reply = ctx.conversations.ask(text, conversation, who)
                for a in reply.answer.attachments:  # an ephemeral reply cannot carry a file
                    Path(a.path).unlink(missing_ok=True)
                links = ctx.conversations.source_links()
                for message in answer_messages(reply.answer, reply.answer_id or "",
                                               shareable=True, links=links):  # fmt: skip
                    respond(response_type="ephemeral", replace_original=False, **message)
            except Exception:
                log.exception("/cx %r failed", text[:200])
                respond(response_type="ephemeral", **note(labels["error"]))

        def on_queued(ahead: int) -> None:
            queued = labels["queued"].format(n=ahead) if ahead else labels["next"]
            respond(response_type="ephemeral", replace_original=False, **note(queued))

        def on_refused() -> None:
            respond(response_type="ephemeral", **note(labels["busy"]))

        ctx.intake.submit(who, text, conversation, run, on_queued=on_queued,
                          on_refused=on_refused)  # fmt: skip
