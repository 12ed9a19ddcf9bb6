"""A cited document as indexed (assistant.documents): text rebuilt from the store, numbered rows,
stale citations, and PDF page pictures read only from inside the indexed folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from assistant.documents import read_document, render_pdf_page, source_file
from assistant.types import Citation
from index.errors import DocumentError
from index.ingest import prepare, run_index
from index.scan import scan
from index.settings import IndexSettings
from index.status import collection_names, format_collections, list_collections, remember_folder
from index.store import ChunkStore
from tests.conftest import write
from tests.fakes import HashingEmbedder
from tests.pdf_fixtures import write_pdf

LINES = [f"Line {n}: the keeper logged {n * 7} ships in the harbour that season." for n in range(1, 61)]


@pytest.fixture
def indexed(tmp_path: Path, index_settings: IndexSettings, hashing: HashingEmbedder) -> dict[str, object]:
    corpus = tmp_path / "corpus"
    write(corpus / "log.txt", "\n".join(LINES[:30]) + "\n\n" + "\n".join(LINES[30:]) + "\n")
    write_pdf(
        corpus / "report.pdf", ["First page.\nNothing to see here.", "Second page.\nThe lamp was painted teal in 1987."]
    )
    outside = write_pdf(tmp_path / "secret.pdf", ["Secret page.\nOutside the corpus."])
    os.symlink(outside, corpus / "link.pdf")  # the indexer reads symlinked files; the viewer must not draw them
    run_index(corpus, index_settings, hashing)
    return {"corpus": corpus, "store": ChunkStore.open(index_settings), "settings": index_settings}


def _clean_text(corpus: Path, settings: IndexSettings, doc_id: str) -> str:
    found = [f for f in scan(corpus)[0] if f.doc_id == doc_id]
    return next(doc.text for doc, _ in prepare(found[0], settings) if doc.doc_id == doc_id)


def _citation(doc_text: str, doc_id: str, quote: str) -> Citation:
    start = doc_text.index(quote)
    return Citation(1, doc_id, doc_id, None, start, start + len(quote), quote, 1.0)


def test_the_text_rebuilt_from_the_store_is_the_cleaned_text_numbered_by_file_line(indexed: dict) -> None:
    doc = read_document(indexed["store"], "log.txt")
    assert doc.text.rstrip() == _clean_text(indexed["corpus"], indexed["settings"], "log.txt").rstrip()
    assert len(doc.rows) == 60
    for row in doc.rows:  # every row is one line of the file, with the file's line number
        n = int(row.label)
        expected = LINES[n - 1] if n <= 30 else LINES[n - 2]  # line 31 of the file is blank
        assert doc.text[row.start : row.end] == expected
    quote = "Line 45: the keeper logged 315 ships in the harbour that season."
    assert doc.holds(_citation(doc.text, "log.txt", quote))
    assert not doc.holds(_citation(doc.text, "log.txt", quote).__class__(1, "log.txt", "", None, 0, 10, quote, 1.0))


def test_a_pdf_is_numbered_by_page_and_the_cited_page_is_drawn(indexed: dict) -> None:
    doc = read_document(indexed["store"], "report.pdf")
    at = doc.text.index("The lamp was painted teal")
    assert doc.page_of(at) == 2 and {r.label for r in doc.rows} == {"page 1", "page 2"}
    path, why = source_file(indexed["settings"], indexed["corpus"], "report.pdf", doc.content_hash)
    assert path == (indexed["corpus"] / "report.pdf").resolve() and why == ""
    picture = render_pdf_page(path, 2)
    assert picture.width > 500 and picture.height > 700
    with pytest.raises(DocumentError, match="no page 3"):
        render_pdf_page(path, 3)


def test_a_citation_no_longer_holds_once_its_document_changed(indexed: dict, hashing: HashingEmbedder) -> None:
    doc = read_document(indexed["store"], "log.txt")
    citation = _citation(doc.text, "log.txt", LINES[1])
    write(indexed["corpus"] / "log.txt", "A new first line.\n" + "\n".join(LINES) + "\n")
    run_index(indexed["corpus"], indexed["settings"], hashing)
    assert not read_document(indexed["store"], "log.txt").holds(citation)
    (indexed["corpus"] / "log.txt").unlink()
    run_index(indexed["corpus"], indexed["settings"], hashing)
    with pytest.raises(DocumentError, match="not in collection"):
        read_document(indexed["store"], "log.txt")


@pytest.mark.parametrize(
    "doc_id", ["../secret.pdf", "/etc/passwd", "uploads/../../secret.pdf", "a/../../secret.pdf", ""]
)
def test_no_path_outside_the_corpus_is_opened(indexed: dict, doc_id: str) -> None:
    digest = hashlib.sha256((indexed["corpus"].parent / "secret.pdf").read_bytes()).hexdigest()
    path, why = source_file(indexed["settings"], indexed["corpus"], doc_id, digest)
    assert path is None and why


def test_a_symlink_out_of_the_corpus_is_indexed_but_never_opened(indexed: dict) -> None:
    doc = read_document(indexed["store"], "link.pdf")  # its text was indexed: the owner put the link there
    path, why = source_file(indexed["settings"], indexed["corpus"], "link.pdf", doc.content_hash)
    assert path is None and "outside the indexed folder" in why


def test_a_changed_file_or_an_unknown_folder_is_not_drawn(indexed: dict) -> None:
    doc = read_document(indexed["store"], "report.pdf")
    assert source_file(indexed["settings"], None, "report.pdf", doc.content_hash)[0] is None
    write_pdf(indexed["corpus"] / "report.pdf", ["Changed."])
    path, why = source_file(indexed["settings"], indexed["corpus"], "report.pdf", doc.content_hash)
    assert path is None and "changed" in why


def test_collections_are_listed_with_their_documents_and_folders(
    tmp_path: Path, indexed: dict, hashing: HashingEmbedder
) -> None:
    settings: IndexSettings = indexed["settings"]
    other = settings.with_(collection="letters")
    write(tmp_path / "letters" / "a.txt", "Dear Mara, the lamp is teal.\n")
    run_index(tmp_path / "letters", other, hashing)
    remember_folder(other, tmp_path / "letters")
    assert collection_names(indexed["store"].client) == ["documents", "letters"]
    listed = {c["name"]: c for c in list_collections(settings)}
    assert listed["documents"]["documents"] == 3 and listed["documents"]["default"]
    assert listed["letters"] == {
        "name": "letters",
        "documents": 1,
        "chunks": 1,
        "folder": str((tmp_path / "letters").resolve()),
        "default": False,
    }
    assert "letters" in format_collections(list(listed.values()))
