"""Small YAML data files validated by a pydantic model, with problems as file:line: field.

The atlas has its own reader (several files, cross-references); this is for the single-file
domain data of `corpus/playbook/` (segment cues, journey cues). Both place a problem at its
line and name its field the same way (`node_line`, `field_path`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlData:
    """A YAML file read once: its data, its node tree (for line numbers), its problems."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: Any = None
        self._text = ""
        self._node: yaml.Node | None = None
        self.problems: list[str] = []
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(f"{path}: cannot be read ({exc})")
            return
        try:
            # libyaml when present: a cue file is read on an answer's path (a cold `ask`).
            self.data = yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
            self._text = text
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else str(path)
            self.problems.append(
                f"{where}: YAML syntax error: {getattr(exc, 'problem', None) or exc}"
            )

    @property
    def node(self) -> yaml.Node | None:
        """The node tree, composed only when a problem needs its line."""
        if self._node is None and self._text:
            self._node = yaml.compose(self._text, Loader=_LOADER)  # noqa: S506
        return self._node

    def line(self, loc: tuple[Any, ...]) -> int | None:
        """1-based line of the node at `loc` (keys and list indexes), or its nearest parent."""
        return node_line(self.node, loc)

    def report(self, loc: tuple[Any, ...], message: str) -> None:
        """Record a problem at `loc` as 'file:line: field: message'."""
        line = self.line(loc)
        where = f"{self.path}:{line}" if line else str(self.path)
        self.problems.append(f"{where}: {field_path(loc) or '(file)'}: {message}")

    def validate(self, model: type[M]) -> M | None:
        """The data as `model`, or None with every validation error recorded."""
        if self.problems:
            return None
        try:
            return model.model_validate(self.data if self.data is not None else {})
        except ValidationError as exc:
            for err in exc.errors():
                self.report(tuple(err["loc"]), err["msg"].removeprefix("Value error, "))
            return None


def node_line(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at a pydantic error location (or its nearest parent)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(part)), None)
            if match is None:
                key = next((k for k, _ in node.value if k.value == str(part)), None)
                return key.start_mark.line + 1 if key is not None else line
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def field_path(loc: tuple[Any, ...]) -> str:
    """('segments', 2, 'name') -> 'segments[2].name' (a long key cut at 40 characters)."""
    out = ""
    for part in loc:
        text = str(part)
        text = text[:40] + "…" if len(text) > 40 else text  # a key may be any long string
        out += f"[{part}]" if isinstance(part, int) else (f".{text}" if out else text)
    return out
