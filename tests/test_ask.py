"""`cx-assistant ask` end to end (in process), on the real index of the shipped corpus."""

import json
import re

from assistant.surfaces.cli import main
from conftest import SEEDS

# `act` and `frame`: what kind of turn it was and the request as understood (issue #19).
JSON_KEYS = {"question", "lang", "answer", "citations", "tool", "status", "act", "frame"}
CITATION_KEYS = {"doc_id", "title", "kind", "quote", "score"}
# A methodology citation also names its unit and carries the other rendering.
SEARCH_CITATION_KEYS = CITATION_KEYS | {
    "ref", "lang", "section", "twin_lang", "twin_title", "twin_section", "twin_quote",
}  # fmt: skip


def _five_questions(lang: str = "vi") -> list[str]:
    """The five questions as the methodology states them (computed from the article, or
    from its English rendering)."""
    folder = SEEDS / "en" if lang == "en" else SEEDS
    text = (folder / "000_63c02b439667d89c.txt").read_text(encoding="utf-8")
    lead = "these five questions: " if lang == "en" else "năm câu hỏi sau: "
    sentence = re.search(rf"{lead}(.+)", text).group(1)
    questions = [q.strip() + "?" for q in sentence.split("?") if q.strip()]
    assert len(questions) == 5
    return questions


def _ask_json(capsys, question: str) -> dict:
    assert main(["ask", "--json", question]) == 0
    return json.loads(capsys.readouterr().out)


def test_ask_json_shape(cli_env, capsys):
    out = _ask_json(capsys, "Atlas hành trình là gì?")
    assert set(out) == JSON_KEYS
    assert out["tool"] == "search" and out["lang"] == "vi"
    assert out["citations"] and all(set(c) == SEARCH_CITATION_KEYS for c in out["citations"])
    assert "kho lưu trữ các bản đồ hành trình được kết nối" in out["citations"][0]["quote"]
    assert "repository of interconnected journey maps" in out["citations"][0]["twin_quote"]


def test_five_questions_vietnamese(cli_env, capsys):
    out = _ask_json(capsys, "Năm câu hỏi của tư duy lấy hành trình làm trung tâm là gì?")
    for q in _five_questions():
        assert q in out["answer"]
    assert any("năm câu hỏi sau" in c["quote"] for c in out["citations"])
    assert out["citations"][0]["doc_id"] == "jcxm-part3"


def test_five_questions_english_are_answered_in_english(cli_env, capsys):
    out = _ask_json(capsys, "What are the five journey-thinking questions?")
    assert out["lang"] == "en"
    for q in _five_questions("en"):
        assert q in out["answer"].split("\n")[0]  # the direct answer names them all
    assert not any(q in out["answer"] for q in _five_questions("vi"))
    cite = next(c for c in out["citations"] if "these five questions" in c["quote"])
    assert cite["lang"] == "en" and cite["twin_lang"] == "vi"
    assert "năm câu hỏi sau" in cite["twin_quote"]  # the Vietnamese original, cited too


def test_ten_steps_listed_in_order(cli_env, capsys):
    out = _ask_json(capsys, "What are the 10 steps to start journey-centric CX management?")
    numbered = re.findall(r"^(\d+)\. ", out["answer"], flags=re.M)
    assert numbered == [str(i) for i in range(1, 11)]
    assert "Define your vision" in out["answer"]


def test_out_of_scope_says_so_and_shows_nearest(cli_env, capsys):
    out = _ask_json(capsys, "What is the boiling point of mercury?")
    assert out["tool"] == "search" and out["status"] == "answered"
    assert out["answer"].startswith("I found nothing in the methodology")
    assert out["citations"]  # the nearest passages, shown as such
    # A request outside the assistant's jobs is told what it can do instead.
    out = _ask_json(capsys, "Write an email to apologise to a customer for a late delivery")
    assert out["tool"] == "out_of_scope" and out["citations"] == []
    assert "journey" in out["answer"] and "help" in out["answer"]


def test_plain_output_has_sources(cli_env, capsys):
    assert main(["ask", "Bản đồ hành trình mô tả điều gì?"]) == 0
    text = capsys.readouterr().out
    assert "Nguồn:" in text and "[1]" in text


def test_missing_index_gives_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "empty"))
    assert main(["ask", "Atlas là gì?"]) == 2
    assert "Run `cx-assistant index` first" in capsys.readouterr().err
