"""An Answer as Slack messages of Block Kit blocks, within Slack's limits.

At most 50 blocks per message, 3,000 characters per section and MAX_MESSAGE_CHARS in all
(Slack truncates a message's text past 40,000); a longer answer is split
at segment boundaries (paragraphs, code fences, tables) across sections and messages. The
first table of an answer is a native table block (Slack allows one per message), others are
aligned text. Sources are shown once, in a context block with their titles (linked where a
URL is known); the answer's own trailing "Sources:" list is dropped for it. Every answer
ends with 👍/👎 buttons that show the tally, and, when private, a button to share it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import TableBlock

from assistant.core.answers import Answer
from assistant.surfaces.slack.mrkdwn import (
    Segment,
    escape,
    segment_mrkdwn,
    segments,
    split_mrkdwn,
    table_cells,
)

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_MESSAGE_CHARS = 12_000  # all the text of one message's blocks (Slack's limit: 40,000)
MAX_CONTEXT_ELEMENTS = 10
MAX_TABLE_ROWS, MAX_TABLE_COLUMNS = 100, 20

FEEDBACK_UP, FEEDBACK_DOWN, SHARE = "answer_feedback_up", "answer_feedback_down", "answer_share"
SUMMARIZE_FILE = "summarize_file"

LABELS = {
    "vi": {
        "sources": "Nguồn",
        "share": "Chia sẻ vào kênh",
        "working": "Đang xử lý…",
        "error": "Xin lỗi, đã có lỗi khi trả lời. Lỗi đã được ghi lại; hãy thử lại sau.",
        "thanks": "Cảm ơn phản hồi của bạn!",
        "cont": "(tiếp)",
        "empty": "Xin lỗi, tôi chưa có câu trả lời cho câu này. Gõ `help` để xem cách hỏi.",
        "queued": "Đang chờ: {n} yêu cầu trước của bạn. Tôi sẽ trả lời ở đây.",
        "next": "Đang chờ: yêu cầu của bạn là yêu cầu tiếp theo. Tôi sẽ trả lời ở đây.",
        "busy": "Xin lỗi, tôi đang quá tải. Hãy thử lại sau một phút.",
        "thinking": "đang suy nghĩ…",
        "loading": ["Đang tìm trong tài liệu phương pháp…", "Đang soạn câu trả lời…"],
        "loading_heavy": ["Đang đọc phản hồi khách hàng…", "Đang đếm các điểm đau…",
                          "Đang soạn câu trả lời…"],
        "shared_by": "Chia sẻ bởi <@{user}>: {question}",
        "not_in_channel": "Tôi chưa ở trong <#{channel}>. Hãy mời tôi (`/invite @CX Assistant`) "
        "rồi bấm chia sẻ lại.",
        "share_refused": "Chỉ người đã hỏi mới chia sẻ được câu trả lời này.",
        "share_nowhere": "Câu trả lời này không có kênh nào để chia sẻ.",
        "shared_already": "Câu trả lời này đã được chia sẻ vào <#{channel}>.",
        "missing": "Câu trả lời này không còn nữa.",
        "vote_refused": "Chỉ bình chọn được trong cuộc trò chuyện nơi câu trả lời được đưa ra.",
        "late": "_Câu trả lời cho “{question}” chưa gửi được lúc trước (Slack không nhận); đây "
        "là câu trả lời:_",
        "share_failed": "Xin lỗi, tôi không chia sẻ được câu trả lời này. Lỗi đã được ghi lại.",
    },
    "en": {
        "sources": "Sources",
        "share": "Share to channel",
        "working": "Working on it…",
        "error": "Sorry, something went wrong while answering. It has been logged; please "
        "try again later.",
        "thanks": "Thanks for the feedback!",
        "cont": "(continued)",
        "empty": "Sorry, I have no answer to that. Type `help` to see what I can do.",
        "queued": "Queued: {n} requests ahead of yours. I'll answer here.",
        "next": "Queued: yours is next. I'll answer here.",
        "busy": "Sorry, I'm overloaded right now. Please try again in a minute.",
        "thinking": "is thinking…",
        "loading": ["Searching the methodology…", "Writing the answer…"],
        "loading_heavy": ["Reading customer feedback…", "Counting pain points…",
                          "Writing the answer…"],
        "shared_by": "Shared by <@{user}>: {question}",
        "not_in_channel": "I'm not in <#{channel}>. Invite me (`/invite @CX Assistant`) and "
        "press Share again.",
        "share_refused": "Only the person who asked can share this answer.",
        "share_nowhere": "This answer has no channel to be shared into.",
        "shared_already": "This answer is already shared in <#{channel}>.",
        "missing": "This answer is no longer available.",
        "vote_refused": "Votes count only in the conversation where the answer was given.",
        "late": "_Your answer to “{question}” could not be delivered earlier (Slack did not "
        "take it): here it is._",
        "share_failed": "Sorry, I could not share this answer. It has been logged.",
    },
}  # fmt: skip

# The composer's own list of sources at the end of an answer ("*Sources:*", "[1] …").
_SOURCES_HEAD = re.compile(r"^\s*\**\s*(Sources|Nguồn)\s*:?\s*\**\s*:?\s*$")
_SOURCE_LINE = re.compile(r"^\s*\[\d+\]\s+\S")


def split_sources(markdown: str) -> tuple[str, list[str]]:
    """The answer without its trailing list of sources, and that list's lines ("[1] …")."""
    lines = markdown.rstrip().split("\n")
    for i in range(len(lines) - 1, -1, -1):
        if _SOURCES_HEAD.match(lines[i]):
            tail = [ln for ln in lines[i + 1 :] if ln.strip()]
            if tail and all(_SOURCE_LINE.match(ln) for ln in tail):
                return "\n".join(lines[:i]).rstrip(), [ln.strip() for ln in tail]
            break
    return markdown, []


def citation_block(
    answer: Answer, lang: str, links: Mapping[str, str], listed: list[str] | None = None
) -> dict[str, Any] | None:
    """Sources once: the answer's own source lines when each names one of its citations
    (the offline composer's lines name sections), else its citations' titles: a list a
    model wrote itself is never shown as sources. Methodology titles link to their URL where
    one is known."""
    labels: list[str] = []
    titles = [c.title for c in answer.citations]

    def cited(line: str) -> bool:
        return any(re.sub(r"^\[\d+\]\s*", "", line).startswith(t) for t in titles if t)

    if listed and all(cited(line) for line in listed):
        by_title = {c.title: links.get(c.doc_id, "") for c in answer.citations}
        for line in listed:
            text = re.sub(r"^\[\d+\]\s*", "", line)
            url = next((u for t, u in by_title.items() if u and text.startswith(t)), "")
            labels.append(_label(text, url))
    else:
        seen: set[str] = set()
        for c in answer.citations:
            title = c.title if c.kind == "methodology" else f"{c.kind}: {c.title}"
            if title in seen:
                continue
            seen.add(title)
            labels.append(_label(title, links.get(c.doc_id, "") if c.kind == "methodology" else ""))
    if not labels:
        return None
    elements = [{"type": "mrkdwn", "text": f"*{LABELS[lang]['sources']}:*", "verbatim": True}]
    elements += [
        {"type": "mrkdwn", "text": f"[{i}] {label}"[:MAX_SECTION], "verbatim": True}
        for i, label in enumerate(labels[: MAX_CONTEXT_ELEMENTS - 1], 1)
    ]
    return {"type": "context", "elements": elements}


def _label(text: str, url: str) -> str:
    text = escape(text.replace("**", ""))
    return f"<{url}|{text.replace('|', '/')}>" if url else text


def actions_block(
    answer_id: str, lang: str, shareable: bool, tally: tuple[int, int] = (0, 0)
) -> dict[str, Any]:
    up, down = tally
    elements = [
        {
            "type": "button",
            "action_id": FEEDBACK_UP,
            "value": answer_id,
            "text": {"type": "plain_text", "text": f"👍 {up}" if up else "👍", "emoji": True},
        },
        {
            "type": "button",
            "action_id": FEEDBACK_DOWN,
            "value": answer_id,
            "text": {"type": "plain_text", "text": f"👎 {down}" if down else "👎", "emoji": True},
        },
    ]
    if shareable:
        text = {"type": "plain_text", "text": LABELS[lang]["share"]}
        elements.append({"type": "button", "action_id": SHARE, "value": answer_id, "text": text})
    return {"type": "actions", "block_id": f"answer_actions_{answer_id}", "elements": elements}


def with_tally(
    blocks: list[dict], answer_id: str, lang: str, tally: tuple[int, int]
) -> list[dict] | None:
    """A posted message's blocks with its vote buttons showing the new tally (None when the
    message has no buttons of this answer)."""
    out, found = [], False
    block_id = f"answer_actions_{answer_id}"
    for block in blocks:
        if block.get("type") == "actions" and block.get("block_id") == block_id:
            shareable = any(e.get("action_id") == SHARE for e in block.get("elements", []))
            block = actions_block(answer_id, lang, shareable, tally)
            found = True
        out.append(block)
    return out if found else None


