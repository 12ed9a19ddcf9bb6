"""Parse a PDF into paragraph blocks located by page; pages without a text layer are read by OCR."""

from __future__ import annotations

import io
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from pypdf import PageObject, PdfReader

from index.decode import Parsed, _cause, _unix_newlines, title_from
from index.errors import DocumentError
from index.ocr import Ocr
from index.types import OCR, Block, Location

# A page with fewer words than this in its text layer is read by OCR when it holds a picture
# (a scan often carries only a page number or a scanner's stamp as text).
SCANNED_PAGE_WORDS = 5
MIN_PICTURE_PIXELS = 200 * 100  # logos and bullets are smaller; a scanned line of text is not
# A line ending a sentence followed by one starting with a capital: a likely paragraph break.
_SENTENCE_BREAK = re.compile(r"([.!?][\"'”’)]?)[ \t]*\n(?=[\"'“‘(]?[A-ZÀ-ÖØ-Þ])")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_HYPHEN_BREAK = re.compile(r"([a-zß-ÿ])-[ \t]*\n[ \t]*(?=[a-zß-ÿ])")


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs and warns about every oddity of a damaged file; loading must stay silent."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _pdf_paragraphs(page_text: str) -> list[str]:
    """Paragraphs of one page, with hyphenated words re-joined and soft breaks as spaces."""
    text = _unix_newlines(page_text)
    if not _BLANK_LINE.search(text):
        text = _SENTENCE_BREAK.sub(r"\1\n\n", text)
    paragraphs = (_HYPHEN_BREAK.sub(r"\1", part) for part in _BLANK_LINE.split(text))
    return [" ".join(p.split()) for p in paragraphs if p.strip()]


def _open_pdf(data: bytes) -> PdfReader:
    # pypdf raises many types for damaged files (PdfReadError, ValueError, KeyError...).
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:
        raise DocumentError(f"not a readable PDF: {_cause(exc)}") from exc
    if encrypted:
        _decrypt_with_empty_password(reader)
    try:
        page_count = len(reader.pages)  # reads the page tree, so a broken one fails here
    except Exception as exc:
        raise DocumentError(f"not a readable PDF: {_cause(exc)}") from exc
    if page_count == 0:
        raise DocumentError("not a readable PDF: it has no pages")
    return reader


def _decrypt_with_empty_password(reader: PdfReader) -> None:
    """Many PDFs are encrypted only against editing; those open with the empty password."""
    try:
        opened = bool(reader.decrypt(""))
    except Exception:  # e.g. AES without a crypto library: equally unreadable for us
        opened = False
    if not opened:
        raise DocumentError("encrypted PDF: decrypt it or export an unencrypted copy")


@dataclass
class _Scans:
    """What OCR made of the pages without a text layer."""

    pictures: int = 0  # pictures big enough to hold text
    unread: list[str] = field(default_factory=list)  # why some stayed unread (no engine, bad picture)


def _parse_pdf(data: bytes, ocr: Ocr) -> Parsed:
    with _quiet_pypdf():
        reader = _open_pdf(data)
        parsed = Parsed([])
        scans = _Scans()
        first_text = ""
        for number, page in enumerate(reader.pages, start=1):
            try:
                text = page.extract_text() or ""
            except Exception as exc:  # one broken page should not lose the rest
                parsed.warnings.append(f"page {number}: text not extracted ({_cause(exc)})")
                continue
            location = Location("pages", number, number)
            parsed.blocks += [Block(p, location) for p in _pdf_paragraphs(text)]
            if len(text.split()) < SCANNED_PAGE_WORDS:
                text += "\n\n" + _ocr_page(page, number, ocr, parsed, scans)
            first_text = first_text or text.strip()
        parsed.title = _pdf_title(reader) or title_from(first_text)
    if not parsed.blocks:
        raise DocumentError(scans.unread[0] if scans.unread else _no_text(scans))
    if scans.unread:
        parsed.warnings.append(f"{len(scans.unread)} scanned pages not read: {scans.unread[0]}")
    return parsed


def _no_text(scans: _Scans) -> str:
    if scans.pictures:
        return "no text: no text layer, and OCR found no text in its pictures"
    return "no text: no text layer, and no pictures to read by OCR"


def _ocr_page(page: PageObject, number: int, ocr: Ocr, parsed: Parsed, scans: _Scans) -> str:
    """OCR the pictures of a page without a text layer into blocks of `parsed`; returns the text."""
    texts = []
    for picture in _page_pictures(page, number, parsed):
        scans.pictures += 1
        try:
            paragraphs = ocr.read(picture, f"page {number}")
        except DocumentError as exc:
            scans.unread.append(str(exc))
            continue
        location = Location("pages", number, number, OCR)
        parsed.blocks += [Block(p, location) for p in paragraphs]
        texts += paragraphs
    return "\n\n".join(texts)


def _page_pictures(page: PageObject, number: int, parsed: Parsed) -> list[bytes]:
    """The encoded pictures on a page big enough to hold text (a scan is one per page)."""
    pictures = []
    try:
        for image in page.images:
            width, height = image.image.size if image.image is not None else (0, 0)
            if width * height >= MIN_PICTURE_PIXELS:
                pictures.append(image.data)
    except Exception as exc:  # an unsupported codec (JBIG2) or a damaged stream
        parsed.warnings.append(f"page {number}: pictures not readable ({_cause(exc)})")
    return pictures


def _pdf_title(reader: PdfReader) -> str:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # a malformed info dictionary only costs us the title
        return ""
    return title_from(str(title)) if title else ""
