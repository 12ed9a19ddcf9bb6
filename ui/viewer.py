"""The document viewer: a cited document's indexed text, numbered, with the cited sentence marked.

Pure presentation over assistant.documents: which citation a `#doc-<turn>-<n>` link names, the
numbered rows as escaped HTML (the first marked row has id="cited", which the page scrolls
to), and the header that says what is shown and why a page picture is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.documents import IndexedDocument, Row
from assistant.history import Turn
from ui.render import esc, md_text

ROWS_AROUND = 300  # rows shown either side of the cited one (a 20,000-row sheet is not sent whole)
TARGET_PARTS = 2  # "<turn>-<n>" or "<turn>-p<i>", then the page's ":<nonce>"


@dataclass(frozen=True)
class Target:
    """What a document link points at: a document and a span of its cleaned text."""

    doc_id: str
    title: str
    start: int
    end: int
    quote: str  # the cited sentence ("" for a closest passage without one)
    collection: str  # the collection the answer was given from ("" = the session's)
    location: str  # as the answer labelled it


def parse_target(raw: str, turns: list[Turn]) -> Target | None:
    """The citation or closest passage `raw` names ("3-1:1700000000", "0-p2:17..."), or None."""
    name = str(raw or "").split(":", 1)[0]
    turn_part, _, item = name.partition("-")
    if not turn_part.isdigit() or not item or int(turn_part) >= len(turns):
        return None
    turn = turns[int(turn_part)]
    answer = turn.answer
    if answer is None:
        return None
    collection = str(turn.settings.get("collection") or "")
    if item.isdigit():
        for c in answer.citations:
            if c.number == int(item):
                return Target(c.doc_id, c.title, c.char_start, c.char_end, c.quote, collection, c.location_label)
        return None
    if item.startswith("p") and item[1:].isdigit() and 1 <= int(item[1:]) <= len(answer.passages):
        passage = answer.passages[int(item[1:]) - 1]
        best = [e for e in sorted(answer.evidence, key=lambda e: -e.score) if e.passage.chunk_id == passage.chunk_id]
        start, end, quote = (
            (best[0].char_start, best[0].char_end, best[0].sentence)
            if best
            else (passage.char_start, passage.char_end, "")
        )
        label = passage.location.label() if passage.location else ""
        return Target(passage.doc_id, passage.title, start, end, quote, collection, label)
    return None


def moved_span(doc: IndexedDocument, target: Target) -> tuple[int, int, bool]:
    """(start, end, still there): the target's span, or where its quote is now, or (0, 0, False)."""
    text = doc.text[target.start : target.end]
    if not target.quote or " ".join(text.split()) == " ".join(target.quote.split()):
        return target.start, target.end, True
    at = doc.text.find(target.quote)
    return (at, at + len(target.quote), False) if at >= 0 else (0, 0, False)


def document_html(doc: IndexedDocument, start: int, end: int) -> str:
    """The rows around [start, end) as numbered, escaped HTML with that span in <mark>."""
    rows = doc.rows
    hit = next((i for i, r in enumerate(rows) if r.end > start and r.start < max(end, start + 1)), 0)
    first, last = max(0, hit - ROWS_AROUND), min(len(rows), hit + ROWS_AROUND + 1)
    parts = ['<div class="doc-text">']
    if first:
        parts.append(f'<div class="doc-more">{first} earlier rows not shown</div>')
    marked = False
    for row in rows[first:last]:
        html, has_mark = _row_html(doc.text, row, start, end, first_mark=not marked)
        marked = marked or has_mark
        parts.append(html)
    if last < len(rows):
        parts.append(f'<div class="doc-more">{len(rows) - last} later rows not shown</div>')
    parts.append("</div>")
    return "".join(parts)


def _row_html(text: str, row: Row, start: int, end: int, *, first_mark: bool) -> tuple[str, bool]:
    a, b = max(row.start, start), min(row.end, end)
    body = text[row.start : row.end]
    if a < b:
        mark_id = ' id="cited"' if first_mark else ""
        body_html = esc(text[row.start : a]) + f"<mark{mark_id}>" + esc(text[a:b]) + "</mark>" + esc(text[b : row.end])
    else:
        body_html = esc(body)
    row_class = "doc-row cited-row" if a < b else "doc-row"
    number = f'<span class="doc-ln">{esc(row.label)}</span>'
    html = f'<div class="{row_class}">{number}<span class="doc-line">{body_html}</span></div>'
    return html, a < b


def header_markdown(
    target: Target, doc: IndexedDocument | None, *, still_there: bool, page: int, picture_note: str
) -> str:
    """What the viewer shows: the document, where, and anything that changed since the answer."""
    where = f", {target.location}" if target.location else ""
    lines = [f"**{md_text(target.title or target.doc_id)}** (`{md_text(target.doc_id)}`{md_text(where)})"]
    if doc is None:
        return "\n\n".join(lines)
    if still_there:
        lines.append("The cited sentence is highlighted in the indexed text below.")
    else:
        lines.append("This document has changed since the answer: the cited sentence is no longer at that place.")
    if page and picture_note:
        lines.append(f"No picture of page {page}: {md_text(picture_note)}; its text is shown instead.")
    elif page:
        lines.append(f"Page {page} as printed, beside its text.")
    return "\n\n".join(lines)
