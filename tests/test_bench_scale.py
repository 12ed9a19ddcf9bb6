"""The scale section: growth figures and the Markdown from a known result; one real quick run (slow)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from bench import scale
from bench.context import BenchContext

ROOT = Path(__file__).resolve().parents[1]


def _point(target: int, chunks: int, seconds: float, p50: float, *, extrapolated: bool = False) -> dict[str, Any]:
    quality = (
        None if extrapolated else {n: {"hit_at_5": 0.8, "mrr": 0.6} for n in ("reranked", "fused", "dense", "bm25")}
    )
    return {
        "target": target,
        "documents": chunks // 6,
        "chunks": chunks,
        "tokens": chunks * 200,
        "index": {
            "seconds": seconds,
            "chunks_per_s": chunks / seconds,
            "tokens_per_s": chunks * 200 / seconds,
            "peak_rss_mb": 300.0,
            "disk_mb": chunks * 0.02,
            "embedded_chunks": min(chunks, 10_000),
            "measured_seconds": seconds,
            "extrapolated": extrapolated,
        },
        "extrapolated": extrapolated,
        "retrieval": {"questions": 31, "p50_ms": p50, "p95_ms": p50 * 1.5, "rss_mb": 900.0, "quality": quality},
    }


POINTS = [
    _point(1_000, 1_000, 90.0, 200.0),
    _point(10_000, 10_000, 850.0, 260.0),
    _point(100_000, 100_000, 8_600.0, 600.0, extrapolated=True),
]


def test_growth_gives_the_factor_of_each_quantity_per_step() -> None:
    steps = scale.growth(POINTS)
    assert [(s["from"], s["to"]) for s in steps] == [(1_000, 10_000), (10_000, 100_000)]
    assert steps[0]["chunks_x"] == 10.0
    assert steps[0]["index_s_x"] == pytest.approx(850 / 90, abs=0.01)
    assert steps[1]["p50_ms_x"] == pytest.approx(600 / 260, abs=0.01)
    assert steps[0]["peak_rss_mb_x"] == 1.0


def test_growth_sentence_names_the_shape_of_each_curve() -> None:
    sentence = scale.growth_sentence(POINTS)
    assert "From 1,000 to 100,000 chunks (×100)" in sentence
    assert "index time ×95.6 (about linear)" in sentence
    assert "indexing peak RSS ×1 (about flat)" in sentence
    assert "p50 latency ×3 (sub-linear)" in sentence
    assert "not reported" in scale.growth_sentence(POINTS[:1])


def test_markdown_has_one_row_per_scale_and_marks_extrapolated_figures() -> None:
    result = {"embed_model": "m", "reranker": "r", "k": 5, "max_embed_chunks": 10_000, "points": POINTS}
    text = scale.markdown(result)
    assert text.startswith("## Scale\n")
    rows = [line for line in text.splitlines() if line.startswith("| 1") and "chunks" not in line]
    assert [r.split(" | ")[0] for r in rows[:3]] == ["| 1,000", "| 10,000", "| 100,000"]
    assert "~8600" in rows[2] and "extrapolated (embedded 10,000)" in rows[2]
    assert "measured" in rows[0] and "~" not in rows[0]
    assert "~ Extrapolated" in text
    assert "BM25 only" in text and "dense only" in text


@pytest.mark.slow
def test_quick_run_measures_every_step(tmp_path: Path) -> None:
    """Quick mode: a fully measured point and one past the embedding cap (the real MiniLM embedder,
    as the child `assistant index` cannot see the tests' fakes; the real cross-encoder); about a
    minute on 2 cores."""
    lines: list[str] = []
    ctx = BenchContext(
        settings=Settings.from_env({"ASSISTANT_EMBED_MODEL": "all-MiniLM-L6-v2"}),
        corpus=ROOT / "data" / "corpus",
        questions=ROOT / "data" / "questions" / "sample.jsonl",
        work_dir=tmp_path,
        quick=True,
        progress=lines.append,
    )
    result = scale.run(ctx)
    json.dumps(result)  # serialisable as it is
    measured, past_cap = result["points"]
    assert [p["target"] for p in result["points"]] == list(scale.QUICK_SCALES)
    assert not measured["extrapolated"] and past_cap["extrapolated"]
    assert measured["index"]["embedded_chunks"] == measured["chunks"]
    assert past_cap["index"]["embedded_chunks"] <= scale.QUICK_EMBED_CAP < past_cap["chunks"]
    for point in result["points"]:
        assert abs(point["chunks"] - point["target"]) <= 0.15 * point["target"]
        assert point["index"]["seconds"] > 0 and point["index"]["disk_mb"] > 0
        assert point["index"]["peak_rss_mb"] > 0
        retrieval = point["retrieval"]
        assert retrieval["questions"] >= 8
        assert 0 < retrieval["p50_ms"] <= retrieval["p95_ms"]
    for name, figures in measured["retrieval"]["quality"].items():
        assert 0 <= figures["hit_at_5"] <= 1 and 0 <= figures["mrr"] <= figures["hit_at_5"], name
    assert past_cap["retrieval"]["quality"] is None
    assert past_cap["index"]["disk_mb"] > measured["index"]["disk_mb"]
    assert result["growth"][0]["chunks_x"] > 2
    text = scale.markdown(result)
    assert text.startswith("## Scale") and "| Target | Chunks |" in text and "~ Extrapolated" in text
    assert any("indexing" in line for line in lines)
