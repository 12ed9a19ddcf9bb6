"""Sentence windows and the lexical pre-score that decides what the cross-encoder reads."""

from __future__ import annotations

from assistant.answering.evidence import type_bonus
from assistant.retrieval.windows import (
    MAX_CONTEXT_WORDS,
    PREVIOUS_WORDS,
    prescore,
    previous_sentence,
    shortlist,
    terms,
    unique,
    windows,
)
from tests.fakes import passage

TEXT = (
    "The council met on Monday. The bridge over the Wear reopened in May after repairs.\n\n"
    "It cost 4,000,000 pounds. Short one."
)


def test_windows_keep_offsets_and_the_previous_sentence_of_the_same_paragraph() -> None:
    found = windows(passage(TEXT, start=100))
    assert [w.sentence for w in found] == [
        "The council met on Monday.",
        "The bridge over the Wear reopened in May after repairs.",
        "It cost 4,000,000 pounds.",
    ], "'Short one.' has too few words to be evidence"
    bridge, cost = found[1], found[2]
    assert bridge.context == "The council met on Monday. The bridge over the Wear reopened in May after repairs."
    assert cost.context == cost.sentence, "a new paragraph starts a new context"
    assert TEXT[bridge.start - 100 : bridge.end - 100] == bridge.sentence


def test_the_previous_sentence_is_found_by_document_offset_within_its_paragraph() -> None:
    p = passage(TEXT, start=100)
    council, bridge, cost = windows(p)
    assert previous_sentence(p, bridge.start) == (council.start, council.end)
    assert previous_sentence(p, council.start) is None, "the first sentence"
    assert previous_sentence(p, cost.start) is None, "a new paragraph"


def test_a_long_previous_sentence_is_cut_to_its_tail() -> None:
    long_sentence = " ".join(f"w{n}" for n in range(MAX_CONTEXT_WORDS)) + "."
    found = windows(passage(f"{long_sentence} The answer is here today."))
    tail = " ".join(f"w{n}" for n in range(MAX_CONTEXT_WORDS - PREVIOUS_WORDS, MAX_CONTEXT_WORDS))
    assert found[-1].context == f"… {tail}. The answer is here today."
    huge = "Words " + " ".join(["word"] * MAX_CONTEXT_WORDS) + " end."
    assert windows(passage(f"A short opening sentence here. {huge}"))[-1].context == huge, "no room for context"


def test_overlapping_chunks_repeat_a_window_once() -> None:
    a = windows(passage(TEXT, chunk_id="a"))
    b = windows(passage(TEXT, chunk_id="b"))
    assert len(unique(a + b)) == len(a)


def test_terms_are_stemmed_content_words_and_numbers_either_way() -> None:
    assert terms("The bridges reopened, costing 4,000 pounds") == terms("bridge reopen cost 4000 pound")
    assert "the" not in terms("the the the")


def test_rare_query_terms_outweigh_the_shared_topic() -> None:
    items = windows(
        passage(
            "The bridge was closed for repairs in the spring. The bridge reopened in May after repairs. "
            "The bridge is painted green by the council."
        )
    )
    scores = prescore("When did the bridge reopen?", items)
    assert scores.index(max(scores)) == 1, scores


def test_the_type_bonus_lifts_a_sentence_with_the_asked_for_kind() -> None:
    items = windows(passage("Many soldiers were sent to the base. About 40 soldiers arrived there by road."))
    question = "How many soldiers were sent to the base?"
    plain = prescore(question, items)
    fits = type_bonus(question)
    assert fits is not None and type_bonus("Who was sent?") is None
    typed = prescore(question, items, [fits(w.sentence) for w in items])
    assert plain[0] > plain[1] and typed[1] > typed[0]


def test_shortlist_reads_each_passage_once_then_fills_the_budget() -> None:
    first = passage("Alpha facts are here today. Beta facts are here today. Gamma things are here.", chunk_id="p1")
    second = passage("Nothing relevant is written in this one at all.", chunk_id="p2")
    items = windows(first) + windows(second)
    picked = shortlist("alpha beta facts", items, budget=2)
    assert {w.passage.chunk_id for w in picked} == {"p1", "p2"}, "every passage gets its best window"
    assert picked[0].sentence.startswith(("Alpha", "Beta"))
    assert len(shortlist("alpha beta facts", items, budget=3)) == 3
    assert len(shortlist("alpha", items, budget=0)) == 2, "the per-passage guarantee beats a small budget"
