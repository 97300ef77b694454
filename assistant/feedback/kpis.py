"""KPIs in the three metric groups of article cx-team (operational/interaction, perception,
outcome) for a roadmap or a journey summary.

Headline KPIs are measured on the records in scope, so their baseline never rests on more
records than the scope holds (n ≤ total); the playbook (corpus/playbook/roadmap.yaml) names
them and sets the change a roadmap cycle aims for:
- service_complaints: share of the records with a negative tag on a service aspect (the
  playbook's `kind: service`: what the retailer's people and processes deliver);
- mean_rating: mean star rating of the rated records, one decimal;
- net_stars: share of 5-star minus share of 1-3-star ratings (NPS-style on stars), which
  stands in for NPS until NPS is surveyed.
Under the minimum of evidence no baseline (hence no target) is given. The atlas's own
metrics per step follow, named in the answer's language; the feedback cannot measure them,
so they carry no baseline.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from assistant.atlas.model import Journey
from assistant.atlas.playbook import KpiRule, MetricGroup, Playbook
from assistant.core.tools import Evidence, Lang
from assistant.feedback.scope import Selection

GROUPS: tuple[MetricGroup, ...] = ("operational", "perception", "outcome")


class Kpi(BaseModel):
    id: str = Field(description="Headline KPI id, or the atlas metric's (English) name.")
    group: MetricGroup
    name: str = Field(description="In the answer's language.")
    definition: str = Field("", description="What is measured, in the answer's language.")
    source: Literal["feedback", "atlas"]
    unit: Literal["share", "stars"] | None = None
    baseline: float | None = Field(None, description="Measured on the records in scope.")
    n: int = Field(0, description="Records behind the baseline (never more than in scope).")
    target: float | None = Field(None, description="Baseline plus the playbook's change.")
    evidence: list[Evidence] = Field(default_factory=list)


def _target(rule: KpiRule, baseline: float, lo: float, hi: float) -> float:
    value = baseline * (1 + rule.change) if rule.relative else baseline + rule.change
    return round(min(hi, max(lo, value)), 4 if hi <= 1 else 1)


def headline_kpis(playbook: Playbook, sel: Selection, lang: Lang) -> list[Kpi]:
    """The playbook's headline KPIs with baselines from the records in scope and targets."""
    meta, tags = sel.meta, sel.tags
    enough = sel.scope.enough
    service = playbook.service_aspects
    rated = sorted(r for r in meta if meta[r][0] is not None)
    stars = [meta[r][0] for r in rated]
    out = []
    for rule in playbook.roadmap.kpis:
        kpi = Kpi(id=rule.id, group=rule.group, name=rule.name.get(lang),
                  definition=rule.definition.get(lang), source="feedback")
        if rule.id == "service_complaints":
            hits = sorted(r for r in meta if any(
                a in service and s == "negative" for a, s in tags.get(r, ())))  # fmt: skip
            kpi.unit, kpi.n = "share", len(meta)
            if enough:
                kpi.baseline = round(len(hits) / len(meta), 4)
                kpi.target = _target(rule, kpi.baseline, 0.0, 1.0)
            kpi.evidence = [Evidence(kind="feedback", ref=r) for r in hits[:5]]
        elif rule.id == "mean_rating":
            kpi.unit, kpi.n = "stars", len(stars)
            if enough and stars:
                kpi.baseline = round(sum(stars) / len(stars), 1)  # type: ignore[arg-type]
                kpi.target = _target(rule, kpi.baseline, 1.0, 5.0)
            kpi.evidence = [Evidence(kind="feedback", ref=r) for r in rated[:5]]
        elif rule.id == "net_stars":
            kpi.unit, kpi.n = "share", len(stars)
            if enough and stars:
                net = (sum(x == 5 for x in stars) - sum(x <= 3 for x in stars)) / len(stars)  # type: ignore[operator]
                kpi.baseline = round(net, 4)
                kpi.target = _target(rule, kpi.baseline, -1.0, 1.0)
            kpi.evidence = [Evidence(kind="feedback", ref=r) for r in rated[:5]]
        out.append(kpi)
    return out


def atlas_kpis(playbook: Playbook, journey: Journey, lang: Lang) -> list[Kpi]:
    """The metrics the atlas lists at the journey's steps, once each, by group."""
    out: list[Kpi] = []
    seen: set[str] = set()
    for group in GROUPS:
        for _, s in journey.steps():
            for name in getattr(s.metrics, group):
                if name not in seen:
                    seen.add(name)
                    where = Evidence(kind="atlas", ref=f"{journey.id}.{s.id}")
                    out.append(Kpi(id=name, group=group, name=playbook.metric_name(name, lang),
                                   source="atlas", evidence=[where]))  # fmt: skip
    return out
