"""The pain-point summary: counts against a direct count, filters, trend, redacted quotes."""

import csv
import json
import re
from collections import Counter
from datetime import date

import pytest

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.core.tools import ToolContext
from assistant.feedback.render.pain_points_md import render_pain_points
from assistant.feedback.tools.pain_points import (
    PainPointsInput,
    periods_between,
    summarize_pain_points,
)
from assistant.kb.base import KnowledgeBase
from assistant.surfaces.cli import main
from conftest import REPO, copy_kb

TRAIN = REPO / "corpus" / "feedback" / "uit-visfd-train.csv"


def _kb(tmp_path, embedder, min_evidence: int = 30):
    s = Settings(_env_file=None, cx_data_dir=tmp_path / "data", cx_corpus_dir=REPO / "corpus",
                 cx_min_evidence=min_evidence)  # fmt: skip
    return KnowledgeBase.open(s, embedder)


@pytest.fixture
def small_kb(tmp_path, embedder):
    rows = [
        ("Pin tụt nhanh quá, gọi 0912345678", 1, "5/3/2020", "{BATTERY#Negative};"),
        ("Pin hao, máy nóng", 2, "10/3/2020", "{BATTERY#Negative};{PERFORMANCE#Negative};"),
        ("Pin yếu", 2, "20/3/2020", "{BATTERY#Negative};"),
        ("Pin kém", 3, "15/2/2020", "{BATTERY#Negative};"),
        ("Giao hàng chậm", 1, "12/3/2020", "{SER&ACC#Negative};"),
        ("Nhân viên nhiệt tình", 5, "13/3/2020", "{SER&ACC#Positive};"),
        ("Camera đẹp", 5, "1/1/2019", "{CAMERA#Positive};"),
        ("Máy ổn", 4, "2/3/2020", "{OTHERS};"),
    ]
    path = tmp_path / "small.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["comment", "n_star", "date_time", "label"])
        w.writerows(rows)
    kb = _kb(tmp_path, embedder, min_evidence=1)  # eight records: rank them anyway
    kb.ingest(path, progress=False, embed=False)
    kb.tag_feedback(progress=False)
    return kb


def test_counts_severity_and_ranking(small_kb):
    out = summarize_pain_points(PainPointsInput(), ToolContext(small_kb))
    assert out.total == 8
    top = out.pain_points[0]
    assert (top.aspect, top.count) == ("BATTERY", 4)
    assert top.mean_rating == pytest.approx(2.0) and top.low_rating_share == pytest.approx(0.75)
    assert (out.corpus_total, out.enough_evidence) == (8, True)
    assert set(out.filters) >= {"journey", "step", "aspect", "segment", "source", "start", "end",
                                "min_rating", "max_rating"}  # fmt: skip
    assert top.impact == pytest.approx(4 * (5 - 2.0) / 4)
    assert top.share == pytest.approx(4 / 8)
    assert [p.aspect for p in out.delights] == ["CAMERA", "SER&ACC"]  # equal impact: by id
    assert "daily-use.battery-life" in top.steps


def test_trend_against_the_period_before(small_kb):
    inp = PainPointsInput(aspect="BATTERY", start=date(2020, 3, 1), end=date(2020, 3, 31))
    top = summarize_pain_points(inp, ToolContext(small_kb)).pain_points[0]
    # March, a calendar month, against February (as an answer for February counts it): 3
    # against 1 battery complaints, but every comment of either period was one: the share
    # did not move, so the trend is flat.
    assert top.trend.previous_period == (date(2020, 2, 1), date(2020, 2, 29))
    assert (top.trend.current, top.trend.previous) == (3, 1)
    assert (top.trend.current_share, top.trend.previous_share) == (1.0, 1.0)
    assert top.trend.direction == "flat" and top.trend.p_value == pytest.approx(1.0)
    assert top.count == 3  # the period is a filter
    # A quarter against the quarter before; any other period against as many days before.
    for (lo, hi), before in [
        ((date(2020, 4, 1), date(2020, 6, 30)), (date(2020, 1, 1), date(2020, 3, 31))),
        ((date(2020, 3, 5), date(2020, 3, 31)), (date(2020, 2, 7), date(2020, 3, 4))),
    ]:
        assert periods_between(None, None, lo, hi) == ((lo, hi), before)


def test_filters(small_kb):
    low = summarize_pain_points(PainPointsInput(max_rating=1), ToolContext(small_kb))
    assert low.total == 2 and {p.aspect for p in low.pain_points} == {"BATTERY", "SER&ACC"}
    delivery = summarize_pain_points(PainPointsInput(journey="delivery"), ToolContext(small_kb))
    # The journey is what comments talk about: only "Giao hàng chậm" speaks of delivery.
    assert delivery.total == 1 and [p.aspect for p in delivery.pain_points] == ["SER&ACC"]
    assert delivery.filters["journey"] == "delivery"
    same = summarize_pain_points(PainPointsInput(journey="giao hang"), ToolContext(small_kb))
    assert same.total == delivery.total  # a name of the journey, typed without accents
    with pytest.raises(AssistantError, match="No journey named 'teleportation'"):
        summarize_pain_points(PainPointsInput(journey="teleportation"), ToolContext(small_kb))


