"""Feedback ingestion: broken rows reported, good rows kept, redacted everywhere, idempotent."""

import json
from datetime import date
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.feedback.ingest import IngestError
from assistant.kb.base import KnowledgeBase
from assistant.surfaces.cli import main
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
    stored = " ".join(row["text"] for row in kb.feedback().dump()["feedback"])
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


# -- sources, ids and duplicates ------------------------------------------------------------


def _csv(path: Path, header: str, rows: list[str], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def test_files_with_the_same_name_keep_their_own_rows(kb, tmp_path):
    jan = _csv(tmp_path / "jan" / "export.csv", "id,comment,n_star",
               ["1,Giao hàng chậm,2", "2,Pin yếu,2", "3,Màn hình đẹp,5"])  # fmt: skip
    feb = _csv(tmp_path / "feb" / "export.csv", "id,comment,n_star",
               ["1,Nhân viên nhiệt tình,5", "2,Máy nóng,2", "3,Camera mờ,3"])  # fmt: skip
    a = kb.ingest(jan, progress=False, embed=False)
    b = kb.ingest(feb, progress=False, embed=False)
    assert (a.accepted, b.accepted, b.duplicates) == (3, 3, 0)
    assert a.source != b.source and kb.feedback().count() == 6
    assert {r.text for r in kb.feedback().records(b.source)} == {
        "Nhân viên nhiệt tình", "Máy nóng", "Camera mờ",
    }  # fmt: skip
    again = kb.ingest(feb, progress=False, embed=False)  # same file, same place: nothing new
    assert (again.source, again.accepted, again.duplicates) == (b.source, 0, 3)
    # A copy of rows already stored, from anywhere, is a duplicate by content.
    copy = _csv(tmp_path / "copy.csv", "comment,n_star", ["Máy nóng,2"])
    assert kb.ingest(copy, progress=False, embed=False).duplicates == 1


def test_a_file_named_like_a_shipped_one_never_adds_to_the_shipped_set(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    shipped = _csv(corpus / "feedback" / "uit-visfd-train.csv", "comment,n_star",
                   ["Pin trâu,5", "Giao nhanh,4"])  # fmt: skip
    foreign = _csv(tmp_path / "downloads" / "uit-visfd-train.csv", "comment,n_star",
                   ["Máy lag,1", "Pin trâu,5"])  # fmt: skip
    s = Settings(_env_file=None, cx_data_dir=tmp_path / "data", cx_corpus_dir=corpus)
    kb = KnowledgeBase.open(s, embedder)
    # The foreign file comes first: the shipped name stays reserved for the shipped file.
    other = kb.ingest(foreign, progress=False, embed=False)
    own = kb.ingest(shipped, progress=False, embed=False)
    assert own.source == "uit-visfd-train" and other.source.startswith("uit-visfd-train-")
    assert own.duplicates == 1  # "Pin trâu,5" was stored from the other file first
    assert [r.text for r in kb.feedback().records("uit-visfd-train")] == ["Giao nhanh"]
    assert [r.text for r in kb.feedback().records(other.source)] == ["Máy lag", "Pin trâu"]


SECRETS = ("kh.0987654324@mail.vn", "0987654324", "0912345678", "0909123456", "079123456789")


def test_every_stored_field_and_every_message_is_redacted(tmp_path, embedder, monkeypatch, capsys):
    path = _csv(
        tmp_path / "kh.0987654324@mail.vn.csv",
        "id,comment,n_star,date,segment,channel,label",
        [
            "kh.0987654324@mail.vn,Pin tốt,5,0912345678,VIP 0909123456,zalo 0912345678,"
            "{0912345678#Positive}",
            "079123456789,Giao chậm,0987654324,1/1/2020,,,",  # rating holds a phone number
        ],
    )
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))
    assert main(["ingest", str(path)]) == 0
    # The first line echoes the file name as typed; the row errors are what is checked.
    out = "\n".join(capsys.readouterr().out.split("\n")[1:])
    assert "line 3: n_star: rating '[PHONE]' is not a whole number" in out
    s = Settings(_env_file=None, cx_data_dir=tmp_path / "data", cx_corpus_dir=REPO / "corpus")
    kb = KnowledgeBase.open(s, embedder)
    stored = json.dumps(kb.feedback().dump())  # every table, as stored
    got = kb.store("feedback")._col.get(include=["documents", "metadatas"])
    chroma = {k: got[k] for k in ("ids", "documents", "metadatas")}
    rejects = "".join(p.read_text(encoding="utf-8") for p in s.rejects_dir.iterdir())
    for secret in SECRETS:
        for where in (stored, json.dumps(chroma, ensure_ascii=False), rejects, out):
            assert secret not in where
    rec = next(kb.feedback().records())
    assert (rec.segment, rec.channel, rec.date_raw, rec.external_id) == (
        "VIP [PHONE]", "zalo [PHONE]", "[PHONE]", "[EMAIL]",
    )  # fmt: skip
    assert rec.labels[0].aspect == "[PHONE]" and rec.redactions == 4
    assert rec.id == f"{rec.source}:{rec.content_hash}"  # never a value of the row


