"""The surface-neutral conversation layer: what every chat surface needs (Slack, the
terminal's `cx-assistant chat`, any later one), so a bot is only an adapter.

- `Requester`: who asks and from where (a shared conversation or a private one).
- `AccessPolicy`: decides per request which tools are allowed and who may ingest files;
  the agent enforces it where the tools run (router and LLM alike).
- `Conversations`: ask with memory and the policy, store the answer for ratings (the
  question redacted), ingest a file shared in a chat, and hand back typed attachments.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from assistant.agent.agent import Agent, Request
from assistant.agent.types import Answer
from assistant.answer_ratings import RatingsStore
from assistant.knowledge.ingest import IngestReport
from assistant.knowledge.redaction import redact
from assistant.registry import Registry
from assistant.settings import Settings
from assistant.text import Lang, detect_lang

log = logging.getLogger(__name__)
CHART_SURFACES = frozenset({"slack"})  # surfaces that show pictures inline


@dataclass(frozen=True)
class Requester:
    """Who asks. `shared`: a conversation others see (a channel), not a DM, a group DM or
    an assistant thread. `operator`: the person running the assistant at a terminal."""

    user: str = ""
    surface: str = "cli"
    shared: bool = False
    operator: bool = False


class AccessPolicy:
    """The one place that decides what a request may use.

    Feedback-derived tools (and file ingest): the operator always; when `CX_ALLOWED_USERS`
    lists users, those users anywhere and nobody else; when it is empty, everyone but only in
    shared conversations (a private chat does not leak the customers' words to one person
    without anyone seeing it)."""

    def __init__(self, settings: Settings, registry: Registry) -> None:
        self.settings = settings
        self.registry = registry

    def feedback_allowed(self, who: Requester) -> bool:
        if who.operator:
            return True
        users = self.settings.allowed_users
        return who.user in users if users else who.shared

    def allowed_tools(self, who: Requester) -> frozenset[str]:
        names = frozenset(self.registry.names)
        return names if self.feedback_allowed(who) else names - self.registry.feedback_tools

    def may_ingest(self, who: Requester) -> bool:
        return self.feedback_allowed(who)

    def request(self, who: Requester, chart_dir: Path | None = None) -> Request:
        # Slack shows a journey summary's chart in the thread: always drawn there; a
        # terminal gets one only when the request asks for a chart ("kèm biểu đồ").
        return Request(
            allowed=self.allowed_tools(who),
            feedback_allowed=self.feedback_allowed(who),
            chart_dir=chart_dir,
            charts="always" if who.surface in CHART_SURFACES else "on_request",
            contact=self.settings.cx_contact,
            requester=who.user,
        )


@dataclass
class Reply:
    answer: Answer
    answer_id: str | None = None  # set when the answer was stored for ratings


@dataclass
class IngestOutcome:
    report: IngestReport | None = None
    refused: str = ""  # the refusal text when the policy says no


INGEST_REFUSAL = {
    "vi": "Xin lỗi, bạn chưa được phép nạp tệp phản hồi khách hàng. Hãy liên hệ {contact}.",
    "en": "Sorry, you are not allowed to load customer feedback files. Please ask {contact}.",
}


@dataclass
class Conversations:
    agent: Agent
    policy: AccessPolicy
    ratings: RatingsStore | None = None
    chart_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="cx-charts-")))

    @classmethod
    def open(cls, agent: Agent, settings: Settings, ratings: bool = True) -> Conversations:
        return cls(
            agent=agent,
            policy=AccessPolicy(settings, agent.registry),
            ratings=RatingsStore(settings.ratings_db) if ratings else None,
        )

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
        answer = self.agent.ask(text, conversation, request, on_text=on_text)
        answer_id = None
        if self.ratings is not None:
            # Stored for ratings and eval candidates: never the personal data in the question.
            stored = answer.model_copy(update={"question": redact(answer.question)[0]})
            answer_id = self.ratings.save_answer(stored, who.user, who.surface, conversation)
        return Reply(answer=answer, answer_id=answer_id)

    def reset(self, conversation: str) -> None:
        self.agent.memory.forget(conversation)

    def has_history(self, conversation: str) -> bool:
        return bool(self.agent.memory.turns(conversation))

    def ingest_file(self, path: Path, who: Requester, lang: Lang | None = None) -> IngestOutcome:
        """Validate and ingest a feedback file shared in a chat, if the policy allows it."""
        if not self.policy.may_ingest(who):
            lang = lang or "en"
            return IngestOutcome(
                refused=INGEST_REFUSAL[lang].format(contact=self.policy.settings.cx_contact)
            )
        kb = self.agent.kb
        report = kb.ingest(path, progress=False, embed=False)
        kb.tag_feedback(progress=False)
        kb.link_feedback(progress=False)
        return IngestOutcome(report=report)

    def language(self, text: str) -> Lang:
        return detect_lang(text) if text.strip() else "en"
