"""The app's shared models: one Assistant per answerer name, built on first use.

All the chat window's locking and background threads live here: the Assistants are shared by
every session, so building one, resolving "auto" and warming up happen under one lock.
"""

import logging
import threading

from assistant.api import Assistant
from assistant.settings import Settings

log = logging.getLogger(__name__)


class Assistants:
    """Assistants by answerer name, built on first use by `Assistant.from_settings`, sharing one
    store, embedder and cross-encoder. "auto" is resolved before every question, so the local
    model takes over without a restart once a background install of it finishes."""

    def __init__(self, settings: Settings, base: Assistant | None = None) -> None:
        self.settings = settings
        self._by_name: dict[str, Assistant] = {}
        self._base = base
        self._lock = threading.Lock()
        self._preparing: set[str] = set()
        if base is not None:
            self._by_name[settings.answerer] = self._by_name[base.answerer.name] = base

    def base(self) -> Assistant:
        """The shared store and models; raises AssistantError when the store cannot be opened."""
        with self._lock:
            if self._base is None:
                self._base = Assistant.from_settings(self.settings, answerer="extractive")
                self._by_name["extractive"] = self._base
            return self._base

    def resolve(self, name: str) -> tuple[str, str]:
        """(the answerer `name` stands for now, why): "auto" as in assistant.llm.resolve_auto,
        unless a test or the caller gave an Assistant for it."""
        if name == "auto" and "auto" not in self._by_name:
            from assistant.llm import resolve_auto

            return resolve_auto(self.settings)
        return name, ""

    def get(self, name: str) -> Assistant:
        """The Assistant answering with `name`."""
        resolved, _ = self.resolve(name)
        base = self.base()
        with self._lock:
            if resolved not in self._by_name:
                self._by_name[resolved] = Assistant.from_settings(self.settings, answerer=resolved, share=base)
            return self._by_name[resolved]

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