# -- bad rows: reported with line, field and reason; the others kept ---------------------------


def test_duplicate_header_names_are_never_silently_merged(kb, tmp_path):
    path = _csv(tmp_path / "dup.csv", "comment,n_star,comment",
                ["Pin tốt,5,Pin tốt", "Pin yếu,2,Giao chậm", "Máy đẹp,5,"])  # fmt: skip
    report = kb.ingest(path, progress=False, embed=False)
    assert (report.accepted, report.rejected) == (2, 1)
    e = report.errors[0]
    assert (e.line, e.field) == (3, "comment") and "columns 1, 3" in e.message
    assert sorted(r.text for r in kb.feedback().records()) == ["Máy đẹp", "Pin tốt"]


def test_bad_jsonl_values_are_row_errors(kb, tmp_path):
    lines = [
        json.dumps({"text": "Pin tốt", "rating": 5}, ensure_ascii=False),
        '{"text": "Số quá dài", "rating": ' + "9" * 5000 + "}",  # over Python's int limit
        json.dumps({"text": {"vi": "lồng", "en": "nested"}, "rating": 4}, ensure_ascii=False),
        json.dumps({"text": "\u0000", "rating": 3}),  # NUL only
        json.dumps({"text": "Giao nhanh", "rating": True}, ensure_ascii=False),
        '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}",
        json.dumps({"text": ["a", "b"]}),
        json.dumps({"text": "Máy ổn", "rating": 4, "channel": "app"}, ensure_ascii=False),
    ]
    path = tmp_path / "chats.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    report = kb.ingest(path, progress=False, embed=False)
    assert (report.accepted, report.rejected) == (2, 6)
    errors = {e.line: (e.field, e.message) for e in report.errors}
    assert errors[2] == ("row", "a number is too long to read")
    assert errors[3] == ("text", "a JSON object where text or a number is expected")
    assert errors[4][0] == "text" and "NUL" in errors[4][1]
    assert errors[5] == ("rating", "true/false where text or a number is expected")
    assert errors[6] == ("row", "values are nested too deeply")
    assert errors[7] == ("text", "a JSON list where text or a number is expected")
    assert [r.text for r in kb.feedback().records()] == ["Pin tốt", "Máy ổn"]


def test_a_long_cell_in_any_column_is_rejected_before_it_is_read(tmp_path, embedder):
    s = Settings(_env_file=None, cx_data_dir=tmp_path / "d", cx_max_cell_chars=1000)
    path = _csv(tmp_path / "long.csv", "comment,n_star,segment",
                ["Pin tốt,5,VIP", "Pin yếu,2," + "x" * 5000, "a" * 1001 + ",3,",
                 "Giao nhanh,5,"])  # fmt: skip
    report = KnowledgeBase.open(s, embedder).ingest(path, progress=False, embed=False)
    assert (report.accepted, report.rejected) == (2, 2)
    assert [(e.line, e.field) for e in report.errors] == [(3, "segment"), (4, "comment")]
    assert "the limit is 1,000 (CX_MAX_CELL_CHARS)" in report.errors[0].message
    # A 200k-character cell: rejected, kept aside redacted and cut to its first characters.
    big = _csv(tmp_path / "big.csv", "comment,n_star",
               ["a" * 300 + "@x.vn 0912345678 " + "a" * 200_000 + ",1"])  # fmt: skip
    report = KnowledgeBase.open(s, embedder).ingest(big, progress=False, embed=False)
    kept = Path(report.rejects_file).read_text(encoding="utf-8")
    assert report.rejected == 1 and "[EMAIL] [PHONE]" in kept and len(kept) < 1000


# -- encodings and delimiters ------------------------------------------------------------------


