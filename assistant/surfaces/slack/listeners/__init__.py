"""Listeners by Slack surface; `register` attaches them all to the app."""

from __future__ import annotations

from slack_bolt import App

from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.listeners import actions, assistant, commands, events


def register(app: App, ctx: BotContext) -> None:
    events.register(app, ctx)
    commands.register(app, ctx)
    actions.register(app, ctx)
    assistant.register(app, ctx)
