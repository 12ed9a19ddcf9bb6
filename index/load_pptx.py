"""Read a PowerPoint deck (.pptx) into blocks located by slide: its text boxes, tables and speaker notes."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from index.decode import Parsed, _cause, title_from
from index.errors import DocumentError
from index.load_sheet import row_text
from index.types import Block, Location

NOTES_PREFIX = "Notes: "  # speaker notes are said to be notes: they are often the fullest text


def _shape_texts(shapes: Iterable[Any]) -> Iterator[str]:
    """Paragraphs of text boxes and placeholders, rows of tables, inside groups too, in slide order."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from _shape_texts(_reading_order(shape.shapes))
        elif getattr(shape, "has_table", False):
            yield from _table_rows(shape.table)
        elif getattr(shape, "has_text_frame", False):
            for paragraph in shape.text_frame.paragraphs:
                yield paragraph.text


def _table_rows(table: Any) -> Iterator[str]:
    """The first row names the columns; each later row reads as a spreadsheet row does."""
    rows = [tuple(" ".join(cell.text.split()) for cell in row.cells) for row in table.rows]
    if rows:
        yield " | ".join(cell for cell in rows[0] if cell)
    for cells in rows[1:]:
        if any(cells):
            yield row_text(cells, rows[0])


def _reading_order(shapes: Iterable[Any]) -> list[Any]:
    """The title placeholder first, then shapes top to bottom, left to right."""

    def key(shape: Any) -> tuple[int, int, int]:
        is_title = bool(getattr(shape, "is_placeholder", False)) and "TITLE" in str(
            getattr(getattr(shape, "placeholder_format", None), "type", "")
        )
        return (0 if is_title else 1, int(shape.top or 0), int(shape.left or 0))

    return sorted(shapes, key=key)


def _notes(slide: Any) -> list[str]:
    if not slide.has_notes_slide:
        return []
    frame = slide.notes_slide.notes_text_frame
    text = frame.text.strip() if frame is not None else ""
    return [NOTES_PREFIX + " ".join(text.split())] if text else []


def _slide_blocks(number: int, slide: Any) -> list[Block]:
    location = Location("slides", number, number)
    texts = [" ".join(text.split()) for text in _shape_texts(_reading_order(slide.shapes))]
    return [Block(text, location) for text in [*texts, *_notes(slide)] if text]


def parse_pptx(data: bytes) -> Parsed:
    """Blocks numbered by slide ("slide 3"); the title is the deck's or its first slide's."""
    from pptx import Presentation

    try:
        deck = Presentation(io.BytesIO(data))
        blocks = [block for n, slide in enumerate(deck.slides, start=1) for block in _slide_blocks(n, slide)]
        core_title = (deck.core_properties.title or "").strip()
    except Exception as exc:  # python-pptx raises zip, XML and key errors for damaged files
        raise DocumentError(f"not a readable PowerPoint file: {_cause(exc)}") from exc
    if not blocks:
        raise DocumentError("no text on any slide")
    return Parsed(blocks, title_from(core_title) or title_from(blocks[0].text))
