"""One indexing run: scan -> diff against the manifest -> load/clean/chunk -> embed -> store.

Two ways in. `run_index(root)` mirrors a folder: new and changed files are written, files gone
from it are removed. `add_files` (the chat window's uploads) only adds or replaces the files it
is given and removes nothing. Uploaded files are kept under ASSISTANT_HOME/uploads/<collection>
with ids `uploads/...` and origin "upload": a folder run indexes them too (so `--rebuild` keeps
them) and never removes an upload, also one added from another machine sharing a Chroma server.

Crash safety: every document change is bracketed in the manifest. Before writing,
its record gets `pending=<new hash>`; chunks are upserted under ids derived from
(doc id, content hash, position); stale chunks are deleted; then the record is
committed. A run killed at any point leaves records with `pending` set, and the
next run redoes exactly those documents (reusing chunks that were already
written), so the store converges to one copy of each current chunk.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from index import snapshot
from index.chunk import CHUNKER_VERSION, chunk_document
from index.clean import CLEANER_VERSION, clean
from index.embed import Embedder
from index.errors import DocumentError, IndexBusyError
from index.lexical import LexicalIndex, build_from_store, lexical_folder
from index.load import load_documents
from index.ocr import Ocr
from index.scan import Found, scan
from index.settings import IndexSettings
from index.store import ChunkStore, DocRecord
from index.types import Chunk, CleanDocument, IndexSummary, Skipped

EMBED_TEXT_VERSION = "title+text/1"  # what is embedded for a chunk; see embed_text()
REMOVED = "<removed>"
UPLOAD = "upload"  # DocRecord.origin of an uploaded file
UPLOADS = "uploads"  # doc id prefix of uploads, and their folder under ASSISTANT_HOME
EMBED_BATCH = 32  # chunks per embedding call; also the progress bar's step
TITLE_CHARS = 120

Progress = Callable[[int], None]


def embed_text(title: str, text: str) -> str:
    """The document title gives a short chunk its topic ("who said it?" chunks)."""
    return f"{title}\n\n{text}" if title else text


def fingerprint(settings: IndexSettings, embedder: Embedder) -> dict[str, Any]:
    """Everything that shapes the vectors; stored with the collection."""
    return {
        "embed_model": embedder.name,
        "embedder": embedder.fingerprint(),
        "dim": embedder.dim,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap": settings.chunk_overlap,
        "cleaner": CLEANER_VERSION,
        "chunker": CHUNKER_VERSION,
        "embed_text": EMBED_TEXT_VERSION,
    }


@dataclass
class _Plan:
    """What a run will do, worked out before anything is written."""

    # Documents to write, in order: each file's attachments before the file (see _apply).
    writes: list[tuple[CleanDocument, list[Chunk]]] = field(default_factory=list)
    new: list[str] = field(default_factory=list)  # ids of `writes` not indexed before
    changed: list[str] = field(default_factory=list)
    removed: list[DocRecord] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    uploads: set[str] = field(default_factory=set)  # doc ids written with origin "upload"
    # Attachments a changed file no longer has: removed before it is written (see _apply).
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


def _hash_all(found: list[Found], settings: IndexSettings, plan: _Plan) -> list[tuple[Found, str]]:
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


def _scan_all(root: Path, settings: IndexSettings, plan: _Plan, manifest: dict[str, DocRecord]) -> list[Found]:
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


def _plan_files(
    found: Sequence[Found], settings: IndexSettings, manifest: dict[str, DocRecord], plan: _Plan, ocr: Ocr | None = None
) -> set[str]:
    """Sort `found` into unchanged, new and changed (loading and chunking only those); returns
    the ids that stay in the index, attachments included. Attachments that a changed file no
    longer has go to `plan.orphans`."""
    keep: set[str] = set()
    ocr = ocr or Ocr.from_settings(settings)
    children_of = _children(manifest)
    for item, digest in _hash_all(list(found), settings, plan):
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


def make_plan(root: Path, settings: IndexSettings, manifest: dict[str, DocRecord], ocr: Ocr | None = None) -> _Plan:
    """Diff the folder (and the local uploads) against the manifest; load and chunk only what
    changed. Documents gone from the folder are removed; uploads never are."""
    plan = _Plan()
    keep = _plan_files(_scan_all(root, settings, plan, manifest), settings, manifest, plan, ocr)
    orphans = {r.doc_id for r in plan.orphans}
    plan.removed = [r for doc_id, r in sorted(manifest.items()) if doc_id not in keep | orphans and r.origin != UPLOAD]
    return plan


def chunk_metadata(doc: CleanDocument, chunk: Chunk) -> dict[str, Any]:
    """The metadata stored with a chunk in Chroma (document, offsets, location, paragraph map)."""
    loc = chunk.location
    return {
        "doc_id": doc.doc_id,
        "content_hash": doc.content_hash,
        "title": doc.title,
        "kind": doc.kind,
        "chunk_index": chunk.index,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "loc_kind": loc.kind if loc else "",
        "loc_start": loc.start if loc else 0,
        "loc_end": loc.end if loc else 0,
        "loc_detail": loc.detail if loc else "",
        "token_count": chunk.token_count,
        **_block_map(doc, chunk),
    }


def _block_map(doc: CleanDocument, chunk: Chunk) -> dict[str, list[int]]:
    """Where each paragraph of the chunk sits in the file, so a single sentence can be located.

    Per paragraph, clipped to the chunk: its start offset in the document, its first and
    last line (or page), and `exact`=1 when its line breaks are the file's own (a sentence's
    line can then be counted); HTML paragraphs span source lines their text does not mirror.
    """
    starts, firsts, lasts, exacts = [], [], [], []
    for span in doc.spans_within(chunk.char_start, chunk.char_end):
        loc = span.location
        exact = loc.kind == "lines" and doc.text.count("\n", span.start, span.end) == loc.end - loc.start
        start = max(span.start, chunk.char_start)
        first = loc.start + doc.text.count("\n", span.start, start) if exact else loc.start
        starts.append(start)
        firsts.append(first)
        lasts.append(loc.end)
        exacts.append(int(exact))
    return {"block_starts": starts, "block_loc_starts": firsts, "block_loc_ends": lasts, "block_exact": exacts}


def _write_doc(
    store: ChunkStore,
    embedder: Embedder,
    doc: CleanDocument,
    chunks: list[Chunk],
    old: DocRecord | None,
    progress: Progress,
    origin: str = "",
) -> int:
    """Bracketed write of one document; returns how many chunks were embedded."""
    previous = old.content_hash if old else ""
    store.put_record(
        DocRecord(doc.doc_id, previous, doc.content_hash, doc.title, doc.kind, origin=origin, parent=doc.parent)
    )
    present = store.existing_ids([c.chunk_id for c in chunks])
    todo = [c for c in chunks if c.chunk_id not in present]
    progress(len(chunks) - len(todo))
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start : start + EMBED_BATCH]
        vectors = embedder.embed_documents([embed_text(doc.title, c.text) for c in batch])
        metas = [chunk_metadata(doc, c) for c in batch]
        store.upsert([c.chunk_id for c in batch], vectors, [c.text for c in batch], metas)
        progress(len(batch))
    store.delete_chunks(doc.doc_id, keep_hash=doc.content_hash)
    store.put_record(DocRecord(doc.doc_id, doc.content_hash, "", doc.title, doc.kind, len(chunks), origin, doc.parent))
    return len(todo)


def _remove_doc(store: ChunkStore, record: DocRecord) -> None:
    store.put_record(replace(record, pending=REMOVED))
    store.delete_chunks(record.doc_id)
    store.delete_record(record.doc_id)


@contextmanager
def write_lock(settings: IndexSettings) -> Iterator[None]:
    """One writer at a time; a second one waits `lock_timeout` seconds, then gives up."""
    from filelock import FileLock, Timeout

    settings.home.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.home / "index.lock"))
    try:
        lock.acquire(timeout=settings.lock_timeout)
    except Timeout as exc:
        raise IndexBusyError(
            f"another `assistant index` is writing the index at {settings.home} "
            f"(waited {settings.lock_timeout:g} s); let it finish, then run this again"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def _refresh_lexical(store: ChunkStore, wrote: bool) -> LexicalIndex:
    """Rebuild BM25 when the content changed or the cache does not match the store."""
    if wrote or not store.generation():
        return build_from_store(store, store.bump_generation())
    cached = LexicalIndex.load(lexical_folder(store))
    if cached is not None and cached.generation == store.generation():
        return cached
    return build_from_store(store)


def _summary(plan: _Plan, embedded: int, total: int, started: float, dry_run: bool) -> IndexSummary:
    return IndexSummary(
        added=tuple(plan.new),
        changed=tuple(plan.changed),
        removed=tuple(r.doc_id for r in plan.orphans + plan.removed),
        unchanged=tuple(plan.unchanged),
        chunks_embedded=embedded,
        chunks_total=total,
        skipped=tuple(plan.skipped),
        warnings=tuple(plan.warnings),
        seconds=time.perf_counter() - started,
        dry_run=dry_run,
    )


def run_index(
    root: Path,
    settings: IndexSettings,
    embedder: Embedder,
    *,
    store: ChunkStore | None = None,
    dry_run: bool = False,
    rebuild: bool = False,
    progress: Callable[[int], Any] | None = None,
    ocr: Ocr | None = None,
) -> IndexSummary:
    """Bring the index in line with the files under `root`; return what was done.

    Raises ConfigError (bad root), IndexMismatchError (built with other settings:
    use rebuild=True), IndexBusyError (another writer), StoreError (Chroma failed).
    `progress(total)` is called once with the number of chunks to write and returns
    a callable that is given increments. `ocr` reads scans and pictures (default: Tesseract,
    cached under the index's home; index/ocr.py).
    """
    started = time.perf_counter()
    with write_lock(settings):
        wanted = fingerprint(settings, embedder)
        if store is None and not (dry_run or rebuild):
            unchanged = _unchanged_by_snapshot(root, settings, wanted, started)
            if unchanged is not None:
                return unchanged
        store = store or ChunkStore.open(settings)
        if rebuild and not dry_run:
            store.drop()
        store.check_fingerprint(wanted, claim=not dry_run)
        plan = make_plan(root, settings, {} if rebuild else store.manifest(), ocr)
        if dry_run:
            return _summary(plan, 0, store.count() if store.exists() else 0, started, dry_run=True)
        snapshot.forget(settings)  # from here the store may change; a crash must not leave a stale one
        step = progress(plan.chunk_total()) if progress else (lambda n: None)
        embedded = _apply(store, embedder, plan, step)
        _refresh_lexical(store, wrote=bool(plan.writes or plan.removed))
        summary = _summary(plan, embedded, store.count(), started, dry_run=False)
        snapshot.save(settings, wanted, store.manifest(), summary.chunks_total)
    _save_last_run(settings, summary)
    return summary


def add_files(
    files: Sequence[Found],
    settings: IndexSettings,
    embedder: Embedder,
    *,
    store: ChunkStore | None = None,
    origin: str = UPLOAD,
    progress: Callable[[int], Any] | None = None,
) -> IndexSummary:
    """Add (or replace) exactly these files; nothing else in the index is touched or removed.

    Same crash safety, lock and errors as `run_index`; a file that cannot be read is in
    `summary.skipped` with its reason.
    """
    started = time.perf_counter()
    with write_lock(settings):
        store = store or ChunkStore.open(settings)
        wanted = fingerprint(settings, embedder)
        store.check_fingerprint(wanted, claim=True)
        plan = _Plan(uploads={f.doc_id for f in files} if origin == UPLOAD else set())
        _plan_files(files, settings, store.manifest(), plan)
        snapshot.forget(settings)
        step = progress(plan.chunk_total()) if progress else (lambda n: None)
        embedded = _apply(store, embedder, plan, step)
        _refresh_lexical(store, wrote=bool(plan.writes))
        summary = _summary(plan, embedded, store.count(), started, dry_run=False)
        snapshot.save(settings, wanted, store.manifest(), summary.chunks_total)
    return summary


def _unchanged_by_snapshot(
    root: Path, settings: IndexSettings, wanted: dict[str, Any], started: float
) -> IndexSummary | None:
    """The summary of a run with nothing to do, decided from the local snapshot without opening
    the store (index/snapshot.py); None when anything differs or there is no valid snapshot."""
    known = snapshot.load(settings, wanted)
    if known is None or any(r.pending for r in known.manifest.values()):
        return None
    plan = _Plan()
    hashed = _hash_all(_scan_all(root, settings, plan, known.manifest), settings, plan)
    files = {d: r.content_hash for d, r in known.manifest.items() if not r.parent}  # attachments follow their file
    if {item.doc_id: digest for item, digest in hashed} != files:
        return None
    plan.unchanged = [item.doc_id for item, _ in hashed]
    summary = _summary(plan, 0, known.chunks, started, dry_run=False)
    _save_last_run(settings, summary)
    return summary


def _apply(store: ChunkStore, embedder: Embedder, plan: _Plan, step: Progress) -> int:
    """Write the plan. A file's dropped attachments go first and its own document last (after
    its attachments, as `prepare` orders them), so a file whose record is committed has all of
    its attachments settled: a crash anywhere before that leaves the file to be redone."""
    manifest = store.manifest()
    embedded = 0
    for record in plan.orphans:
        _remove_doc(store, record)
    for doc, chunks in plan.writes:  # writes first: a renamed file's old copy goes after
        origin = UPLOAD if (doc.parent or doc.doc_id) in plan.uploads else ""
        embedded += _write_doc(store, embedder, doc, chunks, manifest.get(doc.doc_id), step, origin)
    for record in plan.removed:
        _remove_doc(store, record)
    return embedded


def _save_last_run(settings: IndexSettings, summary: IndexSummary) -> None:
    path = settings.home / "last_run.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(summary.to_dict(), indent=1))
    tmp.replace(path)


def last_run(settings: IndexSettings) -> dict[str, Any] | None:
    """The summary of the last completed run on this machine, if any."""
    try:
        return json.loads((settings.home / "last_run.json").read_text())
    except (OSError, ValueError):
        return None
