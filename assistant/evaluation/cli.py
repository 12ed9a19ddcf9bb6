"""The `assistant eval` command: run the question set through the one factory's Assistant, write
the report, print the summary and the comparison, fail (exit 1) on a missed threshold.

    eval_run.evaluate -> eval_report (files) -> eval_compare (against --compare, thresholds)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.evaluation.compare import check_thresholds, compare
from assistant.evaluation.gold_sources import format_rewrites, resolve_gold_sources
from assistant.evaluation.questions import load_questions
from assistant.evaluation.report import format_comparison, format_summary, load_summary, write_report
from assistant.evaluation.run import DEFAULT_K, Progress, evaluate
from assistant.evaluation.scoring import METRICS
from assistant.retrieval.retrieve import indexed_doc_ids
from assistant.settings import ANSWERERS, Settings

DEFAULT_QUESTIONS = "data/questions/sample.jsonl"

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
