"""The filters a request names, whatever tool it goes to: atlas names (journey, step,
aspect, persona), a source file, the period, star ratings and the segment, the filters the
data cannot apply (age, gender, channel, city), and the filters a follow-up takes away
("all ratings again", "bỏ lọc sao").

Words that are part of a longer word are not filters ("giá" in "đánh giá" is not the price
aspect); the direction of a purchase counts ("parents buying for their kids" are not the
buyers for their parents).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from assistant.atlas.model import OVERALL_ASPECT
from assistant.atlas.names import FUNCTION_WORDS, AtlasNames, norm
from assistant.core.text import expand_shorthand, fold, nfc, words
from assistant.feedback.cues import fold_aligned

if TYPE_CHECKING:
    from assistant.agent.steps import FindStep

# Closed word lists below, not learned: they name grammar (compounds, removal verbs, the
# direction of "for"), which a few thousand utterances cannot teach reliably.

# Vietnamese compounds that contain a one-syllable aspect name but mean something else:
# "đánh giá" (a review, a rating), "giá trị" (value), "tăng giá trị" ...; "máy sạc" stays.
# "look at" (a verb, not the design aspect's "look"). "Đánh giá chung" is the overall verdict
# aspect's own name. "vấn đề" (a problem): unaccented, "phần vấn đề" reads "phân vân" (to
# hesitate, a word of the research journey).
_COMPOUNDS = re.compile(r"\b(danh gia(?! chung)|gia tri|tri gia|dang gia tien|"
                        r"song song|do dang|mau ma|loa phuong|look at|look into|look through|"
                        r"take a look|a look|van de)\b")  # fmt: skip
# The asker's own verb of comparing, opening the request ("compare …", "to compare, give me
# …", "so sánh …") or after the asker's need ("I need to compare …", "mình muốn so sánh …"),
# which is also a word of the research journey's name ("Tìm hiểu và so sánh"); "khách so sánh
# giá …" is the customers comparing.
_COMPARE = re.compile(r"^(?:(?:now|then|ok|okay|so|please|pls|can you|could you|hay|giup minh|"
                      r"thu|gio|bay gio|to|in order to|de)\s+){0,2}(?:compare|so sanh)\b|"
                      r"\b(?:i|we|minh|em|toi|anh|chi)(?:\s+|'|’)(?:need|want|would like|d like|"
                      r"have|muon|can|phai|dang)\s+(?:to\s+)?(?:compare|so sanh)\b")
# Two things set against each other: "online vs in-store", "bảo hành so với giao hàng".
_VERSUS = re.compile(r"\b(?:vs|versus|so voi|compared (?:to|with)|against)\b")
# A follow-up that takes a filter away: "all ratings again", "bỏ lọc sao", "remove the date
# filter", "lấy toàn bộ", "drop the student filter".
# "hủy" after "bị / đã / được" is a cancelled order ("order bị hủy"), not a removal.
_REMOVE_VERB = (r"(?:remove|drop|clear|reset|forget|without|no more|bo|xoa|khong can|"
                r"(?<!bi )(?<!da )(?<!duoc )huy|go bo)")
_REMOVALS: dict[str, re.Pattern[str]] = {
    "stars": re.compile(
        r"\b(all (star )?ratings|any rating|every rating|all stars|moi (muc )?sao|tat ca (cac )?"
        r"(muc )?sao|khong loc sao|ca \d sao|tat ca danh gia)\b|\b" + _REMOVE_VERB
        + r"\b.{0,20}\b(sao|stars?|ratings?|star filter|rating filter)\b"),
    "period": re.compile(
        r"\b(all time|any time|whole period|all dates|all periods|toan bo thoi gian|moi thoi gian|"
        r"tat ca thoi gian|lay toan bo|ca giai doan)\b|\b" + _REMOVE_VERB
        + r"\b.{0,20}\b(date|dates|period|time|year|month|quarter|moc thoi gian|thoi gian|thang|"
          r"ngay|nam|quy|ky)\b"),
    "segment": re.compile(
        r"\b(all customers|everyone|moi khach|tat ca khach( hang)?)\b|\b" + _REMOVE_VERB
        + r"\b.{0,25}\b(segment|group|student|students|gamer|gamers|nhom|sinh vien|game thu|"
        r"filter nhom)\b"),
    "aspect": re.compile(r"\b(all aspects|every aspect|any aspect|tat ca (cac )?khia canh|"
                         r"moi khia canh)\b|\b" + _REMOVE_VERB
                         + r"\b.{0,20}\b(aspect|khia canh)\b"),
    "persona": re.compile(r"\b" + _REMOVE_VERB + r"\b.{0,20}\b(persona|chan dung)\b"),
    # "clear all filters", "bỏ hết bộ lọc đi", "xóa tất cả filter", "reset the filters"
    "all": re.compile(r"\b" + _REMOVE_VERB + r"\b\s+(?:het\s+|tat\s+ca\s+|all\s+(?:the\s+)?|"
                      r"every\s+|the\s+)?(?:cac\s+)?(?:filters|filter|bo\s+loc|loc)\b(?!\s+\w*\s*"
                      r"(?:sao|ngay|thoi\s+gian|nhom|date|star|period|segment|aspect|persona|"
                      r"buoc|step))(?:\s+(?:het|di|nhe|nha|luon))*\s*$"),
    # "all journeys", "tất cả các hành trình", "mọi hành trình" ("cả hành trình" is one
    # whole journey: the step below).
    "journey": re.compile(r"\b(?:all(?: the| of the)?|every|tat ca(?: cac| nhung)?|moi|het|"
                          r"toan bo cac|across(?: all)?(?: the)?) (?:journeys|hanh trinh)\b|"
                          # "thôi bỏ hành trình đi", "drop the journey filter"
                          r"\b" + _REMOVE_VERB + r"\b(?: \w+)?? (?:journey|hanh trinh)\b"
                          r"(?! \w+ \w+)"),
    "step": re.compile(r"\b(?:whole|entire|all of the|toan bo|ca|toan)\s+(?:\w+\s+){0,3}?"
                       r"(?:journey|hanh trinh|quang|qua trinh|chang)\b|\b" + _REMOVE_VERB
                       + r"\b.{0,15}\b(step|buoc)\b"),
}  # fmt: skip
# "exact dates only", "chỉ lấy ngày chính xác", "bỏ ngày ước tính": leave out the comments
# whose dates were estimated from relative phrases (what the scope line offers).
_EXACT_DATES = re.compile(
    r"\b(?:exact dates?|exactly dated|(?:only|just)\b.{0,25}\b(?:real|actual|known) dates?|"
    r"(?:leave|drop|remove|exclude|without|no|skip)\b.{0,45}\bestimated\b|ngay chinh xac|"
    r"ngay that|(?:bo|loai|khong lay|khong tinh|tru)\b.{0,30}\bngay uoc tinh)\b"
)
_ASPECT_ASKED = re.compile(r"\b(aspect|khia canh|filter|loc|only|chi)\b")
_NAMED_REMOVED = re.compile(r"\b" + _REMOVE_VERB + r"\b.{0,25}\b(filter|loc|focus)\b|"
                            r"\b(bo|xoa) loc\b|"
                            # "bỏ phần màn hình", "drop the camera part": a part of the scope
                            r"\b" + _REMOVE_VERB + r"\s+(?:the\s+)?(?:phan|cai|mang|vu|chuyen)\b")
_REMOVED_KEYS = {"stars": ("min_rating", "max_rating"), "period": ("start", "end"),
                 "segment": ("segment",), "aspect": ("aspect",), "step": ("step",),
                 "journey": ("journey", "step"),
                 "all": ("journey", "step", "aspect", "segment", "persona", "min_rating",
                         "max_rating", "start", "end", "source", "exact_dates"),
                 "persona": ("persona",)}  # fmt: skip
# Buying for one's children: the parents named are the buyers, not the people bought for.
_FOR_KIDS = re.compile(r"\b(for (their|his|her|my|our) (kids|children|child|son|daughter|teen)s?|"
                       r"for kids|for children|cho (con|con cai|cac con|be)( minh| ho)?\b|"
                       r"mua may cho con)")  # fmt: skip
_FOR_ELDERS = re.compile(r"\b(?:cho|for)\s+(?:\w+\s+){0,4}?(?:ong ba|ba noi|ong noi|ba ngoai|"
                         r"ong ngoai|nguoi gia|nguoi lon tuoi|grandparents|elderly (?:parents|"
                         r"relatives))\b")
_PARENT_WORDS = re.compile(r"\b(parents?|bo me|ba me|cha me|phu huynh)\b")
# Buying for employees: the organisation persona (B2B), whatever words name it.
_FOR_STAFF = re.compile(
    r"\b(for (their|its|our|the) (staff|employees|team|workers)|for staff|for employees|"
    r"business customers?|corporate (customers?|clients?|buyers?)|b2b|"
    # bought or issued for the staff, not handed to a staff member ("đưa máy cho nhân viên")
    r"(?:(?:doanh nghiep|cong ty) )?(?:mua|cap|trang bi|sam|dat)\s+(?:\S+\s+){0,3}?"
    r"cho (?:cac |toan bo )?nhan vien|khach doanh nghiep|doanh nghiep mua|cong ty mua|"
    r"khach hang doanh nghiep|khach to chuc)\b"
)
# "swap students for gamers", "thay sinh viên bằng game thủ", "gamers instead of students".
_SWAP = re.compile(r"\b(?:swap|replace|change|switch|thay|doi)\b.{1,30}?\b(?:for|with|to|by|bang|"
                   r"sang|thanh)\s+(?P<new>.+)$|^(?P<new2>.+?)\s+(?:instead of|thay vi)\b")
# The request says it is about a step without naming one the atlas knows by name.
# "bước này", "that step" point back; "khâu giao hàng" names the journey, not a step: a step
# is described only when words other than the journey's own follow. "lúc/khi/when ...":
# customers' own words for a step ("lúc chờ sửa máy bảo hành"), dialogue writer C.
# "trước khi chốt" (before deciding) is a conjunction, not a moment.
# "which step of …", "bước nào": a step asked for, not told.
_STEP_WORD = re.compile(r"(?<!which )(?<!what )\b(?:buoc|step|khau|khuc|cong doan|moment|"
                        r"when they|luc|(?<!truoc )khi|when|part where|while|during)\b"
                        r"(?!\s+(?:nay|do|ay|kia|nao|this|that|these|those|it)\b)"
                        r"(?P<after>(?:\s+\w+){2,})")
# What the data is called ("đánh giá", "reviews"): beside a star filter it names the data
# filtered, not the step where customers read reviews.
# The data itself ("các đánh giá về pin", "reviews with 1 star"), not the research steps of
# reading or watching reviews ("đọc đánh giá", "xem video đánh giá", "read reviews").
_REVIEWS = re.compile(r"(?<!doc )(?<!xem )(?<!video )(?<!read )(?<!watch )(?<!buyer )"
                      r"\b(danh gia|reviews?|ratings?|comments?|binh luan|nhan xet|phan hoi)\b")
# "back to …", "quay lại …", "trở lại …": going back to an earlier answer ("quay lại roadmap
# lúc nãy", "back to the persona"); "a back-to-school campaign" goes back to nothing.
BACK_TO = re.compile(r"\b(?:back to|go back to|quay lai|tro lai|ve lai)\b(?! school| basics)")
_JOURNEY_SAID = re.compile(r"\b(?:hanh trinh|journey)\b")
_AS_A_WHOLE = re.compile(r"\s+(?:noi chung|in general|as a whole)\b")
_STEP_LAST = re.compile(r"(?P<before>(?:\w+\s+){2,4})step\s*$")
_MOMENT_WORDS = {"moment", "luc", "khi", "when", "while", "during"}
_CLAUSE = re.compile(r"[,;:.!?()]")
_STEP_NOUNS = {"buoc", "step", "khau", "cong"}  # "công đoạn"
_PARTICLES = frozenset("vay di nhe nha thoi a ha nhi luon day nao the ne voi giup gium thi sao "
                       "gi nhu ra".split())
_SAYS_STEP = re.compile(r"\b(?:buoc|step|khau|khuc)\b")
_STEP_NAMED = re.compile(r"\b(?:buoc|step)\s+(.+?)(?=\?|$|\s(?:khi|when|trong|in|tai|sau)\s)")
_SOURCE = re.compile(r"\bsource:(\S+)")
# A pointer and the noun it points with ("these shoppers", "that group", "nhóm này", "bước
# đó", "the other store"): the last answer's scope or something said before, not a new name
# ("shoppers" is no store journey here).
_POINTED = re.compile(r"\b(?:this|that|these|those|other|another)\s+\w+|"
                      r"\b(?:nhom|buoc|trinh|cai|vu|khau|phan|doan|khach|nguoi|hang|de)\s+"
                      r"(?:nay|do|ay|kia)\b")

# What to do first ("nên ưu tiên sửa cái gì trước", "what do we fix first"): the order of
# work a roadmap gives; "sửa" here is fixing, not the repair step.
WHAT_FIRST = re.compile(r"\b(?:fix|sua|lam|xu ly|cai thien|giai quyet|tackle)\s+"
                        r"(?:(?:cai|we|the)\s+)?(?:gi|what|\w+\s+)?\s*(?:truoc|first)\b|"
                        r"\buu tien (?:sua|lam|fix|xu ly|cai thien) (?:cai )?gi\b")

# What a correction says it is not ("ý mình là mua online chứ không phải giao hàng", "I meant
# buying online, not delivery"), said last: nothing to read there.
_NOT_THAT = re.compile(r"\b(?:chu\s+)?khong\s+phai(?:\s+la)?(?:\s+\w+){1,5}\s*\W*$|"
                       r",\s*(?:not|rather\s+than|instead\s+of)(?:\s+\w+){1,4}\s*\W*$")

# A correction's own words ("à không, dưới 3 sao mới đúng"): "mới" is no new phone there.
_CORRECTION = re.compile(r"\b(?:moi|thi moi)\s+(?:dung|phai|chuan|chinh xac)\b|^\W*a\s+khong\b")

# "bước 3 trong lộ trình", "step 2 of the plan", "bước thứ hai", "the third step": an item of
# an answer; the journeys' steps are never told by number.
_NUMBERED = re.compile(r"\b(?:buoc|step)\s+(?:\d{1,2}|(?:thu\s+)?(?:nhat|hai|ba|tu|nam|sau)|"
                       r"dau tien|one|two|three|four|five)\b|"
                       r"\b(?:first|second|third|fourth|fifth) step\b")

# Who the answer is for ("for the store team", "gửi team cửa hàng"): an audience, not a scope.
_AUDIENCE = re.compile(r"\b(?:for|to)\s+(?:the|my|our)\s+(?:\w+\s+){0,2}"
                       r"(?:teams?|department|dept|managers?|directors?|boss|bosses|heads?|"
                       r"leads?|leaders?|board|execs?|executives?)\b|\b(?:cho|gui|de gui)\s+"
                       r"(?:(?:cac|nhung|may|ca)\s+)?(?:team|doi|phong|bo phan|anh em|sep|"
                       r"quan ly|giam doc|truong phong|ban giam doc|cua hang truong|"
                       r"truong (?:nhom|vung))(?:\s+(?:trung tam|cua hang|chi nhanh|"
                       # "cho quản lý trung tâm bảo hành"
                       r"khu vuc|vung|mien|kho))?(?:\s+\w+){0,2}")

# When the asker must do something ("Tuần này mình phải trình bày với giám đốc: …", "This week
# I need to brief the director: …"): their deadline, not the period of the data.
_WORK_TIME = re.compile(r"\b(?:tuan nay|hom nay|thang nay|sang nay|chieu nay|toi nay|ngay mai|"
                        r"sang mai|chieu mai|tuan sau|tuan toi|cuoi tuan|cuoi thang|this week|"
                        r"today|tonight|tomorrow|next week|this afternoon)\b(?=(?:\s+\w+){0,2}\s+"
                        r"(?:phai|can|se|sap|need|needs|have to|has to|must|will|gotta|am)\b)")


@dataclass
class Slots:
    """What a request names, as frame filters; `removed` are filter keys it takes away."""

    filters: dict[str, Any] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    unapplied: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    ambiguous_journeys: tuple[str, str] | None = None
    no_reference: bool = False
    # The request without the phrases read as filters: what it asks beside them ("restrict
    # to the daily use journey" -> "restrict to the").
    rest: str = ""
    # "the month before", "quý trước đó": (unit, words), the unit before the frame's period
    # (dialogue.py).
    before_that: tuple[str, str] | None = None
    # "since June", "từ quý 4": a period said by its start alone (its end is the latest date)
    open_start: bool = False

    def __bool__(self) -> bool:
        return bool(self.filters or self.removed or self.before_that)


def without_going_back(text: str) -> str:
    """`text` with its words of going back ("quay lại", "back to") blanked, offsets kept:
    they tell where the conversation goes, not a customer's moment ("quay lai" alone reads
    as customers coming back, the loyalty perks)."""
    return _blank(text, BACK_TO)


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """`text` with what `pattern` finds in its folded form blanked (offsets kept)."""
    folded = fold_aligned(text).lower()
    for m in pattern.finditer(folded):
        text = text[: m.start()] + " " * (m.end() - m.start()) + text[m.end():]
    return text


def consume_names(names: AtlasNames, text: str, kind: str, pid: str) -> str:
    """`text` without the words of the entity's names found in it, so that they name
    nothing else ("người mua online lần đầu" is a persona, not also the online journey)."""
    phrases = sorted(set(names.of(kind, pid)), key=len, reverse=True)
    first = len(text)  # where the first of them starts
    for phrase in phrases:
        pattern = re.compile(r"(?<!\w)" + r"\W+".join(map(re.escape, phrase.split()))
                             + r"\w*(?!\w)")  # fmt: skip
        if m := pattern.search(fold_aligned(text).lower()):
            first = min(first, m.start())
        text = _blank(text, pattern)
    if kind == "persona" and first < len(text):
        # A persona's names say what its people do ("Người mua online lần đầu"): the rest of
        # its clause is still about them ("khách lần đầu mua điện thoại online"), unlike a
        # journey named before ("hành trình mua online cho người mua online lần đầu").
        own = {w for p in phrases for w in p.split()} - FUNCTION_WORDS - _ANYONE
        end = next((m.start() for m in _CLAUSE.finditer(text, first)), len(text))
        if own:
            said = re.compile(r"\b(?:" + "|".join(map(re.escape, own)) + r")\b")
            text = text[:first] + _blank(text[first:end], said) + text[end:]
    return text


# What every persona's name may say of its people: no sign of which one, or of a journey.
_ANYONE = frozenset("mua buy buys buyer buyers buying khach hang nguoi customer customers "
                    "people may phone phones dien thoai".split())
# The words around the names of a turn that only names filters ("với kh mua máy cho ba mẹ",
# "còn nhóm sinh viên thì sao", "and for gamers?"): they ask for nothing else.
FILLER_WORDS = FUNCTION_WORDS | _PARTICLES | _ANYONE | frozenset(
    "con nhom kh chi ma nao only just what about how those them who ca".split())


def persona_named(names: AtlasNames, text: str,
                  ents: dict[str, list[tuple[str, float]]] | None = None) -> str | None:
    """The persona `text` names: the organisation for any wording of buying for staff, none
    for parents buying for their kids, else the atlas name found (`ents`: already found)."""
    ents = names.entities(text) if ents is None else ents
    persona = ents["persona"][0][0] if ents.get("persona") else None
    folded = " ".join(words(fold(text)))
    if _FOR_STAFF.search(folded):
        return _organisation(names) or persona
    if persona and _FOR_KIDS.search(folded) and _PARENT_WORDS.search(folded):
        return None  # parents buying for their kids are not buyers for their parents
    return persona


def _most_told(names: AtlasNames, text: str,
               journeys: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Journeys named alike, the one told in more clauses first and alone ("our warranty
    centre is full … outsource warranty repairs …, our stores only collect": warranty);
    as they were when no one is told more often."""
    told = Counter(j for clause in _CLAUSE.split(text)
                   for j, _ in names.entities(clause).get("journey", []))  # fmt: skip
    (first, n), (_, m) = (told.most_common(2) + [("", 0), ("", 0)])[:2]
    if n > m and first in dict(journeys):
        return [(first, dict(journeys)[first] + 0.5)] + [(j, s) for j, s in journeys if j != first]
    return journeys


