"""Score an `assistant eval` run over a compound question set: all facts, per fact, parts dropped.

Usage: .venv/bin/python -m bench.compound_report EVAL_OUT_DIR [EVAL_OUT_DIR ...]

A compound question of bench.compound_set joins two outside questions; fact i is part i's answer
and the tag `part-ids:` names the original questions. A part is
- answered when its fact is in the answer (the metrics' containment, assistant.evaluation.metrics.fact_present),
- named missing when the answer has a "do not answer" line holding most of the original question's
  words (read from the outside set itself, not from the splitter under test),
- missing, not named otherwise: a part dropped silently, or answered with sentences that miss the
  fact (containment cannot tell these apart, so this is an upper bound on silent drops).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from assistant.evaluation.metrics import fact_present
from assistant.evaluation.questions import load_questions
from bench.calibrate import DATASET

NAMED = 0.6  # share of the part's words a "do not answer" line must hold to name it
_WORD = re.compile(r"[a-z0-9]+")


def named(answer: str, part: str) -> bool:
    words = set(_WORD.findall(part.lower()))
    lines = [line.lower() for line in answer.splitlines() if "do not answer" in line.lower()]
    return any(not words or len(words & set(_WORD.findall(line))) / len(words) >= NAMED for line in lines)


def score(rows: list[dict[str, object]], originals: dict[str, str]) -> dict[str, float]:
    parts = answered = missing_named = dropped = all_facts = abstained = 0
    for row in rows:
        facts = row["key_facts"]
        tags = [str(t) for t in row["tags"]]  # type: ignore[attr-defined]
        ids = next(t.split(":", 1)[1] for t in tags if t.startswith("part-ids:")).split(",")
        answer, refused = str(row["answer"]), bool(row["abstained"])
        # A refusal lists the closest passages: a fact in them was not given as the answer.
        found = [not refused and fact_present(answer, alternatives) for alternatives in facts]  # type: ignore[attr-defined]
        all_facts += all(found)
        abstained += refused
        for fact_found, qid in zip(found, ids, strict=True):
            parts += 1
            if fact_found:
                answered += 1
            elif refused or named(answer, originals[qid]):  # a refusal names the whole question
                missing_named += 1
            else:
                dropped += 1
    n = len(rows)
    return {
        "questions": n,
        "all facts": all_facts / n,
        "per fact": answered / parts,
        "parts named missing": missing_named / parts,
        "parts missing, not named": dropped / parts,
        "questions refused whole": abstained / n,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="`assistant eval --out` folders")
    args = parser.parse_args()
    originals = {q.id: q.question for q in load_questions(DATASET / "questions.jsonl")}
    table = {}
    for run in args.runs:
        rows = [json.loads(line) for line in (run / "results.jsonl").read_text(encoding="utf-8").splitlines() if line]
        table[run.name] = score(rows, originals)
    names = list(next(iter(table.values())))
    print("| run | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for run, figures in table.items():
        cells = [f"{figures[n]:.0f}" if n == "questions" else f"{figures[n]:.3f}" for n in names]
        print(f"| {run} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
