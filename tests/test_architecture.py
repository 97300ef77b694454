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


def test_nothing_outside_bots_imports_slack():
    offenders = [
        str(p.relative_to(PKG))
        for p in PKG.rglob("*.py")
        if "bots" not in p.relative_to(PKG).parts
        and any(n.split(".")[0] in {"slack_bolt", "slack_sdk", "slack"} for n in _imports(p))
    ]
    assert offenders == []


def test_every_setting_is_documented_in_the_readme():
    from assistant.settings import Settings

    readme = (PKG.parent / "README.md").read_text(encoding="utf-8")
    missing = [name.upper() for name in Settings.model_fields if name.upper() not in readme]
    assert missing == []


# knowledge ← tools ← render ← registry ← agent ← conversation/evals ← bots/cli
LAYERS = {
    "settings": 0, "errors": 0, "text": 0, "work_queue": 0, "knowledge": 0, "tools": 1,
    "render": 2,
    "registry": 3, "agent": 4, "answer_ratings": 4, "conversation": 5, "evals": 5,
    "bots": 6, "cli": 6,
}  # fmt: skip


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if parts[0] == "assistant" and len(parts) > 1 else None


def _runtime_imports(path: Path) -> set[str]:
    """Imports that run (those under `if TYPE_CHECKING:` are for type hints only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            return
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def _module(path: Path) -> str:
    return ".".join(("assistant", *path.relative_to(PKG).with_suffix("").parts))


def test_layers_only_import_downwards():
    upward = []
    for path in PKG.rglob("*.py"):
        mine = _layer(_module(path))
        for name in _runtime_imports(path):
            theirs = _layer(name)
            if mine is not None and theirs is not None and theirs > mine:
                upward.append(f"{_module(path)} -> {name}")
    assert upward == []


def test_no_import_cycles_between_modules():
    graph = {_module(p): {n for n in _runtime_imports(p) if n.startswith("assistant.")}
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
