"""What is in an index: documents, chunks, the model and fingerprint, where it is stored; the
store's collections (one per indexed folder) and the folder each was indexed from."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from index.ingest import last_run
from index.settings import IndexSettings
from index.store import MANIFEST_SUFFIX, ChunkStore, connect

FOLDERS_FILE = "collections.json"  # under ASSISTANT_HOME: {collection: the folder it mirrors}


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


# -- collections ---------------------------------------------------------------------------
def collection_names(client: Any) -> list[str]:
    """The collections of a Chroma client that are indexes (chunks with their manifest), sorted."""
    names = {str(getattr(c, "name", c)) for c in client.list_collections()}
    return sorted(n for n in names if not n.endswith(MANIFEST_SUFFIX) and n + MANIFEST_SUFFIX in names)


def list_collections(settings: IndexSettings, client: Any | None = None) -> list[dict[str, Any]]:
    """Each collection of the store: name, documents, chunks, the folder it was indexed from, and
    whether it is the default (ASSISTANT_COLLECTION, listed even before anything is indexed).
    Raises StoreError if the store is unreachable."""
    client = client or connect(settings)
    folders = indexed_folders(settings)
    names = collection_names(client)
    listed = []
    for name in sorted({*names, settings.collection}):
        store = ChunkStore(client, settings.with_(collection=name))
        manifest = store.manifest() if name in names else {}
        listed.append(
            {
                "name": name,
                "documents": sum(1 for r in manifest.values() if not r.pending),
                "chunks": store.count() if name in names else 0,
                "folder": folders.get(name, ""),
                "default": name == settings.collection,
            }
        )
    return listed


def indexed_folders(settings: IndexSettings) -> dict[str, str]:
    """{collection: the folder `assistant index` last mirrored into it} on this machine."""
    try:
        data = json.loads((settings.home / FOLDERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def remember_folder(settings: IndexSettings, root: Path) -> None:
    """Record that `settings.collection` mirrors `root` (written atomically)."""
    folders = {**indexed_folders(settings), settings.collection: str(root.resolve())}
    settings.home.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".collections-", dir=settings.home)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(folders, out, indent=1, sort_keys=True)
    os.replace(temporary, settings.home / FOLDERS_FILE)


def format_collections(collections: list[dict[str, Any]]) -> str:
    """One line per collection: `* news  12 documents  (/data/news)`; * marks the default."""
    lines = ["Collections:"]
    for c in collections:
        mark = "*" if c["default"] else " "
        folder = f"  ({c['folder']})" if c["folder"] else ""
        documents = f"{c['documents']:>6} document{'' if c['documents'] == 1 else 's'}"
        lines.append(f"  {mark} {c['name']:<24} {documents:<16} {c['chunks']:>7} chunks{folder}")
    return "\n".join(lines)
