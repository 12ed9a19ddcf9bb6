"""Walking a corpus folder: which files to read, and why the others are skipped."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from index.errors import ConfigError
from index.load import SUPPORTED_SUFFIXES
from index.types import Skipped


@dataclass(frozen=True)
class Found:
    """A candidate file: where it is and its stable id (path relative to the root)."""

    path: Path
    doc_id: str
    size: int


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$") or name in {"Thumbs.db", "desktop.ini"}


def _check_file(path: Path, root: Path) -> Found | Skipped:
    rel = path.relative_to(root).as_posix()
    if _is_hidden(path.name):
        return Skipped(rel, "hidden or system file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
        return Skipped(rel, f"unsupported file type {suffix or '(none)'}; supported: {kinds}")
    try:
        info = path.stat()  # follows symlinks: a loop or dangling link fails here
    except OSError as exc:
        reason = "broken or looping symlink" if path.is_symlink() else f"cannot read: {exc.strerror}"
        return Skipped(rel, reason)
    if not stat.S_ISREG(info.st_mode):
        return Skipped(rel, "not a regular file (device, pipe or socket)")
    return Found(path, rel, info.st_size)


def scan(root: Path) -> tuple[list[Found], list[Skipped]]:
    """Every supported file under `root` (sorted by id), and every skip with its reason.

    Hidden folders and symlinked folders are not entered (this also rules out
    symlink loops); symlinked files are read.
    """
    if not root.exists():
        raise ConfigError(f"{root} does not exist; give the folder that holds your documents")
    if not root.is_dir():
        raise ConfigError(f"{root} is a file; give the folder that holds it (the whole folder is indexed)")
    found: list[Found] = []
    skipped: list[Skipped] = []

    def on_error(exc: OSError) -> None:
        where = Path(exc.filename).relative_to(root).as_posix() if exc.filename else str(root)
        skipped.append(Skipped(where + "/", f"cannot read folder: {exc.strerror}"))

    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=False):
        here = Path(folder)
        for name in sorted(dirs):
            if _is_hidden(name) or (here / name).is_symlink():
                reason = "hidden folder, not scanned" if _is_hidden(name) else "symlinked folder, not followed"
                skipped.append(Skipped((here / name).relative_to(root).as_posix() + "/", reason))
        dirs[:] = sorted(d for d in dirs if not _is_hidden(d) and not (here / d).is_symlink())
        for name in sorted(files):
            result = _check_file(here / name, root)
            (found if isinstance(result, Found) else skipped).append(result)  # type: ignore[arg-type]
    found.sort(key=lambda f: f.doc_id)
    return found, skipped
