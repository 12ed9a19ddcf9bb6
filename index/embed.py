"""Text -> unit-length vectors: bundled ONNX embedders, a hashing fake for tests, a llama-index adapter."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from index.errors import ConfigError
from index.models import BundledModel, Lazy, LoadedModel, load, model_sha256, resolve

_WORD = re.compile(r"[^\W_]+")  # runs of letters/digits: punctuation and underscores split words


class Embedder(Protocol):
    """Makes the vectors of one index; rows are float32 and L2-normalised (dot = cosine)."""

    name: str
    dim: int

    def fingerprint(self) -> str:
        """Identifies the vectors it makes; two embedders with equal fingerprints are interchangeable."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, one unit row per text, in input order."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32 unit vector for a search query."""
        ...


def words(text: str) -> list[str]:
    """Lower-cased words with punctuation stripped: "U.S. troops!" -> ["u", "s", "troops"]."""
    return _WORD.findall(text.casefold())


def _normalise(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


# --- ONNX ---------------------------------------------------------------------------------


def pool(hidden: np.ndarray, mask: np.ndarray, pooling: str) -> np.ndarray:
    """(batch, seq, dim) token states -> (batch, dim): the [CLS] state or the mask-weighted mean."""
    if hidden.ndim == 2:  # an export that pools inside the graph
        return hidden
    if pooling == "cls":
        return hidden[:, 0]
    weights = mask[..., None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


class OnnxEmbedder:
    """A bundled BERT-style ONNX embedder; the session is opened on first use (thread-safe).

    `None` arguments take the model's defaults: its measured batch size (1 for bge, whose batched
    vectors depend on their batch mates) and its query prefix (bge's search instruction; none
    for MiniLM).
    """

    def __init__(self, model: BundledModel, batch_size: int | None = None, query_prefix: str | None = None) -> None:
        self.model = model
        self.name = model.name
        self.dim = model.dim
        self.batch_size = batch_size or model.batch_size
        self.query_prefix = model.query_prefix if query_prefix is None else query_prefix
        self._loaded: Lazy[LoadedModel] = Lazy(lambda: load(model))

    def fingerprint(self) -> str:
        onnx = model_sha256(self.model.onnx_path)[:12]
        tokenizer = model_sha256(self.model.tokenizer_path)[:8]
        prefix = _short_hash(self.query_prefix) if self.query_prefix else "none"
        return f"{self.name}/onnx={onnx}/tok={tokenizer}/{self.model.pooling}/max{self.model.max_tokens}/qp={prefix}"

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Similar lengths in one batch means little padding; character count is a good enough
        # proxy for token count and needs no extra tokenising pass.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._embed_batch([texts[i] for i in rows])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([self.query_prefix + text])[0]

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        loaded = self._loaded.get()
        encodings = loaded.tokenizer.encode_batch(texts)
        hidden = loaded.run(encodings)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return _normalise(pool(hidden, mask, self.model.pooling))


# --- hashing fake -------------------------------------------------------------------------


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


# --- registry -----------------------------------------------------------------------------

EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    "bge-small-en-v1.5": lambda: OnnxEmbedder(resolve("bge-small-en-v1.5")),
    "all-MiniLM-L6-v2": lambda: OnnxEmbedder(resolve("all-MiniLM-L6-v2")),
    "hashing": HashingEmbedder,
}


def make_embedder(name: str) -> Embedder:
    """The embedder registered as `name`; ConfigError lists the choices, ModelError if files are missing."""
    factory = EMBEDDERS.get(name)
    if factory is None:
        raise ConfigError(f"unknown embedding model {name!r}; choose one of: {', '.join(EMBEDDERS)}")
    return factory()


# --- llama-index adapter ------------------------------------------------------------------


@lru_cache(maxsize=1)
def _llama_index_adapter() -> type:
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from llama_index.core.bridge.pydantic import PrivateAttr

    class LlamaIndexEmbedding(BaseEmbedding):
        """Any Embedder as a llama-index embedding model: a VectorStoreIndex over an index built
        by `assistant index` (assistant/integrations/llama_index_store.py), the baseline bench."""

        _embedder: Any = PrivateAttr()

        def __init__(self, embedder: Embedder, embed_batch_size: int = 32, **kwargs: Any) -> None:
            super().__init__(model_name=embedder.name, embed_batch_size=embed_batch_size, **kwargs)
            self._embedder = embedder

        @classmethod
        def class_name(cls) -> str:
            return "LlamaIndexEmbedding"

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed_query(query).tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed_documents([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed_documents(texts).tolist()

    LlamaIndexEmbedding.__module__ = __name__
    return LlamaIndexEmbedding


def llama_index_embedding(embedder: Embedder, embed_batch_size: int = 32) -> Any:
    """`embedder` as a llama-index `BaseEmbedding` (queries get its query prefix, as in our search)."""
    return _llama_index_adapter()(embedder, embed_batch_size=embed_batch_size)


def __getattr__(name: str) -> Any:
    # `LlamaIndexEmbedding` is built on first access: importing llama-index costs ~1.8 s and only
    # the llama-index seams and the baseline benchmark need it, while every indexing run imports
    # this module.
    if name == "LlamaIndexEmbedding":
        return _llama_index_adapter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
