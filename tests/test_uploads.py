"""Files shared in a chat (issue #14): stored under a source of their own, private to the
whole-corpus answers unless the uploader asks to add them, within the upload limits, and
refused with fixed text that never echoes the file's name. Real Chroma, real files."""

from pathlib import Path

import pytest
from slack_harness import copy_feedback_kb

from assistant.agent.agent import Agent
from assistant.agent.registry import Registry
from assistant.chat.conversation import AccessPolicy, Conversations, Requester, asks_to_share
from assistant.core.tools import ToolContext
from assistant.feedback.scope import FeedbackFilters, select
from assistant.feedback.tools.pain_points import PainPointsInput, summarize_pain_points

UPLOADER = Requester(user="U0ALLOWED", surface="slack", shared=False)


@pytest.fixture(scope="module")
def kb(small_feedback, tmp_path_factory):
    return copy_feedback_kb(small_feedback, tmp_path_factory.mktemp("uploads"))


def _conversations(kb, **settings) -> Conversations:
    s = kb.settings.model_copy(update={"cx_allowed_users": "U0ALLOWED", **settings})
    return Conversations(Agent(kb), AccessPolicy(s, Registry()), ratings=None)


def _csv(path: Path, rows: list[str], header: str = "comment,n_star") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def _battery(n: int, tag: str) -> list[str]:
    return [f"Pin yếu quá hết pin nhanh lần {tag} {i},1" for i in range(n)]


def _whole_corpus(kb) -> dict:
    """What whole-corpus answers show: pains with counts, corpus_total, journey totals."""
    out = summarize_pain_points(PainPointsInput(top=20), ToolContext(kb, "en"))
    journeys = {j.id: select(kb, FeedbackFilters(journey=j.id)).scope.total
                for j in kb.atlas().journeys}  # fmt: skip
    return {
        "total": out.total, "corpus_total": out.corpus_total,
        "pains": [(p.aspect, p.count) for p in out.pain_points + out.delights],
        "tag_origins": out.tag_origins, "journeys": journeys,
        "latest": kb.feedback().latest_date(),
    }  # fmt: skip


def test_a_chat_upload_stays_out_of_whole_corpus_answers_and_is_found_by_its_source(kb, tmp_path):
    conv = _conversations(kb)
    before = _whole_corpus(kb)
    path = _csv(tmp_path / "pin khach 0912345678.csv", _battery(40, "a"))
    outcome = conv.ingest_file(path, UPLOADER, "en")
    assert outcome.report is not None and outcome.report.accepted == 40
    assert not outcome.shared
    source = outcome.source
    assert source.startswith("upload-slack-") and "0912345678" not in source
    assert "U0ALLOWED" not in source and "u0allowed" not in source  # the user as a digest
    assert source in kb.feedback().private_sources()

    assert _whole_corpus(kb) == before  # pains, corpus_total, journeys: unchanged

    mine = summarize_pain_points(PainPointsInput(source=source), ToolContext(kb, "en"))
    assert mine.total == 40 and mine.corpus_total == before["corpus_total"] + 40
    assert mine.filters["source"] == source
    assert any(p.aspect == "BATTERY" for p in mine.pain_points)

    # The same file again from the same person: the same source, nothing added.
    again = conv.ingest_file(path, UPLOADER, "en")
    assert again.source == source and again.report.accepted == 0
    assert _whole_corpus(kb) == before


def test_asking_to_add_it_grows_the_corpus_by_exactly_its_valid_rows(kb, tmp_path):
    conv = _conversations(kb)
    rows = _battery(35, "b") + [",5", "Pin tệ,chín"]  # two bad rows: no text, bad rating
    path = _csv(tmp_path / "survey.csv", rows)
    before = _whole_corpus(kb)
    private = conv.ingest_file(path, UPLOADER, "en")
    assert private.report.accepted == 35 and private.report.rejected == 2
    assert _whole_corpus(kb) == before

    # Sent again with "add to corpus": the same source, now part of the shared corpus.
    shared = conv.ingest_file(path, UPLOADER, "en", share=True)
    assert shared.shared and shared.source == private.source
    assert shared.source not in kb.feedback().private_sources()
    after = _whole_corpus(kb)
    assert after["corpus_total"] == before["corpus_total"] + 35
    assert after["total"] == before["total"] + 35

    # A new file shared at once is added straight away.
    fresh = _csv(tmp_path / "more.csv", _battery(3, "c"))
    out = conv.ingest_file(fresh, UPLOADER, "vi", share=True)
    assert out.report.accepted == 3
    assert _whole_corpus(kb)["corpus_total"] == after["corpus_total"] + 3


