"""A helpdesk export (.json, as Zendesk or Freshdesk write it) is a feedback format like the
others: one reader module, found by the registry, and nothing else to change."""

import json
from pathlib import Path

import pytest

from assistant.core.errors import IngestError
from assistant.core.settings import Settings
from assistant.feedback.readers import SUPPORTED, format_names, reader_for
from assistant.feedback.readers.helpdesk_json import READER
from assistant.kb.base import KnowledgeBase
from assistant.surfaces.slack.files import readable_file
from conftest import REPO

TICKETS = [
    {"id": 101, "description": "Giao hàng chậm, pin yếu", "satisfaction_rating": {"score": 2},
     "created_at": "2024-03-01T10:00:00Z", "via": {"channel": "email"}, "status": "solved"},
    {"id": 102, "comment": {"body": "Nhân viên nhiệt tình"}, "rating": 5,
     "created_at": "2024-03-02T09:30:00Z", "channel": "chat"},
    {"id": 103, "description": "Pin tốt", "satisfaction_rating": {"score": 9}},  # out of range
    {"id": 104, "description": "Liên hệ mình qua kh.nguyen@mail.vn nhé",
     "satisfaction_rating": {"score": "unoffered"}, "created_at": "2024-03-04"},
]  # fmt: skip


@pytest.fixture
def kb(tmp_path, embedder):
    s = Settings(_env_file=None, cx_data_dir=tmp_path / "data", cx_corpus_dir=REPO / "corpus")
    return KnowledgeBase.open(s, embedder)


def test_a_helpdesk_export_is_ingested_ticket_by_ticket(kb, tmp_path):
    path = tmp_path / "zendesk.json"
    path.write_text(json.dumps({"tickets": TICKETS}, ensure_ascii=False), encoding="utf-8")
    report = kb.ingest(path, progress=False, embed=False)
    assert (report.accepted, report.rejected) == (3, 1)
    (error,) = report.errors
    assert (error.line, error.field) == (3, "rating")  # the third ticket, its rating
    assert error.message == "rating '9' is not a whole number from 1 to 5"
    stored = {r.external_id: r for r in kb.feedback().records()}
    assert sorted(stored) == ["101", "102", "104"]
    first = stored["101"]
    assert (first.text, first.rating, str(first.date), first.channel, first.line) == (
        "Giao hàng chậm, pin yếu", 2, "2024-03-01", "email", 1,
    )  # fmt: skip
    assert (stored["102"].text, stored["102"].rating, stored["102"].channel) == (
        "Nhân viên nhiệt tình", 5, "chat",
    )  # fmt: skip
    # A survey never answered is no rating, not a bad one; the email is redacted.
    assert stored["104"].rating is None
    assert stored["104"].text == "Liên hệ mình qua [EMAIL] nhé"
    assert "kh.nguyen" not in json.dumps(kb.feedback().dump(), ensure_ascii=False)
    # The rejected ticket is kept aside as read, with its position.
    (reject,) = [json.loads(x) for x in Path(report.rejects_file).read_text().splitlines()]
    assert (reject["line"], reject["field"], json.loads(reject["raw"])["id"]) == (3, "rating", 103)


def test_a_plain_array_of_tickets_reads_the_same():
    rows = list(READER.rows(json.dumps(TICKETS[:2])))
    assert [(line, row["text"]) for line, row, _ in rows] == [
        (1, "Giao hàng chậm, pin yếu"), (2, "Nhân viên nhiệt tình"),
    ]  # fmt: skip
    assert READER.header(json.dumps(TICKETS[:2]))[:1] == ["id"]


def test_a_file_that_is_not_a_ticket_export_names_the_file(kb, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"tickets": [{"id": 1,}]}', encoding="utf-8")
    with pytest.raises(IngestError, match=r"broken\.json: not valid JSON \(line 1, column 23"):
        kb.ingest(broken, progress=False, embed=False)
    other = tmp_path / "other.json"
    other.write_text('{"users": []}', encoding="utf-8")
    with pytest.raises(IngestError, match='other.json: expected a JSON array of tickets'):
        kb.ingest(other, progress=False, embed=False)


def test_the_format_is_added_by_its_module_alone():
    # The registry finds the reader; ingestion, the CLI and Slack uploads ask the registry.
    assert reader_for(Path("export.JSON")) is READER and ".json" in SUPPORTED
    assert "helpdesk JSON" in format_names()
    assert readable_file({"files": [{"name": "notes.png"}, {"name": "export.json"}]}) == {
        "name": "export.json"
    }
