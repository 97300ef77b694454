"""Feedback figures per journey stage and step, over the records in scope.

A step's records are the records in scope that speak of that step (linking.py: a comment is
linked to every step it speaks of, and to none when it names none), a stage's the records
of its steps, each counted once; a comment that speaks of two stages counts in both.
Records linked to the journey without a step belong to no stage.

- net sentiment of a stage = 2 × (records with a positive tag − records with a negative
  tag) / records, on the atlas emotion scale −2..+2 (a comment both praising and
  complaining counts on both sides); one decimal, and none under the minimum of evidence.
- a step's complaints are its records with a negative tag on one of the step's own aspects
  (atlas `aspects`: price at "apply a voucher", service at "staff advice"); a comment that
  mentions the staff and complains of the battery is not one;
- step impact = complaints × (5 − their mean rating) / 4, as for pain points (records
  without a rating weigh 0.5): what a pilot at that step would address.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.atlas.model import Atlas, Bi, Journey, Step
from assistant.feedback.records import complains_about
from assistant.feedback.scope import FeedbackSource, Selection


class StepStats(BaseModel):
    step: str = Field(description="JOURNEY.STEP")
    name: Bi
    moment_of_truth: bool
    emotion: int = Field(description="Atlas emotion, −2..+2.")
    records: int = Field(description="Records in scope linked to the step.")
    complaints: int = Field(
        description="Those complaining about what the step concerns: a negative tag on one of "
        "its atlas aspects (on any aspect for a step that lists none)."
    )
    concerns: list[Bi] = Field(default_factory=list, description="Those aspects, named.")
    complaint_rating: float | None = Field(description="Mean rating of the complaints.")
    impact: float = Field(description="complaints × (5 − their mean rating) / 4")
    record_ids: list[str] = Field(description="Evidence: up to 20 complaint ids.")


class StageStats(BaseModel):
    stage: str
    name: Bi
    steps: list[str] = Field(description="JOURNEY.STEP of the stage's steps.")
    emotions: list[int] = Field(description="Atlas emotion of each step, −2..+2.")
    records: int = Field(description="Records in scope linked to the stage's steps.")
    positive: int = Field(description="Of them, records with a positive tag.")
    negative: int = Field(description="Of them, records with a negative tag.")
    enough_evidence: bool
    net_sentiment: float | None = Field(
        description="2 × (positive − negative) / records, −2..+2, one decimal; None under "
        "the minimum of evidence."
    )
    mean_rating: float | None = Field(description="One decimal; None under the minimum.")
    low_rating_share: float | None
    record_ids: list[str] = Field(description="Evidence: up to 20 of the records.")


def concerns(atlas: Atlas, step: Step) -> list[Bi]:
    """The aspects a step concerns (its atlas `aspects`), named."""
    return [x.name for a in step.aspects if (x := atlas.aspect(a))]


def _weight(ratings: list[int]) -> float:
    return (5 - sum(ratings) / len(ratings)) / 4 if ratings else 0.5


def journey_stats(
    kb: FeedbackSource, journey: Journey, sel: Selection
) -> tuple[list[StageStats], list[StepStats]]:
    """Per stage and per step of `journey`, the figures of the records in `sel`."""
    store = kb.feedback()
    atlas = kb.atlas()
    minimum = sel.scope.min_evidence
    meta = sel.meta
    stages, steps = [], []
    for stage in journey.stages:
        stage_ids: list[str] = []
        seen: set[str] = set()
        for s in stage.steps:
            ids = [r for r in store.records_linked_to(journey.id, s.id) if r in meta]
            stage_ids += [r for r in ids if r not in seen]
            seen.update(ids)
            # A comment linked to the staff-advice step that complains of the battery is no
            # complaint about the advice: only the step's own aspects count.
            own = set(s.aspects) or None
            bad = [r for r in ids if complains_about(sel.tags.get(r, ()), own)]
            rated = [meta[r][0] for r in bad if meta[r][0] is not None]
            steps.append(StepStats(
                step=f"{journey.id}.{s.id}", name=s.name, moment_of_truth=s.moment_of_truth,
                emotion=s.emotion, records=len(ids), complaints=len(bad),
                concerns=concerns(atlas, s),
                complaint_rating=round(sum(rated) / len(rated), 1) if rated else None,
                impact=round(len(bad) * _weight(rated), 1), record_ids=bad[:20],
            ))  # fmt: skip
        n = len(stage_ids)
        pos = sum(1 for r in stage_ids if any(t == "positive" for _, t in sel.tags.get(r, ())))
        neg = sum(1 for r in stage_ids if any(t == "negative" for _, t in sel.tags.get(r, ())))
        rated = [meta[r][0] for r in stage_ids if meta[r][0] is not None]
        enough = n >= minimum
        stages.append(StageStats(
            stage=stage.id, name=stage.name,
            steps=[f"{journey.id}.{s.id}" for s in stage.steps],
            emotions=[s.emotion for s in stage.steps], records=n, positive=pos, negative=neg,
            enough_evidence=enough,
            net_sentiment=round(2 * (pos - neg) / n, 1) + 0.0 if enough else None,  # no −0.0
            mean_rating=round(sum(rated) / len(rated), 1) if enough and rated else None,
            low_rating_share=round(sum(x <= 2 for x in rated) / len(rated), 4)
            if enough and rated else None,
            record_ids=sorted(stage_ids)[:20],
        ))  # fmt: skip
    return stages, steps
