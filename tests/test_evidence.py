"""Evidence selection: sentences with context, deduplicated, typed by what the question asks."""

from __future__ import annotations

from assistant.answering.answerers import ExtractiveAnswerer
from assistant.answering.evidence import fits_answer_type, select_evidence
from tests.fakes import LexicalScorer, evidence, passage


def test_answer_types() -> None:
    assert not fits_answer_type("How many soldiers were sent?", "Soldiers were sent from Erbil.")
    assert fits_answer_type("How many soldiers were sent?", "About 40 soldiers were sent from Erbil.")
    assert fits_answer_type("How many soldiers were sent?", "Hundreds of soldiers were sent.")
    assert not fits_answer_type("When did the talks start?", "The talks started after a long delay.")
    assert fits_answer_type("When did the talks start?", "The talks started on Thursday.")
    assert fits_answer_type("Who signed the deal?", "The minister signed the deal.")


def test_sentences_carry_their_previous_sentence_and_are_unique() -> None:
    text = "Faleh al-Fayyad spoke at a funeral on Sunday. He demanded the withdrawal of coalition forces."
    first = passage(text, chunk_id="a", start=0)
    overlapping = passage(text, chunk_id="b", start=0)  # the same sentences again, from an overlap
    found = select_evidence("What did he demand?", [first, overlapping], LexicalScorer())
    assert len(found) == 2, "each document span once"
    demand = next(e for e in found if e.sentence.startswith("He demanded"))
    assert demand.context.startswith("Faleh al-Fayyad spoke") and demand.id in (1, 2)
    assert [e.id for e in found] == [1, 2]


def test_extractive_prefers_a_sentence_of_the_asked_type() -> None:
    items = evidence(
        "The soldiers were sent from Erbil to the base.", "About 40 soldiers were sent to the base.", score=9.0
    )
    text = "".join(ExtractiveAnswerer().generate("How many soldiers were sent to the base?", items))
    assert text.startswith("About 40 soldiers") and "[2]" in text and "Erbil" not in text
