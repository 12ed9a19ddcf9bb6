"""What is in an index: documents, chunks, the model and fingerprint, where it is stored."""

from __future__ import annotations

from typing import Any

from index.ingest import last_run
from index.settings import IndexSettings
from index.store import ChunkStore


def index_status(settings: IndexSettings, store: ChunkStore | None = None) -> dict[str, Any]:
    """A plain dict (the `status --json` output). Raises StoreError if the store is unreachable."""
    store = store or ChunkStore.open(settings)
    base: dict[str, Any] = {
        "store": settings.store_label,
        "store_mode": "server" if settings.server_mode else "embedded",
        "collection": settings.collection,
        "home": str(settings.home),
    }
    if not store.exists():
        return {**base, "indexed": False, "documents": 0, "chunks": 0}
    manifest = store.manifest()
    fingerprint = store.fingerprint() or {}
    pending = sorted(d for d, r in manifest.items() if r.pending)
    return {
        **base,
        "indexed": bool(manifest),
        "documents": len(manifest) - len(pending),
        "chunks": store.count(),
        "embedding_model": fingerprint.get("embed_model"),
        "fingerprint": fingerprint,
        "interrupted_documents": pending,  # an interrupted run; the next `index` finishes them
        "generation": store.generation(),
        "last_run": last_run(settings),
    }


def format_status(status: dict[str, Any]) -> str:
    """The human form of `index_status`."""
    if not status["indexed"]:
        return (
            f"No documents indexed yet in {status['store']} (collection {status['collection']!r}).\n"
            "Run `assistant index PATH` to index a folder."
        )
    fp = status.get("fingerprint", {})
    lines = [
        f"Store:      {status['store']} (collection {status['collection']!r})",
        f"Documents:  {status['documents']}",
        f"Chunks:     {status['chunks']}",
        f"Embedding:  {status['embedding_model']} ({fp.get('dim')} dims)",
        f"Chunking:   {fp.get('chunk_tokens')} tokens, {fp.get('chunk_overlap')} overlap; cleaner v{fp.get('cleaner')}",
    ]
    if status["interrupted_documents"]:
        lines.append(
            f"Interrupted: {len(status['interrupted_documents'])} document(s) mid-update; "
            "run `assistant index PATH` to finish"
        )
    last = status.get("last_run")
    if last:
        lines.append(
            f"Last run:   {len(last['added'])} added, {len(last['changed'])} changed, {len(last['removed'])} removed, "
            f"{len(last['unchanged'])} unchanged, {len(last['skipped'])} skipped, {last['seconds']} s"
        )
    return "\n".join(lines)
