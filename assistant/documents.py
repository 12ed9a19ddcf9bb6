"""A cited document as it was indexed: its cleaned text rebuilt from the stored chunks, numbered
by the lines (or pages, rows, slides) it came from; whether a saved citation still points at
the same text; and, for a PDF, the cited page rendered as a picture.

The text comes from the index itself, never from the file system, so a citation's character
span (cleaned-text coordinates, as `Citation.char_start/char_end`) lands on exactly the text
that was cited, and the viewer can show nothing that was not indexed. Only a PDF page picture
reads a file, and only a file inside the folder the collection was indexed from (or its
uploads folder), reached without leaving it through `..` or a symlink, whose bytes still hash
to what was indexed (`source_file`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from assistant.types import Citation
from index.errors import DocumentError, StoreError
from index.ingest import UPLOADS, uploads_folder
from index.settings import IndexSettings
from index.store import ChunkStore, DocRecord
from index.types import Location

if TYPE_CHECKING:
    from PIL.Image import Image

PAGE_SCALE = 1.5  # PDF points to pixels: 1.5 x 72 = 108 dpi, an A4 page is ~890 x 1260 px
MAX_PAGE_PIXELS = 2000 * 2000  # a poster-sized page is rendered smaller, not at any size


@dataclass(frozen=True)
class Row:
    """A numbered piece of the cleaned text: one line of a text file, one paragraph otherwise."""

    label: str  # "12" for a line, else the location's label: "page 3", "sheet Budget, rows 4-9"
    start: int  # span in the cleaned text
    end: int
    page: int = 0  # the PDF page the row is on; 0 for other formats


@dataclass(frozen=True)
class IndexedDocument:
    """One document's cleaned text as stored, and its rows in order."""

    doc_id: str
    title: str
    kind: str
    content_hash: str
    text: str
    rows: tuple[Row, ...]

    def holds(self, citation: Citation) -> bool:
        """True when the citation's span still holds its quote (spaces compared loosely)."""
        found = self.text[citation.char_start : citation.char_end]
        return " ".join(found.split()) == " ".join(citation.quote.split()) != ""

    def page_of(self, start: int) -> int:
        """The PDF page of cleaned-text character `start` (0 when not a paged document)."""
        for row in self.rows:
            if row.start <= start < row.end or start < row.start:
                return row.page
        return self.rows[-1].page if self.rows else 0


def read_document(store: ChunkStore, doc_id: str) -> IndexedDocument:
    """The document's indexed text. Raises DocumentError when the collection no longer holds it,
    StoreError when the store fails."""
    record = _record(store, doc_id)
    if record is None or not record.content_hash:
        raise DocumentError(f"{doc_id} is not in collection {store.name!r} any more; it was removed or renamed")
    chunks = _chunks(store, doc_id, record.content_hash)
    if not chunks:
        raise DocumentError(f"{doc_id} has no indexed text in collection {store.name!r}; run `assistant index` again")
    text = _stitch(chunks)
    return IndexedDocument(doc_id, record.title, record.kind, record.content_hash, text, _rows(chunks, text))


def _record(store: ChunkStore, doc_id: str) -> DocRecord | None:
    try:
        found = store.docs.get(ids=[doc_id], include=["metadatas"])
    except Exception as exc:
        raise StoreError(f"{store.settings.store_label} failed: {type(exc).__name__}: {exc}") from exc
    metas = found.get("metadatas") or []
    return DocRecord.from_metadata(metas[0]) if metas else None


def _chunks(store: ChunkStore, doc_id: str, content_hash: str) -> list[tuple[dict[str, Any], str]]:
    """(metadata, text) of the document's committed chunks, in order."""
    where = {"$and": [{"doc_id": doc_id}, {"content_hash": content_hash}]}
    try:
        found = store.chunks.get(where=where, include=["metadatas", "documents"])
    except Exception as exc:
        raise StoreError(f"{store.settings.store_label} failed: {type(exc).__name__}: {exc}") from exc
    pairs = zip(found.get("metadatas") or [], found.get("documents") or [], strict=True)
    return sorted(((dict(m), str(t)) for m, t in pairs), key=lambda p: int(p[0]["char_start"]))


def _block_starts(chunks: list[tuple[dict[str, Any], str]]) -> set[int]:
    return {int(s) for meta, _ in chunks for s in meta.get("block_starts") or ()}


