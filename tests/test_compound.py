"""Splitting compound questions into parts (assistant.answering.compound): what is split, what is left whole."""

from __future__ import annotations

import pytest

from assistant.answering.compose import parts
from assistant.answering.compound import shape, split


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When is the launch, and why did the date change?", ["When is the launch?", "Why did the date change?"]),
        (
            "What did the vendor quote, what was agreed, and what changed in scope?",
            ["What did the vendor quote?", "What was agreed?", "What changed in scope?"],
        ),
        ("When did the date change and why?", ["When did the date change?", "Why did the date change?"]),
        ("When was the treaty signed and by whom?", ["When was the treaty signed?", "By whom was the treaty signed?"]),
        ("How many people died and how many were injured?", ["How many people died?", "How many were injured?"]),
        ("Who won the election? What was the turnout?", ["Who won the election?", "What was the turnout?"]),
        ("Who founded the company and where is it based?", ["Who founded the company?", "Where is it based?"]),
        (
            "What did Tesla announce, and the stock rose by how much?",
            ["What did Tesla announce?", "The stock rose by how much?"],
        ),
        (
            "Outside of its home market, where does the firm sell, and in what year did it list its shares?",
            ["Outside of its home market, where does the firm sell?", "In what year did it list its shares?"],
        ),
    ],
)
def test_a_compound_question_is_split_at_each_new_question(question: str, expected: list[str]) -> None:
    assert split(question) == expected
    assert shape(question) == "compound"


@pytest.mark.parametrize(
    "question",
    [
        "Who are Tom, Dick and Harry?",
        "What is the difference between the old contract and the new one?",
        "How many US troops are deployed in Iraq and Syria?",
        "What was the cost of the project and the time it took?",
        "Which firms, banks and insurers signed the agreement?",
        # self-corrections repair one question; they do not start a second
        "What is the Great Dividing Range, rather what is the temperature on its summit in winter?",
        "When did Louis XIV, sorry I meant to say Napoleon, when did he die?",
        "Where, scratch that, what is another notable university in Warsaw?",
        "What do increased hormone levels cause in aging adults no not that but what helps with vitamin D?",
    ],
)
def test_one_question_stays_whole(question: str) -> None:
    assert split(question) == [" ".join(question.split())]
    assert shape(question) != "compound"


def test_a_part_that_refers_back_is_resolved_against_the_first() -> None:
    found = parts("When was the Treaty of Paris signed, and who signed it?")
    assert [p.text for p in found] == ["When was the Treaty of Paris signed?", "Who signed it?"]
    assert found[1].query == "Who signed the Treaty of Paris?"


def test_a_referent_that_is_not_a_noun_phrase_is_not_put_in() -> None:
    # The resolver's subject of "What part of X ..." starts with "of": the part keeps its own words.
    found = parts("What part of the atmosphere no sorry biosphere is oxygen, and in what year was it discovered?")
    assert found[1].query == "In what year was it discovered?"


def test_overviews_are_recognised() -> None:
    assert shape("Summarise the dispute between the vendor and the client.") == "overview"
    assert shape("What is the timeline of the negotiations?") == "overview"
    assert shape("Who leads the SDF?") == "factoid"