def _said_as_much(names: AtlasNames, text: str, journey: str, step: str) -> str | None:
    """The step of `journey` whose own words `text` says at least as much as those of
    `step` (a step of another journey), if any."""
    shares = names.says_step(text)
    own = [(sid, share) for sid, share in shares if sid.startswith(f"{journey}.")]
    return own[0][0] if own and own[0][1] >= dict(shares).get(step, 0.0) else None


def read_names(names: AtlasNames, text: str) -> dict[str, Any]:
    """Journey, step (JOURNEY.STEP), aspect, persona and source named in `text`. Each name
    takes its words: what a persona's or a step's name says is not read again as a journey
    or an aspect."""
    out: dict[str, Any] = {}
    if source := _SOURCE.search(text):  # a file name is not a journey name
        out["source"] = source.group(1)
        text = text.replace(source.group(0), " ")
    said = nfc(text)
    text = _blank(said, _COMPOUNDS)
    folded = " ".join(words(fold(text)))
    ents = names.entities(text)
    if text != said and not ents.get("step") and (
        named_whole := names.entities(said).get("step")
    ):
        # The compounds are kept from the aspects only: "xem video đánh giá" is a step's name.
        ents["step"] = named_whole
    persona = persona_named(names, text, ents)
    if _FOR_STAFF.search(folded):
        text = _blank(text, _FOR_STAFF)
    if persona:
        out["persona"] = persona
        text = consume_names(names, text, "persona", persona)
        ents = names.entities(text)
    journeys = ents.get("journey", [])
    if journeys and _COMPARE.search(folded):
        # "compare warranty complaints in June vs July", "so sánh phàn nàn về pin năm 2019 và
        # 2020": the asker compares; the journey of customers comparing phones is named only
        # when its words remain without the verb.
        without = names.entities(_blank(text, _COMPARE))
        if without.get("journey") or len(journeys) == 1:
            ents = without
            journeys = ents.get("journey", [])
    steps = ents.get("step", [])
    if len(journeys) > 1 and journeys[0][1] == journeys[1][1] and not _VERSUS.search(folded):
        journeys = _most_told(names, text, journeys)
    if len(journeys) > 1 and (journeys[0][1] == journeys[1][1] or _VERSUS.search(folded)):
        # Two named alike, or set against each other ("online vs in-store"): one journey
        # filter cannot hold both, so which one is asked, not the better match kept.
        out["_ambiguous"] = (journeys[0][0], journeys[1][0])
    journey = journeys[0][0] if journeys else None
    step = steps[0][0] if steps else None
    if step and journey and not step.startswith(f"{journey}."):
        # A step of another journey: trust the step when it matches better (a tie, as a
        # one-word step name against the journey named, "online shoppers … pay", keeps it);
        # unless the journey named has a step of its own whose words are said as much
        # ("setting up the phone and transferring data at the store": the store's set-up,
        # not the delivered phone's data transfer).
        if own := _said_as_much(names, text, journey, step):
            step = own
        else:
            journey = step.split(".")[0] if steps[0][1] > journeys[0][1] else journey
            step = step if step.startswith(f"{journey}.") else None
    if not step and (named := _STEP_NAMED.search(folded)):
        step = names.resolve("step", named.group(1), within=journey)
    if not step and _SAYS_STEP.search(folded):
        # "the trade-in valuation step": the one step all of whose own words are said.
        whole = [sid for sid, share in names.says_step(text)
                 if share == 1.0 and (journey is None or sid.startswith(f"{journey}."))]
        step = whole[0] if len(whole) == 1 else None
    if step:
        journey = step.split(".")[0]
        out["step"] = step
        if not _VERSUS.search(folded):  # the step's journey settles two equal journey names
            out.pop("_ambiguous", None)
        text = consume_names(names, text, "step", step)
        ents = names.entities(text)
    if journey and not step and persona and _only_negated(names, text, "journey", journey):
        # "bận rộn, không có thời gian ra cửa hàng", "never has time to go to a store": what
        # the persona's people do not do says who they are; it is no journey filter.
        text = consume_names(names, text, "journey", journey)
        ents = names.entities(text)
        journey = None
    before_journey = text
    if journey:
        out["journey"] = journey
        text = consume_names(names, text, "journey", journey)
        ents = names.entities(text)
    if ents.get("aspect"):
        # The overall verdict named beside another aspect ("dịch vụ và thái độ nhân viên nói
        # chung", "the camera overall"): its words say "on the whole"; the other is asked.
        # Another aspect counts only outside the verdict's own name ("giá" of "đánh giá chung").
        named = [a for a, _ in ents["aspect"]]
        if OVERALL_ASPECT in named and len(named) > 1:
            rest = consume_names(names, text, "aspect", OVERALL_ASPECT)
            named = [a for a, _ in names.entities(rest).get("aspect", [])] or [OVERALL_ASPECT]
        out["aspect"] = next((a for a in named if a != OVERALL_ASPECT), named[0])
        text = consume_names(names, text, "aspect", out["aspect"])
    if journey and not step and "aspect" in out and not _JOURNEY_SAID.search(folded) and (
        journey not in dict(names.entities(consume_names(
            names, before_journey, "aspect", out["aspect"])).get("journey", []))
    ):
        # "giá bán với khuyến mãi", "giá với trả góp": words of the price aspect as much as
        # of the online journey; said with the aspect, they name no journey (unless called
        # one: "dịch vụ trong hành trình bảo hành")
        out.pop("journey")
    out["_rest"] = text
    return out


