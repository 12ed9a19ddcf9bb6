"""Thumbs up/down on answers, appended to ASSISTANT_HOME/feedback.jsonl in the question-set format.

A record is a question-set line (id, question, reference_answer, key_facts, gold_sources,
answerable, history, tags) plus what was shown (answer, citations, query, answerer, when),
so `assistant eval` can replay the feedback later, and the evidence that was considered (each
scored sentence) with the answer-or-refuse decision, so a wrong answer can be traced:

    up    the answer is the reference; its cited documents are the gold sources
    down  the question is kept with no reference, to be filled in by whoever reviews it
A thumbs up on an abstention records the question as unanswerable (the abstention was right).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.types import Answer
from index.text import strip_markers  # a reference answer has no [1], [1, 2]

FEEDBACK_FILE = "feedback.jsonl"  # under ASSISTANT_HOME
_LOCK = threading.Lock()  # one process writes; appends from concurrent sessions must not interleave


def feedback_record(
    answer: Answer, history: Sequence[dict[str, str]], liked: bool, *, when: datetime | None = None
) -> dict[str, Any]:
    """The JSONL record for a thumbs up (`liked`) or down on `answer`."""
    cited = list(dict.fromkeys(c.doc_id for c in answer.citations))  # in order of first citation
    up = bool(liked)
    return {
        "id": f"fb-{uuid.uuid4().hex[:12]}",
        "question": answer.question,
        "reference_answer": strip_markers(answer.text).strip() if up and not answer.abstained else "",
        "key_facts": [],
        "gold_sources": cited if up else [],
        "answerable": not (up and answer.abstained),
        "history": [{"role": m["role"], "content": m["content"]} for m in history],
        "tags": ["feedback", "up" if up else "down"],
        "answer": answer.text,
        "citations": [c.to_dict() for c in answer.citations],
        "query": answer.query,
        "answerer": answer.answerer,
        "evidence": [
            {"doc_id": e.passage.doc_id, "sentence": e.sentence, "score": round(e.score, 4)}
            for e in sorted(answer.evidence, key=lambda e: -e.score)
        ],
        "decision": dict(answer.decision),
        "when": (when or datetime.now(UTC)).isoformat(timespec="seconds"),
    }


def append_feedback(path: Path, record: dict[str, Any]) -> Path:
    """Append `record` as one JSON line to `path` (created with its folder); returns the path."""
    line = json.dumps(record, ensure_ascii=False) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line)
    return path
