"""Speed of the feedback tools (issue #12's targets), measured on the shipped 7,786 records:

- each feedback tool in-process, warm: p50 of repeated calls (target < 300 ms);
- each CLI command cold, a new process per run: median wall time of 3 (target < 2.5 s);
- a pain summary over 1,000,000 synthetic records, in a process of its own: seconds of the
  summary and the process's peak memory (targets < 15 s, < 1.5 GB).

Synthetic records are the real comments resampled by the store (text, rating, tags, segment,
themes of a real record; dates spread over 600 days), so the summary reads the same kind of
store it reads in use. Run through `benchmarks/run.py` (`--only feedback`).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.core.settings import Settings
    from assistant.feedback.store import FeedbackStore

ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("cx-assistant"))

# Cold CLI medians measured on main before issue #12 (the issue's own figures).
BEFORE_CLI_S = {"pains": 17.3, "roadmap": 14.6, "persona": 12.3, "journey": 10.3,
                "five": 5.8, "ask": 2.8}  # fmt: skip

# What each tool and command is asked: the examples.
TOOL_CASES: dict[str, dict] = {
    "pain_points": {},
    "pain_points (journey delivery)": {"journey": "delivery"},
    "persona": {"segment": "sinh viên"},
    "roadmap": {"journey": "warranty"},
    "journey_summary": {"journey": "warranty"},
    "five_questions": {"situation": "rút ngắn thời gian bảo hành"},
}
CLI_CASES: dict[str, list[str]] = {
    "pains": ["pains"],
    "roadmap": ["roadmap", "--journey", "warranty"],
    "persona": ["persona", "--segment", "sinh viên"],
    "journey": ["journey", "warranty"],
    "five": ["five", "rút ngắn thời gian bảo hành"],
    "ask": ["ask", "khách phàn nàn gì nhiều nhất về pin trong quý 2 năm 2020?"],
}


def tools_warm(kb, runs: int = 7) -> dict[str, float]:  # noqa: ANN001 - a KnowledgeBase
    """p50 (ms) of each feedback tool in-process, after one call that warms it."""
    from assistant.agent.registry import Registry
    from assistant.core.tools import ToolContext

    registry = Registry()
    ctx = ToolContext(kb=kb, lang="en")
    out: dict[str, float] = {}
    for label, args in TOOL_CASES.items():
        spec = registry.get(label.split(" ")[0])
        inp = spec.input_model(**args)
        spec.func(inp, ctx)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            spec.func(inp, ctx)
            times.append((time.perf_counter() - start) * 1000)
        out[label] = round(statistics.median(times), 1)
    return out


def cli_cold(data_dir: Path, runs: int = 3) -> dict[str, float]:
    """Median wall seconds of each CLI command, each run a new process."""
    env = os.environ | {"CX_DATA_DIR": str(data_dir), "CX_CORPUS_DIR": str(ROOT / "corpus")}
    env.pop("OPENAI_API_KEY", None)  # the offline default, as a fresh machine runs it
    out: dict[str, float] = {}
    for name, args in CLI_CASES.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            done = subprocess.run([CLI, *args], env=env, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"`cx-assistant {' '.join(args)}` failed: {done.stderr[-500:]}")
        out[name] = round(statistics.median(times), 2)
    return out


def synthetic_store(source: FeedbackStore, settings: Settings, target_dir: Path, n: int) -> None:
    """A feedback store of n records resampled from `source`, made in `target_dir` (emptied
    first) as the application makes one with these settings."""
    from assistant.feedback.store import open_feedback_store

    shutil.rmtree(target_dir, ignore_errors=True)
    target_dir.mkdir(parents=True)
    target = open_feedback_store(settings.model_copy(update={"cx_data_dir": target_dir}))
    target.resample_from(source, n)
    target.close()


def pains_at_scale(data_dir: Path) -> dict:
    """The whole-corpus pain summary over the store in `data_dir`, in a process of its own:
    its seconds (the summary only, and the process from start) and peak memory."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--pains-child", str(data_dir)],
        capture_output=True, text=True, env=os.environ | {"CX_CORPUS_DIR": str(ROOT / "corpus")},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"the pain summary at scale failed: {done.stderr[-800:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_s"] = round(time.perf_counter() - start, 2)
    return out


def _pains_child(data_dir: Path) -> None:
    from assistant.core.settings import Settings
    from assistant.core.tools import ToolContext
    from assistant.feedback.tools.pain_points import PainPointsInput, summarize_pain_points
    from assistant.kb.base import KnowledgeBase

    kb = KnowledgeBase.open(Settings(_env_file=None, cx_data_dir=data_dir))
    start = time.perf_counter()
    out = summarize_pain_points(PainPointsInput(), ToolContext(kb=kb, lang="en"))
    secs = time.perf_counter() - start
    print(json.dumps({
        "records": out.total, "summary_s": round(secs, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "top_pain": out.pain_points[0].aspect if out.pain_points else None,
    }))  # fmt: skip


if __name__ == "__main__" and sys.argv[1:2] == ["--pains-child"]:
    sys.path.insert(0, str(ROOT))
    _pains_child(Path(sys.argv[2]))
