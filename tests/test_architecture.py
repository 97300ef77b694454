"""House rules that code review would otherwise have to remember."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "assistant"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_nothing_outside_surfaces_slack_imports_slack():
    offenders = [
        str(p.relative_to(PKG))
        for p in PKG.rglob("*.py")
        if p.relative_to(PKG).parts[:2] != ("surfaces", "slack")
        and any(n.split(".")[0] in {"slack_bolt", "slack_sdk", "slack"} for n in _imports(p))
    ]
    assert offenders == []


def test_every_setting_is_documented_in_the_readme():
    from assistant.core.settings import Settings

    readme = (PKG.parent / "README.md").read_text(encoding="utf-8")
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in readme]
    assert missing == []


# What each package may import (itself included). The domains: methodology depends on
# nothing domain-side, atlas neither, feedback may use the atlas; `kb` bundles the three for
# the tools; the agent and chat sit above them, the surfaces (CLI, Slack) on top.
_DOMAINS = {"core", "storage", "index", "methodology", "atlas", "feedback", "kb"}
MAY_IMPORT: dict[str, set[str]] = {
    "core": {"core"},
    "storage": {"core", "storage"},
    "index": {"core", "index"},
    "methodology": {"core", "index", "methodology"},
    "atlas": {"core", "index", "atlas"},
    "feedback": {"core", "storage", "index", "atlas", "feedback"},  # storage: its SQL tables
    "kb": _DOMAINS,
    "agent": _DOMAINS | {"agent"},
    "chat": _DOMAINS | {"agent", "chat"},
    "evals": _DOMAINS | {"agent", "evals"},
    "surfaces": _DOMAINS | {"agent", "chat", "evals", "surfaces"},
}


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "assistant" and len(parts) > 1 else None


def _module(path: Path) -> str:
    return ".".join(("assistant", *path.relative_to(PKG).with_suffix("").parts)).removesuffix(
        ".__init__"
    )


def test_every_module_lives_in_a_known_package():
    loose = [_module(p) for p in PKG.rglob("*.py") if _package(_module(p)) not in MAY_IMPORT]
    assert loose == ["assistant"]  # only the package's own __init__


def test_packages_import_only_what_their_layer_may():
    """Every import counts, type-only and function-local ones included."""
    wrong = []
    for path in PKG.rglob("*.py"):
        mine = _package(_module(path))
        for name in _imports(path):
            theirs = _package(name)
            if mine and theirs and theirs not in MAY_IMPORT[mine]:
                wrong.append(f"{_module(path)} -> {name}")
    assert wrong == []


def test_no_import_cycles_between_modules():
    """Type-only imports count: a circle held together by hints is still a circle."""
    # A package's __init__ importing its own submodules ("from pkg import a") is no circle.
    graph = {(m := _module(p)): {n for n in _imports(p) if n.startswith("assistant.") and n != m}
             for p in PKG.rglob("*.py")}  # fmt: skip
    cycles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    cycles.append(" -> ".join([*path, nxt]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert cycles == []


def test_no_package_folder_holds_more_than_15_files():
    crowded = {
        str(d.relative_to(PKG)): n
        for d in {p.parent for p in PKG.rglob("*.py")}
        if (n := sum(1 for f in d.iterdir() if f.is_file() and f.suffix == ".py")) > 15
    }
    assert crowded == {}


def test_only_the_sqlite_backends_import_sqlite3():
    # The feedback store is reached through its protocol (feedback/store/protocol.py), so a
    # PostgreSQL backend can replace it; the ratings store is a separate file of its own.
    allowed = {Path("feedback/store/sqlite.py"), Path("chat/ratings.py")}
    offenders = [
        str(p.relative_to(PKG))
        for p in PKG.rglob("*.py")
        if p.relative_to(PKG) not in allowed and "sqlite3" in _imports(p)
    ]
    assert offenders == []


def test_the_cold_ask_path_imports_no_sqlalchemy():
    # SQLAlchemy costs ~0.2 s of a cold `cx-assistant ask` (BENCHMARKS.md, round 15): only
    # the stores import it, when they are opened, not the types and tools that route a request.
    import subprocess
    import sys

    code = ("import sys, assistant.surfaces.cli, assistant.chat.conversation, "
            "assistant.agent.agent, assistant.agent.registry, assistant.kb.base; "
            "print('sqlalchemy' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PKG.parent, check=True)  # fmt: skip
    assert out.stdout.strip() == "False"
