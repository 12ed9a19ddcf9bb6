"""Spreadsheets and CSV: one located block per row, numbers bound to their labels, shown as the sheet shows them."""

from __future__ import annotations

import datetime as dt
import resource
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from index.cell_format import shown
from index.chunk import chunk_document
from index.clean import clean
from index.errors import DocumentError
from index.load import load_file
from index.settings import IndexSettings
from index.types import Location, RawDocument
from tests.office_fixtures import (
    BUDGET_ROWS,
    INVENTORY_CSV,
    index_and_ask,
    write_big_csv,
    write_budget_xlsx,
    write_csv,
)

LIMIT = 20 * 1024 * 1024


def load(path: Path) -> RawDocument:
    return load_file(path, path.name, max_bytes=LIMIT)


def texts_by_row(raw: RawDocument, sheet: str = "") -> dict[int, str]:
    return {b.location.start: b.text for b in raw.blocks if b.location.detail == sheet}


# --- Excel workbooks ----------------------------------------------------------------------


def test_each_row_keeps_its_numbers_bound_to_their_column_labels(tmp_path: Path) -> None:
    raw = load(write_budget_xlsx(tmp_path / "budget.xlsx"))
    rows = texts_by_row(raw, "Budget")
    assert raw.kind == "sheet" and raw.title == "Marketing budget"
    assert rows[3] == "Budget: Line item | Planned | Actual | Approved | Notes"  # the sheet and its columns
    assert rows[4] == (
        "Budget — Paid media: Planned $40,000; Actual 18,500.00 €; Approved 15 Jan 2024; Notes: paused in May"
    )
    assert rows[8] == "Budget — Total: Planned $85,000; Actual 65,650.00 €"  # totals rows are kept
    assert rows[1] == "Budget — Marketing budget 2024" and rows[10].endswith("finance office on 4 April.")
    assert 2 not in rows and 9 not in rows  # empty rows make no block, and numbering follows the sheet


def test_rows_are_located_by_sheet_and_row_and_every_sheet_is_read(tmp_path: Path) -> None:
    raw = load(write_budget_xlsx(tmp_path / "budget.xlsx"))
    assert {b.location.detail for b in raw.blocks} == {"Budget", "Q2"}
    assert all(b.location.kind == "rows" and b.location.start == b.location.end for b in raw.blocks)
    q2 = texts_by_row(raw, "Q2")
    assert q2[2] == "Q2 — Paid media: Planned 30000; Actual 29100"  # "General" numbers stay plain
    assert Location("rows", 4, 9, "Budget").label() == "sheet Budget, rows 4-9"
    assert Location("rows", 5, 5, "Budget").label() == "sheet Budget, row 5"
    assert Location("rows", 2, 3).label() == "rows 2-3"  # CSV has no sheet


def test_a_long_sheet_is_chunked_by_rows_within_one_sheet(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = "Orders"
    first.append(["Order", "Customer", "Amount"])
    for n in range(1, 301):
        first.append([f"B{n:04d}", f"Customer {n}", n * 10])
    book.create_sheet("Refunds").append(["Order", "Refunded"])
    book["Refunds"].append(["B0007", 70])
    book.save(tmp_path / "orders.xlsx")
    doc = clean(load(tmp_path / "orders.xlsx"))
    chunks = chunk_document(doc, max_tokens=128, overlap=24)
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.location is not None and chunk.location.kind == "rows"
        assert doc.text[chunk.char_start : chunk.char_end] == chunk.text
        rows = chunk.text.split("\n\n")
        assert chunk.location.end - chunk.location.start + 1 == len(rows)  # one paragraph per row
        if chunk.location.detail == "Orders" and chunk.location.start > 1:
            assert all("Customer:" in row and "Amount " in row for row in rows)  # the labels ride along
    assert chunks[-1].location == Location("rows", 1, 2, "Refunds")  # a new sheet starts a new chunk


def test_a_password_protected_workbook_is_skipped_with_what_to_do(tmp_path: Path) -> None:
    # Excel encrypts a workbook with a password into an OLE compound file instead of a zip.
    path = tmp_path / "salaries.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"EncryptedPackage" * 32)
    with pytest.raises(DocumentError, match="password-protected workbook.*remove the password"):
        load(path)


def test_a_corrupt_workbook_is_a_document_error(tmp_path: Path) -> None:
    good = write_budget_xlsx(tmp_path / "good.xlsx").read_bytes()
    path = tmp_path / "broken.xlsx"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(DocumentError, match="not a readable Excel workbook"):
        load(path)


def test_an_empty_workbook_has_nothing_to_index(tmp_path: Path) -> None:
    from openpyxl import Workbook

    Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(DocumentError, match="no values"):
        load(tmp_path / "empty.xlsx")


# --- cell display ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (40000, "#,##0", "40,000"),
        (18500.5, '"$"#,##0.00', "$18,500.50"),
        (-1234.5, "#,##0.00;[Red](#,##0.00)", "(1,234.50)"),
        (0.4567, "0.0%", "45.7%"),
        (1234.5, "[$€-407] #,##0.00", "€ 1,234.50"),
        (0, '_("$"* #,##0.00_);_("$"* (#,##0.00);_("$"* "-"??_);_(@_)', "$-"),
        (123, "00000", "00123"),
        (1234567, "0.00E+00", "1.23E+06"),
        (1234567, '#,##0,"K"', "1,235K"),
        (0.1 + 0.2, "General", "0.3"),
        (dt.datetime(2024, 3, 2), "d mmm yyyy", "2 Mar 2024"),
        (dt.datetime(2024, 3, 2, 14, 5), "dd/mm/yyyy hh:mm", "02/03/2024 14:05"),
        (dt.datetime(2024, 3, 2, 14, 5), "h:mm AM/PM", "2:05 PM"),
        (dt.datetime(2024, 3, 2), "mm-dd-yy", "2024-03-02"),  # the locale's short date: shown unambiguously
        (dt.datetime(2024, 3, 2), "dddd, mmmm d, yyyy", "Saturday, March 2, 2024"),
        (dt.timedelta(hours=27, minutes=3), "[h]:mm", "27:03"),
        (True, "General", "TRUE"),
        (None, "#,##0", ""),
    ],
)
def test_values_are_shown_as_the_sheet_formats_them(value: object, number_format: str, expected: str) -> None:
    assert shown(value, number_format) == expected


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_thousands_format_round_trips_integers(number: int) -> None:
    text = shown(number, "#,##0")
    assert int(text.replace(",", "")) == number
    assert all(len(group) == 3 for group in text.lstrip("-").split(",")[1:])


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(min_value=0, max_value=4))
def test_fixed_decimals_show_the_rounded_value(number: float, decimals: int) -> None:
    text = shown(number, "0." + "0" * decimals if decimals else "0")
    assert abs(float(text) - number) <= 0.5 * 10**-decimals + 1e-6
    assert len(text.partition(".")[2]) == decimals


