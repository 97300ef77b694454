"""The five journey-thinking questions for one step of the atlas.

Who is this person? What is their real goal? What did they do just before (three steps)?
What will they do just after (three steps)? What would make them happy? Answered from the
atlas (steps before and after cross into linked journeys) and from the feedback (what
delighted or hurt people at this step), citing the methodology passage that states them.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from assistant.atlas.model import CUSTOMER_TYPE_NAMES, DIMENSION_NAMES, Atlas, StepRef
from assistant.core.errors import AssistantError
from assistant.core.tools import Claim, Evidence, ToolContext
from assistant.feedback.scope import RecordFilters, Scope
from assistant.feedback.tools.pain_points import PainPointsInput, summarize_pain_points


class FiveQuestionsInput(RecordFilters):
    """A journey step (journey + step), or a free-text situation matched to the atlas; who
    the customer is (an atlas persona) and which comments speak for them (segment, period,
    stars) when asked."""

    journey: str | None = Field(None, description="Journey id or name.")
    step: str | None = Field(None, description="Step id or name inside the journey.")
    situation: str | None = Field(
        None, description="Free text, e.g. 'changing the return policy', matched to a step."
    )
    persona: str | None = Field(
        None, description="Atlas persona (id or name) who answers 'who is this person?'; "
        "by default every persona of the journey."
    )


class StepBrief(BaseModel):
    ref: str
    journey: str
    name: str
    crosses_journey: bool = Field(description="In another journey than the asked step.")


class Neighbours(BaseModel):
    steps: list[StepBrief]
    note: str = Field("", description="Says so when fewer than three steps exist.")


class FiveQuestionsOutput(BaseModel):
    step: StepBrief
    matched_from: str | None = Field(None, description="The situation, when one was given.")
    other_matches: list[str] = Field(default_factory=list)
    who: list[Claim]
    goal: list[Claim]
    before: Neighbours
    after: Neighbours
    happy: list[Claim]
    feedback_scope: Scope | None = Field(
        None, description="The comments about this step behind the feedback claims."
    )
    methodology: Evidence


def _brief(atlas: Atlas, ref: str, lang: str, origin: str) -> StepBrief:
    located = atlas.locate(ref)
    assert located is not None
    return StepBrief(
        ref=ref,
        journey=located.journey.id,
        name=located.step.name.get(lang),
        crosses_journey=located.journey.id != origin,
    )


def _neighbours(atlas: Atlas, at: StepRef, direction: str, lang: str) -> Neighbours:
    refs = atlas.walk(at.ref, direction, 3)  # type: ignore[arg-type]
    note = ""
    if len(refs) < 3:
        note = (
            f"Atlas chỉ có {len(refs)} bước {'trước' if direction == 'before' else 'sau'} bước này."
            if lang == "vi"
            else f"The atlas has only {len(refs)} step(s) {direction} this one."
        )
    return Neighbours(steps=[_brief(atlas, r, lang, at.journey.id) for r in refs], note=note)


_ASKING = re.compile(
    r"(?i)(?:[^.?!,]{0,40}\b(?:five|5|năm|nam)\s+(?:journey[- ]thinking\s+)?"
    r"(?:questions?|câu hỏi|cau hoi)(?:\s+(?:hành trình|hanh trinh|journey thinking|"
    r"tư duy hành trình))?[^.?!,:]*"
    r"|\bwhat (?:should|do) we (?:think about|consider|weigh)[^.?!]*"
    r"|\b(?:cần|can|nên|nen) (?:cân nhắc|can nhac|nghĩ|nghi|lưu ý|luu y)(?: những| nhung)? "
    r"(?:gì|gi|điều gì|dieu gi)\b[^.?!]*)[.?!:]?"
)


# What a journey's keyword adds to its steps' rank (`StepMatcher.rank`: the model's share
# plus a similarity). Chosen on writer Y's decisions: right steps 0.728 -> 0.733, alike in
# the three languages 0.617 -> 0.633; putting the keyword's journey first, as before the step
# model placed decisions, lost 0.045 of them ("shop" is a keyword of buying in store; a
# photography class in a shop is about the camera).
KEYWORD_BONUS = 0.1


def place(inp: FiveQuestionsInput, ctx: ToolContext) -> tuple[StepRef, list[str]]:
    """The step the five questions answer for, and the next closest ones: the step given,
    a journey's first step, or the step a situation (a decision) is matched to."""
    kb = ctx.kb
    atlas = kb.atlas()
    if inp.journey and inp.step:
        return atlas.find_step(atlas.find_journey(inp.journey), inp.step), []
    if inp.journey and not inp.situation:
        journey = atlas.find_journey(inp.journey)
        first = next(iter(journey.steps()))[1]
        return atlas.find_step(journey, first.id), []
    if not inp.situation:
        raise AssistantError("Give a journey and a step, or describe a situation.")
    # The decision, without the words that ask for the method ("Walk me through the five
    # questions", "giúp tôi nghĩ qua 5 câu hỏi hành trình"): they match steps by chance.
    decision = _ASKING.sub(" ", inp.situation).strip(" ,.;:?!-") or inp.situation
    if ctx.rank_steps is not None:
        ranked = ctx.rank_steps(decision)
        named = atlas.names().entities(inp.situation).get("journey") if not inp.journey else None
        if named and len(named) == 1:
            # A decision that names no journey may still say where it lands by a keyword
            # ("đổi trả": warranty): that journey's steps gain a little, not the lead; when
            # its words point at two ("the in-store repair desk"), at neither.
            ranked = sorted(((ref, s + KEYWORD_BONUS * ref.startswith(f"{named[0][0]}."))
                             for ref, s in ranked), key=lambda x: -x[1])  # fmt: skip
        refs = [ref for ref, _ in ranked]
    else:  # a tool run without the agent: the atlas's step passages in Chroma, by meaning
        hits = kb.retriever("atlas").search(decision, k=8)
        refs = [h.chunk.doc_id.removeprefix("atlas.step.") for h in hits
                if h.chunk.doc_id.startswith("atlas.step.")]  # fmt: skip
    if inp.journey:
        journey = atlas.find_journey(inp.journey)
        refs = [r for r in refs if r.startswith(f"{journey.id}.")]
    if not refs:
        raise AssistantError(f"No journey step matches {inp.situation!r}.")
    located = atlas.locate(refs[0])
    assert located is not None
    return located, refs[1:3]


