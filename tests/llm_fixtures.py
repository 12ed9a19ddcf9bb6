"""Real LLM fixtures: the bundled GGUF, and llama-cpp-python's own OpenAI-compatible server."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.settings import Settings
from index.settings import IndexSettings
from tests.cli_helpers import free_port

MODEL_CACHE = Path(__file__).resolve().parents[1] / ".assistant"  # reuse the assembled GGUF across runs


def local_gguf() -> Path:
    """The bundled model, assembled once into the project's default ASSISTANT_HOME."""
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (make install-local)")
    from assistant.answering.local_model import local_model_path

    return local_model_path(Settings(index=IndexSettings(home=MODEL_CACHE)))


def start_llama_server(model: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
            "--port", str(port), "--n_ctx", "4096", "--chat_format", "chatml", "--model_alias", "local-qwen",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited; log:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError(f"llama_cpp.server did not start; log:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real OpenAI-compatible server serving the bundled model on loopback."""
    model = local_gguf()
    proc, base = start_llama_server(model, tmp_path_factory.mktemp("llama") / "server.log")
    try:
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
