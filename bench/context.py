"""What every benchmark section is given: where the data is, where to work, how big to go."""

from __future__ import annotations

import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.settings import Settings

Progress = Callable[[str], Any]  # a one-line status ("embedding 400/1000 chunks") for long steps


@dataclass(frozen=True)
class BenchContext:
    """Inputs of a benchmark run; sections must not write outside `work_dir` (a scratch folder).

    `quick` asks for the smallest run that still exercises every step (tests, smoke runs):
    a few questions, a few hundred generated chunks, one repetition.
    """

    settings: Settings
    corpus: Path  # the sample corpus (data/corpus)
    questions: Path  # a question set in the `assistant eval` format (data/questions/sample.jsonl)
    work_dir: Path
    answerers: tuple[str, ...] = ("extractive", "local")
    quick: bool = False
    scales: tuple[int, ...] = (1_000, 10_000, 100_000)  # target chunk counts for the scale section
    max_embed_chunks: int = 10_000  # embed at most this many per scale point; extrapolate beyond
    progress: Progress = field(default=lambda _line: None)


def machine() -> dict[str, Any]:
    """The facts a reader needs to compare figures: cores, memory, CPU model, Python."""
    import os

    memory_gib = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            kib = int(handle.readline().split()[1])
        memory_gib = round(kib / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "cpu": cpu,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }
