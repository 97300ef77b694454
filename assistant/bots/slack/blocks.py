"""An Answer as Slack messages of Block Kit blocks, within Slack's limits.

At most 50 blocks per message and 3,000 characters per section text; a longer answer is
split across messages. Citations go in a context block with their titles; every answer ends
with 👍/👎 buttons (and, when private, a button to share it in the channel).
"""

from __future__ import annotations

from typing import Any

from assistant.agent.types import Answer
from assistant.bots.slack.mrkdwn import to_mrkdwn

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_CONTEXT_ELEMENTS = 10

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
    },
    "en": {
        "sources": "Sources",
        "share": "Share to channel",
        "working": "Working on it…",
        "error": "Sorry, something went wrong while answering. It has been logged; please "
        "try again later.",
        "thanks": "Thanks for the feedback!",
        "cont": "(continued)",
    },
}


def _chunks(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Split on line breaks into pieces of at most `limit` characters (hard-cut long lines)."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            pieces.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current.strip():
        pieces.append(current)
    return pieces


def citation_block(answer: Answer, lang: str) -> dict[str, Any] | None:
    if not answer.citations:
        return None
    seen: list[str] = []
    for c in answer.citations:
        label = c.title if c.kind == "methodology" else f"{c.kind}: {c.title}"
        if label not in seen:
            seen.append(label)
    elements = [{"type": "mrkdwn", "text": f"*{LABELS[lang]['sources']}:*"}] + [
        {"type": "mrkdwn", "text": f"[{i}] {to_mrkdwn(t)}"[:MAX_SECTION]}
        for i, t in enumerate(seen[: MAX_CONTEXT_ELEMENTS - 1], 1)
    ]
    return {"type": "context", "elements": elements}


def actions_block(answer_id: str, lang: str, shareable: bool) -> dict[str, Any]:
    elements = [
        {
            "type": "button",
            "action_id": FEEDBACK_UP,
            "value": answer_id,
            "text": {"type": "plain_text", "text": "👍", "emoji": True},
        },
        {
            "type": "button",
            "action_id": FEEDBACK_DOWN,
            "value": answer_id,
            "text": {"type": "plain_text", "text": "👎", "emoji": True},
        },
    ]
    if shareable:
        text = {"type": "plain_text", "text": LABELS[lang]["share"]}
        elements.append({"type": "button", "action_id": SHARE, "value": answer_id, "text": text})
    return {"type": "actions", "block_id": f"answer_actions_{answer_id}", "elements": elements}


def answer_messages(answer: Answer, answer_id: str, shareable: bool = False) -> list[dict]:
    """Messages ({"text", "blocks"}) for an answer; each within Slack's limits."""
    lang = answer.lang
    sections = [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in _chunks(to_mrkdwn(answer.answer))
    ]
    tail = [b for b in (citation_block(answer, lang),) if b]
    tail.append(actions_block(answer_id, lang, shareable))
    messages: list[list[dict]] = []
    per_message = MAX_BLOCKS - len(tail)
    for i in range(0, max(1, len(sections)), per_message):
        messages.append(sections[i : i + per_message])
    messages[-1] = messages[-1] + tail
    out = []
    for n, blocks in enumerate(messages):
        first = next((b["text"]["text"] for b in blocks if b["type"] == "section"), "")
        prefix = f"{LABELS[lang]['cont']} " if n else ""
        out.append({"text": (prefix + first)[:MAX_SECTION], "blocks": blocks})
    return out
