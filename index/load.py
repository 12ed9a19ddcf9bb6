"""Read one file into RawDocuments of located blocks: the file's own, then any inside it (e-mail attachments).

Text and Markdown are parsed here; every other format has its own module (load_html, load_pdf,
load_docx, load_sheet, load_pptx, load_email, load_image), imported on first use.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from collections.abc import Callable
from pathlib import Path

from index.decode import SNIFF_BYTES, Parsed, _cause, _decoded, decode_text, looks_binary, title_from
from index.errors import DocumentError
from index.ocr import Ocr
from index.types import Block, Location, RawDocument

# What other modules and the tests import from here, some of it defined in the modules above.
__all__ = [
    "SNIFF_BYTES",
    "SUPPORTED_SUFFIXES",
    "decode_text",
    "load_documents",
    "load_file",
    "looks_binary",
    "title_from",
]

MB = 1024 * 1024
ATTACHMENT_SEPARATOR = "#"  # "thread.eml#report.pdf": an attachment's doc id
MAX_NESTING = 3  # an e-mail attached to an e-mail attached to an e-mail: deeper ones are not read

Parser = Callable[[bytes, Ocr], Parsed]


def load_documents(path: Path, doc_id: str, *, max_bytes: int, ocr: Ocr | None = None) -> list[RawDocument]:
    """Read `path`: its own RawDocument first, then one per attachment (id "<doc_id>#<name>",
    `parent` = doc_id), depth first. An attachment that cannot be read is a warning on the
    document carrying it.

    Raises DocumentError (and nothing else) when the file itself cannot be indexed, with a
    short reason a user can act on.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(_unsupported(suffix))
    data = _read_bytes(path, max_bytes)
    reader = ocr or Ocr.uncached()
    return _load(data, suffix, path, doc_id, "", reader.about(doc_id), max_bytes)


def load_file(path: Path, doc_id: str, *, max_bytes: int, ocr: Ocr | None = None) -> RawDocument:
    """Read `path` into one RawDocument, the file's own (see `load_documents`)."""
    return load_documents(path, doc_id, max_bytes=max_bytes, ocr=ocr)[0]


def _unsupported(suffix: str) -> str:
    return f"unsupported file type {suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"


def _load(
    data: bytes, suffix: str, path: Path, doc_id: str, parent: str, ocr: Ocr, max_bytes: int
) -> list[RawDocument]:
    kind, parse = _FORMATS[suffix]
    try:
        parsed = parse(data, ocr)
    except DocumentError:
        raise
    except Exception as exc:  # a parser bug or odd input must skip one file, not stop a run
        raise DocumentError(f"could not read this {kind} file: {_cause(exc)}") from exc
    inside: list[RawDocument] = []
    for name, payload in parsed.attachments:
        try:
            inside += _attachment(name, payload, path, doc_id, parent or doc_id, ocr, max_bytes)
        except DocumentError as exc:
            parsed.warnings.append(f"attachment {name} not indexed: {exc}")
    own = RawDocument(
        doc_id=doc_id,
        path=path,
        kind=kind,
        title=parsed.title or (Path(doc_id.rsplit(ATTACHMENT_SEPARATOR, 1)[-1]).stem if parent else path.stem),
        blocks=tuple(parsed.blocks),
        content_hash=hashlib.sha256(data).hexdigest(),
        encoding=parsed.encoding,
        removed=tuple(parsed.removed),
        warnings=tuple(parsed.warnings),
        parent=parent,
    )
    return [own, *inside]


