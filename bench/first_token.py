"""Time to the first streamed text and to the final answer, per answerer, through Assistant.stream.

Usage: ASSISTANT_HOME=... .venv/bin/python bench/first_token.py [--answerers extractive,local] [--n 5]

This is the path the chat window takes after Enter (the UI adds rendering only).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.api import Assistant  # noqa: E402
from assistant.llm import make_answerer  # noqa: E402
from assistant.settings import Settings  # noqa: E402


def timed(bot: Assistant, question: str) -> tuple[float, float]:
    started = time.perf_counter()
    first = None
    for item in bot.stream(question):
        if first is None and isinstance(item, str) and item.strip():
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    return (first if first is not None else total), total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answerers", default="extractive,local")
    parser.add_argument("--n", type=int, default=5)
    args = parser.parse_args()
    settings = Settings.from_env(os.environ)
    lines = (ROOT / "data/questions/sample.jsonl").read_text().splitlines()
    questions = [q["question"] for q in map(json.loads, lines) if q["answerable"] and not q["history"]][: args.n + 1]
    print("| answerer | first text p50 s | final answer p50 s | max final s |\n|---|---|---|---|")
    for name in args.answerers.split(","):
        answerer = make_answerer(name, settings)
        bot = Assistant(settings, answerer=answerer)
        timed(bot, questions[0])  # load models
        runs = [timed(bot, q) for q in questions[1:]]
        firsts, totals = [r[0] for r in runs], [r[1] for r in runs]
        print(f"| {name} | {statistics.median(firsts):.2f} | {statistics.median(totals):.2f} | {max(totals):.2f} |")


if __name__ == "__main__":
    main()
