"""Calibrate the abstention threshold on a question set's answerable and unanswerable questions.

Usage: .venv/bin/python bench/calibrate.py [QUESTIONS] [--home DIR]

For every question it records the best cross-encoder logit among evidence sentences that
have the kind of answer asked for (a number for "how many", a date for "when": the signal
`Assistant` abstains on), then prints, for candidate thresholds, how many
unanswerable questions would be refused (abstention recall) and how many answerable
ones would be wrongly refused (false abstentions). The threshold shipped in
assistant/api.py is the lowest one that reaches the best abstention recall while
refusing at most FALSE_ABSTENTION_BUDGET of the answerable questions: a refused good
question costs the user an answer they were entitled to, while an answered bad question
still shows its quoted, cited evidence for the reader to judge.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.api import Assistant  # noqa: E402
from assistant.conversation import standalone_query  # noqa: E402
from assistant.evidence import fits_answer_type, select_evidence  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from index.embed import make_embedder  # noqa: E402
from index.ingest import run_index  # noqa: E402
from index.settings import IndexSettings  # noqa: E402

FALSE_ABSTENTION_BUDGET = 0.05


def top_scores(bot: Assistant, questions: list[dict]) -> list[tuple[bool, float, str]]:
    rows = []
    for q in questions:
        query = standalone_query(q["question"], q.get("history") or None)
        evidence = select_evidence(query, bot.retriever.search(query, k=6), bot.scorer)
        fitting = [e.score for e in evidence if fits_answer_type(query, e.sentence)]
        best = max(fitting, default=-99.0)
        rows.append((bool(q["answerable"]), best, q["id"]))
    return rows


def sweep(rows: list[tuple[bool, float, str]]) -> list[tuple[float, float, float]]:
    unanswerable = [s for a, s, _ in rows if not a]
    answerable = [s for a, s, _ in rows if a]
    results = []
    for tenth in range(-60, 61, 5):
        t = tenth / 10
        recall = sum(s < t for s in unanswerable) / max(1, len(unanswerable))
        false_rate = sum(s < t for s in answerable) / max(1, len(answerable))
        results.append((t, recall, false_rate))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("questions", nargs="?", default=str(ROOT / "data/questions/sample.jsonl"))
    parser.add_argument("--corpus", default=str(ROOT / "data/corpus"))
    args = parser.parse_args()
    questions = [json.loads(line) for line in Path(args.questions).read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(index=IndexSettings(home=Path(home)))
        run_index(Path(args.corpus), settings.index, make_embedder(settings.index.embed_model))
        rows = top_scores(Assistant.from_settings(settings, answerer="extractive"), questions)
    for answerable, score, qid in sorted(rows, key=lambda r: r[1]):
        print(f"{qid:6} {'answerable  ' if answerable else 'UNANSWERABLE'} {score:6.2f}")
    print("\n| threshold | abstention recall | false abstentions |\n|---|---|---|")
    table = sweep(rows)
    for t, recall, false_rate in table:
        print(f"| {t:.1f} | {recall:.2f} | {false_rate:.2f} |")
    allowed = [r for r in table if r[2] <= FALSE_ABSTENTION_BUDGET]
    best = max(allowed, key=lambda r: (r[1], -r[0]))
    print(f"\nbest threshold: {best[0]:.1f} (recall {best[1]:.2f}, false abstentions {best[2]:.2f})")


if __name__ == "__main__":
    main()