def test_an_upload_over_a_limit_is_refused_whole(kb, tmp_path):
    store = kb.feedback()
    count = store.count()
    conv = _conversations(kb, cx_max_upload_rows=10)
    refused = conv.ingest_file(_csv(tmp_path / "long.csv", _battery(11, "d")), UPLOADER, "en")
    assert refused.report is None
    # Counted while read, refused at the first row past the limit: "more than", not a total.
    assert "more than 10 rows" in refused.refused and "at most 10 rows" in refused.refused
    assert "CX_MAX_UPLOAD_ROWS" in refused.refused and "Nothing was stored" in refused.refused
    assert store.count() == count and store.count(refused.source) == 0

    vi = conv.ingest_file(_csv(tmp_path / "dai.csv", _battery(12, "e")), UPLOADER, "vi")
    assert "hơn 10 dòng" in vi.refused and "CX_MAX_UPLOAD_ROWS" in vi.refused

    small = _conversations(kb, cx_max_upload_bytes=100)
    big = small.ingest_file(_csv(tmp_path / "big.csv", _battery(5, "f")), UPLOADER, "en")
    assert big.report is None and "CX_MAX_UPLOAD_BYTES" in big.refused
    assert "too large" in big.refused and store.count() == count


def test_an_unreadable_upload_gets_the_fixed_message_without_its_name(kb, tmp_path):
    conv = _conversations(kb)
    path = _csv(tmp_path / "kh 0987654321.csv", ["1,2"], header="a,b")
    out = conv.ingest_file(path, UPLOADER, "en")
    assert out.report is None and "no text column found" in out.refused
    assert "0987654321" not in out.refused and str(tmp_path) not in out.refused
    assert out.source in out.refused  # the upload is named by its source


def test_a_private_upload_is_read_by_its_uploader_only(kb, tmp_path):
    conv = _conversations(kb, cx_allowed_users="U0ALLOWED,U0COLLEAGUE")
    out = conv.ingest_file(_csv(tmp_path / "mine.csv", _battery(40, "p")), UPLOADER, "en")
    assert out.report is not None and out.report.accepted == 40
    ask = f"pains source:{out.source}"
    mine = conv.ask(ask, "c-up-1", UPLOADER).answer
    assert mine.status == "answered" and mine.result.total == 40
    colleague = Requester(user="U0COLLEAGUE", surface="slack", shared=False)
    theirs = conv.ask(ask, "c-up-2", colleague).answer
    assert theirs.status == "error" and theirs.result is None
    assert "Pin yếu" not in theirs.answer and "No feedback source named" in theirs.answer
    operator = Requester(user="U0OPS", surface="cli", operator=True)
    assert conv.ask(ask, "c-up-3", operator).answer.result.total == 40


def test_an_empty_allowed_users_setting_never_widens_access(monkeypatch):
    from assistant.core.settings import Settings

    monkeypatch.setenv("CX_ALLOWED_USERS", "")
    monkeypatch.setenv("CX_SLACK_ALLOWED_USERS", "U0OLD")
    assert Settings(_env_file=None).allowed_users == {"U0OLD"}
    monkeypatch.setenv("CX_ALLOWED_USERS", "U0NEW")
    assert Settings(_env_file=None).allowed_users == {"U0NEW"}


def test_only_allowed_people_may_upload(kb, tmp_path):
    count = kb.feedback().count()
    stranger = Requester(user="U0OTHER", surface="slack")
    out = _conversations(kb).ingest_file(_csv(tmp_path / "x.csv", _battery(2, "g")), stranger)
    assert out.report is None and "not allowed" in out.refused
    assert kb.feedback().count() == count


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("add to corpus", True),
        ("Please add this file to the shared corpus", True),
        ("thêm vào dữ liệu chung", True),
        ("Thêm tệp này vào dữ liệu chung nhé", True),
        ("", False),
        ("what does the corpus say?", False),
        ("tóm tắt dữ liệu này", False),
    ],
)
def test_the_words_that_ask_to_add_a_file_to_the_corpus(text, wanted):
    assert asks_to_share(text) is wanted
