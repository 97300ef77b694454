"""The `cx-assistant` command: a thin shell over the core; every command has --json."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.agent.registry import Registry
from assistant.agent.toolset import Toolset
from assistant.core.errors import AssistantError
from assistant.core.logs import install_safe_logs
from assistant.core.settings import Settings
from assistant.core.tools import ToolSpec
from assistant.feedback.dates import parse_date
from assistant.feedback.readers import format_names

log = logging.getLogger("assistant")


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.kb.base import KnowledgeBase

    kb = KnowledgeBase.open(settings)
    parts = args.only or ["methodology", "atlas", "feedback"]
    progress = not args.quiet
    out: dict[str, Any] = {}
    with _one_indexer(settings), kb.writing():
        if "methodology" in parts:
            out["methodology"] = kb.index_methodology(progress=progress).model_dump()
        if "atlas" in parts:
            out["atlas"] = kb.index_atlas(progress=progress).model_dump()
        if "feedback" in parts:
            left = kb.unfinished_feedback()
            out["feedback"] = [
                kb.ingest(path, progress=progress).model_dump(exclude={"errors"})
                for path in kb.shipped_feedback_files()
            ]
            out["tagger"] = kb.ensure_tagger(progress=progress).name
            out["tagging"] = kb.tag_feedback(progress=progress)
            out["linking"] = kb.link_feedback(progress=progress)
            out["completed"] = len(left)
    if args.json:
        _print_json(out)
        return 0
    for kind in ("methodology", "atlas"):
        if kind in out:
            print(_index_line(kind, out[kind]))
    for r in out.get("feedback", []):
        print(_ingest_line(r))
    if "tagging" in out:
        tagged = ", ".join(f"{n} by {how}" for how, n in out["tagging"].items())
        print(f"tagger: {out['tagger']}; tagged: {tagged}")
    if out.get("completed"):
        print(_completed_line(out["completed"]))
    return 0


@contextmanager
def _one_indexer(settings: Settings) -> Iterator[None]:
    """One `index` at a time across every machine sharing CX_DATABASE_URL (a PostgreSQL
    advisory lock; the data folder's own lock only covers one machine). Readers (the bots,
    `ask`) never take it. Without a shared database the data folder's lock is enough."""
    if not settings.cx_database_url:
        yield
        return
    from assistant.core.errors import DataFolderBusyError
    from assistant.storage import open_engine, upgrade
    from assistant.storage.shared_state import LockHeld, exclusive

    engine = open_engine(settings)
    upgrade(engine)
    try:
        with exclusive(engine, "cx-assistant index", wait_s=settings.cx_write_lock_timeout_s):
            yield
    except LockHeld as exc:
        log.warning("index lock: %s", exc)
        raise DataFolderBusyError(
            "Another `cx-assistant index` is running against this database and did not finish "
            "within CX_WRITE_LOCK_TIMEOUT_S; run it again once that one has finished."
        ) from exc
    finally:
        engine.dispose()


def _completed_line(n: int) -> str:
    return (f"completed the work an interrupted run left: {n} stored records tagged and "
            f"linked")  # fmt: skip


def _index_line(kind: str, r: dict[str, Any]) -> str:
    line = (
        f"{kind}: {r['documents']} documents ({r['added']} added, {r['updated']} "
        f"updated, {r['removed']} removed, {r['unchanged']} unchanged); "
        f"{r['chunks_embedded']} chunks embedded, {r['chunks_deleted']} deleted, "
        f"{r['chunks_total']} in the index; {r['seconds']:.2f} s"
    )
    if r.get("repaired"):
        line += f"\n  repaired: {r['repaired']} documents had lost their vectors, embedded again"
    return line


