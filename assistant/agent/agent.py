"""The agent: takes a question, picks the capability that answers it, composes the answer."""

from __future__ import annotations

from assistant.agent.composer import compose_search_answer
from assistant.agent.types import Answer
from assistant.knowledge.base import KnowledgeBase
from assistant.text import detect_lang
from assistant.tools.search import SearchInput, search_methodology


class Agent:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def ask(self, question: str) -> Answer:
        lang = detect_lang(question)
        out = search_methodology(
            SearchInput(question=question, k=self.kb.settings.cx_top_k), self.kb
        )
        return compose_search_answer(question, lang, out)
