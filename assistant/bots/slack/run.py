"""Running the bot: Socket Mode when an app token is set, otherwise HTTP."""

from __future__ import annotations

import sys

from assistant.agent.agent import Agent
from assistant.answer_ratings import RatingsStore
from assistant.bots.slack.app import build_app
from assistant.bots.slack.context import BotContext
from assistant.bots.slack.http_server import PATH, make_server
from assistant.knowledge.base import KnowledgeBase
from assistant.settings import Settings


def run(settings: Settings) -> None:
    ctx = BotContext(
        agent=Agent(KnowledgeBase.open(settings)),
        settings=settings,
        ratings=RatingsStore(settings.ratings_db),
    )
    app = build_app(ctx)
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        print("Slack: Socket Mode", file=sys.stderr)
        SocketModeHandler(app, settings.slack_app_token).start()
        return
    server = make_server(app, settings.cx_slack_host, settings.cx_slack_port)
    print(
        f"Slack: listening on http://{settings.cx_slack_host}:{settings.cx_slack_port}{PATH}",
        file=sys.stderr,
    )
    server.serve_forever()