def _ingest_line(r: dict[str, Any]) -> str:
    line = (
        f"feedback {r['file']}: {r['accepted']} accepted, {r['rejected']} rejected, "
        f"{r['duplicates']} duplicates; {r['indexed']} embedded; {r['redactions']} personal "
        f"data items redacted; {r['seconds']:.1f} s"
    )
    if r.get("repaired"):
        line += f"\n  repaired: {r['repaired']} records had lost their vectors, embedded again"
    if r.get("undated"):
        line += f"\n  {r['undated']} accepted rows have no readable date"
    if r.get("rejects_file"):
        line += f"\n  rejected rows kept in {r['rejects_file']}"
    if r.get("completed"):
        line += f"\n  {_completed_line(r['completed'])}"
    return line


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from assistant.kb.base import KnowledgeBase

    columns = {
        name: getattr(args, f"{name}_column")
        for name in ("text", "rating", "date", "channel", "segment", "journey", "stage", "id",
                     "label")
    }  # fmt: skip
    reference = date.fromisoformat(args.reference_date) if args.reference_date else None
    kb = KnowledgeBase.open(settings)
    with kb.writing():
        left = kb.unfinished_feedback()  # records a run that stopped left half-done
        report = kb.ingest(
            Path(args.path), columns=columns, reference=reference, progress=not args.json,
            embed=not args.no_embed,
        )  # fmt: skip
        kb.tag_feedback(progress=not args.json)
        kb.link_feedback(progress=not args.json)
    report.completed = len(left)
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
    from assistant.kb.base import KnowledgeBase

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
    from assistant.feedback.readers import read_file
    from assistant.feedback.records import ColumnMapping, RowError, to_record
    from assistant.kb.base import KnowledgeBase

    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return 2
    header, read = read_file(path)
    mapping = ColumnMapping.detect(header, {"text": args.text_column})
    kb = KnowledgeBase.open(settings)
    tagger = kb.ensure_tagger(progress=not args.json)
    why = "" if tagger.name == "learned" else " (no labelled feedback to train the learned one)"
    print(f"tagger: {tagger.name}{why}", file=sys.stderr)
    rows = []
    for n, (line, row, _raw) in enumerate(read):
        rec = to_record(row or {"__error__": "not a JSON object"}, line, path.stem, mapping, None,
                        max_cell_chars=settings.cx_max_cell_chars)  # fmt: skip
        rows.append((n, rec))
    good = [(n, r) for n, r in rows if not isinstance(r, RowError)]
    tags = dict(zip([n for n, _ in good],
                    tagger.tag([r.text for _, r in good], [r.rating for _, r in good]),
                    strict=True))  # fmt: skip
    for n, rec in rows:
        obj: dict[str, Any] = {"row": n, "tagger": tagger.name,
                               "aspects": [t.model_dump() for t in tags.get(n, [])]}  # fmt: skip
        if n not in tags:
            obj["error"] = f"line {rec.line}: {rec.field}: {rec.message}"
        if args.json:
            print(json.dumps(obj, ensure_ascii=False))
        else:
            shown = ", ".join(f"{t['aspect']}:{t['sentiment']}" for t in obj["aspects"]) or "-"
            print(f"{n}\t{shown}" + (f"\t({obj['error']})" if "error" in obj else ""))
    return 0


