"""Step-linking eval: the steps the linker gives a comment against hand labels.

Labels (`evals/step_links.yaml`, written blind by someone who never saw the linker):
`- {id: 123, steps: [warranty.drop-off, daily-use.battery-life], touchpoints: [store-staff]}`,
where `id` is the row index (the `index` column) of `evals/data/uit-visfd-dev.csv`; an empty
list means the comment speaks of no step. Scores are micro-averaged over (comment, step)
pairs, as the journey-link eval does over journeys; per-journey figures beside them (every
journey of the atlas, however few labels it has). The gated figures use cue words and
semantic similarity; cue words alone are shown for comparison. The calibration labels (on
the TRAIN file, `evals/data/step_links_train_calibration.yaml`) are scored too, ungated,
so a change that helps one and hurts the other shows; `sweep` tunes the step threshold on
them, never on the held-out file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from assistant.core.errors import ConfigError
from assistant.evals.linking import comment_vectors, labelled_records, score_counts
from assistant.feedback.linking import Link, Linker
from assistant.feedback.records import FeedbackRecord
from assistant.kb.base import KnowledgeBase


class StepLabel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    steps: list[str] = Field(default_factory=list)
    touchpoints: list[str] = Field(default_factory=list)


def load_step_labels(path: Path, steps: Sequence[str]) -> list[StepLabel]:
    """The labels, checked: unknown steps and repeated ids are errors."""
    if not path.is_file():
        raise ConfigError(f"{path}: missing step-link labels")
    labels = [StepLabel(**x) for x in yaml.safe_load(path.read_text(encoding="utf-8")) or []]
    seen: set[int] = set()
    for lbl in labels:
        unknown = set(lbl.steps) - set(steps)
        if unknown:
            raise ConfigError(f"{path}: id {lbl.id}: unknown step(s) {sorted(unknown)}")
        if lbl.id in seen:
            raise ConfigError(f"{path}: id {lbl.id} is labelled twice")
        seen.add(lbl.id)
    return labels


def linked_steps(links: Sequence[Link]) -> set[str]:
    """'journey.step' of every step the links name."""
    return {f"{lk.journey}.{s}" for lk in links for s in lk.steps}


def score_steps(
    gold: Sequence[set[str]], pred: Sequence[set[str]], journeys: Sequence[str]
) -> dict[str, float]:
    """Micro precision, recall and F1 over (comment, step) pairs, and per journey (its
    steps' pairs): precision, recall and how many pairs were labelled."""
    counts = {j: [0, 0, 0] for j in journeys}  # tp, fp, fn
    for g, p in zip(gold, pred, strict=True):
        for step in g | p:
            c = counts.setdefault(step.split(".", 1)[0], [0, 0, 0])
            c[0 if step in g and step in p else 1 if step in p else 2] += 1
    return score_counts(counts)


def _prepare(
    kb: KnowledgeBase, labels_path: Path, csv_path: Path, shipped: Path | None = None
) -> tuple[Linker, list[StepLabel], list[FeedbackRecord], np.ndarray]:
    linker = kb.linker()
    labels = load_step_labels(labels_path, [f"{j}.{s}" for j, s in linker.steps])
    records = labelled_records(csv_path, [lbl.id for lbl in labels],
                               max_cell_chars=kb.settings.cx_max_cell_chars)  # fmt: skip
    ordered = [records[lbl.id] for lbl in labels]
    return linker, labels, ordered, comment_vectors(kb, ordered, shipped)


def evaluate(
    kb: KnowledgeBase, labels_path: Path, csv_path: Path, calibration: Path | None = None,
    calibration_csv: Path | None = None, shipped: Path | None = None,
) -> tuple[dict[str, float], list[dict]]:
    """(metrics, one row per labelled comment) of the cue+semantic step linker on the
    held-out labels; cue-only figures and, when given, the calibration figures beside.
    `shipped`: the folder of the labelled comments' shipped vectors."""
    linker, labels, records, vectors = _prepare(kb, labels_path, csv_path, shipped)
    journeys = [j.id for j in kb.atlas().journeys]
    texts = [r.text for r in records]
    links = linker.link(texts, vectors)
    gold = [set(lbl.steps) for lbl in labels]
    pred = [linked_steps(ls) for ls in links]
    metrics: dict[str, float] = {"comments": float(len(labels))}
    metrics |= score_steps(gold, pred, journeys)
    cue = score_steps(gold, [linked_steps(linker.cue_links(t)) for t in texts], journeys)
    metrics |= {"cue_only_precision": cue["precision"], "cue_only_recall": cue["recall"]}
    if calibration is not None and calibration_csv is not None:
        c_linker, c_labels, c_records, c_vectors = _prepare(kb, calibration, calibration_csv,
                                                            shipped)  # fmt: skip
        c_links = c_linker.link([r.text for r in c_records], c_vectors)
        c = score_steps([set(x.steps) for x in c_labels],
                        [linked_steps(ls) for ls in c_links], journeys)  # fmt: skip
        metrics |= {"calibration_precision": c["precision"], "calibration_recall": c["recall"],
                    "calibration_comments": float(len(c_labels))}  # fmt: skip
    rows = [
        {
            "id": lbl.id,
            "ok": g == p,
            "gold": sorted(g),
            "linked": sorted(p),
            "missed": sorted(g - p),
            "extra": sorted(p - g),
            "text": rec.text[:200],
        }
        for lbl, rec, g, p in zip(labels, records, gold, pred, strict=True)
    ]
    return metrics, rows


def sweep(
    kb: KnowledgeBase, labels_path: Path, csv_path: Path, thresholds: Sequence[float]
) -> list[dict[str, float]]:
    """Calibration: for each step threshold (the margin a step no cue names needs), the
    micro precision and recall of the step links, and how many steps similarity added."""
    linker, labels, records, vectors = _prepare(kb, labels_path, csv_path)
    journeys = [j.id for j in kb.atlas().journeys]
    texts = [r.text for r in records]
    gold = [set(lbl.steps) for lbl in labels]
    cue_only = [linked_steps(linker.cue_links(t)) for t in texts]
    out = []
    before = linker.step_threshold
    try:
        for t in thresholds:
            linker.step_threshold = t
            pred = [linked_steps(ls) for ls in linker.link(texts, vectors)]
            added = [(s in g) for p, c, g in zip(pred, cue_only, gold, strict=True) for s in p - c]
            m = score_steps(gold, pred, journeys)
            out.append({
                "threshold": t, "semantic_right": float(sum(added)),
                "semantic_wrong": float(len(added) - sum(added)),
                "precision": m["precision"], "recall": m["recall"],
            })  # fmt: skip
    finally:
        linker.step_threshold = before
    return out
