"""The surface-neutral conversation layer: what every chat surface needs (Slack, the
terminal's `cx-assistant chat`, any later one), so a bot is only an adapter.

- `Requester`: who asks and from where (a shared conversation or a private one).
- `AccessPolicy`: decides per request which tools are allowed, who may ingest files, share
  an answer or vote on it; the agent enforces the tools where they run (router and LLM).
- `Conversations`: ask with memory and the policy, store the answer for ratings (the
  question redacted), ingest a file shared in a chat (under a private source of its own
  unless the uploader asks to add it to the shared corpus; within the upload limits), and
  hand back typed attachments; also
  what any chat surface shows around answers: starter prompts the requester may run, a
  greeting, a thread title, which lane (heavy or light) a request belongs to, whether a
  reply in a shared thread is a question for the assistant, and memory rebuilt from a
  thread's history after a restart.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from assistant.agent.agent import Agent, Request
from assistant.agent.memory import MEMORY_TURNS, Turn
from assistant.agent.registry import Registry
from assistant.agent.router import OUT_OF_SCOPE
from assistant.core.answers import Answer
from assistant.core.errors import (
    AssistantError,
    DataFolderBusyError,
    DataFolderReadOnlyError,
    DiskFullError,
    IngestError,
    IngestLimitError,
)
from assistant.core.redaction import redact
from assistant.core.settings import Settings
from assistant.core.text import Lang, detect_lang, fold, number
from assistant.core.uploads import TO_LETTERS, upload_owner
from assistant.feedback.ingest import IngestLimits, IngestReport
from assistant.feedback.store import source_slug
from assistant.methodology.glossary import expand_query
from assistant.methodology.loaders import read_catalog

if TYPE_CHECKING:  # SQLAlchemy: imported when answers are stored for ratings, not by `ask`
    from assistant.chat.ratings import RatingsStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Requester:
    """Who asks. `shared`: a conversation others see (a channel), not a DM, a group DM or
    an assistant thread. `external`: the conversation includes people from another
    organisation (a Slack Connect channel). `operator`: the person running the assistant at
    a terminal."""

    user: str = ""
    surface: str = "cli"
    shared: bool = False
    operator: bool = False
    inline_charts: bool = False  # the surface shows pictures inside the conversation
    place: str = ""  # where a shared copy of an answer would go (a channel id); "" = nowhere
    external: bool = False


class AccessPolicy:
    """The one place that decides what a request may use.

    Feedback-derived tools (and file ingest): the operator always; when `CX_ALLOWED_USERS`
    lists users, those users anywhere and nobody else; when it is empty, everyone but only in
    shared conversations (a private chat does not leak the customers' words to one person
    without anyone seeing it). Never, for anyone, in a conversation that includes people from
    another organisation, unless `CX_EXTERNAL_FEEDBACK` allows it."""

    def __init__(self, settings: Settings, registry: Registry) -> None:
        self.settings = settings
        self.registry = registry

    def feedback_allowed(self, who: Requester) -> bool:
        if who.operator:
            return True
        if who.external and not self.settings.cx_external_feedback:
            return False
        users = self.settings.allowed_users
        return who.user in users if users else who.shared

    def allowed_tools(self, who: Requester) -> frozenset[str]:
        names = frozenset(self.registry.names)
        return names if self.feedback_allowed(who) else names - self.registry.feedback_tools

    def may_ingest(self, who: Requester) -> bool:
        return self.feedback_allowed(who)

    def may_share(self, who: Requester, owner: str) -> bool:
        """Only the person an answer was given to may post it where others see it."""
        return bool(who.user) and who.user == owner

    @staticmethod
    def may_vote(who: Requester, chat: str, conversation: str) -> bool:
        """A vote counts only from the chat the answer was given in (conversation ids begin
        with the id of their chat), so a button replayed elsewhere rates nothing."""
        return bool(who.user) and (conversation == chat or conversation.startswith(f"{chat}:"))

    def request(self, who: Requester, chart_dir: Path | None = None) -> Request:
        # A surface that shows pictures inline (Slack) always gets a summary's chart; a
        # terminal only when the request asks for one ("kèm biểu đồ").
        return Request(
            allowed=self.allowed_tools(who),
            feedback_allowed=self.feedback_allowed(who),
            chart_dir=chart_dir,
            charts="always" if who.inline_charts else "on_request",
            contact=self.settings.cx_contact,
            requester=who.user,
            # A private upload is read by its uploader (and the operator) only.
            source_owner=None if who.operator else upload_owner(who.surface, who.user),
        )


Lane = Literal["heavy", "light"]


LONG_MESSAGE = {
    "vi": "_(Tin nhắn dài {n} ký tự; tôi chỉ đọc {limit} ký tự đầu (thiết lập "
    "CX_MAX_MESSAGE_CHARS).)_",
    "en": "_(Your message is {n} characters long; I read only its first {limit} (setting "
    "CX_MAX_MESSAGE_CHARS).)_",
}


@dataclass(frozen=True)
class Prompt:
    """A suggested first question (the router decides what it runs; the policy may not
    allow that)."""

    title: str
    message: str


STARTER_PROMPTS: dict[Lang, tuple[Prompt, ...]] = {
    "en": (
        Prompt("Draft a persona", "Draft a persona for first-time online buyers"),
        Prompt("Summarize the delivery journey", "Summarize the delivery journey"),
        Prompt("Top pain points", "What hurts customers most after delivery?"),
        Prompt("What is a journey atlas?", "What is a journey atlas?"),
        Prompt("Five questions", "What should I ask before changing the return policy?"),
        Prompt("What can you do?", "help"),
    ),
    "vi": (
        Prompt("Phác thảo persona", "Phác thảo persona cho người mua online lần đầu"),
        Prompt("Tóm tắt hành trình giao hàng", "Tóm tắt hành trình giao hàng"),
        Prompt("Điểm đau lớn nhất", "Khách hàng phàn nàn gì nhiều nhất sau khi giao hàng?"),
        Prompt("Atlas hành trình là gì?", "Atlas hành trình là gì?"),
        Prompt("Năm câu hỏi", "Năm câu hỏi của tư duy lấy hành trình làm trung tâm là gì?"),
        Prompt("Bạn làm được gì?", "help"),
    ),
}  # fmt: skip
GREETING = {
    "en": "Hi! Ask me about CX methodology, journeys{more}. I answer in English or Vietnamese.",
    "vi": "Xin chào! Hãy hỏi tôi về phương pháp CX, hành trình khách hàng{more}. Tôi trả lời "
    "bằng tiếng Việt hoặc tiếng Anh.",
}
GREETING_MORE = {
    "en": ", personas or customer pain points",
    "vi": ", persona hoặc điểm đau của khách hàng",
}
MAX_PROMPTS = 4  # Slack shows at most four suggested prompts
_QUESTION_START = re.compile(
    r"^(what|which|who|whom|whose|why|how|when|where|can|could|should|would|is|are|do|does|"
    r"did|will|any|tai sao|vi sao|lam sao|lam the nao|the nao|nhu the nao|bao nhieu|ai|"
    r"co nen|nen|liet ke|giai thich|cho (toi|minh|em) (biet|hoi)|tom tat|summari[sz]e|"
    r"explain|list|show|tell me|draft|propose|help)\b"
)
_QUESTION_END = re.compile(r"(\?|\b(khong|chua|gi|nao|sao|the nao|bao nhieu|ai)\s*[.!]?)\s*$")


@dataclass
class Reply:
    answer: Answer
    answer_id: str | None = None  # set when the answer was stored for ratings


@dataclass
class VoteOutcome:
    state: Literal["new", "changed", "same", "refused", "missing"]
    up: int = 0
    down: int = 0
    lang: Lang = "en"


@dataclass
class ShareOutcome:
    state: Literal["ok", "already", "refused", "missing", "nowhere"]
    answer: Answer | None = None
    target: str = ""  # where to post it
    question: str = ""  # as stored: redacted


@dataclass
class IngestOutcome:
    report: IngestReport | None = None
    # The text to show instead of a report: the policy says no, the file is over a limit,
    # or it cannot be read (fixed text, redacted; never the file's raw name).
    refused: str = ""
    source: str = ""  # the upload's source: ask about it with `source:NAME`
    shared: bool = False  # whether it is part of the shared corpus


INGEST_REFUSAL = {
    "vi": "Xin lỗi, bạn chưa được phép nạp tệp phản hồi khách hàng. Hãy liên hệ {contact}.",
    "en": "Sorry, you are not allowed to load customer feedback files. Please ask {contact}.",
}
LIMIT_REFUSAL = {
    "bytes": {
        "vi": "Xin lỗi, tệp quá lớn ({found:.1f} MB); tệp nạp qua chat tối đa {limit:.1f} MB "
              "(thiết lập {setting}). Chưa có gì được lưu.",
        "en": "Sorry, the file is too large ({found:.1f} MB); a file shared in a chat may have "
              "at most {limit:.1f} MB (setting {setting}). Nothing was stored.",
    },
    "rows": {
        "vi": "Xin lỗi, tệp có hơn {limit:,} dòng; tệp nạp qua chat tối đa {limit:,} dòng "
              "(thiết lập {setting}). Chưa có gì được lưu.",
        "en": "Sorry, the file has more than {limit:,} rows; a file shared in a chat may have "
              "at most {limit:,} rows (setting {setting}). Nothing was stored.",
    },
}  # fmt: skip
INGEST_FAILED = {
    "vi": "Xin lỗi, tôi không nạp được tệp này: {message}",
    "en": "Sorry, I could not load this file: {message}",
}
# "add to corpus" / "thêm vào dữ liệu chung": the uploader asks to add the file to the shared
# corpus (folded text: no diacritics, lower case).
_SHARE_ASK = re.compile(
    r"\b(add (it |this |this file |the file )?(in)?to the (shared )?corpus|"
    r"add (it |this |this file |the file )?(in)?to (the )?(shared|common) (corpus|data)|"
    r"add to corpus|share (it |this )?with (the )?corpus|"
    r"them (no |tep (nay )?)?vao (kho )?du lieu chung)\b"
)
def asks_to_share(text: str) -> bool:
    """Whether the message that came with a file asks to add it to the shared corpus."""
    return bool(_SHARE_ASK.search(" ".join(fold(text).split())))


def upload_source(path: Path, who: Requester) -> str:
    """The source of a file shared in a chat: `upload-<surface>-<user>-<file>-<content>`,
    the user and the content as short digests (no personal data; the same file from the same
    person is the same source), the file's stem redacted and cut."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    content = digest.hexdigest()[:8].translate(TO_LETTERS)
    surface = re.sub(r"[^a-z]+", "", who.surface.lower())[:10] or "chat"
    user = upload_owner(who.surface, who.user)
    stem = source_slug(path.stem).lower()[:24].strip("-.") or "file"
    return f"upload-{surface}-{user}-{stem}-{content}"


