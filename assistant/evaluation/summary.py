"""Summarising a run's records: counts, the mean of each metric over the questions it applies to,
latency percentiles, abstention scores, tokens, per-tag figures and the judge's scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.evaluation import metrics as m
from assistant.evaluation.scoring import METRICS, PER_QUESTION, TAG_METRICS


def summarise(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts, the mean of each metric over the questions it applies to (and how many
    those are), latency percentiles, abstention scores, tokens, per-tag figures, judge."""
    latencies = [r["latency_s"] for r in records]
    values: dict[str, float | None] = {name: _mean(records, name) for name in PER_QUESTION}
    values.update(m.abstention_scores(records))
    values["invalid_citations"] = sum(1 for r in records if r["metrics"]["invalid_citations"])
    values["errors"] = sum(1 for r in records if r["error"])
    values["latency_p50"] = m.percentile(latencies, 50)
    values["latency_p95"] = m.percentile(latencies, 95)
    summary: dict[str, Any] = {
        "counts": _counts(records),
        "metrics": {name: values.get(name) for name in METRICS},
        "applicable": {name: _applicable(records, name) for name in PER_QUESTION},
        "tokens": _tokens(records),
        "by_tag": _by_tag(records),
    }
    judged = [r["judge"] for r in records if r.get("judge")]
    if judged or any("judge" in r for r in records):
        names = sorted({name for scores in judged for name in scores})
        summary["judge"] = {"judged": len(judged), **{n: m.mean(s.get(n) for s in judged) for n in names}}
    return summary


def _mean(records: Sequence[Mapping[str, Any]], name: str) -> float | None:
    return m.mean(r["metrics"][name] for r in records)


def _applicable(records: Sequence[Mapping[str, Any]], name: str) -> int:
    return sum(1 for r in records if r["metrics"][name] is not None)


def _counts(records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    return {
        "questions": len(records),
        "answerable": sum(1 for r in records if r["answerable"]),
        "unanswerable": sum(1 for r in records if not r["answerable"]),
        "abstained": sum(1 for r in records if r["abstained"]),
        "failed": sum(1 for r in records if r["failures"]),
        "errors": sum(1 for r in records if r["error"]),
        "fallbacks": sum(1 for r in records if "->" in (r["answerer"] or "")),  # LLM answer replaced
    }


def _tokens(records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for record in records:
        for name, count in record["tokens"].items():
            totals[name] = totals.get(name, 0) + int(count)
    return totals


def _by_tag(records: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    tags = sorted({t for r in records for t in r["tags"]})
    table = {}
    for tag in tags:
        group = [r for r in records if tag in r["tags"]]
        row: dict[str, Any] = {"questions": len(group)}
        row.update({name: _mean(group, name) for name in TAG_METRICS})
        row.update(m.abstention_scores(group))
        table[tag] = row
    return table
