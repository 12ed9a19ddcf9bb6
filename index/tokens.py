"""Token counting with tiktoken, offline: cl100k_base built from the file llama-index-core ships.

tiktoken's own `get_encoding` looks for its BPE file in the folder named by the environment
variable TIKTOKEN_CACHE_DIR and downloads it otherwise. Rather than set that variable for the
whole process, the encoding is constructed here from the bundled file (checked against
tiktoken's published sha256), with tiktoken's public `Encoding` class. llama-index's own token
counting (`llama_index.core.utils.get_tokenizer`) finds the same folder by itself.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from index.errors import ModelError

if TYPE_CHECKING:
    import tiktoken

ENCODING = "cl100k_base"  # the encoding llama-index counts with; close to most chat models
# tiktoken_ext/openai_public.py's definition of cl100k_base (tests/test_llama_index_seam.py holds
# this copy to tiktoken's own, loaded through its registry): where the file comes from, its
# digest, the split pattern and the special tokens.
_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
_PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)
_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
_FIX = "reinstall llama-index-core==0.14.25 (it carries the file)"


def tiktoken_cache_dir() -> Path | None:
    """llama-index-core ships cl100k_base and o200k_base here; None if it is missing."""
    spec = importlib.util.find_spec("llama_index")
    for root in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(root) / "core" / "_static" / "tiktoken_cache"
        if folder.is_dir() and any(folder.iterdir()):
            return folder
    return None


def bundled_bpe_file() -> Path:
    """The cl100k_base BPE file in llama-index-core's cache (named, as tiktoken names its cache
    entries, by the sha1 of the file's URL); ModelError with the fix when it is missing."""
    folder = tiktoken_cache_dir()
    path = folder / hashlib.sha1(_URL.encode()).hexdigest() if folder else None
    if path is None or not path.is_file():
        raise ModelError(f"tiktoken's {ENCODING} file is not in llama-index-core's cache; {_FIX}")
    return path


def load_ranks(path: Path) -> dict[bytes, int]:
    """A .tiktoken file's merge ranks (one "base64-token rank" per line), after checking its digest."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != _SHA256:
        raise ModelError(f"{path} is not tiktoken's {ENCODING} file (its sha256 differs); {_FIX}")
    ranks = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """cl100k_base, built once from the bundled file; nothing is downloaded or set globally."""
    import tiktoken

    ranks = load_ranks(bundled_bpe_file())
    return tiktoken.Encoding(ENCODING, pat_str=_PATTERN, mergeable_ranks=ranks, special_tokens=_SPECIAL)


def count_tokens(text: str) -> int:
    """Number of cl100k_base tokens in `text`."""
    return len(encoding().encode(text, disallowed_special=()))


def count_tokens_batch(texts: list[str]) -> list[int]:
    """Token counts for many texts at once (tiktoken batches across threads)."""
    return [len(ids) for ids in encoding().encode_batch(texts, disallowed_special=())]
