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
