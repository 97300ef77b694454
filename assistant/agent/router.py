"""The offline router: a request -> the tool that answers it and its arguments.

Deterministic. Explicit commands (`persona …`, `pains …`, `roadmap …`, `journey …`,
`five …`, `help`) name the tool; free text in Vietnamese or English (with or without
diacritics, with small typos) is matched against intent cue words, and journey, step,
persona and aspect names are resolved from the atlas itself (names in both languages and
their `keywords`). Anything else is a methodology question (`search`).
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.knowledge.atlas import Atlas
from assistant.text import fold, words

ToolName = Literal[
    "search", "five_questions", "persona", "pain_points", "roadmap", "journey_summary", "help"
]

COMMANDS: dict[str, ToolName] = {
    "ask": "search", "search": "search", "five": "five_questions", "persona": "persona",
    "pains": "pain_points", "pain": "pain_points", "roadmap": "roadmap",
    "journey": "journey_summary", "help": "help",
}  # fmt: skip

# Intent cues (diacritic-free, lower-case). Multi-word cues count more than single words.
INTENTS: dict[str, tuple[str, ...]] = {
    "persona": (
        "persona", "personas", "chan dung", "chan dung khach hang", "draft a persona",
        "tao persona", "phac thao persona",
    ),
    "roadmap": (
        "roadmap", "lo trinh", "ke hoach cai thien", "initiatives", "sang kien",
        "improvement plan", "ke hoach hanh dong", "action plan", "de xuat lo trinh",
    ),
    "journey_summary": (
        "summarize", "summarise", "summary", "tom tat", "tong quan", "overview",
        "emotion curve", "duong cam xuc", "bao cao hanh trinh",
    ),
    "pain_points": (
        "pain", "pains", "pain point", "pain points", "hurts", "hurt", "complain", "complaints",
        "complaining", "phan nan", "noi dau", "diem dau", "van de", "kho chiu", "than phien",
        "bad experience", "worst", "problems", "issues", "tieu cuc", "buc xuc", "che",
        "khong hai long", "unhappy", "frustrat", "frustrated", "dissatisf", "delight",
        "delights", "hai long nhat", "khen",
    ),
    "five_questions": (
        "five questions", "5 questions", "nam cau hoi", "5 cau hoi", "who is the customer",
        "ai la khach hang", "what do they want", "ho muon gi", "muon gi", "before changing",
        "truoc khi thay doi", "what should i ask", "nen hoi gi", "three steps", "ba buoc",
        "just before", "just after", "ngay truoc", "ngay sau", "what would make them happy",
        "dieu gi khien ho hanh phuc", "thay doi", "changing",
    ),
}  # fmt: skip
# Cues that the five-questions tool needs a situation or a step, not the methodology.
_DEFINITION = re.compile(
    r"^(why|what is|what are|how (do|does|should|to)|vi sao|tai sao)\b|\bla gi\b"
)
_ACTION = re.compile(
    r"\b(draft|create|make|build|propose|write|generate|give me|suggest|tao|lap|soan|de xuat|"
    r"xay dung|phac thao|viet|goi y)\b"
)
_METHOD_CUES = ("tu duy", "journey thinking", "journey-thinking", "la gi", "what are", "what is")


class Route(BaseModel):
    tool: ToolName
    args: dict[str, Any] = Field(default_factory=dict)
    clarify: str | None = Field(None, description="A short question when the request is ambiguous.")
    reason: str = ""


class _Phrase(BaseModel):
    kind: Literal["journey", "step", "persona", "aspect"]
    id: str
    text: str  # folded
    exact: str = ""  # set for one short syllable with diacritics ("đơ"): folded, it would
    # collide with other words ("do"), so it must match as written


def _norm(text: str) -> str:
    """Diacritic-free words joined by single spaces ('After-sales' -> 'after sales')."""
    return " ".join(words(fold(text)))


def _phrases(atlas: Atlas) -> list[_Phrase]:
    names: list[tuple[str, str, str]] = []
    for j in atlas.journeys:
        names += [("journey", j.id, t) for t in (j.id, j.name.vi, j.name.en, *j.keywords)]
    for ref in atlas.step_refs():
        s = ref.step
        names += [("step", ref.ref, t) for t in (s.id, s.name.vi, s.name.en)]
    for p in atlas.personas:
        names += [("persona", p.id, t) for t in (p.name.vi, p.name.en, *p.keywords)]
    for a in atlas.taxonomy:
        names += [("aspect", a.id, t) for t in (a.id, a.name.vi, a.name.en, *a.keywords)]
    out = []
    for kind, pid, t in names:
        folded = _norm(t)
        if not folded:
            continue
        plain = " ".join(words(t))
        short = " " not in folded and len(folded) <= 4 and plain != folded
        out.append(_Phrase(kind=kind, id=pid, text=folded, exact=plain if short else ""))
    return out


def _fuzzy_contains(tokens: list[str], phrase: str) -> float:
    """How well a phrase occurs in the tokens: 1.0 exact, ~0.85+ with small typos, else 0."""
    ptoks = phrase.split()
    if not ptoks:
        return 0.0
    text = " ".join(tokens)
    if re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text):
        return 1.0
    n = len(ptoks)
    if n == 1 and len(phrase) >= 4 and any(t.startswith(phrase) for t in tokens):
        return 0.9  # "unboxing" names the "unbox" step
    best = 0.0
    for i in range(len(tokens) - n + 1):
        window = tokens[i : i + n]
        if len("".join(window)) < 5:  # short words must match exactly
            continue
        # Word by word: a typo in a word is tolerated, a different word is not.
        ratios = [
            difflib.SequenceMatcher(None, w, p).ratio() for w, p in zip(window, ptoks, strict=True)
        ]
        if min(ratios) >= 0.75:
            best = max(best, sum(ratios) / n)
    return best if best >= 0.86 else 0.0


class Router:
    def __init__(self, atlas: Atlas) -> None:
        self.atlas = atlas
        self.phrases = _phrases(atlas)

    def entities(self, text: str) -> dict[str, list[tuple[str, float]]]:
        """Atlas entities mentioned in the text, best first: kind -> [(id, score)]."""
        tokens = words(fold(text))
        plain = words(text)
        found: dict[str, dict[str, float]] = {}
        for ph in self.phrases:
            match = ph.exact in plain if ph.exact else _fuzzy_contains(tokens, ph.text)
            if match:
                # Longer phrases are more specific: weigh by length in words.
                score = match * (1 + 0.5 * (len(ph.text.split()) - 1))
                bucket = found.setdefault(ph.kind, {})
                bucket[ph.id] = max(bucket.get(ph.id, 0.0), score)
        return {k: sorted(v.items(), key=lambda kv: -kv[1]) for k, v in found.items()}

    def intent(self, text: str) -> tuple[str | None, float]:
        tokens = words(fold(text))
        scores: dict[str, float] = {}
        for name, cues in INTENTS.items():
            for cue in map(_norm, cues):
                hit = _fuzzy_contains(tokens, cue)
                if not hit and len(cue) >= 6 and " " not in cue:  # prefixes: "frustrat"
                    hit = 1.0 if any(t.startswith(cue) for t in tokens) else 0.0
                if hit:
                    scores[name] = scores.get(name, 0.0) + hit * len(cue.split())
        if not scores:
            return None, 0.0
        best = max(scores, key=lambda k: scores[k])
        return best, scores[best]

    def route(self, text: str) -> Route:
        raw = text.strip()
        raw = re.sub(r"^/cx\s+", "", raw)
        first, _, rest = raw.partition(" ")
        command = COMMANDS.get(fold(first))
        if command == "help" and not rest:
            return Route(tool="help", reason="command")
        if command == "search":
            return Route(tool="search", args={"question": rest.strip()}, reason="command")
        if command:
            return self.with_args(command, rest, text, reason="command")
        intent, _ = self.intent(raw)
        ents = self.entities(raw)
        folded = fold(raw)
        if intent == "five_questions":
            about_method = any(c in folded for c in _METHOD_CUES) and not (
                ents.get("journey") or ents.get("step")
            )
            if about_method and not re.search(r"\b(thay doi|changing|change)\b", folded):
                return Route(tool="search", args={"question": raw},
                             reason="asks what the five questions are")  # fmt: skip
        if intent is None:
            return Route(tool="search", args={"question": raw}, reason="no tool intent")
        if (
            intent in ("persona", "roadmap")
            and not ents
            and (_DEFINITION.search(folded) or not _ACTION.search(folded))
        ):
            # "Why must a persona be built from data?", "What should a roadmap show?" ask
            # the methodology; a request to make one says so or names what it is for.
            return Route(tool="search", args={"question": raw}, reason="asks about the method")
        return self.with_args(intent, raw, raw, reason="intent")  # type: ignore[arg-type]

    def with_args(self, tool: ToolName, rest: str, original: str, reason: str) -> Route:
        source = re.search(r"\bsource:(\S+)", rest)
        if source:  # a file name is not a journey name: resolve names without it
            rest = rest.replace(source.group(0), " ")
        ents = self.entities(rest)
        journeys = ents.get("journey", [])
        steps = ents.get("step", [])
        args: dict[str, Any] = {}
        # Two journeys named equally strongly: ask which one is meant.
        if len(journeys) > 1 and journeys[0][1] == journeys[1][1]:
            a, b = self.atlas.journey(journeys[0][0]), self.atlas.journey(journeys[1][0])
            return Route(
                tool=tool,
                clarify=(
                    f"Bạn muốn nói hành trình nào: “{a.name.vi}” hay “{b.name.vi}”?"
                    if _is_vi(original) else
                    f"Which journey do you mean: “{a.name.en}” or “{b.name.en}”?"
                ),
                reason="two journeys match equally",
            )  # fmt: skip
        journey = journeys[0][0] if journeys else None
        step = steps[0][0] if steps else None
        if step and journey and not step.startswith(f"{journey}."):
            # A step name that belongs to another journey: trust the step (more specific).
            journey = step.split(".")[0] if steps[0][1] >= journeys[0][1] else journey
            step = step if step.startswith(f"{journey}.") else None
        aspect = ents["aspect"][0][0] if ents.get("aspect") else None
        persona = ents["persona"][0][0] if ents.get("persona") else None
        if tool == "five_questions":
            if step:
                args = {"journey": step.split(".")[0], "step": step.split(".", 1)[1]}
            else:
                args = {"situation": rest.strip()}
                if journey:
                    args["journey"] = journey
        elif tool == "persona":
            if persona:
                args = {"persona": persona}
            elif journey:
                args = {"journey": journey}
            elif aspect:
                args = {"aspect": aspect}
            else:
                seg = _strip_command_words(rest)
                args = {"segment": seg} if seg else {}
        elif tool == "pain_points":
            if source:
                args["source"] = source.group(1)  # the feedback of one ingested file
            if journey:
                args["journey"] = journey
            if aspect and not (journey and aspect == "SER&ACC" and _only_journey_word(rest)):
                args["aspect"] = aspect
        elif tool in ("roadmap", "journey_summary"):
            if journey:
                args["journey"] = journey
            if tool == "roadmap" and persona:
                args["persona"] = persona
            if "journey" not in args:
                return Route(tool=tool, clarify=(
                    "Cho hành trình nào? " + ", ".join(j.name.vi for j in self.atlas.journeys)
                    if _is_vi(original) else
                    "For which journey? " + ", ".join(j.name.en for j in self.atlas.journeys)
                ), reason="journey missing")  # fmt: skip
        return Route(tool=tool, args=args, reason=reason)


_COMMAND_WORDS = re.compile(
    r"\b(draft|create|make|a|an|the|for|of|persona|personas|tao|phac thao|cho|mot|chan dung|"
    r"five|questions|nam cau hoi|5|cau hoi|please|hay|giup|toi|me|ve)\b"
)


def _strip_command_words(text: str) -> str:
    return " ".join(_COMMAND_WORDS.sub(" ", fold(text)).split())


def _only_journey_word(text: str) -> bool:
    """'giao hàng' names the delivery journey; it is not also a SER&ACC aspect filter."""
    return not re.search(r"\b(dich vu|nhan vien|phu kien|service|staff|accessor)", fold(text))


def _is_vi(text: str) -> bool:
    from assistant.text import detect_lang

    return detect_lang(text) == "vi"
