"""Benchmark: routing latency (warm, in-process) and `cx-assistant ask` cold (a new process
per run), for the learned-routing issue. Writes benchmarks/routing_speed.json; the figures
go into BENCHMARKS.md by hand with the date and the commit measured.

Run from the repository root with a populated data folder:
`CX_DATA_DIR=… .venv/bin/python benchmarks/routing_speed.py [--label before|after]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.agent.agent import Agent  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.kb.base import KnowledgeBase  # noqa: E402

CLI = str(Path(sys.executable).with_name("cx-assistant"))
# Cold `ask`: a methodology question, a feedback request, and a decision (vi, en, unaccented).
COLD = [
    ["What is a journey atlas?"],
    ["Khách phàn nàn gì nhiều nhất về bảo hành?"],
    ["chung toi muon rut ngan thoi gian doi tra xuong 7 ngay, can luu y gi?"],
]


def utterances() -> list[str]:
    texts: list[str] = []
    for path in (ROOT / "evals" / "routing.yaml", ROOT / "evals" / "routing_practitioner.yaml"):
        texts += [c["text"] for c in yaml.safe_load(path.read_text(encoding="utf-8"))]
    return texts


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="now")
    parser.add_argument("--runs", type=int, default=5)
    label = parser.parse_args().label
    runs = parser.parse_args().runs
    settings = Settings()
    agent = Agent(KnowledgeBase.open(settings))
    texts = utterances()
    agent.route("warm up")
    lat = []
    for t in texts:
        start = time.perf_counter()
        agent.route(t)
        lat.append((time.perf_counter() - start) * 1000)
    res = {"label": label, "utterances": len(texts), "route_p50_ms": round(pct(lat, 0.5), 1),
           "route_p95_ms": round(pct(lat, 0.95), 1)}  # fmt: skip
    env = os.environ.copy()
    env.pop("OPENAI_API_KEY", None)
    # The CLI of this tree, not the one the environment installed (an editable install points
    # at its own checkout): a worktree of an older commit measures that commit.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    cold: dict[str, float] = {}
    for args in COLD:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([CLI, "ask", *args], env=env, capture_output=True, text=True)
            times.append(time.perf_counter() - start)
        cold[args[0]] = round(statistics.median(times), 2)
    res["ask_cold_median_s"] = cold
    res["load_average"] = os.getloadavg()[0]
    out = ROOT / "benchmarks" / "routing_speed.json"
    old = json.loads(out.read_text()) if out.is_file() else {}
    old[label] = res
    out.write_text(json.dumps(old, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(res, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