@dataclass
class Conversations:
    agent: Agent
    policy: AccessPolicy
    ratings: RatingsStore | None = None
    chart_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cx-charts-")))
    _links: dict[str, str] | None = field(default=None, init=False, repr=False)

    @classmethod
    def open(cls, agent: Agent, settings: Settings, ratings: bool = True) -> Conversations:
        store = None
        if ratings:
            from assistant.chat.ratings import open_ratings_store

            store = open_ratings_store(settings)
        return cls(agent=agent, policy=AccessPolicy(settings, agent.registry), ratings=store)

    def ask(
        self,
        text: str,
        conversation: str,
        who: Requester,
        *,
        on_text=None,  # noqa: ANN001 - Callable[[str], None] | None
        lang: Lang | None = None,
    ) -> Reply:
        request = self.policy.request(who, self.chart_dir)
        request.lang = lang
        text, length = self._clip(text)
        answer = self.agent.ask(text, conversation, request, on_text=on_text)
        if length:
            n, limit = number(length, answer.lang), number(len(text), answer.lang)
            note = LONG_MESSAGE[answer.lang].format(n=n, limit=limit)
            answer = answer.model_copy(update={"answer": f"{note}\n\n{answer.answer}"})
        answer_id = None
        if self.ratings is not None:
            # `channel`: where a shared copy may go (its place), else the surface it came from.
            answer_id = self.ratings.save_answer(
                answer, who.user, who.place or who.surface, conversation
            )
        return Reply(answer=answer, answer_id=answer_id)

    def vote(self, answer_id: str, who: Requester, up: bool, chat: str) -> VoteOutcome:
        """Record a 👍/👎 once per person (a second click changes it) and return the tally."""
        record = self.ratings.record(answer_id) if self.ratings else None
        if record is None or self.ratings is None:
            return VoteOutcome("missing")
        lang = record.answer.lang
        if not self.policy.may_vote(who, chat, record.conversation):
            return VoteOutcome("refused", lang=lang)
        state = self.ratings.vote(answer_id, who.user, up)
        return VoteOutcome(state, *self.ratings.tally(answer_id), lang=lang)

    def share(self, answer_id: str, who: Requester) -> ShareOutcome:
        """Decide whether an answer may be posted where others see it, and where: only by
        the person it was given to, only into the place it was asked from, only once."""
        record = self.ratings.record(answer_id) if self.ratings else None
        if record is None or self.ratings is None:
            return ShareOutcome("missing")
        if not self.policy.may_share(who, record.user):
            return ShareOutcome("refused", answer=record.answer)
        target = record.channel
        if not target or target == who.surface:
            return ShareOutcome("nowhere", answer=record.answer)
        if not self.ratings.mark_shared(answer_id, target, who.user):
            return ShareOutcome("already", answer=record.answer, target=target)
        return ShareOutcome("ok", record.answer, target, record.answer.question)

    def share_failed(self, answer_id: str, target: str) -> None:
        """The post did not happen: a later Share may try again."""
        if self.ratings is not None:
            self.ratings.unmark_shared(answer_id, target)

    def source_links(self) -> dict[str, str]:
        """Methodology document id -> URL, for documents whose catalog names one (a `url`
        field, or a `source` that is a URL), so a surface can link its sources."""
        if self._links is None:
            links: dict[str, str] = {}
            try:
                entries = read_catalog(self.agent.kb.settings.methodology_dir)
            except AssistantError as exc:
                log.warning("no methodology catalog for source links: %s", exc)
                entries = []
            for entry in entries:
                url = str(getattr(entry, "url", "") or entry.source or "")
                if url.startswith(("https://", "http://")):
                    links[entry.id] = url
            self._links = links
        return self._links

    def warm_up(self) -> None:
        """Load what the first request would (the router and its atlas names), so that the
        first requests after a start are not slow and do not all load it at once."""
        self.agent.route("help")
        self.agent.router.entities("warm up")
        self.source_links()

    def reset(self, conversation: str) -> None:
        self.agent.memory.forget(conversation)

    def has_history(self, conversation: str) -> bool:
        return bool(self.agent.memory.turns(conversation))

    def ingest_file(
        self, path: Path, who: Requester, lang: Lang | None = None, *, share: bool = False
    ) -> IngestOutcome:
        """Validate and ingest a feedback file shared in a chat, if the policy allows it,
        within the upload limits, under a source of its own. The file's records count only in
        answers that name its source, unless `share` (the uploader asked to add it to the
        shared corpus: `asks_to_share`)."""
        lang = lang or "en"
        settings = self.policy.settings
        if not self.policy.may_ingest(who):
            return IngestOutcome(refused=INGEST_REFUSAL[lang].format(contact=settings.cx_contact))
        limits = IngestLimits(
            max_bytes=settings.cx_max_upload_bytes,
            bytes_setting="CX_MAX_UPLOAD_BYTES",
            max_rows=settings.cx_max_upload_rows,
            rows_setting="CX_MAX_UPLOAD_ROWS",
        )
        kb = self.agent.kb
        source = ""
        try:
            if not path.is_file():
                raise IngestError(f"{path}: no such file")
            size = path.stat().st_size
            if size > settings.cx_max_upload_bytes:  # not even read to name its source
                raise IngestLimitError("over the upload size", what="bytes", found=size,
                                       limit=settings.cx_max_upload_bytes,
                                       setting="CX_MAX_UPLOAD_BYTES")  # fmt: skip
            source = upload_source(path, who)
            with kb.writing():  # one writer per data folder: waits for an ingest or index
                report = kb.ingest_upload(path, source, share=share, limits=limits)
                kb.tag_feedback(progress=False)
                kb.link_feedback(progress=False)
        except IngestLimitError as exc:
            log.warning("upload refused (%s): %s", exc.setting, exc)
            found, limit = exc.found, exc.limit
            if exc.what == "bytes":  # shown in MB
                found, limit = found / (1024 * 1024), limit / (1024 * 1024)
            text = LIMIT_REFUSAL[exc.what][lang]
            return IngestOutcome(
                refused=text.format(found=found, limit=limit, setting=exc.setting), source=source
            )
        except (DataFolderBusyError, DataFolderReadOnlyError, DiskFullError) as exc:
            return IngestOutcome(refused=str(exc), source=source)  # fixed text, names no file
        except IngestError as exc:
            log.warning("upload not ingested: %s", exc)
            # The message names the file by its path: shown with the source name instead.
            message = str(exc).replace(str(path), source or "the file")
            message = message.replace(path.name, source or "the file")
            return IngestOutcome(refused=INGEST_FAILED[lang].format(message=redact(message)[0]),
                                 source=source)  # fmt: skip
        return IngestOutcome(report=report, source=report.source, shared=share)

    @staticmethod
    def asks_to_share(text: str) -> bool:
        """Whether the message with a shared file asks to add it to the shared corpus
        ("add to corpus", "thêm vào dữ liệu chung")."""
        return asks_to_share(text)

    def _clip(self, text: str) -> tuple[str, int]:
        """The part of a message that is read, and its full length when it was cut (0 when
        not): reading costs grow with the length, so a huge message never ties up a worker."""
        limit = self.policy.settings.cx_max_message_chars
        return (text[:limit], len(text)) if len(text) > limit else (text, 0)

    def language(self, text: str) -> Lang:
        return detect_lang(text) if text.strip() else "en"

    # What a chat surface shows around answers ------------------------------------------

    def lane(self, text: str, conversation: str, who: Requester) -> Lane:
        """Heavy: a feedback summary this requester may run (seconds of work); light:
        everything else (methodology, help, refusals), which must not wait behind them."""
        route = self.agent.route(self._clip(text)[0], conversation)
        heavy = route.tool in self.agent.registry.feedback_tools
        return "heavy" if heavy and self.policy.feedback_allowed(who) else "light"

    def suggested_prompts(self, who: Requester, lang: Lang) -> list[Prompt]:
        """Starter prompts this requester may run here: the policy decides, so a prompt is
        never answered with a refusal."""
        tools = self.agent.toolset(self.policy.request(who))
        runs = [p for p in STARTER_PROMPTS[lang]
                if not tools.refuses(self.agent.router.route(p.message).tool)]  # fmt: skip
        return runs[:MAX_PROMPTS]

    def greeting(self, who: Requester, lang: Lang) -> str:
        more = GREETING_MORE[lang] if self.policy.feedback_allowed(who) else ""
        return GREETING[lang].format(more=more)

    @staticmethod
    def title(text: str, limit: int = 60) -> str:
        """A thread title from its first question: one line, redacted, cut at a word."""
        line = " ".join(redact(text)[0].split())
        if len(line) <= limit:
            return line
        cut = line[:limit].rsplit(" ", 1)[0] or line[:limit]
        return cut.rstrip(",.;:") + "…"

    def restore(self, conversation: str, turns: list[tuple[str, str]]) -> int:
        """Rebuild a conversation's memory from its history (question, answer) after a
        restart; each question is routed again, in order, so follow-ups keep their tool.
        Returns the number of turns restored (0 when the memory already has this one)."""
        if self.has_history(conversation):
            return 0
        kept = [(q, a) for q, a in turns if q.strip() and a.strip()][-MEMORY_TURNS:]
        registry = self.agent.registry
        for question, answer in kept:
            route = self.agent.route(question, conversation)
            args = route.args if route.tool in registry else {}
            frame = route.frame if route.act != "clarify" else None  # follow-ups edit it
            self.agent.memory.add(conversation, Turn(question, answer, route.tool, args, frame))
        return len(kept)

    def addressed_to_assistant(self, text: str, conversation: str) -> bool:
        """Whether a reply in a shared thread, without a mention, is a question for the
        assistant rather than talk between people: it is shaped as a question and it is
        about what the assistant does (a tool's intent, a CX term or an atlas name)."""
        folded = " ".join(fold(text).split())
        if not folded or not (_QUESTION_START.search(folded) or _QUESTION_END.search(folded)):
            return False
        route = self.agent.route(text, conversation)
        if route.tool in (OUT_OF_SCOPE, "clarify"):
            return False
        if route.tool != self.agent.registry.fallback.name:
            return True
        return expand_query(text) != text or bool(self.agent.router.entities(text))