# --- CSV and TSV ------------------------------------------------------------------------------


def test_csv_rows_read_like_sheet_rows(tmp_path: Path) -> None:
    raw = load(write_csv(tmp_path / "inventory.csv", INVENTORY_CSV))
    rows = texts_by_row(raw)
    assert raw.title == "inventory" and rows[1] == "SKU | Product | Warehouse | Units on hand | Unit price"
    assert rows[4] == "KB-1003: Product: Brass desk lamp; Warehouse: Leeds; Units on hand 37; Unit price £64.90"
    assert raw.blocks[-1].location.label() == "row 4"


@pytest.mark.parametrize(("name", "delimiter"), [("semicolons.csv", ";"), ("tabs.tsv", "\t"), ("pipes.csv", "|")])
def test_the_delimiter_is_found(tmp_path: Path, name: str, delimiter: str) -> None:
    raw = load(write_csv(tmp_path / name, INVENTORY_CSV, delimiter))
    assert texts_by_row(raw)[3].startswith("KB-1002: Product: Cork notice board; Warehouse: Bristol")


def test_quoted_fields_with_commas_and_newlines_are_one_cell(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text('Ticket,Summary,Hours\nT-1,"Boiler fault, second floor\nreported twice",3.5\nT-2,Door,1\n')
    rows = texts_by_row(load(path))
    assert rows[2] == "T-1: Summary: Boiler fault, second floor reported twice; Hours 3.5"
    assert rows[3] == "T-2: Summary: Door; Hours 1"  # records, not physical lines, are numbered


def test_a_binary_file_named_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DocumentError, match="binary"):
        load(path)


def test_a_20000_row_csv_loads_cleans_and_chunks_quickly(tmp_path: Path) -> None:
    path = write_big_csv(tmp_path / "orders.csv")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    doc = clean(load(path))
    chunks = chunk_document(doc, 256, 48)
    seconds = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert len(doc.spans) == 20_001 and chunks[-1].location == Location("rows", chunks[-1].location.start, 20_001)
    assert seconds < 30, f"{seconds:.1f} s"  # measured ~3 s on 2 cores
    assert grown_mb < 400, f"{grown_mb:.0f} MB"  # measured ~100 MB for a 1 MB file
    starts = [c.location.start for c in chunks if c.location]
    assert starts == sorted(starts) and chunks[0].location and chunks[0].location.start == 1


# --- answered and cited -----------------------------------------------------------------------


def test_a_fact_only_in_a_workbook_is_answered_and_cited_by_sheet_and_row(
    tmp_path: Path, index_settings: IndexSettings
) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    write_budget_xlsx(root / "budget.xlsx")
    (root / "readme.txt").write_text("This folder holds the marketing plans for 2024.\n")
    summary, answer = index_and_ask(root, index_settings, "When were the printed brochures approved?")
    assert not summary.skipped
    assert not answer.abstained and "20 Feb 2024" in answer.text
    cited = answer.citations[0]
    assert cited.doc_id == "budget.xlsx" and cited.location_label == "sheet Budget, row 6"
    assert BUDGET_ROWS[2][0] in cited.quote


def test_a_fact_only_in_a_csv_is_answered_and_cited_by_row(tmp_path: Path, index_settings: IndexSettings) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    write_csv(root / "inventory.csv", INVENTORY_CSV)
    _, answer = index_and_ask(root, index_settings, "How many units of the cork notice board are on hand?")
    assert not answer.abstained and "96" in answer.text
    assert (answer.citations[0].doc_id, answer.citations[0].location_label) == ("inventory.csv", "row 3")
