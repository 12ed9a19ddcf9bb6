"""The frozen types that flow through indexing: load -> clean -> chunk -> store."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

LocationKind = Literal["lines", "pages", "paragraphs"]


@dataclass(frozen=True)
class Location:
    """Where a piece of text sits in the original file (1-based, inclusive).

    `lines` for text, Markdown and HTML files, `pages` for PDFs, `paragraphs`
    for Word files (which have neither lines nor pages until rendered).
    """

    kind: LocationKind
    start: int
    end: int

    def label(self) -> str:
        """Human form: "lines 3-7", "page 2", "paragraphs 4-5"."""
        singular = {"lines": "line", "pages": "page", "paragraphs": "paragraph"}[self.kind]
        if self.start == self.end:
            return f"{singular} {self.start}"
        return f"{self.kind} {self.start}-{self.end}"

    def union(self, other: Location) -> Location:
        """The smallest location covering both (same kind)."""
        if other.kind != self.kind:
            raise ValueError(f"cannot join {self.kind} with {other.kind}")
        return Location(self.kind, min(self.start, other.start), max(self.end, other.end))


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
    kind: str  # "text", "markdown", "html", "pdf", "docx"
    title: str
    blocks: tuple[Block, ...]
    content_hash: str  # sha256 of the file's bytes
    encoding: str | None = None  # how text files were decoded; None for binary formats
    removed: tuple[Removal, ...] = ()  # what the loader itself dropped (HTML furniture)
    warnings: tuple[str, ...] = ()  # e.g. "decoded as cp1252"


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

    def locate(self, start: int, end: int) -> Location | None:
        """The file location covering cleaned-text characters [start, end)."""
        found: Location | None = None
        for span in self.spans:
            if span.end <= start or span.start >= end:
                continue
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