def _stitch(chunks: list[tuple[dict[str, Any], str]]) -> str:
    """The cleaned text from overlapping chunks. What lies between two chunks (the whitespace
    between sentences or paragraphs) is filled with as many spaces, or newlines before a
    paragraph, so every offset stays the document's own."""
    paragraphs = _block_starts(chunks)
    parts: list[str] = []
    at = 0
    for meta, text in chunks:
        start = int(meta["char_start"])
        if start > at:
            parts.append(("\n" if start in paragraphs else " ") * (start - at))
            at = start
        parts.append(text[at - start :])
        at = max(at, start + len(text))
    return "".join(parts)


def _rows(chunks: list[tuple[dict[str, Any], str]], text: str) -> tuple[Row, ...]:
    """Rows from the chunks' paragraph maps (index.ingest._block_map): a paragraph whose line
    breaks are the file's own is one row per line; any other paragraph is one row."""
    blocks: dict[int, tuple[int, int, bool, str, str]] = {}
    for meta, _ in chunks:
        kind, detail = str(meta.get("loc_kind") or ""), str(meta.get("loc_detail") or "")
        firsts, lasts, exacts = (
            meta.get("block_loc_starts") or (),
            meta.get("block_loc_ends") or (),
            meta.get("block_exact") or (),
        )
        for start, first, last, exact in zip(meta.get("block_starts") or (), firsts, lasts, exacts, strict=False):
            blocks.setdefault(int(start), (int(first), int(last), bool(exact), kind, detail))
        if not meta.get("block_starts"):  # no paragraph map: the chunk is one row
            blocks.setdefault(
                int(meta["char_start"]), (int(meta["loc_start"]), int(meta["loc_end"]), False, kind, detail)
            )
    starts = sorted(blocks)
    rows: list[Row] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        rows += _block_rows(text, start, end, *blocks[start])
    return tuple(rows)


def _block_rows(
    text: str, start: int, end: int, first: int, last: int, exact: bool, kind: str, detail: str
) -> list[Row]:
    body_end = start + len(text[start:end].rstrip())
    page = first if kind == "pages" else 0
    if not (exact and kind == "lines"):
        label = Location(kind, first, last, detail).label() if kind else ""  # type: ignore[arg-type]
        return [Row(label, start, body_end, page)]
    rows, at = [], start
    for number, line in enumerate(text[start:body_end].split("\n"), start=first):
        rows.append(Row(str(number), at, at + len(line)))
        at += len(line) + 1
    return rows


# -- the file behind a document: PDF page pictures -----------------------------------------------
def source_file(
    settings: IndexSettings, folder: Path | None, doc_id: str, content_hash: str
) -> tuple[Path | None, str]:
    """(the indexed file of `doc_id`, "") or (None, why not): the file must be under `folder` (the
    collection's indexed folder) or under the collection's uploads folder, reached without `..`
    or a symlink leaving it, and its bytes must still hash to `content_hash`."""
    if "#" in doc_id:
        return None, "it is an attachment inside another file"
    relative = PurePosixPath(doc_id)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return None, "its id is not a path inside the corpus"
    if relative.parts[0] == UPLOADS:
        root, relative = uploads_folder(settings), PurePosixPath(*relative.parts[1:])
    elif folder is not None:
        root = folder
    else:
        return None, "the folder this collection was indexed from is not known on this machine"
    try:
        base = root.resolve(strict=True)
        path = (base / relative).resolve(strict=True)
    except OSError:
        return None, "the file is no longer where it was indexed from"
    if not path.is_relative_to(base) or not path.is_file():
        return None, "the file lies outside the indexed folder (a symlink out of it)"
    if hashlib.sha256(path.read_bytes()).hexdigest() != content_hash:
        return None, "the file has changed since it was indexed"
    return path, ""


def render_pdf_page(path: Path, page: int) -> Image:
    """Page `page` (1-based) of the PDF at `path` as a picture. Raises DocumentError."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except Exception as exc:  # pdfium raises PdfiumError and OSError
        raise DocumentError(f"cannot open {path.name} to draw page {page}: {exc}") from exc
    try:
        if not 1 <= page <= len(pdf):
            raise DocumentError(f"{path.name} has no page {page}")
        sheet = pdf[page - 1]
        width, height = sheet.get_size()
        scale = min(PAGE_SCALE, (MAX_PAGE_PIXELS / max(width * height, 1.0)) ** 0.5)
        return sheet.render(scale=scale).to_pil()
    except DocumentError:
        raise
    except Exception as exc:
        raise DocumentError(f"cannot draw page {page} of {path.name}: {exc}") from exc
    finally:
        pdf.close()