# A negation a few words before a name: the text says they do NOT do it. Grammar, a list.
_NOT_DONE = re.compile(r"\b(?:khong|ko|chang|chua|never|not|no|dont|doesnt|cannot|cant|"
                       r"without|hardly|rarely|it khi|hiem khi)\b(?:\W+\w+){0,6}\W*$")


def _only_negated(names: AtlasNames, text: str, kind: str, eid: str) -> bool:
    """Whether every place `text` names the entity is negated ("never has time to go to a
    store"); False when it is named nowhere as a phrase."""
    folded = fold_aligned(nfc(text)).lower()
    starts = [m.start() for name in names.of(kind, eid)
              for m in re.finditer(r"(?<!\w)" + r"\W+".join(map(re.escape, name.split()))
                                   + r"(?!\w)", folded)]  # fmt: skip
    return bool(starts) and all(_NOT_DONE.search(folded[max(0, s - 60):s]) for s in starts)


def _organisation(names: AtlasNames) -> str | None:
    """The atlas persona named 'b2b' (the organisation buying for its staff), if any."""
    return next((p.id for p in names.phrases if p.kind == "persona" and p.text == "b2b"), None)


# Words every journey's moments share ("khi mua hàng online", "when they use the phone"):
# after "khi/when" they say which journey, not which step.
_ANY_JOURNEY = frozenset("mua hang may dien thoai dung su khach buy buys buying bought phone "
                         "phones use uses using customer customers they ho".split())