def _tool_value(spec: ToolSpec, name: str, raw: Any) -> Any:
    """A CLI value as the input model expects it: dates read like the data's own formats."""
    field = spec.input_model.model_fields[name]
    if isinstance(raw, list):
        raw = " ".join(raw) or None
    if raw is not None and "date" in str(field.annotation):
        day = parse_date(str(raw))
        if day is None:
            raise AssistantError(f"--{name}: {raw!r} is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
        return day
    return raw


def cmd_tool(args: argparse.Namespace, settings: Settings) -> int:
    """Any registered tool: options from its input model, validated by it."""
    from pydantic import ValidationError

    from assistant.agent.agent import Agent, Request
    from assistant.kb.base import KnowledgeBase

    spec: ToolSpec = args.spec
    fields = spec.input_model.model_fields
    values = {n: _tool_value(spec, n, getattr(args, n, None)) for n in fields}
    values = {k: v for k, v in values.items() if v is not None}
    chart = Path(args.chart) if getattr(args, "chart", None) else None
    # The agent's context: a situation is placed on a step as `ask` places it.
    request = Request(chart_dir=chart.parent if chart else None, charts="always", requester="cli")
    ctx = Agent(KnowledgeBase.open(settings)).context(request, args.lang)
    try:
        out = spec.run(values, ctx)
    except ValidationError as exc:
        problems = "; ".join(
            f"--{'.'.join(map(str, e['loc'])).replace('_', '-')}: {e['msg']}" for e in exc.errors()
        )
        raise AssistantError(f"{spec.commands[0]}: {problems}") from None
    if chart and getattr(out, "chart", None):
        Path(out.chart).replace(chart)  # type: ignore[attr-defined]
        out.chart = str(chart)  # type: ignore[attr-defined]
    if args.json:
        _print_json(out.model_dump(mode="json"))
    elif spec.render is not None:
        print(spec.render(out, args.lang))
    else:
        _print_json(out.model_dump(mode="json"))
    if chart and getattr(out, "chart", None) and not args.json:
        print(f"\nchart written to {chart}")
    return 0


def add_tool_commands(sub: Any, registry: Registry) -> None:
    """One subcommand per registered tool (but the fallback, the methodology search, which
    `ask` covers), its options built from the tool's input model: the same names,
    descriptions and validation."""
    for spec in registry:
        if spec.fallback:
            continue
        line = spec.help.get("en", spec.name)
        p = sub.add_parser(spec.commands[0], help=line.split("`: ", 1)[-1],
                           description=spec.description)  # fmt: skip
        for name, field in spec.input_model.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            kind = int if field.annotation in (int, int | None) else str
            if name == spec.positional:
                p.add_argument(name, nargs="+" if field.is_required() else "*",
                               help=field.description)  # fmt: skip
                continue
            flags = list(extra.get("cli", [])) or [f"--{name.replace('_', '-')}"]
            if field.annotation is bool:  # a switch: --exact-dates
                p.add_argument(*flags, dest=name, action="store_true", help=field.description)
                continue
            default = None if field.is_required() else field.default
            p.add_argument(*flags, dest=name, type=kind, required=field.is_required(),
                           default=default, help=field.description)  # fmt: skip
        if spec.charts:
            p.add_argument("--chart", help="write the chart to this PNG file")
        _lang_and_json(p)
        p.set_defaults(func=cmd_tool, spec=spec, one_shot=True)


def cmd_slack(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.surfaces.slack.run import run

    run(settings)  # exits the process once stopped (SIGTERM, Ctrl-C)


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chat.ratings import open_ratings_store

    out = Path(args.out) if args.out else settings.cx_data_dir / "candidates.jsonl"
    n = open_ratings_store(settings).export(out)
    if args.json:
        _print_json({"exported": n, "file": str(out)})
    else:
        print(f"{n} rated answers written to {out}")
    return 0


def _stored_texts(settings: Settings) -> list[str]:
    """The stored feedback texts, if any (atlas drift is checked against them)."""
    if not settings.cx_database_url and not settings.feedback_db.is_file():
        return []
    from assistant.feedback.store import open_feedback_store

    return [r.text for r in open_feedback_store(settings).records()]


def cmd_atlas(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.atlas.drift import drift_warnings
    from assistant.atlas.model import Problem, load_atlas, validate_atlas
    from assistant.atlas.playbook import validate_playbook
    from assistant.atlas.render import render_journey
    from assistant.feedback.linking import validate_link_cues
    from assistant.feedback.segments import validate_segments
    from assistant.methodology.loaders import load_methodology

    if args.atlas_command == "validate":
        root = Path(args.path) if args.path else settings.atlas_dir
        limit = settings.cx_max_atlas_file_bytes
        atlas, problems = validate_atlas(root, max_file_bytes=limit)
        # The playbook beside the atlas is checked with it: aspects against the taxonomy,
        # pinned citations against the articles.
        articles = {d.id: d.text for d in load_methodology(settings.methodology_dir)}
        playbook_dir = root.parent / "playbook"
        if playbook_dir.is_dir():
            atlas_steps = [s for j in atlas.journeys for _, s in j.steps()]
            metrics = {m for s in atlas_steps
                       for m in s.metrics.operational + s.metrics.perception + s.metrics.outcome}
            touchpoints = {t for s in atlas_steps for t in s.touchpoints}
            _, more = validate_playbook(playbook_dir, {a.id for a in atlas.taxonomy}, articles,
                                        metrics, touchpoints, max_file_bytes=limit)  # fmt: skip
            problems += more
            # The request filters' segment cues and the journey cues: the rules they are
            # loaded with, so a file that breaks answers is reported here too.
            problems += [Problem.from_text(p) for p in
                         validate_segments(playbook_dir / "segments.yaml")[1]
                         + validate_link_cues(playbook_dir / "journey_cues.yaml", atlas)[1]]
        texts = _stored_texts(settings)
        warnings = drift_warnings(atlas, texts)
        if args.json:
            _print_json({"ok": not problems, "problems": [p.model_dump() for p in problems],
                         "warnings": [w.model_dump() for w in warnings]})  # fmt: skip
        else:
            for p in problems:
                print(p)
            for w in warnings:
                print(f"warning: {w}")
            steps = len(atlas.step_refs())
            checked = "" if texts else " (no stored feedback: cue words not checked)"
            print(
                f"{root}: {len(problems)} problem(s), {len(warnings)} warning(s){checked}; "
                f"{len(atlas.personas)} personas, "
                f"{len(atlas.journeys)} journeys, {steps} steps, {len(atlas.links)} links, "
                f"{len(atlas.taxonomy)} aspects"
            )
        return 1 if problems else 0
    atlas = load_atlas(settings.atlas_dir, max_file_bytes=settings.cx_max_atlas_file_bytes)
    journey = atlas.find_journey(args.journey)
    if args.json:
        _print_json(journey.model_dump(by_alias=True))
    else:
        print(render_journey(atlas, journey, args.lang))
    return 0


def _conversations(settings: Settings, registry: Registry, chart_dir: Path | None = None):  # noqa: ANN202
    from assistant.agent.agent import Agent
    from assistant.chat.conversation import Conversations
    from assistant.kb.base import KnowledgeBase

    conv = Conversations.open(Agent(KnowledgeBase.open(settings), registry), settings,
                              ratings=False)  # fmt: skip
    if chart_dir is not None:
        chart_dir.mkdir(parents=True, exist_ok=True)
        conv.chart_dir = chart_dir
    return conv


OPERATOR = {"user": "operator", "surface": "cli", "operator": True}


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chat.conversation import Requester

    conv = _conversations(settings, args.registry, Path(args.charts) if args.charts else None)
    answer = conv.ask(" ".join(args.question), "cli", Requester(**OPERATOR)).answer
    if args.json:  # a script always gets its JSON, an error's included
        _print_json(answer.to_json_dict())
        return 2 if answer.status == "error" else 0
    if answer.status == "error":  # e.g. no index yet: the message says what to run
        print(f"error: {answer.answer}", file=sys.stderr)
        return 2
    print(answer.answer)
    for a in answer.attachments:
        print(f"\n{a.kind} written to {a.path}")
    return 0


CHAT_HELP = {
    "en": "/help this text · /reset forget the conversation · /lang vi|en answer language · "
    "/quit leave",
    "vi": "/help trợ giúp · /reset quên cuộc trò chuyện · /lang vi|en ngôn ngữ trả lời · "
    "/quit thoát",
}


def chat_json(conv: Any, who: Any, lang: Any) -> int:
    """`chat --json`: one request per input line, one JSON answer per output line (the shape
    of `ask --json`, with the turn's act and frame), so a script can hold a conversation."""
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        try:
            answer = conv.ask(text, "chat", who, lang=lang).answer.to_json_dict()
        except AssistantError as exc:
            answer = {"question": text, "status": "error", "answer": str(exc)}
        print(json.dumps(answer, ensure_ascii=False), flush=True)
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """An interactive session on the conversation layer: memory, follow-ups, the policy."""
    from assistant.chat.conversation import Requester

    conv = _conversations(settings, args.registry, Path(args.charts))
    who = Requester(**OPERATOR)
    lang: Any = args.lang
    if args.json:
        return chat_json(conv, who, lang)
    tty = sys.stdin.isatty()
    print("CX Assistant chat — " + CHAT_HELP[lang or "en"], flush=True)
    while True:
        try:
            line = input("> " if tty else "")
        except EOFError:
            break
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            break
        if text == "/help":
            print(CHAT_HELP[lang or "en"])
            print(Toolset(conv.agent.registry).help(lang or "en"))
            continue
        if text == "/reset":
            conv.reset("chat")
            print("(reset)" if lang != "vi" else "(đã bắt đầu lại)")
            continue
        if text.startswith("/lang"):
            choice = text.split()[1:2]
            lang = choice[0] if choice and choice[0] in ("vi", "en") else None
            print(f"(lang: {lang or 'auto'})")
            continue
        try:
            answer = conv.ask(text, "chat", who, lang=lang).answer
        except AssistantError as exc:
            print(f"error: {exc}")
            continue
        print(answer.answer)
        for a in answer.attachments:
            print(f"({a.kind} written to {a.path})")
        print(flush=True)
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.kb.base import KnowledgeBase
    from assistant.kb.doctor import run_doctor

    kb = KnowledgeBase.open(settings)
    if args.check:
        report = run_doctor(kb, repair=False, progress=not args.json)
    else:
        with kb.writing():
            report = run_doctor(kb, repair=True, progress=not args.json)
    if args.json:
        _print_json(report.model_dump(mode="json") | {"ok": report.ok})
    else:
        print(report.text())
    return 0 if report.ok else 1


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """`db upgrade`: the relational store to the latest schema; `db copy --to URL`: the
    SQLite files of the data folder into a shared database, verified."""
    from sqlalchemy.exc import SQLAlchemyError

    from assistant.core.errors import DatabaseError
    from assistant.storage import current_version, open_engine, upgrade
    from assistant.storage.sql import safe_url

    if args.db_command == "upgrade":
        engine = open_engine(settings)
        where = safe_url(engine.url.render_as_string(hide_password=False))
        try:
            applied = upgrade(engine)
            version = current_version(engine)
        except SQLAlchemyError as exc:
            log.warning("db upgrade: %r", exc)
            raise DatabaseError(
                f"The database {where} cannot be reached or written. Check that the server "
                f"runs, that CX_DATABASE_URL is right and that its user may create tables."
            ) from exc
        if args.json:
            _print_json({"database": where, "applied": applied, "version": version})
        else:
            done = ", ".join(map(str, applied)) if applied else "none (already up to date)"
            print(f"{where}: at schema version {version}; migrations applied now: {done}")
        return 0
    from assistant.feedback.store import SQLiteFeedbackStore
    from assistant.storage.copy import copy_data_folder

    if settings.feedback_db.is_file():  # a file of an older version is completed first
        SQLiteFeedbackStore(settings.feedback_db).close()

    report = copy_data_folder(settings.feedback_db, settings.ratings_db, args.to,
                              progress=not args.json)  # fmt: skip
    ok = all(t.same for t in report)
    if args.json:
        _print_json({"ok": ok, "tables": [vars(t) for t in report]})
    else:
        for t in report:
            print(f"{t.table:<16} {t.source_rows:>10,} rows  {t.copied:>10,} copied now  "
                  f"{'same content' if t.same else 'CONTENT DIFFERS'}")
        print("verified: counts and content hashes match on both sides" if ok else
              "the tables marked CONTENT DIFFERS hold other rows in the target; nothing there "
              "was overwritten")  # fmt: skip
    return 0 if ok else 1


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


def build_parser(registry: Registry | None = None) -> argparse.ArgumentParser:
    registry = registry or default_registry()
    parser = argparse.ArgumentParser(
        prog="cx-assistant",
        description="CX Assistant: cited answers from the CX methodology, journey atlas and "
        "customer feedback.",
    )
    parser.set_defaults(registry=registry)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("index", help="index the corpus: methodology, atlas, shipped feedback")
    p.add_argument("--only", action="append", choices=["methodology", "atlas", "feedback"],
                   help="index only this part (repeatable)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("ingest", help=f"ingest a feedback file ({format_names()})")
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
    p.add_argument("file", help=f"{format_names()} file")
    p.add_argument("--text-column", help="column with the text (default: detected)")
    p.add_argument("--json", action="store_true", help="one JSON object per row")
    p.set_defaults(func=cmd_tag)

    add_tool_commands(sub, registry)

    p = sub.add_parser("slack", help="run the Slack bot (Socket Mode or HTTP)")
    p.set_defaults(func=cmd_slack)

    p = sub.add_parser("feedback", help="answer ratings from Slack")
    fsub = p.add_subparsers(dest="feedback_command", required=True)
    e = fsub.add_parser("export", help="write rated answers as eval candidates (JSONL)")
    e.add_argument("--out", help="output file (default: CX_DATA_DIR/candidates.jsonl, "
                   "outside the repository)")
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
    p.add_argument("--charts", help="folder for charts (default: a temporary folder)")
    p.set_defaults(func=cmd_ask, one_shot=True)

    p = sub.add_parser("chat", help="an interactive conversation (memory, follow-ups, /help)")
    p.add_argument("--lang", choices=["vi", "en"], help="answer language (default: as asked)")
    p.add_argument("--charts", default="cx-charts", help="folder for charts (default: cx-charts)")
    p.add_argument("--json", action="store_true",
                   help="one request per input line, one JSON answer per output line")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("doctor", help="check the index thoroughly and repair what is lost")
    p.add_argument("--check", action="store_true", help="only report; exit 1 on a problem")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("db", help="the relational store: upgrade its schema, copy to PostgreSQL")
    dsub = p.add_subparsers(dest="db_command", required=True)
    d = dsub.add_parser("upgrade", help="apply the numbered migrations (CX_DATABASE_URL)")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_db)
    d = dsub.add_parser("copy", help="copy the SQLite files (records, tags, uploads, votes) "
                        "into a PostgreSQL database and verify counts and hashes")  # fmt: skip
    d.add_argument("--to", required=True, metavar="URL", help="postgresql://user:pw@host/db")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_db)

    p = sub.add_parser("eval", help="run the eval sets; exit 1 under any threshold")
    p.add_argument("--only", action="append", help="run only this eval set (repeatable)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_eval)
    return parser


def default_registry() -> Registry:
    registry = Registry()
    registry.load_plugins()
    return registry


def collect_from_now_on() -> None:
    """Garbage collection back on, when the console script held it back for start-up
    (entry_point.py): what start-up made is set aside for good (never scanned again) and
    later garbage is collected as usual."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def main(argv: list[str] | None = None, registry: Registry | None = None) -> int:
    args = build_parser(registry).parse_args(argv)
    if not getattr(args, "one_shot", False):  # a server, a conversation, indexing: long runs
        collect_from_now_on()
    settings = Settings()
    logging.basicConfig(
        level=settings.cx_log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    install_safe_logs()
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
    except Exception as exc:
        from assistant.core.datadir import storage_error

        if err := storage_error(exc, settings.cx_data_dir):  # a full disk, a read-only folder
            log.info("%s failed: %r", args.command, exc)
            print(f"error: {err}", file=sys.stderr)
            return 2
        log.exception("unexpected error in %s", args.command)
        print(
            "error: something went wrong; the log above has the details",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
