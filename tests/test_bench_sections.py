"""The indexing and answer-latency sections: their measuring helpers, and a quick run of `python -m bench`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.types import Answer
from bench import answers, indexing
from tests.cli_helpers import ROOT, env_for
from tests.conftest import SAMPLE_CORPUS, SAMPLE_QUESTIONS

ALLOCATE = "b = bytearray({mb} * 2**20); b[::4096] = b'x' * len(b[::4096])"  # touch every page


def test_peak_rss_is_each_childs_own(tmp_path: Path) -> None:
    """A big child first must not inflate a small child's figure (RUSAGE_CHILDREN would)."""
    env = {"PATH": "/usr/bin:/bin"}
    big = indexing.measure([sys.executable, "-c", ALLOCATE.format(mb=300)], env, cwd=tmp_path)
    small = indexing.measure([sys.executable, "-c", ALLOCATE.format(mb=20)], env, cwd=tmp_path)
    assert big.returncode == small.returncode == 0
    assert big.peak_rss_mb > 300 > 100 > small.peak_rss_mb > 20
    failed = indexing.measure([sys.executable, "-c", "import sys; print('out'); sys.exit(3)"], env, cwd=tmp_path)
    assert failed.returncode == 3 and failed.stdout == "out\n" and failed.seconds > 0


def test_change_one_file_appends_to_a_text_document(tmp_path: Path, corpus: Path) -> None:
    before = {p.name: p.read_text() for p in corpus.iterdir()}
    changed = indexing.change_one_file(corpus)
    after = {p.name: p.read_text() for p in corpus.iterdir()}
    assert changed is not None and after[changed] == before[changed] + indexing.APPENDED
    assert {k: v for k, v in after.items() if k != changed} == {k: v for k, v in before.items() if k != changed}


class FakeBot:
    """Streams given pieces with a pause before each, then the final Answer."""

    def __init__(self, pieces: list[str], pause: float, answer: Answer) -> None:
        self.pieces, self.pause, self.answer = pieces, pause, answer

    def stream(self, question: str) -> Iterator[str | Answer]:
        for piece in self.pieces:
            time.sleep(self.pause)
            yield piece
        time.sleep(self.pause)
        yield self.answer


def test_first_text_is_the_first_non_blank_piece() -> None:
    final = Answer(question="q", text="It rained [1].", timings={"retrieve": 0.1, "total": 0.1})
    answer, first, total, streamed = answers.ask_timed(FakeBot(["", " ", "It rained", " [1]."], 0.02, final), "q")
    assert answer is final and streamed == " It rained [1]."
    assert 0.06 <= first <= total - 0.04  # three pauses before "It rained", two after it
    _, first, total, _ = answers.ask_timed(FakeBot([], 0.02, final), "q")  # an abstention streams nothing
    assert first == pytest.approx(total, abs=0.005)


def test_markdown_shows_skipped_answerers_and_the_largest_stage() -> None:
    stages = {"retrieve": [0.2, 0.3], "evidence": [0.1, 0.1], "generate": [1.5, 2.5], "total": [1.8, 2.9]}
    figures = {"rewrite": {"p50": 0.0, "p95": 0.0, "n": 2}}
    assert answers._largest(stages) == "generate" and answers._shares(stages)["retrieve"] == 0.106  # 0.5 / 4.7
    assert answers._largest({"retrieve": [], "total": []}) is None
    result = {
        "questions_file": "q.jsonl",
        "cold_question_id": "q0",
        "question_ids": ["q1", "q2"],
        "index": {"chunks": 52},
        "answerers": {
            "local": {
                "status": "ok", "answerer": "local", "setup_s": 0.1, "cold_first_question_s": 9.0,
                "model_load_s": 7.0, "questions": 2, "answered": 2, "abstained": 0, "errors": [],
                "stages": {**figures, "generate": {"p50": 2.0, "p95": 2.5, "n": 2},
                           "total": {"p50": 2.5, "p95": 3.0, "n": 2}},
                "stage_share": {"rewrite": 0.0, "generate": 0.8},
                "first_text": {"p50": 0.9, "p95": 1.0, "n": 2}, "whole_answer": {"p50": 2.5, "p95": 3.0, "n": 2},
                "prompt_tokens": {"p50": 610, "max": 700, "n": 2}, "answer_tokens": {"p50": 40, "max": 50, "n": 2},
                "largest_stage": "generate",
            },
            "openai": {"status": "skipped", "reason": "ConfigError: set ASSISTANT_OPENAI_BASE_URL"},
        },
    }  # fmt: skip
    md = answers.markdown(result)
    assert md.startswith("## Answer latency") and "### local" in md and "### openai" in md
    assert "Skipped: ConfigError: set ASSISTANT_OPENAI_BASE_URL" in md
    assert "| generate | 2 | 2.5 | 2 |" in md and "p50 610 tokens, max 700" in md
    assert "Where the time goes: generate, 80% of all answering time (p50 2 s over the 2 questions" in md


