"""Uploaded files: checked (type, size, content), kept under ASSISTANT_HOME/uploads/, then added.

Each chat session uploads into its own folder (`uploads/<session>/<name>`), so two sessions'
`notes.txt` are two documents, and a session's second `notes.txt` replaces its first. Adding
never removes anything: `index.ingest.add_files` writes only these files, whatever folder was
indexed and whoever else shares the store. One upload indexes at a time in this process (and
the index's file lock keeps out other processes).
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from index.embed import Embedder
from index.errors import AssistantError
from index.ingest import UPLOADS, add_files, uploads_folder
from index.load import SNIFF_BYTES, SUPPORTED_SUFFIXES, looks_binary
from index.scan import Found
from index.settings import IndexSettings
from index.store import ChunkStore
from index.types import IndexSummary

MAX_NAME_CHARS = 100  # stored file names are cut to this (suffix kept)
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".eml", ".mbox", ".csv", ".tsv"})
_ZIP = re.compile(b"PK\x03\x04")  # .docx, .xlsx and .pptx are zip files
_JPEG = re.compile(b"\xff\xd8\xff")
_TIFF = re.compile(rb"II\*\x00|MM\x00\*")
# What the first bytes of each binary type must be, and the type in words.
MAGIC = {
    ".pdf": (re.compile(b"%PDF-"), "a PDF"),
    ".docx": (_ZIP, "a Word (.docx) file"),
    ".xlsx": (_ZIP, "an Excel workbook"),
    ".xlsm": (_ZIP, "an Excel workbook"),
    ".pptx": (_ZIP, "a PowerPoint (.pptx) file"),
    ".png": (re.compile(b"\x89PNG\r\n\x1a\n"), "a PNG picture"),
    ".jpg": (_JPEG, "a JPEG picture"),
    ".jpeg": (_JPEG, "a JPEG picture"),
    ".webp": (re.compile(b"RIFF....WEBP", re.DOTALL), "a WebP picture"),
    ".tif": (_TIFF, "a TIFF picture"),
    ".tiff": (_TIFF, "a TIFF picture"),
}
# Office files saved with a password are encrypted into an OLE container instead of a zip.
_ENCRYPTED_OFFICE = b"\xd0\xcf\x11\xe0"
_INDEX_LOCK = threading.Lock()  # process-wide: one index run at a time, whoever uploads

Status = Literal["accepted", "rejected", "skipped"]


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one uploaded file, and why."""

    name: str
    status: Status
    reason: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class UploadReport:
    """The outcome of one upload: per file, plus the index run's summary or error."""

    files: tuple[FileOutcome, ...]
    summary: IndexSummary | None = None
    error: str = ""

    @property
    def accepted(self) -> list[str]:
        return [f.name for f in self.files if f.status == "accepted"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "error": self.error,
            "summary": self.summary.to_dict() if self.summary else None,
        }


def safe_name(name: str) -> str:
    """A plain file name for an uploaded one: no folders, no leading dot, only safe characters.

    '../../etc/passwd.txt' -> 'passwd.txt'; 'C:\\x\\Report (v2).pdf' -> 'Report_v2_.pdf'.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-")[: MAX_NAME_CHARS - 12] or "upload"
    suffix = re.sub(r"[^A-Za-z0-9]+", "", suffix)[:10].lower()
    return f"{stem}.{suffix}" if suffix else stem


def check_file(path: Path, name: str, max_bytes: int) -> str | None:
    """Why `path` (uploaded as `name`) cannot be indexed, or None when it passes the checks."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return f"unsupported file type {suffix or '(none)'}; supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        return f"cannot read the upload: {exc.strerror or exc}"
    if size > max_bytes:
        return f"too large ({size / 2**20:.1f} MB > {max_bytes / 2**20:g} MB limit, ASSISTANT_MAX_FILE_MB)"
    if not head.strip():
        return "empty file"
    if suffix in TEXT_SUFFIXES and looks_binary(head):
        return f"not text: binary content in a {suffix} file"
    magic = MAGIC.get(suffix)
    if magic and magic[0] is _ZIP and head.startswith(_ENCRYPTED_OFFICE):
        return "password-protected (encrypted) file: remove the password, save it, then upload it again"
    if magic and not magic[0].match(head):
        return f"not {magic[1]}: the content does not match the {suffix} name"
    return None


def _store(source: Path, target: Path) -> bool:
    """Copy `source` to `target` atomically; False when `target` already has the same bytes."""
    data = source.read_bytes()
    if target.exists() and target.read_bytes() == data:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")  # hidden: a concurrent scan skips it
    partial.write_bytes(data)
    os.replace(partial, target)
    return True


