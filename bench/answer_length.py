"""How many evidence sentences should an extractive answer to one question hold? Measured, not guessed.

Usage: .venv/bin/python -m bench.answer_length [--split fit] [--n 300] [--home /path/to/squad/home]

Asks answerable questions of one side of the outside set's trust split (bench.calibrate.split)
through the real pipeline once (abstention off), keeps each question's evidence, then composes the
extractive answer with each setting (sentences, margin) and reports key-fact recall and the mean
answer length in words. A shorter answer that keeps the facts is better to read.
"""

from __future__ import annotations

import argparse
import statistics

from assistant.answering.answerers import ExtractiveAnswerer
from assistant.api import Assistant
from assistant.evaluation.metrics import key_fact_recall, without_markers
from assistant.evaluation.questions import load_questions
from assistant.settings import Settings
from bench.calibrate import DATASET, sample, split

SETTINGS = [(1, 0.0), (2, 1.0), (2, 2.0), (3, 2.0), (2, 4.0), (3, 4.0), (4, 4.0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="fit", choices=["fit", "report"])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--home", required=True, help="ASSISTANT_HOME holding an index of the outside corpus")
    args = parser.parse_args()
    questions = [q for q in split(load_questions(DATASET / "questions.jsonl"))[args.split] if q.answerable]
    questions = sample(questions, args.n)
    bot = Assistant.from_settings(Settings.from_env({"ASSISTANT_HOME": args.home}), answerer="extractive")
    asked = [(q, bot.ask(q.question, abstain=False)) for q in questions]
    print(f"{len(asked)} answerable questions, {args.split} split")
    print(f"{'sentences':>9} {'margin':>6} {'key facts':>9} {'words':>6}")
    for sentences, margin in SETTINGS:
        composer = ExtractiveAnswerer(sentences=sentences, margin=margin)
        recalls, words = [], []
        for q, answer in asked:
            text = "".join(composer.generate(q.question, answer.evidence, query=answer.query))
            recalls.append(key_fact_recall(text, q.key_facts) or 0.0)
            words.append(len(without_markers(text).split()))
        print(f"{sentences:>9} {margin:>6.1f} {statistics.mean(recalls):>9.3f} {statistics.mean(words):>6.1f}")


if __name__ == "__main__":
    main()
