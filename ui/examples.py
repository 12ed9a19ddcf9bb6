"""Example questions shown under the question box: the sample set's, when its sources are indexed."""

import json
from collections.abc import Collection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_QUESTIONS = ROOT / "data" / "questions" / "sample.jsonl"
EXAMPLES_SHOWN = 6


def example_questions(
    indexed: Collection[str], path: Path = SAMPLE_QUESTIONS, limit: int = EXAMPLES_SHOWN
) -> list[str]:
    """The first answerable, standalone questions of a question set whose sources are all in
    the index: the sample questions for the sample corpus, none for someone else's documents."""
    if not path.is_file() or not indexed:
        return []
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict) or not item.get("answerable") or item.get("history"):
            continue
        sources = item.get("gold_sources") or []
        if item.get("question") and sources and all(s in indexed for s in sources):
            questions.append(str(item["question"]))
        if len(questions) >= limit:
            break
    return questions
