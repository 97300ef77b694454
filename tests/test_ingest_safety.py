"""Hostile feedback files: implausible dates, absurd relative dates, files past the row
limit, rejects that would outgrow their file, and the same review written in another form."""

import json
import tracemalloc
from datetime import date
from pathlib import Path

import pytest

from assistant.core.errors import IngestLimitError
from assistant.core.settings import Settings
from assistant.feedback import records
from assistant.feedback.ingest import IngestLimits
from assistant.kb.base import KnowledgeBase
from assistant.surfaces.cli import main
from conftest import REPO


def _kb(tmp_path: Path, embedder, **settings) -> KnowledgeBase:
    s = Settings(_env_file=None, cx_data_dir=tmp_path / "data", cx_corpus_dir=REPO / "corpus",
                 **settings)  # fmt: skip
    return KnowledgeBase.open(s, embedder)


def _csv(path: Path, rows: list[str], header: str = "comment,n_star,date_time") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def kb(tmp_path, embedder):
    return _kb(tmp_path, embedder)


def test_a_row_dated_out_of_the_plausible_range_is_rejected_and_moves_no_period(kb, tmp_path):
    path = _csv(tmp_path / "shop.csv", [
        "Pin tốt,5,2 tuần trước",       # line 2: relative, from the reference date
        "Máy đẹp,5,1/6/2020",            # line 3: the latest plausible date
        "Giao chậm,1,1/1/2099",          # line 4: after today
        "Cũ quá,2,0001-01-01",           # line 5: before CX_EARLIEST_DATE
    ])  # fmt: skip
    report = kb.ingest(path, progress=False, embed=False)
    assert (report.accepted, report.rejected) == (2, 2)
    errors = {(e.line, e.field): e.message for e in report.errors}
    assert set(errors) == {(4, "date_time"), (5, "date_time")}
    assert "'1/1/2099' is outside 2000-01-01 to" in errors[(4, "date_time")]
    assert "CX_EARLIEST_DATE" in errors[(5, "date_time")]
    assert report.reference_date == date(2020, 6, 1)
    assert kb.feedback().latest_date() == date(2020, 6, 1)
    assert sorted(r.date for r in kb.feedback().records()) == [date(2020, 5, 18), date(2020, 6, 1)]


def test_the_earliest_plausible_date_is_a_setting(tmp_path, embedder):
    kb = _kb(tmp_path, embedder, cx_earliest_date=date(2020, 3, 1))
    path = _csv(tmp_path / "shop.csv", ["Pin tốt,5,1/6/2020", "Máy cũ,3,1/1/2020"])
    report = kb.ingest(path, progress=False, embed=False)
    assert (report.accepted, report.rejected, report.errors[0].line) == (1, 1, 3)


@pytest.mark.parametrize("cell", ["99999999 năm trước", "99999999999 days ago", "9999 years ago"])
def test_an_absurd_relative_date_is_a_rejected_row_not_a_lost_file(kb, tmp_path, cell):
    path = _csv(tmp_path / "shop.csv", ["Pin tốt,5,1/6/2020", f"Pin yếu,1,{cell}", "Ok,4,"])
    limits = IngestLimits(max_rows=100)
    # The chat upload path: the exception used to escape from here.
    report = kb.ingest_upload(path, "upload-t", share=False, limits=limits)
    assert (report.accepted, report.rejected) == (2, 1)
    assert (report.errors[0].line, report.errors[0].field) == (3, "date_time")
    assert kb.feedback().count(report.source) == 2


def test_the_cli_refuses_a_file_over_its_row_limit_whole(tmp_path, monkeypatch, capsys):
    from assistant.feedback.store import SQLiteFeedbackStore

    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CX_MAX_INGEST_ROWS", "10")
    path = _csv(tmp_path / "long.csv", [f"Pin yếu lần {i},2,1/1/2020" for i in range(30)])
    assert main(["ingest", str(path), "--no-embed"]) == 2
    err = capsys.readouterr().err
    assert "more than the 10 rows" in err and "CX_MAX_INGEST_ROWS" in err
    assert "nothing was stored" in err
    assert SQLiteFeedbackStore(tmp_path / "data" / "feedback.sqlite").count() == 0


def test_an_upload_is_refused_at_the_row_limit_without_holding_its_rows(kb, tmp_path):
    path = tmp_path / "tiny.csv"
    path.write_text("comment,n_star\n" + "a,1\n" * 300_000, encoding="utf-8")  # 1.2 MB
    limits = IngestLimits(max_rows=50_000)
    tracemalloc.start()
    try:
        with pytest.raises(IngestLimitError, match="more than the 50,000 rows"):
            kb.ingest_upload(path, "upload-tiny", share=False, limits=limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # A generous bound: holding the rows took hundreds of MB; counting them takes a few.
    assert peak < 50 * 1024 * 1024, f"{peak:,} bytes"
    assert kb.feedback().count() == 0


def test_rejects_never_outgrow_their_rows(tmp_path, embedder):
    kb = _kb(tmp_path, embedder, cx_max_cell_chars=1000)
    big = _csv(tmp_path / "big.csv", ["x" * 1_000_000 + ",1,"])
    report = kb.ingest(big, progress=False, embed=False)
    kept = Path(report.rejects_file).read_text(encoding="utf-8")
    assert report.rejected == 1 and len(kept) < 1000 and "[cut: 1,000,004 characters]" in kept
    # A run of unclosed quotes, one per line: one entry naming its first and last line.
    quotes = _csv(tmp_path / "quotes.csv", ['xin chào,"5,' for _ in range(20_000)])
    report = kb.ingest(quotes, progress=False, embed=False)
    (entry,) = [json.loads(x) for x in Path(report.rejects_file).read_text().splitlines()]
    assert report.rejected == 20_000 and (entry["line"], entry["until"]) == (2, 20_001)
    assert entry["message"] == "malformed CSV: a quote is not closed"
    assert [(e.line, e.until) for e in report.errors] == [(2, 20_001)]


def test_the_same_review_in_another_form_is_stored_once(kb, tmp_path):
    path = _csv(tmp_path / "shop.csv", [
        "Pin  tốt   lắm,5,14/09/2019",
        "Pin tốt lắm,5,2019-09-14",
        "Pin tốt lắm,4,2019-09-14",      # another rating: another review
    ])  # fmt: skip
    report = kb.ingest(path, progress=False, embed=False)
    assert (report.accepted, report.duplicates) == (2, 1)
    texts = sorted(r.text for r in kb.feedback().records())
    assert texts == ["Pin  tốt   lắm", "Pin tốt lắm"]  # stored as written


def test_rows_stored_under_the_former_key_are_still_found(kb, tmp_path, monkeypatch):
    # A store written before the key was normalised: the shipped corpus again adds nothing.
    shipped = REPO / "corpus" / "feedback" / "uit-visfd-train.csv"
    with monkeypatch.context() as m:
        m.setattr(records, "content_hash",
                  lambda text, rating, day, raw: records.legacy_content_hash(text, rating, raw))
        first = kb.ingest(shipped, progress=False, embed=False)
    again = kb.ingest(shipped, progress=False, embed=False)
    assert first.accepted > 7000 and again.accepted == 0
    assert kb.feedback().count() == first.accepted
