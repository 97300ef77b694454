"""The `cx-assistant` command: a thin shell over the core; every command has --json."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.settings import Settings

log = logging.getLogger("assistant")


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.knowledge.base import KnowledgeBase

    kb = KnowledgeBase.open(settings)
    parts = args.only or ["methodology", "atlas", "feedback"]
    progress = not args.quiet
    out: dict[str, Any] = {}
    if "methodology" in parts:
        out["methodology"] = kb.index_methodology(progress=progress).model_dump()
    if "atlas" in parts:
        out["atlas"] = kb.index_atlas(progress=progress).model_dump()
    if "feedback" in parts:
        out["feedback"] = [
            kb.ingest(path, progress=progress).model_dump(exclude={"errors"})
            for path in kb.shipped_feedback_files()
        ]
        out["tagging"] = kb.tag_feedback(progress=progress)
    if args.json:
        _print_json(out)
        return 0
    for kind in ("methodology", "atlas"):
        if kind in out:
            r = out[kind]
            print(
                f"{kind}: {r['documents']} documents ({r['added']} added, {r['updated']} "
                f"updated, {r['removed']} removed, {r['unchanged']} unchanged); "
                f"{r['chunks_embedded']} chunks embedded, {r['chunks_deleted']} deleted, "
                f"{r['chunks_total']} in the index; {r['seconds']:.2f} s"
            )
    for r in out.get("feedback", []):
        print(_ingest_line(r))
    if "tagging" in out:
        print("tagged: " + ", ".join(f"{n} by {how}" for how, n in out["tagging"].items()))
    return 0


def _ingest_line(r: dict[str, Any]) -> str:
    line = (
        f"feedback {r['file']}: {r['accepted']} accepted, {r['rejected']} rejected, "
        f"{r['duplicates']} duplicates; {r['indexed']} embedded; {r['redactions']} personal "
        f"data items redacted; {r['seconds']:.1f} s"
    )
    if r.get("undated"):
        line += f"\n  {r['undated']} accepted rows have no readable date"
    if r.get("rejects_file"):
        line += f"\n  rejected rows kept in {r['rejects_file']}"
    return line


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from assistant.knowledge.base import KnowledgeBase

    columns = {
        name: getattr(args, f"{name}_column")
        for name in ("text", "rating", "date", "channel", "segment", "journey", "stage", "id",
                     "label")
    }  # fmt: skip
    reference = date.fromisoformat(args.reference_date) if args.reference_date else None
    kb = KnowledgeBase.open(settings)
    report = kb.ingest(
        Path(args.path), columns=columns, reference=reference, progress=not args.json,
        embed=not args.no_embed,
    )  # fmt: skip
    kb.tag_feedback(progress=not args.json)
    if args.json:
        _print_json(report.public())
    else:
        print(_ingest_line(report.model_dump()))
        for e in report.errors[:20]:
            print(f"  line {e.line}: {e.field}: {e.message}")
        if len(report.errors) > 20:
            print(f"  … {len(report.errors) - 20} more in {report.rejects_file}")
    return 0


def cmd_tagger(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.knowledge.base import KnowledgeBase

    kb = KnowledgeBase.open(settings)
    model = kb.train_tagger(progress=not args.json)
    retagged = kb.tag_feedback(retag=True, progress=not args.json)
    info = {"trained_on": model.trained_on, "aspects": model.aspects, "retagged": retagged,
            "model": str(settings.cx_data_dir / "tagger.joblib")}  # fmt: skip
    if args.json:
        _print_json(info)
    else:
        print(f"tagger trained on {model.trained_on} labelled comments; saved to {info['model']}")
        print("re-tagged: " + ", ".join(f"{n} by {how}" for how, n in retagged.items()))
    return 0


def cmd_tag(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.knowledge.base import KnowledgeBase
    from assistant.knowledge.feedback import (
        ColumnMapping,
        RowError,
        header_of,
        read_rows,
        to_record,
    )

    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    mapping = ColumnMapping.detect(header_of(path), {"text": args.text_column})
    kb = KnowledgeBase.open(settings)
    tagger = kb.tagger()
    rows = []
    for n, (line, row, _raw) in enumerate(read_rows(path)):
        rec = to_record(row or {"__error__": "not a JSON object"}, line, path.stem, mapping, None)
        rows.append((n, rec))
    good = [(n, r) for n, r in rows if not isinstance(r, RowError)]
    tags = dict(zip([n for n, _ in good],
                    tagger.tag([r.text for _, r in good], [r.rating for _, r in good]),
                    strict=True))  # fmt: skip
    for n, rec in rows:
        obj: dict[str, Any] = {"row": n, "aspects": [t.model_dump() for t in tags.get(n, [])]}
        if n not in tags:
            obj["error"] = f"line {rec.line}: {rec.field}: {rec.message}"
        if args.json:
            print(json.dumps(obj, ensure_ascii=False))
        else:
            shown = ", ".join(f"{t['aspect']}:{t['sentiment']}" for t in obj["aspects"]) or "-"
            print(f"{n}\t{shown}" + (f"\t({obj['error']})" if "error" in obj else ""))
    return 0


def cmd_pains(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.knowledge.base import KnowledgeBase
    from assistant.render.pain_points_md import render_pain_points
    from assistant.tools.pain_points import PainPointsInput, summarize_pain_points

    inp = PainPointsInput(
        journey=args.journey, stage=args.stage, touchpoint=args.touchpoint, aspect=args.aspect,
        segment=args.segment, start=args.start, end=args.end, min_rating=args.min_rating,
        max_rating=args.max_rating, top=args.top, lang=args.lang,
    )  # fmt: skip
    out = summarize_pain_points(inp, KnowledgeBase.open(settings))
    if args.json:
        _print_json(out.model_dump(mode="json"))
    else:
        print(render_pain_points(out, args.lang))
    return 0


def _run_tool(args: argparse.Namespace, settings: Settings, func, inp, render) -> int:  # noqa: ANN001
    from assistant.knowledge.base import KnowledgeBase

    out = func(inp, KnowledgeBase.open(settings))
    if args.json:
        _print_json(out.model_dump(mode="json"))
    else:
        print(render(out, inp.lang))
    return 0


def cmd_five(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.render.tools_md import render_five
    from assistant.tools.five_questions import FiveQuestionsInput, answer_five_questions

    situation = " ".join(args.situation) if args.situation else None
    inp = FiveQuestionsInput(journey=args.journey, step=args.step, situation=situation,
                             lang=args.lang)  # fmt: skip
    return _run_tool(args, settings, answer_five_questions, inp, render_five)


def cmd_persona(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.render.tools_md import render_persona
    from assistant.tools.persona import PersonaInput, draft_persona

    inp = PersonaInput(journey=args.journey, segment=args.segment, aspect=args.aspect,
                       lang=args.lang)  # fmt: skip
    return _run_tool(args, settings, draft_persona, inp, render_persona)


def cmd_roadmap(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.render.tools_md import render_roadmap
    from assistant.tools.roadmap import RoadmapInput, propose_roadmap

    inp = RoadmapInput(journey=args.journey, persona=args.persona, lang=args.lang)
    return _run_tool(args, settings, propose_roadmap, inp, render_roadmap)


def cmd_journey(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.render.tools_md import render_journey_summary
    from assistant.tools.journey_summary import JourneySummaryInput, summarize_journey

    inp = JourneySummaryInput(journey=args.journey, chart=args.chart, lang=args.lang)
    return _run_tool(args, settings, summarize_journey, inp, render_journey_summary)


def cmd_slack(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.bots.slack.run import run

    run(settings)
    return 0


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.answer_ratings import RatingsStore

    n = RatingsStore(settings.ratings_db).export(Path(args.out))
    if args.json:
        _print_json({"exported": n, "file": args.out})
    else:
        print(f"{n} rated answers written to {args.out}")
    return 0


def cmd_atlas(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.knowledge.atlas import load_atlas, validate_atlas
    from assistant.render.journey_text import render_journey

    if args.atlas_command == "validate":
        root = Path(args.path) if args.path else settings.atlas_dir
        atlas, problems = validate_atlas(root)
        if args.json:
            _print_json({"ok": not problems, "problems": [p.model_dump() for p in problems]})
        else:
            for p in problems:
                print(p)
            steps = len(atlas.step_refs())
            print(
                f"{root}: {len(problems)} problem(s); {len(atlas.personas)} personas, "
                f"{len(atlas.journeys)} journeys, {steps} steps, {len(atlas.links)} links, "
                f"{len(atlas.taxonomy)} aspects"
            )
        return 1 if problems else 0
    atlas = load_atlas(settings.atlas_dir)
    journey = atlas.find_journey(args.journey)
    if args.json:
        _print_json(journey.model_dump(by_alias=True))
    else:
        print(render_journey(atlas, journey, args.lang))
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


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.knowledge.base import KnowledgeBase
    from assistant.knowledge.doctor import run_doctor

    report = run_doctor(KnowledgeBase.open(settings), repair=not args.check, progress=not args.json)
    if args.json:
        _print_json(report.model_dump(mode="json") | {"ok": report.ok})
    else:
        print(report.text())
    return 0 if report.ok else 1


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evals.runner import run_evals

    report = run_evals(settings, only=args.only)
    if args.json:
        _print_json(report.model_dump())
    else:
        print(report.table())
        print(f"\nreport written to {report.report_path}")
    return 0 if report.passed else 1


def _lang_and_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="language of the output")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cx-assistant",
        description="CX Assistant: cited answers from the CX methodology, journey atlas and "
        "customer feedback.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index the corpus: methodology, atlas, shipped feedback")
    p.add_argument("--only", action="append", choices=["methodology", "atlas", "feedback"],
                   help="index only this part (repeatable)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ingest", help="ingest a feedback file (CSV or JSONL)")
    p.add_argument("path", help="the file")
    for name in ("text", "rating", "date", "channel", "segment", "journey", "stage", "id", "label"):
        p.add_argument(f"--{name}-column", help=f"column holding the {name} (default: detected)")
    p.add_argument("--reference-date", help="YYYY-MM-DD that relative dates are counted from "
                   "(default: the latest absolute date in the file)")  # fmt: skip
    p.add_argument("--no-embed", action="store_true", help="store the rows without embedding")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("tagger", help="train the feedback tagger on labelled feedback")
    tsub = p.add_subparsers(dest="tagger_command", required=True)
    t = tsub.add_parser("train", help="fit on every labelled record; save beside the index")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_tagger)

    p = sub.add_parser("tag", help="tag each row of a feedback file with aspects and sentiment")
    p.add_argument("file", help="CSV or JSONL file")
    p.add_argument("--text-column", help="column with the text (default: detected)")
    p.add_argument("--json", action="store_true", help="one JSON object per row")
    p.set_defaults(func=cmd_tag)

    p = sub.add_parser("pains", help="summarize pain points (and delights) of the feedback")
    p.add_argument("--journey", help="journey id or name")
    p.add_argument("--stage", help="stage id or name (with --journey)")
    p.add_argument("--touchpoint", help="touchpoint id, e.g. hotline")
    p.add_argument("--aspect", help="feedback aspect, e.g. BATTERY")
    p.add_argument("--segment", help="customer segment")
    p.add_argument("--from", dest="start", help="period start YYYY-MM-DD")
    p.add_argument("--to", dest="end", help="period end YYYY-MM-DD")
    p.add_argument("--min-rating", type=int, help="lowest star rating kept")
    p.add_argument("--max-rating", type=int, help="highest star rating kept")
    p.add_argument("--top", type=int, default=5, help="how many pains and delights")
    _lang_and_json(p)
    p.set_defaults(func=cmd_pains)

    p = sub.add_parser("five", help="the five journey-thinking questions for a step")
    p.add_argument("situation", nargs="*", help="free-text situation, e.g. 'changing the "
                   "return policy' (or use --journey and --step)")  # fmt: skip
    p.add_argument("--journey", help="journey id or name")
    p.add_argument("--step", help="step id or name")
    _lang_and_json(p)
    p.set_defaults(func=cmd_five)

    p = sub.add_parser("persona", help="draft a persona from the feedback and the atlas")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--journey", help="journey id or name")
    group.add_argument("--segment", help="customer segment")
    group.add_argument("--aspect", help="feedback aspect, e.g. BATTERY")
    _lang_and_json(p)
    p.set_defaults(func=cmd_persona)

    p = sub.add_parser("roadmap", help="propose a CX roadmap for a journey")
    p.add_argument("--journey", required=True, help="journey id or name")
    p.add_argument("--persona", help="persona id")
    _lang_and_json(p)
    p.set_defaults(func=cmd_roadmap)

    p = sub.add_parser("journey", help="summarize a journey for managers")
    p.add_argument("journey", help="journey id or name")
    p.add_argument("--chart", help="write the emotion curve and pain bars to this PNG file")
    _lang_and_json(p)
    p.set_defaults(func=cmd_journey)

    p = sub.add_parser("slack", help="run the Slack bot (Socket Mode or HTTP)")
    p.set_defaults(func=cmd_slack)

    p = sub.add_parser("feedback", help="answer ratings from Slack")
    fsub = p.add_subparsers(dest="feedback_command", required=True)
    e = fsub.add_parser("export", help="write rated answers as eval candidates (JSONL)")
    e.add_argument("--out", default="evals/candidates.jsonl", help="output file")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_feedback)

    p = sub.add_parser("atlas", help="validate or show the journey atlas")
    atlas_sub = p.add_subparsers(dest="atlas_command", required=True)
    v = atlas_sub.add_parser("validate", help="report every problem with file, line and field")
    v.add_argument("path", nargs="?", help="atlas folder (default: CX_CORPUS_DIR/atlas)")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_atlas)
    show = atlas_sub.add_parser("show", help="print a journey readably")
    show.add_argument("journey", help="journey id or name (vi or en)")
    _lang_and_json(show)
    show.set_defaults(func=cmd_atlas)

    p = sub.add_parser("ask", help="ask a question in Vietnamese or English")
    p.add_argument("question", nargs="+", help="the question")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("doctor", help="check the index thoroughly and repair what is lost")
    p.add_argument("--check", action="store_true", help="only report; exit 1 on a problem")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_doctor)

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
    except BrokenPipeError:  # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
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
