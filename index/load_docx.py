"""Parse a Word (.docx) file into blocks located by paragraph number."""

from __future__ import annotations

import io
from collections.abc import Iterator

import docx
from docx.document import Document as WordDocument
from docx.table import Table, _Row

from index.decode import Parsed, _cause, title_from
from index.errors import DocumentError
from index.types import Block, Location


def _docx_items(document: WordDocument) -> Iterator[tuple[str, str]]:
    """(text, style name) for each paragraph and each table row, in document order."""
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                yield _docx_row(row), ""
        else:
            yield item.text, (item.style.name if item.style is not None else "") or ""


def _docx_row(row: _Row) -> str:
    cells, seen = [], set()
    for cell in row.cells:
        # A merged cell is reported once per grid column it spans; its XML element is shared.
        if id(cell._tc) in seen:
            continue
        seen.add(id(cell._tc))
        if cell.text.strip():
            cells.append(cell.text.strip())
    return " | ".join(cells)


def _parse_docx(data: bytes) -> Parsed:
    """Blocks numbered 1, 2, ... over non-empty paragraphs and table rows in document order."""
    try:
        document = docx.Document(io.BytesIO(data))
        items = [(text, style) for text, style in _docx_items(document) if text.strip()]
        core_title = (document.core_properties.title or "").strip()
    except Exception as exc:  # python-docx raises zip, XML and key errors for damaged files
        raise DocumentError(f"not a readable Word file: {_cause(exc)}") from exc
    if not items:
        raise DocumentError("no text in this Word file")
    blocks = [Block(text, Location("paragraphs", i, i)) for i, (text, _) in enumerate(items, 1)]
    headed = [text for text, style in items if style.startswith(("Heading", "Title"))]
    title = title_from(core_title) or title_from((headed or [items[0][0]])[0])
    return Parsed(blocks, title)
