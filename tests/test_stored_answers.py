"""Answers stored for votes and eval candidates keep no personal data: not in the question,
nor where the answer echoes it (a scope line naming a filter, a step, a source)."""

import json

from assistant.chat.ratings import RatingsStore
from assistant.core.answers import Answer


def test_a_stored_answer_is_redacted_everywhere_it_echoes_the_question(tmp_path):
    store = RatingsStore(tmp_path / "ratings.sqlite")
    question = "pains source:khach-0912345678 gửi cho an.nguyen@gmail.com"
    answer = Answer(
        question=question, lang="vi", tool="pain_points", citations=[],
        answer="_Phạm vi: nguồn khach-0912345678 — 0 trên 7.786 phản hồi._ Liên hệ "
        "an.nguyen@gmail.com hoặc 0987 654 321.",
    )  # fmt: skip
    answer_id = store.save_answer(answer, "U1", "C1", "C1:1")
    store.vote(answer_id, "U2", up=True)
    exported = tmp_path / "export.jsonl"
    assert store.export(exported) == 1
    shown = exported.read_text(encoding="utf-8") + store.answer(answer_id).model_dump_json()
    for value in ("0912345678", "an.nguyen@gmail.com", "0987 654 321", "987654321"):
        assert value not in shown
    row = json.loads(exported.read_text(encoding="utf-8"))
    assert "[PHONE]" in row["question"] and "[EMAIL]" in row["answer"]
    assert row["tool"] == "pain_points" and row["vote"] == "up"
