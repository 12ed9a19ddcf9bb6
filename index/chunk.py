"""Token-aware, sentence-aware chunking with overlap; every chunk is an exact slice of its document."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from index.sentences import sentence_spans
from index.tokens import count_tokens, count_tokens_batch, encoding
from index.types import PARAGRAPH_SEPARATOR, Chunk, CleanDocument

CHUNKER_VERSION = "1"
# A paragraph break is a better place to cut than mid-paragraph once a chunk is this full.
PARAGRAPH_CUT_FILL = 0.6


@dataclass(frozen=True)
class _Piece:
    """A sentence (or a window of an over-long sentence) with its token count."""

    start: int
    end: int
    tokens: int
    paragraph_start: bool  # first piece after a blank line


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


def _pieces(text: str, max_tokens: int) -> list[_Piece]:
    spans = sentence_spans(text)
    counts = count_tokens_batch([text[s:e] for s, e in spans]) if spans else []
    pieces: list[_Piece] = []
    previous_end = 0
    for (start, end), tokens in zip(spans, counts, strict=True):
        new_paragraph = not pieces or PARAGRAPH_SEPARATOR in text[previous_end:start]
        if tokens <= max_tokens:
            pieces.append(_Piece(start, end, tokens, new_paragraph))
        else:
            for i, (w_start, w_end, w_tokens) in enumerate(_windows(text, start, end, max_tokens)):
                pieces.append(_Piece(w_start, w_end, w_tokens, new_paragraph and i == 0))
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
            # Separators add a token or two per join: keep a small margin.
            if total + nxt.tokens + 1 > max_tokens:
                break
            if nxt.paragraph_start and total >= PARAGRAPH_CUT_FILL * max_tokens:
                break
            total += nxt.tokens + 1
            last += 1
        groups.append((first, last))
        if last + 1 >= len(pieces):
            break
        first = _overlap_start(pieces, first, last, overlap)
    return groups


def chunk_document(doc: CleanDocument, max_tokens: int, overlap: int) -> list[Chunk]:
    """Split a cleaned document into chunks of at most ~max_tokens tokens.

    Chunks follow sentence boundaries, prefer paragraph breaks, repeat up to `overlap`
    tokens of whole sentences from the previous chunk, and satisfy
    doc.text[chunk.char_start:chunk.char_end] == chunk.text.
    """
    pieces = _pieces(doc.text, max_tokens)
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