def _group_asked(ctx: ToolContext, segment: str, comments: int | None) -> Claim:
    """Who the customer is when a group is asked about ("what if they are students?"): the
    group, and how many comments about the step it wrote (None: no feedback to count)."""
    found = ctx.kb.segments().segment(segment)
    vi = ctx.lang == "vi"
    name = (found.name.vi if vi else found.name.en) if found else segment
    said = "nhóm khách bạn hỏi" if vi else "the group asked about"
    if comments is not None:
        said += (f"; {comments} phản hồi về bước này" if vi
                 else f"; {comments} comments about this step")
    return Claim(text=f"{name} ({said})", count=comments)  # the count is its evidence


def answer_five_questions(inp: FiveQuestionsInput, ctx: ToolContext) -> FiveQuestionsOutput:
    """Answer the five journey-thinking questions (who, real goal, three steps before, three
    steps after, what would make them happy) for a journey step or a planned change."""
    kb, lang = ctx.kb, ctx.lang
    atlas = kb.atlas()
    at, others = place(inp, ctx)
    step, journey = at.step, at.journey
    step_ev = Evidence(kind="atlas", ref=at.ref)

    # "what if the customer is a busy professional?": the persona asked about; "… a
    # student?": the group asked about (below, with its comments); else the journey's own.
    asked = ([atlas.find_persona(inp.persona).id] if inp.persona
             else [] if inp.segment else journey.personas)  # fmt: skip
    who = []
    for pid in asked:
        p = atlas.persona(pid)
        if p is None:
            continue
        facts = "; ".join(f"{DIMENSION_NAMES[lang].get(k, k)}: {v.get(lang).rstrip('.')}"
                          for k, v in p.dimensions.items())  # fmt: skip
        sources = [
            Evidence(kind="atlas", ref=f"persona.{p.id}.{k}", quote=v.source or "assumption")
            for k, v in p.dimensions.items()
        ]
        who.append(
            Claim(
                text=f"{p.name.get(lang)} ({CUSTOMER_TYPE_NAMES[lang][p.customer_type]}) — "
                     f"{facts}",
                evidence=[Evidence(kind="atlas", ref=f"persona.{p.id}"), *sources],
            )
        )

    goal = [
        Claim(
            text=journey.goal.get(lang),
            evidence=[Evidence(kind="atlas", ref=f"journey.{journey.id}.goal")],
        ),
        Claim(text=step.intent.get(lang), evidence=[step_ev]),
    ]

    happy = [Claim(text=e.get(lang), evidence=[step_ev]) for e in step.expectations]
    feedback_scope: Scope | None = None
    # Feedback-derived claims only for a request the access policy allows them, and only
    # from the comments about this step (its scope line says how many), never the corpus.
    if ctx.feedback_allowed and kb.feedback().count():
        found = summarize_pain_points(
            PainPointsInput(journey=journey.id, step=step.id, top=3, **inp.record_filters()),
            ctx,
        )
        feedback_scope = found.scope
        if inp.segment and not inp.persona:
            who.insert(0, _group_asked(ctx, inp.segment, found.total))
        rank = lambda p: (-p.impact, p.aspect)  # noqa: E731 - the summary's own order
        for p in sorted(found.delights, key=rank) + sorted(found.pain_points, key=rank):
            verb = (
                ("Khách khen", "Praised")
                if p.sentiment == "positive"
                else ("Cần loại bỏ: phàn nàn", "To remove: complaints")
            )
            head = verb[0] if lang == "vi" else verb[1]
            themes = ", ".join(t.label for t in p.themes[:2])
            about = "phản hồi về bước này" if lang == "vi" else "comments about this step"
            text = f"{head} — {p.label.get(lang)}: {p.count} {about}" + (
                f" ({themes})" if themes else "")  # fmt: skip
            happy.append(
                Claim(
                    text=text,
                    count=p.count,
                    evidence=[
                        Evidence(kind="feedback", ref=q.record_id, quote=q.text) for q in p.quotes
                    ],
                )
            )

    if inp.segment and not inp.persona and not who:  # no feedback to count it in
        who.append(_group_asked(ctx, inp.segment, None))
    method = kb.pinned_passage("five_questions")
    return FiveQuestionsOutput(
        step=_brief(atlas, at.ref, lang, journey.id),
        matched_from=inp.situation,
        other_matches=others,
        who=who,
        goal=goal,
        before=_neighbours(atlas, at, "before", lang),
        after=_neighbours(atlas, at, "after", lang),
        happy=happy,
        feedback_scope=feedback_scope,
        methodology=Evidence(kind="methodology", ref=method.id, quote=method.text),
    )
