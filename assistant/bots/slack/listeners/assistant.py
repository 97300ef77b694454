"""Slack's AI-app assistant container: suggested prompts, a status while working."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Assistant, Say, SetStatus, SetSuggestedPrompts

from assistant.bots.slack.answering import answer_in_thread
from assistant.bots.slack.context import BotContext

PROMPTS = [
    {"title": "Draft a persona", "message": "Draft a persona for first-time online buyers"},
    {"title": "Summarize the delivery journey", "message": "Summarize the delivery journey"},
    {"title": "Top pain points", "message": "What hurts customers most after delivery?"},
    {
        "title": "Năm câu hỏi",
        "message": "Năm câu hỏi của tư duy lấy hành trình làm trung tâm là gì?",
    },
]


def register(app: App, ctx: BotContext) -> None:
    assistant = Assistant()

    @assistant.thread_started
    def started(say: Say, set_suggested_prompts: SetSuggestedPrompts) -> None:
        say("Hi! Ask me about CX methodology, journeys, personas or customer pain points.")
        set_suggested_prompts(prompts=PROMPTS)

    @assistant.user_message
    def on_user_message(payload: dict[str, Any], set_status: SetStatus, client: Any) -> None:
        set_status("is thinking…")
        answer_in_thread(
            ctx,
            client,
            channel=payload["channel"],
            thread_ts=payload["thread_ts"],
            user=payload.get("user", ""),
            text=payload.get("text", ""),
            is_channel=False,
        )

    app.assistant(assistant)
