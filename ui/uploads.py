"""Uploaded files: checked (type, size, content), stored under CORPUS/uploads/, then indexed.

They are stored inside the corpus folder so that a later `assistant index CORPUS` keeps them
(an index run deletes every document missing from its folder). Indexing runs the ordinary
incremental `run_index` on the whole corpus folder, one run at a time in this process (and
the index's file lock keeps out other processes).
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from index.embed import Embedder
from index.errors import AssistantError
from index.ingest import run_index
from index.load import SNIFF_BYTES, SUPPORTED_SUFFIXES, looks_binary
from index.settings import IndexSettings
from index.store import ChunkStore
from index.types import IndexSummary

UPLOADS = "uploads"  # subfolder of the corpus
MAX_NAME_CHARS = 100  # stored file names are cut to this (suffix kept)
TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm"})
MAGIC = {".pdf": (b"%PDF-", "a PDF"), ".docx": (b"PK\x03\x04", "a Word (.docx) file")}
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
    others: tuple[FileOutcome, ...] = field(default=())  # other corpus files the run skipped

    @property
    def accepted(self) -> list[str]:
        return [f.name for f in self.files if f.status == "accepted"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files + self.others],
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
    if magic and not head.startswith(magic[0]):
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
    files: Sequence[tuple[Path, str]], corpus: Path, max_bytes: int
) -> tuple[list[FileOutcome], dict[str, str]]:
    """Check and store (path, original name) pairs; returns the outcomes of the files that
    failed or were unchanged, and {doc id: stored name} for the ones written."""
    outcomes: list[FileOutcome] = []
    stored: dict[str, str] = {}
    seen: set[str] = set()
    for path, original in files:
        name = safe_name(original)
        reason = check_file(path, name, max_bytes)
        if reason is None and name in seen:
            reason = f"another file in this upload is also called {name}"
        seen.add(name)
        if reason:
            outcomes.append(FileOutcome(original, "rejected", reason))
        elif not _store(path, corpus / UPLOADS / name):
            outcomes.append(FileOutcome(original, "skipped", f"already uploaded as {UPLOADS}/{name}, unchanged"))
        else:
            stored[f"{UPLOADS}/{name}"] = original
    return outcomes, stored


def add_documents(
    files: Sequence[tuple[Path, str]],
    corpus: Path,
    settings: IndexSettings,
    embedder: Embedder,
    *,
    store: ChunkStore | None = None,
    progress: Callable[[int], Callable[[int], Any]] | None = None,
) -> UploadReport:
    """Check, store and index uploaded files; never raises for a bad file or a failed run.

    `files` are (temporary path, name the user gave it). Uploads are serialised: a second
    call waits for the first one's index run.
    """
    max_bytes = int(settings.max_file_mb * 2**20)
    with _INDEX_LOCK:
        outcomes, stored = store_uploads(files, corpus, max_bytes)
        if not stored:
            return UploadReport(tuple(outcomes))
        try:
            summary = run_index(corpus, settings, embedder, store=store, progress=progress)
        except AssistantError as exc:
            _remove(corpus, stored)
            failed = [FileOutcome(name, "rejected", f"not indexed: {exc}") for name in stored.values()]
            return UploadReport(tuple(outcomes + failed), error=str(exc))
        return _report(corpus, outcomes, stored, summary)


def _report(corpus: Path, outcomes: list[FileOutcome], stored: dict[str, str], summary: IndexSummary) -> UploadReport:
    skipped = {s.path: s.reason for s in summary.skipped}
    written = set(summary.added) | set(summary.changed)
    for doc_id, original in stored.items():
        if doc_id in skipped:
            _remove(corpus, {doc_id: original})  # it would only be skipped again by every run
            outcomes.append(FileOutcome(original, "rejected", skipped[doc_id]))
        elif doc_id in written:
            verb = "replaced and re-indexed" if doc_id in summary.changed else "indexed"
            outcomes.append(FileOutcome(original, "accepted", f"{verb} as {doc_id}; searchable now"))
        else:
            outcomes.append(FileOutcome(original, "skipped", f"{doc_id} is already indexed with the same content"))
    others = tuple(FileOutcome(path, "skipped", reason) for path, reason in skipped.items() if path not in stored)
    return UploadReport(tuple(outcomes), summary=summary, others=others)


def _remove(corpus: Path, stored: dict[str, str]) -> None:
    for doc_id in stored:
        (corpus / doc_id).unlink(missing_ok=True)
