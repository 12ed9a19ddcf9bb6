"""Sentence splitting: abbreviations, initials, numbers, quotes; spans are exact and ordered."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from index.sentences import sentence_spans, split_sentences


def test_abbreviations_and_initials_do_not_split() -> None:
    text = "Pentagon spokesperson Cmdr. Jessica L. McNulty told CNN. Dr. Smith met Gen. Brown in Feb. 2024."
    assert split_sentences(text) == [
        "Pentagon spokesperson Cmdr. Jessica L. McNulty told CNN.",
        "Dr. Smith met Gen. Brown in Feb. 2024.",
    ]


def test_numbers_and_acronyms_stay_whole() -> None:
    text = "Ankara must pay $1.5 billion to the U.S. Treasury. Troops numbered 2,500. 900 more were in Syria."
    assert split_sentences(text) == [
        "Ankara must pay $1.5 billion to the U.S. Treasury.",
        "Troops numbered 2,500.",
        "900 more were in Syria.",
    ]


def test_quotes_end_with_their_sentence() -> None:
    text = '"We support NATO," Kirby said. \u201cThere are no plans.\u201d He left.'
    assert split_sentences(text) == ['"We support NATO," Kirby said.', "\u201cThere are no plans.\u201d", "He left."]


def test_lowercase_continuation_and_paragraphs() -> None:
    text = "Here again... oh wait. Really?\n\nA new paragraph\nwrapped over lines. End"
    assert split_sentences(text) == ["Here again... oh wait.", "Really?", "A new paragraph\nwrapped over lines.", "End"]


@given(st.text(alphabet=st.sampled_from(list("ab .!?\n\"'UeD")), max_size=200))
def test_spans_are_ordered_exact_and_cover_all_text(text: str) -> None:
    spans = sentence_spans(text)
    covered = set()
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        covered.update(range(start, end))
        previous_end = end
    # Every non-space character belongs to some sentence.
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
