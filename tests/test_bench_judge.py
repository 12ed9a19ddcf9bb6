"""The answerability-judge experiment's scoring (bench/answerability_judge.py): pure functions."""

from __future__ import annotations

import random

import numpy as np

from bench.answerability_judge import at_budget, auc, compare, prompt, rates


def test_auc_counts_pairs_and_halves_ties() -> None:
    score = np.array([0.9, 0.8, 0.1, 0.8])
    bad = np.array([True, True, False, False])
    assert auc(score, bad) == (1 + 1 + 1 + 0.5) / 4
    assert auc(-score, bad) == 0.5 / 4


def test_the_threshold_keeps_false_abstentions_within_the_budget_on_the_fitting_rows() -> None:
    score = np.array([0.95, 0.9, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.92, 0.85])
    bad = np.array([True, True, True, False, False, False, False, False, False, False, False, False])
    threshold = at_budget(score, bad, budget=0.12)  # 1 of the 9 answerable may be refused
    recall, false = rates(score, bad, threshold)
    assert false <= 0.12 and recall == 2 / 3
    assert rates(score, bad, at_budget(score, bad, budget=0.0)) == (1 / 3, 0.0)  # only 0.95 is above them all


def test_a_signal_that_separates_is_told_from_noise_on_held_out_rows() -> None:
    rng = random.Random(3)

    def rows(n: int) -> list[dict[str, object]]:
        out = []
        for _ in range(n):
            answerable = rng.random() < 0.7
            p = rng.gauss(1.0 if answerable else 0.0, 0.4)
            out.append({"answerable": answerable, "p": p, "judge": rng.gauss(0, 1)})
        return out

    table = {row["features"]: row for row in compare(rows(300), rows(300))}
    assert table["p"]["auc_report"] > 0.9 > 0.65 > table["judge"]["auc_report"]
    recall, false = table["p"]["report"]
    assert recall > 0.6 and false < 0.2


def test_the_prompt_shows_every_context_and_the_question() -> None:
    text = prompt("Who won?", ["Alice won the race.", "Bob came second."])
    assert "- Alice won the race.\n- Bob came second." in text and "Question: Who won?" in text
    assert text.endswith("<|im_start|>assistant\n")
