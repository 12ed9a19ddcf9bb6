"""What every answering path shares: the timer of its steps and the refusal it gives."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from assistant.answering.prompts import NOT_FOUND
from assistant.types import Answer

CLOSEST_SHOWN = 3  # passages listed when abstaining


@dataclass
class Timer:
    timings: dict[str, float] = field(default_factory=dict)

    def lap(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - started
        return now


def abstained(base: Answer, answerer: str, timer: Timer, note: str | None = None) -> Answer:
    """`base` as a refusal: the sentinel and the closest passages found, for the reader to judge."""
    closest = base.passages[:CLOSEST_SHOWN]
    lines = [NOT_FOUND]
    if closest:
        lines.append("The closest passages found:")
        for passage in closest:
            where = f", {passage.location.label()}" if passage.location else ""
            snippet = " ".join(passage.text.split())[:160]
            lines.append(f"- {passage.title} ({passage.doc_id}{where}): {snippet}…")
    timer.timings["total"] = sum(timer.timings.values())
    return replace(
        base,
        text="\n".join(lines),
        abstained=True,
        answerer=answerer,
        timings=timer.timings,
        notes=(note,) if note else (),
    )
