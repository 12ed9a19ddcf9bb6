"""The `assistant` command as a user runs it: index, status, doctor, --explain, --dry-run, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import env_for, run_cli, run_json
from tests.conftest import SAMPLE_CORPUS, write

pytestmark = pytest.mark.slow


def test_index_status_doctor_on_the_sample_corpus(tmp_path: Path) -> None:
    env = env_for(tmp_path / "home")
    code, status = run_json(["status"], env)
    assert code == 0 and status["indexed"] is False

    dry = run_cli(["index", str(SAMPLE_CORPUS), "--dry-run"], env)
    assert dry.returncode == 0 and "Would add (5)" in dry.stdout

    code, summary = run_json(["index", str(SAMPLE_CORPUS)], env)
    assert code == 0 and len(summary["added"]) == 5 and summary["chunks_embedded"] == summary["chunks_total"] > 0

    code, status = run_json(["status"], env)
    assert status["documents"] == 5 and status["chunks"] == summary["chunks_total"]
    assert status["embedding_model"] == "bge-small-en-v1.5" and status["store_mode"] == "embedded"
    assert status["fingerprint"]["chunk_tokens"] == 256

    code, checks = run_json(["doctor"], env)
    by_name = {c["name"]: c for c in checks}
    assert code == 0
    assert {"embedding model", "reranker", "tiktoken cache", "store", "llm", "judge"} <= set(by_name)
    assert by_name["store"]["status"] == "ok" and "chunks" in by_name["store"]["detail"]

    again = run_cli(["index", str(SAMPLE_CORPUS)], env)
    assert "0 added, 0 changed, 0 removed, 5 unchanged" in again.stdout
    assert "Chunks embedded: 0" in again.stdout


def test_changed_settings_are_refused_with_the_rebuild_command(tmp_path: Path, corpus: Path) -> None:
    env = env_for(tmp_path / "home", ASSISTANT_EMBED_MODEL="hashing")
    assert run_cli(["index", str(corpus)], env, fakes=True).returncode == 0
    refused = run_cli(["index", str(corpus)], {**env, "ASSISTANT_CHUNK_TOKENS": "300"}, fakes=True)
    assert refused.returncode == 1 and "assistant index PATH --rebuild" in refused.stderr
    rebuilt = run_cli(["index", str(corpus), "--rebuild"], {**env, "ASSISTANT_CHUNK_TOKENS": "300"}, fakes=True)
    assert rebuilt.returncode == 0 and "5 added" in rebuilt.stdout


def test_explain_shows_what_cleaning_removed(tmp_path: Path) -> None:
    thread = write(
        tmp_path / "thread.txt",
        "Fuel prices rose sharply at the border crossing last week, traders said.\n\n"
        "Joined\nMar 3, 2019\nMessages\n1,204\n\n"
        "Fuel prices rose sharply at the border crossing last week, traders said.\n\n"
        "I think this will not last long.\n\nReply\n\nLeave a Reply\n",
    )
    result = run_cli(["index", "--explain", str(thread)], env_for(tmp_path / "home"))
    assert result.returncode == 0
    assert "repeated" in result.stdout.lower()
    assert "Leave a Reply" in result.stdout and "Joined" in result.stdout


def test_bad_settings_give_one_line_errors(tmp_path: Path) -> None:
    result = run_cli(["status"], env_for(tmp_path / "home", ASSISTANT_CHUNK_TOKENS="many"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ASSISTANT_CHUNK_TOKENS='many' is not a number")
    assert "Traceback" not in result.stderr
