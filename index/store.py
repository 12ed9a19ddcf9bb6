"""The Chroma adapter: chunks with vectors, a per-document manifest, and the index fingerprint.

Two collections per index: `<name>` holds the chunks (cosine space, vectors always
supplied by us) and `<name>__docs` holds one record per document (its content hash,
and a `pending` hash while a change to it is in flight). The manifest lives in Chroma
itself so an embedded folder and a Chroma server behave the same.

Another process may re-index while this one reads (`assistant index --rebuild` with the chat
window open). Opening a store, counting its chunks (every search does first) and reading the
collection's metadata compare the collection's id and generation with those this process last
read: a new collection (a rebuild) or a new generation (another run finished) drops the cached
collection handles, and for an embedded folder reopens this process's one client of it too,
because an embedded Chroma keeps each collection's vector index in memory and never sees another
process's writes to it. Searches (`query`, `get_chunks`) return only chunks of committed
documents (`DocRecord.content_hash`), so a run killed half-way leaves nothing half-written to find.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.chroma import (
    CLIENTS,
    CLIENTS_LOCK,
    SYNCED,
    connect,
    failure_message,
    is_half_written,
    is_missing,
    reopen,
)
from index.errors import IndexMismatchError, StoreError
from index.settings import IndexSettings

MANIFEST_SUFFIX = "__docs"
PAGE = 1000  # rows per `get` page when scanning a collection
_MANIFEST_VECTOR = [1.0]  # Chroma needs a vector per record; the manifest is never searched


@dataclass(frozen=True)
class DocRecord:
    """What the manifest knows of one indexed document."""

    doc_id: str
    content_hash: str  # committed: its chunks are exactly those of this hash
    pending: str = ""  # a hash being written (or "<removed>"); "" when settled
    title: str = ""
    kind: str = ""
    chunks: int = 0
    # "" = a file of the indexed folder (a folder run removes it when the file goes);
    # "upload" = added from the chat window: folder runs never remove it (index/ingest.py).
    origin: str = ""
    # The file it came out of (an e-mail attachment's .eml); "" for a file of its own.
    parent: str = ""

    def to_metadata(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "content_hash": self.content_hash,
            "pending": self.pending,
            "title": self.title,
            "kind": self.kind,
            "chunks": self.chunks,
            "origin": self.origin,
            "parent": self.parent,
        }

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> DocRecord:
        return cls(
            doc_id=str(meta["doc_id"]),
            content_hash=str(meta.get("content_hash", "")),
            pending=str(meta.get("pending", "")),
            title=str(meta.get("title", "")),
            kind=str(meta.get("kind", "")),
            chunks=int(meta.get("chunks", 0)),
            origin=str(meta.get("origin", "")),
            parent=str(meta.get("parent", "")),
        )


def snapshot_path(settings: IndexSettings) -> Path:
    """Where index/snapshot.py keeps its copy of the manifest; every write here deletes it."""
    return settings.home / f"snapshot-{settings.collection}.json"


class ChunkStore:
    """Chunks, vectors and the document manifest of one index."""

    def __init__(self, client: Any, settings: IndexSettings) -> None:
        self.client = client
        self.settings = settings
        self.name = settings.collection
        self._chunks: Any = None
        self._docs: Any = None
        self._folder = str(settings.home / "chroma")
        self._managed = not settings.chroma_host and client is CLIENTS.get(self._folder)  # from connect()
        self._seen: tuple[str, str] | None = None  # (collection id, generation) last read
        self._sync_lock = threading.Lock()

    @classmethod
    def open(cls, settings: IndexSettings) -> ChunkStore:
        store = cls(connect(settings), settings)
        store._refresh()
        return store

    def _refresh(self) -> None:
        """Catch up with writes by other processes since this process's client read the
        collection (module doc); nothing to do when there is no collection yet."""
        try:
            fresh = self.client.get_collection(name=self.name, embedding_function=None)
        except Exception:  # noqa: BLE001 - absent (or unreachable: the first real use says so)
            return
        self._sync(str(fresh.id), str((fresh.metadata or {}).get("generation", "")))

    # -- collections ---------------------------------------------------------
    def exists(self) -> bool:
        """True when the chunk collection has been created."""
        try:
            names = {getattr(c, "name", c) for c in self.client.list_collections()}
        except Exception as exc:
            raise StoreError(f"cannot list collections in the {self.settings.store_label}: {exc}") from exc
        return self.name in names

    def _collection(self, name: str) -> Any:
        try:
            return self.client.get_or_create_collection(
                name,
                embedding_function=None,  # never let Chroma embed (it would download a model)
                configuration={"hnsw": {"space": "cosine"}},
            )
        except Exception as exc:
            raise StoreError(f"cannot open collection {name!r} in the {self.settings.store_label}: {exc}") from exc

    @property
    def chunks(self) -> Any:
        handle = self._chunks
        if handle is None:
            handle = self._chunks = self._collection(self.name)
        return handle

    @property
    def docs(self) -> Any:
        if self._docs is None:
            self._docs = self._collection(self.name + MANIFEST_SUFFIX)
        return self._docs

    def _will_write(self) -> None:
        """Any write makes the local snapshot of the manifest stale (index/snapshot.py)."""
        snapshot_path(self.settings).unlink(missing_ok=True)

    def drop(self) -> None:
        """Delete both collections (a rebuild); deleting the folder instead breaks open clients."""
        self._will_write()
        for name in (self.name, self.name + MANIFEST_SUFFIX):
            with contextlib.suppress(Exception):  # absent already: nothing to drop
                self.client.delete_collection(name)
        self._chunks = self._docs = None
        self._seen = None
        with CLIENTS_LOCK:  # our own rebuild: its new collection is not another process's
            SYNCED.pop((self._folder, self.name), None)

    # -- another process's writes --------------------------------------------
    def _metadata(self) -> dict[str, Any]:
        """The collection's metadata as stored now: a Collection object keeps the copy it was
        opened with, which would hide another process's re-index from this one."""
        self.chunks  # noqa: B018 - opens (or creates) the collection
        fresh = self._call(self.client.get_collection, name=self.name, embedding_function=None)
        metadata = dict(fresh.metadata or {})
        self._sync(str(fresh.id), str(metadata.get("generation", "")))
        return metadata

    def _sync(self, collection_id: str, generation: str) -> None:
        """Drop stale handles when the collection or its generation changed since this process
        read it, and reopen an embedded folder's client: another process rebuilt or re-indexed
        (module doc)."""
        now = (collection_id, generation)
        if not self._managed:  # a server sees every write; only a deleted collection's handles go stale
            with self._sync_lock:
                seen, self._seen = self._seen, now
                if seen is not None and seen[0] != collection_id:
                    self._chunks = self._docs = None
            return
        with CLIENTS_LOCK:
            synced = SYNCED.get((self._folder, self.name))
            current = reopen(self.settings) if synced not in (None, now) else connect(self.settings)
            SYNCED[(self._folder, self.name)] = now
        self._use(current)

    def _use(self, client: Any) -> None:
        with self._sync_lock:
            if client is not self.client:
                self.client = client
                self._chunks = self._docs = None

    def _forget_handles(self, *, reconnect: bool = False) -> None:
        """The collection was deleted under us (a rebuild elsewhere): reopen it on next use;
        with `reconnect`, an embedded client too (its vector index was read half-written)."""
        with self._sync_lock:
            self._chunks = self._docs = None
        if reconnect and self._managed:
            self._use(reopen(self.settings))

    # -- fingerprint and generation -----------------------------------------
    def fingerprint(self) -> dict[str, Any] | None:
        raw = self._metadata().get("fingerprint")
        return json.loads(raw) if raw else None

    def check_fingerprint(self, wanted: dict[str, Any], *, claim: bool) -> None:
        """Raise IndexMismatchError if the index was built with other settings.

        With claim=True an index that has no fingerprint yet (new) takes `wanted`.
        """
        current = self.fingerprint()
        if current is None:
            if claim:
                self._set_metadata(fingerprint=json.dumps(wanted, sort_keys=True))
            return
        if current != wanted:
            raise IndexMismatchError(_mismatch_message(current, wanted))

    def generation(self) -> str:
        """Changes whenever the indexed content changes (keys derived caches like BM25)."""
        return str(self._metadata().get("generation", ""))

    def bump_generation(self) -> str:
        new = uuid.uuid4().hex
        self._set_metadata(generation=new)
        now = (str(self.chunks.id), new)
        self._seen = now
        with CLIENTS_LOCK:  # our own write, through this process's client: nothing to reopen
            if self._managed and self.client is CLIENTS.get(self._folder):
                SYNCED[(self._folder, self.name)] = now
        return new

    def _set_metadata(self, **values: str) -> None:
        merged = {**self._metadata(), **values}
        self._will_write()
        try:
            self.chunks.modify(metadata=merged)
        except Exception as exc:
            raise StoreError(f"cannot update collection metadata: {exc}") from exc

    # -- manifest ------------------------------------------------------------
    def manifest(self) -> dict[str, DocRecord]:
        records = {}
        for _, meta, _ in self._scan("docs", documents=False):
            record = DocRecord.from_metadata(meta)
            records[record.doc_id] = record
        return records

    def put_record(self, record: DocRecord) -> None:
        self.put_records([record])

    def put_records(self, records: Sequence[DocRecord]) -> None:
        """Write manifest records, many per call: each Chroma write costs ~7 ms of CPU however
        few rows it holds, so an indexing run writes a batch's records together."""
        if not records:
            return
        self._will_write()
        step = self._write_step()
        for start in range(0, len(records), step):
            part = records[start : start + step]
            self._on(
                "docs",
                "upsert",
                ids=[r.doc_id for r in part],
                embeddings=[_MANIFEST_VECTOR] * len(part),
                metadatas=[r.to_metadata() for r in part],
            )

    def delete_record(self, doc_id: str) -> None:
        self._will_write()
        self._on("docs", "delete", ids=[doc_id])

    # -- chunks --------------------------------------------------------------
    def existing_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), PAGE):
            result = self._on("chunks", "get", ids=list(ids[start : start + PAGE]), include=[])
            found.update(result["ids"])
        return found

    def upsert(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
    ) -> None:
        """Write chunks in batches within the client's maximum batch size."""
        self._will_write()
        step = self._write_step()
        for start in range(0, len(ids), step):
            end = start + step
            self._on(
                "chunks",
                "upsert",
                ids=list(ids[start:end]),
                embeddings=vectors[start:end].tolist(),
                documents=list(texts[start:end]),
                metadatas=list(metadatas[start:end]),
            )

    def delete_chunks(self, doc_id: str, *, keep_hash: str | None = None) -> None:
        """Remove a document's chunks, or only those not of `keep_hash`."""
        where: dict[str, Any] = {"doc_id": doc_id}
        if keep_hash is not None:
            where = {"$and": [{"doc_id": doc_id}, {"content_hash": {"$ne": keep_hash}}]}
        self._will_write()
        self._on("chunks", "delete", where=where)

    def count(self) -> int:
        """How many chunks; every search asks this first, so it also notices a re-index by
        another process (module doc)."""
        self._metadata()
        return int(self._on("chunks", "count"))

    def iter_chunks(self) -> Iterator[tuple[str, dict[str, Any], str]]:
        """(id, metadata, text) for every chunk, page by page."""
        yield from self._scan("chunks", documents=True)

    def _scan(self, which: str, *, documents: bool) -> Iterator[tuple[str, dict[str, Any], str]]:
        include = ["metadatas", "documents"] if documents else ["metadatas"]
        offset = 0
        while True:
            page = self._on(which, "get", include=include, limit=PAGE, offset=offset)
            texts = page.get("documents") or [""] * len(page["ids"])
            yield from zip(page["ids"], page["metadatas"], texts, strict=True)
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def query(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> dict[str, Any]:
        """Nearest chunks to `vector`: Chroma's raw result (ids, distances, metadatas, documents),
        only chunks of committed documents (a write in flight or killed half-way is not found).

        `k` must not exceed the number of chunks (the caller knows it; counting here would
        cost a round trip per query).
        """
        result = self._on(
            "chunks",
            "query",
            query_embeddings=[vector.tolist()],
            n_results=max(1, k),
            where=where,
            include=["metadatas", "documents", "distances"],
        )
        return self._committed(result)

    def get_chunks(self, ids: Sequence[str]) -> dict[str, Any]:
        """Chunks by id: Chroma's `get` result (ids, metadatas, documents), only those of
        committed documents (as `query`)."""
        got = self._on("chunks", "get", ids=list(ids), include=["metadatas", "documents"])
        keep = self._committed_rows(got["metadatas"])
        return {key: [got[key][i] for i in keep] for key in ("ids", "metadatas", "documents")}

    def _committed(self, result: dict[str, Any]) -> dict[str, Any]:
        """`result` (of a query) without the rows whose document's committed hash is not theirs."""
        metas = result["metadatas"][0]
        keep = self._committed_rows(metas)
        if len(keep) == len(metas):
            return result
        return {key: [[rows[0][i] for i in keep]] for key in _QUERY_KEYS if (rows := result.get(key))}

    def _committed_rows(self, metas: Sequence[dict[str, Any]]) -> list[int]:
        """Positions of the chunks whose document is committed with their content hash."""
        doc_ids = sorted({str(m["doc_id"]) for m in metas})
        if not doc_ids:
            return []
        records = self._on("docs", "get", ids=doc_ids, include=["metadatas"])
        committed = {str(m["doc_id"]): str(m.get("content_hash", "")) for m in records["metadatas"]}
        return [i for i, m in enumerate(metas) if committed.get(str(m["doc_id"])) == m.get("content_hash")]

    def _write_step(self) -> int:
        """Rows per write call: within the client's maximum batch size, and at most 1000."""
        return max(1, min(int(self.client.get_max_batch_size()), 1000))

    def _on(self, which: str, method: str, **kwargs: Any) -> Any:
        """Call `method` of the chunk or manifest collection; a collection deleted under us (a
        rebuild by another process) is reopened once."""
        for attempt in (1, 2):
            handle = self.chunks if which == "chunks" else self.docs
            try:
                return getattr(handle, method)(**kwargs)
            except Exception as exc:
                if attempt == 1 and (is_missing(exc) or is_half_written(exc)):
                    self._forget_handles(reconnect=is_half_written(exc))
                    continue
                raise self._failed(exc) from exc
        raise AssertionError("unreachable")

    def _call(self, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except Exception as exc:
            raise self._failed(exc) from exc

    def _failed(self, exc: Exception) -> StoreError:
        """The error to raise; a full disk also closes this process's embedded client, whose
        half-done write would keep the database locked for the next `assistant index`."""
        message = failure_message(self.settings, exc)
        if self._managed and message.startswith("the disk holding"):
            self._chunks = self._docs = None
            self._use(reopen(self.settings, stop_old=True))
        return StoreError(message)


_QUERY_KEYS = ("ids", "distances", "metadatas", "documents", "embeddings")


def _mismatch_message(current: dict[str, Any], wanted: dict[str, Any]) -> str:
    changed = sorted(k for k in set(current) | set(wanted) if current.get(k) != wanted.get(k))
    details = "; ".join(f"{k}: index has {current.get(k)!r}, settings say {wanted.get(k)!r}" for k in changed)
    return (
        f"the index was built with other settings ({details}). Rebuild it with "
        "`assistant index PATH --rebuild`, or restore the settings it was built with"
    )
