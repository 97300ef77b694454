"""The offline router: a request on its own -> the tool that answers it and its arguments.

Explicit commands are exact (`pains …`, `/cx roadmap …`, `help`). Free text goes to the
learned intent model (`agent/intent.py`, trained on utterances written blind), which ranks
the tools, `help` and `out_of_scope`; when it is unsure (low probability, or two readings
close together) the router asks a short question instead of guessing. A tool added at run
time that the model was not trained on is reached by its spec's cue words. The input model
of the chosen tool says which atlas names it takes (journey, step, persona, aspect) and
which are required (a missing one gets a clarifying question). Follow-ups in a conversation
are read by `agent/dialogue.py`, on top of this.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from assistant.agent.frame import Act, Frame
from assistant.agent.intent import IntentModel, Prediction
from assistant.agent.registry import Registry
from assistant.agent.slots import consume_names, persona_named
from assistant.atlas.model import Atlas
from assistant.atlas.names import AtlasNames, fuzzy_contains, norm
from assistant.core.settings import SHIPPED_CORPUS
from assistant.core.text import Lang, detect_lang, fold, nfc, read_form, words
from assistant.methodology.glossary import names_concept

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
# Which side of the feedback a request leads with: the words of liking and praise, in their
# inflected forms, unless negated ("không hài lòng", "not happy") or beside a complaint word
# ("khen chê gì", "praise and complaints": both sides, complaints first as by default). The
# intent model has one label for what customers say; the side is this closed vocabulary.
_PRAISE = re.compile(
    r"\b(lov(?:e|es|ed|ing)|lik(?:e|es|ed|ing) (?:most|best|about)|prais\w*|appreciat\w*|"
    r"delight\w*|enjoy\w*|happy|satisf(?:ied|action|y)|pleased|impress(?:ed|es)|"
    r"thich|yeu thich|khen|hai long|ung y|danh gia cao|diem cong|diem manh|an tuong)\b"
)
_NEGATED = re.compile(r"\b(not|no|never|dont|doesnt|didnt|isnt|arent|khong|ko|k|chua|chang|"
                      r"cha|kem)\s+(?:\w+\s+)?$")
_COMPLAINT = re.compile(r"\b(che|complain\w*|phan nan|than phien|keu ca|pain\w*|frustrat\w*|"
                        r"annoy\w*|buc|uc che|bad|worst|te nhat|khong hai long|unhappy|"
                        r"dissatisf\w*|disappoint\w*|that vong)\b")
# What customers say, asked ("họ than gì", "khách kêu gì", "what do people hate about"), and
# what a decision says ("chúng tôi định", "we plan to", "nên cân nhắc gì"): the first without
# the second is a feedback question, however much of a moment it describes.
_SAY_WHAT = re.compile(r"\b(?:than|keu|che|phan nan|than phien|keu ca|noi|khen|danh gia|gop y) "
                       r"(?:gi|nhung gi|ra sao|the nao|nhieu)\b|\b(?:co )?hai long (?:khong|ko)\b|"
                       r"\bare (?:they|customers|people) (?:happy|satisfied)\b|"
                       r"\bwhat (?:do|did|are) (?:the )?"
                       r"(?:customers?|custmers?|people|users?|buyers?|they|clients?) "
                       r"(?:say|said|saying|complain\w*|hate|dislike|love|think)\b|"
                       # ("what are they like?" asks what they are: a portrait)
                       r"\bwhat (?:do|did) (?:the )?(?:customers?|people|users?|buyers?|they) "
                       r"like\b|"
                       # what they go through: "gặp vấn đề gì", "băn khoăn gì", "phản ứng ra
                       # sao", "what confuses them", "where do shoppers struggle"
                       r"\b(?:gap|bi) (?:(?:van de|kho khan|issue|loi|rac roi|truc trac|su co|"
                       r"kho)\s+)?(?:gi|nao)\b|\b(?:ban khoan|phan van|lo lang|lo ngai|buc minh|"
                       r"kho chiu|cam thay|phan ung|quan tam|that vong|ghet|thich) (?:dieu |cai )?"
                       r"(?:gi|ra sao|the nao|sao|nhu the nao)\b|"
                       r"\bwhat (?:confuses|frustrates|bothers|annoys|worries|upsets|puzzles|"
                       r"disappoints) "
                       r"(?:them|customers|people|users|shoppers|buyers)\b|"
                       r"\b(?:where|how|when) do (?:\w+ ){0,2}(?:customers|shoppers|buyers|people|"
                       r"users|they) (?:struggle|get stuck|give up|get lost|get confused)\b|"
                       r"\bwhat (?:problems|issues|difficulties|trouble) do "
                       r"(?:\w+ ){0,2}(?:customers|shoppers|buyers|people|users|they) "
                       r"(?:have|face|run into|hit|meet)\b")
_PERSONA_WORD = re.compile(r"\b(?:personas?|chan dung|profile)\b")
# The five questions named ("theo năm câu hỏi hành trình", "5 cau hoi", "the five
# journey-thinking questions"): a closed set.
FIVE_QUESTIONS_NAMED = re.compile(
    r"\b(?:5|five|nam) (?:journey[- ]thinking |journey )?(?:questions|cau hoi)\b")
# What a persona is asked for with: a need ("cần", "muốn", "I need") or its contents (goals,
# frustrations, quotes, who they are). A closed class of words.
# ("về", about, folds like "vẽ", to draw; "dùng", to use, like "dựng": making verbs count
# only before the word persona.)
_PORTRAIT = re.compile(r"\b(?:can|muon|need|want|please|(?:lam|dung|ve|phac\w*|build)\s+"
                       r"(?:\w+\s+)?(?:personas?|chan dung|profile)|cho (?:minh|em|toi|chi|anh)|"
                       r"goals?|frustrations?|quotes?|muc tieu|trich dan|la ai|who (?:they|are)|"
                       r"nhu the nao|what .* like)\b")
# Who the people are, asked ("họ là ai, hay mua gì, quan tâm gì"): a portrait, whatever else
# it asks of them.
_WHO_THEY_ARE = re.compile(r"\b(?:la ai|who (?:they are|are they|are these|are those))\b")
# The pain summary named in so many words ("pain points", "top complaints").
_PAINS_NAMED = re.compile(r"\b(?:pain ?points?|complaints?|phan nan|than phien|che gi)\b")
# A tool named in so many words is asked for, whatever the rest of the request describes.
_NAMED = {"persona": _PERSONA_WORD, "five_questions": FIVE_QUESTIONS_NAMED}
# (Read without what customers themselves weigh up: "khách đang cân nhắc có nên lên đời".)
# Words that fold onto these and decide nothing are left out: "định giá" (a valuation), "tình
# hình", "tình trạng", "tính năng" (the state of things, features), "muốn hiểu/biết/xem" (to
# learn, not to change), an instalment or payment "plan".
_DECIDING = re.compile(r"\b(?:(?<!quyet )dinh(?! gia)|du dinh|tinh(?! nang| hinh| trang)|ke hoach|"
                       # "máy mượn", "được mượn" (a loan phone) fold like "muốn" (want)
                       r"(?<!may )(?<!duoc )muon(?! (?:hieu|biet|xem|nam|tim hieu|hoi))|"
                       r"can nhac|nen nghi|luu y|"
                       r"we|our|(?<!instalment )(?<!installment )(?<!payment )plan\w*|decid\w*|"
                       r"consider\w*|should|if we|policy|chinh sach)\b")
# A planned change: an intention and a change ("công ty muốn chỉ giao hàng trong giờ hành
# chính", "we plan to require ID checks…", "nếu giảm bảo hành pin…"), not a how-to question.
# Kept as a rule (grammar, closed classes): the intent model read such decisions in new wording
# as summaries, roadmaps or searches (writer M, evals/data/routing_writer_m.yaml: 24 of 45),
# and training it on them cost the held-out routing its gate (evals/README.md, fifth round).
# Words that fold onto others are left out ("dùng"/"dừng", "thấy"/"thay", "giám đốc").
_INTENDS = re.compile(r"\b(?:dinh(?! gia)|du dinh|tinh(?! nang)|sap|(?<!may )(?<!duoc )muon|"
                      r"ke hoach|de xuat|quyet dinh|co nen|should we|shall we|"
                      r"neu (?:minh|cong ty|chung ta|ben minh|ta)|plan(?:s|ned|ning)? to|"
                      r"planing to|thinking (?:of|about)|considering|about to|proposal|decision|"
                      r"if we|we(?:re| are) (?:going|looking) to|we want to|wed like to|"
                      r"wants? to)\b")
_CHANGES = re.compile(r"\b(?:bo|giam(?! doc)|tang(?! kem)|chuyen|thu phi|tinh phi|cat|gop|dong cua|"
                      r"mo them|thay doi|thay the|ngung|rut ngan|keo dai|yeu cau|"
                      r"chi (?:nhan|giao|ban|lam|cho)|drop\w*|cut\w*|end|ending|stop\w*|"
                      r"remov\w*|replac\w*|move|moving|charg\w*|requir\w*|shorten\w*|clos\w*|"
                      r"rais\w*|lower\w*|merg\w*|no more|only accept\w*|switch\w*|introduc\w*|"
                      r"launch\w*|outsourc\w*)\b")
# How a change will land, asked ("khách sẽ thấy sao?", "how will customers react?"): what is
# told before it is something to come, a decision, not a moment customers went through.
_WILL_LAND = re.compile(r"\b(?:(?:khach|ho|nguoi mua) se (?:cam thay|thay|phan ung)|"
                        r"how (?:will|would) (?:customers|they|people) (?:feel|react|take))\b")
_IF_CHANGED = re.compile(r"\bneu (?:bo|giam|tang|chuyen|thu phi|tinh phi|cat|gop|ngung|rut ngan|"
                         r"keo dai|yeu cau|chi)\b")


# ... when the model gives the five questions at least this much of a chance; it is then the
# reading, with at least this confidence.
PLAUSIBLE, SETTLED = 0.05, 0.5
# A question the model reads as a decision, naming no change, with a pain summary at least
# this likely, asks what customers say (`classify`; 0.1 / 0.2 / 0.3 gave the development
# dialogues 1,411 / 1,412 / 1,408 of 1,582 handled whole).
ASKED_NOT_DECIDED = 0.2
# A question, by the words that end (vi) or open (en) one; the folded text has no marks.
_ASKING = re.compile(r"\b(?:khong|ko|k|chua|gi|sao|the nao|ra sao|nao)$|^(?:what|how|why|where|"
                     r"when|which|who|do|does|did|are|is)\b")


# "Làm sao để define persona cho đúng?", "how do I prioritise improvement ideas?": how to do
# the practice, a methodology question, though it names what a tool makes. Kept as a rule for
# the reason above (writer M: 9 such questions read as personas, roadmaps or decisions); one
# that names a journey, a step, an aspect or a group ("làm sao để bớt phàn nàn về giao hàng")
# asks about this company's customers and keeps its tool.
_PRACTICE = re.compile(r"^(?:\w+ ){0,3}(?:lam sao|lam the nao|cach|"
                       r"how (?:do|should|can) (?:i|we|you|one|a team)|how to)\b")
# The tools that make a document of their own (a persona, a roadmap, a summary, the five
# questions), as opposed to the pain points, which show what customers say.
MAKES = ("roadmap", "persona", "journey_summary", "five_questions")
# The assistant itself, pointed at: a question about it is help (a closed class of words).
_THE_ASSISTANT = re.compile(r"\b(?:you|your|this|bot|assistant|ban|em|tro ly|cong cu nay|"
                            r"app nay|ad|admin)\b")


# "khách thấy thế nào?": how customers find it, typed with diacritics ("thấy", to find;
# folded it reads "thay", to change, which `_SAY_WHAT` leaves out).
_SEE_HOW = re.compile(r"\bthấy (?:thế nào|ra sao|sao|như thế nào|gì)")


# Asking what the assistant can do, in so many words (a closed set of phrasings).
# (said to the assistant: "mình làm được gì trong tháng này?" after a roadmap is the work)
_WHAT_CAN_YOU_DO = re.compile(r"\b(?:what (?:else )?can you do|what are you able to do|"
                              r"(?:lam|giup) duoc (?:nhung )?(?:gi|viec gi)|"
                              r"cach (?:xai|dung|su dung) (?:ban|bot|ad|app|tro ly|cong cu))\b")


def asks_how(folded: str) -> bool:
    """Whether a (folded) request asks how to do the practice ("làm sao để…", "how do we…")."""
    return _PRACTICE.search(folded) is not None


# What customers want is no plan of the company's ("khách muốn bỏ giỏ hàng").
_CUSTOMERS_WANT = re.compile(r"\b(?:khach|khach hang|kh|ho|nguoi dung|nguoi mua|customers?|users?|"
                             r"buyers?|people|they) (?:\w+ )?(?:muon|dinh|tinh|sap|wants?|"
                             r"plan\w*|can nhac|phan van|quyet dinh|consider\w*|decid\w*)\b")


def plans_a_change(folded: str) -> bool:
    """Whether a (folded) request describes a change someone plans to make."""
    ours = _CUSTOMERS_WANT.sub(" ", folded)
    planned = bool(_INTENDS.search(ours) and _CHANGES.search(ours))
    return (planned or bool(_IF_CHANGED.search(folded) or _WILL_LAND.search(folded))) and not (
        _PRACTICE.search(folded) or is_definition(folded))


# "What is a journey atlas?", "pain point là gì?", "định nghĩa touchpoint": a definition asked
# for. Kept as a rule (syntax, not vocabulary): a definition question names a term that may
# also be a tool's name ("pain point", "persona", "roadmap"), which pulls a model the wrong way.
_DEFINITION = re.compile(
    r"^(?:(?:cho (?:minh|em|toi) hoi|hoi chut|xin hoi|vay|the|oi|ok|ok vay|a|uh|um)\s+)?"
    r"(?:(?:\w+\s+){1,5}la gi(?:\s+(?:vay|nhi|the|a|ha|ay|ạ))?|"
    r"(?:what(?: is|'s| s| are)|whats|define|definition of|meaning of|dinh nghia)\s+"
    r"(?:an?\s+|the\s+)?(?:\w+\s*){1,4})\s*$"
)
# The same question in other words: "pain point là cái gì?", "touchpoint được hiểu như thế
# nào?", "what does pain point mean?", "what is meant by a roadmap?".
_MEANING = re.compile(
    r"^(?:(?:cho (?:minh|em|toi) hoi|hoi chut|xin hoi|khai niem)\s+)?"
    r"(?:(?:\w+\s+){1,5}(?:la cai gi|co nghia la gi|nghia la sao|duoc hieu "
    r"(?:nhu the nao|the nao|ra sao|la gi))(?:\s+(?:vay|nhi|the|a|ha|ay))?|"
    r"what (?:does|do) (?:an?\s+|the\s+)?(?:\w+\s+){1,4}mean(?: in cx)?|"
    r"what is meant by (?:an?\s+|the\s+)?(?:\w+\s*){1,4})\s*$"
)
# "explain pain point", "giải thích giúp mình touchpoint", and comparisons of two terms
# ("persona khác gì segment?", "difference between CJM and CJA"): about meaning only when
# what they name are terms of the articles (the glossary's), not data ("khách Hà Nội khác
# gì khách Sài Gòn" asks for feedback).
_HELP_ME = r"(?:\s+(?:giup|cho)\s+(?:minh|em|toi|anh|chi))?"
_EXPLAIN = re.compile(
    rf"^(?:explain|giai thich){_HELP_ME}\s+(?:the term\s+|khai niem\s+|thuat ngu\s+)?"
    rf"(?P<a>.+?){_HELP_ME}$"
)
_COMPARE = re.compile(
    r"^(?:(?:what s|what is|whats) the difference between|how (?:is|are|does|do)) "
    r"(?P<a>.+?) (?:and|differ from|different from) (?P<b>.+)$|"
    r"^(?P<c>.+?) (?:khac gi|khac gi voi|khac voi|khac|vs|versus) (?P<d>.+?)"
    r"(?: (?:o diem nao|o dau|o cho nao|cho nao|the nao|nhu the nao|ra sao))?$|"
    r"^(?P<e>.+?) (?:va|voi|and) (?P<f>.+?) (?:khac nhau|khac gi nhau|differ)"
    r"(?: (?:the nao|nhu the nao|o dau|ra sao|gi|cho nao))?$"
)
_STEP_NAMED = re.compile(r"\b(?:buoc|step)\s+(.+?)(?=\?|$|\s(?:khi|when|trong|in|tai|sau)\s)")
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
    aside: dict[str, Any] = Field(
        default_factory=dict, description="Filters of the conversation the tool does not apply "
        "(kept for the next request; said as not applied, by name, by the agent)."
    )
    unread: list[str] = Field(
        default_factory=list, description="Rule files that could not be read for this request."
    )
    confidence: float = Field(1.0, description="The intent model's probability of `tool`.")
    alternatives: list[str] = Field(
        default_factory=list, description="The next labels the intent model ranked close."
    )
    # The conversation's frame after this request, what kind of turn it was, and what it
    # changed in the frame (shown beside the scope line).
    frame: Frame | None = None
    act: Act = "new"
    changes: str = ""


def default_intent_path() -> Path:
    """The intent model shipped with the corpus of this checkout."""
    return SHIPPED_CORPUS / "routing" / "intent_model.npz"


class Router:
    def __init__(
        self, atlas: Atlas, registry: Registry, intent: IntentModel | None = None
    ) -> None:
        self.atlas = atlas
        self.registry = registry
        self.names: AtlasNames = atlas.names()
        self.intent_model = intent if intent is not None else IntentModel(default_intent_path())

    def entities(self, text: str) -> dict[str, list[tuple[str, float]]]:
        return self.names.entities(text)

    def cue_intent(self, text: str) -> tuple[str | None, float]:
        """A tool the intent model was not trained on (a plugin), named by its spec's cue
        words: the only routing left to cue lists, since such a tool has no examples."""
        tokens = words(fold(text))
        scores: dict[str, float] = {}
        known = set(self.intent_model.labels)
        for spec in self.registry:
            if spec.name in known:
                continue
            for cue in map(norm, spec.cues):
                hit = fuzzy_contains(tokens, cue)
                if hit:
                    scores[spec.name] = scores.get(spec.name, 0.0) + hit * len(cue.split())
        if not scores:
            return None, 0.0
        best = max(scores, key=lambda k: scores[k])
        return best, scores[best]

    def command(self, text: str) -> Route | None:
        """An explicit command (`pains …`, `/cx roadmap …`, `help`): routed exactly."""
        raw = re.sub(r"^/cx\s+", "", text.strip())
        first, _, rest = raw.partition(" ")
        if fold(first) == HELP and not rest:
            return Route(tool=HELP, reason="command")
        spec = self.registry.by_command(fold(first))
        if spec is None:
            return None
        folded = " ".join(words(fold(raw)))
        if (_CONCEPT.search(folded) or is_definition(text)) and not _ACTION.search(folded):
            # "Persona gồm những khía cạnh nào?", "persona khác gì segment?": a question
            return None
        if spec.fallback:
            return self.fallback(rest.strip(), reason="command")
        asked, says = text.rstrip().endswith("?"), _SAY_WHAT.search(folded) is not None
        label = self.classify(text).label if asked or says else spec.name
        if asked and label == self.registry.fallback.name:
            # "Persona nên được build từ những nguồn data nào?": a question that starts with
            # a command's word, about the method (as the intent model reads it)
            return None
        if label != spec.name and says:
            # "persona busy professional đang gặp gì ở khâu…": a question of what customers
            # say, after a command's word that only names whom it is about
            return None
        return self.with_args(spec.name, rest, text, reason="command")

    def classify(self, text: str, follow_up: bool = False) -> Prediction:
        """The intent model's ranking of what `text` asks for."""
        pred = self.intent_model.predict(text, follow_up=follow_up)
        folded = read_form(text)
        if (pred.label in ("five_questions", "persona") and "pain_points" in self.registry
                and (_SAY_WHAT.search(folded) or _SEE_HOW.search(nfc(text).lower())
                     or (pred.label == "persona" and _PAINS_NAMED.search(folded)))
                and not plans_a_change(folded)
                and not _DECIDING.search(_CUSTOMERS_WANT.sub(" ", folded))
                and not (_NAMED[pred.label].search(folded)
                         and not self._designates_persona(text, folded))
                and not (pred.label == "persona" and _WHO_THEY_ARE.search(folded))):
            # "Lúc khách nhận ra máy cũ sắp hư… thì họ than gì?": a moment told at length
            # reads like a decision to the model ("tuần đầu dùng máy khách cảm thấy sao" like
            # a portrait), yet it asks what customers say.
            pred = _swap(pred, "pain_points")
        elif (pred.label == "five_questions" and "pain_points" in self.registry
              and pred.prob("pain_points") >= ASKED_NOT_DECIDED
              and _ASKING.search(folded) and not plans_a_change(folded)):
            # "khách mang máy đến gửi bảo hành có bị chờ lâu không?": a moment asked about,
            # no change of the company stated in it: what customers say there
            pred = _swap(pred, "pain_points")
        elif (pred.label != "help" and "five_questions" in self.registry
              and dict(pred.ranked).get("five_questions", 0.0) > PLAUSIBLE
              and plans_a_change(folded)):
            # The grammar settles what the model leans to: no question back about it.
            pred = _swap(pred, "five_questions") if pred.label != "five_questions" else pred
            pred = Prediction([("five_questions", max(pred.confidence, SETTLED)),
                               *pred.ranked[1:]], pred.semantic)
        if pred.label != HELP and _WHAT_CAN_YOU_DO.search(folded) and _THE_ASSISTANT.search(
            folded
        ):
            # "Bot có tự làm journey map được không, hay làm được những gì?": whatever else it
            # names, it asks what the assistant does
            pred = _swap(pred, HELP)
        search = self.registry.fallback.name
        if pred.label in MAKES and _PRACTICE.search(folded) and not self.entities(text):
            # However sure the model is: with more writers it reads "how do I write a
            # one-page summary that executives read?" as a summary asked for (0.96), on no
            # scope of the data.
            pred = _swap(pred, search)
        elif (pred.label == HELP and dict(pred.ranked).get(search, 0.0) > PLAUSIBLE
              and _PRACTICE.search(folded) and not _THE_ASSISTANT.search(folded)
              and names_concept(folded)):
            # "How do I run customer interviews without leading questions?": how to do a
            # practice of the method, not how to use the assistant ("how do I use this?").
            pred = _swap(pred, search)
        return pred

    def _designates_persona(self, text: str, folded: str) -> bool:
        """Whether the word "persona" only says which of the atlas's personas a question is
        about ("persona busy professional đang gặp gì…", "the busy professional persona"),
        no persona being asked for (no making verb, need, or portrait contents)."""
        return (persona_named(self.names, text) is not None
                and not _ACTION.search(folded) and not _PORTRAIT.search(folded))

    def route(self, text: str) -> Route:
        """A request on its own (no conversation): a command exactly, else the intent
        model's tool with the names the text gives; unsure, a short clarifying question."""
        if (command := self.command(text)) is not None:
            return command
        plugin, _ = self.cue_intent(text)
        if plugin is not None:
            return self.with_args(plugin, text, text, reason="cues of a plugin tool")
        pred = self.classify(text)
        label = pred.label
        if is_definition(text) and label not in (HELP, OUT_OF_SCOPE):
            label = self.registry.fallback.name
        elif unsure(pred):
            lang = detect_lang(text)
            return Route(tool=label, clarify=clarify_text(pred, lang), reason="unsure",
                         confidence=pred.confidence,
                         alternatives=[lab for lab, _ in pred.ranked[1:3]])  # fmt: skip
        if label in (HELP, OUT_OF_SCOPE):
            return Route(tool=label, reason="intent", confidence=pred.confidence)
        if self.registry.get(label).fallback:
            return self.fallback(text, reason="intent")
        route = self.with_args(label, text, text, reason="intent")
        route.confidence = pred.confidence
        return self._praise(route, " ".join(words(fold(text))))

    def fallback(self, text: str, reason: str) -> Route:
        """The fallback tool (the methodology search) with the text as its free text."""
        spec = self.registry.fallback
        args = {spec.free_text: text} if spec.free_text else {}
        return Route(tool=spec.name, args=args, reason=reason)

    def _praise(self, route: Route, folded: str) -> Route:
        """What customers love or praise: the voice tool's positive side."""
        if self.registry.get(route.tool).voice and asks_for_praise(folded):
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
        persona = persona_named(self.names, rest, ents)
        if persona:  # its names' words name no journey ("người mua online lần đầu")
            ents = self.entities(consume_names(self.names, rest, "persona", persona))
        journeys = ents.get("journey", [])
        steps = ents.get("step", [])
        vi = detect_lang(original) == "vi"
        tie = "journey" in fields and len(journeys) > 1 and journeys[0][1] == journeys[1][1]
        if tie and spec.situated:  # "chỉ nhận đổi trả tại cửa hàng đã mua": the situation decides
            journeys = []
        elif tie:
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
            "persona": persona,
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
        journey_phrases = self.names.of("journey", journeys[0][0])
        tokens = words(fold(text))
        own = [p for p in self.names.phrases if p.kind == "aspect" and p.id == aspect
               and fuzzy_contains(tokens, p.text)]  # fmt: skip
        if own and all(any(p.text in jp or jp in p.text for jp in journey_phrases) for p in own):
            return None
        return aspect