def _table_block(seg: Segment) -> dict[str, Any] | None:
    rows = table_cells(seg.lines)
    if not rows or len(rows) > MAX_TABLE_ROWS or max(len(r) for r in rows) > MAX_TABLE_COLUMNS:
        return None
    width = max(len(r) for r in rows)
    cells = [[{"type": "raw_text", "text": (r[i] if i < len(r) else "") or " "}
              for i in range(width)] for r in rows]  # fmt: skip
    return TableBlock(rows=cells).to_dict()


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def body_blocks(markdown: str, links: Mapping[str, str] = {}) -> list[dict[str, Any]]:  # noqa: B006
    """The answer's text as sections (and its first table as a table block): pieces joined
    up to 3,000 characters, split only between segments or, for one huge segment, at a
    line or word break with its code fence closed and reopened."""
    blocks: list[dict[str, Any]] = []
    pending = ""
    table_used = False
    link_urls = set(links.values())

    def flush() -> None:
        nonlocal pending
        if pending.strip():
            blocks.append(_section(pending))
        pending = ""

    for seg in segments(markdown):
        if seg.kind == "table" and not table_used:
            table = _table_block(seg)
            if table is not None:
                flush()
                blocks.append(table)
                table_used = True
                continue
        text = segment_mrkdwn(seg, link_urls)
        if not text.strip():
            continue
        if pending and len(pending) + 2 + len(text) <= MAX_SECTION:
            pending = f"{pending}\n\n{text}"
            continue
        flush()
        if len(text) <= MAX_SECTION:
            pending = text
        else:
            blocks.extend(_section(p) for p in split_mrkdwn(text, MAX_SECTION))
    flush()
    return blocks


def _plain(block: dict[str, Any]) -> str:
    if block["type"] == "section":
        return block["text"]["text"]
    if block["type"] == "table":  # raw_text cells: escaped here, like every section's text
        return escape(" | ".join(c["text"] for c in block["rows"][0]))
    return ""


def answer_messages(
    answer: Answer,
    answer_id: str,
    shareable: bool = False,
    links: Mapping[str, str] = {},  # noqa: B006 - read only
    tally: tuple[int, int] = (0, 0),
    buttons: bool = True,
    header: list[dict] | None = None,
) -> list[dict]:
    """Messages ({"text", "blocks"}) for an answer; each within Slack's limits. `header`
    blocks open the first message; `buttons=False` leaves the 👍/👎 buttons out."""
    lang = answer.lang
    text, listed = split_sources(answer.answer) if answer.citations else (answer.answer, [])
    sections = body_blocks(text, links) or [_section(escape(LABELS[lang]["empty"]))]
    tail = [b for b in (citation_block(answer, lang, links, listed),) if b]
    if buttons:
        tail.append(actions_block(answer_id, lang, shareable, tally))
    messages: list[list[dict]] = [list(header or [])]
    per_message = MAX_BLOCKS - len(tail)
    tail_chars = sum(_chars(b) for b in tail)
    size = sum(_chars(b) for b in messages[0])
    for block in sections:
        n = _chars(block)
        full = len(messages[-1]) >= per_message or size + n + tail_chars > MAX_MESSAGE_CHARS
        if messages[-1] and full:
            messages.append([])
            size = 0
        messages[-1].append(block)
        size += n
    messages[-1] = messages[-1] + tail
    out = []
    for n, blocks in enumerate(messages):
        first = next((_plain(b) for b in blocks if b["type"] in ("section", "table")), "")
        prefix = f"{LABELS[lang]['cont']} " if n else ""
        out.append({"text": (prefix + first)[:MAX_SECTION], "blocks": blocks})
    return out


def _chars(block: dict[str, Any]) -> int:
    """The characters a block shows (what counts towards a message's text limit)."""
    if block["type"] == "section":
        return len(block["text"]["text"])
    if block["type"] == "table":
        return sum(len(c["text"]) for row in block["rows"] for c in row)
    if block["type"] == "context":
        return sum(len(e.get("text", "")) for e in block.get("elements", []))
    return 0


def tail_blocks(
    answer: Answer, answer_id: str, shareable: bool = False, links: Mapping[str, str] = {}  # noqa: B006
) -> list[dict]:
    """What ends a streamed answer: its sources and its buttons."""
    _, listed = split_sources(answer.answer) if answer.citations else (answer.answer, [])
    tail = [b for b in (citation_block(answer, answer.lang, links, listed),) if b]
    return tail + [actions_block(answer_id, answer.lang, shareable)]


def note_block(mrkdwn: str) -> dict[str, Any]:
    """A note as one section block (the caller escapes text it did not write)."""
    return _section(mrkdwn[:MAX_SECTION])


def note(mrkdwn: str) -> dict[str, Any]:
    """A short note (queue position, refusal) as a message. The caller escapes any text it
    did not write itself (a question, a file name)."""
    text = mrkdwn[:MAX_SECTION]
    return {"text": text, "blocks": [_section(text)]}
