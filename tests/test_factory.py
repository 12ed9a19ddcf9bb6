"""One factory builds the Assistant for the API, the CLI, the chat window and eval, from the settings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import Assistant, ConfigError, QuestionError, Settings
from assistant.answering.answerers import ExtractiveAnswerer
from assistant.answering.llm import resolve_auto
from assistant.answering.local_model import PREPARING_MARKER, preparing, unavailable
from index.ingest import run_index
from tests.cli_helpers import env_for, free_port, run_cli
from tests.conftest import write
from tests.fakes import FakeAnswerer, HashingEmbedder, LexicalScorer


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {"ASSISTANT_HOME": str(home), "ASSISTANT_EMBED_MODEL": "hashing", **extra}


def _dead_server(**extra: str) -> dict[str, str]:
    return {
        "ASSISTANT_OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "ASSISTANT_OPENAI_MODEL": "nobody-home",
        "ASSISTANT_OPENAI_TIMEOUT": "2",
        **extra,
    }


def test_from_env_honours_the_answerer_settings(tmp_path: Path) -> None:
    extractive = Assistant.from_env(_env(tmp_path, ASSISTANT_ANSWERER="extractive"), scorer=LexicalScorer())
    assert extractive.answerer.name == "extractive" and extractive.rewriter is None
    server = Assistant.from_env(_env(tmp_path, ASSISTANT_ANSWERER="openai", **_dead_server()), scorer=LexicalScorer())
    assert server.answerer.name == "openai"
    assert server.rewriter is not None, "an LLM answerer also rewrites follow-ups"
    auto = Assistant.from_env(_env(tmp_path, **_dead_server()), scorer=LexicalScorer())
    assert auto.answerer.name == "openai", "auto picks a configured server"


def test_from_env_builds_the_local_answerer_or_says_why_not(tmp_path: Path) -> None:
    env = _env(tmp_path, ASSISTANT_ANSWERER="local")
    reason = unavailable(Settings.from_env(env))
    if reason is None:
        bot = Assistant.from_env(env, scorer=LexicalScorer())
        assert bot.answerer.name == "local" and bot.rewriter is not None
    else:
        with pytest.raises(ConfigError, match="local"):
            Assistant.from_env(env, scorer=LexicalScorer())


def test_share_lends_the_models_and_store(tmp_path: Path) -> None:
    base = Assistant.from_env(_env(tmp_path, ASSISTANT_ANSWERER="extractive"), scorer=LexicalScorer())
    other = Assistant.from_settings(base.settings, answerer=FakeAnswerer(["Hi."]), share=base)
    assert (other.store, other.embedder, other.scorer) == (base.store, base.embedder, base.scorer)
    assert other.answerer.name == "fake"


def test_the_cli_and_eval_build_the_answerer_the_settings_name(tmp_path: Path, corpus: Path) -> None:
    env = env_for(tmp_path / "home", ASSISTANT_EMBED_MODEL="hashing", ASSISTANT_ANSWERER="openai", **_dead_server())
    assert run_cli(["index", str(corpus)], env, fakes=True).returncode == 0
    asked = run_cli(["ask", "How many US troops are deployed in Iraq and Syria?"], env, fakes=True)
    assert asked.returncode == 1 and "cannot reach the LLM server" in asked.stderr, asked.stderr
    questions = write(
        tmp_path / "q.jsonl",
        '{"id": "a", "question": "How many US troops are deployed in Iraq and Syria?", "answerable": true}\n',
    )
    evaluated = run_cli(["eval", str(questions), "--out", str(tmp_path / "out"), "--no-progress"], env, fakes=True)
    results = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8")
    assert "cannot reach the LLM server" in results, evaluated.stdout + evaluated.stderr


def test_an_answer_is_never_empty(corpus: Path, tmp_path: Path) -> None:
    settings = Settings.from_env(_env(tmp_path))
    run_index(corpus, settings.index, HashingEmbedder())

    class NothingCheckable(ExtractiveAnswerer):
        name = "mute"

        def generate(self, question, evidence, *, query=None):  # type: ignore[no-untyped-def]
            yield "Yes."  # one word: no claim the checker can verify

    mute = NothingCheckable()  # the extractive fallback finding nothing checkable either
    answer = Assistant(
        settings,
        embedder=HashingEmbedder(),
        scorer=LexicalScorer(),
        answerer=mute,
        fallback=mute,
        abstain_threshold=0.2,
    )
    result = answer.ask("How many US troops are deployed in Iraq and Syria?")
    assert result.text.strip() and result.abstained
    assert any("could be checked" in note for note in result.notes)


@pytest.mark.parametrize("k", [0, -1, 9, 100])
def test_k_outside_the_reranked_pool_is_a_clear_error(corpus: Path, tmp_path: Path, k: int) -> None:
    settings = Settings.from_env(_env(tmp_path))
    run_index(corpus, settings.index, HashingEmbedder())
    bot = Assistant.from_settings(settings, answerer="extractive", scorer=LexicalScorer())
    with pytest.raises(QuestionError, match="from 1 to 8"):
        bot.ask("How many US troops are in Iraq?", k=k)


def test_a_background_install_is_seen_while_it_runs(tmp_path: Path) -> None:
    marker = tmp_path / PREPARING_MARKER
    assert preparing(tmp_path) is None
    marker.write_text(f"{os.getpid()} /tmp/install-local.log", encoding="utf-8")
    assert preparing(tmp_path) == "/tmp/install-local.log"
    marker.write_text("999999999 /tmp/install-local.log", encoding="utf-8")  # its process is gone
    assert preparing(tmp_path) is None


def test_auto_is_extractive_by_measurement_and_says_so(tmp_path: Path) -> None:
    # Whether or not the local model is installed: it measured worse on outside questions.
    for env in (_env(tmp_path, ASSISTANT_LOCAL_MODEL=str(tmp_path / "missing.gguf")), _env(tmp_path)):
        name, why = resolve_auto(Settings.from_env(env))
        assert name == "extractive" and "key facts" in why and "ASSISTANT_ANSWERER=local" in why
    assert resolve_auto(Settings.from_env(_env(tmp_path, **_dead_server())))[0] == "openai"


def test_examples_are_shown_only_for_the_corpus_they_were_written_for() -> None:
    from tests.conftest import SAMPLE_CORPUS
    from ui.app import example_questions

    sample = {p.name for p in SAMPLE_CORPUS.iterdir()}
    shown = example_questions(sample)
    assert 0 < len(shown) <= 6
    assert example_questions({"reports/transit-2024.pdf", "minutes.docx"}) == []
    assert example_questions(set()) == []


def test_the_passages_slider_stops_at_what_search_can_return() -> None:
    from assistant.api import MAX_K
    from assistant.retrieval.retrieve import RERANK_POOL
    from ui.app import build_app

    assert MAX_K == RERANK_POOL
    app = build_app(Settings(), examples=[])
    sliders = [b for b in app.blocks.values() if type(b).__name__ == "Slider"]
    assert [(s.minimum, s.maximum) for s in sliders] == [(1, MAX_K)]


def test_the_test_environment_has_no_torch_and_stays_small() -> None:
    import importlib.metadata
    import importlib.util
    import sys

    assert importlib.util.find_spec("torch") is None, "torch (with CUDA) must not be pulled into the environment"
    names = {(d.metadata["Name"] or "").lower() for d in importlib.metadata.distributions()}
    assert not {n for n in names if n.startswith("nvidia-") or n == "sentence-transformers"}
    size = sum(f.stat().st_size for f in Path(sys.prefix).rglob("*") if f.is_file() and not f.is_symlink())
    assert size < 2 * 2**30, f"the environment takes {size / 2**30:.2f} GiB (target < 2 GiB)"
