"""An office folder: every format indexes with only junk skipped; answers cite the sheet, row, message, slide, page."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant import Assistant, Settings
from index.embed import make_embedder
from index.ingest import run_index
from index.ocr import TesseractEngine
from index.settings import IndexSettings
from index.types import IndexSummary
from tests.fakes import HashingEmbedder
from tests.office_fixtures import BIG_CSV_QUESTION, OFFICE_JUNK, OFFICE_QUESTIONS, assistant_for, build_office_folder

pytestmark = pytest.mark.skipif(TesseractEngine.find()[0] is None, reason="Tesseract missing (`make test` installs it)")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("office") / "project"
    build_office_folder(root)
    return root


def settings_in(home: Path, **changes: object) -> IndexSettings:
    return IndexSettings(home=home, lock_timeout=0.5).with_(**changes)  # production chunk sizes


@pytest.fixture(scope="module")
def indexed(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[IndexSettings, IndexSummary]:
    """The folder indexed once with the hashing embedder (the 20,000-row CSV takes most of ~25 s)."""
    settings = settings_in(tmp_path_factory.mktemp("fakes") / "home")
    return settings, run_index(folder, settings, HashingEmbedder())


def test_every_format_indexes_and_only_junk_is_skipped(
    folder: Path, indexed: tuple[IndexSettings, IndexSummary]
) -> None:
    settings, summary = indexed
    skipped = {s.path: s.reason for s in summary.skipped}
    assert set(skipped) == set(OFFICE_JUNK), skipped
    assert all(OFFICE_JUNK[path] in reason for path, reason in skipped.items()), skipped
    assert {"mail/roof.eml#permit.pdf", "mail/stock-count.eml#count.csv"} <= set(summary.added)
    again = run_index(folder, settings, HashingEmbedder())
    assert again.chunks_embedded == 0 and not again.added and not again.changed


@pytest.mark.parametrize(("fmt", "question", "needle", "doc_id", "label"), OFFICE_QUESTIONS)
def test_a_fact_in_each_format_is_answered_and_cited_where_it_is(
    indexed: tuple[IndexSettings, IndexSummary], fmt: str, question: str, needle: str, doc_id: str, label: str
) -> None:
    answer = assistant_for(indexed[0]).ask(question)
    assert not answer.abstained and needle in answer.text, (fmt, answer.text)
    assert (answer.citations[0].doc_id, answer.citations[0].location_label) == (doc_id, label)


@pytest.mark.slow
def test_the_real_models_answer_from_each_format_and_cite_it(folder: Path, tmp_path: Path) -> None:
    """bge-small-en-v1.5 and the ms-marco cross-encoder, extractive answers: the product as shipped."""
    settings = settings_in(tmp_path / "home")
    run_index(folder, settings, make_embedder(settings.embed_model))
    bot = Assistant.from_settings(Settings(index=settings), answerer="extractive")
    questions = [*OFFICE_QUESTIONS, BIG_CSV_QUESTION]
    for fmt, question, needle, doc_id, label in questions:
        answer = bot.ask(question)
        assert not answer.abstained and needle in answer.text, (fmt, question, answer.text)
        assert (answer.citations[0].doc_id, answer.citations[0].location_label) == (doc_id, label), question
