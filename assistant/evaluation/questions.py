"""Evaluation question sets: JSONL, one question per line, native or ragas-style fields.

Native fields: id, question, reference_answer, key_facts, gold_sources, answerable,
history, tags (see data/questions/README.md). Ragas-style sets are read too:

    user_input          -> question
    reference           -> reference_answer
    reference_contexts  -> not sources: ragas has no document ids, so gold_sources stays empty
                           and answerable = bool(reference) (retrieval metrics are then n/a)
    retrieved_contexts, response, multi_responses, rubrics -> ignored (another system's output)

Any other field is an error, so a typo such as "gold_source" cannot silently make a
question unanswerable. Blank lines and lines starting with // are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import QuestionSetError

MAX_REPORTED = 20  # bad lines listed in one error; the rest are counted
RAGAS_IGNORED = ("retrieved_contexts", "response", "multi_responses", "rubrics")


@dataclass(frozen=True)
class Question:
    """One evaluation question and what a good answer looks like."""

    id: str
    question: str
    reference_answer: str = ""
    key_facts: tuple[tuple[str, ...], ...] = ()  # each fact: alternatives, any of which counts
    gold_sources: tuple[str, ...] = ()  # doc ids (paths relative to the corpus root)
    answerable: bool = True
    history: tuple[dict[str, str], ...] = ()  # earlier {"role", "content"} turns of a follow-up
    tags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["key_facts"] = [list(fact) for fact in self.key_facts]
        for name in ("gold_sources", "history", "tags"):
            data[name] = list(data[name])
        return data


class _Turn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: Literal["user", "assistant"]
    content: str


class _Line(BaseModel):
    """The accepted shape of one line (pydantic, because this is external input)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    id: str | None = None
    question: str | None = None
    user_input: str | None = None
    reference_answer: str | None = None
    reference: str | None = None
    reference_contexts: list[str] | None = None
    key_facts: list[list[str] | str] = []
    gold_sources: list[str] | None = None
    answerable: bool | None = None
    history: list[_Turn] = []
    tags: list[str] = []
    # ragas output columns: accepted and ignored
    retrieved_contexts: Any = None
    response: Any = None
    multi_responses: Any = None
    rubrics: Any = None
    # what the chat window's feedback file adds (ui.feedback): accepted and ignored, so
    # feedback.jsonl can be evaluated as it is
    answer: Any = None
    citations: Any = None
    query: Any = None
    answerer: Any = None
    when: Any = None
    evidence: Any = None  # the scored sentences that were considered
    decision: Any = None  # why it answered or refused


_HINTS = {
    "id": "must be a string",
    "question": "must be a non-empty string",
    "user_input": "must be a non-empty string",
    "reference_answer": "must be a string",
    "reference": "must be a string",
    "reference_contexts": "must be a list of strings",
    "key_facts": "must be a list of facts, each a list of alternative strings",
    "gold_sources": "must be a list of strings",
    "answerable": "must be true or false",
    "history": 'must be a list of {"role": "user" or "assistant", "content": "..."} turns',
    "tags": "must be a list of strings",
}
KNOWN_FIELDS = tuple(_Line.model_fields)


