"""The OpenAI-compatible embeddings server client, against a real `llama_cpp.server` started here
with embeddings on (the bundled GGUF), plus its settings and its errors when the server is down."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from index.embed import make_embedder
from index.embed_remote import EndpointEmbedder
from index.errors import ConfigError, IndexMismatchError, ModelError
from index.ingest import run_index
from index.settings import IndexSettings
from tests.cli_helpers import free_port
from tests.conftest import write
from tests.llm_fixtures import local_gguf

ALIAS = "qwen-embed"


@pytest.fixture(scope="module")
def embed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (…/v1) of llama.cpp's server with `--embedding true` on the bundled model."""
    model = local_gguf()
    log = tmp_path_factory.mktemp("embed-server") / "server.log"
    port = free_port()
    argv = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--embedding", "true"]
    argv += ["--n_ctx", "512", "--model_alias", ALIAS, "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited; log:\n{log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"llama_cpp.server did not start; log:\n{log.read_text()[-2000:]}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def settings_for(home: Path, url: str, model: str = ALIAS) -> IndexSettings:
    env = {"ASSISTANT_HOME": str(home), "ASSISTANT_EMBED_URL": url, "ASSISTANT_EMBED_MODEL": model}
    return IndexSettings.from_env(env).with_(chunk_tokens=128, chunk_overlap=24, lock_timeout=0.5)


@pytest.mark.slow
def test_a_real_server_embeds_and_its_model_is_recorded_in_the_index(embed_server: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "home", embed_server)
    embedder = make_embedder(settings)
    assert isinstance(embedder, EndpointEmbedder)
    vectors = embedder.embed_documents(["US troops in Iraq", "Two eggs and flour"])
    assert vectors.shape == (2, embedder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert not np.allclose(vectors[0], vectors[1])
    assert embedder.fingerprint() == f"endpoint/{ALIAS}/dim{embedder.dim}"

    corpus = tmp_path / "corpus"
    write(corpus / "a.txt", "The bridge near the harbour reopened in March.")
    write(corpus / "b.txt", "Farmers reported a shortage of trained nurses.")
    summary = run_index(corpus, settings, embedder)
    assert summary.chunks_total == 2 and summary.chunks_embedded == 2

    # Another model behind the same URL must not mix its vectors into this index.
    other = settings_for(tmp_path / "home", embed_server, model="another-model")
    with pytest.raises(IndexMismatchError):
        run_index(corpus, other, make_embedder(other))


def test_server_down_says_what_to_do(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    embedder = make_embedder(settings_for(tmp_path / "home", url))
    with pytest.raises(ModelError) as caught:
        embedder.embed_query("anything")
    message = str(caught.value)
    assert f"cannot reach the embeddings server at {url}" in message
    assert "--embedding true" in message and "ASSISTANT_EMBED_URL" in message


def test_a_server_needs_a_named_model_and_an_http_url() -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_EMBED_MODEL is not"):
        IndexSettings.from_env({"ASSISTANT_EMBED_URL": "http://gpu:8080/v1"})
    with pytest.raises(ConfigError, match="not an http"):
        IndexSettings.from_env({"ASSISTANT_EMBED_URL": "gpu:8080", "ASSISTANT_EMBED_MODEL": "m"})
    settings = IndexSettings.from_env(
        {"ASSISTANT_EMBED_URL": "http://gpu:8080/v1/", "ASSISTANT_EMBED_MODEL": "m", "ASSISTANT_EMBED_API_KEY": "s3"}
    )
    assert settings.embed_url == "http://gpu:8080/v1" and "s3" not in repr(settings)