def test_quotes_are_redacted_and_carry_record_ids(small_kb):
    out = summarize_pain_points(PainPointsInput(aspect="BATTERY"), ToolContext(small_kb))
    top = out.pain_points[0]
    texts = " ".join(q.text for q in top.quotes)
    assert "0912345678" not in texts
    assert all(q.record_id.startswith("small:") for q in top.quotes)


def test_shipped_data_counts_match_an_independent_count(tmp_path, full_kb, monkeypatch, capsys):
    # The session's full_kb ingested and tagged TRAIN exactly as `index` does; a copy of it
    # is checked here instead of ingesting the 7,786 rows once more.
    kb = copy_kb(full_kb, tmp_path / "data", cx_min_evidence=30)
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CX_CORPUS_DIR", str(REPO / "corpus"))
    assert main(["pains", "--json", "--top", "10"]) == 0
    out = json.loads(capsys.readouterr().out)
    # Recount straight from the CSV labels, with the csv module and a regex only.
    with TRAIN.open(encoding="utf-8", newline="") as f:
        labels = [row["label"] for row in csv.DictReader(f)]
    negative = Counter(a for lbl in labels for a in set(re.findall(r"\{([^#}]+)#Negative\}", lbl)))
    assert out["total"] == len(labels) == 7786
    assert {p["aspect"]: p["count"] for p in out["pain_points"]} == dict(negative)
    impacts = [p["impact"] for p in out["pain_points"]]
    assert impacts == sorted(impacts, reverse=True)
    # And against the stored tags, counted here.
    stored = Counter(a for _, a, s in kb.feedback().all_tags() if s == "negative")
    assert stored == negative


def test_under_the_minimum_of_evidence_nothing_is_ranked(small_kb):
    thin = small_kb.settings.model_copy(update={"cx_min_evidence": 30})
    kb = type(small_kb)(settings=thin, embedder=small_kb.embedder, client=small_kb.client)
    out = summarize_pain_points(PainPointsInput(), ToolContext(kb, "en"))
    assert (out.enough_evidence, out.pain_points, out.delights) == (False, [], [])
    assert out.confidence == "low" and out.collect is not None
    assert {(c.aspect, c.sentiment): c.count for c in out.counts}[("BATTERY", "negative")] == 4
    from assistant.feedback.render.pain_points_md import render_pain_points

    text = render_pain_points(out, "en")
    assert text.startswith("_Scope: all feedback — 8 of 8 comments._")
    assert "Too little data to conclude" in text and "Top pain points" not in text


def test_trend_is_judged_on_shares_with_a_test():
    from assistant.feedback.stats import two_proportion_p

    # Counts up 29% while the share fell (26.5% -> 24.9%): not a rise.
    assert two_proportion_p(249, 1000, 265, 1000) > 0.05
    assert two_proportion_p(300, 1000, 200, 1000) < 0.001
    assert two_proportion_p(0, 0, 1, 10) == 1.0


def test_shares_that_overlap_are_said_to_overlap(full_kb):
    from assistant.feedback.render.pain_points_md import render_pain_points

    out = summarize_pain_points(PainPointsInput(journey="warranty"), ToolContext(full_kb, "en"))
    overlapping = sum(p.share for p in out.pain_points) > 1
    assert overlapping  # the warranty journey's comments raise several points each
    # A comment carries several tags: shares of one ranking may add up past 100%.
    assert ("add up to more than 100%" in render_pain_points(out, "en")) == overlapping
    single = out.model_copy(update={"pain_points": out.pain_points[:1], "delights": []})
    assert "add up to more than 100%" not in render_pain_points(single, "en")


def test_the_steps_a_pain_speaks_of_are_shown_by_name(full_kb):
    from assistant.feedback.render.pain_points_md import render_pain_points

    out = summarize_pain_points(PainPointsInput(aspect="BATTERY"), ToolContext(full_kb))
    top = out.pain_points[0]
    atlas = full_kb.atlas()
    for lang in ("vi", "en"):
        text = render_pain_points(out, lang)
        first = top.steps[0]
        assert f"{atlas.locate(first).step.name.get(lang)} ({top.step_counts[first]})" in text
        assert first not in text  # the id is for the JSON, not the reader



def test_thin_counts_say_a_comment_may_count_under_several_aspects(full_kb):
    # Under the minimum of evidence the counts are listed by aspect: a comment naming two is
    # in two lines, so they can add up to more than the comments in scope; the answer says so.
    inp = PainPointsInput(journey="delivery", start=date(2020, 4, 1), end=date(2020, 6, 30))
    out = summarize_pain_points(inp, ToolContext(full_kb, "en"))
    assert not out.enough_evidence and all(c.count <= out.total for c in out.counts)
    assert sum(c.count for c in out.counts) > out.total
    assert (f"a comment may speak of several aspects, so these add up to more than {out.total}"
            in render_pain_points(out, "en"))
