"""Mentions in channels, direct messages, thread follow-ups, and files shared in a DM."""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Any

import httpx
from slack_bolt import App

from assistant.bots.slack.answering import answer_in_thread
from assistant.bots.slack.blocks import SUMMARIZE_FILE
from assistant.bots.slack.context import BotContext
from assistant.text import detect_lang

log = logging.getLogger(__name__)
_MENTION = re.compile(r"<@[A-Z0-9]+>")
READABLE = (".csv", ".jsonl", ".ndjson")
NOTE = {
    "vi": "_Tôi không đọc được ảnh hay tệp đính kèm ({names}); câu trả lời chỉ dựa trên lời nhắn._",
    "en": "_I can't read images or other attachments ({names}); I answered from the text only._",
}


def _unreadable(event: dict[str, Any], text: str) -> str:
    files = [f for f in event.get("files", []) if not f.get("name", "").lower().endswith(READABLE)]
    if not files:
        return ""
    names = ", ".join(f.get("name", "file") for f in files)
    return NOTE[detect_lang(text) if text.strip() else "en"].format(names=names)


def register(app: App, ctx: BotContext) -> None:
    @app.event("app_mention")
    def on_mention(event: dict[str, Any], client: Any) -> None:
        text = _MENTION.sub("", event.get("text", "")).strip()
        answer_in_thread(
            ctx,
            client,
            channel=event["channel"],
            thread_ts=event.get("thread_ts") or event["ts"],
            user=event.get("user", ""),
            text=text,
            is_channel=True,
            note=_unreadable(event, text),
        )

    @app.event("message")
    def on_message(event: dict[str, Any], client: Any) -> None:
        if event.get("bot_id") or event.get("subtype") not in (None, "file_share"):
            return
        text = event.get("text", "")
        channel, user = event["channel"], event.get("user", "")
        is_dm = event.get("channel_type") == "im"
        if is_dm and any(
            f.get("name", "").lower().endswith(READABLE) for f in event.get("files", [])
        ):
            _offer_ingest(ctx, client, event)
            return
        if is_dm:
            # Outside a thread a DM is answered in place and stays one conversation.
            answer_in_thread(
                ctx,
                client,
                channel=channel,
                thread_ts=event.get("thread_ts"),
                user=user,
                text=text,
                is_channel=False,
                note=_unreadable(event, text),
            )
            return
        # In a channel: a reply in a thread the bot answers in, without a new mention (a
        # mention is handled by on_mention).
        thread_ts = event.get("thread_ts")
        if (
            thread_ts
            and not _MENTION.search(text)
            and ctx.conversations.has_history(f"{channel}:{thread_ts}")
        ):
            answer_in_thread(
                ctx,
                client,
                channel=channel,
                thread_ts=thread_ts,
                user=user,
                text=text,
                is_channel=True,
                note=_unreadable(event, text),
            )


def _offer_ingest(ctx: BotContext, client: Any, event: dict[str, Any]) -> None:
    """Validate and ingest a feedback file shared in a DM; offer its pain-point summary."""
    f = next(f for f in event["files"] if f.get("name", "").lower().endswith(READABLE))
    channel, thread_ts = event["channel"], event.get("thread_ts") or event["ts"]
    lang = detect_lang(event.get("text", "")) if event.get("text") else "en"
    try:
        headers = {"Authorization": f"Bearer {ctx.settings.slack_bot_token}"}
        data = httpx.get(
            f["url_private_download"] if "url_private_download" in f else f["url_private"],
            headers=headers,
            timeout=30,
            follow_redirects=True,
        )
        data.raise_for_status()
        with tempfile.TemporaryDirectory(prefix="cx-upload-") as folder:
            # The raw upload may hold personal data: it lives only while it is ingested.
            path = Path(folder) / Path(f["name"]).name
            path.write_bytes(data.content)
            who = ctx.requester(event.get("user", ""), channel, is_channel=False)
            outcome = ctx.conversations.ingest_file(path, who, lang)
    except Exception:
        log.exception("ingesting shared file %s failed", f.get("name"))
        client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=f"Sorry, I could not read {f.get('name')} as CSV or JSONL.",
        )
        return
    if outcome.report is None:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=outcome.refused)
        return
    report = outcome.report
    errors = "\n".join(f"• line {e.line}: {e.field}: {e.message}" for e in report.errors[:10])
    summary = (
        f"*{f['name']}*: {report.accepted} accepted, {report.rejected} rejected, "
        f"{report.duplicates} duplicates." + (f"\n{errors}" if errors else "")
    )
    button = {
        "type": "button",
        "action_id": SUMMARIZE_FILE,
        "value": report.source,
        "text": {
            "type": "plain_text",
            "text": "Tóm tắt điểm đau" if lang == "vi" else "Summarize pain points",
        },
    }
    client.chat_postMessage(
        channel=channel,
        thread_ts=thread_ts,
        text=summary,
        blocks=[
            {"type": "section", "text": {"type": "mrkdwn", "text": summary[:3000]}},
            {"type": "actions", "elements": [button]},
        ],
    )
