"""Builders for answer-side unit tests: passages and evidence without a model or a store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.types import Evidence, Passage
from index.types import Location


def passage(text: str, doc_id: str = "doc.txt", chunk_id: str = "c1", start: int = 0) -> Passage:
    return Passage(chunk_id, doc_id, "A title", text, Location("lines", 1, 3), start, start + len(text))


def evidence(*sentences: str, score: float = 5.0) -> list[Evidence]:
    items = []
    for n, sentence in enumerate(sentences, start=1):
        p = passage(sentence, doc_id=f"doc{n}.txt", chunk_id=f"c{n}", start=100 * n)
        items.append(
            Evidence(n, p, sentence, sentence, 100 * n, 100 * n + len(sentence), score - n, Location("lines", n, n))
        )
    return items


def evidence_after(previous: str, sentence: str, n: int = 1, start: int = 100) -> Evidence:
    """Evidence `n` whose sentence follows `previous` in one paragraph; its context holds both
    (as assistant.windows builds it)."""
    text = f"{previous} {sentence}" if previous else sentence
    p = passage(text, doc_id=f"doc{n}.txt", chunk_id=f"c{n}", start=start)
    at = start + len(text) - len(sentence)
    return Evidence(n, p, sentence, text, at, at + len(sentence), 5.0, Location("lines", 1, 1))


class SlowLlama:
    """Stands in for a loaded llama_cpp.Llama: streams `words` one every `delay` seconds, and
    counts the words it generated (a stream closed early must stop generating)."""

    def __init__(self, words: list[str], delay: float = 0.05) -> None:
        self.words = words
        self.delay = delay
        self.generated = 0
        self.running = 0  # generations in progress now: the model is not re-entrant
        self.overlaps = 0  # times a generation started while another ran

    def create_chat_completion(self, **_: object) -> Iterator[dict[str, Any]]:
        import time

        self.running += 1
        self.overlaps += self.running > 1
        try:
            for word in self.words:
                time.sleep(self.delay)
                self.generated += 1
                yield {"choices": [{"delta": {"content": word + " "}}]}
        finally:
            self.running -= 1
