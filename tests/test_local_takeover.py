"""The chat window offers the local model as soon as its background preparation ends, without a restart;
`auto` stays extractive (it measured better on outside questions)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answering.local_model import PREPARING_MARKER, unavailable
from assistant.settings import Settings
from index.errors import ConfigError
from index.ingest import run_index
from tests.fakes import HashingEmbedder
from tests.llm_fixtures import local_gguf


@pytest.fixture
def marker() -> Iterator[Path]:
    """The marker `make run` writes in this environment while it prepares the local model."""
    path = Path(sys.prefix) / PREPARING_MARKER
    if path.exists():
        pytest.skip(f"a real preparation is running ({path}); not touching its marker")
    path.write_text(f"{os.getpid()} /tmp/install-local.log", encoding="utf-8")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def test_the_local_model_is_offered_without_a_restart(corpus: Path, tmp_path: Path, marker: Path) -> None:
    from ui.app import Assistants

    gguf = local_gguf()  # skips without llama-cpp-python; `make test` installs it
    env = {
        "ASSISTANT_HOME": str(tmp_path / "home"),
        "ASSISTANT_EMBED_MODEL": "hashing",
        "ASSISTANT_LOCAL_MODEL": str(gguf),
    }
    settings = Settings.from_env(env)
    run_index(corpus, settings.index, HashingEmbedder())
    assistants = Assistants(settings)
    assert assistants.get("auto").answerer.name == "extractive"
    with pytest.raises(ConfigError, match="still being prepared"):
        assistants.get("local")

    marker.unlink()
    if unavailable(settings) is not None:
        pytest.fail(f"make test installs the local model, but: {unavailable(settings)}")
    assert assistants.get("local").answerer.name == "local"
    assert assistants.get("auto").answerer.name == "extractive"
    assert assistants.label("auto").startswith("auto: extractive (it held more key facts")