def load_questions(path: str | Path) -> list[Question]:
    """The questions in the JSONL file at `path`, in file order.

    Raises QuestionSetError naming every bad line and field (up to MAX_REPORTED), when
    the file is missing or unreadable, holds no question, or repeats an id.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise QuestionSetError(f"no question set at {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(f"cannot read {path} as UTF-8 text: {exc}") from exc
    return parse_questions(text.splitlines(), name=path.name)


def parse_questions(lines: Iterable[str], *, name: str = "questions.jsonl") -> list[Question]:
    """Parse JSONL lines (see `load_questions`); `name` labels the error messages."""
    questions: list[Question] = []
    errors: list[str] = []
    first_line_of: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("//"):
            continue
        question, problems = _parse_line(stripped, number)
        errors += [f"{name} line {number}: {p}" for p in problems]
        if question is None:
            continue
        if question.id in first_line_of:
            first = first_line_of[question.id]
            errors.append(f"{name} line {number}: field 'id': {question.id!r} is already used on line {first}")
            continue
        first_line_of[question.id] = number
        questions.append(question)
    if errors:
        raise QuestionSetError(_summarise(name, errors))
    if not questions:
        raise QuestionSetError(f"{name} holds no questions (one JSON object per line expected)")
    return questions


def _summarise(name: str, errors: Sequence[str]) -> str:
    shown = list(errors[:MAX_REPORTED])
    if len(errors) > MAX_REPORTED:
        shown.append(f"... and {len(errors) - MAX_REPORTED} more")
    return f"{name} has {len(errors)} problem(s); fix them and run again:\n  " + "\n  ".join(shown)


def _parse_line(text: str, number: int) -> tuple[Question | None, list[str]]:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [f"not valid JSON ({exc.msg} at column {exc.colno})"]
    if not isinstance(raw, dict):
        return None, ["must be a JSON object"]
    try:
        line = _Line.model_validate(raw)
    except ValidationError as exc:
        return None, _field_problems(exc)
    return _to_question(line, number)


def _field_problems(exc: ValidationError) -> list[str]:
    problems: dict[str, str] = {}  # one message per field, in the order found
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        if error["type"] == "extra_forbidden":
            message = f"unknown field (known: {', '.join(KNOWN_FIELDS)})"
        else:
            message = _HINTS.get(field, error["msg"])
        problems.setdefault(field, f"field '{field}': {message}")
    return list(problems.values())


def _to_question(line: _Line, number: int) -> tuple[Question | None, list[str]]:
    text = line.question if line.question is not None else line.user_input
    if text is None or not text.strip():
        name = "user_input" if line.question is None and line.user_input is not None else "question"
        return None, [f"field '{name}': is required and must be a non-empty string"]
    facts, problems = _facts(line.key_facts)
    gold = tuple(_doc_id(s) for s in line.gold_sources or ())
    if any(not g for g in gold):
        problems.append("field 'gold_sources': must not contain empty strings")
    reference = line.reference_answer if line.reference_answer is not None else (line.reference or "")
    answerable = _answerable(line, gold, reference)
    if not answerable and gold:
        problems.append("field 'answerable': is false but gold_sources lists documents that hold the answer")
    if problems:
        return None, problems
    question = Question(
        id=line.id.strip() if line.id and line.id.strip() else f"line-{number}",
        question=" ".join(text.split()),
        reference_answer=reference,
        key_facts=facts,
        gold_sources=gold,
        answerable=answerable,
        history=tuple({"role": t.role, "content": t.content} for t in line.history),
        tags=tuple(line.tags),
    )
    return question, []


def _answerable(line: _Line, gold: tuple[str, ...], reference: str) -> bool:
    if line.answerable is not None:
        return line.answerable
    ragas_style = line.gold_sources is None and (line.user_input is not None or line.reference_contexts is not None)
    # ragas has no source ids, so "has a reference answer" is the only sign of answerability.
    return bool(reference.strip()) if ragas_style else bool(gold)


def _facts(raw: list[list[str] | str]) -> tuple[tuple[tuple[str, ...], ...], list[str]]:
    """Each fact as a tuple of alternatives; a bare string is a fact with one alternative."""
    facts = []
    for item in raw:
        alternatives = tuple(a.strip() for a in ([item] if isinstance(item, str) else item) if a.strip())
        if not alternatives:
            return (), ["field 'key_facts': each fact needs at least one non-empty alternative"]
        facts.append(alternatives)
    return tuple(facts), []


def _doc_id(source: str) -> str:
    """Doc ids use POSIX separators and no leading './', like the index's."""
    source = source.strip().replace("\\", "/")
    while source.startswith("./"):
        source = source[2:]
    return source


def questions_to_jsonl(questions: Iterable[Question]) -> str:
    """The questions as JSONL in the native format (one line each, newline-terminated)."""
    return "".join(json.dumps(q.to_dict(), ensure_ascii=False) + "\n" for q in questions)
