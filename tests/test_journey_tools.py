"""The journey tools on the shipped sample: five questions, persona, roadmap, summary."""

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.knowledge.atlas import UnknownNameError
from assistant.tools.five_questions import FiveQuestionsInput, answer_five_questions
from assistant.tools.journey_summary import JourneySummaryInput, summarize_journey
from assistant.tools.pain_points import PainPointsInput, summarize_pain_points
from assistant.tools.persona import PersonaInput, draft_persona
from assistant.tools.roadmap import RoadmapInput, propose_roadmap
from assistant.tools.types import ToolContext


def test_five_questions_cross_journey_before(full_kb):
    out = answer_five_questions(
        FiveQuestionsInput(journey="delivery", step="track-order"), ToolContext(full_kb)
    )
    assert [s.ref for s in out.before.steps] == [
        "buy-online.confirm-call", "buy-online.checkout", "buy-online.choose-delivery",
    ]  # fmt: skip
    assert all(s.crosses_journey for s in out.before.steps) and out.before.note == ""
    assert [s.ref for s in out.after.steps][0] == "delivery.schedule-delivery"
    assert "năm câu hỏi" in out.methodology.quote
    assert {c.evidence[0].ref for c in out.who} == {
        "persona.first-time-online-buyer", "persona.busy-professional",
    }  # fmt: skip


def test_five_questions_fewer_than_three_steps(full_kb):
    out = answer_five_questions(
        FiveQuestionsInput(journey="research", step="browse-web"), ToolContext(full_kb, "en")
    )
    assert [s.ref for s in out.before.steps] == ["research.need-trigger"]
    assert out.before.note == "The atlas has only 1 step(s) before this one."


def test_five_questions_from_a_situation_in_both_languages(full_kb):
    en = answer_five_questions(
        FiveQuestionsInput(situation="changing the return policy"), ToolContext(full_kb)
    )
    vi = answer_five_questions(
        FiveQuestionsInput(situation="thay đổi chính sách đổi trả"), ToolContext(full_kb)
    )
    assert en.step.ref == vi.step.ref == "warranty.read-policy"


def test_five_questions_happy_counts_match_the_pain_summary(full_kb):
    out = answer_five_questions(
        FiveQuestionsInput(journey="warranty", step="drop-off"), ToolContext(full_kb)
    )
    summary = summarize_pain_points(PainPointsInput(top=20), ToolContext(full_kb))
    expected = {p.count for p in summary.pain_points + summary.delights if p.aspect == "SER&ACC"}
    counted = {c.count for c in out.happy if c.count is not None}
    assert counted == expected and all(c.evidence for c in out.happy)


def test_names_with_typos_resolve_and_unknown_ones_list_the_closest(full_kb):
    ctx = ToolContext(full_kb)
    out = answer_five_questions(FiveQuestionsInput(journey="warrenty", step="drop-off"), ctx)
    assert out.step.ref == "warranty.drop-off"
    with pytest.raises(UnknownNameError, match="Closest: receive"):
        answer_five_questions(FiveQuestionsInput(journey="delivery", step="recieve x"), ctx)


def test_persona_with_almost_no_data_names_gaps_and_invents_nothing(full_kb):
    out = draft_persona(PersonaInput(segment="students"), ToolContext(full_kb, "en"))
    assert out.records == 0 and out.dimensions == []
    assert {g.dimension for g in out.gaps} == {
        "demographics", "technology", "psychographics", "ethnography", "behaviour", "transactions",
    }  # fmt: skip
    for section in (out.goals, out.needs, out.pains, out.delights):
        assert section.claims == [] and section.confidence == "none"
    assert out.name == "[Persona name]"


def test_persona_dimensions_only_with_evidence(full_kb):
    out = draft_persona(PersonaInput(journey="warranty"), ToolContext(full_kb))
    assert out.records > 1000
    for d in out.dimensions:
        for c in d.claims:
            assert c.count >= 5 and all(e.kind == "feedback" for e in c.evidence)
    names = {d.name for d in out.dimensions} | {g.dimension for g in out.gaps}
    assert len(names) == 6 and not {d.name for d in out.dimensions} & {
        g.dimension for g in out.gaps
    }
    assert "dữ liệu và sự kiện" in out.methodology.quote


def test_roadmap_ranks_and_grounds_initiatives(full_kb):
    out = propose_roadmap(RoadmapInput(journey="delivery"), ToolContext(full_kb, "en"))
    quick = [i.quick_win for i in out.initiatives]
    assert quick == sorted(quick, reverse=True)  # quick wins first
    assert all(i.evidence for i in out.initiatives)
    assert {k.group for k in out.kpis} == {"operational", "perception", "outcome"}
    n = sum(s.records for s in out.stage_metrics if s.mean_rating is not None)
    assert out.kpis[0].baseline.endswith(f"(n={n})")
    assert out.pilot.evidence[0].ref.startswith("delivery.")
    assert [m.ref.split("#")[0] for m in out.methodology] == ["jcxm-part3", "cx-team"]


def test_journey_summary_and_chart(full_kb, tmp_path):
    out = summarize_journey(
        JourneySummaryInput(journey="delivery"), ToolContext(full_kb, chart_dir=tmp_path)
    )
    chart = tmp_path / Path(out.chart or "missing").name
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and chart.stat().st_size > 20_000
    assert len(out.next_steps) == 3
    assert [m.ref for m in out.moments_of_truth] == ["delivery.receive", "delivery.unbox"]
    assert [c.stage for c in out.emotion_curve] == ["wait", "receive", "setup"]


HEADINGS = {
    "five": {"vi": "Người này là ai?", "en": "Who is this person?"},
    "persona": {"vi": "Persona nháp", "en": "Draft persona"},
    "roadmap": {"vi": "Hiện trạng", "en": "Current state"},
    "journey": {"vi": "Ba bước tiếp theo", "en": "Three next steps"},
}


def _claims_without_evidence(node) -> list:
    if isinstance(node, dict):
        bad = [node] if "text" in node and "evidence" in node and not node["evidence"] else []
        return bad + [b for v in node.values() for b in _claims_without_evidence(v)]
    if isinstance(node, list):
        return [b for v in node for b in _claims_without_evidence(v)]
    return []


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize(
    "argv",
    [
        ["five", "--journey", "delivery", "--step", "receive"],
        ["persona", "--journey", "warranty"],
        ["roadmap", "--journey", "warranty"],
        ["journey", "daily-use"],
    ],
)
def test_cli_json_every_claim_has_evidence(full_kb, cli_env, capsys, argv, lang):
    command = argv[0]
    assert main([*argv, "--lang", lang, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert _claims_without_evidence(out) == []
    assert main([*argv, "--lang", lang]) == 0
    text = capsys.readouterr().out
    assert HEADINGS[command][lang] in text
