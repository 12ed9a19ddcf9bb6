"""Planning an indexing run: scan the folder (and the uploads), diff it against the manifest, and
load, clean and chunk only the files that changed. Nothing is written here (index/write.py does)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.chunk import chunk_document
from index.clean import clean
from index.errors import DocumentError
from index.load import load_documents
from index.ocr import Ocr
from index.scan import Found, scan
from index.settings import IndexSettings
from index.store import DocRecord
from index.types import Chunk, CleanDocument, Skipped

UPLOAD = "upload"  # DocRecord.origin of an uploaded file
UPLOADS = "uploads"  # doc id prefix of uploads, and their folder under ASSISTANT_HOME
TITLE_CHARS = 120


@dataclass
class Plan:
    """What a run will do, worked out before anything is written."""

    # Documents to write, in order: each file's attachments before the file (see index/write.py).
    writes: list[tuple[CleanDocument, list[Chunk]]] = field(default_factory=list)
    new: list[str] = field(default_factory=list)  # ids of `writes` not indexed before
    changed: list[str] = field(default_factory=list)
    removed: list[DocRecord] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    uploads: set[str] = field(default_factory=set)  # doc ids written with origin "upload"
    # Attachments a changed file no longer has: removed before it is written (see index/write.py).
    orphans: list[DocRecord] = field(default_factory=list)

    def chunk_total(self) -> int:
        return sum(len(chunks) for _, chunks in self.writes)


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _title(doc: CleanDocument) -> str:
    """The loader's title unless cleaning removed it (a furniture first line)."""
    if doc.title and doc.title in doc.text:
        return doc.title
    first_line = doc.text.strip().split("\n", 1)[0]
    return first_line[:TITLE_CHARS].rsplit(" ", 1)[0] if len(first_line) > TITLE_CHARS else first_line


def prepare(found: Found, settings: IndexSettings, ocr: Ocr | None = None) -> list[tuple[CleanDocument, list[Chunk]]]:
    """Load, clean and chunk one file and the documents inside it (an e-mail's attachments).

    The attachments come first and the file's own document last: written in this order, a
    committed file record means its attachments are committed too (see `_apply`). An
    attachment with nothing left after cleaning is dropped with a warning on the file.
    Raises DocumentError when the file itself leaves nothing usable.
    """
    own, *inside = load_documents(found.path, found.doc_id, max_bytes=_max_bytes(settings), ocr=ocr)
    prepared, notes = [], []
    for raw in inside:
        doc = clean(raw)
        if doc.text.strip():
            prepared.append(_chunked(doc, settings))
        else:
            notes.append(f"{raw.doc_id} not indexed: nothing left after cleaning")
    doc = clean(own)
    if not doc.text.strip():
        raise DocumentError("nothing left after cleaning (only boilerplate or markup?)")
    prepared.append(_chunked(replace(doc, warnings=doc.warnings + tuple(notes)), settings))
    return prepared


def _max_bytes(settings: IndexSettings) -> int:
    return int(settings.max_file_mb * 1024 * 1024)


def _chunked(doc: CleanDocument, settings: IndexSettings) -> tuple[CleanDocument, list[Chunk]]:
    doc = replace(doc, title=_title(doc))
    return doc, chunk_document(doc, settings.chunk_tokens, settings.chunk_overlap)


def hash_all(found: list[Found], settings: IndexSettings, plan: Plan) -> list[tuple[Found, str]]:
    """Content hashes of readable files within the size limit; duplicates skipped."""
    limit = settings.max_file_mb * 1024 * 1024
    hashed: list[tuple[Found, str]] = []
    first_with: dict[str, str] = {}
    for item in found:
        if item.size > limit:
            size_mb, limit_mb = item.size / 2**20, settings.max_file_mb
            plan.skipped.append(
                Skipped(
                    item.doc_id,
                    f"too large ({size_mb:.1f} MB > {limit_mb:g} MB; raise ASSISTANT_MAX_FILE_MB to index it)",
                )
            )
            continue
        try:
            digest = _file_hash(item.path)
        except OSError as exc:
            plan.skipped.append(Skipped(item.doc_id, f"cannot read: {exc.strerror or exc}"))
            continue
        if digest in first_with:
            plan.skipped.append(Skipped(item.doc_id, f"duplicate of {first_with[digest]} (same content, indexed once)"))
            continue
        first_with[digest] = item.doc_id
        hashed.append((item, digest))
    return hashed


