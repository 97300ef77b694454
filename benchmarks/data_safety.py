"""Benchmark of the data-safety limits: redaction of 1M-character cells, atlas loading (the
shipped atlas and hostile files), the cheap index check and the doctor, how long a
silent Chroma server takes to be reported, and what a chat upload over the row limit costs
(peak memory and time of a process that only does that).

Writes benchmarks/data_safety.json. Run: `.venv/bin/python benchmarks/data_safety.py`
(from the repository root; it works in benchmarks/.work/safety, which it deletes first).
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.atlas.model import load_atlas, validate_atlas  # noqa: E402
from assistant.core.errors import ChromaUnavailableError  # noqa: E402
from assistant.core.redaction import redact  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.kb.base import KnowledgeBase  # noqa: E402
from assistant.kb.doctor import index_health, run_doctor  # noqa: E402

WORK = ROOT / "benchmarks" / ".work" / "safety"
N = 1_000_000
# The e-mail pattern before it was made linear, for comparison on a shorter word.
OLD_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def cpu(fn) -> float:  # noqa: ANN001
    start = time.process_time()
    fn()
    return round(time.process_time() - start, 4)


def redaction() -> dict:
    cells = {
        "one long word": "a" * N,
        "a@a@…": "a@" * (N // 2),
        "digits and spaces": "1 " * (N // 2),
        "digits and three spaces": "1   " * (N // 4),
        "+84 repeated": "+84 " * (N // 4),
        "phone lists and spaced dashes": (
            "sđt 0912 - 345 - 678, 0987654321/0912345679 k " * (N // 48)
        ),
        "order numbers and accounts": "đơn 12345678 và 12345679, STK 0071000123456 " * (N // 44),
        "feedback with personal data": (
            "Pin tốt 0912345678 giá 7.990.000đ a.b@gmail.com CMND 123 456 789 " * (N // 64 + 1)
        )[:N],
    }
    out = {
        f"{name}, 1M chars (CPU s)": cpu(lambda c=cell: redact(c)) for name, cell in cells.items()
    }
    word = "a" * 50_000
    out["old e-mail pattern, one 50k-char word (CPU s)"] = cpu(lambda: OLD_EMAIL.sub("", word))
    out["new redaction, same word (CPU s)"] = cpu(lambda: redact(word))
    return out


def atlas() -> dict:
    shipped = ROOT / "corpus" / "atlas"
    load_atlas(shipped)
    start = time.perf_counter()
    for _ in range(10):
        load_atlas(shipped)
    out = {"load the shipped atlas (s)": round((time.perf_counter() - start) / 10, 4)}
    bomb = "".join(
        f"{n}: &{n} [{', '.join([f'*{p}'] * 9) if p else ', '.join(['lol'] * 9)}]\n"
        for p, n in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
    )
    hostile = {
        "an alias bomb (342 bytes)": bomb,
        "nesting 20,000 deep": "a: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "a 10 MB file": "id: x\nname: {vi: '" + "a" * 10_000_000 + "', en: b}\n",
        "0.9 MB of unknown keys": "id: x\n" + "".join(f"k{i}: {i}\n" for i in range(70_000)),
    }
    for name, text in hostile.items():
        root = WORK / "atlas"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(shipped, root)
        (root / "journeys" / "delivery.yaml").write_text(text, encoding="utf-8")
        start = time.perf_counter()
        validate_atlas(root)
        out[f"validate an atlas with {name} (s)"] = round(time.perf_counter() - start, 3)
    return out


def index_checks() -> dict:
    s = Settings(_env_file=None, cx_data_dir=WORK / "data", cx_corpus_dir=ROOT / "corpus")
    kb = KnowledgeBase.open(s)
    kb.index_methodology(progress=False)
    kb.index_atlas(progress=False)
    index_health(kb)
    start = time.perf_counter()
    for _ in range(20):
        index_health(kb)
    out = {"index_health(), methodology + atlas + empty feedback (ms)": round(
        (time.perf_counter() - start) / 20 * 1000, 2)}  # fmt: skip
    start = time.perf_counter()
    run_doctor(kb, repair=False)
    out["doctor --check, shipped methodology + atlas (s)"] = round(time.perf_counter() - start, 3)
    return out


def silent_server() -> dict:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    s = Settings(_env_file=None, cx_data_dir=WORK / "remote", chroma_host="127.0.0.1",
                 chroma_port=sock.getsockname()[1], cx_chroma_timeout_s=1)  # fmt: skip
    start = time.perf_counter()
    try:
        KnowledgeBase.open(s).chroma()  # the client is made on first use
    except ChromaUnavailableError:
        pass
    finally:
        sock.close()
    return {"silent server reported, deadline 1 s (s)": round(time.perf_counter() - start, 2)}


UPLOAD = """
import resource, sys, time
from pathlib import Path
from assistant.core.errors import IngestLimitError
from assistant.core.settings import Settings
from assistant.feedback.ingest import IngestLimits
from assistant.kb.base import KnowledgeBase
path, data = Path(sys.argv[1]), Path(sys.argv[2])
kb = KnowledgeBase.open(Settings(_env_file=None, cx_data_dir=data))
kb.feedback()  # the store open: what the bot process holds before any upload
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    kb.ingest_upload(path, "upload-bench", share=False,
                     limits=IngestLimits(max_bytes=20_000_000, max_rows=50_000))
except IngestLimitError:
    pass
print(time.perf_counter() - start, base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def uploads() -> dict:
    """A chat upload of tiny rows over CX_MAX_UPLOAD_ROWS (50,000), under the byte limit:
    refused whole, in a process of its own so its peak memory is its own."""
    import subprocess

    out = {}
    for mb in (5, 19):
        path = WORK / f"tiny-{mb}mb.csv"
        row = "ok,5\n"
        path.write_text("comment,n_star\n" + row * (mb * 1_000_000 // len(row)), encoding="utf-8")
        done = subprocess.run([sys.executable, "-c", UPLOAD, str(path), str(WORK / f"up{mb}")],
                              capture_output=True, text=True, check=True, cwd=ROOT)  # fmt: skip
        seconds, base_kb, peak_kb = done.stdout.split()
        out[f"{mb} MB of tiny rows refused: time (s)"] = round(float(seconds), 2)
        out[f"{mb} MB of tiny rows refused: peak memory of the process (MB)"] = round(
            int(peak_kb) / 1024
        )
        out[f"{mb} MB of tiny rows refused: peak memory above the loaded process (MB)"] = round(
            (int(peak_kb) - int(base_kb)) / 1024
        )
    return out


def main() -> None:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    res = {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "redaction": redaction(),
        "atlas": atlas(),
        "index": index_checks(),
        "chroma": silent_server(),
        "uploads": uploads(),
    }
    (ROOT / "benchmarks" / "data_safety.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