def asks_for_complaints(text: str) -> bool:
    """Whether a turn asks for what customers complain about ("còn chê thì sao?")."""
    return _COMPLAINT.search(" ".join(words(fold(text)))) is not None


def asks_for_praise(text: str) -> bool:
    """Whether a request about what customers say asks for what they love or praise."""
    folded = " ".join(words(fold(text)))
    if _COMPLAINT.search(folded):
        return False
    return any(not _NEGATED.search(folded[: m.start()]) for m in _PRAISE.finditer(folded))


# What a term never holds: a superlative of size or badness, or a pointer at people or a
# place, make "what are the biggest complaints about screens", "what are their top pains
# there" requests for the data, not definitions. Closed grammatical classes, so a list;
# kept narrow ("the main stages", "what is X about" stay questions about the method).
# ... nor is one scoped to someone's or some step's ("pain point của khâu checkout là gì",
# "what are the pain points at the pickup step"): that asks for the data.
_NOT_A_TERM = re.compile(r"\b(most|biggest|largest|worst|main|top|key|here|this|their|our|there|"
                         r"they|these|those|cua|"
                         r"o (?:khau|buoc|hanh trinh)|tai (?:khau|buoc)|(?:of|at|in) the (?:\w+ )?"
                         r"(?:step|journey|stage))\b")


