"""Evaluation: ask every question of a set, score the answers, summarise, compare, gate CI.

    questions -> Assistant.ask (one at a time, timed) -> per-question record with metrics
    -> summary (means over applicable questions, latency percentiles, per-tag) -> report files

An error on one question (an AssistantError from `ask`) is recorded and scored as an
empty answer; the run goes on.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from assistant import metrics as m
from assistant.eval_report import format_comparison, format_summary, load_summary, write_report
from assistant.gold_sources import format_rewrites, resolve_gold_sources
from assistant.questions import Question, load_questions
from assistant.retrieve import indexed_doc_ids
from assistant.settings import ANSWERERS, Settings
from assistant.types import Answer
from index.errors import AssistantError

DEFAULT_QUESTIONS = "data/questions/sample.jsonl"
DEFAULT_K = 6
# Summary metrics in report order. Latency in seconds; invalid_citations and errors are counts
# of questions; every other metric is a mean in 0..1 over the questions it applies to.
HIGHER_IS_BETTER = (
    "hit_at_k", "recall_at_k", "mrr", "ndcg_at_k", "key_fact_recall", "all_key_facts", "token_f1",
    "citation_precision", "citation_recall", "cited_facts", "abstention_precision", "abstention_recall",
)  # fmt: skip
LOWER_IS_BETTER = ("false_abstention_rate", "invalid_citations", "errors", "latency_p50", "latency_p95")
METRICS = HIGHER_IS_BETTER + LOWER_IS_BETTER
PER_QUESTION = HIGHER_IS_BETTER[:10]  # averaged from the records; the abstention ones are not
TAG_METRICS = ("hit_at_k", "mrr", "key_fact_recall", "token_f1", "citation_precision", "cited_facts")
DROP_TOLERANCE = 0.02  # a 0..1 metric may fall this much before it counts as a regression
LATENCY_TOLERANCE = 0.25  # p50 may grow 25% (a busy machine) before it counts as a regression


class Asker(Protocol):
    """What `evaluate` needs: `Assistant` or anything with the same `ask`."""

    def ask(self, question: str, *, history: Any = None, k: int = DEFAULT_K) -> Answer: ...


class Judge(Protocol):
    """An optional LLM judge; its figures are reported apart from the deterministic metrics."""

    def judge(self, question: str, answer: str, evidence: Sequence[str], reference: str) -> Mapping[str, float]:
        """{"faithfulness": 0..1, "correctness": 0..1}; raises AssistantError if it cannot judge."""
        ...


@dataclass(frozen=True)
class EvalReport:
    """One run: a record per question, the summary, and what was run (answerer, k, commit)."""

    records: list[dict[str, Any]]
    summary: dict[str, Any]
    config: dict[str, Any]


class Delta(NamedTuple):
    metric: str
    old: float | None
    new: float | None
    delta: float | None
    regressed: bool


Progress = Callable[[int], Callable[[int], Any]]  # progress(total) -> update(increment)


# -- running -----------------------------------------------------------------------
def evaluate(
    assistant: Asker,
    questions: Sequence[Question] | str | Path,
    *,
    k: int = DEFAULT_K,
    progress: Progress | None = None,
    judge: Judge | None = None,
) -> EvalReport:
    """Ask every question (a list, or a JSONL path) and score the answers.

    Raises QuestionSetError for a bad question file; errors from `ask` are recorded per question.
    """
    source = str(questions) if isinstance(questions, str | Path) else None
    items = load_questions(questions) if isinstance(questions, str | Path) else list(questions)
    update = progress(len(items)) if progress else None
    records = []
    for question in items:
        records.append(_record(assistant, question, k, judge))
        if update:
            update(1)
    return EvalReport(records, summarise(records), _config(assistant, k, source, len(items), judge))


def _record(assistant: Asker, question: Question, k: int, judge: Judge | None) -> dict[str, Any]:
    started = time.perf_counter()
    error = None
    try:
        answer = assistant.ask(question.question, history=list(question.history) or None, k=k)
    except AssistantError as exc:
        error, answer = f"{type(exc).__name__}: {exc}", Answer(question=question.question, text="")
    record = score(question, answer, k, latency=time.perf_counter() - started, error=error)
    if judge is not None and error is None and not answer.abstained:
        record.update(_judged(judge, question, answer))
    return record


def score(question: Question, answer: Answer, k: int, *, latency: float, error: str | None = None) -> dict[str, Any]:
    """The per-question record: what was asked, answered and cited, the gold, and the metrics."""
    ranked = m.ranked_docs(answer.passages)
    gold = question.gold_sources
    # An abstention lists the closest passages; their words are not a claim, so score "".
    said = "" if answer.abstained else answer.text
    values = {
        "hit_at_k": m.hit_at_k(ranked, gold, k),
        "recall_at_k": m.recall_at_k(ranked, gold, k),
        "mrr": m.mrr(ranked, gold, k),
        "ndcg_at_k": m.ndcg_at_k(ranked, gold, k),
        "key_fact_recall": m.key_fact_recall(said, question.key_facts),
        "all_key_facts": _all(m.key_fact_recall(said, question.key_facts)),
        "token_f1": m.token_f1(said, question.reference_answer) if question.answerable else None,
        "citation_precision": m.citation_precision(answer, gold),
        "citation_recall": m.citation_recall(answer, gold),
        "cited_facts": None if answer.abstained else m.cited_facts(answer, question.key_facts),
        "invalid_citations": m.invalid_citations(answer),
    }
    record: dict[str, Any] = {
        "id": question.id,
        "question": question.question,
        "tags": list(question.tags),
        "answerable": question.answerable,
        "history_turns": len(question.history),
        "query": answer.query,
        "answer": answer.text,
        "abstained": None if error else answer.abstained,
        "answerer": answer.answerer,
        "citations": [_citation(c) for c in answer.citations],
        "retrieved": ranked,
        "gold_sources": list(gold),
        "reference_answer": question.reference_answer,
        "key_facts": [list(f) for f in question.key_facts],
        "missing_facts": m.missing_facts(said, question.key_facts),
        "metrics": values,
        "latency_s": round(latency, 4),
        "tokens": dict(answer.tokens),
        "notes": list(answer.notes),
        "error": error,
    }
    record["failures"] = failures(record)
    return record


def _all(recall: float | None) -> float | None:
    return None if recall is None else float(recall == 1.0)


def _citation(citation: Any) -> dict[str, Any]:
    return {
        "number": citation.number,
        "doc_id": citation.doc_id,
        "location": citation.location_label,
        "quote": citation.quote,
        "score": citation.score,
    }


def failures(record: Mapping[str, Any]) -> list[str]:
    """Why a record counts as a failure (empty when it does not); reports list these first."""
    values, reasons = record["metrics"], []
    if record["error"]:
        reasons.append(f"error: {record['error']}")
    elif record["answerable"] and record["abstained"]:
        reasons.append("abstained on an answerable question")
    elif not record["answerable"] and not record["abstained"]:
        reasons.append("answered an unanswerable question")
    if values["hit_at_k"] == 0:
        reasons.append("no gold source retrieved")
    if record["missing_facts"]:
        reasons.append("missing key facts: " + ", ".join(record["missing_facts"]))
    if values["citation_precision"] == 0:
        reasons.append("cites no gold source")
    if values["cited_facts"] is not None and values["cited_facts"] < 1:
        reasons.append("a key fact of the answer is not in the sentences it cites")
    if values["invalid_citations"]:
        reasons.append(f"{values['invalid_citations']} invalid citation(s)")
    return reasons


def _judged(judge: Judge, question: Question, answer: Answer) -> dict[str, Any]:
    evidence = [e.context for e in answer.evidence]
    try:
        scores = judge.judge(question.question, answer.text, evidence, question.reference_answer)
    except AssistantError as exc:
        return {"judge": None, "judge_error": f"{type(exc).__name__}: {exc}"}
    return {"judge": {name: float(value) for name, value in scores.items()}}


def _config(assistant: Asker, k: int, source: str | None, count: int, judge: Judge | None) -> dict[str, Any]:
    settings = getattr(assistant, "settings", None)
    return {
        "answerer": getattr(getattr(assistant, "answerer", None), "name", type(assistant).__name__),
        "k": k,
        "questions": source,
        "question_count": count,
        "embed_model": getattr(getattr(settings, "index", None), "embed_model", None),
        # Which answer-or-abstain calibration decided (the shipped one, or `assistant calibrate`'s).
        "calibration": getattr(getattr(assistant, "calibration", None), "source", None),
        "judge": type(judge).__name__ if judge else None,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
    }


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


# -- summarising -------------------------------------------------------------------
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


# -- comparing and gating ----------------------------------------------------------
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


# -- the `assistant eval` command ----------------------------------------------------
CONVENIENCE = {
    "min_hit_at_k": ("hit_at_k", True),
    "min_key_fact_recall": ("key_fact_recall", True),
    "min_citation_precision": ("citation_precision", True),
    "min_abstention_recall": ("abstention_recall", True),
    "max_invalid_citations": ("invalid_citations", False),
}


def _bound(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    name = name.strip().replace("-", "_")
    if name not in METRICS:
        raise argparse.ArgumentTypeError(f"unknown metric {name!r}; choose from: {', '.join(METRICS)}")
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected METRIC=NUMBER, got {text!r}") from None


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `assistant eval`."""
    parser.add_argument(
        "questions", nargs="?", default=DEFAULT_QUESTIONS, help=f"JSONL set (default {DEFAULT_QUESTIONS})"
    )
    parser.add_argument("--answerer", choices=ANSWERERS, help="override ASSISTANT_ANSWERER")
    parser.add_argument("--k", type=int, default=DEFAULT_K, help=f"passages to retrieve (default {DEFAULT_K})")
    parser.add_argument("--out", help="output folder (default eval-out/<timestamp>)")
    parser.add_argument("--compare", metavar="PREVIOUS", help="an earlier run's folder or summary.json")
    parser.add_argument("--min", action="append", type=_bound, default=[], metavar="METRIC=VALUE",
                        help="fail (exit 1) when METRIC is below VALUE; repeatable")  # fmt: skip
    parser.add_argument("--max", action="append", type=_bound, default=[], metavar="METRIC=VALUE",
                        help="fail (exit 1) when METRIC is above VALUE, e.g. latency_p95=5; repeatable")  # fmt: skip
    for flag, (metric, is_min) in CONVENIENCE.items():
        parser.add_argument(
            "--" + flag.replace("_", "-"),
            type=float,
            metavar="X",
            help=f"same as --{'min' if is_min else 'max'} {metric}=X",
        )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _thresholds(args: argparse.Namespace) -> tuple[dict[str, float], dict[str, float]]:
    minimums, maximums = dict(args.min), dict(args.max)
    for flag, (metric, is_min) in CONVENIENCE.items():
        value = getattr(args, flag, None)
        if value is not None:
            (minimums if is_min else maximums)[metric] = value
    return minimums, maximums


