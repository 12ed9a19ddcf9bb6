"""Writing files so that a reader never sees half of one, even with several writers at once."""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def private_sibling(path: Path, tag: str) -> Path:
    """A name beside `path` that no other writer (process or thread) will pick."""
    return path.with_name(f".{path.name}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary sibling of this writer's own, then rename it over `path`:
    a reader sees the old file or the new one, and two writers never share a temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = private_sibling(path, "tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
