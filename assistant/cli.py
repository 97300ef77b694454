"""The `cx-assistant` command: a thin shell over the core; every command has --json."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from typing import Any

from assistant.errors import AssistantError
from assistant.settings import Settings

log = logging.getLogger("assistant")


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.knowledge.base import KnowledgeBase

    kb = KnowledgeBase.open(settings)
    report = kb.index_methodology(progress=not args.quiet)
    if args.json:
        _print_json({"methodology": report.model_dump()})
    else:
        print(
            f"methodology: {report.documents} documents ({report.added} added, "
            f"{report.updated} updated, {report.removed} removed, {report.unchanged} unchanged); "
            f"{report.chunks_embedded} chunks embedded, {report.chunks_deleted} deleted, "
            f"{report.chunks_total} in the index; {report.seconds:.2f} s"
        )
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.agent.agent import Agent
    from assistant.knowledge.base import KnowledgeBase

    answer = Agent(KnowledgeBase.open(settings)).ask(" ".join(args.question))
    if args.json:
        _print_json(answer.to_json_dict())
    else:
        print(answer.answer)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evals.runner import run_evals

    report = run_evals(settings, only=args.only)
    if args.json:
        _print_json(report.model_dump())
    else:
        print(report.table())
        print(f"\nreport written to {report.report_path}")
    return 0 if report.passed else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cx-assistant",
        description="CX Assistant: cited answers from the CX methodology, journey atlas and "
        "customer feedback.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index the corpus (only what changed is embedded)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ask", help="ask a question in Vietnamese or English")
    p.add_argument("question", nargs="+", help="the question")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="run the eval sets; exit 1 under any threshold")
    p.add_argument("--only", action="append", help="run only this eval set (repeatable)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(
        level=settings.cx_log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    func: Callable[[argparse.Namespace, Settings], int] = args.func
    try:
        return func(args, settings)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception:
        log.exception("unexpected error in %s", args.command)
        print(
            "error: something went wrong; the log above has the details",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
