"""Test doubles, registered or passed in where the product takes a real backend, and builders of
passages and evidence for answer-side unit tests (no model, no store).

FakeAnswerer  an Answerer: replies from a queue, logs each prompt; registered as "fake"
LexicalScorer a Scorer (in place of the cross-encoder): the share of query words a text holds
SlowLlama     a loaded llama_cpp.Llama stand-in that streams slowly (the model queue's tests)
HashingEmbedder  an Embedder: signed feature hashing of words; registered as "hashing"
"""

from __future__ import annotations

import hashlib
from collections.abc import Generator, Iterator, Sequence
from typing import Any

import numpy as np

from assistant.answering.llm import ANSWERERS, register_answerer
from assistant.answering.model_queue import Waiting
from assistant.answering.prompts import answer_messages
from assistant.types import Evidence, Passage
from index.embed import register_embedder, words
from index.types import Location

FAKE_ANSWERER = "fake"


class FakeAnswerer:
    """A deterministic LLM stand-in: replies from a queue (then nothing) and logs every prompt."""

    def __init__(self, replies: Sequence[str] = (), name: str = FAKE_ANSWERER) -> None:
        self.name = name
        self.replies = list(replies)
        self.prompts: list[list[dict[str, str]]] = []  # the chat messages a real LLM would get

    def generate(self, question: str, evidence: Sequence[Evidence], *, query: str | None = None) -> Iterator[str]:
        self.prompts.append(answer_messages(question, evidence, query))
        reply = self.replies.pop(0) if self.replies else ""
        for word in reply.split(" "):
            yield word + " "


class LexicalScorer:
    """Deterministic model-free Scorer: the share of distinct query words found in the text (0..1)."""

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        wanted = set(words(query))
        if not wanted:
            return np.zeros(len(texts), dtype=np.float32)
        return np.array([len(wanted & set(words(t))) / len(wanted) for t in texts], dtype=np.float32)


def register_fakes() -> None:
    """Register the fake answerer by name, as the real ones are (once per test session)."""
    if FAKE_ANSWERER not in ANSWERERS:
        register_answerer(FAKE_ANSWERER, lambda settings: FakeAnswerer())


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
    (as assistant.retrieval.windows builds it)."""
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


# --- the hashing embedder (registered as "hashing" by tests/conftest.py) ---------------------


class HashingEmbedder:
    """Deterministic, model-free vectors for tests: signed feature hashing of words and word pairs.

    Texts sharing words are closer. A text with no words (or whose features cancel out) maps to
    the first basis vector e0, so every output is a unit vector and never all zeros.
    """

    def __init__(self, dim: int = 256) -> None:
        self.name = "hashing"
        self.dim = dim

    def fingerprint(self) -> str:
        return f"hashing/dim{self.dim}/v1"

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self._vector(t) for t in texts], dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def _vector(self, text: str) -> np.ndarray:
        tokens = words(text)
        features = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        vector = np.zeros(self.dim, dtype=np.float64)
        for feature in features:
            # blake2b, not hash(): Python salts str hashes per process.
            h = int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest(), "big")
            vector[h % self.dim] += 1.0 if (h >> 63) & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            vector[0], norm = 1.0, 1.0
        return (vector / norm).astype(np.float32)


def register_fake_embedders() -> None:
    """Make "hashing" selectable by name (ASSISTANT_EMBED_MODEL=hashing) in this process only."""
    register_embedder("hashing", lambda _settings: HashingEmbedder())


class FakeJudge:
    """An answerability judge stand-in (assistant.answering.judge.Judge): +3 when some context
    holds every word of `answers_with`, else -3; logs what it was shown."""

    def __init__(self, answers_with: str = "", *, ahead: int = 0) -> None:
        self.wanted = set(words(answers_with))
        self.calls: list[tuple[str, list[str]]] = []
        self.ahead = ahead  # `judging` waits behind this many users of a shared model first

    def __call__(self, question: str, contexts: Sequence[str]) -> float:
        self.calls.append((question, list(contexts)))
        return 3.0 if any(self.wanted <= set(words(c)) for c in contexts) else -3.0

    def judging(self, question: str, contexts: Sequence[str]) -> Generator[Waiting, None, float]:
        for ahead in range(self.ahead, 0, -1):
            yield Waiting(ahead)
        return self(question, contexts)