@pytest.mark.slow
def test_quick_bench_through_the_command(tmp_path: Path) -> None:
    out = tmp_path / "out"
    argv = ["--quick", "--sections", "indexing,answers", "--answerers", "extractive,openai", "--out", str(out)]
    argv += ["--corpus", str(SAMPLE_CORPUS), "--questions", str(SAMPLE_QUESTIONS), "--progress"]
    # cwd outside the repository: no .env there can configure an answerer behind the test's back;
    # bench is not installed with the product, so the checkout goes on the path (as `make bench`'s cwd
    # does); the tests' fake embedder is not registered in a child process, so a bundled model runs
    env = env_for(tmp_path / "home", ASSISTANT_EMBED_MODEL="all-MiniLM-L6-v2", PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "bench", *argv], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "[1/2] indexing: running" in done.stderr and "[2/2] answers: done" in done.stderr
    result = json.loads((out / "results.json").read_text())
    md = (out / "benchmarks.md").read_text()
    assert f"Wrote {out / 'results.json'}" in done.stdout and md.strip() in done.stdout
    assert result["header"]["settings"]["embed_model"] == "all-MiniLM-L6-v2"
    assert result["header"]["command"].startswith("ASSISTANT_EMBED_MODEL=all-MiniLM-L6-v2 python -m bench --sections")
    assert list(result["sections"]) == ["indexing", "answers"]
    assert all(r["status"] == "ok" for r in result["sections"].values())
    check_indexing(result["sections"]["indexing"]["result"])
    check_answers(result["sections"]["answers"]["result"])
    assert "## Indexing" in md and "## Answer latency" in md and "### extractive" in md
    assert not (tmp_path / "home").exists()  # every index lives in the bench's scratch folder


def check_indexing(r: dict[str, Any]) -> None:
    steps = r["steps"]
    assert r["runs"] == 1 and r["documents"] == 5 and r["chunks"] == r["chunks_counted"] > 20
    assert r["chunk_tokens"] > r["chunks"] * 50
    assert steps["cold"]["chunks_embedded"] == r["chunks"] and steps["unchanged"]["chunks_embedded"] == 0
    assert 0 < steps["one_changed"]["chunks_embedded"] < r["chunks"]
    assert steps["one_changed"]["documents"] == {"added": 0, "changed": 1, "removed": 0, "unchanged": 4}
    for step in steps.values():
        assert 0 < step["run_s"] < step["wall_s"] < 120 and 20 < step["peak_rss_mb"] < 4000
    assert r["throughput"]["chunks_per_s"] > r["throughput"]["chunks_per_s_wall"] > 0
    parts = r["unchanged_breakdown"]
    assert 0 < parts["interpreter_s"] < parts["wall_s"] and parts["imports_s"] > 0 and parts["other_s"] >= 0


def check_answers(r: dict[str, Any]) -> None:
    assert len(r["question_ids"]) == 3 and r["cold_question_id"] not in r["question_ids"] and r["index"]["chunks"] > 20
    assert r["answerers"]["openai"] == {"status": "skipped", "reason": r["answerers"]["openai"]["reason"]}
    assert "ASSISTANT_OPENAI_BASE_URL" in r["answerers"]["openai"]["reason"]
    ex = r["answerers"]["extractive"]
    assert ex["status"] == "ok" and ex["answerer"] == "extractive" and ex["errors"] == []
    assert ex["answered"] + ex["abstained"] == ex["questions"] == 3
    assert ex["prompt_tokens"] is None and ex["largest_stage"] in ("rewrite", "retrieve", "evidence", "generate")
    for stage in ("retrieve", "evidence", "total"):
        assert ex["stages"][stage]["n"] == 3 and 0 < ex["stages"][stage]["p50"] <= ex["stages"][stage]["p95"] < 60
    assert ex["first_text"]["n"] == ex["answered"] and ex["whole_answer"]["n"] == 3
    assert 0 < ex["whole_answer"]["p50"] <= ex["whole_answer"]["max"] < 60
    assert sum(ex["stage_share"].values()) == pytest.approx(1, abs=0.01)
    assert ex["cold_question"] == r["cold_question_id"] and ex["model_load_s"] >= 0
    assert ex["cold_first_question_s"] >= ex["whole_answer"]["p50"] * 0.5


def test_embed_throughput_section_measures_side_by_side_sessions_exactly() -> None:
    """The quick embed-throughput section runs (an import of it once broke unseen) and shows that
    sessions side by side give the very vectors of one session."""
    from bench import embed_throughput

    result = embed_throughput.measure(24, 1)
    before, after = embed_throughput.VARIANTS[0][0], embed_throughput.VARIANTS[1][0]
    assert result["chunks"] >= 20 and all(rate > 0 for rate in result["chunks_per_s"].values())
    assert result["drift_vs_alone"][after] == 0.0 and result["cosine_after_vs_before"]["min"] >= 0.99999
    assert result["determinism"]["bitwise"]
    assert result["speedup_after_vs_before"] > 0 and before in result["chunks_per_s"]
    assert "## Embedding throughput" in embed_throughput.markdown(result)
