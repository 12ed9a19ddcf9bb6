"""Settings come from an injected environment; bad values give errors that say what to set."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.settings import Secret, Settings
from index.errors import ConfigError
from index.settings import IndexSettings


def test_defaults_from_an_empty_environment() -> None:
    settings = Settings.from_env({})
    assert settings.index.home == Path(".assistant")
    assert settings.index.collection == "documents"
    assert not settings.index.server_mode
    assert settings.answerer == "auto"
    assert settings.corpus == Path("data/corpus")
    assert not settings.openai_configured


def test_server_mode_and_overrides() -> None:
    env = {
        "CHROMA_HOST": "10.0.0.5",
        "CHROMA_PORT": "9000",
        "ASSISTANT_CHUNK_TOKENS": "300",
        "ASSISTANT_HOME": "/tmp/x",
    }
    settings = IndexSettings.from_env(env)
    assert settings.server_mode and settings.chroma_port == 9000
    assert settings.store_label == "chroma server http://10.0.0.5:9000"
    assert settings.chunk_tokens == 300 and settings.home == Path("/tmp/x")


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"ASSISTANT_CHUNK_TOKENS": "lots"}, "ASSISTANT_CHUNK_TOKENS"),
        ({"ASSISTANT_CHUNK_TOKENS": "100", "ASSISTANT_CHUNK_OVERLAP": "80"}, "under half"),
        ({"ASSISTANT_COLLECTION": "a"}, "not a valid Chroma name"),
        ({"ASSISTANT_ANSWERER": "gpt"}, "extractive"),
        ({"ASSISTANT_OPENAI_TIMEOUT": "-1"}, "positive"),
    ],
)
def test_bad_values_say_what_to_do(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        Settings.from_env(env)


def test_secrets_are_masked() -> None:
    settings = Settings.from_env({"ASSISTANT_OPENAI_API_KEY": "sk-very-secret"})
    assert "sk-very-secret" not in repr(settings)
    assert settings.openai_api_key.value == "sk-very-secret"
    assert not Secret("")
