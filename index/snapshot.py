"""A local snapshot of an embedded index's manifest: an unchanged re-index need not open Chroma.

Opening Chroma costs ~1 s (importing chromadb alone); hashing a small corpus costs milliseconds.
After every completed run the manifest, the fingerprint, the chunk count and a signature of the
store's files go to `<home>/snapshot-<collection>.json`. A later run that finds the same
fingerprint and signature, and files whose hashes all match, is done without opening the store.

Every write through ChunkStore deletes the snapshot first, and `run_index` (which holds the
write lock) saves a new one after its last write. The signature (each file's path, size and
inode; Chroma rewrites mtimes even when it only reads) catches the store's folder being deleted
or restored from a copy behind our back.
A Chroma server (CHROMA_HOST) is shared with other clients and never uses a snapshot.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.files import write_atomically
from index.settings import IndexSettings
from index.store import DocRecord, snapshot_path

SNAPSHOT_VERSION = 1
# SQLite's shared-memory index and journal come and go while a reader has the database open.
_VOLATILE_SUFFIXES = ("-shm", "-wal", "-journal")


@dataclass(frozen=True)
class Snapshot:
    fingerprint: dict[str, Any]
    manifest: dict[str, DocRecord]
    chunks: int


def store_signature(settings: IndexSettings) -> str | None:
    """A digest of every file of the embedded store (name, size, inode); None for a server."""
    if settings.chroma_host:
        return None
    folder = settings.home / "chroma"
    rows = []
    for parent, _dirs, files in os.walk(folder):
        for name in files:
            if name.endswith(_VOLATILE_SUFFIXES):
                continue
            path = Path(parent) / name
            try:
                stat = path.stat()
            except OSError:
                continue  # removed while we looked: the signature will not match anyway
            rows.append(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_ino}")
    return hashlib.sha256("\n".join(sorted(rows)).encode()).hexdigest() if rows else None


def save(settings: IndexSettings, fingerprint: dict[str, Any], manifest: dict[str, DocRecord], chunks: int) -> None:
    """Record the store as it is now (call after the last write of a run); atomic."""
    signature = store_signature(settings)
    path = snapshot_path(settings)
    if signature is None:
        path.unlink(missing_ok=True)
        return
    body = {
        "version": SNAPSHOT_VERSION,
        "signature": signature,
        "fingerprint": fingerprint,
        "chunks": chunks,
        "manifest": [record.to_metadata() for record in manifest.values()],
    }
    write_atomically(path, json.dumps(body))


def forget(settings: IndexSettings) -> None:
    """Drop the snapshot (before a run writes: a crash must not leave a stale one)."""
    snapshot_path(settings).unlink(missing_ok=True)


def load(settings: IndexSettings, fingerprint: dict[str, Any]) -> Snapshot | None:
    """The snapshot, if it still describes the store exactly; None otherwise."""
    try:
        body = json.loads(snapshot_path(settings).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("version") != SNAPSHOT_VERSION:
        return None
    if body.get("fingerprint") != fingerprint or body.get("signature") != store_signature(settings):
        return None
    try:
        records = [DocRecord.from_metadata(meta) for meta in body["manifest"]]
        return Snapshot(fingerprint, {r.doc_id: r for r in records}, int(body["chunks"]))
    except (KeyError, TypeError, ValueError):
        return None
