"""Which journey step a request or a decision is about, by meaning.

Each atlas step is described in both languages (journey and step names, intent, actions,
thoughts, expectations, pains) and embedded as an e5 passage; a request is embedded as a
query and compared with both descriptions of every step (the better one counts), so "cut
the return window to 7 days" lands on the same step in English, Vietnamese and Vietnamese
typed without accents. The step vectors are shipped (`corpus/routing/step_vectors.npz`,
written by `scripts/train_intent.py`) and recomputed only when the atlas changed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.atlas.model import Atlas
from assistant.core.text import fold, words
from assistant.feedback.linking import step_description
from assistant.index.types import Embedder

# A step is chosen when its similarity reaches MIN_SIMILARITY and leads the next one by
# CLEAR_MARGIN; closer candidates are shown for the user to pick. Calibrated on the training
# dialogues' decisions (evals/data/dialogues_train.yaml); the e5 cosines of related texts
# sit around 0.80-0.90.
MIN_SIMILARITY, CLEAR_MARGIN, CLOSE = 0.80, 0.012, 0.02
# How much a step's name said in the request adds (all of it: +0.08, about the spread of
# the cosines between related and unrelated steps).
LEXICAL_WEIGHT = 0.08
# A request that does not say it is about a step ("khách hỏi màu mà hết hàng, phải chờ chuyển
# kho") still gets one when it stands out much more: calibrated on dialogue writers A and C
# (evals/data/), where weaker matches of such requests were as often wrong as right.
UNSAID_SIMILARITY, UNSAID_MARGIN = 0.93, 0.06
# ... and only when it says a good part of some step's name (a word-set test, no embedding),
# so that most requests cost no embedding here (routing p50 < 30 ms).
UNSAID_OVERLAP = 0.4


def step_texts(atlas: Atlas) -> tuple[list[str], list[str]]:
    """The step refs and, for each, its English then Vietnamese description."""
    refs: list[str] = []
    texts: list[str] = []
    for journey in atlas.journeys:
        for _, step in journey.steps():
            refs.append(f"{journey.id}.{step.id}")
            texts += [step_description(journey, step, "en"), step_description(journey, step, "vi")]
    return refs, texts


def texts_digest(texts: list[str]) -> str:
    return hashlib.sha256("\x1e".join(texts).encode()).hexdigest()


@dataclass
class StepMatch:
    ranked: list[tuple[str, float]]  # (JOURNEY.STEP, similarity), best first

    @property
    def best(self) -> str | None:
        if not self.ranked or self.ranked[0][1] < MIN_SIMILARITY:
            return None
        if len(self.ranked) > 1 and self.ranked[0][1] - self.ranked[1][1] < CLEAR_MARGIN:
            return None
        return self.ranked[0][0]

    @property
    def standout(self) -> str | None:
        """The best step only when it stands out enough for a request that does not say it
        is about a step."""
        if not self.ranked or self.ranked[0][1] < UNSAID_SIMILARITY:
            return None
        if len(self.ranked) > 1 and self.ranked[0][1] - self.ranked[1][1] < UNSAID_MARGIN:
            return None
        return self.ranked[0][0]

    def close(self) -> list[str]:
        """The candidates within CLOSE of the best one (the best included)."""
        if not self.ranked or self.ranked[0][1] < MIN_SIMILARITY:
            return []
        top = self.ranked[0][1]
        return [r for r, s in self.ranked[:4] if top - s <= CLOSE]


class StepMatcher:
    def __init__(self, atlas: Atlas, embedder: Embedder, shipped: Path | None = None) -> None:
        self.atlas = atlas
        self.embedder = embedder
        self.refs, texts = step_texts(atlas)
        # Each step's names in both languages, as folded words: "bước khách nhận hàng từ
        # shipper" shares "nhận hàng từ" with "Nhận hàng từ nhân viên giao".
        self.names = [
            [set(words(fold(step.name.get(lang)))) for lang in ("vi", "en")]
            for journey in atlas.journeys for _, step in journey.steps()
        ]  # fmt: skip
        digest = texts_digest(texts)
        vectors = None
        if shipped is not None and shipped.is_file():
            data = np.load(shipped, allow_pickle=False)
            if str(data["digest"]) == digest and str(data["embedder"]) == embedder.name:
                vectors = data["vectors"].astype(np.float32)
        if not texts:  # no atlas: no step to match, nothing to embed
            vectors = np.zeros((0, 2, 0), dtype=np.float32)
        if vectors is None:  # an edited atlas, or another embedder: embed it now
            vectors = np.asarray(embedder.embed_passages(texts), dtype=np.float32)
        self.vectors = vectors.reshape(len(self.refs), 2, -1) if texts else vectors

    def match(self, text: str, journey: str | None = None) -> StepMatch:
        if not self.refs:
            return StepMatch([])
        query = np.asarray(self.embedder.embed_query(text), dtype=np.float32)
        sims = (self.vectors @ query).max(axis=1) + LEXICAL_WEIGHT * self._overlap(text)
        order = np.argsort(-sims)
        ranked = [(self.refs[i], float(sims[i])) for i in order
                  if journey is None or self.refs[i].startswith(f"{journey}.")]  # fmt: skip
        return StepMatch(ranked)

    def unsaid(self, text: str, journey: str | None = None) -> str | None:
        """The step of a request that does not say it is about one (see UNSAID_*)."""
        if self._overlap(text).max(initial=0.0) < UNSAID_OVERLAP:
            return None
        return self.match(text, journey).standout

    def _overlap(self, text: str) -> np.ndarray:
        """The share of each step's name (the better language) that the text says."""
        said = set(words(fold(text)))
        return np.asarray([max(len(n & said) / len(n) if n else 0.0 for n in names)
                           for names in self.names], dtype=np.float32)  # fmt: skip
