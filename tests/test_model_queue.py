"""Sessions sharing one model: places in the queue, closed streams freeing it, builds that block no one else.

Real threads throughout; the model is a slow fake llama (tests.fakes.SlowLlama) except in the
last test, which runs the bundled GGUF.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.answering.llm import ANSWERERS, LocalAnswerer
from assistant.answering.model_queue import POLL_S, ModelQueue, Once, Waiting
from assistant.api import Assistant
from assistant.settings import Settings
from index.ingest import run_index
from index.settings import IndexSettings
from tests.fakes import HashingEmbedder, LexicalScorer, SlowLlama

MESSAGES = [{"role": "user", "content": "Say something."}]
WORDS = [f"word{i}" for i in range(40)]
MARGIN_S = 1.0  # scheduling slack on a busy 2-core machine


def collect(stream: Iterator[str], into: list[tuple[float, str]]) -> None:
    for piece in stream:
        into.append((time.perf_counter(), piece))


def start(target: Callable[..., None], *args: Any) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_waiters_learn_their_place_and_are_served_in_arrival_order() -> None:
    queue = ModelQueue(poll=0.05)
    served: list[str] = []
    places: dict[str, list[int]] = {"b": [], "c": []}
    release = threading.Event()

    def user(name: str) -> None:
        with queue.place() as place:
            for waiting in place.turn():
                places[name].append(waiting.ahead)
            served.append(name)
            if name == "a":
                release.wait(5)
            elif name == "b":
                time.sleep(0.3)  # long enough for "c" to hear it moved up

    a = start(user, "a")
    wait_until(lambda: served == ["a"])
    b = start(user, "b")
    wait_until(lambda: bool(places["b"]))
    c = start(user, "c")
    wait_until(lambda: bool(places["c"]))
    release.set()
    for thread in (a, b, c):
        thread.join(5)
    assert served == ["a", "b", "c"]
    assert places["b"][0] == 1 and places["c"][0] == 2 and places["c"][-1] == 1
    assert len(queue) == 0


def test_a_waiting_stream_shows_its_place_and_the_model_runs_one_generation_at_a_time() -> None:
    llama = SlowLlama(WORDS[:10], delay=0.05)
    answerer = LocalAnswerer("unused.gguf", llm=llama)
    first, second = answerer.chat(MESSAGES), answerer.chat(MESSAGES)
    assert next(first).strip() == "word0"  # the first session holds the model
    got: list[tuple[float, str]] = []
    thread = start(collect, second, got)
    wait_until(lambda: bool(got))
    assert isinstance(got[0][1], Waiting) and got[0][1].ahead == 1 and got[0][1] == ""
    rest = "".join(first)
    thread.join(10)
    assert rest.split() == WORDS[1:10]
    assert "".join(p for _, p in got).split() == WORDS[:10], "waiting pieces add no text"
    assert llama.overlaps == 0


def test_a_closed_stream_stops_generating_and_frees_the_model_at_once() -> None:
    llama = SlowLlama(WORDS, delay=0.05)  # 2 s for the whole reply
    answerer = LocalAnswerer("unused.gguf", llm=llama)
    first = answerer.chat(MESSAGES)
    next(first), next(first)
    got: list[tuple[float, str]] = []
    thread = start(collect, answerer.chat(MESSAGES), got)
    wait_until(lambda: bool(got))
    closed_at = time.perf_counter()
    first.close()  # what Gradio does when the browser goes away (GeneratorExit)
    assert llama.generated == 2, "no word generated after the close"
    wait_until(lambda: any(p.strip() for _, p in got))
    started = next(t for t, p in got if p.strip()) - closed_at
    assert started < POLL_S + 0.05 + MARGIN_S, f"the next session waited {started:.2f} s for a free model"
    thread.join(10)
    assert llama.overlaps == 0 and len(answerer.queue) == 0


def test_a_stream_closed_while_waiting_leaves_the_queue() -> None:
    answerer = LocalAnswerer("unused.gguf", llm=SlowLlama(WORDS[:5], delay=0.05), queue=ModelQueue(poll=0.05))
    first = answerer.chat(MESSAGES)
    next(first)
    waiting = answerer.chat(MESSAGES)
    assert isinstance(next(waiting), Waiting) and len(answerer.queue) == 2
    waiting.close()
    assert len(answerer.queue) == 1
    "".join(first)
    assert len(answerer.queue) == 0


# -- the chat window's handlers ------------------------------------------------------------
@pytest.fixture
def indexed(corpus: Path, index_settings: IndexSettings) -> Settings:
    run_index(corpus, index_settings, HashingEmbedder())
    return Settings(index=index_settings, answerer="local")


def handlers_with(settings: Settings, answerer: Any) -> Any:
    from ui.app import Assistants, Handlers

    # abstain_threshold=0: always answer, so the LLM runs
    bot = Assistant(
        settings, embedder=HashingEmbedder(), scorer=LexicalScorer(), answerer=answerer, abstain_threshold=0.0
    )
    return Handlers(settings, Assistants(settings, base=bot))


def contents(update: tuple[Any, ...]) -> str:
    return str(update[0][-1]["content"])


def test_the_chat_shows_a_waiting_session_its_place_and_a_closed_tab_frees_the_model(indexed: Settings) -> None:
    from ui.app import Session

    llama = SlowLlama(WORDS, delay=0.05)
    handlers = handlers_with(indexed, LocalAnswerer("unused.gguf", llm=llama))
    question = "How many US troops are deployed in Iraq?"
    first = handlers.respond(question, "local", 6, [], Session())
    while "word1" not in contents(next(first)):  # streaming its draft
        pass
    updates: list[tuple[float, str]] = []

    def second() -> None:
        for update in handlers.respond(question, "local", 6, [], Session()):
            updates.append((time.perf_counter(), contents(update)))

    thread = start(second)
    wait_until(lambda: any("1 ahead of you" in text for _, text in updates))
    closed_at = time.perf_counter()
    first.close()  # the first tab is closed mid-answer
    generated = llama.generated
    thread.join(30)
    drafts = [t for t, text in updates if "word0" in text]
    assert drafts and drafts[0] - closed_at < POLL_S + 0.05 + MARGIN_S
    assert llama.generated == generated + len(WORDS), "the closed answer stopped generating"
    assert llama.overlaps == 0
    assert "ahead of you" not in updates[-1][1], "the second session got its final answer"


def test_building_an_assistant_holds_up_neither_status_nor_other_answerers(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.app import Session

    building, release = threading.Event(), threading.Event()

    def slow_factory(settings: Settings) -> Any:  # like loading a big model
        building.set()
        release.wait(30)
        return LocalAnswerer("unused.gguf", llm=SlowLlama(WORDS[:3], delay=0.01))

    monkeypatch.setitem(ANSWERERS, "slow", slow_factory)  # registered like a real backend
    handlers = handlers_with(indexed.with_(answerer="extractive"), None)
    thread = start(handlers.assistants.get, "slow")
    try:
        assert building.wait(10)
        started = time.perf_counter()
        assert "error" not in handlers.status().lower()
        *_, last = handlers.respond("How many US troops are deployed in Iraq?", "extractive", 6, [], Session())
        assert "2,500" in str(last[0]), "an extractive answer"
        assert time.perf_counter() - started < 20 and thread.is_alive(), "answered while the build went on"
    finally:
        release.set()
        thread.join(10)


def test_once_builds_each_key_once_and_retries_a_failed_build() -> None:
    once: Once[str, int] = Once()
    calls: list[str] = []
    gate = threading.Event()

    def build(key: str, value: int) -> Callable[[], int]:
        def run() -> int:
            calls.append(key)
            if key == "slow":
                gate.wait(5)
            return value

        return run

    results: list[int] = []
    threads = [start(lambda: results.append(once.get("slow", build("slow", 1)))) for _ in range(3)]
    wait_until(lambda: calls == ["slow"])
    assert once.get("fast", build("fast", 2)) == 2, "another key is not held up"
    gate.set()
    for thread in threads:
        thread.join(5)
    assert results == [1, 1, 1] and calls == ["slow", "fast"]

    def fail() -> int:
        raise RuntimeError("no model")

    with pytest.raises(RuntimeError):
        once.get("broken", fail)
    assert once.get("broken", build("broken", 3)) == 3


@pytest.mark.slow
def test_the_bundled_model_is_shared_in_turns_and_freed_by_a_closed_stream() -> None:
    from tests.llm_fixtures import local_gguf

    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (make install-local)")
    answerer = LocalAnswerer(os.environ.get("ASSISTANT_LOCAL_MODEL") or str(local_gguf()))
    long_reply = [{"role": "user", "content": "Count from 1 to 100, one number per line."}]
    first = answerer.chat(long_reply, max_tokens=150)
    pieces = [next(first)]
    while not any(p.strip() for p in pieces):  # Waiting(0, loading) first, then text
        pieces.append(next(first))
    got: list[tuple[float, str]] = []
    thread = start(collect, answerer.chat(MESSAGES, max_tokens=8), got)
    wait_until(lambda: bool(got), timeout=30)
    assert isinstance(got[0][1], Waiting) and got[0][1].ahead == 1
    closed_at = time.perf_counter()
    first.close()
    thread.join(120)
    text_at = next(t for t, p in got if p.strip())
    # The second prompt is evaluated from scratch (~40 tokens): a few seconds at most on 2 cores.
    assert text_at - closed_at < 15, f"the freed model took {text_at - closed_at:.1f} s to answer the next session"
    assert len(answerer.queue) == 0