# Words that name people in general, not which people ("khách", "người", "mấy bạn").
_PEOPLE = frozenset("khach hang nguoi may ban cac nhung customers customer people users user "
                    "buyers buyer nhom".split())


# The question asked about a moment, which tells nothing of it: "thì …", "có vấn đề gì",
# "hay kêu ca gì", "gặp khó gì" (grammar, a closed set).
_ASKED_TAIL = re.compile(r"\s+(?:thi|co (?:van de|gi|bi|loi|kho khan)|"
                         r"(?:(?:hay|thuong|dang|co)\s+)?"
                         r"(?:keu ca|keu|than phien|than|phan nan|che|noi|gap|bi)\s+(?:\w+\s+)?"
                         r"(?:gi|nao|sao|the nao|ra sao))\b.*$")


def _described(names: AtlasNames, text: str, found: dict[str, Any]) -> bool:
    """Whether the text describes a step in words of its own ("the in-store stock check
    step", "bước khách nhận hàng từ shipper"), not only by the journey's name."""
    # The words after "khâu/lúc/when" up to the end of their clause: "… ở khâu bảo hành, mình
    # nên báo cáo gì?" names the journey; what follows the comma describes no step.
    m = next((hit for clause in _CLAUSE.split(text)
              if (hit := _STEP_WORD.search(norm(clause)))), None)  # fmt: skip
    if m is None:
        # "the in-store stock check step": the description before the word.
        tail = _STEP_LAST.search(norm(text))
        if tail is None:
            return False
        own = tail["before"]
        if found.get("journey"):
            own = norm(consume_names(names, own, "journey", found["journey"]))
        return len(set(own.split()) - FUNCTION_WORDS) >= 2
    # "khi mua online thì kêu ca gì", "khâu giao hàng có vấn đề gì không": the moment ends
    # where the question about it begins.
    after = _ASKED_TAIL.sub("", m["after"])
    if m[0].split()[0] in _MOMENT_WORDS and _says_step_name(names, after):
        # "lúc nhận hàng từ shipper": a moment told with most of a step's name is that step,
        # though the journey's words ("nhận hàng", "shipper") are in it; "khi bảo hành" is not.
        return True
    if found.get("journey"):
        after = norm(consume_names(names, after, "journey", found["journey"]))
    before = norm(text)[: m.start()].split()[-4:]
    own = [w for w in after.split() if w not in _ANY_JOURNEY]  # "chờ" folds to "cho" (for)
    # "chỉ khâu chờ sửa máy": after the word "step" itself, one word of its own is enough
    # ("khâu giao hàng vậy", "khâu bảo hành đi" name the journey and a particle).
    if m[0].split()[0] in _STEP_NOUNS and [w for w in own if w not in _PARTICLES]:
        return True
    return len(own) >= 2 or (m[0].startswith("step") and len(before) >= 2)


