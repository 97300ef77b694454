"""Tagging eval: the taggers against the human labels of UIT-ViSFD Dev.

Averaging, stated: `micro` pools every (comment, aspect) decision of all aspects; `macro` is
the mean of the ten per-aspect F1 scores. Aspect F1 scores detection of (comment, aspect);
sentiment F1 scores (comment, aspect, polarity): a right aspect with the wrong polarity is
both a false positive and a false negative. The published figures (Bi-LSTM + fastText,
Phan et al. 2021) are printed beside ours for reference.
"""

from __future__ import annotations

from pathlib import Path

from assistant.feedback.readers import read_file
from assistant.feedback.records import (
    MAX_CELL_CHARS,
    ColumnMapping,
    FeedbackRecord,
    rating_conflict,
    to_record,
)
from assistant.feedback.tagger import MODEL_FILE, Tag, Tagger, ZeroShotTagger
from assistant.kb.base import KnowledgeBase

PUBLISHED = {"published_aspect_f1": 0.8448, "published_sentiment_f1": 0.6306}


def load_labelled(path: Path, *, max_cell_chars: int = MAX_CELL_CHARS) -> list[FeedbackRecord]:
    """The labelled comments of `path`, read as ingestion reads them (same cell limit)."""
    header, rows = read_file(path)
    mapping = ColumnMapping.detect(header)
    out = []
    for line, row, _ in rows:
        rec = to_record(row or {"__error__": "x"}, line, path.stem, mapping, None,
                        max_cell_chars=max_cell_chars)  # fmt: skip
        if isinstance(rec, FeedbackRecord) and rec.labelled:
            out.append(rec)
    return out


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def score(gold: list[list[Tag]], pred: list[list[Tag]], aspects: list[str]) -> dict[str, float]:
    counts = {k: {a: [0, 0, 0] for a in aspects} for k in ("aspect", "sentiment")}
    for g, p in zip(gold, pred, strict=True):
        ga = {t.aspect: t.sentiment for t in g}
        pa = {t.aspect: t.sentiment for t in p}
        for a in aspects:
            for kind, gv, pv in (
                ("aspect", a in ga, a in pa),
                ("sentiment", (a, ga[a]) if a in ga else None, (a, pa[a]) if a in pa else None),
            ):
                c = counts[kind][a]
                if gv and pv and gv == pv:
                    c[0] += 1
                else:
                    c[1] += bool(pv)
                    c[2] += bool(gv)
    out = {}
    for kind, per in counts.items():
        total = [sum(c[i] for c in per.values()) for i in range(3)]
        out[f"{kind}_f1_micro"] = _f1(*total)
        out[f"{kind}_f1_macro"] = sum(_f1(*c) for c in per.values()) / len(per)
    return out


def learned_tagger(kb: KnowledgeBase, train_file: Path) -> Tagger:
    """The saved model, or one trained now on the shipped labelled file."""
    if not (kb.settings.cx_data_dir / MODEL_FILE).is_file():
        kb.ingest(train_file, progress=False, embed=False)
        kb.train_tagger(progress=False)
    return kb.tagger()


def evaluate(
    kb: KnowledgeBase, dev_file: Path, train_file: Path
) -> tuple[dict[str, float], list[dict]]:
    records = load_labelled(dev_file, max_cell_chars=kb.settings.cx_max_cell_chars)
    aspects = [a.id for a in kb.atlas().taxonomy]
    gold = [r.labels for r in records]
    texts, ratings = [r.text for r in records], [r.rating for r in records]
    metrics: dict[str, float] = {"comments": float(len(records))}
    predicted: dict[str, list[list[Tag]]] = {}
    for name, tagger in (
        ("learned", learned_tagger(kb, train_file)),
        ("zero_shot", ZeroShotTagger(kb.atlas().taxonomy)),
    ):
        predicted[name] = tagger.tag(texts, ratings)
        for key, value in score(gold, predicted[name], aspects).items():
            metrics[f"{name}_{key}"] = value
    metrics.update(PUBLISHED)
    # Label noise: comments whose labels their own rating contradicts (praise at 1-2 stars,
    # a complaint at 5), in the human labels and in the learned tagger's. Answers leave such
    # quotes out (pain_points); the counts say how much of it there is.
    gold_conflicts = [i for i, (g, r) in enumerate(zip(gold, ratings, strict=True))
                      if any(rating_conflict(r, t.sentiment) for t in g)]  # fmt: skip
    learned_conflicts = sum(
        any(rating_conflict(r, t.sentiment) for t in p)
        for p, r in zip(predicted["learned"], ratings, strict=True)
    )
    metrics["label_conflicts"] = float(len(gold_conflicts))
    metrics["label_conflicts_share"] = len(gold_conflicts) / len(records) if records else 0.0
    metrics["learned_label_conflicts"] = float(learned_conflicts)
    cases = [
        {"text": records[i].text[:200], "rating": ratings[i],
         "labels": [f"{t.aspect}#{t.sentiment}" for t in gold[i]
                    if rating_conflict(ratings[i], t.sentiment)]}
        for i in gold_conflicts
    ]  # fmt: skip
    return metrics, cases
