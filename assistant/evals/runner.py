"""Runs every eval set, compares with evals/thresholds.yaml, writes the reports."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.kb.base import KnowledgeBase

EVALS_DIR = Path("evals")


class MetricRow(BaseModel):
    eval_set: str
    metric: str
    value: float
    threshold: float | None = None  # the minimum
    maximum: float | None = None  # for rates that must stay low (false positives)

    @property
    def gated(self) -> bool:
        return self.threshold is not None or self.maximum is not None

    @property
    def ok(self) -> bool:
        low = self.threshold is None or self.value >= self.threshold
        return low and (self.maximum is None or self.value <= self.maximum)

    @property
    def bound(self) -> str:
        if self.maximum is not None:
            return f"≤{self.maximum:.3f}"
        return f"{self.threshold:.3f}" if self.threshold is not None else ""


class EvalReport(BaseModel):
    rows: list[MetricRow]
    details: dict[str, Any]
    seconds: float
    report_path: str = ""

    @property
    def passed(self) -> bool:
        return all(r.ok for r in self.rows)

    def table(self) -> str:
        lines = [f"{'eval set':<16} {'metric':<30} {'value':>8} {'gate':>8}  status"]
        for r in self.rows:
            thr = r.bound or "-"
            status = "" if not r.gated else ("ok" if r.ok else "FAIL")
            value = f"{r.value:.3f}" if r.value < 10 else f"{r.value:.0f}"
            lines.append(f"{r.eval_set:<16} {r.metric:<30} {value:>8} {thr:>8}  {status}")
        verdict = "PASSED" if self.passed else "FAILED"
        lines.append(f"\nevals {verdict} in {self.seconds:.1f} s")
        return "\n".join(lines)

    def markdown(self) -> str:
        out = ["| eval set | metric | value | gate | status |", "|---|---|---:|---:|---|"]
        for r in self.rows:
            status = "" if not r.gated else ("ok" if r.ok else "**FAIL**")
            out.append(f"| {r.eval_set} | {r.metric} | {r.value:.3f} | {r.bound} | {status} |")
        return "# Eval report\n\n" + "\n".join(out) + "\n"


# An eval set: the knowledge base and the evals folder in, its metrics and rows out.
EvalSet = Callable[[KnowledgeBase, Path], tuple[dict[str, float], list[dict]]]

def _methodology_qa(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
    from assistant.evals.methodology_qa import evaluate, load_cases

    kb.index_methodology(progress=False)  # incremental: embeds nothing when up to date
    return evaluate(kb, load_cases(folder / "methodology_qa.yaml"))


def _tagging(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
    from assistant.evals.tagging import evaluate

    train = kb.settings.feedback_dir / "uit-visfd-train.csv"
    return evaluate(kb, folder / "data" / "uit-visfd-dev.csv", train)


def _journey_tools(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
    from assistant.evals.journey_tools import evaluate

    kb.index_methodology(progress=False)
    kb.index_atlas(progress=False)
    for path in kb.shipped_feedback_files():
        kb.ingest(path, progress=False, embed=False)  # the tabular copy is what tools read
    kb.tag_feedback(progress=False)
    kb.link_feedback(progress=False)
    return evaluate(kb, folder / "journey_tools.yaml")


def _routing(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
    from assistant.evals.routing import evaluate

    # The project's earlier sets: training data of the intent model now, so a regression
    # check; the gate that counts is routing_heldout.
    return evaluate(kb, [folder / "routing.yaml", folder / "routing_practitioner.yaml"])


def _first_requests(path: str) -> EvalSet:
    """Utterances of one writer, each routed as a first request (`path`: in evals/)."""

    def run(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
        from assistant.evals.routing import evaluate_heldout

        return evaluate_heldout(kb, folder / path)

    return run


def _with_feedback(kb: KnowledgeBase) -> None:
    """The tabular feedback (relative periods count from its latest date)."""
    for path in kb.shipped_feedback_files():
        kb.ingest(path, progress=False, embed=False)


def _dialogues(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
    from assistant.evals.dialogues import evaluate

    _with_feedback(kb)
    return evaluate(kb, folder / "dialogues_heldout.yaml")


def _step_requests(path: str) -> EvalSet:
    """Requests describing a journey step, each understood as a first request (in evals/)."""

    def run(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
        from assistant.evals.step_requests import evaluate

        _with_feedback(kb)
        return evaluate(kb, folder / path)

    return run


def _decisions(path: str) -> EvalSet:
    """Company decisions in three languages, each placed on a step as the five questions
    place it (`path`: in evals/)."""

    def run(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
        from assistant.evals.decisions import evaluate

        _with_feedback(kb)
        return evaluate(kb, folder / path)

    return run


def _dialogue_set(name: str) -> EvalSet:
    """A dialogue set of evals/data/ that is reported, not gated (evals/README.md says which
    writer wrote it and whether the intent model was trained on it)."""

    def run(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
        from assistant.evals.dialogues import evaluate

        _with_feedback(kb)
        return evaluate(kb, folder / "data" / name)

    return run


def _methodology_heldout(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
    from assistant.evals.methodology_qa import evaluate, load_cases

    kb.index_methodology(progress=False)
    return evaluate(kb, load_cases(folder / "methodology_heldout.yaml"))


def _filters(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
    from assistant.evals.filters import evaluate
    from assistant.feedback.segments import load_segments

    book = load_segments(kb.settings.cx_corpus_dir / "playbook" / "segments.yaml")
    return evaluate(folder / "filters.yaml", book)


def _linking(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
    from assistant.evals.linking import evaluate

    return evaluate(kb, folder / "journey_links.yaml", folder / "data" / "uit-visfd-dev.csv",
                    folder / "data" / "vectors")  # fmt: skip


def _step_links(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
    from assistant.evals.step_links import evaluate

    return evaluate(kb, folder / "step_links.yaml", folder / "data" / "uit-visfd-dev.csv",
                    folder / "data" / "step_links_train_calibration.yaml",
                    kb.settings.feedback_dir / "uit-visfd-train.csv",
                    folder / "data" / "vectors")  # fmt: skip


def _redaction(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
    from assistant.evals.redaction import evaluate

    return evaluate(folder / "redaction.yaml", folder / "data" / "redaction_dev.yaml")


def _methodology_set(name: str) -> EvalSet:
    """A methodology question set of evals/data/, reported, not gated."""

    def run(kb: KnowledgeBase, folder: Path) -> tuple[dict[str, float], list[dict]]:
        from assistant.evals.methodology_qa import evaluate, load_cases

        kb.index_methodology(progress=False)
        return evaluate(kb, load_cases(folder / "data" / name))

    return run


# Development dialogue writers (evals/data/dialogues_writer_<id>.yaml, each reported as
# `dialogues_dev_<id>`): the intent model never learns them, the step model learns every
# one but AK (never read), BT, BU, BV, BW, BX and BY (read, kept unseen by the models:
# scripts/train_intent.py).
DEV_DIALOGUE_WRITERS = ("e", "i", "k", "l", "n", "o", "p", "q", "r", "x", "aa", "ad", "ae",
                        "af", "ah", "ai", "aj", "ak", "al", "am", "an", "ao", "ap", "aq", "ar",
                        "as", "at", "au", "av", "aw", "ax", "ay", "az", "ba", "bb", "bc", "bi",
                        "bj", "bk", "bl", "br", "bs", "bt", "bu", "bv", "bw",
                        "bx", "by")  # fmt: skip


# Every eval set, registered in one place: name -> function(kb, evals folder).
EVAL_SETS: dict[str, EvalSet] = {
    "methodology_qa": _methodology_qa,
    "tagging": _tagging,
    "journey_tools": _journey_tools,
    "routing": _routing,
    "routing_heldout": _first_requests("routing_heldout.yaml"),  # writer C, the gate
    # writer M, never trained on: reported, not gated (evals/README.md says why)
    "routing_dev_m": _first_requests("data/routing_writer_m.yaml"),
    # writers BP and BQ (round 16, first requests), never trained on: reported
    "routing_dev_bp": _first_requests("data/routing_writer_bp.yaml"),
    "routing_dev_bq": _first_requests("data/routing_writer_bq.yaml"),
    "dialogues": _dialogues,
    "dialogues_train": _dialogue_set("dialogues_train.yaml"),  # writer A, trained on
    "dialogues_dev": _dialogue_set("dialogues_writer_c.yaml"),  # writer C, trained on
    "dialogues_train_h": _dialogue_set("dialogues_writer_h.yaml"),  # writer H, trained on
    **{f"dialogues_dev_{w}": _dialogue_set(f"dialogues_writer_{w}.yaml")
       for w in DEV_DIALOGUE_WRITERS},
    # Requests describing a step: writer U held out (never read); writers S, T, W, BD, BE
    # and BF train the step model.
    "step_requests_heldout": _step_requests("step_requests_heldout.yaml"),
    # Decisions placed on a step: writer Y reported, writer Z held out (never read);
    # writer D trains the step model, writers G, BG and BH the placement model.
    "decisions_dev_y": _decisions("data/decisions_writer_y.yaml"),
    "decisions_heldout": _decisions("decisions_heldout.yaml"),
    "methodology_heldout": _methodology_heldout,
    "methodology_dev": _methodology_set("methodology_dev.yaml"),
    "methodology_dev_f": _methodology_set("methodology_dev_f.yaml"),
    "methodology_dev_j": _methodology_set("methodology_dev_j.yaml"),
    "methodology_dev_ac": _methodology_set("methodology_dev_ac.yaml"),
    "methodology_dev_ag": _methodology_set("methodology_dev_ag.yaml"),
    "filters": _filters,
    "linking": _linking,
    "step_links": _step_links,
    "redaction": _redaction,
}


def eval_settings(settings: Settings) -> Settings:
    """The evals' own data folder (and Chroma collections): built from `corpus/` only, so
    what a user ingests or trains never changes an eval result. It persists, so later runs
    embed nothing that has not changed."""
    update: dict[str, Any] = {"cx_data_dir": settings.cx_data_dir / "eval"}
    if settings.chroma_host:  # a shared server: the eval's own collections
        update["cx_collection_prefix"] = f"{settings.cx_collection_prefix}-eval"
    return settings.model_copy(update=update)


def run_evals(
    settings: Settings, only: list[str] | None = None, folder: Path = EVALS_DIR
) -> EvalReport:
    unknown = set(only or []) - set(EVAL_SETS)
    if unknown:
        raise ConfigError(
            f"unknown eval set(s): {', '.join(sorted(unknown))}; known: {', '.join(EVAL_SETS)}"
        )
    thresholds_path = folder / "thresholds.yaml"
    if not thresholds_path.is_file():
        raise ConfigError(f"{thresholds_path}: missing (run from the repository root)")
    thresholds = yaml.safe_load(thresholds_path.read_text(encoding="utf-8")) or {}
    kb = KnowledgeBase.open(eval_settings(settings))
    start = time.perf_counter()
    rows: list[MetricRow] = []
    details: dict[str, Any] = {}
    for name, func in EVAL_SETS.items():
        if only and name not in only:
            continue
        metrics, cases = func(kb, folder)
        for metric, value in metrics.items():
            gate = thresholds.get(name, {}).get(metric)  # a minimum, or {max: …}
            rows.append(
                MetricRow(
                    eval_set=name,
                    metric=metric,
                    value=value,
                    threshold=None if isinstance(gate, dict) else gate,
                    maximum=gate.get("max") if isinstance(gate, dict) else None,
                )
            )
        details[name] = cases
    report = EvalReport(rows=rows, details=details, seconds=round(time.perf_counter() - start, 2))
    out = folder / "report.json"
    out.write_text(
        json.dumps(report.model_dump() | {"passed": report.passed}, ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    (folder / "report.md").write_text(report.markdown(), encoding="utf-8")
    report.report_path = str(out)
    return report
