"""Files shared in a private chat (a DM or an assistant thread): a feedback file (any format
of assistant/feedback/readers) is downloaded (within CX_MAX_UPLOAD_BYTES), ingested if the
policy allows it (under a source of its own, kept out of the shared corpus unless the
message asks to add it: the conversation layer decides), deleted, and reported with a
button to summarize its pains; other files get a note that they cannot be read. Replies
name the upload by its source, never by the file's raw name (it may name a customer)."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import httpx

from assistant.core.errors import TooLarge
from assistant.core.text import Lang
from assistant.feedback.readers import SUPPORTED, format_names
from assistant.storage.outbox import Outgoing
from assistant.surfaces.slack.blocks import SUMMARIZE_FILE, note
from assistant.surfaces.slack.context import PRIVATE, BotContext
from assistant.surfaces.slack.mrkdwn import escape
from assistant.surfaces.slack.service import RetryLater

log = logging.getLogger(__name__)
NOTE = {
    "vi": "_Tôi không đọc được ảnh hay tệp đính kèm ({names}); câu trả lời chỉ dựa trên lời nhắn._",
    "en": "_I can't read images or other attachments ({names}); I answered from the text only._",
}
TEXT = {
    "en": {
        "too_large": "Sorry, the file is too large ({size:.1f} MB); I read files up to "
        "{limit:.1f} MB (setting CX_MAX_UPLOAD_BYTES). Nothing was stored.",
        "unreadable": f"Sorry, I could not read the file as {format_names('or')}.",
        "report": "*{name}*: {accepted} accepted, {rejected} rejected, {duplicates} duplicates.",
        "private": "Kept apart from the shared corpus: only questions that name it "
        "(`source:{name}`) use it. To add it to everyone's summaries, share it again with "
        "the words “add to corpus”.",
        "shared": "Added to the shared corpus, as you asked.",
        "line": "• line {line}: {field}: {message}",
        "summarize": "Summarize pain points",
    },
    "vi": {
        "too_large": "Xin lỗi, tệp quá lớn ({size:.1f} MB); tôi chỉ đọc tệp đến "
        "{limit:.1f} MB (thiết lập CX_MAX_UPLOAD_BYTES). Chưa có gì được lưu.",
        "unreadable": f"Xin lỗi, tôi không đọc được tệp dưới dạng {format_names('hay')}.",
        "report": "*{name}*: {accepted} dòng nhận, {rejected} dòng loại, {duplicates} trùng lặp.",
        "private": "Tệp được giữ riêng, ngoài dữ liệu chung: chỉ câu hỏi nêu tên nó "
        "(`source:{name}`) mới dùng đến. Muốn thêm vào tóm tắt chung, hãy gửi lại tệp kèm "
        "lời nhắn “thêm vào dữ liệu chung”.",
        "shared": "Đã thêm vào dữ liệu chung theo yêu cầu của bạn.",
        "line": "• dòng {line}: {field}: {message}",
        "summarize": "Tóm tắt điểm đau",
    },
}  # fmt: skip


def readable_file(event: dict[str, Any]) -> dict[str, Any] | None:
    return next(
        (f for f in event.get("files", []) if f.get("name", "").lower().endswith(SUPPORTED)), None
    )


def unreadable_note(event: dict[str, Any], lang: Lang) -> str:
    files = [f for f in event.get("files", []) if not f.get("name", "").lower().endswith(SUPPORTED)]
    if not files:
        return ""
    names = ", ".join(f.get("name", "file") for f in files)
    return NOTE[lang].format(names=names)


def download(url: str, token: str, limit: int) -> bytes:
    """The file's bytes, refused past `limit` (by its declared size, then as it streams)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.stream("GET", url, headers=headers, timeout=30, follow_redirects=True) as resp:
        resp.raise_for_status()
        declared = int(resp.headers.get("Content-Length", "0") or 0)
        if declared > limit:
            raise TooLarge(declared)
        data = bytearray()
        for chunk in resp.iter_bytes():
            data += chunk
            if len(data) > limit:
                raise TooLarge(len(data))
        return bytes(data)


