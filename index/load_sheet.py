"""Read spreadsheets (.xlsx, .xlsm) and CSV/TSV into one block per row, numbers bound to their column labels.

A row "Paid media | 40000 | 18500" under the header "Line item | Planned | Actual" becomes
"Paid media: Planned 40,000; Actual 18,500", located "sheet Budget, row 5": every row carries
its labels, so any run of rows the chunker packs together reads on its own (the header is in
effect repeated), and a citation points at the row. Values are shown as the sheet formats them
(index/cell_format.py). Each sheet starts with a block naming it and its columns; rows above the
header (a title) and rows without numbers (notes, a totals label) are kept as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from index.cell_format import shown
from index.decode import Parsed, _cause, _decoded, title_from
from index.errors import DocumentError
from index.types import Block, Location

HEADER_SEARCH_ROWS = 10  # the header is the first all-text row of 2+ cells among the first rows
CSV_SNIFF_CHARS = 16_384
CSV_DELIMITERS = ",;\t|"
MAX_CELL_CHARS = 2_000  # one runaway cell (a pasted document) is cut, not the row
_NUMBERISH = re.compile(r"^[-+(]?\s*[$€£¥]?\s*[-+]?\.?\d")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an encrypted workbook is an OLE container, not a zip


@dataclass(frozen=True)
class Row:
    """One non-empty row: its number as the sheet shows it, and its cells as shown (\"\" = empty)."""

    number: int
    cells: tuple[str, ...]

    @property
    def filled(self) -> list[str]:
        return [cell for cell in self.cells if cell]


def _is_number(text: str) -> bool:
    return bool(_NUMBERISH.match(text))


def _header_index(rows: list[Row]) -> int | None:
    """Position of the header row: all text, at least two cells, with a row after it."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        filled = row.filled
        if len(filled) >= 2 and not any(_is_number(cell) for cell in filled) and i + 1 < len(rows):
            return i
    return None


def _pair(label: str, value: str) -> str:
    if not label:
        return value
    return f"{label} {value}" if _is_number(value) else f"{label}: {value}"


def row_text(cells: tuple[str, ...], header: tuple[str, ...]) -> str:
    """A data row as text: its first cell (when it is a label) then "Column value" pairs."""
    filled = [(i, cell) for i, cell in enumerate(cells) if cell]
    if len(filled) == 1:
        return filled[0][1]
    first, rest = filled[0], filled[1:]
    lead = ""
    if not _is_number(first[1]):
        lead, filled = first[1], rest
    pairs = "; ".join(_pair(header[i] if i < len(header) else "", cell) for i, cell in filled)
    return f"{lead}: {pairs}" if lead else pairs


def table_blocks(rows: Iterable[Row], sheet: str = "", prefix: str = "") -> list[Block]:
    """Blocks for one sheet: its name and columns, then one block per row (see module doc).

    `sheet` goes into the locations ("sheet Budget, row 5"); `prefix` starts every row's text
    (the sheet name, when a workbook has several and the same row could be in each).
    """
    rows = list(rows)
    at = _header_index(rows)
    header = rows[at] if at is not None else None
    blocks = []
    for row in rows:
        where = Location("rows", row.number, row.number, sheet)
        if row is header:
            columns = " | ".join(row.filled)
            blocks.append(Block(f"{sheet}: {columns}" if sheet else columns, where))
            continue
        below_header = header is not None and row.number > header.number
        text = row_text(row.cells, header.cells) if header and below_header else " | ".join(row.filled)
        blocks.append(Block(f"{prefix} — {text}" if prefix else text, where))
    return blocks


def _row(number: int, values: Iterable[str]) -> Row | None:
    cells = tuple(" ".join(value.split())[:MAX_CELL_CHARS] for value in values)
    return Row(number, cells) if any(cells) else None


# --- CSV and TSV --------------------------------------------------------------------------


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _csv_rows(text: str, delimiter: str) -> Iterator[Row]:
    """Rows numbered as a spreadsheet program opening the file numbers them (one per record)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, record in enumerate(reader, start=1):
            row = _row(number, record)
            if row is not None:
                yield row
    except csv.Error as exc:  # e.g. a NUL byte, or a field over csv's size limit
        raise DocumentError(f"not a readable CSV file: {_cause(exc)}") from exc


def _parse_delimited(data: bytes, delimiter: str | None) -> Parsed:
    text, encoding, notes = _decoded(data)
    rows = list(_csv_rows(text, delimiter or _delimiter(text[:CSV_SNIFF_CHARS])))
    if not rows:
        raise DocumentError("no values in this file")
    return Parsed(table_blocks(rows), "", encoding=encoding, warnings=notes)


def parse_csv(data: bytes) -> Parsed:
    """A .csv file: the delimiter (, ; tab |) is sniffed from the start of the file."""
    return _parse_delimited(data, None)


def parse_tsv(data: bytes) -> Parsed:
    return _parse_delimited(data, "\t")


# --- Excel workbooks --------------------------------------------------------------------------


def _open_workbook(data: bytes):  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    if data.startswith(_OLE_MAGIC):
        raise DocumentError(
            "password-protected workbook (or an old .xls renamed): open it in Excel, remove the "
            "password or save it as .xlsx, then index again"
        )
    try:
        # data_only: a formula cell shows the value Excel last computed, as the sheet does.
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zip, XML and key errors for damaged files
        raise DocumentError(f"not a readable Excel workbook: {_cause(exc)}") from exc


def _sheet_rows(sheet) -> Iterator[Row]:  # type: ignore[no-untyped-def]
    sheet.reset_dimensions()  # a stale <dimension> in the file would cut rows off in read-only mode
    for number, cells in enumerate(sheet.iter_rows(), start=1):
        row = _row(number, (shown(c.value, getattr(c, "number_format", None)) for c in cells))
        if row is not None:
            yield row


def parse_xlsx(data: bytes) -> Parsed:
    """Every worksheet of an .xlsx/.xlsm workbook (chart sheets have no cells)."""
    book = _open_workbook(data)
    try:
        sheets = [s for s in book.worksheets if hasattr(s, "iter_rows")]
        several = len(sheets) > 1
        blocks: list[Block] = []
        for sheet in sheets:
            blocks += table_blocks(_sheet_rows(sheet), sheet.title, sheet.title if several else "")
        title = title_from(book.properties.title or "") if book.properties else ""
    finally:
        book.close()
    if not blocks:
        raise DocumentError("no values in this workbook")
    return Parsed(blocks, title)
