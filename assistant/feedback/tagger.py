"""Feedback tagging: which aspects a comment speaks about, and the sentiment toward each.

Two modes behind one protocol:
- LearnedTagger: fitted on labelled feedback (`cx-assistant tagger train`), one logistic
  regression per aspect for detection and one per aspect for sentiment, over TF-IDF of
  diacritic-free syllables and bigrams, character n-grams, and the star rating.
- ZeroShotTagger: no labelled data needed: cue words taken from the taxonomy's aspect
  descriptions, a small Vietnamese/English sentiment lexicon, and the rating.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.atlas.model import Aspect
from assistant.core.text import fold, words
from assistant.feedback.records import AspectLabel

log = logging.getLogger(__name__)

Tag = AspectLabel
MODEL_FILE = "tagger.joblib"


class Tagger(Protocol):
    name: str

    def tag(self, texts: Sequence[str], ratings: Sequence[int | None]) -> list[list[Tag]]: ...


def syllable_ngrams(text: str) -> list[str]:
    """Diacritic-free syllables and bigrams: reviews are often typed without accents."""
    toks = words(fold(text))
    return toks + [f"{a}_{b}" for a, b in zip(toks, toks[1:], strict=False)]


def _rating_matrix(ratings: Sequence[int | None]):  # noqa: ANN202 - scipy sparse
    from scipy.sparse import csr_matrix

    m = np.zeros((len(ratings), 6), dtype=np.float32)
    for i, r in enumerate(ratings):
        m[i, r if r in (1, 2, 3, 4, 5) else 0] = 1.0
    return csr_matrix(m)


class LearnedTagger:
    name = "learned"

    def __init__(self, aspects: list[str], threshold: float = 0.3, c: float = 10.0) -> None:
        self.aspects = aspects
        self.threshold = threshold
        self.c = c
        self._word = None
        self._char = None
        self._detect: dict[str, object] = {}
        self._sentiment: dict[str, object] = {}
        self.trained_on = 0

    def _features(self, texts: Sequence[str], ratings: Sequence[int | None], fit: bool = False):  # noqa: ANN202
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        if fit:
            self._word = TfidfVectorizer(analyzer=syllable_ngrams, min_df=2, sublinear_tf=True)
            self._char = TfidfVectorizer(
                analyzer="char_wb", ngram_range=(2, 5), min_df=3, sublinear_tf=True
            )
            parts = [self._word.fit_transform(texts), self._char.fit_transform(texts)]
        else:
            parts = [self._word.transform(texts), self._char.transform(texts)]
        return hstack([*parts, _rating_matrix(ratings)]).tocsr()

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        ratings: Sequence[int | None],
        labels: Sequence[Sequence[AspectLabel]],
        aspects: list[str],
        progress: bool = False,
    ) -> LearnedTagger:
        import scipy.optimize  # noqa: F401 - loaded before the thread limit below, so it counts
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits
        from tqdm import tqdm

        model = cls(aspects)
        x = model._features(texts, ratings, fit=True)
        # One BLAS thread: the L-BFGS fit makes many tiny BLAS calls, whose threads spin-wait
        # for a core on a busy 2-core host (a 4,000-comment fit: ~100 s CPU, ~13 s with one).
        with threadpool_limits(limits=1, user_api="blas"):
            for aspect in tqdm(aspects, desc="training tagger", unit="aspect",
                               disable=not progress):  # fmt: skip
                y = np.array([any(lbl.aspect == aspect for lbl in ls) for ls in labels])
                if y.all() or not y.any():
                    log.warning("aspect %s: no positive or no negative example; skipped", aspect)
                    continue
                model._detect[aspect] = LogisticRegression(C=model.c, max_iter=2000).fit(x, y)
                idx = [i for i, ls in enumerate(labels) if any(lbl.aspect == aspect for lbl in ls)]
                ys = [next(lbl.sentiment for lbl in labels[i] if lbl.aspect == aspect) for i in idx]
                if len(set(ys)) > 1:
                    model._sentiment[aspect] = LogisticRegression(
                        C=model.c, max_iter=2000
                    ).fit(x[idx], ys)
                else:
                    model._sentiment[aspect] = ys[0]
        model.trained_on = len(texts)
        return model

    def tag(self, texts: Sequence[str], ratings: Sequence[int | None]) -> list[list[Tag]]:
        if not texts:
            return []
        x = self._features(texts, ratings)
        out: list[list[Tag]] = [[] for _ in texts]
        for aspect in self.aspects:
            clf = self._detect.get(aspect)
            if clf is None:
                continue
            present = clf.predict_proba(x)[:, 1] >= self.threshold
            if not present.any():
                continue
            rows = np.flatnonzero(present)
            senti = self._sentiment[aspect]
            labels = [senti] * len(rows) if isinstance(senti, str) else senti.predict(x[rows])
            for i, s in zip(rows, labels, strict=True):
                out[i].append(Tag(aspect=aspect, sentiment=str(s)))
        return out

    def save(self, path: Path) -> None:
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path)

    @staticmethod
    def load(path: Path) -> LearnedTagger:
        import joblib

        return joblib.load(path)


_POSITIVE = {fold(w) for w in (
    "tốt ok ổn ngon đẹp tuyệt mượt trâu nhanh hài_lòng thích ưng xuất_sắc nhiệt_tình bền "
    "nét khỏe rẻ hợp_lý đáng_tiền chất_lượng sướng mạnh good great nice fast love excellent "
    "smooth"
).split()}  # fmt: skip
_NEGATIVE = {fold(w) for w in (
    "kém tệ lag giật chậm nóng hao lỗi hỏng yếu dở chán thất_vọng tụt đơ sọc mờ nhòe đắt "
    "không_tốt không_nhạy không_ổn không_được tồi bad slow poor broken hot drain worst"
).split()}  # fmt: skip
_DESCRIPTION_STOP = {fold(w) for w in (
    "và các khi của cho với máy khác hoặc trong được là những một theo đi kèm the and of "
    "in while other or"
).split()}  # fmt: skip


class ZeroShotTagger:
    """Needs only the taxonomy: cue words from each aspect's name and description."""

    name = "zero-shot"

    def __init__(self, taxonomy: list[Aspect]) -> None:
        self.cues: dict[str, set[str]] = {}
        for a in taxonomy:
            text = f"{a.name.vi}, {a.name.en}, {a.description.vi}, {a.description.en}"
            cues: set[str] = set()
            for phrase in re.split(r"[,.;:()]", text):
                toks = [t for t in words(fold(phrase)) if t not in _DESCRIPTION_STOP]
                if 0 < len(toks) <= 2:
                    cues.add("_".join(toks))
                cues.update(t for t in toks if len(t) > 2)
            self.cues[a.id] = cues

    def _sentiment(self, tokens: list[str], rating: int | None) -> str:
        score = sum(t in _POSITIVE for t in tokens) - sum(t in _NEGATIVE for t in tokens)
        if rating is not None:
            score += (rating - 3) * 0.75
        return "positive" if score > 0.5 else "negative" if score < -0.5 else "neutral"

    def tag(self, texts: Sequence[str], ratings: Sequence[int | None]) -> list[list[Tag]]:
        out = []
        for text, rating in zip(texts, ratings, strict=True):
            toks = words(fold(text))
            grams = set(toks) | {f"{a}_{b}" for a, b in zip(toks, toks[1:], strict=False)}
            tags = []
            for aspect, cues in self.cues.items():
                hits = [i for i, t in enumerate(toks) if t in cues] or (
                    [0] if grams & {c for c in cues if "_" in c} else []
                )
                if hits:
                    # Sentiment from the words around the first mention, then the rating.
                    window = toks[max(0, hits[0] - 3) : hits[0] + 6]
                    window += [f"{a}_{b}" for a, b in zip(window, window[1:], strict=False)]
                    tags.append(Tag(aspect=aspect, sentiment=self._sentiment(window, rating)))
            out.append(tags)
        return out


def load_tagger(data_dir: Path, taxonomy: list[Aspect]) -> Tagger:
    """The learned model saved beside the index if there is one, else zero-shot."""
    path = data_dir / MODEL_FILE
    if path.is_file():
        return LearnedTagger.load(path)
    return ZeroShotTagger(taxonomy)