def _says_step_name(names: AtlasNames, text: str) -> bool:
    """Whether `text` says half or more of what some step's name says beyond its journey."""
    return any(share >= 0.5 for _, share in names.says_step(text))


def _persona_beyond(names: AtlasNames, persona: str | None, text: str, hits: list) -> bool:
    """Whether a persona is named by more than a segment's cue words ("dân văn phòng bận
    rộn" is the busy-professional persona; "students" alone is the students segment)."""
    if persona is None:
        return False
    folded = norm(text)
    longest = max(len(norm(text[h.start:h.end]).split()) for h in hits)
    return any(p.kind == "persona" and p.id == persona and len(p.text.split()) > longest
               and re.search(rf"(?<!\w){re.escape(p.text)}(?!\w)", folded)
               for p in names.phrases)  # fmt: skip


def _aspect_asked(text: str, named: list[str]) -> bool:
    """Whether the text asks for an aspect filter in words ("chỉ khía cạnh pin", "only the
    battery"): "only/chỉ" limits to the aspect when one of its names (`named`, folded)
    follows within a few words, not to a moment ("chỉ lúc chơi game nặng", "only when they
    pay") or to the ratings ("chỉ những đánh giá 1-2 sao"). "chị" (a form of address) folds to
    the same letters as "chỉ" (only): with diacritics typed, only "chỉ" counts."""
    folded = norm(text)
    found = set()
    for m in _ASPECT_ASKED.finditer(folded):
        after = folded[_past_focus(folded, m.end() + 1):]
        if _STEP_WORD.match(after) or _NAMED_STEP_AFTER.match(after):
            continue  # "only the price comparison step": a step, named by its words
        near = " ".join(after.split()[:4])
        if m[1] not in ("chi", "only") or any(f" {n} " in f" {near} " for n in named):
            found.add(m[1])
    if found - {"chi"}:
        return True
    typed = nfc(text).lower()
    return bool(found) and ("chỉ" in typed or fold(typed) == typed)


