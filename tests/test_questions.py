"""Question sets: the native and ragas-style formats, broken lines named by line and field, duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import QuestionSetError
from assistant.evaluation.questions import Question, load_questions, parse_questions, questions_to_jsonl
from index.errors import AssistantError
from tests.conftest import SAMPLE_QUESTIONS, write


def jsonl(*rows: object) -> list[str]:
    return [row if isinstance(row, str) else json.dumps(row) for row in rows]


def test_the_sample_set_loads() -> None:
    questions = load_questions(SAMPLE_QUESTIONS)
    assert len(questions) == 77
    assert sum(not q.answerable for q in questions) == 13
    assert all(q.gold_sources for q in questions if q.answerable)
    assert any(q.history for q in questions) and all(isinstance(q.key_facts, tuple) for q in questions)
    assert questions[0].id == "q01" and questions[0].key_facts == (("nuland", "numan"),)


def test_native_fields_and_defaults() -> None:
    [full, bare] = parse_questions(
        jsonl(
            {
                "id": "a",
                "question": "  How   many? ",
                "reference_answer": "Four.",
                "key_facts": [["four", "4"], "sources"],
                "gold_sources": ["./sub\\doc.txt"],
                "history": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}],
                "tags": ["number"],
            },
            {"question": "Anything else?"},
        )
    )
    assert full == Question(
        id="a",
        question="How many?",
        reference_answer="Four.",
        key_facts=(("four", "4"), ("sources",)),
        gold_sources=("sub/doc.txt",),  # doc ids are POSIX paths like the index's
        answerable=True,  # defaults to bool(gold_sources)
        history=({"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}),
        tags=("number",),
    )
    assert bare.id == "line-2" and bare.answerable is False and bare.gold_sources == ()


def test_ragas_style_lines() -> None:
    [with_reference, without, both] = parse_questions(
        jsonl(
            {
                "user_input": "Who spoke?",
                "reference": "Nuland.",
                "reference_contexts": ["Nuland told CNN Turk ..."],
                "retrieved_contexts": ["ignored"],
                "response": "ignored",
            },
            {"user_input": "Who won?", "reference": "", "reference_contexts": []},
            {"user_input": "Where?", "reference": "Kirkuk.", "gold_sources": ["004.txt"]},
        )
    )
    assert with_reference.question == "Who spoke?" and with_reference.reference_answer == "Nuland."
    assert with_reference.gold_sources == () and with_reference.answerable  # ragas has no source ids
    assert not without.answerable
    assert both.gold_sources == ("004.txt",) and both.answerable


def test_blank_lines_and_comments_are_skipped_and_do_not_shift_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "set.jsonl", '// a comment\n\n{"question": "One?"}\n   \n{"question": "Two?"}\n')
    assert [q.id for q in load_questions(path)] == ["line-3", "line-5"]


def test_every_bad_line_is_reported_with_its_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path / "questions.jsonl",
        "\n".join(
            [
                json.dumps({"id": "ok", "question": "Fine?"}),
                json.dumps({"id": "q2", "question": "Bad gold?", "gold_sources": "000.txt"}),
                "{not json",
                json.dumps({"id": "q4", "question": "", "tags": "x"}),
                json.dumps(["a", "list"]),
                json.dumps({"id": "q6", "question": "Typo?", "gold_source": ["a.txt"]}),
                json.dumps({"id": "q7", "question": "Facts?", "key_facts": [[]], "answerable": "yes"}),
                json.dumps({"id": "q8", "question": "History?", "history": [{"role": "bot", "content": "x"}]}),
                json.dumps({"id": "q9", "question": "Contradiction?", "gold_sources": ["a.txt"], "answerable": False}),
            ]
        ),
    )
    with pytest.raises(QuestionSetError) as caught:
        load_questions(path)
    message = str(caught.value)
    assert isinstance(caught.value, AssistantError)
    for expected in (
        "questions.jsonl line 2: field 'gold_sources': must be a list of strings",
        "questions.jsonl line 3: not valid JSON",
        "questions.jsonl line 4: field 'tags': must be a list of strings",
        "questions.jsonl line 5: must be a JSON object",
        "questions.jsonl line 6: field 'gold_source': unknown field",
        "questions.jsonl line 7: field 'answerable': must be true or false",
        "questions.jsonl line 8: field 'history'",
        "questions.jsonl line 9: field 'answerable': is false but gold_sources",
    ):
        assert expected in message
    assert "line 1:" not in message


def test_an_empty_question_and_empty_facts_are_named() -> None:
    with pytest.raises(QuestionSetError) as caught:
        parse_questions(jsonl({"question": "  "}, {"question": "Q?", "key_facts": [["", " "]]}), name="s.jsonl")
    assert "s.jsonl line 1: field 'question': is required" in str(caught.value)
    assert "s.jsonl line 2: field 'key_facts'" in str(caught.value)


def test_many_bad_lines_are_capped() -> None:
    with pytest.raises(QuestionSetError) as caught:
        parse_questions(["{"] * 30)
    message = str(caught.value)
    assert "30 problem(s)" in message and "line 20:" in message and "line 21:" not in message
    assert "... and 10 more" in message


def test_duplicate_ids_are_an_error() -> None:
    with pytest.raises(QuestionSetError, match=r"line 3: field 'id': 'q1' is already used on line 1"):
        parse_questions(
            jsonl({"id": "q1", "question": "A?"}, {"id": "q2", "question": "B?"}, {"id": "q1", "question": "C?"})
        )


def test_missing_unreadable_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="no question set at"):
        load_questions(tmp_path / "absent.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"question": "caf\xe9?"}\n')
    with pytest.raises(QuestionSetError, match="UTF-8"):
        load_questions(tmp_path / "latin1.jsonl")
    with pytest.raises(QuestionSetError, match="holds no questions"):
        load_questions(write(tmp_path / "empty.jsonl", "// nothing yet\n"))


def test_questions_round_trip_through_jsonl() -> None:
    questions = load_questions(SAMPLE_QUESTIONS)
    text = questions_to_jsonl(questions)
    assert text.count("\n") == len(questions)
    assert parse_questions(text.splitlines()) == questions
