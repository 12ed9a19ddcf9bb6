"""Read one file (text, Markdown, HTML, PDF or Word) into a RawDocument of located blocks."""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PreformattedString
from docx.document import Document as WordDocument
from docx.table import Table, _Row
from pypdf import PdfReader

from index.errors import DocumentError
from index.types import Block, Location, RawDocument, Removal

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"})
_KINDS = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".docx": "docx",
}

MB = 1024 * 1024
SNIFF_BYTES = 8192  # binary detection looks at the first 8 KiB, like git and file(1)
MAX_CONTROL_SHARE = 0.05  # text has almost none; random bytes have ~11%
TITLE_MAX_CHARS = 120
REMOVAL_MAX_CHARS = 300  # enough for `index --explain` to show what went

_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f") + b"\x7f"
_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass
class _Parsed:
    """What a format parser found, before load_file adds identity and hash."""

    blocks: list[Block]
    title: str = ""
    removed: list[Removal] = field(default_factory=list)
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)


def load_file(path: Path, doc_id: str, *, max_bytes: int) -> RawDocument:
    """Read `path` into a RawDocument.

    Raises DocumentError (and nothing else) when the file cannot be indexed, with a
    short reason a user can act on.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(f"unsupported file type {suffix or '(none)'}; supported: {supported}")
    data = _read_bytes(path, max_bytes)
    kind = _KINDS[suffix]
    try:
        parsed = _PARSERS[kind](data)
    except DocumentError:
        raise
    except Exception as exc:  # a parser bug or odd input must skip one file, not stop a run
        raise DocumentError(f"could not read this {kind} file: {_cause(exc)}") from exc
    return RawDocument(
        doc_id=doc_id,
        path=path,
        kind=kind,
        title=parsed.title or path.stem,
        blocks=tuple(parsed.blocks),
        content_hash=hashlib.sha256(data).hexdigest(),
        encoding=parsed.encoding,
        removed=tuple(parsed.removed),
        warnings=tuple(parsed.warnings),
    )


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


def _cause(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return _shorten(text, 100)


# --- text decoding -------------------------------------------------------------------


def looks_binary(data: bytes) -> bool:
    """True when `data` is not text: a NUL byte in the first 8 KiB, or over 5% control bytes.

    Tab, newline, carriage return and form feed do not count. UTF-16 text (which is
    full of NULs) is recognised by its byte-order mark.
    """
    if data.startswith(tuple(bom for bom, _ in _UTF16_BOMS)):
        return False
    sample = data[:SNIFF_BYTES]
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > MAX_CONTROL_SHARE * len(sample)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode file bytes to text with "\\n" newlines; returns (text, encoding name).

    A UTF-8 BOM is stripped ("utf-8-sig"); a UTF-16 BOM selects UTF-16. Strict UTF-8 is
    tried first. If it fails, the file is still taken as damaged UTF-8 when it has a UTF-8
    BOM or at least as many well-formed multi-byte characters as invalid bytes: it is decoded
    with U+FFFD replacements as "utf-8 (N invalid bytes replaced)". (Well-formed multi-byte
    sequences almost never occur by chance in 8-bit text, where nearly every non-ASCII byte
    is invalid UTF-8.) Otherwise it is a legacy 8-bit file, decoded as "cp1252", with latin-1
    for the five bytes cp1252 leaves undefined; latin-1 text decodes the same way.
    """
    for bom, codec in _UTF16_BOMS:
        if data.startswith(bom):
            return _unix_newlines(data[len(bom) :].decode(codec, errors="replace")), "utf-16"
    has_bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if has_bom else data
    try:
        return _unix_newlines(body.decode("utf-8")), "utf-8-sig" if has_bom else "utf-8"
    except UnicodeDecodeError:
        pass
    escaped = body.decode("utf-8", errors="surrogateescape")  # invalid bytes -> U+DC80..U+DCFF
    invalid = len(re.findall("[\udc80-\udcff]", escaped))
    well_formed = len(re.findall("[^\x00-\x7f\udc80-\udcff]", escaped))
    if has_bom or well_formed >= invalid:
        text = body.decode("utf-8", errors="replace")
        return _unix_newlines(text), f"utf-8 ({invalid} invalid bytes replaced)"
    return _unix_newlines(_decode_cp1252(body)), "cp1252"