_NAMED_STEP_AFTER = re.compile(r"(?:\w+\s+){1,3}(?:step|stage)\b")
# Words between "only" and the moment it limits to ("chỉ tập trung vào lúc…", "only the part
# where…", "chỉ xem phần…"): they limit nothing themselves.
_FOCUS = re.compile(r"(?:(?:tap trung|focus|focusing|xem|look|looking|nhin|vao|on|at|the|phan|"
                    r"cai|moi|rieng|vi|ve)\s+){1,4}")


def _past_focus(folded: str, at: int) -> int:
    """Where the words after `at` begin once those of `_FOCUS` are passed."""
    m = _FOCUS.match(folded, at)
    return m.end() if m else at


def _aspect_about(names: AtlasNames, text: str, aspect: str) -> bool:
    """Whether the text asks about the aspect itself ("nói gì về thiết kế", "what do they
    say about the design", "có chê pin không", "think of the screen"), not with words that
    tell the step."""
    folded = norm(text)
    return any(re.search(r"\b(?:ve|about|regarding|of|che|than|khen|complain about|"
                         r"complaining about|praise)\s+(?:the\s+|mat\s+|phan\s+)?"
                         + re.escape(p) + r"\b", folded) for p in names.of("aspect", aspect))


# "bỏ cái lọc đó đi", "drop that filter", "undo the last filter": the filter the last turn
# added, whatever it was (the conversation knows: `last_added`).
_THAT_FILTER = re.compile(r"\b" + _REMOVE_VERB + r"\b\s+(?:cai\s+)?(?:loc|filter|bo loc)\s+"
                          r"(?:do|nay|vua roi|vua them|moi them|cuoi)\b|"
                          r"\b(?:undo|remove|drop) (?:that|the last|the new) "
                          r"(?:one|filter|change)\b")


def removes_that_filter(text: str) -> bool:
    """Whether a follow-up takes away the filter just added without naming it."""
    return _THAT_FILTER.search(norm(text)) is not None