def _attachment(
    name: str, data: bytes, path: Path, carrier: str, parent: str, ocr: Ocr, max_bytes: int
) -> list[RawDocument]:
    """The documents of one attachment (an attached e-mail brings its own attachments)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"unsupported file type {suffix or '(none)'}")
    if carrier.count(ATTACHMENT_SEPARATOR) >= MAX_NESTING:
        raise DocumentError(f"nested more than {MAX_NESTING} messages deep")
    if len(data) > max_bytes:
        raise DocumentError(f"too large ({_mb(len(data))} MB > {_mb(max_bytes)} MB limit, ASSISTANT_MAX_FILE_MB)")
    if not data.strip():
        raise DocumentError("empty file")
    doc_id = f"{carrier}{ATTACHMENT_SEPARATOR}{name}"
    return _load(data, suffix, path, doc_id, parent, ocr.about(doc_id), max_bytes)


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size <= max_bytes:
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
                size = len(data)
    except PermissionError as exc:
        raise DocumentError("permission denied: make the file readable to index it") from exc
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}") from exc
    if size > max_bytes:
        raise DocumentError(
            f"too large ({_mb(size)} MB > {_mb(max_bytes)} MB limit; raise ASSISTANT_MAX_FILE_MB to index it)"
        )
    if not data.strip():
        raise DocumentError("empty file")
    return data


def _mb(size: int) -> str:
    return f"{size / MB:.1f}" if size >= MB // 10 else f"{size / MB:.2g}"


# --- plain text and Markdown ---------------------------------------------------------


def _paragraph_ranges(lines: list[str]) -> list[tuple[int, int]]:
    """0-based inclusive (first, last) ranges of consecutive non-blank lines."""
    ranges, start = [], None
    for i, line in enumerate(lines):
        if line.strip() and start is None:
            start = i
        elif not line.strip() and start is not None:
            ranges.append((start, i - 1))
            start = None
    if start is not None:
        ranges.append((start, len(lines) - 1))
    return ranges


def _line_blocks(lines: list[str], ranges: list[tuple[int, int]]) -> list[Block]:
    """Blocks over line ranges; the block text keeps one text line per file line."""
    blocks = []
    for first, last in ranges:
        text = "\n".join(lines[first : last + 1])
        if text.strip():
            blocks.append(Block(text, Location("lines", first + 1, last + 1)))
    return blocks


def _parse_text(data: bytes) -> Parsed:
    text, encoding, notes = _decoded(data)
    lines = text.split("\n")
    return Parsed(_line_blocks(lines, _paragraph_ranges(lines)), title_from(text), encoding=encoding, warnings=notes)


_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_ATX_HEADING = re.compile(r"^\s{0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$")
_RULE_LINE = re.compile(r"^\s{0,3}([-*_=])(?:\s*\1){2,}\s*$")  # --- *** ___ and setext ===
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_STRONG = re.compile(r"\*\*|__")


def _markdown_ranges(lines: list[str]) -> list[tuple[int, int, bool]]:
    """(first, last, is_code): paragraphs, each heading alone, each fenced block whole."""
    ranges: list[tuple[int, int, bool]] = []
    start: int | None = None
    fence: str | None = None
    for i, line in enumerate(lines):
        if fence is not None:
            if line.strip().startswith(fence):
                ranges.append((start if start is not None else i, i, True))
                start, fence = None, None
            continue
        opening, heading = _FENCE.match(line), _ATX_HEADING.match(line)
        if opening or heading or not line.strip():
            if start is not None:
                ranges.append((start, i - 1, False))
                start = None
            if opening:
                start, fence = i, opening.group(1)
            elif heading:
                ranges.append((i, i, False))
        elif start is None:
            start = i
    if start is not None:
        ranges.append((start, len(lines) - 1, fence is not None))
    return ranges


def _strip_markdown(line: str) -> str:
    """One line without heading marks, emphasis, link or image syntax (line count kept)."""
    heading = _ATX_HEADING.match(line)
    if heading:
        return heading.group(1) or ""
    if _RULE_LINE.match(line):
        return ""
    line = _IMAGE.sub("", line)
    line = _LINK.sub(r"\1", line)
    return _STRONG.sub("", line)


def _code_line(line: str) -> str:
    """Code is kept verbatim; only the fence markers themselves are dropped."""
    return "" if _FENCE.match(line) else line


def _parse_markdown(data: bytes) -> Parsed:
    text, encoding, notes = _decoded(data)
    lines = text.split("\n")
    shown = list(lines)
    ranges = _markdown_ranges(lines)
    for first, last, is_code in ranges:
        for i in range(first, last + 1):
            shown[i] = _code_line(lines[i]) if is_code else _strip_markdown(lines[i])
    blocks = _line_blocks(shown, [(first, last) for first, last, _ in ranges])
    return Parsed(
        blocks, _markdown_title(lines, ranges) or title_from("\n".join(shown)), encoding=encoding, warnings=notes
    )


def _markdown_title(lines: list[str], ranges: list[tuple[int, int, bool]]) -> str:
    for first, last, is_code in ranges:
        if not is_code and first == last and _ATX_HEADING.match(lines[first]):
            title = title_from(_strip_markdown(lines[first]))
            if title:
                return title
    return ""


# --- the formats -----------------------------------------------------------------------


def _plain(parse: Callable[[bytes], Parsed]) -> Parser:
    return lambda data, _ocr: parse(data)


def _lazy(module: str, name: str, *, ocr: bool = False) -> Parser:
    """A parser imported on first use: bs4, pypdf, openpyxl, python-pptx and Pillow take ~0.3 s
    each to import, which every start of the command would pay otherwise."""

    def parse(data: bytes, reader: Ocr) -> Parsed:
        function = getattr(importlib.import_module(module), name)
        return function(data, reader) if ocr else function(data)

    return parse


_PICTURE = ("image", _lazy("index.load_image", "parse_image", ocr=True))
_XLSX = ("sheet", _lazy("index.load_sheet", "parse_xlsx"))
_FORMATS: dict[str, tuple[str, Parser]] = {
    ".txt": ("text", _plain(_parse_text)),
    ".md": ("markdown", _plain(_parse_markdown)),
    ".markdown": ("markdown", _plain(_parse_markdown)),
    ".html": ("html", _lazy("index.load_html", "_parse_html")),
    ".htm": ("html", _lazy("index.load_html", "_parse_html")),
    ".pdf": ("pdf", _lazy("index.load_pdf", "_parse_pdf", ocr=True)),
    ".docx": ("docx", _lazy("index.load_docx", "_parse_docx")),
    ".xlsx": _XLSX,
    ".xlsm": _XLSX,
    ".csv": ("sheet", _lazy("index.load_sheet", "parse_csv")),
    ".tsv": ("sheet", _lazy("index.load_sheet", "parse_tsv")),
    ".pptx": ("slides", _lazy("index.load_pptx", "parse_pptx")),
    ".eml": ("email", _lazy("index.load_email", "parse_eml")),
    ".mbox": ("email", _lazy("index.load_email", "parse_mbox")),
    ".png": _PICTURE,
    ".jpg": _PICTURE,
    ".jpeg": _PICTURE,
    ".webp": _PICTURE,
    ".tif": _PICTURE,
    ".tiff": _PICTURE,
}
SUPPORTED_SUFFIXES = frozenset(_FORMATS)
