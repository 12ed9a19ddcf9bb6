"""Indexing figures on a corpus: cold index, unchanged re-index, one file changed; chunks/s; peak memory.

Usage: .venv/bin/python bench/index_bench.py [CORPUS] [--runs 3]

Each step runs the real `assistant index` command in a fresh process (as a user would),
so the figures include start-up; peak memory is the largest resident set of those
processes. Prints a Markdown table and writes bench/results/index.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_index(corpus: Path, home: Path) -> tuple[float, dict, int]:
    """(wall seconds, summary JSON, peak RSS in MB of this child)."""
    env = {**os.environ, "ASSISTANT_HOME": str(home), "ANONYMIZED_TELEMETRY": "False"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "index", str(corpus), "--json"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, json.loads(out.stdout), max(peak, before) // 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default=str(ROOT / "data/corpus"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {"cold": [], "unchanged": [], "one changed": []}
    chunks = embedded_per_s = 0.0
    peak = 0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus"
            shutil.copytree(args.corpus, corpus)
            home = Path(tmp) / "home"
            seconds, summary, rss = run_index(corpus, home)
            rows["cold"].append(seconds)
            chunks = summary["chunks_total"]
            embedded_per_s = summary["chunks_embedded"] / summary["seconds"]
            peak = max(peak, rss)
            rows["unchanged"].append(run_index(corpus, home)[0])
            first = sorted(p for p in corpus.rglob("*") if p.is_file())[0]
            first.write_text(first.read_text(errors="replace") + "\n\nOne more paragraph added for the benchmark.\n")
            rows["one changed"].append(run_index(corpus, home)[0])
    medians = {k: round(statistics.median(v), 2) for k, v in rows.items()}
    result = {
        "corpus": args.corpus,
        "chunks": chunks,
        "seconds_median": medians,
        "chunks_per_second_cold": round(embedded_per_s, 1),
        "peak_rss_mb": peak,
        "runs": args.runs,
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.json").write_text(json.dumps(result, indent=1))
    print("| step | seconds (median, whole command) |\n|---|---|")
    for step, value in medians.items():
        print(f"| {step} | {value} |")
    print(f"\nchunks: {chunks}; embedding throughput (cold, inside the run): {embedded_per_s:.1f} chunks/s; "
          f"peak RSS: {peak} MB")  # fmt: skip


if __name__ == "__main__":
    main()
