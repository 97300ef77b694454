"""Record the CLI's answers, then check a later tree answers byte for byte the same.

A refactoring that moves code (packages, seams, renames) must not change what a user sees.
Run `record` before the change and `check` after it, both against the same built index
(`cx-assistant index` once; `CX_DATA_DIR` as usual):

    python scripts/outputs_unchanged.py record /tmp/before
    ... change the code ...
    python scripts/outputs_unchanged.py check /tmp/before

Each command runs as a user runs it (`cx-assistant …` in a subprocess), in Vietnamese and
English, as text and as JSON. `check` prints the first differing lines of each answer that
changed and exits 1 when any did. A chart is compared by its caption and title, which are in
the text; its PNG bytes depend on the installed fonts and matplotlib.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

_MOVED = Path(__file__).resolve().parents[1].joinpath("assistant", "surfaces").is_dir()
_MODULE = "assistant.surfaces.cli" if _MOVED else "assistant.cli"  # after / before the move
CLI = [sys.executable, "-c", f"import sys; from {_MODULE} import main; sys.exit(main())"]

COMMANDS: dict[str, list[str]] = {
    "ask-five-vi": ["ask", "Năm câu hỏi của tư duy lấy hành trình làm trung tâm là gì?"],
    "ask-five-en": ["ask", "What are the five journey-thinking questions?"],
    "ask-atlas-en": ["ask", "What is a journey atlas?"],
    "ask-maturity-vi": ["ask", "Mô hình trưởng thành CX gồm những cấp độ nào?"],
    "ask-pains-en": ["ask", "what hurts customers most after delivery?"],
    "ask-pains-vi": ["ask", "khách hàng phàn nàn gì nhiều nhất về bảo hành?"],
    "ask-summary-vi-json": ["ask", "--json", "tóm tắt hành trình giao hàng"],
    "ask-roadmap-en-json": ["ask", "--json", "propose a roadmap for the warranty journey"],
    "ask-persona-vi": ["ask", "phác thảo chân dung khách hàng là sinh viên"],
    "pains-vi": ["pains", "--journey", "delivery", "--from", "2020-01-01", "--to", "2020-03-31",
                 "--min-rating", "1", "--max-rating", "2"],
    "pains-en": ["pains", "--journey", "delivery", "--from", "2020-01-01", "--to", "2020-03-31",
                 "--min-rating", "1", "--max-rating", "2", "--lang", "en"],
    "pains-touchpoint-en-json": ["pains", "--touchpoint", "hotline", "--lang", "en", "--json"],
    "pains-all-vi-json": ["pains", "--json"],
    "persona-vi": ["persona", "--journey", "warranty"],
    "persona-en": ["persona", "--journey", "warranty", "--lang", "en"],
    "persona-segment-en-json": ["persona", "--segment", "sinh viên", "--lang", "en", "--json"],
    "roadmap-vi": ["roadmap", "--journey", "warranty"],
    "roadmap-en": ["roadmap", "--journey", "warranty", "--lang", "en"],
    "roadmap-en-json": ["roadmap", "--journey", "delivery", "--max-rating", "2", "--lang", "en",
                        "--json"],
    "journey-vi": ["journey", "delivery"],
    "journey-en": ["journey", "warranty", "--lang", "en"],
    "journey-en-json": ["journey", "delivery", "--lang", "en", "--json"],
    "five-en": ["five", "changing the return policy", "--lang", "en"],
    "five-vi": ["five", "thay đổi chính sách đổi trả"],
    "five-step-vi-json": ["five", "--journey", "delivery", "--step", "receive", "--json"],
}  # fmt: skip


def run(args: list[str]) -> str:
    env = {**os.environ, "NO_COLOR": "1"}
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=300)
    return f"exit {done.returncode}\n--- stdout\n{done.stdout}--- stderr\n{_stderr(done.stderr)}"


def _stderr(text: str) -> str:
    # Progress bars and timings differ from run to run; what an answer says does not.
    kept = [line for line in text.splitlines() if "it/s" not in line and "%|" not in line]
    return "".join(line + "\n" for line in kept)


def record(folder: Path) -> int:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, args in COMMANDS.items():
        (folder / f"{name}.txt").write_text(run(args), encoding="utf-8")
        print(f"recorded {name}")
    (folder / "commands.json").write_text(json.dumps(COMMANDS, ensure_ascii=False, indent=1))
    return 0


def check(folder: Path) -> int:
    changed = 0
    for name, args in COMMANDS.items():
        before = (folder / f"{name}.txt").read_text(encoding="utf-8")
        after = run(args)
        if before == after:
            print(f"same     {name}")
            continue
        changed += 1
        print(f"CHANGED  {name}: cx-assistant {' '.join(args)}")
        diff = difflib.unified_diff(before.splitlines(), after.splitlines(), "before", "after", n=1)
        for line in list(diff)[:20]:
            print("    " + line)
    print(f"{len(COMMANDS) - changed} of {len(COMMANDS)} answers byte-identical")
    return 1 if changed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("record", "check"))
    parser.add_argument("folder", type=Path)
    ns = parser.parse_args()
    return record(ns.folder) if ns.mode == "record" else check(ns.folder)


if __name__ == "__main__":
    sys.exit(main())