# A document of the tools made, its name the verb's object ("create a roadmap from these",
# "soạn lộ trình"; "make up details in a persona" makes none).
_MAKES_ONE = re.compile(_ACTION.pattern + r"\s+(?:\w+\s+){0,2}(?:roadmaps?|lo trinh|personas?|"
                        r"chan dung|summary|tom tat|one pager)\b")


def asks_to_make(folded: str) -> bool:
    """Whether a (folded) request asks to make one of the tools' documents."""
    return _MAKES_ONE.search(folded) is not None


def is_definition(text: str) -> bool:
    """Whether the request only asks what a term means ("X là gì", "what is X", "what does
    X mean", "explain X"), or how two terms of the articles differ."""
    folded = " ".join(words(fold(text)))
    if _ACTION.search(folded) or _NOT_A_TERM.search(folded):
        return False
    if _DEFINITION.match(folded) or _MEANING.match(folded):
        return True
    if m := _EXPLAIN.match(folded):
        return is_term(m.group("a"))
    if m := _COMPARE.match(folded):
        a, b = (g for g in m.groups() if g is not None)
        return is_term(a) and is_term(b)
    return False


_ARTICLE = re.compile(r"^(?:an?|the|mot|cac|nhung|mot cai|khai niem|thuat ngu)\s+")