def _progress_bar(enabled: bool) -> Progress:
    def start(total: int) -> Callable[[int], Any]:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="question", desc="Evaluating", disable=not enabled, file=sys.stderr)
        return bar.update

    return start


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Run `assistant eval`: write the report, print the summary; 1 when a threshold fails."""
    from assistant.api import Assistant  # the one factory, so eval measures what `ask` runs

    questions = load_questions(args.questions)  # fail on a bad set before loading any model
    previous = load_summary(args.compare) if args.compare else None
    assistant = Assistant.from_settings(settings, answerer=args.answerer)
    questions, gold = resolve_gold_sources(questions, indexed_doc_ids(assistant.store))  # before any question
    if gold.rewritten:
        print(format_rewrites(gold) + "\n")
    report = evaluate(assistant, questions, k=args.k, progress=_progress_bar(not args.no_progress))
    config = {"questions": str(args.questions), "gold_rewrites": gold.rewrites()}
    report = replace(report, config={**report.config, **config})
    deltas = compare(report.summary, previous) if previous else None
    out = Path(args.out or Path("eval-out") / datetime.now().strftime("%Y%m%d-%H%M%S"))
    write_report(report, out, comparison=deltas)
    print(f"Calibration: {report.config.get('calibration')}\n")
    print(format_summary(report.summary))
    if deltas is not None:
        print("\n" + format_comparison(deltas))
    print(f"\nReport: {out / 'report.html'} (also report.md, results.jsonl, summary.json)")
    problems = check_thresholds(report.summary, *_thresholds(args))
    for problem in problems:
        print(f"threshold failed: {problem}", file=sys.stderr)
    return 1 if problems else 0
