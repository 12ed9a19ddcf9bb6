"""Compound questions through the pipeline (fakes over a real Chroma): every part answered or named."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant import NOT_FOUND, Assistant, Settings
from assistant.answering.compose import MISSING, OverviewComposer, numbered
from assistant.types import Evidence, Passage
from index.ingest import run_index
from index.settings import IndexSettings
from index.text import marker_numbers
from tests.fakes import FakeAnswerer, HashingEmbedder, LexicalScorer
from tests.test_assistant import make

BOTH = (
    "How many US troops are deployed in Iraq, and why did Nuland say "
    "a US withdrawal from Syria was not a viable option?"
)
HALF = "How many US troops are deployed in Iraq, and what is the recipe for apple pie with cinnamon?"
NEITHER = "What is the recipe for apple pie, and who won the 1998 football world cup final?"


@pytest.fixture
def indexed(corpus: Path, index_settings: IndexSettings) -> IndexSettings:
    run_index(corpus, index_settings, HashingEmbedder())
    return index_settings


def _cited_parts(answer) -> list[bool]:  # type: ignore[no-untyped-def]
    cited = {(c.doc_id, c.char_start) for c in answer.citations}
    by_id = {e.id: e for e in answer.evidence}
    return [
        any((by_id[i].passage.doc_id, by_id[i].char_start) in cited for i in part["evidence"])
        for part in answer.decision["parts"]
    ]


def test_each_part_of_a_compound_question_is_answered_with_its_own_citation(indexed: IndexSettings) -> None:
    answer = make(indexed).ask(BOTH)
    assert not answer.abstained and len(answer.decision["parts"]) == 2
    assert "2,500" in answer.text and "still active" in answer.text
    assert _cited_parts(answer) == [True, True]


def test_a_part_the_documents_do_not_answer_is_named_and_the_rest_answered(indexed: IndexSettings) -> None:
    answer = make(indexed).ask(HALF)
    assert not answer.abstained and "2,500" in answer.text
    assert answer.text.endswith(MISSING.format(part="What is the recipe for apple pie with cinnamon?"))
    assert [p["abstain"] for p in answer.decision["parts"]] == [False, True]
    assert any("apple pie" in note for note in answer.notes)


def test_when_no_part_is_answered_the_question_is_refused(indexed: IndexSettings) -> None:
    answer = make(indexed).ask(NEITHER)
    assert answer.abstained and answer.text.startswith(NOT_FOUND) and not answer.citations


def test_abstain_false_answers_every_part(indexed: IndexSettings) -> None:
    answer = make(indexed).ask(HALF, abstain=False)
    assert not answer.abstained and MISSING.split("{")[0] not in answer.text


def test_an_llm_answers_each_part_from_that_parts_evidence(indexed: IndexSettings) -> None:
    probe = make(indexed).ask(BOTH)
    first = next(e for e in probe.evidence if "2,500" in e.sentence)
    second = next(e for e in probe.evidence if "still active" in e.sentence)
    llm = FakeAnswerer([f"{first.sentence} [{first.id}].", f"{second.sentence} [{second.id}]."])
    answer = make(indexed, answerer=llm).ask(BOTH)
    assert answer.answerer == "fake" and "2,500" in answer.text and "still active" in answer.text
    assert _cited_parts(answer) == [True, True]
    asked = [prompt[1]["content"] for prompt in llm.prompts]
    assert len(asked) == 2 and "Question: How many US troops" in asked[0] and "Question: Why did Nuland" in asked[1]
    assert "2,500" in asked[0] and "still active" in asked[1]  # each part shown its own evidence


def test_a_part_the_llm_leaves_out_gets_the_extractive_sentences(indexed: IndexSettings) -> None:
    probe = make(indexed).ask(BOTH)
    first = next(e for e in probe.evidence if "2,500" in e.sentence)
    llm = FakeAnswerer([f"{first.sentence} [{first.id}]."])  # nothing for the second part
    answer = make(indexed, answerer=llm).ask(BOTH)
    assert answer.answerer == "fake+extractive" and "still active" in answer.text
    assert _cited_parts(answer) == [True, True]
    assert any("1 part(s) failed the claim check" in note for note in answer.notes)


@pytest.mark.parametrize("trust", [False, True])
def test_a_part_the_llm_refuses_is_named_missing_only_when_refusals_are_trusted(
    indexed: IndexSettings, trust: bool
) -> None:
    probe = make(indexed).ask(BOTH)
    first = next(e for e in probe.evidence if "2,500" in e.sentence)
    llm = FakeAnswerer([f"{first.sentence} [{first.id}].", "The documents do not say why."])
    settings = Settings(index=indexed, trust_refusals=trust)
    bot = Assistant(settings, embedder=HashingEmbedder(), scorer=LexicalScorer(), answerer=llm, abstain_threshold=0.5)
    answer = bot.ask(BOTH)
    assert "2,500" in answer.text and not answer.abstained
    second = probe.decision["parts"][1]["text"]
    assert answer.text.endswith(MISSING.format(part=second)) is trust
    assert ("still active" in answer.text) is not trust  # untrusted: the extractive sentences fill it in
    assert [p["abstain"] for p in answer.decision["parts"]] == [False, trust]  # as the text says


def test_when_every_part_is_refused_and_trusted_the_answer_abstains(indexed: IndexSettings) -> None:
    llm = FakeAnswerer(["Not in the documents.", "The documents do not say."])
    settings = Settings(index=indexed, trust_refusals=True)
    bot = Assistant(settings, embedder=HashingEmbedder(), scorer=LexicalScorer(), answerer=llm, abstain_threshold=0.5)
    answer = bot.ask(BOTH)
    assert answer.abstained and any("found no answer" in note for note in answer.notes)
    assert answer.decision["abstain"] and all(p["abstain"] for p in answer.decision["parts"])


def test_a_wrong_claim_of_the_llm_is_still_dropped(indexed: IndexSettings) -> None:
    probe = make(indexed).ask(BOTH)
    first = next(e for e in probe.evidence if "2,500" in e.sentence)
    llm = FakeAnswerer([f"{first.sentence.replace('2,500', '7,000')} [{first.id}]."])
    answer = make(indexed, answerer=llm).ask(BOTH)
    assert "7,000" not in answer.text and "2,500" in answer.text
    assert answer.answerer == "fake->extractive"


def test_a_sentence_two_parts_share_keeps_one_number(indexed: IndexSettings) -> None:
    evidence = list(make(indexed).ask(BOTH).evidence)
    groups = numbered([evidence[:2], [evidence[1], evidence[2]]])
    assert [e.id for e in groups[0]] == [1, 2] and [e.id for e in groups[1]] == [2, 3]


def test_an_overview_is_a_list_of_cited_points(indexed: IndexSettings) -> None:
    answer = make(indexed).ask("Summarise what happened to the US troops in Kirkuk.")
    points = answer.text.splitlines()
    assert not answer.abstained and len(points) >= 2
    assert all(p.startswith("- ") and re.search(r"\[\d+\]", p) for p in points)
    assert len(answer.citations) >= 2


def _evidence(n: int, sentence: str, doc: str, start: int) -> Evidence:
    passage = Passage(f"{doc}#0", doc, doc, sentence, None, start, start + len(sentence))
    return Evidence(n, passage, sentence, sentence, start, start + len(sentence), score=5.0 - n / 10)


@pytest.mark.parametrize(
    ("sentences", "order"),
    [
        (  # most points carry a year: time order
            [
                ("The vendor signed the revised contract in March 2023.", "b.eml", 0),
                ("The first quote was sent in June 2021.", "a.eml", 0),
                ("Scope was cut in November 2022 after the audit.", "c.eml", 0),
            ],
            [2, 3, 1],
        ),
        (  # no dates: document order
            [
                ("The board approved the plan.", "b.txt", 10),
                ("The plan was drafted by the finance team.", "a.txt", 50),
                ("Staff were told about the plan.", "b.txt", 0),
            ],
            [2, 3, 1],
        ),
    ],
)
def test_an_overview_is_in_time_order_when_dated_else_in_document_order(
    sentences: list[tuple[str, str, int]], order: list[int]
) -> None:
    evidence = [_evidence(n, text, doc, start) for n, (text, doc, start) in enumerate(sentences, 1)]
    text = "".join(OverviewComposer().generate("What is the timeline?", evidence))
    assert [marker_numbers(s)[0] for s in text.split(". ") if marker_numbers(s)] == order