def is_term(text: str) -> bool:
    """Whether a phrase is a term the methodology's articles use (their glossary's, in
    either language; a plural too): "pain point", "touchpoints", "a persona", "lộ trình"."""
    from assistant.methodology.glossary import GLOSSARY

    phrase = _ARTICLE.sub("", text.strip())
    terms = {fold(t) for en, vi in GLOSSARY for t in (*en, *vi)}
    return phrase in terms or phrase.removesuffix("s") in terms


# Below this probability, or this close to the runner-up, the router asks instead of guessing.
# Calibrated across writers (trained without one training writer, tested on it): about 2%
# of requests get a question back, a fifth of what would otherwise be wrong.
LOW_CONFIDENCE, NEAR_TIE = 0.25, 0.02

DESCRIBE = {
    "search": ("một câu hỏi về phương pháp CX", "a question about the CX method"),
    "five_questions": ("năm câu hỏi tư duy hành trình cho một bước hoặc quyết định",
                       "the five journey-thinking questions for a step or a decision"),
    "persona": ("một persona nháp từ dữ liệu", "a draft persona from the data"),
    "pain_points": ("khách phàn nàn hay khen gì", "what customers complain about or praise"),
    "roadmap": ("một lộ trình cải thiện", "an improvement roadmap"),
    "journey_summary": ("tóm tắt một hành trình (cho quản lý)",
                        "a summary of a journey (for a manager)"),
    "help": ("những gì tôi làm được", "what I can do"),
    "out_of_scope": ("một việc ngoài phạm vi CX", "something outside CX"),
    "more": ("thêm chi tiết cho câu trả lời trước", "more detail on the last answer"),
    "language": ("câu trả lời trước bằng ngôn ngữ khác", "the last answer in another language"),
    "refine": ("đổi bộ lọc của câu trả lời trước", "a change of filters on the last answer"),
}  # fmt: skip


