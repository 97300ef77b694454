"""Which journey step a request or a decision is about, by meaning.

First the learned step model (`corpus/routing/step_model.npz`, trained by
`scripts/train_intent.py` on requests written blind and the atlas's own sentences): it reads
the wordings people use for a moment ("mã giảm giá báo không hợp lệ", "left in the dark while
the phone was at the service centre") that share few words with the atlas. When it is not sure
enough, similarity to the atlas decides, as follows.

Each atlas step is described in both languages (journey and step names, intent, actions,
thoughts, expectations, pains) and embedded as e5 passages, whole and sentence by sentence;
a request is embedded as a query and compared with both (see TOP_SENTENCES), so "cut the
return window to 7 days" lands on the same step in English, Vietnamese and Vietnamese typed
without accents. Journeys and aspects as a whole compete with the steps: a request closer
to one of them is about no single step. The vectors are shipped
(`corpus/routing/step_vectors.npz`, written by `scripts/train_intent.py`) and recomputed only
when the atlas changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from assistant.agent.intent import IntentModel
from assistant.atlas.model import Atlas
from assistant.core.text import EN_STOP, VI_STOP, fold, stem, words
from assistant.feedback.linking import step_description
from assistant.index.types import Embedder

# Each step is scored by the mean of two cosines: with its whole description (the better
# language) and with its two closest single sentences (name, intent, an action, a thought,
# an expectation, a pain; either language), so that a request describing one moment of a step
# ("lúc nhận hàng từ shipper") is not drowned by the rest of the description. Measured on the
# steps dialogue writers A and C described (evals/data/): the right step first 0.98 of the
# time, against 0.91 with the whole description alone.
TOP_SENTENCES = 2
# How much a step's name said in the request adds (all of it: +0.08, about the spread of
# the cosines between related and unrelated steps).
LEXICAL_WEIGHT = 0.08
# A request that says it is about a step ("bước…", "lúc…", "when they…") gets the best step
# when it reaches MIN_SIMILARITY and beats the journeys and aspects themselves (below): the
# best step was the right one 0.98 of the time, even when the runner-up was close.
MIN_SIMILARITY = 0.83
# A journey named by a word that also describes a step of another journey ("cài app" is no
# online purchase, "lên website xem thông tin" is research): that step wins when it leads the
# named journey's best step by this much.
OTHER_JOURNEY_MARGIN = 0.04
# Candidates this close to the best are shown when a decision has no step of its own.
CLOSE = 0.02
# A request that does not say it is about a step ("khách hỏi màu mà hết hàng, phải chờ chuyển
# kho") gets one only when it stands out: UNSAID_MARGIN over the next step and over every
# journey's and aspect's own description (a request about "giá bán" is closer to the price
# aspect than to any one step). Set by a grid over the dialogue writers A, C, E, H, K and L
# (evals/data/): 0.90/0.05 kept E's journey-wide requests ("tình hình hành trình giao hàng")
# whole but missed the moments K and L tell in customers' words ("pin có trụ nổi tới tối
# không"); 0.91/0.03 handled 0.857 of their dialogues whole against 0.831 (E unchanged).
# Round 6, the grid again with writer N added (seven writers): 0.90/0.03 0.850 pooled,
# 0.91/0.03 0.843, 0.87-0.89 0.843-0.845, margins 0.025 and 0.04 0.845 and 0.833.
UNSAID_SIMILARITY, UNSAID_MARGIN = 0.90, 0.03
# ... and only when it says some of a step's name (a word-set test, no embedding), so that
# most requests cost no embedding here (routing p50 < 30 ms).
UNSAID_OVERLAP = 0.4
# The learned step model's step is taken at LEARNED_MIN, and at LEARNED_OVER in another journey
# than the one named; a request that names an aspect and no journey without telling a moment,
# or a decision, at LEARNED_SURE (below). On writer T's 336 requests describing a step
# (evals/data/step_examples_t.yaml, never trained on) the right step was found for 0.077 of
# them by similarity alone and for 0.324 with the model (0.950 of T's 80 requests about no
# step stay so, as before). A minimum of 0.4 found less and the dialogue writers E, I, K, L,
# N, O and P lost more than they gained. The model on aspect requests too (at 0.4) found
# 0.417, but read "pin tụt nhanh khách kêu ra sao" and "khách thấy màn hình thế nào, có hay
# bị sọc không" (the aspect, for the writers) as steps. Round 8: writer T trains the model
# too; on writer W's requests (never trained on) the right step went 0.396 -> 0.545. A model
# sure of `none` (0.5) overruling similarity cost the dialogue writers 8 dialogues.
LEARNED_MIN, LEARNED_OVER = 0.3, 0.4
# Writer K's "kh chon mau, dung luong roi them vao gio co bi loi ko" gets 0.95; "Khách chê
# camera chụp đêm ra sao?" 0.8, and stays the camera aspect. Decisions at 0.3, as requests,
# drew steps the dialogue writers did not name (writer I's chatbot for the inbox; T then
# 0.342, writer I one dialogue less).
LEARNED_SURE = 0.9
# Round 9: trained on writer D's decisions too, the model held "while they wait for their
# phone to be repaired" at drop-off 0.32 / wait-repair 0.28 (D puts loan phones at drop-off);
# a step leading the next one by less than this is left to similarity (development dialogues
# unchanged, writer W 0.557 either way).
LEARNED_MARGIN = 0.05
# An aspect named without a journey or a moment ("ok, thế cho mình xem khách chê gì về bộ
# nhớ"): a model this sure that no step is meant keeps similarity from adding the step that
# mirrors the aspect ("Bộ nhớ đầy dần" shares its words). Round 9, chosen on the development
# dialogue writers (0.5 cost writer N one dialogue, 0.8 none; writer AA +1); unlike round
# 8's trial, only for an aspect named alone, not for every request.
LEARNED_NONE = 0.8


def _content(text: str) -> set[str]:
    """The words of a text that say something, stemmed ("reading our return policy" says
    "read", "return", "policy" of "Read the warranty and return policy")."""
    return {stem(w) for w in words(fold(text)) if w not in EN_STOP and w not in VI_STOP}


def step_texts(atlas: Atlas) -> tuple[list[str], list[str]]:
    """The step refs and, for each, its English then Vietnamese description."""
    refs: list[str] = []
    texts: list[str] = []
    for journey in atlas.journeys:
        for _, step in journey.steps():
            refs.append(f"{journey.id}.{step.id}")
            texts += [step_description(journey, step, "en"), step_description(journey, step, "vi")]
    return refs, texts


def sentence_texts(atlas: Atlas) -> tuple[list[int], list[str]]:
    """Every single sentence of every step (both languages), with the index of its step."""
    owners: list[int] = []
    texts: list[str] = []
    i = 0
    for journey in atlas.journeys:
        for _, step in journey.steps():
            for lang in ("en", "vi"):
                said = [f"{journey.name.get(lang)}: {step.name.get(lang)}", step.intent.get(lang)]
                for group in (step.actions, step.thoughts, step.expectations, step.pain_points):
                    said += [b.get(lang) for b in group]
                texts += said
                owners += [i] * len(said)
            i += 1
    return owners, texts


def general_texts(atlas: Atlas) -> list[str]:
    """What no single step is: each journey (name and goal) and each aspect (name and
    description), in both languages."""
    texts = [f"{j.name.get(lang)}: {j.goal.get(lang)}" for j in atlas.journeys
             for lang in ("en", "vi")]  # fmt: skip
    texts += [f"{a.name.get(lang)}: {a.description.get(lang)}" for a in atlas.taxonomy
              for lang in ("en", "vi")]  # fmt: skip
    return texts


def all_texts(atlas: Atlas) -> list[str]:
    """Everything the matcher embeds as passages, in the order it is shipped."""
    return step_texts(atlas)[1] + sentence_texts(atlas)[1] + general_texts(atlas)


def texts_digest(texts: list[str]) -> str:
    return hashlib.sha256("\x1e".join(texts).encode()).hexdigest()


class FindStep(Protocol):
    """How the slots and the dialogue ask for a step by meaning (`StepMatcher.find`)."""

    def __call__(self, text: str, journey: str | None = None, said: bool = True,
                 strict: bool = False) -> str | None: ...


@dataclass
class StepMatch:
    ranked: list[tuple[str, float]]  # (JOURNEY.STEP, similarity), best first
    general: float = 0.0  # the best similarity to a journey or an aspect as a whole

    @property
    def best(self) -> str | None:
        """The best step of a request that says it is about a step."""
        if not self.ranked or self.ranked[0][1] < MIN_SIMILARITY:
            return None
        return self.ranked[0][0] if self.ranked[0][1] >= self.general else None

    @property
    def standout(self) -> str | None:
        """The best step only when it stands out enough for a request that does not say it
        is about a step."""
        if not self.ranked or self.ranked[0][1] < UNSAID_SIMILARITY:
            return None
        runner_up = max(self.ranked[1][1] if len(self.ranked) > 1 else 0.0, self.general)
        return self.ranked[0][0] if self.ranked[0][1] - runner_up >= UNSAID_MARGIN else None

    def within(self, journey: str | None) -> StepMatch:
        """The same match among one journey's steps."""
        if journey is None:
            return self
        return StepMatch([r for r in self.ranked if r[0].startswith(f"{journey}.")], self.general)

    def close(self) -> list[str]:
        """The candidates within CLOSE of the best one (the best included)."""
        if not self.ranked or self.ranked[0][1] < MIN_SIMILARITY:
            return []
        top = self.ranked[0][1]
        return [r for r, s in self.ranked[:4] if top - s <= CLOSE]


