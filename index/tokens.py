"""Token counting with tiktoken, offline: the BPE files come from llama-index-core's cache."""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

from index.errors import ModelError

ENCODING = "cl100k_base"  # the encoding llama-index counts with; close to most chat models


def tiktoken_cache_dir() -> Path | None:
    """llama-index-core ships cl100k_base and o200k_base here; None if it is missing."""
    spec = importlib.util.find_spec("llama_index")
    for root in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(root) / "core" / "_static" / "tiktoken_cache"
        if folder.is_dir() and any(folder.iterdir()):
            return folder
    return None


def ensure_offline_cache() -> None:
    """Point tiktoken at the bundled files before first use (it downloads otherwise).

    setdefault: a user who set TIKTOKEN_CACHE_DIR on purpose keeps theirs.
    """
    folder = tiktoken_cache_dir()
    if folder is not None:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(folder))


@lru_cache(maxsize=1)
def encoding():  # type: ignore[no-untyped-def]
    ensure_offline_cache()
    import tiktoken

    try:
        return tiktoken.get_encoding(ENCODING)
    except Exception as exc:  # tiktoken raises plain Exceptions when it cannot download
        raise ModelError(
            f"tiktoken could not load {ENCODING} offline ({exc}); reinstall llama-index-core "
            "(it carries the file) or set TIKTOKEN_CACHE_DIR to a folder that holds it"
        ) from exc


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in `text`."""
    return len(encoding().encode(text, disallowed_special=()))


def count_tokens_batch(texts: list[str]) -> list[int]:
    """Token counts for many texts at once (tiktoken batches across threads)."""
    return [len(ids) for ids in encoding().encode_batch(texts, disallowed_special=())]
