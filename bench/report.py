"""Markdown helpers shared by the benchmark sections: tables and number formatting."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from assistant.evaluation.metrics import percentile


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub Markdown table; None shows as "-", floats with `num()`."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join(cell(value) for value in row) + " |")
    return "\n".join(lines)


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return num(value)
    return str(value).replace("|", "\\|")


def num(value: float | None, digits: int = 3) -> str:
    """`digits` significant figures, never scientific: 0.0123, 1.23, 123.4, 1234, <0.001."""
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.1f}"
    if 0 < abs(value) < 0.001:
        return "<0.001"
    return f"{value:.{digits}g}"


def p50_p95(values: Sequence[float]) -> dict[str, float | None]:
    """{"p50", "p95", "n"}, rounded to 0.1 ms; None for no values."""
    return {
        "p50": _round(percentile(values, 50)),
        "p95": _round(percentile(values, 95)),
        "n": len(values),
    }


def _round(value: float | None, places: int = 4) -> float | None:
    return None if value is None else round(value, places)


def error_section(title: str, error: str) -> str:
    """What a section that failed shows: its title and the error, so the report stays whole."""
    return f"## {title}\n\nNot measured: `{error}`"
