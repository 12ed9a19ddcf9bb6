"""The question set of a generated corpus (bench.synth): answerable questions drawn from the
reports by reservoir sampling, unanswerable ones about towns no report is about."""

from __future__ import annotations

import heapq
import json
import random
from pathlib import Path
from typing import Any

from bench.synth_text import PROJECTS, QUALIFIERS, QUESTIONS

Candidate = tuple[float, int, str, str, dict[str, Any]]  # a question candidate in the reservoir


def reference_answer(kind: str, facts: dict[str, Any]) -> tuple[str, list[str]]:
    """(reference answer, alternatives any of which states the fact)."""
    where = f"the {facts['project']} in {facts['town']}"
    where_ = "T" + where[1:]  # sentence-initial
    if kind == "who":
        return f"{facts['lead']}, the {facts['role']}, leads {where}.", [facts["lead"], facts["lead"].split()[-1]]
    if kind == "company":
        return f"{facts['company']} won the contract for {where}.", [facts["company"]]
    if kind == "count":
        n = facts["count"]
        return f"It will {facts['verb']} {n:,} {facts['unit']}.", [f"{n:,}", str(n)]
    if kind == "budget":
        return f"{where_} is budgeted at £{facts['budget']} million.", [f"{facts['budget']} million"]
    return f"{where_} is due to be completed by {facts['date']}.", [facts["date"]]


def question_text(rng: random.Random, kind: str, facts: dict[str, Any]) -> str:
    template = rng.choice(QUESTIONS[kind])
    return template.format(**facts, Town=facts["town"])


def answerable_rows(rng: random.Random, pool: list[Candidate]) -> list[dict[str, Any]]:
    rows = []
    for _, _, kind, doc_id, facts in sorted(pool, key=lambda item: item[1]):
        reference, alternatives = reference_answer(kind, facts)
        rows.append(
            {
                "question": question_text(rng, kind, facts),
                "reference_answer": reference,
                "key_facts": [alternatives],
                "gold_sources": [doc_id],
                "answerable": True,
                "tags": ["synthetic", kind],
            }
        )
    return rows


def unanswerable_rows(rng: random.Random, count: int, held: list[str]) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        town = held[n % len(held)]
        if rng.random() < 0.3:
            town = f"{rng.choice(QUALIFIERS)} {town}"
        project, verb, unit, _ = rng.choice(PROJECTS)
        kind = rng.choice(list(QUESTIONS))
        facts = {"town": town, "project": project, "verb": verb, "unit": unit}
        rows.append(
            {
                "question": question_text(rng, kind, facts),
                "reference_answer": f"The documents do not mention a {project} in {town}.",
                "key_facts": [],
                "gold_sources": [],
                "answerable": False,
                "tags": ["synthetic", "unanswerable", kind],
            }
        )
    return rows


def write_questions(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for number, row in enumerate(rows, start=1):
            line = {"id": f"s{number:03d}", **row, "history": []}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def keep(pool: list[Candidate], item: Candidate, k: int) -> None:
    """Reservoir sampling by random keys: the k items with the largest keys survive."""
    if k <= 0:
        return
    if len(pool) < k:
        heapq.heappush(pool, item)
    elif item[0] > pool[0][0]:
        heapq.heapreplace(pool, item)
