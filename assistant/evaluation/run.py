"""Running an evaluation: ask every question of a set (one at a time, timed), score each answer,
summarise. An error on one question (an AssistantError from `ask`) is recorded and scored as an
empty answer; the run goes on.

    questions -> Asker.ask -> eval_scoring.score (a record per question) -> eval_summary.summarise
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from assistant.evaluation.questions import Question, load_questions
from assistant.evaluation.scoring import score
from assistant.evaluation.summary import summarise
from assistant.types import Answer
from index.errors import AssistantError

DEFAULT_K = 6


class Asker(Protocol):
    """What `evaluate` needs: `Assistant` or anything with the same `ask`."""

    def ask(self, question: str, *, history: Any = None, k: int = DEFAULT_K) -> Answer: ...


class Judge(Protocol):
    """An optional LLM judge; its figures are reported apart from the deterministic metrics."""

    def judge(self, question: str, answer: str, evidence: Sequence[str], reference: str) -> Mapping[str, float]:
        """{"faithfulness": 0..1, "correctness": 0..1}; raises AssistantError if it cannot judge."""
        ...


@dataclass(frozen=True)
class EvalReport:
    """One run: a record per question, the summary, and what was run (answerer, k, commit)."""

    records: list[dict[str, Any]]
    summary: dict[str, Any]
    config: dict[str, Any]


Progress = Callable[[int], Callable[[int], Any]]  # progress(total) -> update(increment)


def evaluate(
    assistant: Asker,
    questions: Sequence[Question] | str | Path,
    *,
    k: int = DEFAULT_K,
    progress: Progress | None = None,
    judge: Judge | None = None,
) -> EvalReport:
    """Ask every question (a list, or a JSONL path) and score the answers.

    Raises QuestionSetError for a bad question file; errors from `ask` are recorded per question.
    """
    source = str(questions) if isinstance(questions, str | Path) else None
    items = load_questions(questions) if isinstance(questions, str | Path) else list(questions)
    update = progress(len(items)) if progress else None
    records = []
    for question in items:
        records.append(_record(assistant, question, k, judge))
        if update:
            update(1)
    return EvalReport(records, summarise(records), _config(assistant, k, source, len(items), judge))


def _record(assistant: Asker, question: Question, k: int, judge: Judge | None) -> dict[str, Any]:
    started = time.perf_counter()
    error = None
    try:
        answer = assistant.ask(question.question, history=list(question.history) or None, k=k)
    except AssistantError as exc:
        error, answer = f"{type(exc).__name__}: {exc}", Answer(question=question.question, text="")
    record = score(question, answer, k, latency=time.perf_counter() - started, error=error)
    if judge is not None and error is None and not answer.abstained:
        record.update(_judged(judge, question, answer))
    return record


def _judged(judge: Judge, question: Question, answer: Answer) -> dict[str, Any]:
    evidence = [e.context for e in answer.evidence]
    try:
        scores = judge.judge(question.question, answer.text, evidence, question.reference_answer)
    except AssistantError as exc:
        return {"judge": None, "judge_error": f"{type(exc).__name__}: {exc}"}
    return {"judge": {name: float(value) for name, value in scores.items()}}


def _config(assistant: Asker, k: int, source: str | None, count: int, judge: Judge | None) -> dict[str, Any]:
    settings = getattr(assistant, "settings", None)
    return {
        "answerer": getattr(getattr(assistant, "answerer", None), "name", type(assistant).__name__),
        "k": k,
        "questions": source,
        "question_count": count,
        "embed_model": getattr(getattr(settings, "index", None), "embed_model", None),
        # Which answer-or-abstain calibration decided (the shipped one, or `assistant calibrate`'s).
        "calibration": getattr(getattr(assistant, "calibration", None), "source", None),
        "judge": type(judge).__name__ if judge else None,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
    }


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None