def _decode_cp1252(data: bytes) -> str:
    # surrogateescape marks the bytes cp1252 leaves undefined; latin-1 maps byte n to U+00nn.
    text = data.decode("cp1252", errors="surrogateescape")
    return re.sub("[\udc80-\udcff]", lambda m: chr(ord(m.group()) - 0xDC00), text)


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decoded(data: bytes) -> tuple[str, str, list[str]]:
    """Text, encoding and warnings for a text-type file; raises for binary or blank files."""
    if looks_binary(data):
        raise DocumentError("binary content in a text file (not indexed)")
    text, encoding = decode_text(data)
    if not text.strip():
        raise DocumentError("empty file")
    notes = [] if encoding in ("utf-8", "utf-8-sig", "utf-16") else [f"decoded as {encoding}"]
    return text, encoding, notes


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def title_from(text: str) -> str:
    """The first non-empty line, whitespace-collapsed and cut at a word boundary."""
    for line in text.splitlines():
        if line.strip():
            return _shorten(" ".join(line.split()), TITLE_MAX_CHARS)
    return ""


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


def _parse_text(data: bytes) -> _Parsed:
    text, encoding, notes = _decoded(data)
    lines = text.split("\n")
    return _Parsed(_line_blocks(lines, _paragraph_ranges(lines)), title_from(text), encoding=encoding, warnings=notes)


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


def _parse_markdown(data: bytes) -> _Parsed:
    text, encoding, notes = _decoded(data)
    lines = text.split("\n")
    shown = list(lines)
    ranges = _markdown_ranges(lines)
    for first, last, is_code in ranges:
        for i in range(first, last + 1):
            shown[i] = _code_line(lines[i]) if is_code else _strip_markdown(lines[i])
    blocks = _line_blocks(shown, [(first, last) for first, last, _ in ranges])
    return _Parsed(
        blocks, _markdown_title(lines, ranges) or title_from("\n".join(shown)), encoding=encoding, warnings=notes
    )


def _markdown_title(lines: list[str], ranges: list[tuple[int, int, bool]]) -> str:
    for first, last, is_code in ranges:
        if not is_code and first == last and _ATX_HEADING.match(lines[first]):
            title = title_from(_strip_markdown(lines[first]))
            if title:
                return title
    return ""


# --- HTML ----------------------------------------------------------------------------

_DROP_TAGS = {
    "script": "script",
    "style": "style sheet",
    "noscript": "noscript fallback",
    "template": "template",
    "svg": "inline graphic",
    "iframe": "embedded frame",
    "form": "form",
    "nav": "navigation",
    "header": "page header",
    "footer": "page footer",
    "aside": "sidebar",
    "button": "button",
    "select": "form control",
    "textarea": "form control",
    "video": "embedded media",
    "audio": "embedded media",
    "object": "embedded media",
    "canvas": "embedded media",
}
_DROP_ROLES = {
    "navigation": "navigation",
    "banner": "page header",
    "contentinfo": "page footer",
    "complementary": "sidebar",
    "search": "search box",
}
# Matched against an element's id and class words ("shareButtons" -> "share buttons").
_ATTR_RULES = tuple(
    (reason, re.compile(pattern))
    for reason, pattern in (
        ("cookie notice", r"\bcookie|\bconsent|\bgdpr\b"),
        ("newsletter box", r"\bnewsletter|\bsubscri(be|ption)|\bsign ?up\b|\bopt ?in\b|\bmailing list"),
        ("share buttons", r"\bshar(e|es|ing)\b|\bsocial"),
        ("comment form", r"\bcomments? ?(form|respond|reply)|\brespond\b|\breply ?(form|box)\b"),
        ("breadcrumbs", r"\bbreadcrumb|\bcrumbs?\b"),
        ("menu", r"\bmenu|\bnav(bar|igation)?\b|\btopbar\b"),
        ("sidebar", r"\bsidebar|\bside bar\b"),
        ("advertisement", r"\bad(s|slot|unit|vert\w*|container|wrapper|sbygoogle)?\b|\bsponsor|\bpromo(ted)?\b"),
        ("related posts", r"\brelated\b|\brecommended\b|\bmore (stories|articles|posts)\b|\bread next\b"),
    )
)
# Never dropped by a class or id match: page-level class names often mention "sidebar" etc.
_NEVER_BY_ATTR = {"html", "body", "main", "article"}
_CONTENT_MARKERS = ["main", "article", "h1"]
_SILENT_TAGS = {"head", "title", "meta", "link", "base"}
_BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "ul",
}


