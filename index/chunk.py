"""Token-aware, sentence-aware chunking with overlap; every chunk is an exact slice of its document."""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass

from index.sentences import sentence_spans
from index.tokens import count_tokens, count_tokens_batch, encoding
from index.types import PARAGRAPH_SEPARATOR, Chunk, CleanDocument

CHUNKER_VERSION = "1"
# A paragraph break is a better place to cut than mid-paragraph once a chunk is this full.
PARAGRAPH_CUT_FILL = 0.6
TABLE_KINDS = frozenset({"rows"})  # Location kinds whose blocks are table rows


@dataclass(frozen=True)
class _Piece:
    """A sentence (or a window of an over-long sentence) with its token count."""

    start: int
    end: int
    tokens: int
    paragraph_start: bool  # first piece after a blank line
    section_start: bool = False  # first piece of another sheet, message or OCR page: never joined
    table: bool = False  # a spreadsheet row: rows read on their own, so none is repeated as overlap


def chunk_id(doc_id: str, content_hash: str, index: int) -> str:
    """Stable id: the same file content always gives the same ids (upserts are idempotent)."""
    key = f"{doc_id}\0{content_hash}\0{index}".encode()
    return hashlib.sha256(key).hexdigest()[:32]


def _windows(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int, int]]:
    """Cut an over-long sentence into windows of at most max_tokens, at token boundaries."""
    enc = encoding()
    tokens = enc.encode(text[start:end], disallowed_special=())
    _, offsets = enc.decode_with_offsets(tokens)
    windows = []
    for first in range(0, len(tokens), max_tokens):
        last = min(first + max_tokens, len(tokens))
        w_start = start + offsets[first]
        w_end = start + offsets[last] if last < len(tokens) else end
        windows.append((w_start, w_end, last - first))
    return windows


def _sections(doc: CleanDocument, offsets: list[int]) -> list[tuple[str, str] | None]:
    """The (kind, detail) of the block holding each of the sorted `offsets`."""
    starts = [span.start for span in doc.spans]
    found: list[tuple[str, str] | None] = []
    for offset in offsets:
        i = bisect_right(starts, offset) - 1
        found.append(doc.spans[i].location.section if i >= 0 else None)
    return found


def _pieces(doc: CleanDocument, max_tokens: int) -> list[_Piece]:
    text = doc.text
    spans = sentence_spans(text)
    counts = count_tokens_batch([text[s:e] for s, e in spans]) if spans else []
    sections = _sections(doc, [start for start, _ in spans])
    pieces: list[_Piece] = []
    previous_end = 0
    for i, ((start, end), tokens) in enumerate(zip(spans, counts, strict=True)):
        new_paragraph = not pieces or PARAGRAPH_SEPARATOR in text[previous_end:start]
        new_section = i > 0 and sections[i] != sections[i - 1]
        section = sections[i]
        table = section is not None and section[0] in TABLE_KINDS
        if tokens <= max_tokens:
            pieces.append(_Piece(start, end, tokens, new_paragraph, new_section, table))
        else:
            for n, (w_start, w_end, w_tokens) in enumerate(_windows(text, start, end, max_tokens)):
                first = n == 0
                pieces.append(_Piece(w_start, w_end, w_tokens, new_paragraph and first, new_section and first, table))
        previous_end = end
    return pieces


def _overlap_start(pieces: list[_Piece], first: int, last: int, overlap: int) -> int:
    """Index of the first piece to repeat in the next chunk (last+1 when none fits)."""
    carried, start = 0, last + 1
    while start - 1 > first and carried + pieces[start - 1].tokens <= overlap:
        start -= 1
        carried += pieces[start].tokens
    return start


def _groups(pieces: list[_Piece], max_tokens: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy packing of pieces into (first, last) index ranges."""
    groups: list[tuple[int, int]] = []
    first = 0
    while first < len(pieces):
        total, last = pieces[first].tokens, first
        while last + 1 < len(pieces):
            nxt = pieces[last + 1]
            if nxt.section_start:
                break
            # Separators add a token or two per join: keep a small margin.
            if total + nxt.tokens + 1 > max_tokens:
                break
            if nxt.paragraph_start and not nxt.table and total >= PARAGRAPH_CUT_FILL * max_tokens:
                break
            total += nxt.tokens + 1
            last += 1
        groups.append((first, last))
        if last + 1 >= len(pieces):
            break
        # No overlap into another sheet, message or OCR page (a chunk has one location kind),
        # nor between rows of a table, which carry their column labels anyway.
        fresh = pieces[last + 1].section_start or pieces[last].table
        first = last + 1 if fresh else _overlap_start(pieces, first, last, overlap)
    return groups


def chunk_document(doc: CleanDocument, max_tokens: int, overlap: int) -> list[Chunk]:
    """Split a cleaned document into chunks of at most ~max_tokens tokens.

    Chunks follow sentence boundaries, prefer paragraph breaks, repeat up to `overlap`
    tokens of whole sentences from the previous chunk, never span two location sections
    (sheets, messages, OCR and text pages: see Location.section), and satisfy
    doc.text[chunk.char_start:chunk.char_end] == chunk.text.
    """
    pieces = _pieces(doc, max_tokens)
    chunks = []
    for index, (first, last) in enumerate(_groups(pieces, max_tokens, overlap)):
        start, end = pieces[first].start, pieces[last].end
        text = doc.text[start:end]
        chunks.append(
            Chunk(
                chunk_id=chunk_id(doc.doc_id, doc.content_hash, index),
                doc_id=doc.doc_id,
                index=index,
                text=text,
                char_start=start,
                char_end=end,
                location=doc.locate(start, end),
                token_count=count_tokens(text),
            )
        )
    return chunks
