"""The tools a request may run, after pydantic-ai's toolsets: a `Toolset` over the
registry's specs, and a `FilteredToolset` that shows and runs only the tools the access
policy grants a request.

The offline agent and the LLM both run tools through a request's `FilteredToolset`, so the
policy is applied in one place: it lists the tools the LLM is offered and `help` shows, and
its `run` refuses any other (whoever asked for it, router or model).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel

from assistant.agent.registry import Registry
from assistant.core.errors import ToolRefused, UnknownTool
from assistant.core.text import Lang
from assistant.core.tools import ToolContext, ToolSpec


class Toolset:
    """Every registered tool."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def __iter__(self) -> Iterator[ToolSpec]:
        return iter(self.registry)

    def __contains__(self, name: object) -> bool:
        return name in self.registry

    def run(self, name: str, args: dict[str, Any], ctx: ToolContext) -> BaseModel:
        if name not in self.registry:
            raise UnknownTool(f"no tool named {name[:40]!r}")
        return self.registry.get(name).run(args, ctx)

    def help(self, lang: Lang) -> str:
        """The help text, listing the tools of this toolset."""
        head = ("**Trợ lý CX** — hỏi bằng tiếng Việt hoặc tiếng Anh, hoặc dùng lệnh:"
                if lang == "vi" else
                "**CX Assistant** — ask in Vietnamese or English, or use a command:")  # fmt: skip
        lines = [head]
        lines += [f"- {s.help.get(lang) or s.help.get('en') or s.name}" for s in self]
        return "\n".join(lines)


class FilteredToolset(Toolset):
    """The tools of `toolset` that `allowed` names (None: all of them); running any other
    registered tool raises `ToolRefused`, and so does naming a feedback source that
    `readable` refuses (another person's private upload)."""

    def __init__(
        self,
        toolset: Toolset,
        allowed: frozenset[str] | None,
        readable: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(toolset.registry)
        self.inner = toolset
        self.allowed = allowed
        self.readable = readable

    def __iter__(self) -> Iterator[ToolSpec]:
        return (s for s in self.inner if self.allowed is None or s.name in self.allowed)

    def __contains__(self, name: object) -> bool:
        return name in self.inner and (self.allowed is None or name in self.allowed)

    def refuses(self, name: str) -> bool:
        """Whether `name` is a tool, but not one this request may run."""
        return name in self.inner and name not in self

    def run(self, name: str, args: dict[str, Any], ctx: ToolContext) -> BaseModel:
        if self.refuses(name):
            raise ToolRefused(f"tool {name!r} is not available for this request")
        source = args.get("source")
        if source and self.readable is not None and not self.readable(str(source)):
            # The same words as for a source that does not exist: nothing is revealed.
            raise ToolRefused(f"No feedback source named {str(source)[:80]!r} is available.")
        return self.inner.run(name, args, ctx)
