"""Text -> unit-length vectors: bundled ONNX embedders, the registry that names them, a llama-index adapter."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from index.errors import ConfigError
from index.models import BundledModel, LoadedModel, Sessions, model_sha256, resolve
from index.quantize import REWRITE_VERSION

if TYPE_CHECKING:
    from index.settings import IndexSettings

_WORD = re.compile(r"[^\W_]+")  # runs of letters/digits: punctuation and underscores split words


class Embedder(Protocol):
    """Makes the vectors of one index; rows are float32 and L2-normalised (dot = cosine)."""

    @property
    def name(self) -> str:
        """Recorded with the index (`embed_model` of its fingerprint)."""
        ...

    @property
    def dim(self) -> int:
        """The vectors' length."""
        ...

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
    vectors depend on their batch mates unless its graph is rewritten per token, index/quantize.py)
    and its query prefix (bge's search instruction; none for MiniLM).
    """

    def __init__(
        self,
        model: BundledModel,
        batch_size: int | None = None,
        query_prefix: str | None = None,
        workers: int | None = None,
    ) -> None:
        self.model = model
        self.name = model.name
        self.dim = model.dim
        self.batch_size = batch_size or model.batch_size
        self.query_prefix = model.query_prefix if query_prefix is None else query_prefix
        self.sessions = Sessions(model, workers=workers)  # opened on first use

    def fingerprint(self) -> str:
        onnx = model_sha256(self.model.onnx_path)[:12]
        tokenizer = model_sha256(self.model.tokenizer_path)[:8]
        prefix = _short_hash(self.query_prefix) if self.query_prefix else "none"
        base = f"{self.name}/onnx={onnx}/tok={tokenizer}/{self.model.pooling}/max{self.model.max_tokens}/qp={prefix}"
        return f"{base}/act={REWRITE_VERSION}" if self.model.per_token else base

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        # Similar lengths in one batch means little padding; character count is a good enough
        # proxy for token count and needs no extra tokenising pass.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size)]
        vectors = self.sessions.map(self._embed_batch, [[texts[i] for i in rows] for rows in batches])
        for rows, rows_vectors in zip(batches, vectors, strict=True):
            out[rows] = rows_vectors
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([self.query_prefix + text])[0]

    def _embed_batch(self, loaded: LoadedModel, texts: list[str]) -> np.ndarray:
        encodings = loaded.tokenizer.encode_batch(texts)
        hidden = loaded.run(encodings)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        return _normalise(pool(hidden, mask, self.model.pooling))


# --- registry -----------------------------------------------------------------------------

EmbedderFactory = Callable[["IndexSettings"], Embedder]

# Name -> factory; the bundled models, plus whatever `register_embedder` adds (the tests' fakes).
# An embeddings server (ASSISTANT_EMBED_URL) is not a name here: any model it serves is allowed.
EMBEDDERS: dict[str, EmbedderFactory] = {
    "bge-small-en-v1.5": lambda _settings: OnnxEmbedder(resolve("bge-small-en-v1.5")),
    "all-MiniLM-L6-v2": lambda _settings: OnnxEmbedder(resolve("all-MiniLM-L6-v2")),
}


def register_embedder(name: str, factory: EmbedderFactory) -> None:
    """Make `factory(settings)` selectable as ASSISTANT_EMBED_MODEL=`name` in this process."""
    EMBEDDERS[name] = factory


def embedder_names() -> tuple[str, ...]:
    """The names ASSISTANT_EMBED_MODEL accepts when no embeddings server is configured."""
    return tuple(EMBEDDERS)


def make_embedder(choice: str | IndexSettings) -> Embedder:
    """The embedder the settings (or a bare model name) select.

    With `embed_url` set, a client of that OpenAI-compatible server (index/embed_remote.py);
    otherwise the registered model named `embed_model`. Raises ConfigError listing the choices
    for an unknown name, ModelError when a bundled model's files are missing.
    """
    from index.settings import IndexSettings

    settings = IndexSettings(embed_model=choice) if isinstance(choice, str) else choice
    if settings.embed_url:
        from index.embed_remote import EndpointEmbedder

        return EndpointEmbedder.from_settings(settings)
    factory = EMBEDDERS.get(settings.embed_model)
    if factory is None:
        raise ConfigError(
            f"unknown embedding model {settings.embed_model!r}; choose one of: {', '.join(EMBEDDERS)} "
            "(or set ASSISTANT_EMBED_URL to use an embeddings server)"
        )
    return factory(settings)


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
