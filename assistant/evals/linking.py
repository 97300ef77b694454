"""Journey-linking eval: the linker's journeys against hand labels of feedback comments.

Labels (`evals/journey_links.yaml`, written blind by someone who did not see the linker):
`- {index: 123, journeys: [daily-use, warranty], sample: random|targeted}`, where `index` is
the `index` column of `evals/data/uit-visfd-dev.csv`; an empty list means the comment talks
about no journey. Scores are micro-averaged over (comment, journey) pairs: a journey the
linker gives and the label lacks is a false positive, the reverse a false negative; per
journey figures beside them. The gated figures use cue words and semantic similarity
(the labelled comments are embedded, and their vectors cached in a Chroma collection of
their own); the cue-only figures are shown for comparison.

The same code, pointed at the train-file labels of
`evals/data/journey_links_train_calibration.yaml`, gives the calibration sweep (`sweep`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from assistant.core.errors import ConfigError
from assistant.feedback.linking import Linker
from assistant.feedback.readers import read_file
from assistant.feedback.records import (
    MAX_CELL_CHARS,
    ColumnMapping,
    FeedbackRecord,
    to_record,
)
from assistant.index.store import ChunkStore, collection_name, stored_vectors
from assistant.index.types import Chunk
from assistant.index.vector_cache import CachedEmbedder
from assistant.kb.base import KnowledgeBase


class LinkLabel(BaseModel):
    model_config = ConfigDict(extra="ignore")

    index: int
    journeys: list[str] = Field(default_factory=list)
    sample: str = ""


def load_labels(path: Path, journeys: Sequence[str]) -> list[LinkLabel]:
    """The labels, checked: unknown journeys and repeated indexes are errors."""
    if not path.is_file():
        raise ConfigError(f"{path}: missing journey-link labels")
    labels = [LinkLabel(**x) for x in yaml.safe_load(path.read_text(encoding="utf-8")) or []]
    seen: set[int] = set()
    for lbl in labels:
        unknown = set(lbl.journeys) - set(journeys)
        if unknown:
            raise ConfigError(f"{path}: index {lbl.index}: unknown journey(s) {sorted(unknown)}")
        if lbl.index in seen:
            raise ConfigError(f"{path}: index {lbl.index} is labelled twice")
        seen.add(lbl.index)
    return labels


def labelled_records(
    csv_path: Path, indexes: Sequence[int], *, max_cell_chars: int = MAX_CELL_CHARS
) -> dict[int, FeedbackRecord]:
    """The comments of a feedback file with these `index` values, read (NFC, redacted) as
    ingestion reads them."""
    header, rows = read_file(csv_path)
    mapping = ColumnMapping.detect(header)
    wanted = {str(i) for i in indexes}
    out: dict[int, FeedbackRecord] = {}
    for line, row, _ in rows:
        if row and str(row.get(mapping.id or "index", "")).strip() in wanted:
            rec = to_record(row, line, csv_path.stem, mapping, None,
                            max_cell_chars=max_cell_chars)  # fmt: skip
            if isinstance(rec, FeedbackRecord):
                out[int(str(row[mapping.id or "index"]).strip())] = rec
    missing = sorted(set(map(int, wanted)) - set(out))
    if missing:
        raise ConfigError(f"{csv_path}: no readable comment with index {missing[:10]}")
    return out


def eval_vectors_path(folder: Path, embedder_name: str) -> Path:
    """The shipped vectors of the labelled eval comments (scripts/ship_vectors.py)."""
    return folder / f"{embedder_name}.npz"


def comment_vectors(
    kb: KnowledgeBase, records: Sequence[FeedbackRecord], shipped: Path | None = None
) -> np.ndarray:
    """Passage vectors of these comments, embedded once and kept in a Chroma collection of
    the eval's own (keyed by content, so an edited comment is embedded again); those the
    shipped file in `shipped` holds (evals/data/vectors) are read from it, not embedded."""
    name = collection_name(kb.settings.cx_collection_prefix, "eval-links", kb.embedder.name)
    store = ChunkStore(kb.chroma(), name)
    keys = [f"{r.source}:{hashlib.sha1(r.text.encode('utf-8')).hexdigest()[:20]}" for r in records]
    have = stored_vectors(store, keys)
    todo = [(k, r) for k, r in zip(keys, records, strict=True) if k not in have]
    embedder = kb.embedder
    path = eval_vectors_path(shipped, kb.embedder.name) if shipped else None
    if todo and path is not None and path.is_file():
        embedder = CachedEmbedder(kb.embedder, path)
    for i in range(0, len(todo), 64):
        part = todo[i : i + 64]
        vectors = embedder.embed_passages([r.text for _, r in part])
        chunks = [
            Chunk(id=k, doc_id=k, kind="feedback", title=r.source, text=r.text, position=r.line)
            for k, r in part
        ]
        store.upsert(chunks, vectors, {"source": "eval-links"})
        have |= {k: v for (k, _), v in zip(part, vectors, strict=True)}
    return np.stack([have[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)


def score(
    gold: Sequence[set[str]], pred: Sequence[set[str]], journeys: Sequence[str]
) -> dict[str, float]:
    """Micro precision, recall and F1 over (comment, journey) pairs, and per journey."""
    counts = {j: [0, 0, 0] for j in journeys}  # tp, fp, fn
    for g, p in zip(gold, pred, strict=True):
        for j in journeys:
            c = counts[j]
            c[0] += j in g and j in p
            c[1] += j in p and j not in g
            c[2] += j in g and j not in p
    return score_counts(counts)


def score_counts(counts: dict[str, list[int]]) -> dict[str, float]:
    """Micro precision, recall and F1 over every journey's [tp, fp, fn], and per journey its
    precision, recall and how many pairs were labelled (the journey and step evals share it)."""
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    out = _prf("", tp, fp, fn)
    for j, (a, b, c) in counts.items():
        out |= {k: v for k, v in _prf(f"{j}_", a, b, c).items() if not k.endswith("f1")}
        out[f"{j}_labelled"] = float(a + c)
    return out


def _prf(prefix: str, tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {f"{prefix}precision": p, f"{prefix}recall": r, f"{prefix}f1": f1}


def _prepare(
    kb: KnowledgeBase, labels_path: Path, csv_path: Path, shipped: Path | None = None
) -> tuple[Linker, list[LinkLabel], list[FeedbackRecord], np.ndarray]:
    linker = kb.linker()
    journeys = [j.id for j in kb.atlas().journeys]
    labels = load_labels(labels_path, journeys)
    records = labelled_records(csv_path, [lbl.index for lbl in labels],
                               max_cell_chars=kb.settings.cx_max_cell_chars)  # fmt: skip
    ordered = [records[lbl.index] for lbl in labels]
    return linker, labels, ordered, comment_vectors(kb, ordered, shipped)


def evaluate(
    kb: KnowledgeBase, labels_path: Path, csv_path: Path, shipped: Path | None = None
) -> tuple[dict[str, float], list[dict]]:
    """(metrics, one row per labelled comment) of the cue+semantic linker; the cue-only
    precision and recall are reported beside, ungated. `shipped`: the folder of the
    labelled comments' shipped vectors."""
    linker, labels, records, vectors = _prepare(kb, labels_path, csv_path, shipped)
    journeys = [j.id for j in kb.atlas().journeys]
    texts = [r.text for r in records]
    links = linker.link(texts, vectors)
    cue_only = linker.link(texts)
    gold = [set(lbl.journeys) for lbl in labels]
    pred = [{lk.journey for lk in ls} for ls in links]
    metrics: dict[str, float] = {"comments": float(len(labels))}
    metrics |= score(gold, pred, journeys)
    cue = score(gold, [{lk.journey for lk in ls} for ls in cue_only], journeys)
    metrics |= {"cue_only_precision": cue["precision"], "cue_only_recall": cue["recall"]}
    metrics["semantic_links"] = float(sum(lk.method == "semantic" for ls in links for lk in ls))
    rows = [
        {
            "index": lbl.index,
            "sample": lbl.sample,
            "ok": g == p,
            "gold": sorted(g),
            "linked": [f"{lk.journey}.{lk.step or '-'} ({lk.why})" for lk in ls],
            "text": rec.text[:200],
        }
        for lbl, rec, g, p, ls in zip(labels, records, gold, pred, links, strict=True)
    ]
    return metrics, rows


def sweep(
    kb: KnowledgeBase, labels_path: Path, csv_path: Path, thresholds: Sequence[float]
) -> list[dict[str, float]]:
    """Calibration: for each semantic threshold, how many semantic links are right and
    wrong, and the micro precision and recall of cue+semantic linking."""
    linker, labels, records, vectors = _prepare(kb, labels_path, csv_path)
    journeys = [j.id for j in kb.atlas().journeys]
    texts = [r.text for r in records]
    gold = [set(lbl.journeys) for lbl in labels]
    out = []
    for t in thresholds:
        linker.threshold = t
        links = linker.link(texts, vectors)
        sem = [(lk.journey in g) for ls, g in zip(links, gold, strict=True) for lk in ls
               if lk.method == "semantic"]  # fmt: skip
        m = score(gold, [{lk.journey for lk in ls} for ls in links], journeys)
        out.append({
            "threshold": t, "semantic_right": float(sum(sem)),
            "semantic_wrong": float(len(sem) - sum(sem)),
            "precision": m["precision"], "recall": m["recall"],
        })  # fmt: skip
    return out
