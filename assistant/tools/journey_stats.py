"""Feedback figures per journey stage, through the taxonomy (aspect -> steps -> stages).

A feedback record speaks about a stage when it has a tag for an aspect whose taxonomy steps
lie in that stage. Sentiment per stage is net: (positive − negative) / tagged mentions.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel

from assistant.knowledge.atlas import Journey
from assistant.knowledge.base import KnowledgeBase


class StageStats(BaseModel):
    stage: str
    aspects: list[str]
    records: int
    positive: int
    negative: int
    net_sentiment: float | None
    mean_rating: float | None
    low_rating_share: float | None
    atlas_emotion: float
    record_ids: list[str]


def stage_stats(kb: KnowledgeBase, journey: Journey) -> list[StageStats]:
    atlas = kb.atlas()
    stage_aspects: dict[str, set[str]] = defaultdict(set)
    for a in atlas.taxonomy:
        for ref in a.steps:
            located = atlas.locate(ref)
            if located and located.journey.id == journey.id:
                stage_aspects[located.stage.id].add(a.id)
    store = kb.feedback()
    ratings = {r.id: r.rating for r in store.rows_for_aggregation()}
    by_aspect: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for rid, aspect, sentiment in store.all_tags():
        by_aspect[aspect].append((rid, sentiment))
    out = []
    for stage in journey.stages:
        aspects = stage_aspects.get(stage.id, set())
        mentions = [m for a in sorted(aspects) for m in by_aspect.get(a, [])]
        ids = sorted({rid for rid, _ in mentions})
        pos = sum(1 for _, s in mentions if s == "positive")
        neg = sum(1 for _, s in mentions if s == "negative")
        rs = [ratings[r] for r in ids if ratings.get(r) is not None]
        out.append(
            StageStats(
                stage=stage.id,
                aspects=sorted(aspects),
                records=len(ids),
                positive=pos,
                negative=neg,
                net_sentiment=round((pos - neg) / len(mentions), 4) if mentions else None,
                mean_rating=round(sum(rs) / len(rs), 3) if rs else None,
                low_rating_share=round(sum(r <= 2 for r in rs) / len(rs), 4) if rs else None,
                atlas_emotion=round(sum(s.emotion for s in stage.steps) / len(stage.steps), 3),
                record_ids=ids[:20],
            )
        )
    return out
