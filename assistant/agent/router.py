"""The offline router: a request -> the tool that answers it and its arguments.

Deterministic, and derived from the tool registry: a spec's `commands` name it as a
command (`pains …`, `/cx roadmap …`), its `cues` are its intent words in free text
(Vietnamese or English, with or without diacritics, with small typos), and its input model
says which atlas names it takes (journey, step, persona, aspect) and which are required
(a missing one gets a clarifying question). Questions about concepts go to the methodology
even when they name a journey or a persona; requests outside the assistant's jobs get
`out_of_scope`.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from assistant.agent.registry import Registry
from assistant.atlas.model import Atlas
from assistant.atlas.names import AtlasNames, fuzzy_contains, norm
from assistant.core.text import detect_lang, fold, words

HELP, OUT_OF_SCOPE = "help", "out_of_scope"

# "What is …", "… là gì", "gồm những … nào": a question about a concept, not a request for
# the data; such questions go to the methodology even when they name a journey or persona.
_CONCEPT = re.compile(
    r"^(why|what is|what are|what's|whats|what does|define|explain|how (do|does|should|to|can)|"
    r"vi sao|tai sao|the nao la|dinh nghia|giai thich)\b|\bla gi\b|\bgom nhung\b|\bbao gom\b|"
    r"\bgom (nhung )?(khia canh|buoc|yeu to|gi)\b|\bnhung (khia canh|buoc|yeu to) nao\b|"
    r"\bwhich (dimensions|steps|levels|groups)\b|\bmean(s)?\b|\bnghia la\b|\bvai tro\b|"
    r"^what should (a|an|the)\b|\bdifference between\b|\bkhac nhau\b|\bdua tren\b|"
    r"\bgiup (to chuc|doanh nghiep)\b"
)
# A request to make something ("draft", "tạo", "đề xuất"): a tool, not a definition.
_ACTION = re.compile(
    r"\b(draft|create|make|build|propose|write|generate|give me|suggest|tao|lap|soan|de xuat|"
    r"xay dung|phac thao|viet|goi y|summarize|summarise|tom tat)\b"
)
# What customers say / love / praise: the feedback tools (praise = delights first).
_VOICE = re.compile(
    r"\b(customers?|khach( hang)?|people|nguoi dung|users?|buyers?|reviews?|feedback|phan hoi|"
    r"danh gia)\b.*\b(say|said|saying|think|talk|love|like|hate|praise|appreciate|noi gi|"
    r"noi ve|nghi gi|thich|ghet|khen|yeu thich|danh gia)\b|"
    r"\b(feedback|phan hoi|danh gia|reviews?)\b( cua khach( hang)?)? (on|about|ve)\b"
)
_PRAISE = re.compile(
    r"\b(love|loves|like most|liked|praise|praised|appreciate|delight|delights|delighted|"
    r"happy with|thich|yeu thich|khen|hai long nhat|diem cong)\b"
)
# Jobs the assistant does not do: say what it can do instead.
_OUT_OF_SCOPE = re.compile(
    r"\b(write|draft|compose|viet|soan)\b.{0,30}\b(email|e-mail|mail|thu|letter|post|bai dang|"
    r"quang cao|ad|caption|code|script)\b|\b(weather|thoi tiet|stock price|gia vang|gia co phieu|"
    r"ty gia|exchange rate|recipe|cong thuc nau|football|bong da|lottery|xo so)\b|"
    r"\b(benchmark|industry average|trung binh nganh)\b|\b(how much (is|does|do)|gia bao nhieu|"
    r"bao nhieu tien|con hang|in stock)\b|\bgia\b.{0,40}\bbao nhieu\b|"
    r"\b(translate|dich sang|joke|chuyen cuoi|capital of|thu do|who won|world cup|sql|"
    r"an gi|linkedin|sms|tin nhan)\b"
)
_HELP = re.compile(
    r"^(help|tro giup)$|\b(what can you do|what kind of questions|how do i use (this|you)|"
    r"(ban|bot|em|bot nay) (lam duoc gi|co (nhung )?(tinh nang|chuc nang) gi)|huong dan su dung|"
    r"(tinh nang|chuc nang) (cua )?(bot|ban|em)|bot co (nhung )?(tinh nang|chuc nang))\b"
)
_STEP_NAMED = re.compile(r"\b(?:buoc|step)\s+(.+?)(?=\?|$|\s(?:khi|when|trong|in|tai|sau)\s)")
_FOLLOW_UP = re.compile(r"^(and|what about|how about|con|the con|va|thi sao|con voi)\b")
# A request that asks for a picture ("kèm biểu đồ", "with a chart", "vẽ đường cảm xúc"),
# matched diacritic-free: the journey summary then draws its chart on every surface.
_CHART = re.compile(
    r"\b(bieu do|do thi|ve (?:duong|bieu do|do thi)|hinh ve|chart|charts|graph|graphs|plot|"
    r"diagram|visuali[sz]e|visual|picture|image)\b"
)


class Route(BaseModel):
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    clarify: str | None = Field(None, description="A short question when the request is ambiguous.")
    reason: str = ""
    unapplied: list[str] = Field(
        default_factory=list, description="Filters the request names that cannot be applied."
    )
    unread: list[str] = Field(
        default_factory=list, description="Rule files that could not be read for this request."
    )


class Router:
    def __init__(self, atlas: Atlas, registry: Registry) -> None:
        self.atlas = atlas
        self.registry = registry
        self.names: AtlasNames = atlas.names()

    def entities(self, text: str) -> dict[str, list[tuple[str, float]]]:
        return self.names.entities(text)

    def intent(self, text: str) -> tuple[str | None, float]:
        tokens = words(fold(text))
        scores: dict[str, float] = {}
        for spec in self.registry:
            for cue in map(norm, spec.cues):
                hit = fuzzy_contains(tokens, cue)
                if not hit and len(cue) >= 6 and " " not in cue:  # prefixes: "frustrat"
                    hit = 1.0 if any(t.startswith(cue) for t in tokens) else 0.0
                if hit:
                    scores[spec.name] = scores.get(spec.name, 0.0) + hit * len(cue.split())
        if not scores:
            return None, 0.0
        best = max(scores, key=lambda k: scores[k])
        return best, scores[best]

    def route(self, text: str) -> Route:
        raw = re.sub(r"^/cx\s+", "", text.strip())
        first, _, rest = raw.partition(" ")
        folded = " ".join(words(fold(raw)))
        if fold(first) == HELP and not rest:
            return Route(tool=HELP, reason="command")
        spec = self.registry.by_command(fold(first))
        if spec is not None and _CONCEPT.search(folded) and not _ACTION.search(folded):
            spec = None  # "Persona gồm những khía cạnh nào?": a question, not the command
        if spec is not None and spec.fallback:
            return self.fallback(rest.strip(), reason="command")
        if spec is not None:
            return self.with_args(spec.name, rest, text, reason="command")
        if _HELP.search(folded) or _HELP.search(" ".join(_typo_free(folded))):
            return Route(tool=HELP, reason="asks what the assistant can do")
        if _OUT_OF_SCOPE.search(folded):
            return Route(tool=OUT_OF_SCOPE, reason="outside the assistant's jobs")
        intent, _ = self.intent(raw)
        ents = self.entities(raw)
        asks_to_make = bool(_ACTION.search(folded))
        concept = bool(_CONCEPT.search(folded)) and not asks_to_make
        voice = self.registry.voice
        if voice is not None and _VOICE.search(folded) and not concept and (
            intent is None or intent == voice.name or self.registry.get(intent).weak_cues
        ):
            return self._praise(self.with_args(voice.name, raw, raw, "what customers say"), folded)
        if intent is None:
            return self.fallback(raw, reason="no tool intent")
        spec = self.registry.get(intent)
        if concept and not spec.voice:
            # "Persona gồm những khía cạnh nào?", "What should a roadmap show?": the method.
            return self.fallback(raw, reason="asks about a concept")
        if spec.about_method is not None and spec.about_method(folded, ents, asks_to_make):
            return self.fallback(raw, reason="asks about the method")
        return self._praise(self.with_args(intent, raw, raw, reason="intent"), folded)

    def fallback(self, text: str, reason: str) -> Route:
        """The fallback tool (the methodology search) with the text as its free text."""
        spec = self.registry.fallback
        args = {spec.free_text: text} if spec.free_text else {}
        return Route(tool=spec.name, args=args, reason=reason)

    def _praise(self, route: Route, folded: str) -> Route:
        """What customers love or praise: the voice tool's positive side."""
        if self.registry.get(route.tool).voice and _PRAISE.search(folded):
            route.args["sentiment"] = "positive"
        return route

    def with_args(self, tool: str, rest: str, original: str, reason: str) -> Route:
        """Resolve the atlas names in `rest` into the arguments the tool's input model takes;
        ask which journey when two are named equally, or when a required one is missing."""
        spec = self.registry.get(tool)
        fields = spec.input_model.model_fields
        source = re.search(r"\bsource:(\S+)", rest)
        if source:  # a file name is not a journey name: resolve names without it
            rest = rest.replace(source.group(0), " ")
        ents = self.entities(rest)
        journeys = ents.get("journey", [])
        steps = ents.get("step", [])
        vi = detect_lang(original) == "vi"
        if "journey" in fields and len(journeys) > 1 and journeys[0][1] == journeys[1][1]:
            a, b = self.atlas.journey(journeys[0][0]), self.atlas.journey(journeys[1][0])
            assert a is not None and b is not None
            return Route(tool=tool, clarify=(
                f"Bạn muốn nói hành trình nào: “{a.name.vi}” hay “{b.name.vi}”?" if vi else
                f"Which journey do you mean: “{a.name.en}” or “{b.name.en}”?"
            ), reason="two journeys match equally")  # fmt: skip
        journey = journeys[0][0] if journeys else None
        step = steps[0][0] if steps else None
        if step and journey and not step.startswith(f"{journey}."):
            # A step name that belongs to another journey: trust the step (more specific).
            journey = step.split(".")[0] if steps[0][1] >= journeys[0][1] else journey
            step = step if step.startswith(f"{journey}.") else None
        if not step and (named := _STEP_NAMED.search(" ".join(words(fold(rest))))):
            # "bước nhận hàng": the start of a step's name ("Nhận hàng từ nhân viên giao").
            found_step = self.names.resolve("step", named.group(1), within=journey)
            if found_step:
                step = found_step
                journey = step.split(".")[0]
        if step and not journey:
            journey = step.split(".")[0]
        found: dict[str, Any] = {
            "journey": journey,
            "step": step.split(".", 1)[1] if step else None,
            "persona": ents["persona"][0][0] if ents.get("persona") else None,
            "aspect": self._aspect(ents, journeys, rest),
            "source": source.group(1) if source else None,
        }
        args = {k: v for k, v in found.items() if v and k in fields}
        if spec.shape_args is not None:
            args = spec.shape_args(args, rest)
        elif spec.free_text and spec.free_text not in args and rest.strip():
            args[spec.free_text] = rest.strip()
        missing = [n for n, f in fields.items() if f.is_required() and n not in args]
        if "journey" in missing:
            names = ", ".join(j.name.vi if vi else j.name.en for j in self.atlas.journeys)
            return Route(tool=tool, clarify=(
                f"Cho hành trình nào? {names}" if vi else f"For which journey? {names}"
            ), reason="journey missing")  # fmt: skip
        return Route(tool=tool, args=args, reason=reason)

    def _aspect(self, ents: dict, journeys: list[tuple[str, float]], text: str) -> str | None:
        """The aspect named, unless its only words are the journey's own ('giao hàng' names
        the delivery journey; it is not also a service-aspect filter)."""
        if not ents.get("aspect"):
            return None
        aspect = ents["aspect"][0][0]
        if not journeys:
            return aspect
        journey_phrases = [p.text for p in self.names.phrases
                           if p.kind == "journey" and p.id == journeys[0][0]]  # fmt: skip
        tokens = words(fold(text))
        own = [p for p in self.names.phrases if p.kind == "aspect" and p.id == aspect
               and fuzzy_contains(tokens, p.text)]  # fmt: skip
        if own and all(any(p.text in jp or jp in p.text for jp in journey_phrases) for p in own):
            return None
        return aspect


def _typo_free(folded: str) -> list[str]:
    """Common question words with a letter swapped ("waht") read as meant."""
    fixes = {"waht": "what", "wat": "what", "hwat": "what", "cna": "can"}
    return [fixes.get(w, w) for w in folded.split()]


def is_follow_up(text: str) -> bool:
    return bool(_FOLLOW_UP.search(fold(text))) or len(text.split()) <= 6


def asks_for_chart(text: str) -> bool:
    """Whether a request asks for a chart (vi or en, with or without diacritics)."""
    return bool(_CHART.search(" ".join(words(fold(text)))))
