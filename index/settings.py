"""Settings that shape and locate the index, read from an injected environment mapping."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from index.errors import ConfigError

DEFAULT_HOME = ".assistant"  # relative to the working folder
DEFAULT_COLLECTION = "documents"
DEFAULT_EMBED_MODEL = "bge-small-en-v1.5"
DEFAULT_CHUNK_TOKENS = 256  # ~190 words; chosen by measurement, see README "Chunking"
DEFAULT_CHUNK_OVERLAP = 48  # ~1-2 sentences carried into the next chunk
DEFAULT_MAX_FILE_MB = 20.0  # ~5M tokens of plain text; larger files are skipped with a reason
DEFAULT_LOCK_TIMEOUT = 10.0  # seconds a second writer waits before giving up
DEFAULT_EMBED_TIMEOUT = 60.0  # seconds per request to an embeddings server (32 texts)
DEFAULT_OCR_LANGUAGES = "eng"  # Tesseract's language codes, "+"-joined: "eng+deu"
OCR_LANGUAGES = re.compile(r"^[a-z_]{3,20}(\+[a-z_]{3,20})*$")  # "eng", "eng+deu", "chi_sim"
COLLECTION_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,500}[a-zA-Z0-9]$")  # Chroma's rule


def _get(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip()
    return value if value else default


def _embed_model(env: Mapping[str, str]) -> str:
    """The bundled default, except with a server: there the model must be named (what it serves)."""
    if env.get("ASSISTANT_EMBED_URL", "").strip() and not env.get("ASSISTANT_EMBED_MODEL", "").strip():
        raise ConfigError(
            "ASSISTANT_EMBED_URL is set but ASSISTANT_EMBED_MODEL is not; set it to the model the server "
            "serves (e.g. nomic-embed-text for Ollama); it is recorded with the index"
        )
    return _get(env, "ASSISTANT_EMBED_MODEL", DEFAULT_EMBED_MODEL)


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = _get(env, name, str(default))
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a number; set it to e.g. {default}") from exc
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum}")
    return value


@dataclass(frozen=True)
class IndexSettings:
    """Where the index lives and what shapes its vectors."""

    home: Path = Path(DEFAULT_HOME)
    collection: str = DEFAULT_COLLECTION
    chroma_host: str | None = None  # server mode when set
    chroma_port: int = 8000
    chroma_ssl: bool = False
    embed_model: str = DEFAULT_EMBED_MODEL  # a bundled model's name, or the server's model with embed_url
    embed_url: str | None = None  # an OpenAI-compatible server's base URL (".../v1"); None = local models
    embed_api_key: str = field(default="", repr=False)  # sent as a Bearer token when set
    embed_timeout: float = DEFAULT_EMBED_TIMEOUT
    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    chunk_overlap: int = DEFAULT_CHUNK_OVERLAP
    max_file_mb: float = DEFAULT_MAX_FILE_MB
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ocr_languages: str = DEFAULT_OCR_LANGUAGES

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IndexSettings:
        """Read ASSISTANT_* and CHROMA_* variables; raise ConfigError on a bad value."""
        chunk_tokens = int(_number(env, "ASSISTANT_CHUNK_TOKENS", DEFAULT_CHUNK_TOKENS, minimum=32))
        overlap = int(_number(env, "ASSISTANT_CHUNK_OVERLAP", DEFAULT_CHUNK_OVERLAP, minimum=0))
        if overlap >= chunk_tokens // 2:
            raise ConfigError(
                f"ASSISTANT_CHUNK_OVERLAP={overlap} must be under half of ASSISTANT_CHUNK_TOKENS={chunk_tokens}"
            )
        settings = cls(
            home=Path(_get(env, "ASSISTANT_HOME", DEFAULT_HOME)).expanduser(),
            collection=_get(env, "ASSISTANT_COLLECTION", DEFAULT_COLLECTION),
            chroma_host=env.get("CHROMA_HOST", "").strip() or None,
            chroma_port=int(_number(env, "CHROMA_PORT", 8000, minimum=1)),
            chroma_ssl=_get(env, "CHROMA_SSL", "false").lower() in {"1", "true", "yes"},
            embed_model=_embed_model(env),
            embed_url=env.get("ASSISTANT_EMBED_URL", "").strip().rstrip("/") or None,
            embed_api_key=env.get("ASSISTANT_EMBED_API_KEY", "").strip(),
            embed_timeout=_number(env, "ASSISTANT_EMBED_TIMEOUT", DEFAULT_EMBED_TIMEOUT, minimum=1),
            chunk_tokens=chunk_tokens,
            chunk_overlap=overlap,
            max_file_mb=_number(env, "ASSISTANT_MAX_FILE_MB", DEFAULT_MAX_FILE_MB, minimum=0.001),
            lock_timeout=_number(env, "ASSISTANT_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT, minimum=0),
            ocr_languages=_get(env, "ASSISTANT_OCR_LANG", DEFAULT_OCR_LANGUAGES),
        )
        settings.validate()
        return settings

    def validate(self) -> None:
        self._validate_embedder()
        if not OCR_LANGUAGES.match(self.ocr_languages):
            raise ConfigError(
                f"ASSISTANT_OCR_LANG={self.ocr_languages!r} is not a list of Tesseract languages; "
                "use codes joined by '+', e.g. eng or eng+deu"
            )
        if not COLLECTION_NAME.match(self.collection):
            raise ConfigError(
                f"ASSISTANT_COLLECTION={self.collection!r} is not a valid Chroma name: "
                "use 3-500 characters of letters, digits, '.', '_' or '-'"
            )

    def _validate_embedder(self) -> None:
        if self.embed_url:
            if not self.embed_url.startswith(("http://", "https://")):
                raise ConfigError(
                    f"ASSISTANT_EMBED_URL={self.embed_url!r} is not an http(s) URL; "
                    "set it to the server's base URL, e.g. http://gpu-box:8080/v1"
                )
            return
        from index.embed import embedder_names

        if self.embed_model not in embedder_names():
            raise ConfigError(
                f"ASSISTANT_EMBED_MODEL={self.embed_model!r} is not a bundled embedding model; "
                f"choose one of: {', '.join(embedder_names())}, or set ASSISTANT_EMBED_URL to a server that serves it"
            )

    @property
    def server_mode(self) -> bool:
        return self.chroma_host is not None

    @property
    def store_label(self) -> str:
        """Where the vectors are, in words: a server URL or the embedded folder."""
        if self.chroma_host:
            scheme = "https" if self.chroma_ssl else "http"
            return f"chroma server {scheme}://{self.chroma_host}:{self.chroma_port}"
        return f"embedded chroma at {self.home / 'chroma'}"

    def with_(self, **changes: Any) -> IndexSettings:
        """A copy with some fields changed (tests, CLI overrides)."""
        return replace(self, **changes)
