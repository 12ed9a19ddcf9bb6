"""OCR of scans and photos: text read offline by Tesseract, located "(OCR)", cached per picture, clear when missing."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from bench.ocr_engines import accuracy
from index.errors import DocumentError
from index.ingest import run_index
from index.load import load_file
from index.ocr import ENGINE_MISSING, Ocr, TesseractEngine
from index.settings import IndexSettings
from index.types import RawDocument
from tests.conftest import ROOT
from tests.fakes import HashingEmbedder
from tests.ocr_fixtures import (
    FORM_LINES,
    LETTER_LINES,
    WHITEBOARD_LINES,
    blank_photo,
    image_bytes,
    image_pdf,
    photographed,
    render_page,
    scanned,
)
from tests.office_fixtures import index_and_ask
from tests.pdf_fixtures import pdf_bytes

LIMIT = 20 * 1024 * 1024
MIN_ACCURACY = 0.95  # measured 1.00 on these fixtures (bench/ocr_engines.py)

ENGINE, WHY_NOT = TesseractEngine.find()
needs_tesseract = pytest.mark.skipif(ENGINE is None, reason=f"{WHY_NOT} (`make test` installs it)")


@dataclass
class CountingEngine:
    """The real engine, counting the pictures it is asked to read."""

    inner: TesseractEngine
    calls: list[tuple[int, int]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    def paragraphs(self, image: Image.Image) -> list[str]:
        self.calls.append(image.size)
        return self.inner.paragraphs(image)


def ocr_in(folder: Path, engine: object = ENGINE) -> Ocr:
    return Ocr(engine, folder / "ocr", notify=lambda _: None)  # type: ignore[arg-type]


def load(path: Path, ocr: Ocr) -> RawDocument:
    return load_file(path, path.name, max_bytes=LIMIT, ocr=ocr)


def text_of(raw: RawDocument) -> str:
    return "\n".join(block.text for block in raw.blocks)


@needs_tesseract
@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_a_scanned_letter_is_read_and_located_as_ocr(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"letter.{fmt.lower()}"
    path.write_bytes(image_bytes(scanned(render_page(LETTER_LINES)), fmt))
    raw = load(path, ocr_in(tmp_path))
    assert raw.kind == "image" and raw.title == LETTER_LINES[0]
    assert accuracy("\n".join(LETTER_LINES), text_of(raw)) >= MIN_ACCURACY
    assert {b.location.label() for b in raw.blocks} == {"image (OCR)"}


@needs_tesseract
def test_a_whiteboard_photo_is_read(tmp_path: Path) -> None:
    path = tmp_path / "retro.jpg"
    path.write_bytes(image_bytes(photographed(WHITEBOARD_LINES), "JPEG"))
    assert accuracy("\n".join(WHITEBOARD_LINES), text_of(load(path, ocr_in(tmp_path)))) >= MIN_ACCURACY


@needs_tesseract
def test_a_scanned_pdf_is_read_page_by_page(tmp_path: Path) -> None:
    path = tmp_path / "scans.pdf"
    path.write_bytes(image_pdf([scanned(render_page(FORM_LINES)), scanned(render_page(LETTER_LINES), seed=5)]))
    raw = load(path, ocr_in(tmp_path))
    labels = [b.location.label() for b in raw.blocks]
    assert labels[0] == "page 1 (OCR)" and labels[-1] == "page 2 (OCR)" and labels == sorted(labels)
    page_one = "\n".join(b.text for b in raw.blocks if b.location.start == 1)
    assert accuracy("\n".join(FORM_LINES), page_one) >= MIN_ACCURACY


@needs_tesseract
def test_a_multi_page_tiff_has_pages(tmp_path: Path) -> None:
    pages = [render_page(FORM_LINES), render_page(WHITEBOARD_LINES)]
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_lzw")
    (tmp_path / "fax.tif").write_bytes(buffer.getvalue())
    raw = load(tmp_path / "fax.tif", ocr_in(tmp_path))
    assert {b.location.label() for b in raw.blocks} == {"page 1 (OCR)", "page 2 (OCR)"}


@needs_tesseract
def test_pdf_pages_with_text_are_not_ocred_and_scanned_ones_are(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in (
        pdf_bytes(["A typed first page about the quarterly audit of the stores."]),
        image_pdf([render_page(FORM_LINES)]),
    ):
        writer.append(PdfReader(io.BytesIO(data)))
    buffer = io.BytesIO()
    writer.write(buffer)
    (tmp_path / "mixed.pdf").write_bytes(buffer.getvalue())
    engine = CountingEngine(ENGINE)  # type: ignore[arg-type]
    raw = load(tmp_path / "mixed.pdf", ocr_in(tmp_path, engine))
    assert len(engine.calls) == 1
    assert raw.blocks[0].location.label() == "page 1" and raw.blocks[-1].location.label() == "page 2 (OCR)"


@needs_tesseract
def test_each_picture_is_read_once_then_from_the_cache(tmp_path: Path) -> None:
    data = image_bytes(render_page(FORM_LINES), "PNG")
    (tmp_path / "a.png").write_bytes(data)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "copy.png").write_bytes(data)
    engine = CountingEngine(ENGINE)  # type: ignore[arg-type]
    first = load(tmp_path / "a.png", ocr_in(tmp_path, engine))
    again = load(tmp_path / "b" / "copy.png", ocr_in(tmp_path, engine))
    assert len(engine.calls) == 1 and first.blocks == again.blocks
    assert len(list((tmp_path / "ocr").glob("*.json"))) == 1


def test_a_missing_engine_skips_pictures_with_one_clear_reason(tmp_path: Path, index_settings: IndexSettings) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "scan.png").write_bytes(image_bytes(render_page(FORM_LINES), "PNG"))
    (root / "scans.pdf").write_bytes(image_pdf([render_page(LETTER_LINES)]))
    (root / "notes.txt").write_text("Typed notes are indexed whatever happens to the scans.\n")
    summary = run_index(root, index_settings, HashingEmbedder(), ocr=Ocr(None, None, notify=lambda _: None))
    assert {s.path: s.reason for s in summary.skipped} == {"scan.png": ENGINE_MISSING, "scans.pdf": ENGINE_MISSING}
    assert summary.added == ("notes.txt",)
    assert [w for w in summary.warnings if "OCR" in w] == [f"{ENGINE_MISSING} (2 pictures or scanned pages not read)"]


def test_tesseract_missing_from_the_path_is_found_out(tmp_path: Path) -> None:
    code = "from index.ocr import TesseractEngine; print(TesseractEngine.find()[1])"
    env = {"PATH": str(tmp_path), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == ENGINE_MISSING, result.stderr


@needs_tesseract
def test_a_picture_without_text_is_skipped_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "holiday.jpg").write_bytes(image_bytes(blank_photo(), "JPEG"))
    with pytest.raises(DocumentError, match=r"^no text found in this picture \(OCR\)$"):
        load(tmp_path / "holiday.jpg", ocr_in(tmp_path))


def test_a_damaged_picture_is_a_document_error(tmp_path: Path) -> None:
    data = image_bytes(render_page(FORM_LINES), "PNG")
    (tmp_path / "cut.png").write_bytes(data[:200])
    with pytest.raises(DocumentError, match="not a readable picture"):
        load(tmp_path / "cut.png", ocr_in(tmp_path))


@needs_tesseract
def test_a_fact_only_in_a_scan_is_answered_and_cited_as_ocr(tmp_path: Path, index_settings: IndexSettings) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "letter.png").write_bytes(image_bytes(scanned(render_page(LETTER_LINES)), "PNG"))
    (root / "inspection.pdf").write_bytes(image_pdf([scanned(render_page(FORM_LINES), seed=2)]))
    _, answer = index_and_ask(root, index_settings, "What was the odometer reading at inspection?")
    assert not answer.abstained and "48,213" in answer.text
    assert (answer.citations[0].doc_id, answer.citations[0].location_label) == ("inspection.pdf", "page 1 (OCR)")
    _, answer = index_and_ask(root, index_settings, "Which reference should you quote to the repairs line?")
    assert not answer.abstained and "HS-4471" in answer.text
    assert (answer.citations[0].doc_id, answer.citations[0].location_label) == ("letter.png", "image (OCR)")


def test_the_doctor_names_the_ocr_engine_or_how_to_install_it(tmp_path: Path) -> None:
    from assistant.doctor import check_ocr
    from assistant.settings import Settings

    check = check_ocr(Settings.from_env({"ASSISTANT_HOME": str(tmp_path)}))
    if ENGINE is None:
        assert check.status == "warn" and "install" in check.detail
    else:
        assert check.status == "ok" and check.detail.startswith("tesseract 5") and check.detail.endswith(" eng")
    missing = check_ocr(Settings.from_env({"ASSISTANT_HOME": str(tmp_path), "ASSISTANT_OCR_LANG": "xyz"}))
    assert missing.status == "warn" and "apt-get install tesseract-ocr" in missing.detail