def last_added(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """The filter keys a turn added or changed, from the frames before and after it."""
    return {k for k, v in after.items() if before.get(k) != v and k != "sentiment"}


# Folded, "bố mẹ" (parents), "bộ nhớ" (storage) and "bộ lọc" (the filters) read "bo" like
# "bỏ" (remove): "cho bố mẹ từ tháng 3" would take the period away.
_NOT_REMOVE_BO = re.compile(r"(?<!\w)(?:b[ốồổỗộòóõọơớờởỡợ]|bo(?=\s+(?:me|nho)\b))(?!\w)",
                            re.IGNORECASE)
_THE_FILTERS = re.compile(r"(?<!\w)bộ\s+lọc(?!\w)", re.IGNORECASE)


def removals(text: str) -> set[str]:
    """The filter keys a follow-up takes away, clause by clause: in "bỏ lọc sao, lấy từ
    tháng 3" the removal ends at the comma and the period is set, not taken away."""
    text = _NOT_REMOVE_BO.sub("bx", _THE_FILTERS.sub("filter", nfc(text)))
    clauses = [norm(clause) for clause in re.split(r"[,;.!?]", text)]
    whole = norm(text)  # "all" holds the turn to its end: "bộ lọc" (the filters) ends a clause
    return {k for name, pattern in _REMOVALS.items()
            if (pattern.search(whole) if name == "all" else
                any(pattern.search(clause) for clause in clauses))
            for k in _REMOVED_KEYS[name]}  # fmt: skip


def read_slots(
    names: AtlasNames,
    text: str,
    reference: date | None,
    book: Any,
    unread: list[str] | None = None,
    steps: FindStep | None = None,
    near: str | None = None,
) -> Slots:
    """Every filter `text` names (see the module docstring). `book` is the segments file."""
    text = expand_shorthand(text)
    from assistant.feedback.request_filters import parse_filters

    slots = Slots(unread=list(unread or []))
    parsed = parse_filters(_blank(text, _WORK_TIME), reference, book=book)
    audience = [m.span() for m in _AUDIENCE.finditer(fold_aligned(text).lower())]
    if said_for := [m for m in parsed.matched if m.kind == "unsupported" and any(
            a <= m.span[0] and m.span[1] <= b for a, b in audience)]:
        # Who the answer is for asks for no filter ("cho các quản lý khu vực": no region).
        parsed.matched = [m for m in parsed.matched if m not in said_for]
        parsed.unsupported = sorted({m.value for m in parsed.matched if m.kind == "unsupported"})
    # Atlas names are read in what the period and star filters did not take ("đánh giá 1-2
    # sao"), and not in the words that name a segment ("gamers" is not the gaming aspect),
    # unless they are part of a persona's name ("dân văn phòng bận rộn").
    rest = nfc(text)
    for m in parsed.matched:
        if m.kind in ("period", "rating", "unsupported"):  # "Shopee" is no shop journey
            rest = rest[: m.span[0]] + " " * (m.span[1] - m.span[0]) + rest[m.span[1]:]
    # (the audience first: in "paste this to the store team", "this to" is no pointer)
    for pattern in (_AUDIENCE, _POINTED, WHAT_FIRST, _NUMBERED, _NOT_THAT, _CORRECTION):
        rest = _blank(rest, pattern)
    hits = list(book.request_matcher().find(rest))
    for hit in hits:  # "người lớn tuổi nói chung": the group as a whole, no verdict aspect
        if whole := _AS_A_WHOLE.match(fold_aligned(rest).lower(), hit.end):
            rest = rest[: whole.start()] + " " * (whole.end() - whole.start()) + rest[whole.end():]
    found = read_names(names, rest)
    unsegmented = rest
    for hit in hits:
        unsegmented = unsegmented[: hit.start] + " " * (hit.end - hit.start) + unsegmented[hit.end:]
    if hits and not _persona_beyond(names, found.get("persona"), rest, hits):
        found = read_names(names, unsegmented)
    if near and "step" in found and not found["step"].startswith(f"{near}.") and not (
        names.entities(rest).get("journey")
    ) and (own := _said_as_much(names, rest, near, found["step"]) or (
        steps(rest, near, True, False) if steps is not None else None
    )) and own.startswith(f"{near}."):
        # A step of another journey named, none said: the journey in use decides when its
        # own step's words are said as much ("And when they fill in their details and pay?"
        # about buying online: its checkout, not the store's till), or when the step
        # matcher reads the moment as its own ("and once they agree to the price and pay
        # the difference?" about trade-in: "pay" names the till, the moment is the top-up).
        found["step"], found["journey"] = own, near
    # "the in-store stock check step": a step described, not named; found by meaning.
    described = _described(names, rest, found)
    # Two journeys named equally ("thanh toán … tại cửa hàng"): the step settles which, so it
    # is looked for in both; a segment's words ("nhóm mê chụp ảnh") describe people, not a step.
    # Told without its journey in a conversation about one, a step is looked for in it first
    # (a step of another journey that leads by OTHER_JOURNEY_MARGIN still wins).
    within = None if "_ambiguous" in found else found.get("journey", near)
    told = unsegmented if hits else rest
    if "persona" in found:  # "mua điện thoại cho nhân viên": the persona's words, no step
        told = _blank(consume_names(names, told, "persona", found["persona"]), _FOR_STAFF)
    told = _blank(told, _REVIEWS)  # "các đánh giá dưới 3 sao": the data, not a step
    # "bỏ giới hạn bước đi": a turn that takes the step away names none.
    # A persona named, its other words describe it ("người đi làm bận rộn, ko có thời gian"):
    # a step is read only when told as one ("persona ... ở bước nhận hàng").
    if "step" not in found and steps is not None and "step" not in removals(text) and (
        described or "persona" not in found) and (
        step := steps(told, within, described, "aspect" in found and "journey" not in found)
    ):
        found["step"], found["journey"] = step, step.split(".")[0]
        found.pop("_ambiguous", None)
    if "_ambiguous" in found:
        slots.ambiguous_journeys = found.pop("_ambiguous")
    told_rest = found.pop("_rest")
    if described and "step" in found and (m := _STEP_WORD.search(fold_aligned(told_rest).lower())):
        told_rest = told_rest[: m.start()] + " " * (m.end() - m.start()) + told_rest[m.end():]
    slots.rest = " ".join(told_rest.split())
    told_step = None  # an aspect whose words only describe the step named
    if "step" in found and "aspect" in found and not (
        _aspect_asked(rest, names.of("aspect", found["aspect"]))
        or _aspect_about(names, rest, found["aspect"])
    ):
        # "bước chọn mẫu vì hết màu hoặc dung lượng": the aspect's word describes the step;
        # an aspect filter on a step is asked in words ("chỉ khía cạnh pin", "aspect storage").
        told_step = found.pop("aspect")
    slots.filters.update(found)
    for key in ("start", "end", "min_rating", "max_rating", "segment"):
        value = getattr(parsed, key)
        if value is not None:
            slots.filters[key] = value
    if parsed.start is not None and parsed.end is None and reference is not None:
        # "since June": up to the latest feedback, said in the frame as the period's end.
        slots.filters["end"] = max(reference, parsed.start)
        slots.open_start = True
    if slots.filters.get("segment") == "elderly" and (_FOR_KIDS.search(norm(text)) or (
        slots.filters.get("persona") == "parent-buyer" and _FOR_ELDERS.search(norm(text))
    )):
        # "parents buying for their kids": not the elderly; "mua cho bố mẹ, ông bà": the
        # elderly are who the buyers buy for, the persona's own people
        slots.filters.pop("segment")
    if "persona" in slots.filters and "segment" in slots.filters:
        # "dân văn phòng bận rộn": the segment's words are the persona's name.
        segment_words = [norm(m.text) for m in parsed.matched if m.kind == "segment"]
        named = names.of("persona", slots.filters["persona"])
        if all(any(w in p for p in named) for w in segment_words):
            slots.filters.pop("segment")
    if described and "step" in slots.filters and "segment" in slots.filters:
        # "Lúc khách chơi game và đa nhiệm…": told as a moment, the words of the segment
        # ("khách chơi game") are the step's own name, the customers doing it, not a group.
        seg = {w for m in parsed.matched if m.kind == "segment" for w in norm(m.text).split()}
        named = {w for n in names.of("step", slots.filters["step"]) for w in n.split()}
        if seg - _PEOPLE and seg - _PEOPLE <= named:
            slots.filters.pop("segment")
    swap = _SWAP.search(norm(text))
    swapped_out = set()  # "elderly customers instead of the parent-buyers": that persona goes
    old = "" if swap is None else swap.string[swap.end("new2"):] if swap["new2"] else (
        swap.string[swap.start():swap.start("new")])
    if swap and (new := book.segments_mentioned(swap["new"] or swap["new2"], request=True)) and (
        "segment" in slots.filters or "persona" not in slots.filters  # its words: a persona's
    ):
        slots.filters["segment"] = new[0]  # "swap students for gamers": the second one
        if read_names(names, old).get("persona") == slots.filters.get("persona"):
            swapped_out.add("persona")
    elif swap and "persona" in slots.filters and re.search(r"\b(?:segments?|groups?|nhom)\b", old):
        swapped_out.add("segment")  # "the busy professional persona instead of the segment"
    elif swap and (aspect := read_names(names, swap["new"] or swap["new2"]).get("aspect")) and (
            aspect != told_step):  # "đổi sang lúc họ so giá": to a step, told by its words
        slots.filters["aspect"] = aspect  # "swap battery for performance": likewise
    asked_by = {kind: [m.text for m in parsed.matched
                       if m.kind == "unsupported" and m.value == kind]
                for kind in parsed.unsupported}  # fmt: skip
    slots.unapplied = [f"{kind} ({'; '.join(asked_by[kind])})" if asked_by[kind] else kind
                       for kind in parsed.unsupported]  # fmt: skip
    slots.unapplied += [f"{m.text} (no reference date)" if reference is None
                        else f"{m.text} (no length given)" if m.value.startswith("vague")
                        else f"{m.text} (one period at a time: the trend compares with the "
                             "period before)" if m.value == "compared"
                        else f"{m.text} (it ends before it starts)" if m.value == "reversed"
                        else m.text for m in parsed.unresolved]  # fmt: skip
    slots.no_reference = reference is None
    slots.before_that = next(((parsed.before_that, m.text) for m in parsed.matched
                              if m.value.startswith("before:")), None)  # fmt: skip
    exact = _EXACT_DATES.search(norm(text)) is not None
    if exact:
        slots.filters["exact_dates"] = True  # as the scope line offers: `--exact-dates`
    # A removal verb inside a step's name ("the drop-off step") takes nothing away.
    said_text = consume_names(names, text, "step", found["step"]) if "step" in found else text
    slots.removed = removals(said_text)
    if parsed.stars_left_out:  # "bỏ mấy review 1 sao đi": the others kept, no removal
        slots.removed -= set(_REMOVED_KEYS["stars"])
    if exact:  # "bỏ những phản hồi có ngày ước tính": some dates go, not the period
        slots.removed -= set(_REMOVED_KEYS["period"])
    folded = norm(text)
    for m in _NAMED_REMOVED.finditer(folded):
        # "drop the battery filter", "bỏ lọc pin đi": the filter it names goes away; not one
        # named elsewhere ("back to the camera complaints, drop the date filter").
        span = " ".join([m.group(0), *folded[m.end():].split()[:3]])
        said = read_names(names, span)
        slots.removed |= {k for k in ("aspect", "persona") if k in slots.filters
                          and (said.get(k) == slots.filters[k] or k in span)}
        if "segment" in slots.filters and (book.segments_mentioned(span, request=True)
                                           or re.search(r"\b(?:segment|nhom)\b", span)):
            slots.removed.add("segment")
    mentioned = book.segments_mentioned(text, request=True) if "segment" in slots.removed else []
    if len(mentioned) > 1:
        # "bỏ sinh viên, lấy người lớn tuổi": one segment goes, the last one named comes.
        slots.removed.discard("segment")
        slots.filters["segment"] = mentioned[-1]
    slots.removed |= swapped_out
    for key in slots.removed:  # "drop the student filter" names the segment it takes away
        slots.filters.pop(key, None)
    return slots
