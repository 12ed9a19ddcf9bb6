"""Sharing one model between chat sessions: a first-come queue that tells each waiter its place,
and building shared things once without holding up unrelated callers.

ModelQueue  one user of a model at a time (llama.cpp is not re-entrant), in arrival order.
            A waiter gets a `Waiting` piece at once and then every `poll` seconds, so a stream
            shows "waiting: 2 ahead of you" instead of a frozen window, and so it can be
            closed while it waits. Leaving (the turn done, an error, or a stream closed by
            GeneratorExit when the browser went away) lets the next one in at once.
Waiting     the empty text piece an answerer yields while it waits: code that only joins the
            text sees nothing, the chat window shows the place.
Once        a value per key built at most once; a slow build (an Assistant loading its model)
            holds up only the callers asking for that same key.
finished    the value of a step (a generator of Waiting pieces that returns its result) for a
            caller with nowhere to show them: `Assistant.decide` beside `Assistant.stream`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Generic, TypeVar

POLL_S = 0.5  # seconds between two places told to a waiter; also how fast a closed stream leaves

K = TypeVar("K")
V = TypeVar("V")


class Waiting(str):
    """An empty text piece: the answer waits for the model, `ahead` users before it (0: its own
    turn has come and the model is being loaded, `loading`)."""

    ahead: int
    loading: bool

    def __new__(cls, ahead: int, loading: bool = False) -> Waiting:
        piece = super().__new__(cls, "")
        piece.ahead, piece.loading = ahead, loading
        return piece

    def __repr__(self) -> str:
        return f"Waiting(ahead={self.ahead}, loading={self.loading})"


class ModelQueue:
    """One user at a time, first come first served (see the module doc)."""

    def __init__(self, poll: float = POLL_S) -> None:
        self.poll = poll
        self._line: list[object] = []  # the first one holds the model
        self._changed = threading.Condition()

    def __len__(self) -> int:
        """Users holding or waiting for the model."""
        with self._changed:
            return len(self._line)

    @contextmanager
    def place(self) -> Iterator[Place]:
        """A place in the line, left on exit whatever ends the block."""
        ticket = Place(self)
        with self._changed:
            self._line.append(ticket)
        try:
            yield ticket
        finally:
            with self._changed:
                self._line.remove(ticket)
                self._changed.notify_all()

    def ahead_of(self, ticket: Place) -> int:
        with self._changed:
            return self._line.index(ticket)

    def wait_turn(self, ticket: Place) -> int:
        """Wait up to `poll` seconds for `ticket`'s turn; returns how many are still ahead."""
        with self._changed:
            self._changed.wait_for(lambda: self._line.index(ticket) == 0, timeout=self.poll)
            return self._line.index(ticket)


class Place:
    """A place in a ModelQueue's line."""

    def __init__(self, queue: ModelQueue) -> None:
        self.queue = queue

    def turn(self) -> Iterator[Waiting]:
        """Yields Waiting(ahead) at once and every `poll` seconds until this place's turn."""
        ahead = self.queue.ahead_of(self)
        while ahead:
            yield Waiting(ahead)
            ahead = self.queue.wait_turn(self)


def finished(steps: Generator[Waiting, None, V]) -> V:
    """What `steps` returns, its Waiting pieces passed over (it still waits its turn)."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


class Once(Generic[K, V]):
    """Values by key, each built once by the first caller; others asking for the same key wait
    for that build (and get its error), callers of other keys never do."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # held only to look up or add a key, never while building
        self._built: dict[K, Future[V]] = {}

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The value for `key`, built by `build()` on first use; a failed build is retried by the
        next caller."""
        with self._lock:
            future = self._built.get(key)
            mine = future is None
            if future is None:
                future = self._built[key] = Future()
        if not mine:
            return future.result()
        try:
            future.set_result(build())
        except BaseException as exc:
            with self._lock:
                del self._built[key]
            future.set_exception(exc)
            raise
        return future.result()

    def put(self, key: K, value: V) -> None:
        """Register an already built value."""
        future: Future[V] = Future()
        future.set_result(value)
        with self._lock:
            self._built[key] = future

    def ready(self, key: K) -> bool:
        """True when `key` is built (not when it is being built)."""
        with self._lock:
            future = self._built.get(key)
        return future is not None and future.done() and future.exception() is None

    def __contains__(self, key: object) -> bool:
        """True when `key` is built or being built."""
        with self._lock:
            return key in self._built
