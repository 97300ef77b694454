"""One conversation layer for every surface: a turn is a new request or an edit of the last
request's frame.

Given the conversation's frame (tool, filters, language of the last request), a turn is:
- `new`: a request of its own (a fresh frame from what it names);
- `edit`: filters added, replaced or removed ("only 1-2 stars", "what about battery
  instead?", "all ratings again"); the tool stays;
- `switch_tool`: another tool on the same scope ("a roadmap for it", "persona for this
  group", "tóm tắt cho sếp"); the filters carry over;
- `language`: the same answer in another language ("now in English");
- `more`: more of the same answer ("why?", "more quotes", "the comments behind #2");
- `clarify`: nothing in context fits: a question back, never a search that drops the frame.

The intent model (trained with the follow-up acts as labels) says which; the slots say what
changes. The language is the first request's until a turn asks for another, a new request
is written in another one, another tool is asked for in words plainly of one language, or
an edit or "more" is written as a whole sentence in one (see *_OWN_LANGUAGE_WORDS).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from assistant.agent.frame import Frame
from assistant.agent.intent import Prediction
from assistant.agent.registry import Registry, strip_command_words
from assistant.agent.router import (
    FIVE_QUESTIONS_NAMED,
    HELP,
    MAKES,
    OUT_OF_SCOPE,
    Route,
    Router,
    asks_for_complaints,
    asks_for_praise,
    asks_how,
    asks_to_make,
    clarify_text,
    is_definition,
    unsure,
)
from assistant.agent.slots import BACK_TO, FILLER_WORDS, WHAT_FIRST, Slots
from assistant.atlas.names import fuzzy_contains, norm, one_swap
from assistant.core.text import (
    EN_STOP,
    VI_PLAIN,
    Lang,
    detect_lang,
    expand_shorthand,
    fold,
    has_diacritics,
    is_vi_syllable,
    plain_lang,
    read_form,
    words,
)
from assistant.feedback.dates import unit_before
from assistant.feedback.request_filters import COMPARING
from assistant.methodology.glossary import names_concept

if TYPE_CHECKING:
    from assistant.agent.steps import FindStep

# The answer language a turn asks for: a closed set of names, so a rule.
_TO_EN = re.compile(r"\b(english|eng|tieng anh|in en|bang en|sang en|en version)\b")
_TO_VI = re.compile(r"\b(vietnamese|tieng viet|in vi|bang vi|sang vi|viet hoa|vn version|"
                    r"ban viet)\b")
# "Can you give me the Vietnamese version for the HCMC team?": the answer in another language,
# however long the turn that asks for it.
_VERSION = re.compile(r"\b(?:(?:vietnamese|english|vn|en|vi) version|(?:ban|phien ban) "
                      r"(?:tieng )?(?:anh|viet|english|vietnamese)|"
                      # "give me this in English for the regional team", "gửi cái này bằng
                      # tiếng Việt": the last answer, pointed at, in a language
                      r"(?:this|it|that|cai nay|cai do|no) (?:in|bang|sang) (?:english|"
                      r"vietnamese|tieng anh|tieng viet)|"
                      # "translate the roadmap into Vietnamese", "dịch cái này sang tiếng Anh"
                      r"(?:translate|dich)\b(?:\s+\w+){0,4}\s+(?:into|to|sang|ra)\s+(?:english|"
                      r"vietnamese|tieng anh|tieng viet))\b")
# ... said inside a longer request ("làm bản tóm tắt gửi sếp, viết bằng tiếng Anh"): only with
# a verb or preposition of writing, since a language may also be what the data is about.
_WRITTEN_IN = re.compile(r"\b(?:viet|tra loi|answer|reply|respond|write|written|bang|in|into|"
                         r"sang)\s+"
                         r"(?:bang\s+)?(?:english|tieng anh|vietnamese|tieng viet)\b|"
                         # "viết summary tiếng Anh", "an English one-pager": the document's
                         r"\b(?:summary|tom tat|version|ban|roadmap|lo trinh|persona|pager|"
                         r"report|bao cao)\s+(?:english|tieng anh|vietnamese|tieng viet)\b|"
                         r"\b(?:english|vietnamese)\s+(?:summary|version|roadmap|persona|"
                         r"one pager|report)\b")
# Words that point back at the last answer's scope ("for this group", "cho nhóm này"): a tool
# asked for with them keeps the filters. Function words, so a closed list.
_BACK = re.compile(
    r"\b(this|that|these|those|it|them|they|their|same|here|nay|do|ay|no|ho|tren|luon|"
    r"phan nay|nhom nay|cai nay|buoc nay|giai doan do|van de nay|cho nay|tu day|o day|"
    r"from here)\b"
)
# A follow-up opener that points back without content ("còn cái đó?", "and that?").
_VAGUE = re.compile(r"^(?:\w+\s+){0,2}(?:con|the con|vay con|va|and|what about|how about|so)\b|"
                    r"\b(?:cai do|cai kia|cai vu|vu do|vu kia|that one|the other|thi sao)\b")
# "còn X thì sao?", "what about X?": a follow-up's opener, which asks nothing by itself.
_WHAT_ABOUT = re.compile(r"^(?:\w+\s+)?(?:con|the con|vay con|what about|how about|and)\b")
# A turn that says it starts something else: no frame to edit.
_NEW_TOPIC = re.compile(r"^(?:\w+\s+){0,2}(?:separate question|another question|new question|"
                        r"different question|cau hoi khac|hoi cau khac|chuyen chu de|chuyen khac|"
                        r"viec khac|unrelated|off topic|off-topic|by the way|btw|nhan tien|"
                        r"ngoai le|tien the|hoi them cai khac|(?:different|new|another|other) "
                        r"topic|change of topic|chu de khac|sang chuyen khac|"
                        # "Another one: we plan to …", "Thêm một việc: bên anh định …"
                        r"(?:another|one more) (?:decision|idea|question|thing)|"
                        r"another one(?= \w+ \w+ \w+ \w+)|them mot (?:viec|quyet dinh)(?: nua)?)\b")
# "À ý mình là khách chê gì lúc…", "I mean, what do…": the request said again in full, a new
# frame; unless all it says besides names is where ("ko, ý mình là giai đoạn bộ nhớ đầy dần
# ấy"): a correction of that filter.
_I_MEAN = re.compile(r"^(?:\w+\s+){0,2}(?:y minh la|y la|y em la|y toi la|i mean|i meant|"
                     r"what i mean is)\b")
# ... nor does going back to it and narrowing it ("ý em là quay lại cái bộ nhớ lúc nãy, nhưng
# chỉ nhóm thích chụp ảnh"): a correction of the frame said before.
_BACK_AND_NARROW = frozenset("cai luc nay nai hoi earlier before nhung but chi only just thoi "
                             "nhom group "
                             # "ý là thêm nhóm X vào phân tích vừa rồi": added to the last answer
                             "them vao add to into vua roi phan tich analysis".split())
_WHERE_WORDS = frozenset("ay do nay kia giai doan khau khuc cong buoc phan luc cho stage step part "
                         "phase that one bit".split())
# "why is #1 first?", "tại sao ưu tiên mục 1", "giải thích thêm vì sao…", "sao họ lại…",
# "sao nhiều người chê vậy": a question about the answer itself. ("sao" alone opens a why
# only with the "vậy/thế" that closes it: "sao 1-2" is a star filter.)
_WHY = re.compile(r"^(?:\w+\s+){0,3}(?:why|how come|tai sao|vi sao|sao lai|sao (?:\w+ ){1,6}lai)\b|"
                  r"^(?:\w+\s+)?sao\s+(?!\d|sao\b)(?:\w+\s+){0,8}(?:vay|the|z)$")
# The item of a ranking a follow-up asks about: "#2", "số 2", "item 3", "the second one",
# "cái thứ hai" (ordinal words in both languages up to five; a ranking shows five).
_ITEM = re.compile(r"(?:#|\b(?:so|muc|item|number|thu|cai|diem|cau|question|buoc|step)\s+)"
                   r"(\d{1,2})\b")
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "thu nhat": 1,
            "thu hai": 2, "thu ba": 3, "thu tu": 4, "thu nam": 5, "dau tien": 1}  # fmt: skip
# An ordinal points at an item when it qualifies one ("the second", "cái thứ hai", "first
# one"), not when it says when ("what would you fix first", "nên làm gì đầu tiên").
_ORDINAL_RX = re.compile(
    r"\b(?:the|that|this|cai|muc|y|diem|van de|hang muc|pilot|viec)\s+(" + "|".join(_ORDINAL)
    + r")\b|\b(" + "|".join(_ORDINAL) + r")\s+(?:one|item|point|pain|theme|pilot|action|"
    r"thing|quote|comment)s?\b")


# One of the five questions by its number ("Q2", "q3 nói rõ hơn"), no year or data beside it.
_QUESTION_NO = re.compile(r"^(?!.*\b(?:19|20)\d\d\b)(?!.*\b(?:feedback|reviews?|data|du lieu|"
                          r"danh gia|binh luan|comments?)\b).*\bq[1-5]\b")


# A question asked, by its word ("… là gì", "câu nào", "bao lâu", "what/how/which …"); its
# mark is read on the text itself (`_asks`).
_ASKS = re.compile(r"\b(?:gi|nao|sao|the nao|ra sao|bao lau|bao nhieu|khi nao|what|which|how|"
                   r"why|when)\b")


def _asks(text: str, folded: str) -> bool:
    return text.rstrip().endswith("?") or _ASKS.search(folded) is not None


def scope_only_text(router: Router, slots: Slots, lang: Lang) -> str:
    """The question back for a bare name ("pin"): what can be done about it."""
    atlas = router.atlas
    f = slots.filters
    found = (atlas.locate(f["step"]).step if f.get("step") and atlas.locate(f["step"])
             else atlas.journey(f.get("journey") or "") or atlas.aspect(f.get("aspect") or ""))
    name = (found.name.vi if lang == "vi" else found.name.en) if found else next(
        (str(v) for k, v in f.items() if k in _SCOPE_KEYS), "")  # fmt: skip
    if lang == "vi":
        return (f"Bạn cần gì về “{name}”: các điểm đau từ phản hồi khách hàng, một persona, "
                "một lộ trình cải thiện hay bản tóm tắt cho quản lý?")
    return (f"What would you like about “{name}”: the pain points in customer feedback, a "
            "persona, an improvement roadmap or a summary for managers?")


def asks_for_more(text: str) -> bool:
    """Whether a turn asks for more of the last answer in so many words ("nói rõ hơn bước
    thứ ba", "cho thêm ví dụ", "why?", "#2")."""
    folded = read_form(text)
    return bool(_ELABORATE.search(folded) or _SECTION.search(folded)
                or _MORE_EVIDENCE.search(folded) or _WHY.search(folded)
                or item_asked(folded) is not None)


# Asked to say more of it: a closed class of verbs.
_ELABORATE = re.compile(r"\b(?:noi ro|giai thich|(?:chi tiet|cu the|ky) hon|elaborate|explain|"
                        r"more detail|in detail|go deeper|expand on)\b")


def item_asked(folded: str) -> int | None:
    """The rank a follow-up points at ("comments behind #2" -> 2), if any."""
    if m := _ITEM.search(folded):
        return int(m.group(1)) or None
    if m := _ORDINAL_RX.search(folded):
        return _ORDINAL[m.group(1) or m.group(2)]
    return None


# Asked for more evidence or examples of this answer ("thêm mấy câu trích dẫn của khách",
# "cho ví dụ cụ thể", "a few more quotes"), with nothing new named: more of this answer
# whatever tool shows quotes by itself.
_MORE_EVIDENCE = re.compile(r"\b(?:them|more|another|extra|nua|vai|cho|lay|show|give|top \d+|"
                            r"nhung|which|xem)\b(?:\s+\w+){0,3}\s+(?:trich dan|quotes?|vi du|vd|"
                            r"examples?|dan chung|minh hoa|comments?|cmts?|binh luan|cau noi|"
                            r"phan hoi|feedback|reviews?)\b|"
                            r"\bvi du cu the\b|^(?:(?:any|some|vai|may)\s+)?(?:examples?|vi du)\b|"
                            # "top cmt đi", "top comments pls": the comments at the top
                            r"\btop (?:cmts?|comments?|quotes?|binh luan|trich dan)\b|"
                            # "cmt nào?", "quotes đâu": which ones, where are they
                            r"\b(?:cmts?|comments?|binh luan|trich dan|quotes?|vi du|vd|"
                            r"phan hoi)\s+(?:nao|dau|gi)\b|"
                            # "dựa trên những feedback nào?", "based on which reviews?"
                            r"\b(?:dua tren|dua vao|based on)(?:\s+\w+){0,2}\s+(?:feedback|"
                            r"phan hoi|binh luan|danh gia|reviews?|comments?|data|du lieu)\b|"
                            r"\b(?:cau|loi) (?:khach|ho|nguoi mua)(?: hang)? noi\b")
# Words that only point ("the thing from before", "cái đó", "làm tiếp"): nothing to act on.
_POINTING = re.compile(r"\b(the thing|that thing|the other thing|from before|as before|"
                       r"same as before|do it again|lam tiep|tiep di|cai do thi sao|"
                       r"cai kia|vu do|vu kia|nhu hom truoc|giong hom qua|cai do sao|"
                       r"lam lai cai|cai (?:do|nay) lam lai|"
                       r"do (?:it|that|the same) (?:again|for)|redo (?:it|that)|"
                       # "cái nhóm hôm trước ấy", "vụ hôm qua", "file lần trước": a thing
                       # of an earlier conversation
                       r"(?:cai|vu|ban|file|nhom)(?: \w+){0,2} (?:hom|bua|lan) (?:qua|truoc|kia)|"
                       r"cai (?:nay|do) sao|hoi do|"
                       r"hoi truoc|luc do|back then|that time|tiep tuc|continue|keep going|"
                       r"(?:as|same as) last time|lan truoc|"
                       r"xong chua|the other (?:report|file|doc|document|deck|sheet)|"
                       r"(?:bao cao|file|tai lieu) kia)\b")
_SCOPE_KEYS = ("journey", "step", "aspect", "segment", "persona", "source")
# Tools whose answers have a scope a follow-up can edit (not help, out_of_scope).
_NOT_A_FRAME = (HELP, OUT_OF_SCOPE)


# The words that name a kind of filter ("journey", "hành trình"): beside a name they say
# which filter, not which tool (a closed set, the frame's filter kinds).
_KIND_WORDS = re.compile(r"\b(journey|journeys|hanh trinh|step|buoc|aspect|khia canh|segment|"
                         r"data|du lieu)\b")
# Words that point at what the last answer was about ("their goals", "who should own it",
# "họ cần gì", "cái này mất bao lâu"): pronouns and demonstratives, a closed class.
_ABOUT_IT = re.compile(r"\b(?:they|them|their|theirs|it|its|that|those|these|ho|chung no|"
                       r"nhom nay|nhom do|cai do|cai nay|viec do|viec nay|dieu do|ke hoach nay|"
                       r"ke hoach do|the whole thing|toan bo|there|trong do|o do|cua no|"
                       r"ve no)\b")
# The people of the last answer pointed at ("nhóm này", "these customers"): a closed class.
_THE_GROUP = re.compile(r"\b(?:(?:nhom|tap|nhung|cac) (?:khach (?:hang )?)?(?:nay|do|ay)|"
                        r"(?:this|that) (?:group|segment)|(?:these|those) (?:customers|buyers|"
                        r"people|users))\b")
# A thing pointed at with no noun ("cái này khách có hay chê ko", "so với bên kia thì sao"):
# in a first request, there is nothing it can be.
_THING_POINTED = re.compile(r"\b(?:cai (?:nay|do|kia)|ben kia|this one|that one|the other one|"
                            r"lam (?:nhu )?vay|do that)\b")
# A thing pointed at in so many words ("cái này mất bao lâu?", "việc đó ai làm?"): after an
# answer on the data, it is in that answer, however off-topic the question sounds.
_THIS_THING = re.compile(r"\b(?:cai|viec|ke hoach|lo trinh|dieu) (?:nay|do)\b")
# The words a follow-up asks for a tool by, where another tool's answer covers it (see
# ToolSpec.covers): "add their pain points", "what do they complain about?", "chân dung nhóm
# này": the tool's name, and for the voice of the customer its verbs. A closed set.
_TOOL_NAMES = {"pain_points": re.compile(
                   r"\b(?:pain ?points?|pains|diem dau|noi dau|complain\w*|gripe\w*|hate|"
                   # (what customers say; "say it in Vietnamese" is the answer said again)
                   r"frustrat\w*|prais\w*|say(?! (?:it|that|this)\b)|saying|said|feedback|"
                   r"reviews?|than|than phien|"
                   r"phan nan|che|hai long|(?<!giai )thich|loves?|enjoy\w*|happy with|satisf\w*|"
                   r"khen|keu|buc|buc minh|buc xuc|kho chiu|noi gi|phan hoi|danh gia|"
                   # what they run into ("họ gặp khó gì?", "bị vướng ở đâu")
                   r"gap (?:kho|van de|rac roi|truc trac)\w*|vuong|annoy\w*|struggl\w*)\b"),
               # "who are these people?": a portrait of them
               "persona": re.compile(r"\b(?:personas?|chan dung|who are (?:they|these|those)"
                                     r"(?: people| customers)?|(?:nhung|may) (?:nguoi|khach) "
                                     r"(?:nay|do) la ai|ho la ai)\b"),
               # ... and what goes up to managers ("something I can send upward"; "gửi sếp"
               # is only who an answer is for: "in English, để gửi cho sếp")
               "journey_summary": re.compile(
                   r"\b(?:(?:one|1|mot)[ -]?(?:pager|page|trang)|summary|summari[sz]e|tom tat|"
                   r"send (?:\w+ )?(?:up|upward|upwards|upstairs|to leadership|to my boss)|"
                   r"gui len tren)\b"),
               "five_questions": FIVE_QUESTIONS_NAMED,
               # what to do first: the order of work is what a roadmap gives
               "roadmap": re.compile(
                   r"\b(?:roadmaps?|lo trinh|action plan|improvement plan|ke hoach cai thien|"
                   r"prioriti[sz]e)\b|" + WHAT_FIRST.pattern)}  # fmt: skip


# A tool's one-word name mistyped by a letter ("giờ persna", "roadmp"): still that tool.
# English words one letter away are not typos of them ("person", "personal", "summery").
_ONE_WORD_NAMES = {"persona": "persona", "roadmap": "roadmap", "summary": "journey_summary"}
_REAL_WORDS = frozenset({"person", "personal", "personas", "roadmaps", "summery"})


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` is `b` with one letter added, dropped, changed, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1 or one_swap(a, b)
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _tools_named(folded: str) -> list[str]:
    """The tools a (folded) text asks for in their own words (`_TOOL_NAMES`), or by a
    one-word name mistyped."""
    named = [tool for tool, rx in _TOOL_NAMES.items() if rx.search(folded)]
    for token in folded.split():
        if len(token) >= 6 and token not in _REAL_WORDS:
            named += [tool for name, tool in _ONE_WORD_NAMES.items()
                      if tool not in named and _one_edit(token, name)]  # fmt: skip
    return named


# Asking what customers say ("đang nói gì", "chê gì", "what are they saying"): a closed set.
_WHAT_SAID = re.compile(r"\b(?:noi|che|than|khen|phan nan|than phien|keu|danh gia|feedback|"
                        r"phan hoi) (?:gi|sao|the nao|ra sao)\b|"
                        r"\bwhat (?:do|are|did) (?:they|customers|people|buyers) "
                        r"(?:say|saying|complain)")
_NOTHING = re.compile(r"(?!)")
# The data of the last answer pointed at ("từ cùng dữ liệu đó", "from the same data", "on
# this feedback"): a document made from it, whatever concept its name also is.
_THIS_DATA = re.compile(r"\b(?:(?:du lieu|data|feedback|phan hoi|reviews?|scope|pham vi)\s+"
                        r"(?:do|nay|ay|vua roi|tren|this|that)|(?:the same|this|that|cung)\s+"
                        r"(?:du lieu|data|feedback|reviews|scope|pham vi)\b)")
# "đổi qua mấy cái như loa, vân tay", "chuyển sang đoạn nhân viên tư vấn", "switch to the
# checkout": the scope moved to what the turn names, no tool named (grammar, a closed set).
_MOVED_TO = re.compile(r"^(?:\w+\s+)?(?:doi|chuyen|switch|change|move|jump|nhay)\s+"
                       r"(?:qua|sang|over to|to|ve)\b")
# Filters that say who the customers are.
_PEOPLE = {"persona", "segment"}
# Filters only the company's data knows (the methodology has no personas, groups or steps of
# this company's journeys).
_NOT_THE_METHODS = _PEOPLE | {"step"}
# A persona asked for, beside the people it is about: a verb that makes one, or the tool's
# name introducing them ("persona cho…", "a persona of…"). The tool's own words, a closed set.
_MAKE_PERSONA = re.compile(
    r"\b(?:draft|sketch|create|build|write|generate|phac thao|phac hoa|xay dung|soan|tao)\b|"
    r"\b(?:lam|ve|viet|(?<!ap )dung|make|need|can|muon)\s+(?:\w+\s+)?(?:persona|chan dung|profile)|"
    r"\b(?:persona|personas|chan dung|profile)\s+(?:cho|for|of|ve|about|di|nhe|nha)\b")
# After a methodology answer, or asking about a concept of the method after any answer, how
# surely a turn that names no filter must read, alone, as a question about the method to be
# one (see understand): 0.3 / 0.5 / 0.7 handle the same development dialogues whole; 0.3
# takes "à mà persona thì nên cập nhật bao lâu một lần?" after a pain summary (0.39 alone).
METHOD_ALONE = 0.3
# How likely `more` must be, among the two best readings, for a turn that names nothing to
# ask for more of the answer rather than another tool (see understand).
MORE_CLOSE = 0.15
# Below this, an off-topic or help reading of a short turn that names nothing is a question
# back (see understand).
VAGUE_BELOW = 0.8
# A document named in so many words ("turn it into a one-pager") is asked for unless the
# model reads another tool at least this surely.
NAMED_OVER = 0.8
# A change of filters that names none, in a conversation: the next reading, when it is a
# tool with at least this probability, is asked for on the same scope.
SWITCH_RUNNER_UP = 0.15
# How sure the model must be that a longer turn is off-topic for a step it seems to describe
# by meaning alone to count for nothing (an aside: "à mà tối nay MU đá mấy giờ?", 0.99).
SURE_ASIDE = 0.95
# Off-topic in a few words in a conversation, read with less certainty than this, is a
# question back (see understand). The follow-up bias (intent.py) moved the development
# writers' asides after an answer down to 0.53-0.79, among the vague turns' 0.40-0.88:
# 0.8 / 0.7 / 0.6 / 0.5 / 0.3 handled 1,386 / 1,387 / 1,389 / 1,389 / 1,389 of 1,542
# development dialogues whole.
ASIDE_BELOW = 0.6
# A turn naming a filter is an aside, not an edit, when its other words alone are read as
# off-topic at least this surely: the development writers' asides 0.90-1.00 (three of
# eleven lower), their edits at most 0.84 (0.95 / 0.9 / 0.85: 1,390 / 1,392 / 1,393).
ASIDE_REST = 0.9
# A request for another tool written in words (this many or more) plainly of one language
# is answered in it ("Summarise it for my boss." after Vietnamese turns); "lam roadmap" and
# "ok roadmap di" keep the one in use. A short edit keeps it, whatever it is written in
# ("what about X instead?", "chỉ từ đầu năm tới giờ"); one written as a whole sentence of its
# own (EDIT_OWN_LANGUAGE_WORDS words or more: "Bỏ lọc thời gian đi, mình muốn xem toàn bộ dữ
# liệu.") is answered in it: 9 of the development writers' 11 such edits switch (threshold
# 7 / 8 / 9 / 10 / 12: 1,379 / 1,379 / 1,380 / 1,380 / 1,379 of 1,542 dialogues handled
# whole, against 1,377 keeping it). So is a "more" of MORE_OWN_LANGUAGE_WORDS ("why so many
# complaints about the price? show me the verbatim comments"; no development writer keeps it).
SWITCH_OWN_LANGUAGE_WORDS = 3
MORE_OWN_LANGUAGE_WORDS = 8
EDIT_OWN_LANGUAGE_WORDS = 9
_OWN_LANGUAGE_WORDS = {"switch_tool": SWITCH_OWN_LANGUAGE_WORDS, "more": MORE_OWN_LANGUAGE_WORDS,
                       "edit": EDIT_OWN_LANGUAGE_WORDS}


def own_language(text: str, least: int = SWITCH_OWN_LANGUAGE_WORDS) -> Lang | None:
    """The language a turn of `least` words or more is plainly written in (None: shorter,
    or not plainly one language)."""
    # numbers are no words of a language ("1-pager pls" is two words)
    return plain_lang(text) if len([w for w in words(text) if w.isalpha()]) >= least else None


# What a pointing turn may hold besides pointers ("hmm and the other one?", "còn cái vụ hôm
# bữa?"): fillers, articles, the time of an earlier talk; any other word ("and a
# touchpoint?") is something named. A closed class.
_FILLERS = frozenset(
    "a an the one thing things hmm uhm um ok oh well then too also again other cai vu thi sao "
    "nhi vay ha the con nua di em anh chi ban hom bua truoc qua lan last time before "
    "earlier".split()
)


# "xem giúp cái này", "check this one for me": asked to look at a thing never shown. Even as
# a first request there is nothing to answer about (an off-topic answer would be wrong too).
_LOOK_AT_THIS = re.compile(r"^(?:(?:can|could|would) you\s+|please\s+|pls\s+|ban\s+|bot\s+|nho\s+|"
                           r"ok\s+|oke\s+|u\s+|a\s+|uh\s+|um\s+|hey\s+|oi\s+)*"
                           r"(?:(?:xem|coi|check|look at|look into|doc|review|nhin)\s+)"
                           # "giúp chị", "giùm e", "for me": whoever it is for
                           r"(?:(?:giup|gium|dum|ho|minh|em|e|chi|anh|a|toi|for me)\s+)*"
                           r"(?:(?:cai|vu|(?:cai\s+)?(?:file|tai lieu|bao cao|link|slide|hinh|anh|"
                           r"bang|sheet))\s+(?:nay|do|kia)|(?:this|that|the)(?:\s+(?:one|file|doc|document|"
                           r"report|screenshot|link|sheet|deck|attachment))?|"
                           r"the attached(?:\s+\w+)?|"
                           # "cái file anh Tuấn gửi hôm qua", "the deck Lan sent": named by
                           # who sent it, never attached
                           r"(?:cai\s+|the\s+)?(?:file|tai lieu|bao cao|slide|sheet|deck|doc|"
                           r"document|report)(?:\s+\w+){0,3}\s+(?:gui|send|sent|shared|share|"
                           r"dinh kem|forward|forwarded)(?:\s+\w+){0,3}?|"
                           r"it)(?:\s+(?:voi|nhe|nha|di|giup|gium|please|pls|for me))*$")


# A part of the last answer asked about ("more on the pain points part", "nói rõ hơn phần
# khuyến nghị"): that answer, in more detail, whatever tool the part is named after.
_SECTION = re.compile(r"\b(?:more|them|detail\w*|expand\w*|elaborate|noi ro|giai thich)\b"
                      r"(?:\s+\w+){0,2}\s+(?:on|about|ve|hon)?\s*(?:the\s+)?(?:phan|muc)?"
                      r"(?:\s+\w+){0,3}\s+(?:part|section)\b|\b(?:noi ro|giai thich|them chi tiet)"
                      r"(?: hon)? (?:phan|muc)\b")
# Thanks and goodbyes: said to the assistant, nothing to ask back about.
_SOCIAL = re.compile(r"^(?:\w+\s+){0,2}(?:thanks?|thank you|thx|cam on|bye|tam biet|"
                     r"cuoi tuan vui ve|have a (?:good|nice|great))\b")
# "cái file này xem giúp mình với": the thing first, then the verb.
_THING_TO_LOOK_AT = re.compile(r"^(?:cai\s+)?(?:file|tai lieu|bao cao|link|slide|sheet|hinh|anh)\s+"
                               r"(?:nay|do|kia)\s+(?:xem|coi|check|doc)\b")


def _by_kind(filters: dict[str, Any]) -> dict[str, Any]:
    """A frame's filters by kind, its period one ("start"/"end"), its sentiment left out."""
    out = {k: v for k, v in filters.items() if k not in ("start", "end", "sentiment")}
    if filters.get("start") or filters.get("end"):
        out["period"] = (filters.get("start"), filters.get("end"))
    return out


def _sentiment_asked(registry: Registry, label: str, text: str) -> dict[str, str]:
    """"what do they love": delights first, for a tool that gives the voice of the
    customer."""
    return {"sentiment": "positive"} if registry.get(label).voice and asks_for_praise(text) else {}


def _restated(folded: str, slots: Slots) -> bool:
    """Whether a turn opening "I mean" says the request again (words of its own besides the
    names it reads) rather than correcting a filter."""
    if (m := _I_MEAN.search(folded)) is None or len(folded[m.end():].split()) < 5:
        return False
    rest = " ".join(words(fold(slots.rest))) if slots else folded
    said = BACK_TO.sub(" ", _I_MEAN.sub(" ", rest, count=1))
    return any(w not in FILLER_WORDS and w not in _WHERE_WORDS and w not in _BACK_AND_NARROW
               for w in said.split())  # fmt: skip


def _letters(folded: str) -> bool:
    """Random letters ("asdkjh qwe zzz"): no Vietnamese syllable, no English function word."""
    return not any(is_vi_syllable(w) or w in EN_STOP for w in folded.split())


def _vague(folded: str) -> bool:
    """A turn that points back without naming anything ("còn cái kia?", "and that other
    thing?"); "and a touchpoint?" opens the same way and names something."""
    if _VAGUE.search(folded) is None:
        return False
    return all(w in _FILLERS or _BACK.fullmatch(w) for w in _VAGUE.sub(" ", folded).split())


def language_asked(text: str) -> Lang | None:
    folded = " ".join(words(fold(text)))
    if _TO_EN.search(folded):
        return "en"
    if _TO_VI.search(folded):
        return "vi"
    return None


def understand(
    router: Router,
    text: str,
    previous: Frame | None,
    slots: Slots,
    lang: Lang | None = None,
    steps: FindStep | None = None,
) -> Route:
    """The route of one turn, with the frame after it, its act and what it changed."""
    registry = router.registry
    asked = lang or detect_lang(expand_shorthand(text))  # "… là j v" is Vietnamese
    command = router.command(text)
    context = previous if previous is not None and previous.tool in registry else None
    folded = read_form(text)
    restated = _restated(folded, slots)
    if _NEW_TOPIC.search(folded) or restated:
        context = None  # "separate question: ...": a fresh frame, whatever it names
    # "ý mình là mua online", "I mean the in-store buyers": a filter of the last request
    # corrected (said again in full, it is a new request: `restated`)
    correcting = context is not None and not restated and _I_MEAN.search(folded) is not None
    if context is not None and not context.lang_set:
        context = previous = context.model_copy(update={"lang": asked, "lang_set": True})
    if context is not None and context.tool == "five_questions" and (
        _QUESTION_NO.search(folded) and set(slots.filters) <= {"start", "end"} and not slots.removed
    ):
        # "Explain Q2 in more detail" after the five questions: its second question, not the
        # second quarter (a year or the data named beside it makes it one: `_QUESTION_NO`)
        return _routed(router, context, "more", text, previous, Slots())
    if command is not None:
        if context is not None and command.tool in registry and (
            not _scope(slots) or _said_again(context, slots)  # "persona game thủ từ data này"
        ) and (
            (_BACK.search(folded) or not command.args)
            and not registry.get(command.tool).fallback
        ):
            # "persona cho nhóm này", "roadmap for it", "persona đi": the command, on the
            # last scope; the answer's own tool again ("persona này dựa trên feedback nào?")
            # is about that answer.
            if command.tool == context.tool and not slots:
                return _routed(router, context, "more", text, previous, slots)
            frame = context.with_filters(slots.filters, slots.removed)
            frame = frame.model_copy(update={"tool": command.tool, "text": text})
            return _routed(router, frame, "switch_tool", text, previous, slots)
        if command.tool not in registry or command.clarify:
            return command
        # A command says nothing of the language: in a conversation it keeps the one in use
        # ("persona cho segment gamer" after Vietnamese turns), else the next worded turn
        # sets it.
        # Unless its words are Vietnamese ("persona sinh viên", "roadmap cho giao hang").
        # ("pain points at the step where people choose…" is English: its words, weighed; a
        # Vietnamese word of its own, as "cho" in "persona cho segment gamer", is enough.)
        rest = folded.split()[1:]
        vi_words = has_diacritics(text) or bool(rest) and (
            detect_lang(" ".join(rest)) == "vi" or bool(VI_PLAIN & set(rest)))
        kept = context is not None and lang is None and not vi_words
        frame = Frame(tool=command.tool, filters=_from_args(command.args, slots),
                      lang="vi" if vi_words and lang is None else (
                          context.lang if kept else asked),  # type: ignore[union-attr]
                      text=text, lang_set=kept or vi_words or lang is not None)  # fmt: skip
        return _routed(router, frame, "new", text, previous, slots, command)
    pred = router.classify(text, follow_up=context is not None)
    if context is not None and not slots and (
        registry.get(context.tool).fallback or names_concept(text) and _asks(text, folded)
    ) and pred.label in registry and not registry.get(pred.label).fallback:
        # After a methodology answer, a question about the method that names a tool's
        # subject ("Persona có nhất thiết phải có ảnh và tên không?") is another methodology
        # question, and so is one asked about a concept after any answer ("à mà persona thì
        # nên cập nhật bao lâu một lần?"): the follow-up bias, learned mostly after answers
        # on the data, pulls it to the tool. Read alone, the model says so (METHOD_ALONE).
        alone = router.classify(text)
        if alone.label == registry.fallback.name and alone.confidence >= METHOD_ALONE:
            pred = alone
    if context is None and unsure(pred):
        # A near-tie among the best readings that the request settles in so many words: its
        # verb for one of them ("khách chê pin thế nào trong hành trình …" names a journey,
        # which pulls towards a summary, and says "chê", which only a pain summary answers).
        said = [lab for lab, _ in pred.ranked[:3] if _TOOL_NAMES.get(lab, _NOTHING).search(folded)]
        if len(said) == 1:
            pred = Prediction([(said[0], 1.0)], semantic=pred.semantic)
    elif context is None and pred.confidence < NAMED_OVER and pred.label in registry and (
        not registry.get(pred.label).fallback
    ) and not (asks_how(folded) or names_concept(text)):
        # A document named in so many words, the only tool named, among the model's three
        # best readings when it is short of sure: "Tóm tắt giúp mình bước này" after a
        # moment told at length (which reads like a decision to the model) asks for a summary.
        said = _tools_named(folded)
        if len(said) == 1 and said[0] in MAKES and said[0] != pred.label and (
                said[0] in {lab for lab, _ in pred.ranked[:3]}):
            pred = Prediction([(said[0], 1.0)], semantic=pred.semantic)
    if context is not None and (back := BACK_TO.search(folded)):
        # "quay lại điểm đau đi", "back to the persona": the tool named after "back to"
        named = _tools_named(folded[back.end():])
        if len(named) == 1 and named[0] != context.tool:
            pred = Prediction([(named[0], 1.0)], semantic=pred.semantic)
        elif not slots and named in ([], [context.tool]) and (
                not registry.get(context.tool).fallback):
            # "ok quay lại roadmap lúc nãy" (gone_back_to found it): that answer again
            return _routed(router, context, "switch_tool", text, previous, slots)
    reply = context.lang if context is not None else asked  # a question back keeps it
    if context is not None and slots and pred.label != context.tool and (
        pred.label in registry and not registry.get(pred.label).fallback
    ) and not registry.get(context.tool).fallback:  # a methodology answer has no filters
        # "restrict to the daily use journey", "chỉ xét doanh nghiệp nhỏ…": the names pull the
        # model towards a tool (journey -> summary, persona -> persona); what the turn asks
        # is in its other words ("restrict to the"). Read without the filters, a turn that
        # only asks to filter is an edit of the last answer.
        # (A language asked beside them, "…, and answer in English", asks for no tool.)
        rest = _WRITTEN_IN.sub(" ", _KIND_WORDS.sub(" ", " ".join(words(fold(slots.rest)))))
        # "với kh mua máy cho ba mẹ": nothing but the names and words around them
        only_names = not set(rest.split()) - FILLER_WORDS and not (
            # "Khách ở bước gửi máy hiện đang nói gì?" after the five questions: what
            # customers say there is asked, not only a step named
            pred.label == "pain_points" != context.tool and _WHAT_SAID.search(folded))
        asks = rest.strip() and not only_names  # words of its own: the model reads them
        again = router.classify(rest, follow_up=True) if asks else None
        people = bool(_PEOPLE & set(slots.filters))
        if only_names or correcting or (
            pred.label == "persona" and people and not _MAKE_PERSONA.search(rest)
        ) or (_MOVED_TO.match(rest) and not _tools_named(folded)):
            # "với persona người mua cho bố mẹ thì sao", "giả sử khách là người đi làm bận
            # rộn": the people named pull the model towards a persona; asked for, one is
            # drafted ("phác thảo persona cho…"), else they narrow the last answer.
            pred = Prediction([("refine", 1.0)], semantic=False)
        elif people and set(slots.filters) <= _PEOPLE and (
            pred.label in registry.get(context.tool).covers
            and not _TOOL_NAMES.get(pred.label, _NOTHING).search(folded)
        ):
            # "dân văn phòng chắc bị ảnh hưởng nhiều nhất nhỉ, xem riêng nhóm này" after the
            # five questions: what the answer holds, for the people named: it, narrowed.
            pred = Prediction([("refine", 1.0)], semantic=False)
        elif again is not None and again.label == "refine" and not unsure(again):
            pred = again
        elif slots.removed and not slots.filters:
            # "drop the persona filter": a filter of the last answer taken away is an edit,
            # whatever tool the filter's name sounds like.
            pred = Prediction([("refine", 1.0)], semantic=False)
        elif slots.removed and slots.filters.items() <= context.filters.items() and (
            again is None or again.label == context.tool or again.label not in registry
            or registry.get(again.label).fallback
        ):
            # "mở rộng ra cả hành trình thu cũ đổi mới, không chỉ bước định giá": one taken
            # away, naming only what the frame holds, is an edit too; unless its other words
            # ask for a tool ("tóm tắt toàn bộ hành trình … cho sếp").
            pred = Prediction([("refine", 1.0)], semantic=False)
    if context is not None and pred.label == registry.fallback.name and (
        _NOT_THE_METHODS & set(slots.filters) or _bare_range(text, slots)
    ) and not registry.get(context.tool).fallback and not (
        is_definition(text) or asks_how(folded) or names_concept(text)
    ):
        # "what if the customer is a busy professional?", "how would that land with
        # gamers?", "ý mình là khâu chuyển dữ liệu": the methodology knows none of the
        # company's personas, groups or journey steps; named after an answer on the data
        # (and no concept of the methodology with them), they narrow it. So does a period or
        # a star range said in a few words ("what abt Q1?").
        pred = Prediction([("refine", 1.0)], semantic=False)
    label = pred.label
    target = language_asked(text)
    n_words = len(text.split())
    if context is not None and registry.get(context.tool).voice and (
        label in ("refine", "more", context.tool) or unsure(pred)
    ) and slots.filters.items() <= context.filters.items():
        # "còn chê thì sao?" after the praise, "now show only the praise" after complaints:
        # the other side of what customers say, on the same scope
        praised = context.filters.get("sentiment") == "positive"
        praise, complaints = asks_for_praise(text), asks_for_complaints(text)
        if praised and complaints or not praised and praise and n_words <= 8:
            frame = context.with_filters({"sentiment": "positive"} if praise else {},
                                         set() if praise else {"sentiment"})
            return _routed(router, frame, "edit", text, previous, slots)
    if context is not None and COMPARING.search(folded) and context.filters.get("start") and (
        slots.before_that) and _periods_only(router, slots, folded) and (
            not slots.removed) and slots.before_that[0] != "year_ago":
        # "how does that compare with the quarter before?", "so với quý trước thì sao?": the
        # answer's trend lines compare its period with the one before; one period at a time
        # (a year earlier, "so với cùng kỳ năm trước", is shown as that period instead)
        route = _routed(router, context, "more", text, previous, Slots())
        route.unapplied.append(f"{slots.before_that[1]} (one period at a time: the trend "
                               "compares with the period before)")
        return route
    if context is not None:
        # A star range asked beside the language ("narrow that to 1-2 stars and answer in
        # English") is an edit, answered in that language (`_routed`).
        stars = {"min_rating", "max_rating"} & (set(slots.filters) | slots.removed)
        if target and (label == "language" or n_words <= 6 or _VERSION.search(folded)) and (
                not (_scope(slots) or stars) or _said_again(context, slots)
                or label == "language" and _reason_beside(router, text)) and (
                set(_tools_named(folded)) <= {context.tool}):  # "a roadmap for this in English"
            frame = context.model_copy(update={"lang": target})
            return _routed(router, frame, "language", text, previous, slots)
        if item_asked(" ".join(fold(text).lower().split())) is not None and not slots and (
            n_words <= 6
        ):
            # "cái thứ hai", "số 3 thì sao?": an item of the last answer's ranking.
            return _routed(router, context, "more", text, previous, slots)
        said = _tools_named(folded)
        if not slots and label == registry.fallback.name and _THE_GROUP.search(folded) and (
            not registry.get(context.tool).fallback
        ):
            # "persona của nhóm này pain point là gì" after a persona: the methodology knows
            # no group of this company's customers; the answer's own tool named beside the
            # group only says which group, the other one is asked for.
            others = [tool for tool in said if tool != context.tool]
            if len(others) == 1 and others[0] in registry:
                frame = context.model_copy(update={"tool": others[0], "text": text})
                return _routed(router, frame, "switch_tool", text, previous, slots)
        if not slots and len(said) == 1 and said[0] != context.tool and said[0] in registry and (
            said[0] == label or unsure(pred) and said[0] in {lab for lab, _ in pred.ranked[:3]}
            or said[0] in MAKES and (label != HELP or pred.confidence < VAGUE_BELOW)
            and (label not in registry or registry.get(label).fallback
                 or pred.confidence < NAMED_OVER)
            # ("make me a roadmap from this": one made, not the concept asked about)
            and not (asks_how(folded) or names_concept(text) and not (
                _THIS_DATA.search(folded) or asks_to_make(folded)))
        ) and item_asked(folded) is None and not (
            _MORE_EVIDENCE.search(folded) or _SECTION.search(folded)):
            # "vậy nên fix gì trước?" after a summary: the model reads a roadmap short of sure,
            # near "more" ("ok vậy sửa gì trước đây": among its three best); the turn says in
            # so many words what that tool does, on the same scope. (The reviews behind "step
            # 2" are this answer's evidence, not another tool.) A document it makes named
            # ("turn that into a one-pager for the director") is asked for, however the model
            # reads the rest (a methodology question, more of the answer, another tool short
            # of NAMED_OVER), unless the turn asks how to make one.
            frame = context.model_copy(update={"tool": said[0], "text": text})
            return _routed(router, frame, "switch_tool", text, previous, slots)
        top2 = {lab for lab, _ in pred.ranked[:2]}
        if context.tool != "pain_points" and "pain_points" in top2 and (
            _WHAT_SAID.search(folded) and (not slots or _said_again(context, slots))
        ):
            # "khách ở bước đó đang phản hồi ra sao?" after the five questions or a roadmap:
            # what customers say on the same scope, though the model leans to the last tool
            frame = context.model_copy(update={"tool": "pain_points", "text": text})
            return _routed(router, frame, "switch_tool", text, previous, slots)
        # Why, after an answer on the data: about that answer ("Why do they care so much
        # about setup in store?" after a persona names a step to explain it, not to narrow
        # it; "sao nhiều người chê màn hình vậy" names what the answer is about), unless it
        # names a concept of the methodology, or new filters without pointing back at it.
        # An item of it pointed at ("sao khâu X lại đứng số 1") is about it too.
        why = _WHY.search(folded) is not None and (
            label == "more" or item_asked(folded) is not None or (
            not registry.get(context.tool).fallback
            and (_BACK.search(folded) is not None or not slots.removed
                 and slots.filters.items() <= _implied(router, context).items())
            and not (names_concept(text) or is_definition(text))))
        # "more examples from customers" after a summary: the model hesitates between more
        # and the tool that shows quotes; it is more of this answer unless the tool is clear.
        more_close = ("more" in top2 and pred.prob("more") >= MORE_CLOSE
                      and pred.confidence < 0.6 and not _vague(folded))  # fmt: skip
        # A turn pointing at something from before ("cái vụ hôm trước thì sao?") is not
        # more of this answer: it is asked about below.
        # (longer, when it names the answer's own tool: "Persona này dựa trên những feedback
        # nào? Cho anh xem vài câu khách nói."). Another document named is made from them:
        # "viết persona cho nhóm này dựa trên mấy review đó" after a pain summary.
        evidence = _MORE_EVIDENCE.search(folded) is not None and (
            n_words <= 12 or context.tool in said) and not set(said) & set(MAKES) - {context.tool}
        # "quay lại bảo hành, cho mình xem thêm trích dẫn": the scope said again, no change
        said_again = _said_again(context, slots)
        if (not slots or why or said_again) and not _POINTING.search(folded) and (
            label == "more" or why or more_close or evidence or _SECTION.search(folded)
            or (unsure(pred) and top2 == {"more", context.tool})
        ):
            # "why is battery flagged?" asks about the answer, though it names an aspect
            return _routed(router, context, "more", text, previous, slots)
    pointing = _POINTING.search(folded) is not None
    look = bool(_LOOK_AT_THIS.match(folded) or _THING_TO_LOOK_AT.match(folded)) or (
        context is None and _THING_POINTED.search(folded) is not None)
    if (pointing or look) and set(slots.filters) <= {"start", "end"} and not slots.removed:
        slots = Slots()  # "cái vụ hôm qua": the day dates the thing pointed at, not the data
    # "and their goals?", "how long would that take?", "việc số 3 cần phòng ban nào làm?":
    # after an answer on the data, a turn that points at it (a pronoun, an item of it), names
    # no filter and none of the methodology's concepts, and reads as a methodology question,
    # a filter change or (unsure) off-topic or help, asks about that answer: more of it. The
    # methodology questions asked in the middle of the dialogue sets all name a concept
    # ("moments of truth", "CSAT với CES", "5 câu hỏi đó").
    about_it = context is not None and not slots and not registry.get(context.tool).fallback and (
        label in ("refine", registry.fallback.name)
        or (label in _NOT_A_FRAME and (pred.confidence < VAGUE_BELOW or _THIS_THING.search(folded)))
    ) and (_ABOUT_IT.search(folded) is not None or item_asked(folded) is not None) and not (
        names_concept(text) or is_definition(text) or _vague(folded) or pointing
        or _letters(folded))  # fmt: skip
    # In a conversation, off-topic or help said with less than the model's usual certainty
    # (ASIDE_BELOW), in a few words and nothing named ("xem giúp cái này", "can you do it for
    # the other team too?"): a question back. Help asked in a few words without
    # pointing ("bạn làm được gì") keeps its answer; random letters keep the off-topic
    # answer, which shows examples of what to ask. A first request keeps the off-topic
    # answer too: applied to first requests, the rule took the held-out routing check
    # (routing_heldout) under its gate.
    unsure_aside = context is not None and label in _NOT_A_FRAME and (
        pred.confidence < ASIDE_BELOW) and n_words <= 10 and (
        label == OUT_OF_SCOPE or _BACK.search(folded) is not None) and not _letters(folded) and (
        not about_it) and not _SOCIAL.match(folded)  # "thanks bot, have a good weekend"
    if not slots and (n_words <= 8 or unsure_aside or ((pointing or look) and n_words <= 12)) and (
        not is_definition(text)) and (
        (label in (*_NOT_A_FRAME, registry.fallback.name) and _vague(folded))
        or pointing or unsure_aside or look
    ):
        # "còn cái đó thì sao?", "do the thing from before", "làm tiếp đi": pointing at
        # something without saying what: a question back, the frame kept.
        return Route(tool="clarify", clarify=clarify_text(pred, reply), reason="vague",
                     confidence=pred.confidence, frame=previous, act="clarify")
    if context is not None and label == OUT_OF_SCOPE and not slots and names_concept(text) and (
        _asks(text, folded)
    ):
        # "mà 5 câu hỏi là 5 câu nào vậy, em chưa rõ lắm" after the five questions: a question
        # about a concept of the method, which the model, in a talk about the data, reads as
        # off-topic; the methodology answers it.
        frame = Frame(tool=registry.fallback.name, lang=asked, text=text)
        return _routed(router, frame, "new", text, previous, slots)
    if is_definition(text) and label not in _NOT_A_FRAME:  # off-topic "X là gì" stays so
        frame = Frame(tool=registry.fallback.name, lang=asked, text=text)
        return _routed(router, frame, "new", text, previous, slots)
    if context is not None:
        data_tool = label in registry and not registry.get(label).fallback
        if data_tool and label == context.tool and not slots:
            # "cụ thể hơn bước 2 của roadmap" after a roadmap: the answer's own tool asked
            # for again, naming nothing, is about that answer, not a fresh one on no scope
            return _routed(router, context, "more", text, previous, slots)
        switch = data_tool and label != context.tool and not unsure(pred)
        last = registry.get(context.tool)
        if switch and not slots and label in last.covers and not (
            _TOOL_NAMES.get(label, _NOTHING).search(folded)
        ) and (last.own_parts is None or last.own_parts.search(folded)):
            # "họ thường lo lắng gì nhất?" after a persona, "which customers would this hurt
            # most?" after the five questions: the answer holds it already.
            return _routed(router, context, "more", text, previous, slots)
        # "restrict to 2019", "chỉ dữ liệu 30 ngày gần nhất": a short turn that only names
        # filters reads as off-topic to the model, yet in a conversation it edits the frame;
        # so does a longer one that names a journey, a step, a group or a persona ("đổi qua
        # người đi làm bận rộn, ko có thời gian"): off-topic talk does not name them.
        # (Or a longer one the model is unsure about: "ít quá, mở rộng ra từ đầu năm nay".)
        # (only a turn naming a filter can be one: `_aside_beside` reads the model again)
        bare = bool(slots) and label == OUT_OF_SCOPE and (n_words <= 8 or _scope(slots) or (
            pred.confidence < VAGUE_BELOW and n_words <= 12)) and not (
            n_words > 8 and pred.confidence >= SURE_ASIDE and _only_described(router, slots, text)
        ) and not _aside_beside(router, slots)
        if slots and not switch and (label not in _NOT_A_FRAME or bare) and (
            label in ("refine", context.tool) or unsure(pred) or label not in registry or bare
        ):
            frame = context.with_filters(_widened(context, slots, text),
                                         slots.removed | _replaced_group(registry, context, slots))
            before, after = _by_kind(context.filters), _by_kind(frame.filters)
            kept = [k for k, v in before.items() if after.get(k) == v]
            if label == context.tool and len(before) >= 2 and not kept and (
                own := own_language(text)):
                # "Khách khen gì về camera trong năm nay?" after battery in Q1, answered in
                # English: a request in full of the same tool that keeps nothing of the last
                # one (two filters or more, all replaced) is a new request, in its own
                # language; one filter replaced is an edit ("đổi sang người mua cho bố mẹ").
                # (a decision's words name no filter of the five questions: `_told`)
                filters = _told(label, replace(slots, filters={
                    k: v for k, v in frame.filters.items() if k != "sentiment"}))
                filters |= _sentiment_asked(registry, label, text)
                frame = Frame(tool=label, lang=own, text=text).with_filters(filters, set())
                return _routed(router, frame, "new", text, previous, slots,
                               confidence=pred.confidence)
            return _routed(router, frame, "edit", text, previous, slots)
        if switch and not registry.get(context.tool).fallback and (
            _BACK.search(folded) or not _scope(slots)
            # "làm persona từ đống feedback pin 1 sao vừa rồi": the scope said again, in two
            # filters or more (one named alone, "roadmap cho hành trình giao hàng", is new)
            or len(_by_kind(slots.filters)) >= 2
            and slots.filters.items() <= context.filters.items()
        ):
            frame = context.with_filters(_told(label, slots), slots.removed)
            frame = frame.model_copy(update={"tool": label, "text": text})
            return _routed(router, frame, "switch_tool", text, previous, slots)
        runner_up = pred.ranked[1][0] if len(pred.ranked) > 1 else None
        odd = label == "refine" or (label == HELP and pred.confidence < VAGUE_BELOW)
        if odd and not slots and runner_up in registry and (
            runner_up != context.tool and not registry.get(runner_up).fallback
            and pred.prob(runner_up) >= SWITCH_RUNNER_UP
        ):
            # "Now a one-pager on it for the regional manager": a change of filters that
            # names none is not one, nor is "And what would you fix first there?" a question
            # about the assistant; the tool the model reads next, on the same scope, is.
            frame = context.model_copy(update={"tool": runner_up, "text": text})
            return _routed(router, frame, "switch_tool", text, previous, slots)
        if about_it:
            return _routed(router, context, "more", text, previous, slots)
        if not slots and slots.unapplied and n_words <= 8 and not switch and not pointing and (
            label in ("refine", context.tool) or unsure(pred)
        ):
            # "chỉ đơn Shopee thôi", "only female customers": narrowed by what the data has
            # no field for; the same answer, saying so beside its scope line.
            return _routed(router, context, "edit", text, previous, slots)
    if unsure(pred) or label in ("refine", "more", "language"):
        return Route(tool="clarify", clarify=clarify_text(pred, reply), reason="unsure",
                     confidence=pred.confidence, frame=previous, act="clarify",
                     alternatives=[lab for lab, _ in pred.ranked[1:3]])  # fmt: skip
    if (label in _NOT_A_FRAME and _scope(slots) and n_words <= 3) or (
        context is None and _scope(slots) and n_words <= 6 and _WHAT_ABOUT.match(folded)
    ):
        # "pin", "bảo hành?": something the data knows, named with no request around it;
        # "còn bảo hành thì sao?" with nothing before: about it, but which answer?
        return Route(tool="clarify", clarify=scope_only_text(router, slots, reply),
                     reason="only a name", confidence=pred.confidence, frame=previous,
                     act="clarify")  # fmt: skip
    if label in _NOT_A_FRAME:
        return Route(tool=label, reason="intent", confidence=pred.confidence, frame=previous,
                     act="new")  # fmt: skip
    if registry.get(label).fallback:
        frame = Frame(tool=label, lang=asked, text=text)
    else:
        filters = _told(label, slots)
        if label == "five_questions" and "step" not in filters and (
            slots.ambiguous_journeys or not _journey_named(router, text, filters.get("journey"))
        ):
            # Two named equally, or one only by a keyword ("cut the return window", "close
            # every store at 8pm"): a decision of the company, which the situation places.
            filters.pop("journey", None)
        if label == "five_questions" and not _DATA_WORDS.search(folded):
            # "quý vừa rồi chi phí tăng, … áp 5 câu hỏi cho quyết định này": a period told as
            # context of a decision is not a period of the feedback, unless the data is named.
            filters = {k: v for k, v in filters.items() if k not in ("start", "end")}
        filters |= _sentiment_asked(registry, label, text)
        # A decision: the step it is about, by meaning, when one stands out.
        # Unless it says so, a decision is about a step only when one stands out; the tool
        # shows the closest steps otherwise.
        decision = label == "five_questions" and "step" not in filters and steps is not None
        if decision and (step := steps(text, filters.get("journey"), False, strict=True)):
            filters |= {"journey": step.split(".")[0], "step": step}
        frame = Frame(tool=label, lang=asked, text=text).with_filters(filters, set())
    return _routed(router, frame, "new", text, previous, slots, confidence=pred.confidence)


# What the data is called: a period beside it is the feedback's.
_DATA_WORDS = re.compile(r"\b(?:feedback|danh gia|reviews?|comments?|binh luan|nhan xet|"
                         r"phan hoi|du lieu|data)\b")
# Words that narrow the scope ("only the screen", "chỉ phần màn hình", "riêng sinh viên").
_NARROWING = re.compile(r"\b(?:only|just|chi|rieng|focus|limit|restrict|filter|loc)\b")


def _reason_beside(router: Router, text: str) -> bool:
    """Whether a language asked for in so many words comes with a reason in clauses of its
    own ("Please write it in English, our design agency doesn't read Vietnamese"): its own
    clause names nothing of the data, so what the others name is no filter."""
    clauses = [" ".join(words(fold(c))) for c in re.split(r"[,.;:?!]", text) if c.strip()]
    asked = [c for c in clauses if _WRITTEN_IN.search(c)]
    return len(clauses) > 1 and len(asked) == 1 and not router.names.entities(asked[0]) and (
        not any(_NARROWING.search(c) for c in clauses))  # "…, chỉ phần màn hình thôi": a filter


def _bare_range(text: str, slots: Slots) -> bool:
    """Whether a turn of a few words names only a period or a star range ("what about Q1?")."""
    return bool(slots.filters) and len(text.split()) <= 6 and set(slots.filters) <= {
        "start", "end", "min_rating", "max_rating"}


def _said_again(context: Frame, slots: Slots) -> bool:
    """Whether a turn names only what the last request's scope holds ("… so I can share it
    with the warranty centre managers" after a warranty roadmap): nothing changes."""
    return bool(slots.filters) and not slots.removed and not slots.before_that and (
        slots.filters.items() <= context.filters.items())


def _implied(router: Router, frame: Frame) -> dict[str, Any]:
    """A frame's filters, and the aspect its step speaks about when the atlas gives it one
    ("why so many complaints about the price?" after the trade-in valuation step)."""
    located = router.atlas.locate(frame.filters["step"]) if frame.filters.get("step") else None
    aspects = located.step.aspects if located is not None else []
    if len(aspects) == 1 and "aspect" not in frame.filters:
        return {**frame.filters, "aspect": aspects[0]}
    return frame.filters


def answers_on_data(registry: Registry, frames: list[Frame]) -> list[Frame]:
    """The frames of the answers on the data (not on the method), oldest first."""
    return [f for f in frames if f.tool in registry and not registry.get(f.tool).fallback]


def gone_back_to(router: Router, text: str, frames: list[Frame]) -> Frame | None:
    """The earlier frame a turn goes back to ("quay lại roadmap lúc nãy", "back to the
    persona"), when it is not the last one: the latest of the tool named after "back to";
    naming none (or two: "quay lại phần đọc đánh giá, lập roadmap cho nó"), the latest answer
    on the data before a methodology question asked since."""
    folded = " ".join(words(fold(text)))
    back = BACK_TO.search(folded)
    registry = router.registry
    data = answers_on_data(registry, frames)
    if back is None or not data:
        return None
    named = _tools_named(folded[back.end():])
    if len(named) == 1 and (same := [f for f in data if f.tool == named[0]]):
        return same[-1] if same[-1] is not frames[-1] else None
    last = frames[-1]
    aside = last.tool in registry and registry.get(last.tool).fallback
    return data[-1] if aside else None


def _journey_named(router: Router, text: str, jid: str | None) -> bool:
    """Whether a text says a journey by its own name or a part of it ("bảo hành" of "Bảo hành
    và sửa chữa", "trade-in"), not only by one of its keywords ("return window", "store")."""
    journey = router.atlas.journey(jid) if jid else None
    if journey is None:
        return False
    tokens = words(fold(text))
    parts = [part for name in (journey.name.vi, journey.name.en, journey.id.replace("-", " "))
             for part in re.split(r"\s+(?:và|and)\s+", name)]  # fmt: skip
    return any(fuzzy_contains(tokens, norm(part)) for part in parts)


# "gộp cả tháng 6 vào", "include June as well": the period grows instead of being replaced.
_INCLUDE = re.compile(r"\b(include|including|add|also|as well|too|gop|them ca|ca .{1,12} nua|"
                      r"bao gom ca|cong them)\b")


def _widened(context: Frame, slots: Slots, text: str) -> dict[str, Any]:
    changes = dict(slots.filters)
    old_s, old_e = context.filters.get("start"), context.filters.get("end")
    if slots.before_that and old_s and old_e and "start" not in changes:
        changes["start"], changes["end"] = unit_before(old_s, old_e, slots.before_that[0])
    if changes.get("end") and "start" not in changes and old_s and changes["end"] >= old_s:
        changes["start"] = old_s  # "cap it at the end of May": it ends there, from where it began
    new_s, new_e = changes.get("start"), changes.get("end")
    if old_s and old_e and new_s and new_e and _INCLUDE.search(" ".join(words(fold(text)))):
        changes["start"], changes["end"] = min(old_s, new_s), max(old_e, new_e)
    return changes


def _told(tool: str, slots: Slots) -> dict[str, Any]:
    """The filters a turn names, for `tool`: a decision's words ("charging for delivery",
    "bán combo phụ kiện kèm máy") are not filters, and an aspect or a persona read in them
    would narrow the five questions to what was never asked; nor is the date it takes effect
    ("từ quý 4", "from September": a start without an end) the period of the feedback."""
    if tool != "five_questions":
        return dict(slots.filters)
    dropped = {"aspect", "persona"} | ({"start", "end"} if slots.open_start else set())
    return {k: v for k, v in slots.filters.items() if k not in dropped}


def _replaced_group(registry: Registry, context: Frame, slots: Slots) -> set[str]:
    """For a tool about one group of people (a persona draft), the group the frame had when
    a turn names the other kind ("làm lại cho nhóm lớn tuổi" after a persona): replaced, not
    kept beside it."""
    named = _PEOPLE & set(slots.filters)
    if not registry.get(context.tool).one_subject or len(named) != 1:
        return set()
    return (_PEOPLE - named) & set(context.filters)


def _scope(slots: Slots) -> bool:
    return any(k in slots.filters for k in _SCOPE_KEYS)


def _periods_only(router: Router, slots: Slots, folded: str) -> bool:
    """Whether a comparing turn names nothing but periods: "compared" alone reads as the
    research journey (its keyword), not said once the comparing words are left out."""
    named = set(slots.filters) - {"start", "end"}
    if named == {"journey"}:
        said = router.names.entities(COMPARING.sub(" ", folded)).get("journey") or []
        return slots.filters["journey"] not in {jid for jid, _ in said}
    return not named


def _aside_beside(router: Router, slots: Slots) -> bool:
    """Whether a turn's words besides the filters it names are plainly off-topic: "ai vô
    địch world cup 2018 vậy" names a year, yet asks nothing of the data ("à nhầm, ý mình là
    quý 1" is, without its period, no question of its own)."""
    rest = slots.rest.strip()
    if not rest:
        return False
    pred = router.classify(rest)
    return pred.label == OUT_OF_SCOPE and pred.confidence >= ASIDE_REST


def _only_described(router: Router, slots: Slots, text: str) -> bool:
    """Whether all a turn names is a step found by meaning, no name said ("ai biết tối nay
    MU đá mấy giờ" is near "Hẹn giờ giao" by its words, not by what it asks)."""
    scope = {k for k in _SCOPE_KEYS if k in slots.filters}
    said = router.names.entities(text)
    return bool(scope) and scope <= {"step", "journey"} and not ({"step", "journey"} & set(said))


def _from_args(args: dict[str, Any], slots: Slots) -> dict[str, Any]:
    """A command's arguments as frame filters (a step as JOURNEY.STEP), plus the filters
    the text names. When the slots read a scope ("pain point khi khách mua thêm phụ kiện"),
    they decide it: they know compounds, steps by meaning and an aspect that only describes
    the step; the command's own reading fills in only when they found none."""
    filters = dict(slots.filters)
    if _scope(slots):
        return filters
    for key in ("journey", "aspect", "persona", "source", "segment"):
        if args.get(key):
            filters[key] = args[key]
    if args.get("step") and args.get("journey"):
        filters["step"] = f"{args['journey']}.{args['step']}"
    return filters


def _routed(
    router: Router,
    frame: Frame,
    act: str,
    text: str,
    previous: Frame | None,
    slots: Slots,
    command: Route | None = None,
    confidence: float = 1.0,
) -> Route:
    """The route that runs `frame`: the tool's arguments from its filters, the filters it
    cannot apply said, what changed shown; a missing required name asked for."""
    registry = router.registry
    spec = registry.get(frame.tool)
    fields = spec.input_model.model_fields
    args, aside = args_for(registry, frame, text, act, previous)
    if command is not None:  # a command's own words are its arguments (`five delivery …`)
        # ... except the scope, when the slots read one (see _from_args)
        own = {k: v for k, v in command.args.items() if k in fields
               and not (_scope(slots) and k in (*_SCOPE_KEYS, "step"))}  # fmt: skip
        args = {**own, **args}
    unapplied = list(slots.unapplied)
    if slots.before_that and not (previous and previous.filters.get("start")
                                  and previous.filters.get("end")):  # fmt: skip
        unapplied.append(f"{slots.before_that[1]} (no period to go back from)")
    if act != "language" and _WRITTEN_IN.search(" ".join(words(fold(text)))):
        frame = frame.model_copy(update={"lang": language_asked(text), "lang_set": True})
    elif (least := _OWN_LANGUAGE_WORDS.get(act)) and (own := own_language(text, least)):
        frame = frame.model_copy(update={"lang": own})
    lang = frame.lang
    if slots.ambiguous_journeys and "journey" in fields and act in ("new", "switch_tool") and (
            not spec.situated):  # a decision's two journeys are its own to place
        return Route(tool=frame.tool,
                     clarify=_which_journey(router, slots.ambiguous_journeys, lang),
                     reason="two journeys match equally", frame=previous, act="clarify")
    missing = [n for n, f in fields.items() if f.is_required() and n not in args]
    route = Route(tool=frame.tool, args=args, reason=act, unapplied=unapplied, aside=aside,
                  unread=slots.unread, frame=frame, act=act,  # type: ignore[arg-type]
                  confidence=confidence)  # fmt: skip
    if missing == ["journey"] and "journey" in slots.removed:
        # A summary or a roadmap is of one journey: across all of them, the complaints on the
        # same scope (the question below offers it; the change is shown).
        across = frame.model_copy(update={"tool": "pain_points"})
        return _routed(router, across, "switch_tool" if previous else "new", text, previous,
                       slots, command, confidence)
    if missing:
        # "roadmap for it" after camera complaints: the journeys whose steps its comments
        # speak of come first, and are said to be so
        aspect = router.atlas.aspect(frame.filters.get("aspect") or "")
        where = list(dict.fromkeys(s.split(".")[0] for s in aspect.steps)) if aspect else []
        journeys = sorted(router.atlas.journeys,
                          key=lambda j: where.index(j.id) if j.id in where else len(where))
        names = ", ".join(j.name.get(lang) for j in journeys)
        what = "journey" if "journey" in missing else missing[0]
        route.clarify = (f"Cho {'hành trình' if what == 'journey' else what} nào? {names}"
                         if lang == "vi" else f"For which {what}? {names}")  # fmt: skip
        if aspect is not None and what == "journey" and where:
            said = ", ".join(j.name.get(lang) for j in journeys if j.id in where)
            name = aspect.name.get(lang)
            route.clarify += (f" (bình luận về {name} nói đến các bước của: {said})"
                              if lang == "vi" else
                              f" (comments on {name} speak of steps of: {said})")  # fmt: skip
        if what == "journey":
            route.clarify += (" — hoặc “tất cả hành trình” để xem các vấn đề khách nêu trên "
                              "mọi hành trình."
                              if lang == "vi" else
                              " — or “all journeys” for what customers complain about across "
                              "them.")  # fmt: skip
    return route


def _which_journey(router: Router, pair: tuple[str, str], lang: Lang) -> str:
    journeys = [router.atlas.journey(i) for i in pair]
    a, b = (j.name.vi if lang == "vi" else j.name.en if j else i
            for j, i in zip(journeys, pair, strict=True))  # fmt: skip
    return (f"Bạn muốn nói hành trình nào: “{a}” hay “{b}”?" if lang == "vi"
            else f"Which journey do you mean: “{a}” or “{b}”?")  # fmt: skip


def args_for(
    registry: Registry, frame: Frame, text: str, act: str, previous: Frame | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The arguments of the frame's tool from the frame's filters, and the filters it has no
    field for (kept in the frame, said as not applied by name, never dropped silently)."""
    spec = registry.get(frame.tool)
    fields = spec.input_model.model_fields
    f = frame.filters
    args: dict[str, Any] = {}
    aside: dict[str, Any] = {}
    for key, value in f.items():
        if key == "step":
            if "step" in fields and f.get("journey"):
                args["step"] = str(value).split(".", 1)[-1]
                args["journey"] = f["journey"]
            else:
                aside["step"] = value
        elif key in fields:
            args[key] = value
        elif key != "sentiment":
            aside[key] = value
    if spec.free_text and spec.free_text not in args:
        if spec.fallback:
            # "now in English": the same question again; "more on CES": the question and
            # what to say more about.
            question = frame.text if act == "language" else text
            if act == "more" and previous is not None and text.strip() != frame.text:
                question = f"{frame.text} {text}"
            args[spec.free_text] = question
        elif spec.name == "five_questions":
            # A decision is matched to a step; after an edit that changed the journey the
            # old decision no longer applies: the journey's own steps answer.
            if "step" not in args and (act == "new" or "journey" not in args):
                args["situation"] = frame.text or text
        elif act != "edit" and not (set(args) & {"persona", "journey", "aspect", "segment"}) and (
            not _BACK.search(" ".join(words(fold(text))))
        ):
            # (An edit took a filter away: the request's words must not bring it back.)
            rest = strip_command_words(frame.text or text)
            if rest:
                args[spec.free_text] = rest
    if act == "more":
        folded = " ".join(words(fold(text)))
        rank = item_asked(" ".join(fold(text).lower().split()))  # keeps "#"
        if rank is not None and "focus" in fields:  # "the comments behind #2"
            args["focus"] = rank
        elif "top" in fields:  # "more quotes": more of the ranking
            args["top"] = 10
        if _WHY.search(folded) and "explain" in fields:  # "why?": the evidence behind it
            args["explain"] = True
    if spec.name == "pain_points" and f.get("sentiment"):
        args["sentiment"] = f["sentiment"]
    return args, aside
