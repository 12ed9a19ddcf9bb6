"""Embeddings from an OpenAI-compatible server (`POST {url}/embeddings`): text-embeddings-inference,
vLLM, Ollama, llama.cpp's server or OpenAI itself, so a big folder can be embedded on a GPU box.

The index fingerprint records the model the server says it served and the vectors' dimension
(`endpoint/<model>/dim<n>`), never the URL: the same model behind another address gives the same
vectors, while another model asks for a rebuild instead of mixing vectors.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from index.errors import ConfigError, ModelError

if TYPE_CHECKING:
    from index.settings import IndexSettings

REQUEST_TEXTS = 32  # texts per request: small enough for any server's batch limit
PROBE_TEXT = "dimension probe"


class EndpointEmbedder:
    """Vectors from a `/v1/embeddings` server; rows L2-normalised here, whatever the server does."""

    def __init__(self, url: str, model: str, *, api_key: str = "", timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.model = model
        self.name = f"endpoint:{model}"
        self._api_key = api_key
        self._timeout = timeout
        self._served: tuple[str, int] | None = None  # (model the server reports, dim), from the first reply
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: IndexSettings) -> EndpointEmbedder:
        if not settings.embed_url:
            raise ConfigError("set ASSISTANT_EMBED_URL to the embeddings server's base URL, e.g. http://gpu:8080/v1")
        return cls(
            settings.embed_url, settings.embed_model, api_key=settings.embed_api_key, timeout=settings.embed_timeout
        )

    @property
    def dim(self) -> int:
        return self._describe()[1]

    def fingerprint(self) -> str:
        served, dim = self._describe()
        return f"endpoint/{served}/dim{dim}"

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        rows = [self._request(list(texts[i : i + REQUEST_TEXTS])) for i in range(0, len(texts), REQUEST_TEXTS)]
        if not rows:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.concatenate(rows)

    def embed_query(self, text: str) -> np.ndarray:
        return self._request([text])[0]

    def _describe(self) -> tuple[str, int]:
        """(model the server reports, dimension): asked once, with a one-text request."""
        with self._lock:
            if self._served is None:
                self._request([PROBE_TEXT])
            assert self._served is not None
            return self._served

    def _request(self, texts: list[str]) -> np.ndarray:
        body = self._post({"model": self.model, "input": texts, "encoding_format": "float"})
        rows = _vectors(body, len(texts), self.url)
        if self._served is None:
            self._served = (str(body.get("model") or self.model), rows.shape[1])
        elif rows.shape[1] != self._served[1]:
            raise ModelError(f"the embeddings server at {self.url} changed its vectors' size ({rows.shape[1]})")
        return rows

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        import httpx

        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        where = f"{self.url}/embeddings"
        try:
            reply = httpx.post(where, json=payload, headers=headers, timeout=self._timeout)
        except httpx.TimeoutException as exc:
            raise ModelError(
                f"the embeddings server at {self.url} did not answer within {self._timeout:g} s; "
                "check that it is not overloaded, or raise ASSISTANT_EMBED_TIMEOUT"
            ) from exc
        except httpx.HTTPError as exc:
            raise ModelError(
                f"cannot reach the embeddings server at {self.url} ({exc}); start it (e.g. "
                "`python -m llama_cpp.server --model M.gguf --embedding true`) or fix ASSISTANT_EMBED_URL"
            ) from exc
        if reply.status_code != 200:
            raise ModelError(
                f"the embeddings server at {where} answered HTTP {reply.status_code}: {reply.text[:200]!r}; "
                "check ASSISTANT_EMBED_URL (it ends in /v1), ASSISTANT_EMBED_MODEL and ASSISTANT_EMBED_API_KEY"
            )
        try:
            body = reply.json()
        except ValueError as exc:
            raise ModelError(f"{where} did not answer JSON; is ASSISTANT_EMBED_URL an embeddings server?") from exc
        return body if isinstance(body, dict) else {}


def _pooled(vector: np.ndarray) -> np.ndarray:
    """One vector per text. A server without pooling (llama.cpp serving a chat GGUF, whose model
    declares none) returns one vector per token: those are averaged, as mean-pooling models do."""
    return vector.mean(axis=0) if vector.ndim == 2 else vector


def _vectors(body: dict[str, Any], expected: int, url: str) -> np.ndarray:
    """The reply's rows in input order, L2-normalised; ModelError if they are not one per text."""
    data = body.get("data")
    if not isinstance(data, list) or len(data) != expected:
        got = len(data) if isinstance(data, list) else "no"
        raise ModelError(f"the embeddings server at {url} returned {got} vectors for {expected} texts")
    ordered = sorted(data, key=lambda item: int(item.get("index", 0)))
    try:
        rows = np.stack([_pooled(np.asarray(item["embedding"], dtype=np.float32)) for item in ordered])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"the embeddings server at {url} returned malformed vectors ({exc})") from exc
    if rows.ndim != 2 or rows.shape[1] == 0:
        raise ModelError(f"the embeddings server at {url} returned vectors of shape {rows.shape}")
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.maximum(norms, 1e-12)).astype(np.float32)