def ingest_shared_file(
    ctx: BotContext,
    *,
    f: dict[str, Any],
    channel: str,
    thread_ts: str | None,
    user: str,
    lang: Lang,
    text: str = "",
) -> list[Outgoing]:
    """Validate and ingest a feedback file shared in a private chat; offer its summary.
    `text`: the message that came with it (it may ask to add the file to the shared corpus).
    Runs on a worker (download and ingest take seconds); returns the replies to store."""
    t = TEXT[lang]
    name = Path(f.get("name") or "file").name
    limit = ctx.settings.cx_max_upload_bytes
    said: list[Outgoing] = []

    def say(text: str, blocks: list | None = None) -> list[Outgoing]:
        msg = note(text) if blocks is None else {"text": text, "blocks": blocks}
        said.append(Outgoing("post", {"channel": channel, "thread_ts": thread_ts, "user": user,
                                      "ask": source_name, "lang": lang, **msg}))  # fmt: skip
        return said

    source_name = "file"
    who = ctx.requester(user, PRIVATE)
    if not ctx.conversations.policy.may_ingest(who):
        outcome = ctx.conversations.ingest_file(Path(name), who, lang)  # the refusal text
        return say(escape(outcome.refused))
    size = int(f.get("size") or 0)
    try:
        if size > limit:
            raise TooLarge(size)
        url = f.get("url_private_download") or f["url_private"]
        try:
            data = download(url, ctx.settings.slack_bot_token or "", limit)
        except httpx.TransportError as exc:  # Slack unreachable: the file waits for it
            raise RetryLater(ctx.settings.cx_slack_retry_base_s, str(exc)[:200]) from exc
        except httpx.HTTPStatusError as exc:
            if exc.response.status_code == 429 or exc.response.status_code >= 500:
                raise RetryLater(ctx.settings.cx_slack_retry_base_s, str(exc)[:200]) from exc
            raise
        with tempfile.TemporaryDirectory(prefix="cx-upload-") as folder:
            # The raw upload may hold personal data: it lives only while it is ingested.
            path = Path(folder) / name
            path.write_bytes(data)
            share = ctx.conversations.asks_to_share(text)
            outcome = ctx.conversations.ingest_file(path, who, lang, share=share)
    except RetryLater:
        raise
    except TooLarge as exc:
        mb = 1024 * 1024
        return say(escape(t["too_large"].format(size=exc.size / mb, limit=limit / mb)))
    except Exception:
        log.exception("ingesting shared file %s failed", name[:100])
        return say(escape(t["unreadable"]))
    if outcome.report is None:
        return say(escape(outcome.refused))
    source_name = outcome.report.source
    report = outcome.report
    errors = "\n".join(
        t["line"].format(line=e.line, field=escape(str(e.field)), message=escape(str(e.message)))
        for e in report.errors[:10]
    )
    summary = t["report"].format(
        name=escape(report.source), accepted=report.accepted, rejected=report.rejected,
        duplicates=report.duplicates,
    ) + "\n" + (t["shared"] if outcome.shared else t["private"].format(
        name=escape(report.source))) + (f"\n{errors}" if errors else "")  # fmt: skip
    button = {
        "type": "button",
        "action_id": SUMMARIZE_FILE,
        "value": report.source,
        "text": {"type": "plain_text", "text": t["summarize"]},
    }
    return say(
        summary[:3000],
        [
            {"type": "section", "text": {"type": "mrkdwn", "text": summary[:3000],
                                         "verbatim": True}},
            {"type": "actions", "elements": [button]},
        ],
    )  # fmt: skip


def run_ingest(
    ctx: BotContext, *, f: dict, channel: str, thread_ts: str | None, user: str,
    lang: Lang, text: str = "",
) -> None:  # fmt: skip
    """Ingest on the heavy lane: downloading and indexing take seconds. The report is stored
    with the request's job (and delivered from the outbox)."""
    assert ctx.work is not None
    handle = ctx.hand_off()

    def job() -> None:
        items: list[Outgoing] = []
        try:
            items = ingest_shared_file(ctx, f=f, channel=channel, thread_ts=thread_ts,
                                       user=user, lang=lang, text=text)  # fmt: skip
        except RetryLater as exc:  # the request goes back to the job table, due later
            ctx.svc.retry_later(handle, exc.delay, str(exc))
            return
        ctx.finish(handle, items)

    ctx.work.submit(user, "heavy", job)
