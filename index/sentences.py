"""Sentence splitting with character offsets: abbreviations, initials, numbers and quotes."""

from __future__ import annotations

import re

# Words that end with a period without ending a sentence (lowercase, without the period).
ABBREVIATIONS = frozenset(
    (
        "mr mrs ms dr prof gen col lt maj capt cmdr adm sgt cpl pvt gov sen rep rev hon pres "
        "st mt jr sr no nos vol vols fig figs pp approx dept est inc ltd co corp bros vs "
        "jan feb mar apr jun jul aug sep sept oct nov dec mon tue tues wed thu thurs fri sat sun "
        "e.g i.e a.m p.m u.s u.k u.n u.s.a d.c al etc cf ca"
    ).split()
)

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then space.
_BOUNDARY = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*(?=\s)")
_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)\.$")
_STARTS_SENTENCE = re.compile(r"[A-Z0-9\"'\u201c\u2018(\[\u00c0-\u024f]")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` belongs to an abbreviation or an initial."""
    match = _WORD_BEFORE.search(text, max(0, dot - 12), dot + 1)
    if not match:
        return False
    word = match.group(1)
    if len(word) == 1 and word.isupper():  # an initial: "Jessica L. McNulty"
        return True
    return word.lower().rstrip(".") in ABBREVIATIONS


def _next_char(text: str, pos: int) -> str:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return text[pos] if pos < len(text) else ""


def _is_boundary(text: str, match: re.Match[str]) -> bool:
    punct = match.group(0)
    nxt = _next_char(text, match.end())
    if not nxt or not _STARTS_SENTENCE.match(nxt):
        return False  # "... oh wait" or "3.5 million" style continuations
    if punct.startswith(".") and not punct.startswith("..."):
        return not _is_abbreviation(text, match.start())
    return True


def _split_paragraph(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        if _is_boundary(text, match):
            spans.append((cursor, match.end()))
            cursor = match.end()
    spans.append((cursor, end))
    return spans


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences in `text`, in order, without surrounding space.

    A blank line always ends a sentence; single line breaks are treated as spaces,
    so hard-wrapped text is not cut mid-sentence.
    """
    spans: list[tuple[int, int]] = []
    paragraph_start = 0
    for sep in [*_PARAGRAPH.finditer(text), None]:
        paragraph_end = sep.start() if sep else len(text)
        for start, end in _split_paragraph(text, paragraph_start, paragraph_end):
            start, end = _strip(text, start, end)
            if end > start:
                spans.append((start, end))
        paragraph_start = sep.end() if sep else len(text)
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` (see `sentence_spans`)."""
    return [text[s:e] for s, e in sentence_spans(text)]
