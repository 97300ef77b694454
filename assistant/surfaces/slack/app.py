"""Builds the Bolt app: the Web API client, the middleware, the listeners. Nothing else."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.surfaces.slack.context import BotContext
from assistant.surfaces.slack.listeners import register


def web_client(settings: Settings) -> WebClient:
    """Retries rate-limited calls after Retry-After (the default retries connections only)."""
    kwargs = {"base_url": settings.slack_api_url} if settings.slack_api_url else {}
    return WebClient(
        token=settings.slack_bot_token,
        retry_handlers=[
            ConnectionErrorRetryHandler(),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
        **kwargs,
    )


def build_app(ctx: BotContext) -> App:
    settings = ctx.settings
    if not settings.slack_bot_token:
        raise ConfigError("SLACK_BOT_TOKEN is not set (see the README: Slack).")
    if not settings.slack_app_token and not settings.slack_signing_secret:
        raise ConfigError(
            "HTTP mode needs SLACK_SIGNING_SECRET (or set SLACK_APP_TOKEN for Socket Mode)."
        )
    app = App(
        client=web_client(settings),
        signing_secret=settings.slack_signing_secret or "socket-mode",
        # HTTP mode acknowledges first and runs the listener after (Slack wants a reply in 3 s).
        process_before_response=False,
        # Listeners only parse, acknowledge and queue (answers run on ctx.work), so this pool
        # is never busy for long; Bolt's default of 5 threads is shared with nothing else.
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.cx_slack_listener_threads, thread_name_prefix="slack-listener"
        ),
    )
    app.use(ctx.dedupe.middleware)
    register(app, ctx)
    return app
