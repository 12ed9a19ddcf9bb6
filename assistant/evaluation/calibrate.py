"""Fit the answer-or-abstain decision on a question set with answerable and unanswerable questions.

    questions -> the pipeline up to the decision (retrieve, evidence, signals) and the
    extractive answer -> rows -> logistic regression (Newton's method, L2) -> the threshold
    that refuses the most unanswerable questions while refusing at most a budget of answerable
    ones -> Calibration

`assistant calibrate QUESTIONS.jsonl` runs this on a user's own set and keeps the result with
the index (assistant.answering.decision.user_calibration_path); bench/calibrate.py runs it on the fitting
half of the outside set and writes the shipped `assistant/answering/calibration.json`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answering.decision import SHIPPED, SHIPPED_JUDGED, Calibration, Signals, user_calibration_path
from assistant.errors import QuestionSetError
from assistant.evaluation.questions import Question, load_questions
from assistant.settings import Settings
from index.errors import ConfigError

MAX_FALSE_ABSTENTIONS = 0.10  # refusing an answerable question is the second-worst outcome
L2 = 1.0  # ridge on standardised weights: ~1,000 rows, 12 signals, some of them correlated
MIN_EACH = 10  # answerable and unanswerable questions needed to fit anything


@dataclass(frozen=True)
class Row:
    """One question's signals, whether it is answerable, and whether the answer held its facts."""

    id: str
    answerable: bool
    signals: Signals
    facts_found: bool  # the extractive answer contains every key fact (answerable questions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "answerable": self.answerable,
            "signals": self.signals.to_dict(),
            "facts_found": self.facts_found,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Row:
        return cls(data["id"], bool(data["answerable"]), Signals(**data["signals"]), bool(data["facts_found"]))


def collect(assistant: Any, questions: Sequence[Question], progress: Callable[[int], None] | None = None) -> list[Row]:
    """Ask each question through `assistant` (an Assistant) with abstention turned off, so that
    every question yields its signals and the answer it would get."""
    from assistant.evaluation import metrics

    rows = []
    for question in questions:
        answer = assistant.ask(question.question, history=list(question.history) or None, abstain=False)
        found = metrics.key_fact_recall(answer.text, question.key_facts)
        rows.append(
            Row(
                question.id,
                question.answerable,
                Signals(**answer.decision["signals"]),
                bool(question.answerable and found == 1.0),
            )
        )
        if progress:
            progress(1)
    return rows


def _matrix(rows: Sequence[Row], features: Sequence[str]) -> np.ndarray:
    index = [Signals.names().index(f) for f in features]
    return np.array([[row.signals.values()[i] for i in index] for row in rows], dtype=np.float64)


def fit(rows: Sequence[Row], features: Sequence[str] | None = None, *, l2: float = L2) -> Calibration:
    """A logistic model of "answerable" over standardised signals (threshold still 0.5); by
    default every signal computed without a judge."""
    features = tuple(features or Signals.cheap())
    answerable = sum(r.answerable for r in rows)
    if min(answerable, len(rows) - answerable) < MIN_EACH:
        raise QuestionSetError(
            f"calibrating needs at least {MIN_EACH} answerable and {MIN_EACH} unanswerable questions; "
            f"this set has {answerable} and {len(rows) - answerable}"
        )
    y = np.array([r.answerable for r in rows], dtype=np.float64)
    bias, weights, means, scales = fit_logistic(_matrix(rows, features), y, l2=l2)
    return Calibration(features, weights, bias, means, scales, 0.5, "")


def fit_logistic(
    x: np.ndarray, y: np.ndarray, *, l2: float = L2
) -> tuple[float, tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """P(y=1) = sigmoid(bias + weights . (x - means) / scales), by Newton's method with a ridge on
    the standardised weights; returns (bias, weights, means, scales)."""
    means, scales = x.mean(axis=0), x.std(axis=0)
    scales[scales == 0] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - means) / scales])
    w = np.zeros(z.shape[1])
    ridge = np.eye(z.shape[1]) * l2
    ridge[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(50):  # Newton's method; converges in ~8 steps
        p = 1 / (1 + np.exp(-np.clip(z @ w, -40, 40)))
        gradient = z.T @ (p - y) + ridge @ w
        hessian = z.T @ (z * (p * (1 - p))[:, None]) + ridge
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), tuple(float(v) for v in w[1:]), tuple(means), tuple(scales)


def tradeoff(rows: Sequence[Row], calibration: Calibration, thresholds: Sequence[float]) -> list[dict[str, float]]:
    """Per threshold: abstention recall and precision, false abstentions, and key facts found
    (answerable questions answered with every fact, as a share of the answerable ones)."""
    probs = [calibration.probability(r.signals) for r in rows]
    answerable = [r for r in rows if r.answerable]
    unanswerable = len(rows) - len(answerable)
    table = []
    for t in thresholds:
        refused = [p < t for p in probs]
        refused_bad = sum(ref and not r.answerable for ref, r in zip(refused, rows, strict=True))
        refused_good = sum(ref and r.answerable for ref, r in zip(refused, rows, strict=True))
        facts = sum(r.facts_found and not ref for ref, r in zip(refused, rows, strict=True) if r.answerable)
        table.append(
            {
                "threshold": round(t, 3),
                "abstention_recall": refused_bad / max(1, unanswerable),
                "abstention_precision": refused_bad / max(1, refused_bad + refused_good),
                "false_abstentions": refused_good / max(1, len(answerable)),
                "all_facts": facts / max(1, len(answerable)),
            }
        )
    return table