def uploads_folder(settings: IndexSettings) -> Path:
    """Where uploaded files are kept: one folder per collection under ASSISTANT_HOME."""
    return settings.home / UPLOADS / settings.collection


def scan_uploads(settings: IndexSettings) -> tuple[list[Found], list[Skipped]]:
    """The uploaded files kept on this machine, with their `uploads/...` ids."""
    folder = uploads_folder(settings)
    if not folder.is_dir():
        return [], []
    found, skipped = scan(folder)
    return (
        [replace(f, doc_id=f"{UPLOADS}/{f.doc_id}") for f in found],
        [Skipped(f"{UPLOADS}/{s.path}", s.reason) for s in skipped],
    )


def scan_all(root: Path, settings: IndexSettings, plan: Plan, manifest: dict[str, DocRecord]) -> list[Found]:
    """The folder's files and the local uploads; a folder file whose id is an upload's is skipped."""
    found, plan.skipped = scan(root)
    uploads, skipped = scan_uploads(settings)
    plan.skipped += skipped
    plan.uploads = {f.doc_id for f in uploads} | {d for d, r in manifest.items() if r.origin == UPLOAD}
    mine = []
    for item in found:
        if item.doc_id in plan.uploads:
            plan.skipped.append(Skipped(item.doc_id, "an uploaded document has the same id; rename the file"))
        else:
            mine.append(item)
    return mine + uploads


def _children(manifest: dict[str, DocRecord]) -> dict[str, set[str]]:
    """{file id: ids of the indexed documents that came out of it (its e-mail attachments)}."""
    found: dict[str, set[str]] = {}
    for record in manifest.values():
        if record.parent:
            found.setdefault(record.parent, set()).add(record.doc_id)
    return found


def _settled(manifest: dict[str, DocRecord], item: Found, digest: str, children: set[str]) -> bool:
    """True when the file is indexed with this content and no write to it (or its attachments)
    was left half done."""
    record = manifest.get(item.doc_id)
    if not record or record.content_hash != digest or record.pending:
        return False
    return not any(manifest[child].pending for child in children)


def plan_files(
    found: Sequence[Found], settings: IndexSettings, manifest: dict[str, DocRecord], plan: Plan, ocr: Ocr | None = None
) -> set[str]:
    """Sort `found` into unchanged, new and changed (loading and chunking only those); returns
    the ids that stay in the index, attachments included. Attachments that a changed file no
    longer has go to `plan.orphans`."""
    keep: set[str] = set()
    ocr = ocr or Ocr.from_settings(settings)
    children_of = _children(manifest)
    for item, digest in hash_all(list(found), settings, plan):
        children = children_of.get(item.doc_id, set())
        if _settled(manifest, item, digest, children):
            plan.unchanged.append(item.doc_id)
            keep |= {item.doc_id, *children}
            continue
        try:
            prepared = prepare(item, settings, ocr)
        except DocumentError as exc:
            plan.skipped.append(Skipped(item.doc_id, str(exc)))
            continue
        for doc, chunks in prepared:
            plan.warnings.extend(f"{doc.doc_id}: {w}" for w in doc.warnings)
            (plan.changed if doc.doc_id in manifest else plan.new).append(doc.doc_id)
            plan.writes.append((doc, chunks))
            keep.add(doc.doc_id)
        plan.orphans += [manifest[child] for child in sorted(children - keep)]
    plan.warnings += ocr.warnings()
    return keep


def make_plan(root: Path, settings: IndexSettings, manifest: dict[str, DocRecord], ocr: Ocr | None = None) -> Plan:
    """Diff the folder (and the local uploads) against the manifest; load and chunk only what
    changed. Documents gone from the folder are removed; uploads never are."""
    plan = Plan()
    keep = plan_files(scan_all(root, settings, plan, manifest), settings, manifest, plan, ocr)
    orphans = {r.doc_id for r in plan.orphans}
    plan.removed = [r for doc_id, r in sorted(manifest.items()) if doc_id not in keep | orphans and r.origin != UPLOAD]
    return plan