def test_excel_exports_are_read(kb, tmp_path):
    rows = ["Pin tốt,5", "Giao chậm,2"]
    bom = tmp_path / "excel-utf8.csv"  # Excel's "CSV UTF-8": a byte-order mark first
    bom.write_bytes(b"\xef\xbb\xbf" + b"comment,n_star\n" + "\n".join(rows).encode())
    semi = _csv(tmp_path / "semicolon.csv", "comment;n_star;date_time",
                ["Máy đẹp, pin ổn;4;1/2/2020", "Lag;1;2/2/2020"])  # fmt: skip
    utf16 = tmp_path / "unicode-text.csv"  # Excel's "Unicode text": UTF-16, tabs
    utf16.write_bytes("comment\tn_star\r\nCamera mờ\t3\r\n".encode("utf-16"))
    counts = [kb.ingest(p, progress=False, embed=False).accepted for p in (bom, semi, utf16)]
    assert counts == [2, 2, 1]
    texts = {r.text: r.rating for r in kb.feedback().records()}
    assert texts["Máy đẹp, pin ổn"] == 4 and texts["Camera mờ"] == 3


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("comment,n_star\nPin tốt,5\n".encode("utf-16-le"), "UTF-16 without a byte-order mark"),
        ("commentaire_é,n_star\nTrès bon,5\n".encode("latin-1"), "the header is not UTF-8"),
    ],
)
def test_an_unreadable_encoding_is_named(kb, tmp_path, data, expected):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    with pytest.raises(IngestError, match=expected):
        kb.ingest(path, progress=False, embed=False)


def test_a_damaged_feedback_database_names_the_file_and_the_fix(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "feedback.sqlite").write_bytes(b"not a database" * 500)
    monkeypatch.setenv("CX_DATA_DIR", str(data))
    path = _csv(tmp_path / "a.csv", "comment,n_star", ["Pin tốt,5"])
    assert main(["ingest", str(path), "--no-embed"]) == 2
    err = capsys.readouterr().err
    assert str(data / "feedback.sqlite") in err and "cx-assistant index" in err
    assert "Traceback" not in err


def test_a_database_of_the_first_scheme_is_migrated(tmp_path, embedder):
    # The SQLite backend's own migration: a file of the first scheme can only be written in
    # SQL, so this test alone speaks it.
    import sqlite3

    from assistant.feedback.store.sqlite import SCHEMA

    s = Settings(_env_file=None, cx_data_dir=tmp_path / "d", cx_corpus_dir=REPO / "corpus")
    s.cx_data_dir.mkdir()
    db = sqlite3.connect(s.feedback_db)
    db.executescript(SCHEMA.replace(",\n    external_id TEXT", ""))
    db.execute(
        "INSERT INTO feedback (id, content_hash, source, line, text, rating, date_raw, segment,"
        " lang, labels) VALUES ('shop:kh.0987654324@mail.vn', 'h1', 'shop', 2,"
        " 'Gọi (+84) 912 345 678', 1, '1/1/2020', 'VIP 0909123456', 'vi', '[]')"
    )
    db.execute("INSERT INTO tags VALUES ('shop:kh.0987654324@mail.vn', 'BATTERY', 'negative')")
    db.commit()
    db.close()
    kb = KnowledgeBase.open(s, embedder)
    (rec,) = kb.feedback().records()
    assert (rec.id, rec.external_id, rec.text, rec.segment) == (
        "shop:h1", "[EMAIL]", "Gọi [PHONE]", "VIP [PHONE]",
    )  # fmt: skip
    assert kb.feedback().all_tags() == [("shop:h1", "BATTERY", "negative")]
    # The file of that name, ingested again, takes its rows over: nothing is stored twice.
    path = _csv(tmp_path / "shop.csv", "comment,n_star", ["Pin yếu,2"])
    assert kb.ingest(path, progress=False, embed=False).source == "shop"


def test_the_cli_refuses_a_file_over_the_ingest_size(tmp_path, monkeypatch, capsys):
    from assistant.feedback.store import SQLiteFeedbackStore

    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CX_MAX_INGEST_BYTES", "200")
    path = _csv(tmp_path / "big.csv", "comment,n_star", [f"Pin yếu lần {i},2" for i in range(30)])
    assert main(["ingest", str(path), "--no-embed"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "CX_MAX_INGEST_BYTES" in err and "nothing was stored" in err
    assert SQLiteFeedbackStore(tmp_path / "data" / "feedback.sqlite").count() == 0
