"""The judge calibration's fitting and scoring (bench/answerability_judge.py), on synthetic rows."""

from __future__ import annotations

import random

import numpy as np

from assistant.answering.decision import Signals
from assistant.answering.judge import prompt
from assistant.evaluation.calibrate import Row
from bench.answerability_judge import CANDIDATES, auc, choose, compare, cross_validated

CANDIDATES_NOISE = "best typed score (ships without the judge)"  # pure noise in these rows


def test_auc_counts_pairs_and_halves_ties() -> None:
    score = np.array([0.9, 0.8, 0.1, 0.8])
    bad = np.array([True, True, False, False])
    assert auc(score, bad) == (1 + 1 + 1 + 0.5) / 4
    assert auc(-score, bad) == 0.5 / 4


def _signals(best_typed: float, judge: float) -> Signals:
    zero = dict.fromkeys(Signals.names(), 0.0)
    return Signals(**{**zero, "best_typed": best_typed, "judge": judge})


def test_a_signal_that_separates_is_told_from_noise_on_held_out_rows() -> None:
    rng = random.Random(3)

    def rows(n: int) -> list[Row]:
        out = []
        for i in range(n):
            answerable = rng.random() < 0.7
            judge = rng.gauss(2.0 if answerable else -1.0, 1.0)
            out.append(Row(f"q{i}", answerable, _signals(rng.gauss(0, 1), judge), answerable))
        return out

    table, models = compare({"fit": rows(300), "report": rows(300)}, "synthetic")
    by_name = {row["signals"]: row for row in table}
    assert by_name["judge alone"]["auc_report"] > 0.9 > 0.65 > by_name[CANDIDATES_NOISE]["auc_report"]
    report = by_name["judge alone"]["report"]
    assert report["abstention_recall"] > 0.6 and report["false_abstentions"] < 0.2
    assert models["best typed score + judge"].needs_judge and not models[CANDIDATES_NOISE].needs_judge
    articles = {r.id: f"article{int(r.id[1:]) % 5}" for r in rows(300)}
    fit_rows = rows(300)
    cv = {name: cross_validated(fit_rows, articles, features) for name, features in CANDIDATES.items()}
    assert cv["judge alone"]["abstention_recall"] > 0.6 > 0.3 > cv[CANDIDATES_NOISE]["abstention_recall"]
    assert choose(cv) != CANDIDATES_NOISE


def test_the_prompt_shows_every_context_and_the_question() -> None:
    text = prompt("Who won?", ["Alice won the race.", "Bob came second."])
    assert "- Alice won the race.\n- Bob came second." in text and "Question: Who won?" in text
    assert text.endswith("<|im_start|>assistant\n")