def _attr_words(tag: Tag) -> str:
    classes: Any = tag.get("class") or []
    raw = " ".join([str(tag.get("id") or ""), *([classes] if isinstance(classes, str) else classes)])
    raw = re.sub(r"([a-z])([A-Z])", r"\1 \2", raw).lower()
    return " ".join(re.findall(r"[a-z0-9]+", raw))


def _furniture_reason(tag: Tag, holds_content: set[int]) -> str | None:
    """Why this element is page furniture, or None to keep it.

    `holds_content`: ids of the elements that contain a <main>, <article> or <h1>.
    """
    name = tag.name
    if name in ("header", "form") and (id(tag) in holds_content or _in_article(tag)):
        return None  # an article's own header holds its headline; some sites wrap pages in a form
    if name in _DROP_TAGS:
        return _DROP_TAGS[name]
    if name in _NEVER_BY_ATTR:
        return None
    role = str(tag.get("role") or "").strip().lower()
    if role in _DROP_ROLES:
        return _DROP_ROLES[role]
    words = _attr_words(tag)
    for reason, pattern in _ATTR_RULES:
        if words and pattern.search(words):
            return None if id(tag) in holds_content else reason
    return None


def _in_article(tag: Tag) -> bool:
    return tag.name == "header" and tag.find_parent(["article", "main"]) is not None


def _content_holders(soup: BeautifulSoup) -> set[int]:
    """ids of the main-content markers and every element containing one.

    A furniture-like class on such an element is a layout hint ("has-sidebar"), not furniture.
    """
    holders: set[int] = set()
    for marker in soup.find_all(_CONTENT_MARKERS):
        holders.add(id(marker))
        holders.update(id(parent) for parent in marker.parents)
    return holders


def _newlines(tag: Tag) -> int:
    """Newlines in the element's source text (cheaper than serialising it)."""
    return sum(str(s).count("\n") for s in tag.descendants if isinstance(s, NavigableString))


def _find_furniture(soup: BeautifulSoup) -> tuple[dict[int, int], list[Removal]]:
    """{id: last source line} of the furniture elements (outermost only), and their Removals."""
    skip: dict[int, int] = {}
    removed: list[Removal] = []
    holders = _content_holders(soup)
    stack = [child for child in reversed(soup.contents) if isinstance(child, Tag)]
    while stack:  # iterative: html.parser nests unclosed <p> tags arbitrarily deep
        tag = stack.pop()
        reason = None if tag.name in _SILENT_TAGS else _furniture_reason(tag, holders)
        if reason is None:
            stack.extend(child for child in reversed(tag.contents) if isinstance(child, Tag))
            continue
        start = tag.sourceline or 1
        skip[id(tag)] = start + _newlines(tag)
        text = " ".join(tag.get_text(" ").split())
        if text:
            where = Location("lines", start, skip[id(tag)])
            removed.append(Removal(reason, _shorten(text, REMOVAL_MAX_CHARS), where))
    return skip, removed


def _content_roots(soup: BeautifulSoup, skip: dict[int, int]) -> set[int] | None:
    """ids of <main> (or else the outermost <article>s); None when the page has neither."""

    def kept(tag: Tag) -> bool:
        return not any(id(t) in skip for t in (tag, *tag.parents))

    roots = [t for t in soup.find_all("main") + soup.find_all(role="main") if kept(t)]
    if not roots:
        roots = [t for t in soup.find_all("article") if kept(t) and not t.find_parent("article")]
    return {id(t) for t in roots} or None


class _HtmlBlocks:
    """Walks the tree in source order, collecting block texts and the source lines they span."""

    def __init__(self, skip: dict[int, int], roots: set[int] | None) -> None:
        self.blocks: list[Block] = []
        self.outside: list[Removal] = []
        self._skip, self._roots = skip, roots
        self._cursor = 1  # source line of the text being read
        self._in_root = 0
        self._pre = self._row = 0
        self._cell_pending = False
        self._reset()

    def _reset(self) -> None:
        self._lines = [""]  # the current block, split where <br> was
        self._first: int | None = None
        self._last = 0

    def run(self, root: Tag) -> None:
        stack = [(root, iter(root.contents))]
        while stack:  # iterative for the same reason as _find_furniture
            tag, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                self._leave(tag)
            elif isinstance(child, Tag):
                if self._enter(child):
                    stack.append((child, iter(child.contents)))
            elif isinstance(child, PreformattedString):  # comments, doctype, CDATA
                self._cursor += str(child).count("\n")
            elif isinstance(child, NavigableString):
                self._text(str(child))

    def _enter(self, tag: Tag) -> bool:
        """Handle an opening tag; True to walk its children."""
        self._cursor = tag.sourceline or self._cursor
        if id(tag) in self._skip:
            self._cursor = self._skip[id(tag)]
            return False
        if tag.name in _SILENT_TAGS:
            self._cursor += _newlines(tag)
            return False
        if tag.name == "br":
            self._lines.append("")
            return False
        if tag.name in ("td", "th") and self._row:
            self._cell_pending = True
        elif tag.name == "tr" or (tag.name in _BLOCK_TAGS and not self._row):
            self._flush()
        self._row += tag.name == "tr"
        self._pre += tag.name == "pre"
        self._in_root += self._roots is not None and id(tag) in self._roots
        return True

    def _leave(self, tag: Tag) -> None:
        self._row -= tag.name == "tr"
        self._pre -= tag.name == "pre"
        if tag.name == "tr" or (tag.name in _BLOCK_TAGS and not self._row) or tag.parent is None:
            self._flush()
        self._in_root -= self._roots is not None and id(tag) in self._roots

    def _text(self, text: str) -> None:
        stripped = text.strip()
        if stripped:
            start = self._cursor + text[: len(text) - len(text.lstrip())].count("\n")
            self._first = start if self._first is None else self._first
            self._last = start + stripped.count("\n")
            if self._cell_pending and self._lines[-1].strip():
                self._lines[-1] += " | "
            self._cell_pending = False
        if self._pre:
            head, *rest = text.split("\n")
            self._lines[-1] += head
            self._lines.extend(rest)
        else:
            self._lines[-1] += text
        self._cursor += text.count("\n")

    def _flush(self) -> None:
        lines = (" ".join(line.split()) for line in self._lines)
        text = "\n".join(line for line in lines if line)
        if text and self._first is not None:
            location = Location("lines", self._first, max(self._first, self._last))
            if self._roots is None or self._in_root:
                self.blocks.append(Block(text, location))
            else:
                self.outside.append(Removal("outside main content", text, location))
        self._reset()


def _parse_html(data: bytes) -> _Parsed:
    text, encoding, notes = _decoded(data)
    # html.parser, because it records each tag's source line (lxml's builder does not).
    soup = BeautifulSoup(text, "html.parser")
    skip, removed = _find_furniture(soup)
    walker = _HtmlBlocks(skip, _content_roots(soup, skip))
    walker.run(soup)
    title = _html_title(soup) or (title_from(walker.blocks[0].text) if walker.blocks else "")
    return _Parsed(walker.blocks, title, removed + walker.outside, encoding, notes)


def _html_title(soup: BeautifulSoup) -> str:
    for tag in (soup.find("title"), soup.find("h1")):
        if tag is not None:
            title = title_from(" ".join(tag.get_text(" ").split()))
            if title:
                return title
    return ""


# --- PDF -----------------------------------------------------------------------------

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


def _parse_pdf(data: bytes) -> _Parsed:
    with _quiet_pypdf():
        reader = _open_pdf(data)
        parsed = _Parsed([])
        first_text = ""
        for number, page in enumerate(reader.pages, start=1):
            try:
                text = page.extract_text() or ""
            except Exception as exc:  # one broken page should not lose the rest
                parsed.warnings.append(f"page {number}: text not extracted ({_cause(exc)})")
                continue
            first_text = first_text or text.strip()
            location = Location("pages", number, number)
            parsed.blocks += [Block(p, location) for p in _pdf_paragraphs(text)]
        parsed.title = _pdf_title(reader) or title_from(first_text)
    if not parsed.blocks:
        raise DocumentError("no extractable text (scanned PDF? run OCR first)")
    return parsed


def _pdf_title(reader: PdfReader) -> str:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # a malformed info dictionary only costs us the title
        return ""
    return title_from(str(title)) if title else ""


# --- Word ----------------------------------------------------------------------------


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


def _parse_docx(data: bytes) -> _Parsed:
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
    return _Parsed(blocks, title)


_PARSERS: dict[str, Callable[[bytes], _Parsed]] = {
    "text": _parse_text,
    "markdown": _parse_markdown,
    "html": _parse_html,
    "pdf": _parse_pdf,
    "docx": _parse_docx,
}
