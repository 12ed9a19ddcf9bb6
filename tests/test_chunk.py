"""Chunking: exact slices, in order, covering the document, within the token budget, with overlap."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunk import chunk_document, chunk_id
from index.tokens import count_tokens
from index.types import PARAGRAPH_SEPARATOR, CleanDocument, Location, Span

WORDS = ["troops", "Iraq", "the", "U.S.", "said", "Dr.", "oil", "2,500", "base", "talks", "NATO", "\u201cyes\u201d"]


def make_doc(paragraphs: list[str]) -> CleanDocument:
    text, spans, cursor = "", [], 0
    for i, para in enumerate(paragraphs):
        if i:
            text += PARAGRAPH_SEPARATOR
            cursor += len(PARAGRAPH_SEPARATOR)
        spans.append(Span(cursor, cursor + len(para), Location("lines", 2 * i + 1, 2 * i + 1)))
        text += para
        cursor += len(para)
    return CleanDocument("doc.txt", Path("doc.txt"), "text", "Title", "hash", text, tuple(spans))


sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=40).map(lambda ws: " ".join(ws).capitalize() + ".")
paragraph = st.lists(sentence, min_size=1, max_size=8).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(paragraph, min_size=1, max_size=6), st.sampled_from([(48, 8), (96, 16), (200, 40)]))
def test_chunks_are_exact_ordered_and_cover_the_document(paragraphs: list[str], sizes: tuple[int, int]) -> None:
    max_tokens, overlap = sizes
    doc = make_doc(paragraphs)
    chunks = chunk_document(doc, max_tokens, overlap)
    assert chunks, "a non-empty document gives at least one chunk"
    covered: set[int] = set()
    for i, chunk in enumerate(chunks):
        assert chunk.index == i
        assert doc.text[chunk.char_start : chunk.char_end] == chunk.text
        assert chunk.token_count == count_tokens(chunk.text)
        assert chunk.token_count <= max_tokens + 2  # joins may add a token at most
        covered.update(range(chunk.char_start, chunk.char_end))
    assert [c.char_start for c in chunks] == sorted(c.char_start for c in chunks)
    assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())


def test_overlap_repeats_whole_sentences() -> None:
    sentences = [f"Sentence number {i} talks about troops in Iraq and oil in Syria." for i in range(30)]
    doc = make_doc([" ".join(sentences)])
    chunks = chunk_document(doc, 64, 20)
    assert len(chunks) > 2
    for previous, current in zip(chunks, chunks[1:], strict=False):
        assert current.char_start < previous.char_end, "consecutive chunks overlap"
        assert current.text.startswith("Sentence number"), "overlap starts at a sentence boundary"


def test_prefers_paragraph_breaks_and_records_locations() -> None:
    para = " ".join(f"Fact {i} about the base." for i in range(12))
    doc = make_doc([para, para.replace("Fact", "Claim"), para.replace("Fact", "Note")])
    chunks = chunk_document(doc, 100, 0)
    assert chunks[0].location == Location("lines", 1, 1)
    assert all(c.location is not None and c.location.kind == "lines" for c in chunks)
    starts = {c.char_start for c in chunks}
    second_paragraph = doc.spans[1].start
    assert second_paragraph in starts, "a new chunk starts at the paragraph break"


def test_an_over_long_sentence_is_windowed() -> None:
    doc = make_doc([" ".join(["word"] * 500)])
    chunks = chunk_document(doc, 64, 0)
    assert len(chunks) >= 7
    assert all(c.token_count <= 66 for c in chunks)
    assert all(doc.text[c.char_start : c.char_end] == c.text for c in chunks)


def test_ids_are_stable_and_depend_on_content() -> None:
    assert chunk_id("a.txt", "h1", 0) == chunk_id("a.txt", "h1", 0)
    assert (
        len(
            {
                chunk_id("a.txt", "h1", 0),
                chunk_id("a.txt", "h2", 0),
                chunk_id("b.txt", "h1", 0),
                chunk_id("a.txt", "h1", 1),
            }
        )
        == 4
    )
