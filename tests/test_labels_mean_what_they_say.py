"""Every label means what it says (issue #20): touchpoints counted by what comments name,
steps by what they speak of, praise that its own rating contradicts never quoted as praise.
Each expectation is recomputed here from the shipped CSV, not copied from an output."""

from __future__ import annotations

import csv
import re

import pytest

from assistant.core.text import fold, nfc
from assistant.core.tools import ToolContext
from assistant.feedback.records import parse_labels
from assistant.feedback.render.pain_points_md import render_pain_points
from assistant.feedback.tools.pain_points import PainPointsInput, summarize_pain_points
from conftest import REPO, copy_kb

TRAIN = REPO / "corpus" / "feedback" / "uit-visfd-train.csv"


@pytest.fixture(scope="module")
def kb(full_kb, tmp_path_factory):
    return copy_kb(full_kb, tmp_path_factory.mktemp("labels") / "data", cx_min_evidence=30)


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with TRAIN.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _names(text: str, words: list[str]) -> bool:
    """An independent reading of the documented rule: a word, whole, anywhere in the text;
    typed without accents it matches any accents, typed with them only as written."""
    text = nfc(text).lower()
    for w in words:
        for m in re.finditer(rf"(?<!\w){re.escape(fold(w))}(?!\w)", fold(text)):
            typed = text[m.start() : m.end()]
            if fold(typed) == typed or typed.split() == nfc(w).lower().split():
                return True
    return False


def test_a_touchpoint_filter_counts_the_comments_that_name_it_and_says_when_it_falls_back(
    kb, rows
):
    # `pains --touchpoint hotline`: few comments name the hotline ("tổng đài", "hotline").
    words = kb.linker().touchpoint_cues["hotline"]
    naming = sum(_names(r["comment"], words) for r in rows)
    out = summarize_pain_points(PainPointsInput(touchpoint="hotline"), ToolContext(kb, lang="en"))
    assert out.touchpoint_named == naming
    assert naming < kb.settings.cx_min_evidence  # too few: the scope falls back to steps
    owners = sorted(f"{j.id}.{s.id}" for j in kb.atlas().journeys for _, s in j.steps()
                    if "hotline" in s.touchpoints)  # fmt: skip
    assert sorted(out.touchpoint_steps) == owners
    store = kb.feedback()
    linked = {rid for ref in owners for rid in store.records_linked_to(*ref.split("."))}
    assert out.total == len(linked)
    line = render_pain_points(out, "en").splitlines()[0]
    assert f"only {naming} comments mention the hotline" in line
    assert "the steps where the hotline is a touchpoint" in line
    assert "touchpoint hotline —" not in line  # the old label that hid the fallback


def test_a_touchpoint_many_comments_name_is_counted_by_its_mentions(kb, rows):
    words = kb.linker().touchpoint_cues["store-staff"]
    naming = sum(_names(r["comment"], words) for r in rows)
    out = summarize_pain_points(PainPointsInput(touchpoint="store-staff"),
                                ToolContext(kb, lang="en"))  # fmt: skip
    assert naming >= kb.settings.cx_min_evidence
    assert out.touchpoint_steps == [] and out.total == out.touchpoint_named
    # The matcher and this reading may differ only where accents typed differ from a cue's.
    assert abs(out.total - naming) <= naming * 0.02
    line = render_pain_points(out, "en").splitlines()[0]
    assert f"comments that mention the store staff ({out.total:,})" in line


def test_praise_its_own_rating_contradicts_is_counted_not_quoted(kb, rows):
    # `pains --journey warranty --max-rating 2`: the dataset labels some 1★ complaints
    # GENERAL#Positive ("Sản phẩm quá tệ, đi sửa cả chục lần…"). None is quoted as praise.
    out = summarize_pain_points(PainPointsInput(journey="warranty", max_rating=2),
                                ToolContext(kb, lang="en"))  # fmt: skip
    assert out.delights, "the labels hold praise at 1-2 stars in this scope"
    by_text = {r["comment"]: r for r in rows}
    for d in out.delights:
        assert d.rating_conflicts == d.count  # every one of them is rated 1-2 stars
        assert all(q.rating is None or q.rating >= 3 for q in d.quotes)
        assert all(t.quote.rating is None or t.quote.rating >= 3 for t in d.themes)
    # The example of the issue: its labels say praise, its rating says 1 star.
    noisy = [r for r in rows if r["n_star"] in ("1", "2") and any(
        lbl.sentiment == "positive" for lbl in parse_labels(r["label"]))]  # fmt: skip
    assert noisy and all(r["comment"] in by_text for r in noisy)
    text = render_pain_points(out, "en")
    assert "labelled praise but rated 1-2 stars (label noise): counted, not quoted" in text
    for r in noisy:
        assert r["comment"][:60] not in text.split("What delights customers")[-1]
