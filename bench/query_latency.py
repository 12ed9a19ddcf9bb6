"""Per-stage latency of answering on an indexed corpus (extractive, or another answerer).

Usage: ASSISTANT_HOME=... .venv/bin/python bench/query_latency.py [--answerer extractive] [--n 20]

Asks the first N answerable questions of the sample set once to warm up the models, then again
timed; prints median and p95 per stage (rewrite, retrieve, evidence, generate, total).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.api import Assistant  # noqa: E402
from assistant.llm import make_answerer  # noqa: E402
from assistant.settings import Settings  # noqa: E402


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answerer", default="extractive")
    parser.add_argument("--n", type=int, default=20)
    args = parser.parse_args()
    settings = Settings.from_env(os.environ)
    answerer = make_answerer(args.answerer, settings)
    bot = Assistant(settings, answerer=answerer, rewriter=getattr(answerer, "rewrite", None))
    lines = (ROOT / "data/questions/sample.jsonl").read_text().splitlines()
    questions = [q["question"] for q in map(json.loads, lines) if q["answerable"] and not q["history"]][: args.n]
    bot.ask(questions[0])  # load the models
    stages: dict[str, list[float]] = {}
    for question in questions:
        for stage, seconds in bot.ask(question).timings.items():
            stages.setdefault(stage, []).append(seconds)
    print(f"{args.answerer}, {len(questions)} questions")
    print("| stage | p50 s | p95 s |\n|---|---|---|")
    for stage, values in stages.items():
        print(f"| {stage} | {statistics.median(values):.3f} | {p95(values):.3f} |")


if __name__ == "__main__":
    main()
