"""Scale points past the embedding cap (bench.scale): a real subset is indexed and embedded, then
the rest of the generated reports are chunked for real and stored with copied vectors plus small
noise, so latency and disk are measured at full size while index time is extrapolated."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from bench.context import BenchContext
from index.settings import IndexSettings

NOISE = 0.02  # std of the noise added to copied vectors (unit vectors of 384 dims: ~0.4 in norm)
FILL_BATCH = 500  # chunks per upsert when filling past the cap


def stored(settings: IndexSettings) -> dict[str, int]:
    """{"chunks", "tokens"} in the store (token counts as the chunker recorded them)."""
    from index.store import ChunkStore

    store = ChunkStore.open(settings)
    tokens = sum(int(meta.get("token_count", 0)) for _, meta, _ in store.iter_chunks())
    return {"chunks": store.count(), "tokens": tokens}


def subset(corpus: Path, target: Path, settings: IndexSettings, cap: int) -> Path:
    """Hard links to the first reports whose chunks add up to at most `cap`; ids stay the same."""
    from index.ingest import prepare
    from index.scan import scan

    found, _ = scan(corpus)
    total = 0
    for item in found:
        chunks = sum(len(pieces) for _, pieces in prepare(item, settings))
        if total + chunks > cap and total:
            break
        total += chunks
        link = target / item.doc_id
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(item.path, link)
        except OSError:  # another file system: copy instead
            shutil.copyfile(item.path, link)
    return target


def fill(ctx: BenchContext, settings: IndexSettings, corpus: Path, indexed: Path, seed: int) -> dict[str, int]:
    """Add every report not yet indexed, chunked for real, with copied noisy vectors; rebuild BM25."""
    from index.lexical import build_from_store
    from index.plan import prepare
    from index.scan import scan
    from index.store import ChunkStore, DocRecord
    from index.write import chunk_metadata

    store = ChunkStore.open(settings)
    real = _vectors(store)
    rng = np.random.default_rng(seed)
    done = {item.doc_id for item in scan(indexed)[0]}
    pending: list[tuple[str, str, dict[str, Any]]] = []
    for item in scan(corpus)[0]:
        if item.doc_id in done:
            continue
        for doc, chunks in prepare(item, settings):
            store.put_record(DocRecord(doc.doc_id, doc.content_hash, "", doc.title, doc.kind, len(chunks)))
            pending += [(c.chunk_id, c.text, chunk_metadata(doc, c)) for c in chunks]
        if len(pending) >= FILL_BATCH:
            _write(store, pending, real, rng)
            ctx.progress(f"filling with copied vectors: {store.count()} chunks")
            pending = []
    _write(store, pending, real, rng)
    build_from_store(store, store.bump_generation())
    return stored(settings)


def _vectors(store: Any) -> np.ndarray:
    """Every real vector in the store, (n, dim) float32."""
    rows, offset = [], 0
    while True:
        page = store.chunks.get(include=["embeddings"], limit=1000, offset=offset)
        rows.append(np.asarray(page["embeddings"], dtype=np.float32).reshape(len(page["ids"]), -1))
        if len(page["ids"]) < 1000:
            return np.concatenate(rows)
        offset += 1000


def _write(store: Any, rows: list[tuple[str, str, dict[str, Any]]], real: np.ndarray, rng: Any) -> None:
    if not rows:
        return
    picks = real[rng.integers(0, len(real), len(rows))]
    noisy = picks + rng.normal(0.0, NOISE, picks.shape).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    store.upsert([r[0] for r in rows], noisy, [r[1] for r in rows], [r[2] for r in rows])
