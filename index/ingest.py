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

The stages: index/plan.py (scan, diff, load/clean/chunk what changed), index/write.py (embed in
batches while a writer thread stores them, in the bracketed order above), this module (the run:
lock, fingerprint, snapshot, summary).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from index import snapshot
from index.chunk import CHUNKER_VERSION
from index.clean import CLEANER_VERSION
from index.embed import Embedder
from index.errors import IndexBusyError
from index.files import write_atomically
from index.lexical import LexicalIndex, build_from_store, lexical_folder
from index.ocr import Ocr
from index.plan import UPLOAD, UPLOADS, Plan, hash_all, make_plan, plan_files, prepare, scan_all, uploads_folder
from index.scan import Found
from index.settings import IndexSettings
from index.store import ChunkStore
from index.types import IndexSummary
from index.write import EMBED_TEXT_VERSION, apply_plan, embed_text

__all__ = ["UPLOADS", "add_files", "embed_text", "fingerprint", "last_run", "prepare", "run_index", "uploads_folder"]


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


def _summary(plan: Plan, embedded: int, total: int, started: float, dry_run: bool) -> IndexSummary:
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
        embedded = apply_plan(store, embedder, plan, step)
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
        plan = Plan(uploads={f.doc_id for f in files} if origin == UPLOAD else set())
        plan_files(files, settings, store.manifest(), plan)
        snapshot.forget(settings)
        step = progress(plan.chunk_total()) if progress else (lambda n: None)
        embedded = apply_plan(store, embedder, plan, step)
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
    plan = Plan()
    hashed = hash_all(scan_all(root, settings, plan, known.manifest), settings, plan)
    files = {d: r.content_hash for d, r in known.manifest.items() if not r.parent}  # attachments follow their file
    if {item.doc_id: digest for item, digest in hashed} != files:
        return None
    plan.unchanged = [item.doc_id for item, _ in hashed]
    summary = _summary(plan, 0, known.chunks, started, dry_run=False)
    _save_last_run(settings, summary)
    return summary


def _save_last_run(settings: IndexSettings, summary: IndexSummary) -> None:
    path = settings.home / "last_run.json"
    write_atomically(path, json.dumps(summary.to_dict(), indent=1))


def last_run(settings: IndexSettings) -> dict[str, Any] | None:
    """The summary of the last completed run on this machine, if any."""
    try:
        return json.loads((settings.home / "last_run.json").read_text())
    except (OSError, ValueError):
        return None
