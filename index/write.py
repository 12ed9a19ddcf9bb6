"""Writing a plan into the store: embedding in full batches while a writer thread stores them.

Two stages run side by side. This thread embeds the chunks of consecutive documents in batches
of EMBED_BATCH (a document's few chunks no longer make a small batch of their own); one writer
thread performs every store operation, in the order they were queued. Per batch: the pending
records of its documents, its chunks, the deletion of their stale chunks, their committed
records. Every document's chunks are in one batch, so each document still sees the bracketed
order of index/ingest.py (pending, chunks, stale chunks gone, committed) and its crash safety
holds unchanged. Records are written a batch at a time because a Chroma write costs ~7 ms of CPU
however few rows it holds, and a document the manifest has never held has neither chunks to
reuse nor stale chunks to delete, so it costs no lookup (together ~5 min of CPU on a 17k-document
folder; a 2,024-chunk folder indexed 1.3x faster without them, docs/benchmarks.md). Embedding
(onnxruntime, which releases the GIL) overlaps Chroma's writes. The queue is bounded: memory stays
flat.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from index.embed import Embedder
from index.plan import UPLOAD, Plan
from index.store import ChunkStore, DocRecord
from index.types import Chunk, CleanDocument

EMBED_TEXT_VERSION = "title+text/1"  # what is embedded for a chunk; see embed_text()
EMBED_BATCH = 64  # chunks per embedding call: the embedder sorts them by length, so little padding
QUEUED_BATCHES = 4  # store operations waiting for the writer, at most (~64 chunks each)
REMOVED = "<removed>"

Progress = Callable[[int], None]
_Operation = Callable[[], Any]


def embed_text(title: str, text: str) -> str:
    """The document title gives a short chunk its topic ("who said it?" chunks)."""
    return f"{title}\n\n{text}" if title else text


def chunk_metadata(doc: CleanDocument, chunk: Chunk) -> dict[str, Any]:
    """What the store keeps beside a chunk's text: its document, position and paragraph map."""
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


class _Writer:
    """One thread running queued store operations in order; the first failure stops it and is
    raised to the embedding thread at its next `put` or at `close`."""

    def __init__(self) -> None:
        self._queue: queue.Queue[_Operation | None] = queue.Queue(maxsize=QUEUED_BATCHES * 4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="index-writer", daemon=True)
        self._thread.start()

    def put(self, operation: _Operation) -> None:
        self._raise_if_failed()
        self._queue.put(operation)

    def close(self) -> None:
        """Wait for every queued operation; re-raise the writer's failure, if any."""
        self._queue.put(None)
        self._thread.join()
        self._raise_if_failed()

    def _run(self) -> None:
        while (operation := self._queue.get()) is not None:
            if self._error is None:  # after a failure, drain without writing
                try:
                    operation()
                except BaseException as exc:  # handed to the other thread, raised there
                    self._error = exc

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error


@dataclass
class _Batch:
    """Chunks waiting to be embedded, and the records of the documents whose chunks are all in it."""

    rows: list[tuple[CleanDocument, Chunk]] = field(default_factory=list)
    pending: list[DocRecord] = field(default_factory=list)  # written before the chunks
    committed: list[DocRecord] = field(default_factory=list)  # written after them
    stale: list[str] = field(default_factory=list)  # doc ids that may hold chunks of an older hash


def apply_plan(store: ChunkStore, embedder: Embedder, plan: Plan, progress: Progress) -> int:
    """Write the plan; returns how many chunks were embedded.

    A file's dropped attachments go first and its own document last (after its attachments, as
    `prepare` orders them), so a file whose record is committed has all of its attachments
    settled: a crash anywhere before that leaves the file to be redone. Removed files go after
    the writes (a renamed file's old copy goes last). `progress` is called by the writer thread.
    """
    manifest = store.manifest()
    writer = _Writer()
    try:
        for record in plan.orphans:
            writer.put(partial(remove_doc, store, record))
        embedded = _write_all(store, embedder, plan, manifest, writer, progress)
        for record in plan.removed:
            writer.put(partial(remove_doc, store, record))
    finally:
        writer.close()
    return embedded


def _write_all(
    store: ChunkStore,
    embedder: Embedder,
    plan: Plan,
    manifest: dict[str, DocRecord],
    writer: _Writer,
    progress: Progress,
) -> int:
    batch, embedded = _Batch(), 0
    for doc, chunks in plan.writes:
        origin = UPLOAD if (doc.parent or doc.doc_id) in plan.uploads else ""
        old = manifest.get(doc.doc_id)
        previous = old.content_hash if old else ""
        pending = DocRecord(
            doc.doc_id, previous, doc.content_hash, doc.title, doc.kind, origin=origin, parent=doc.parent
        )
        todo = chunks
        if old is not None:  # a run that was killed may have written some of these already
            present = store.existing_ids([c.chunk_id for c in chunks])
            todo = [c for c in chunks if c.chunk_id not in present]
            batch.stale.append(doc.doc_id)
        reused = len(chunks) - len(todo)
        if reused:
            writer.put(partial(progress, reused))
        batch.rows += [(doc, c) for c in todo]
        batch.pending.append(pending)
        batch.committed.append(replace(pending, content_hash=doc.content_hash, pending="", chunks=len(chunks)))
        embedded += len(todo)
        if len(batch.rows) >= EMBED_BATCH:
            _flush(store, embedder, batch, writer, progress)
            batch = _Batch()
    _flush(store, embedder, batch, writer, progress)
    return embedded


def _flush(store: ChunkStore, embedder: Embedder, batch: _Batch, writer: _Writer, progress: Progress) -> None:
    """Embed the batch here; queue its pending records, its upsert, then the commits of its documents."""
    writer.put(partial(store.put_records, batch.pending))
    if batch.rows:
        rows = batch.rows
        vectors = embedder.embed_documents([embed_text(doc.title, c.text) for doc, c in rows])
        ids, texts = [c.chunk_id for _, c in rows], [c.text for _, c in rows]
        metas = [chunk_metadata(doc, c) for doc, c in rows]

        def upsert() -> None:
            store.upsert(ids, vectors, texts, metas)
            progress(len(ids))

        writer.put(upsert)
    writer.put(partial(_commit, store, batch))


def _commit(store: ChunkStore, batch: _Batch) -> None:
    hashes = {record.doc_id: record.content_hash for record in batch.committed}
    for doc_id in batch.stale:
        store.delete_chunks(doc_id, keep_hash=hashes[doc_id])
    store.put_records(batch.committed)


def remove_doc(store: ChunkStore, record: DocRecord) -> None:
    """Bracketed removal of one document and its chunks."""
    store.put_record(replace(record, pending=REMOVED))
    store.delete_chunks(record.doc_id)
    store.delete_record(record.doc_id)