def store_uploads(
    files: Sequence[tuple[Path, str]], folder: Path, session: str, max_bytes: int
) -> tuple[list[FileOutcome], dict[str, Found]]:
    """Check and store (path, original name) pairs in `folder`/`session`; returns the outcomes
    of the files that failed or were unchanged, and {original name: stored file} for the others."""
    outcomes: list[FileOutcome] = []
    stored: dict[str, Found] = {}
    seen: set[str] = set()
    for path, original in files:
        name = safe_name(original)
        reason = check_file(path, name, max_bytes)
        if reason is None and name in seen:
            reason = f"another file in this upload is also called {name}"
        seen.add(name)
        doc_id = f"{UPLOADS}/{session}/{name}"
        target = folder / session / name
        if reason:
            outcomes.append(FileOutcome(original, "rejected", reason))
        elif not _store(path, target):
            outcomes.append(FileOutcome(original, "skipped", f"already uploaded as {doc_id}, unchanged"))
        else:
            stored[original] = Found(target, doc_id, target.stat().st_size)
    return outcomes, stored


def session_folder_name(session: str) -> str:
    """A session id as a folder name (letters, digits, '-', '_'); never empty."""
    return re.sub(r"[^A-Za-z0-9_-]+", "", session)[:32] or "anonymous"


def add_documents(
    files: Sequence[tuple[Path, str]],
    session: str,
    settings: IndexSettings,
    embedder: Embedder,
    *,
    store: ChunkStore | None = None,
    progress: Callable[[int], Callable[[int], Any]] | None = None,
) -> UploadReport:
    """Check, keep and index uploaded files for chat session `session`; never raises for a bad
    file or a failed run, and never removes another document from the index.

    `files` are (temporary path, name the user gave it). Uploads are serialised: a second
    call waits for the first one's index run.
    """
    max_bytes = int(settings.max_file_mb * 2**20)
    with _INDEX_LOCK:
        folder = uploads_folder(settings) / session_folder_name(session)
        outcomes, stored = store_uploads(files, folder.parent, folder.name, max_bytes)
        kept = _kept(files, outcomes, folder)
        if not stored and not kept:
            return UploadReport(tuple(outcomes))
        try:
            found = [*stored.values(), *kept.values()]
            summary = add_files(found, settings, embedder, store=store, progress=progress)
        except AssistantError as exc:
            _remove(stored)
            failed = [FileOutcome(name, "rejected", f"not indexed: {exc}") for name in stored]
            return UploadReport(tuple(outcomes + failed), error=str(exc))
        return _report(_finished(outcomes, kept, summary), stored, summary)


def _kept(files: Sequence[tuple[Path, str]], outcomes: list[FileOutcome], folder: Path) -> dict[str, Found]:
    """Files uploaded before with the same bytes: indexed again only if that indexing was cut
    short (add_files finds them settled otherwise), so a retried upload finishes the job."""
    unchanged = {o.name for o in outcomes if o.status == "skipped"}
    kept = {}
    for _, original in files:
        target = folder / safe_name(original)
        if original in unchanged and target.is_file():
            kept[original] = Found(target, f"{UPLOADS}/{folder.name}/{target.name}", target.stat().st_size)
    return kept


def _finished(outcomes: list[FileOutcome], kept: dict[str, Found], summary: IndexSummary) -> list[FileOutcome]:
    """The outcomes, with kept files that were indexed now said to be so."""
    written = set(summary.added) | set(summary.changed)
    redone = {name: found.doc_id for name, found in kept.items() if found.doc_id in written}
    finished = "indexed as {} (its last indexing was cut short); searchable now"
    return [
        FileOutcome(o.name, "accepted", finished.format(redone[o.name])) if o.name in redone else o for o in outcomes
    ]


def _report(outcomes: list[FileOutcome], stored: dict[str, Found], summary: IndexSummary) -> UploadReport:
    skipped = {s.path: s.reason for s in summary.skipped}
    written = set(summary.added) | set(summary.changed)
    for original, found in stored.items():
        doc_id = found.doc_id
        if doc_id in skipped:
            _remove({original: found})  # it would only be skipped again by every run
            outcomes.append(FileOutcome(original, "rejected", skipped[doc_id]))
        elif doc_id in written:
            verb = "replaced and re-indexed" if doc_id in summary.changed else "indexed"
            outcomes.append(FileOutcome(original, "accepted", f"{verb} as {doc_id}; searchable now"))
        else:
            outcomes.append(FileOutcome(original, "skipped", f"{doc_id} is already indexed with the same content"))
    return UploadReport(tuple(outcomes), summary=summary)


def _remove(stored: dict[str, Found]) -> None:
    for found in stored.values():
        found.path.unlink(missing_ok=True)