def _swap(pred: Prediction, label: str) -> Prediction:
    """The ranking with `label` in the first place and the first label in its place."""
    ranked = dict(pred.ranked)
    top = pred.label
    ranked[top], ranked[label] = ranked.get(label, 0.0), ranked[top]
    return Prediction(sorted(ranked.items(), key=lambda x: -x[1]), pred.semantic)


def unsure(pred: Prediction) -> bool:
    return pred.confidence < LOW_CONFIDENCE or pred.margin < NEAR_TIE


def clarify_text(pred: Prediction, lang: Lang) -> str:
    """A short question naming the two readings the model hesitates between."""
    i = 0 if lang == "vi" else 1
    shown = [DESCRIBE[lab][i] for lab, _ in pred.ranked[:2] if lab in DESCRIBE]
    if lang == "vi":
        return ("Mình chưa chắc bạn cần gì: " + " hay ".join(shown)
                + "? Bạn nói rõ hơn (hành trình, khía cạnh, nhóm khách) giúp mình nhé.")
    return ("I'm not sure what you need: " + " or ".join(shown)
            + "? Please say which (and the journey, aspect or group it is about).")


def asks_for_chart(text: str) -> bool:
    """Whether a request asks for a chart (vi or en, with or without diacritics)."""
    return bool(_CHART.search(" ".join(words(fold(text)))))
