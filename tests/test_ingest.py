"""Feedback ingestion: broken rows reported, good rows kept, redacted everywhere, idempotent."""

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.knowledge.base import KnowledgeBase
from assistant.knowledge.ingest import IngestError
from assistant.settings import Settings
from conftest import REPO

GOOD = [
    '"Máy tốt, pin trâu",5,2 tuần trước,{BATTERY#Positive};{GENERAL#Positive};',
    "Giao hàng nhanh gọn,4,3/3/2020,{SER&ACC#Positive};",
    '"Bình luận\nhai dòng, camera đẹp",4,4/4/2020,{CAMERA#Positive};',
    "Liên hệ mình 0912345678 hoặc a.b@gmail.com nhé,2,5/5/2020,{SER&ACC#Negative};",
    "Giá 7.990.000đ hơi cao,3,6/6/2020,{PRICE#Negative};",
]


def _broken_csv(path):
    lines = [
        "comment,n_star,date_time,label",
        GOOD[0],                                    # line 2
        '"Quote chưa đóng,4,1/1/2020,',             # line 3: unclosed quote
        GOOD[1],                                    # line 4
        GOOD[2],                                    # lines 5-6
        ",5,1/1/2020,",                             # line 7: no text
        "Pin yếu,sáu,1/1/2020,",                    # line 8: rating not a number
        "Pin yếu quá,7,1/1/2020,",                  # line 9: rating out of range
        GOOD[3],                                    # line 10
        GOOD[0],                                    # line 11: duplicate of line 2
        GOOD[4],                                    # line 12
    ]  # fmt: skip
    data = "\n".join(lines).encode("utf-8") + b"\n"
    data += "Máy đẹp, gọi 0987654321".encode("cp1252", "replace").replace(b"?", b"\xe1")
    data += b",5,1/1/2020,\n"  # line 13: not UTF-8
    path.write_bytes(data)
    return path


@pytest.fixture
def kb(tmp_path, embedder):
    s = Settings(_env_file=None, cx_data_dir=tmp_path / "data", cx_corpus_dir=REPO / "corpus")
    return KnowledgeBase.open(s, embedder)


def test_broken_rows_are_reported_and_good_rows_kept(kb, tmp_path):
    report = kb.ingest(_broken_csv(tmp_path / "shop.csv"), progress=False)
    assert (report.accepted, report.rejected, report.duplicates) == (5, 5, 1)
    errors = {(e.line, e.field): e.message for e in report.errors}
    assert errors[(3, "row")].startswith("malformed CSV")
    assert errors[(7, "comment")] == "empty feedback text"
    assert "not a number" in errors[(8, "n_star")]
    assert "whole number from 1 to 5" in errors[(9, "n_star")]
    assert errors[(13, "row")].startswith("not valid UTF-8")
    assert report.indexed == 5
    # The collection date is the latest absolute date: "2 tuần trước" is two weeks before it.
    assert report.reference_date == date(2020, 6, 6)
    rec = next(r for r in kb.feedback().records() if r.line == 2)
    assert rec.date == date(2020, 5, 23) and rec.rating == 5
    assert [(lbl.aspect, lbl.sentiment) for lbl in rec.labels] == [
        ("BATTERY", "positive"), ("GENERAL", "positive"),
    ]  # fmt: skip
    multi = next(r for r in kb.feedback().records() if r.line == 5)
    assert multi.text == "Bình luận\nhai dòng, camera đẹp"


def test_personal_data_never_reaches_storage(kb, tmp_path):
    report = kb.ingest(_broken_csv(tmp_path / "shop.csv"), progress=False)
    planted = ("0912345678", "a.b@gmail.com", "0987654321")
    db = sqlite3.connect(kb.settings.feedback_db)
    stored = " ".join(row[0] for row in db.execute("SELECT text FROM feedback"))
    chroma_docs = " ".join(c.text for c in kb.store("feedback").all_chunks())
    rejects = Path(report.rejects_file).read_text(encoding="utf-8")
    for secret in planted:
        assert secret not in stored and secret not in chroma_docs and secret not in rejects
    assert "[PHONE]" in stored and "[EMAIL]" in stored and "7.990.000đ" in stored
    assert "[PHONE]" in rejects  # the rejected row is kept aside, redacted too


def test_reingest_adds_nothing(kb, tmp_path):
    path = _broken_csv(tmp_path / "shop.csv")
    kb.ingest(path, progress=False)
    again = kb.ingest(path, progress=False)
    # 5 rows already stored, and the row that repeats inside the file
    assert (again.accepted, again.duplicates, again.indexed) == (0, 6, 0)
    assert kb.feedback().count() == 5 and kb.store("feedback").count() == 5


def test_jsonl_with_column_mapping(kb, tmp_path):
    path = tmp_path / "chats.jsonl"
    rows = [
        {"msg": "Nhân viên tư vấn nhiệt tình", "score": 5, "when": "2024-01-02", "ch": "chat"},
        {"msg": "Shipper giao trễ", "score": "2", "when": "2024-01-03", "ch": "delivery"},
        "not an object",
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    cols = {"text": "msg", "rating": "score", "date": "when", "channel": "ch"}
    report = kb.ingest(path, columns=cols, progress=False, embed=False)
    assert (report.accepted, report.rejected) == (2, 1)
    recs = list(kb.feedback().records())
    assert [r.channel for r in recs] == ["chat", "delivery"]
    assert recs[1].date == date(2024, 1, 3) and recs[1].rating == 2


def test_no_text_column_is_a_clear_error(kb, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(IngestError, match="no text column found.*--text-column"):
        kb.ingest(path, progress=False)


def test_ingest_cli_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))
    path = _broken_csv(tmp_path / "shop.csv")
    assert main(["ingest", str(path), "--json", "--no-embed"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"accepted", "rejected", "duplicates", "errors"}
    assert (out["accepted"], out["rejected"], out["duplicates"]) == (5, 5, 1)
    assert {"line": 9, "field": "n_star"}.items() <= out["errors"][3].items()
