"""The Chroma client: one per embedded folder and process (reopened when another process has
written it; index/store.py decides when), or one per server; and what its errors mean, in words
that say what to do (a server that went away, a full disk, a collection another process is
rebuilding).
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import threading
from typing import Any

from index.errors import StoreError
from index.settings import IndexSettings

LOW_DISK_BYTES = 16 * 2**20  # a write failing with less free than this is blamed on the full disk


def connect(settings: IndexSettings) -> Any:
    """A Chroma client: HttpClient when CHROMA_HOST is set, else this process's one
    PersistentClient of the folder (CLIENTS; `reopen` replaces it).

    Raises StoreError with the fix when the server is unreachable.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_host:
            client = chromadb.HttpClient(
                host=settings.chroma_host,
                port=settings.chroma_port,
                ssl=settings.chroma_ssl,
                settings=chroma_settings,
            )
            client.heartbeat()
            return client
        folder = settings.home / "chroma"
        folder.mkdir(parents=True, exist_ok=True)
        with CLIENTS_LOCK:
            if str(folder) not in CLIENTS:
                CLIENTS[str(folder)] = chromadb.PersistentClient(path=str(folder), settings=chroma_settings)
            return CLIENTS[str(folder)]
    except Exception as exc:  # chromadb raises ValueError/ConnectionError/its own types
        raise StoreError(_connect_message(settings, exc)) from exc


# An embedded folder's client in this process, and the (collection id, generation) of each of
# its collections that client has read: when the stored one differs, another process wrote it.
CLIENTS_LOCK = threading.RLock()
CLIENTS: dict[str, Any] = {}
SYNCED: dict[tuple[str, str], tuple[str, str]] = {}


def _connect_message(settings: IndexSettings, exc: Exception) -> str:
    if settings.chroma_host:
        return (
            f"cannot reach the {settings.store_label} ({type(exc).__name__}: {exc}). "
            f"Start it with `chroma run --host {settings.chroma_host} --port "
            f"{settings.chroma_port} --path <folder>`, or unset CHROMA_HOST to use the "
            "embedded store"
        )
    return f"cannot open the {settings.store_label} ({exc}); check the folder's permissions"


def reopen(settings: IndexSettings, *, stop_old: bool = False) -> Any:
    """A new client for an embedded folder, with its own in-memory vector indexes: chromadb
    keeps one "system" per folder and process, whose vector index does not see another
    process's writes. Clients already handed out keep the old system (their reads finish),
    unless `stop_old`: after a failed write its database connection may still hold the lock
    that another process's `assistant index` would wait for."""
    from chromadb.api.shared_system_client import SharedSystemClient

    folder = str(settings.home / "chroma")
    with CLIENTS_LOCK:
        with contextlib.suppress(AttributeError):  # chromadb internals: a newer release may differ
            old = SharedSystemClient._identifier_to_system.pop(folder, None)
            SharedSystemClient._identifier_to_refcount.pop(folder, None)
            if stop_old and old is not None:
                with contextlib.suppress(Exception):
                    old.stop()
        CLIENTS.pop(folder, None)
        for key in [key for key in SYNCED if key[0] == folder]:
            del SYNCED[key]
        return connect(settings)


def is_missing(exc: Exception) -> bool:
    return type(exc).__name__ == "NotFoundError" or "does not exist" in str(exc)


def is_half_written(exc: Exception) -> bool:
    """An embedded Chroma that read a collection while another process was writing it keeps
    failing so ("Nothing found on disk", "Missing metadata segment") until it is reopened."""
    said = str(exc).lower()
    return "nothing found on disk" in said or "missing metadata segment" in said


def failure_message(settings: IndexSettings, exc: Exception) -> str:
    """What failed, in words, and what to do: a server that went away, a full disk, or else
    the error as Chroma gave it."""
    said = f"{type(exc).__name__}: {exc}"
    if settings.chroma_host and _is_disconnect(exc):
        return (
            f"lost the connection to the {settings.store_label} ({said}). Start it again "
            f"(`chroma run --host {settings.chroma_host} --port {settings.chroma_port} --path <folder>`) "
            "and ask again; no restart of the assistant is needed"
        )
    if is_missing(exc) or is_half_written(exc):  # dropped, or being written, by a rebuild elsewhere
        return (
            f"the index in the {settings.store_label} is being written by another process ({said}); "
            "ask again when its `assistant index` has finished, or run `assistant index PATH`"
        )
    if _is_disk_full(exc) or _free_bytes(settings) < LOW_DISK_BYTES:  # Chroma rarely names the cause
        return (
            f"the disk holding the {settings.store_label} is full ({_free_bytes(settings) / 2**20:.1f} MB free; "
            f"{said}). Free some space, then run `assistant index` again: it finishes what was interrupted"
        )
    return f"{settings.store_label} failed: {said}"


def _free_bytes(settings: IndexSettings) -> float:
    """Free space where an embedded store lives; infinite for a server (not ours to watch)."""
    if settings.chroma_host:
        return float("inf")
    try:
        return float(shutil.disk_usage(settings.home).free)
    except OSError:
        return float("inf")


def _is_disconnect(exc: BaseException) -> bool:
    names = {type(e).__name__ for e in _chain(exc)}
    return bool(names & {"ConnectError", "ConnectionError", "RemoteProtocolError", "ReadError", "ConnectTimeout"}) or (
        "connect" in str(exc).lower()
    )


def _is_disk_full(exc: BaseException) -> bool:
    return any(
        getattr(e, "errno", None) in (errno.ENOSPC, errno.EFBIG)
        or "disk is full" in str(e).lower()
        or "no space left" in str(e).lower()
        for e in _chain(exc)
    )


def _chain(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found
