"""Slide decks: each slide's text, tables and speaker notes, located by slide number."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import DocumentError
from index.load import load_file
from index.settings import IndexSettings
from index.types import Location, RawDocument
from tests.office_fixtures import index_and_ask, pptx_bytes, write_pptx

LIMIT = 20 * 1024 * 1024


def load(path: Path) -> RawDocument:
    return load_file(path, path.name, max_bytes=LIMIT)


def test_each_slide_gives_its_text_in_reading_order_with_its_notes(tmp_path: Path) -> None:
    raw = load(write_pptx(tmp_path / "review.pptx"))
    by_slide: dict[str, list[str]] = {}
    for block in raw.blocks:
        by_slide.setdefault(block.location.label(), []).append(block.text)
    assert raw.kind == "slides" and raw.title == "Harbour Line quarterly review"
    assert by_slide["slide 1"] == ["Harbour Line quarterly review", "Operations team, April 2024"]
    assert by_slide["slide 2"] == [
        "Ridership",
        "Weekday ridership rose to 48,300 trips",
        "Weekend ridership flat",
        "Notes: Mention that the ferry link closure in February cost 2,100 trips.",
    ]
    # A table reads like a spreadsheet: values bound to the column they sit in.
    assert by_slide["slide 3"] == [
        "Fleet availability",
        "Vehicle class | Availability",
        "Class 390: Availability 91%",
        "Class 158: Availability 84%",
    ]


def test_slide_locations_join_into_ranges() -> None:
    assert Location("slides", 2, 2).union(Location("slides", 3, 3)).label() == "slides 2-3"


def test_a_deck_without_text_is_a_document_error(tmp_path: Path) -> None:
    (tmp_path / "blank.pptx").write_bytes(pptx_bytes())
    with pytest.raises(DocumentError, match="no text on any slide"):
        load(tmp_path / "blank.pptx")


def test_a_corrupt_deck_is_a_document_error(tmp_path: Path) -> None:
    (tmp_path / "broken.pptx").write_bytes(write_pptx(tmp_path / "ok.pptx").read_bytes()[:3000])
    with pytest.raises(DocumentError, match="not a readable PowerPoint file"):
        load(tmp_path / "broken.pptx")


def test_a_fact_only_in_speaker_notes_is_answered_and_cited_by_slide(
    tmp_path: Path, index_settings: IndexSettings
) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    write_pptx(root / "review.pptx")
    (root / "agenda.txt").write_text("Agenda: the quarterly review of the Harbour Line, then questions.\n")
    _, answer = index_and_ask(root, index_settings, "How many trips did the ferry link closure cost?")
    assert not answer.abstained and "2,100" in answer.text
    assert (answer.citations[0].doc_id, answer.citations[0].location_label) == ("review.pptx", "slide 2")
