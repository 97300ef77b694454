"""The `cx-assistant` console script: the command line, started with the cyclic garbage
collector held back.

Start-up makes a few hundred thousand objects that live as long as the process (modules,
pydantic models, Chroma's classes, the lexical index's postings). The collector's passes
over them free nothing and took about 0.15 s of a cold `ask` (1.55 s -> 1.40 s measured,
benchmarks/routing_speed.py). A one-shot answer runs to the end without them; a command that
runs on (`slack`, `chat`, `index`, …) turns collection back on as it starts
(`cli.collect_from_now_on`)."""

from __future__ import annotations

import gc
import sys


def run() -> None:
    gc.disable()
    from assistant.surfaces.cli import main

    sys.exit(main())