class StepMatcher:
    def __init__(self, atlas: Atlas, embedder: Embedder, shipped: Path | None = None,
                 model: IntentModel | None = None,
                 embed_query: Callable[[str], np.ndarray] | None = None) -> None:
        """`shipped`: the step vectors computed offline; `model`: the learned step model;
        `embed_query`: the request's vector (the embedder's, unless one shared is given)."""
        self.atlas = atlas
        self.embedder = embedder
        self.model = model
        self.embed_query = embed_query or embedder.embed_query
        self.refs, texts = step_texts(atlas)
        # Each step's names in both languages, as folded words: "bước khách nhận hàng từ
        # shipper" shares "nhận hàng từ" with "Nhận hàng từ nhân viên giao".
        self.names = [
            [_content(step.name.get(lang)) for lang in ("vi", "en")]
            for journey in atlas.journeys for _, step in journey.steps()
        ]  # fmt: skip
        self.journey_words = {
            journey.id: {w for lang in ("vi", "en") for w in _content(journey.name.get(lang))}
            for journey in atlas.journeys
        }
        self.owners, sentences = sentence_texts(atlas)
        general = general_texts(atlas)
        everything = texts + sentences + general
        digest = texts_digest(everything)
        vectors = None
        if shipped is not None and shipped.is_file():
            data = np.load(shipped, allow_pickle=False)
            if str(data["digest"]) == digest and str(data["embedder"]) == embedder.name:
                vectors = data["vectors"].astype(np.float32)
        if not texts:  # no atlas: no step to match, nothing to embed
            vectors = np.zeros((0, 0), dtype=np.float32)
        if vectors is None:  # an edited atlas, or another embedder: embed it now
            vectors = np.asarray(embedder.embed_passages(everything), dtype=np.float32)
        n, m = len(texts), len(sentences)
        self.vectors = vectors[:n].reshape(len(self.refs), 2, -1) if texts else vectors
        self.sentences = vectors[n:n + m]
        self.general = vectors[n + m:]
        # Each step's sentences as one row of indices (padding points at a -inf column).
        width = max((self.owners.count(i) for i in range(len(self.refs))), default=0)
        self._rows = np.full((len(self.refs), max(width, TOP_SENTENCES)), m, dtype=np.int64)
        filled = [0] * len(self.refs)
        for j, owner in enumerate(self.owners):
            self._rows[owner, filled[owner]] = j
            filled[owner] += 1

    def find(self, text: str, journey: str | None = None, said: bool = True,
             strict: bool = False) -> str | None:
        """The step a request is about, if any: the learned model's when it is sure enough
        (LEARNED_*; `strict`, for an aspect named without a journey or a decision: unless
        the request says it is about a step, all but sure); else by similarity,
        the best one when the request says it is about a step, the one that stands out when
        it does not (see UNSAID_*), in the named journey unless a step of another journey
        leads it by OTHER_JOURNEY_MARGIN."""
        # An aspect named with no moment told ("pin tụt nhanh, khách kêu ra sao?") is the
        # aspect; the step that mirrors it (battery through the day) needs the moment, or
        # a model all but sure of it ("chọn màu, dung lượng rồi thêm vào giỏ"). A decision is
        # about the company ("dùng chatbot thay nhân viên trả lời inbox") unless it tells the
        # customers' moment as clearly.
        sure = LEARNED_SURE if strict and not said else None
        ranked = self._predicted(text)
        if (learned := self._step_of(ranked, journey, sure)) is not None:
            return learned
        if sure is not None and ranked and ranked[0][0] == "none" and ranked[0][1] >= LEARNED_NONE:
            return None  # "khách chê gì về bộ nhớ": the aspect, not "Bộ nhớ đầy dần"
        if not said and self._overlap(text, journey).max(initial=0.0) < UNSAID_OVERLAP:
            return None  # most requests cost no embedding here (routing p50 < 30 ms)
        everywhere = self.match(text)
        here = everywhere.within(journey)
        step = here.best if said else here.standout
        other = everywhere.best if said else everywhere.standout
        if journey is None or other is None or other.startswith(f"{journey}."):
            return step
        lead = dict(everywhere.ranked)[other] - (here.ranked[0][1] if here.ranked else 0.0)
        return other if lead >= OTHER_JOURNEY_MARGIN else step

    def _predicted(self, text: str) -> list[tuple[str, float]]:
        """The learned model's labels for a text, best first; none without a model, or for a
        word left over ("ảnh" of "nhóm mê chụp ảnh"), which tells no moment."""
        if self.model is None or len(_content(text)) < 2:
            return []
        return self.model.predict(text).ranked

    def learned(self, text: str, journey: str | None = None,
                sure: float | None = None) -> str | None:
        """The learned model's step, when it is sure enough (see LEARNED_*; `sure`: this
        sure at least)."""
        return self._step_of(self._predicted(text), journey, sure)

    def _step_of(self, ranked: list[tuple[str, float]], journey: str | None,
                 sure: float | None) -> str | None:
        """`learned`, from the model's labels (`_predicted`)."""
        if not ranked:
            return None
        label, p = ranked[0]
        if label not in self.refs:  # `none`, or a step an edited atlas no longer has
            return None
        if len(ranked) > 1 and ranked[1][0] in self.refs and p - ranked[1][1] < LEARNED_MARGIN:
            return None  # two steps held alike: similarity decides between them
        elsewhere = journey is not None and not label.startswith(f"{journey}.")
        return label if p >= (sure or (LEARNED_OVER if elsewhere else LEARNED_MIN)) else None

    def rank(self, text: str, placer: IntentModel | None = None) -> list[tuple[str, float]]:
        """Every step ranked for a text (where the five questions place a decision): the
        learned model's probability among the steps (its `none` left out) plus the
        similarity to the atlas (`match`), which settles what the model holds close (related
        steps' cosines lie within ~0.05); similarity alone without a model. On decisions
        written blind in three languages the model placed more, and more of them alike, than
        similarity or the atlas's hybrid search (evals/README.md, ninth round). `placer`: the
        model to place with instead (the placement model, which learned more decisions)."""
        similar = self.match(text).ranked
        model = placer or self.model
        if model is None:
            return similar
        probs = {label: p for label, p in model.predict(text).ranked if label in self.refs}
        total = sum(probs.values()) or 1.0
        return sorted(((ref, probs.get(ref, 0.0) / total + sim) for ref, sim in similar),
                      key=lambda x: -x[1])  # fmt: skip

    def match(self, text: str, journey: str | None = None) -> StepMatch:
        if not self.refs:
            return StepMatch([])
        query = np.asarray(self.embed_query(text), dtype=np.float32)
        whole = (self.vectors @ query).max(axis=1)
        per_sentence = np.append(self.sentences @ query, -np.inf)[self._rows]
        closest = -np.sort(-per_sentence, axis=1)[:, :TOP_SENTENCES]
        sims = (whole + closest.mean(axis=1)) / 2 + LEXICAL_WEIGHT * self._overlap(text)
        order = np.argsort(-sims)
        ranked = [(self.refs[i], float(sims[i])) for i in order]
        general = float((self.general @ query).max()) if len(self.general) else 0.0
        return StepMatch(ranked, general).within(journey)

    def _overlap(self, text: str, journey: str | None = None) -> np.ndarray:
        """The share of each step's name (the better language) that the text says, beyond
        the words of `journey`'s own name ("khâu giao hàng" names the delivery journey, not
        its step "Hẹn giờ giao hàng")."""
        said = _content(text) - self.journey_words.get(journey or "", set())
        return np.asarray([max(len(n & said) / len(n) if n else 0.0 for n in names)
                           for names in self.names], dtype=np.float32)  # fmt: skip