def choose_threshold(rows: Sequence[Row], calibration: Calibration, max_false: float = MAX_FALSE_ABSTENTIONS) -> float:
    """The highest threshold whose false abstentions stay within `max_false` (refusing as many
    unanswerable questions as that budget allows)."""
    grid = [i / 200 for i in range(1, 200)]
    allowed = [row for row in tradeoff(rows, calibration, grid) if row["false_abstentions"] <= max_false]
    return max((row["threshold"] for row in allowed), default=grid[0])


def fit_and_choose(
    rows: Sequence[Row], source: str, *, max_false: float = MAX_FALSE_ABSTENTIONS, features: Sequence[str] | None = None
) -> Calibration:
    model = fit(rows, features)
    threshold = choose_threshold(rows, model, max_false)
    return Calibration(model.features, model.weights, model.bias, model.means, model.scales, threshold, source)


def format_tradeoff(table: Sequence[dict[str, float]]) -> str:
    lines = [
        "| threshold | abstention recall | abstention precision | false abstentions | all key facts |",
        "|---|---|---|---|---|",
    ]
    for row in table:
        lines.append(
            f"| {row['threshold']:.2f} | {row['abstention_recall']:.3f} | {row['abstention_precision']:.3f} "
            f"| {row['false_abstentions']:.3f} | {row['all_facts']:.3f} |"
        )
    return "\n".join(lines)


# -- the `assistant calibrate` command --------------------------------------------------------
def _signals(choice: str, judged: bool) -> tuple[str, ...]:
    """The signal names for `--signals` (with the judge's when `judged`); ConfigError listing the
    choices for an unknown one."""
    available = Signals.names() if judged else Signals.cheap()
    if choice == "shipped":
        return Calibration.load(SHIPPED_JUDGED if judged else SHIPPED).features
    if choice == "all":
        return available
    names = tuple(n.strip() for n in choice.split(",") if n.strip())
    unknown = [n for n in names if n not in available]
    if unknown or not names:
        hint = "" if judged else " (the judge's signal needs ASSISTANT_JUDGE=local)"
        raise ConfigError(f"unknown signals {unknown}; choose 'shipped', 'all' or from: {', '.join(available)}{hint}")
    return names


def add_calibrate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("questions", help="a question set (JSONL) with answerable and unanswerable questions")
    parser.add_argument(
        "--max-false-abstentions",
        type=float,
        default=MAX_FALSE_ABSTENTIONS,
        help=f"share of answerable questions the decision may refuse (default {MAX_FALSE_ABSTENTIONS})",
    )
    parser.add_argument(
        "--signals",
        default="shipped",
        help="signals to fit: 'shipped' (those of the shipped calibration, default), 'all', or a comma list",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    """Fit the decision on the user's questions and keep it with the index; returns the exit code."""
    from tqdm import tqdm

    from assistant.api import Assistant

    questions = load_questions(args.questions)
    judged = settings.judge != "off"
    features = _signals(args.signals, judged)  # a bad --signals fails before the questions are asked
    # With the judge on, the questions are asked under the shipped judged calibration, which weighs
    # the judge: so every row carries its judgement, whatever calibration the collection had.
    shipped = Calibration.load(SHIPPED_JUDGED) if judged else None
    assistant = Assistant.from_settings(settings, answerer="extractive", calibration=shipped)
    bar = tqdm(total=len(questions), unit="question", desc="Calibrating", disable=args.no_progress, file=sys.stderr)
    rows = collect(assistant, questions, bar.update)
    bar.close()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    judge = ", with the local judge" if judged else ""
    source = f"{Path(args.questions).name} ({len(rows)} questions, all of them{judge}), {stamp}"
    calibration = fit_and_choose(rows, source, max_false=args.max_false_abstentions, features=features)
    path = user_calibration_path(settings.index.home, settings.index.collection, judged=judged)
    calibration.save(path)
    chosen = tradeoff(rows, calibration, [calibration.threshold])[0]
    print(format_tradeoff(tradeoff(rows, calibration, [i / 20 for i in range(1, 20)])))
    print(
        f"\nFitted on {source}.\n"
        f"Chosen threshold {calibration.threshold:.3f}: abstention recall {chosen['abstention_recall']:.3f}, "
        f"false abstentions {chosen['false_abstentions']:.3f} (on the same questions it was fitted on).\n"
        f"Saved to {path}; `assistant ask` and `assistant eval` use it for collection "
        f"{settings.index.collection!r}. Delete the file to go back to the shipped calibration."
    )
    return 0
