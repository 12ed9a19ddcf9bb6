"""Shared fixtures: isolated settings, corpus copies, the hashing embedder, a real embedded Chroma."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from index.settings import IndexSettings
from tests.fakes import HashingEmbedder, register_fake_embedders, register_fakes

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_CORPUS = ROOT / "data" / "corpus"
SAMPLE_QUESTIONS = ROOT / "data" / "questions" / "sample.jsonl"

# Nothing in the tests may reach the network: belt and braces for libraries that try.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
register_fakes()  # the fake answerer is chosen by name like the real ones (tests/fakes.py)

# The test fakes are selectable by name in this process (ASSISTANT_EMBED_MODEL=hashing), as a
# real backend is; the product itself never offers them. CLI tests start `tests.fake_cli`.
register_fake_embedders()


@pytest.fixture
def index_settings(tmp_path: Path) -> IndexSettings:
    """Settings for an embedded index in a fresh temporary ASSISTANT_HOME."""
    return IndexSettings(home=tmp_path / "home", chunk_tokens=128, chunk_overlap=24, lock_timeout=0.5)


@pytest.fixture
def hashing() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A writable copy of the sample corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, target)
    return target


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
