"""An OpenAI-compatible server that is down, silent or misconfigured gives one clear message."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answering.llm import OpenAIAnswerer, make_answerer
from assistant.errors import LLMError
from assistant.settings import Settings
from index.errors import ConfigError
from tests.cli_helpers import env_for, free_port, run_cli
from tests.fakes import evidence


def settings_for(base_url: str, timeout: float = 2.0) -> Settings:
    return Settings(openai_base_url=base_url, openai_model="some-model", openai_timeout=timeout)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers (a hung LLM server)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    sock.close()


def test_unreachable_server_says_how_to_fix_it() -> None:
    answerer = OpenAIAnswerer(settings_for(f"http://127.0.0.1:{free_port()}/v1"), retries=0)
    with pytest.raises(LLMError, match="cannot reach the LLM server .* ASSISTANT_OPENAI_BASE_URL"):
        "".join(answerer.generate("Q?", evidence("A sentence of evidence here.")))


def test_a_silent_server_times_out(silent_server: str) -> None:
    answerer = OpenAIAnswerer(settings_for(silent_server, timeout=1.0), retries=0)
    with pytest.raises(LLMError, match="did not answer in time .* ASSISTANT_OPENAI_TIMEOUT"):
        "".join(answerer.generate("Q?", evidence("A sentence of evidence here.")))


def test_misconfiguration_is_refused_before_any_call() -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_OPENAI_BASE_URL"):
        make_answerer("openai", Settings())
    with pytest.raises(ConfigError, match="choose one of"):
        make_answerer("gpt-9", Settings())


def test_auto_prefers_a_configured_server() -> None:
    assert make_answerer("auto", settings_for("http://127.0.0.1:1/v1")).name == "openai"


@pytest.mark.slow
def test_cli_reports_a_down_server_without_a_traceback(tmp_path: Path, corpus: Path) -> None:
    env = env_for(tmp_path / "home", ASSISTANT_EMBED_MODEL="hashing")
    assert run_cli(["index", str(corpus)], env, fakes=True).returncode == 0
    down = {**env, "ASSISTANT_OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "ASSISTANT_OPENAI_MODEL": "m"}
    result = run_cli(
        ["ask", "Which company signed a memorandum to develop oil fields in Kirkuk?", "--answerer", "openai"],
        down,
        fakes=True,
    )
    assert result.returncode == 1 and "cannot reach the LLM server" in result.stderr
    assert "Traceback" not in result.stderr
