"""The app's shared models: one Assistant per answerer name, built on first use.

All the chat window's locking and background threads live here: the Assistants are shared by
every session, so building one, resolving "auto" and warming up happen under one lock.
"""

import logging
import threading
from functools import partial
from typing import Any

from assistant.answering.model_queue import Once
from assistant.api import Assistant
from assistant.settings import Settings
from index.errors import ConfigError
from index.settings import COLLECTION_NAME
from index.status import collection_names
from index.store import ChunkStore

log = logging.getLogger(__name__)


class Assistants:
    """Assistants by answerer name, built on first use by `Assistant.from_settings`, sharing one
    store, embedder and cross-encoder. Each name is resolved before every question, so "local"
    works without a restart once a background install of it finishes."""

    def __init__(self, settings: Settings, base: Assistant | None = None, *, share: Assistant | None = None) -> None:
        self.settings = settings
        # Built outside any lock: loading one (the local model) never holds up status or others.
        self._by_name: Once[str, Assistant] = Once()
        self._base = base
        self._share = share  # another collection's Assistant whose models (not store) are lent
        self._lock = threading.Lock()  # only around `_preparing`
        self._preparing: set[str] = set()
        if base is not None:
            self._by_name.put(settings.answerer, base)
            self._by_name.put(base.answerer.name, base)

    def base(self) -> Assistant:
        """The shared store and models; raises AssistantError when the store cannot be opened."""
        if self._base is not None:
            return self._base
        return self._by_name.get("extractive", self._build_base)

    def _build_base(self) -> Assistant:
        parts: dict[str, Any] = {}
        if self._share is not None:
            parts = {"share": self._share, "store": ChunkStore(self._share.store.client, self.settings.index)}
        return Assistant.from_settings(self.settings, answerer="extractive", **parts)

    def resolve(self, name: str) -> tuple[str, str]:
        """(the answerer `name` stands for now, why): "auto" as in assistant.answering.llm.resolve_auto,
        unless a test or the caller gave an Assistant for it."""
        if name == "auto" and "auto" not in self._by_name:
            from assistant.answering.llm import resolve_auto

            return resolve_auto(self.settings)
        return name, ""

    def get(self, name: str) -> Assistant:
        """The Assistant answering with `name`."""
        resolved, _ = self.resolve(name)
        base = self.base()
        build = partial(Assistant.from_settings, self.settings, answerer=resolved, share=base)
        return self._by_name.get(resolved, build)

    def label(self, name: str) -> str:
        """What the side panel says of answerer `name`: "auto: local", or why it is extractive."""
        resolved, why = self.resolve(name)
        if name != "auto" or "auto" in self._by_name:
            return name
        return f"auto: {resolved}" + (f" ({why})" if resolved == "extractive" and why else "")

    def warm_up(self, name: str | None = None) -> None:
        """Load the models now rather than on the first question."""
        try:
            self.get(name or self.settings.answerer).warm_up()
        except Exception as exc:  # noqa: BLE001 - warming up is optional; the first question will say what is wrong
            log.warning("warm-up failed: %s", exc)

    def prepare(self, name: str) -> None:
        """Build and warm up `name`'s Assistant in the background unless it is built already:
        when "auto" becomes the local model, the first question then finds it loaded."""
        resolved, _ = self.resolve(name)
        with self._lock:
            if resolved in self._by_name or resolved in self._preparing:
                return
            self._preparing.add(resolved)
        threading.Thread(target=self.warm_up, args=(resolved,), daemon=True, name=f"prepare-{resolved}").start()


class Collections:
    """One Assistants per collection of the store (ASSISTANT_COLLECTION's is `default`), built on
    first use and sharing the default's client, embedder and cross-encoder."""

    def __init__(self, default: Assistants) -> None:
        self.default = default
        self.settings = default.settings
        self._by_name: dict[str, Assistants] = {default.settings.index.collection: default}
        self._lock = threading.Lock()

    def name(self, collection: str | None) -> str:
        """`collection`, or the default's name for "" or None."""
        return collection or self.settings.index.collection

    def get(self, collection: str | None) -> Assistants:
        """The Assistants of `collection`; raises ConfigError for a name Chroma cannot hold."""
        name = self.name(collection)
        if name in self._by_name:
            return self._by_name[name]
        if not COLLECTION_NAME.match(name):
            raise ConfigError(f"{name!r} is not a collection name; choose one listed in the side panel")
        shared = self.default.base()
        if name not in collection_names(shared.store.client):  # a tab never creates a collection
            raise ConfigError(
                f"there is no collection {name!r}; create it with `assistant index FOLDER --collection {name}`"
            )
        with self._lock:
            if name not in self._by_name:
                settings = self.settings.with_(index=self.settings.index.with_(collection=name))
                self._by_name[name] = Assistants(settings, share=shared)
            return self._by_name[name]

    def listing(self) -> list[dict[str, Any]]:
        """index.status.list_collections over the shared client (raises StoreError)."""
        from index.status import list_collections

        return list_collections(self.settings.index, client=self.default.base().store.client)
