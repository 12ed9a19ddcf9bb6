"""Comparing a run with an earlier one (what regressed) and gating on thresholds (CI)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from assistant.evaluation.scoring import METRICS

DROP_TOLERANCE = 0.02  # a 0..1 metric may fall this much before it counts as a regression
LATENCY_TOLERANCE = 0.25  # p50 may grow 25% (a busy machine) before it counts as a regression


class Delta(NamedTuple):
    metric: str
    old: float | None
    new: float | None
    delta: float | None
    regressed: bool


def compare(summary: Mapping[str, Any], previous: Mapping[str, Any]) -> list[Delta]:
    """Each metric against an earlier run's summary; `regressed` marks a drop of more than
    DROP_TOLERANCE in a 0..1 metric (a rise, for false abstentions), any rise in invalid
    citations or errors, and a p50 latency more than LATENCY_TOLERANCE slower."""
    new_values, old_values = summary["metrics"], previous.get("metrics", {})
    deltas = []
    for name in [*METRICS, *(n for n in new_values if n not in METRICS)]:
        old, new = old_values.get(name), new_values.get(name)
        delta = None if old is None or new is None else new - old
        deltas.append(Delta(name, old, new, delta, delta is not None and _regressed(name, old, delta)))
    return deltas


def _regressed(name: str, old: float, delta: float) -> bool:
    if name in ("invalid_citations", "errors"):
        return delta > 0
    if name == "latency_p50":
        return delta > old * LATENCY_TOLERANCE
    if name == "latency_p95":
        return False  # the tail of a few dozen questions on a shared machine is noise
    if name == "false_abstention_rate":
        return delta > DROP_TOLERANCE
    return delta < -DROP_TOLERANCE


def check_thresholds(
    summary: Mapping[str, Any], minimums: Mapping[str, float], maximums: Mapping[str, float] | None = None
) -> list[str]:
    """The thresholds the summary misses, as messages; a metric that is n/a also fails."""
    values, problems = summary["metrics"], []
    for bounds, below in ((minimums, True), (maximums or {}, False)):
        for name, limit in bounds.items():
            value = values.get(name)
            if value is None:
                problems.append(f"{name} is n/a for this question set (threshold {limit})")
            elif (value < limit) if below else (value > limit):
                problems.append(
                    f"{name} = {value:.3f} is {'below the minimum' if below else 'above the maximum'} {limit}"
                )
    return problems
