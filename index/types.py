"""The frozen types that flow through indexing: load -> clean -> chunk -> store."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

LocationKind = Literal["lines", "pages", "paragraphs", "rows", "slides", "message", "image"]
_SINGULAR = {
    "lines": "line",
    "pages": "page",
    "paragraphs": "paragraph",
    "rows": "row",
    "slides": "slide",
    "message": "message",
    "image": "image",
}
OCR = "OCR"  # the detail of a location whose text was read from a picture


@dataclass(frozen=True)
class Location:
    """Where a piece of text sits in the original file (1-based, inclusive).

    `lines` for text, Markdown and HTML files, `pages` for PDFs, `paragraphs` for Word files
    (which have neither lines nor pages until rendered), `rows` for spreadsheets and CSV (the
    row numbers a spreadsheet program shows; `detail` names the sheet), `slides` for decks,
    `message` for e-mail (`detail` is the message's date), `image` for a picture file.
    `detail` is "OCR" on pages and pictures whose text was read by OCR. Locations with a
    different kind or detail never join: a chunk stays within one sheet, one message.
    """

    kind: LocationKind
    start: int
    end: int
    detail: str = ""

    def label(self) -> str:
        """Human form: "lines 3-7", "page 2 (OCR)", "sheet Budget, rows 4-9", "slide 3",
        "message of 2024-03-02", "image (OCR)"."""
        if self.kind == "message":  # an .eml is message 1; a mailbox numbers its messages
            which = "message" if self.end <= 1 else self._span()
            return f"{which} of {self.detail}" if self.detail else f"{which} (undated)"
        if self.kind == "image":
            return f"image ({self.detail})" if self.detail else "image"
        span = self._span()
        if self.kind == "rows":
            return f"sheet {self.detail}, {span}" if self.detail else span
        return f"{span} ({self.detail})" if self.detail else span

    def _span(self) -> str:
        if self.start == self.end:
            return f"{_SINGULAR[self.kind]} {self.start}"
        plural = "messages" if self.kind == "message" else self.kind
        return f"{plural} {self.start}-{self.end}"

    @property
    def section(self) -> tuple[str, str]:
        """What must match for two locations to join: (kind, detail)."""
        return self.kind, self.detail

    def union(self, other: Location) -> Location:
        """The smallest location covering both (same kind and detail)."""
        if other.section != self.section:
            raise ValueError(f"cannot join {self.label()} with {other.label()}")
        return Location(self.kind, min(self.start, other.start), max(self.end, other.end), self.detail)


@dataclass(frozen=True)
class Block:
    """A paragraph of text as the loader found it, with its place in the file."""

    text: str
    location: Location


@dataclass(frozen=True)
class Removal:
    """Something cleaning (or loading) dropped, kept so `index --explain` can show it."""

    reason: str
    text: str
    location: Location | None = None


@dataclass(frozen=True)
class RawDocument:
    """A loaded file: its paragraphs in reading order, before cleaning."""

    doc_id: str  # path relative to the corpus root, POSIX separators
    path: Path
    kind: str  # "text", "markdown", "html", "pdf", "docx", "sheet", "slides", "email", "image"
    title: str
    blocks: tuple[Block, ...]
    content_hash: str  # sha256 of the file's bytes
    encoding: str | None = None  # how text files were decoded; None for binary formats
    removed: tuple[Removal, ...] = ()  # what the loader itself dropped (HTML furniture)
    warnings: tuple[str, ...] = ()  # e.g. "decoded as cp1252"
    # The doc id of the file this document came out of (an e-mail's attachment: "thread.eml"
    # for "thread.eml#report.pdf"); "" for a file of its own.
    parent: str = ""


@dataclass(frozen=True)
class Span:
    """A kept block placed in the cleaned text: text[start:end] is that block."""

    start: int
    end: int
    location: Location


@dataclass(frozen=True)
class CleanDocument:
    """A document ready to chunk: cleaned text plus the map back to the file."""

    doc_id: str
    path: Path
    kind: str
    title: str
    content_hash: str
    text: str  # kept blocks joined by PARAGRAPH_SEPARATOR
    spans: tuple[Span, ...]
    removed: tuple[Removal, ...] = ()
    warnings: tuple[str, ...] = ()
    parent: str = ""  # see RawDocument.parent

    def spans_within(self, start: int, end: int) -> tuple[Span, ...]:
        """The spans overlapping cleaned-text characters [start, end), in order (a binary search:
        a 20,000-row sheet has 20,000 spans and ~1,000 chunks)."""
        ends = self._span_ends
        first = bisect_right(ends, start)
        last = first
        while last < len(self.spans) and self.spans[last].start < end:
            last += 1
        return self.spans[first:last]

    @cached_property
    def _span_ends(self) -> list[int]:
        return [span.end for span in self.spans]

    def locate(self, start: int, end: int) -> Location | None:
        """The file location covering cleaned-text characters [start, end)."""
        found: Location | None = None
        for span in self.spans_within(start, end):
            found = span.location if found is None else found.union(span.location)
        return found


PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Chunk:
    """A piece of a cleaned document, the unit that is embedded and retrieved.

    Invariant: document.text[char_start:char_end] == text.
    """

    chunk_id: str
    doc_id: str
    index: int  # position within its document, from 0
    text: str
    char_start: int
    char_end: int
    location: Location | None
    token_count: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why (said in words a user can act on)."""

    path: str
    reason: str


@dataclass(frozen=True)
class IndexSummary:
    """What one `assistant index` run did; `to_dict()` is its `--json` output."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    chunks_embedded: int = 0
    chunks_total: int = 0
    skipped: tuple[Skipped, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    dry_run: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped"] = [asdict(s) for s in self.skipped]
        data["seconds"] = round(self.seconds, 3)
        return data
