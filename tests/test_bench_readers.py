"""The readers bench's probe and its honest threshold (bench/answerability_readers.py), on
synthetic hidden states: a probe must find one informative direction among many noisy ones on
articles it was not fitted on, and the threshold must keep to the budget on the fitting rows."""

from __future__ import annotations

import numpy as np
import pytest

from bench.answerability_judge import auc
from bench.answerability_readers import BUDGET, STATE, Probe, decided, out_of_fold


def _states(rng: np.random.Generator, n: int, signal: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    answerable = rng.random(n) < 0.7
    x = rng.normal(size=(n, STATE))
    x[:, :20] += signal * np.where(answerable, 1.0, -1.0)[:, None]  # a direction spread over 20 dims
    articles = np.array([f"article {i % 6}" for i in range(n)])
    return x, answerable, articles


def test_the_probe_finds_an_informative_direction_on_held_out_articles() -> None:
    rng = np.random.default_rng(5)
    x, y, articles = _states(rng, 240, signal=0.6)
    scores = out_of_fold(x, y, articles, (16, 10.0))
    assert auc(scores, y) > 0.85
    noise_x, noise_y, _ = _states(rng, 240, signal=0.0)
    assert 0.35 < auc(out_of_fold(noise_x, noise_y, articles, (16, 10.0)), noise_y) < 0.65  # nothing to find
    test_x, test_y, _ = _states(rng, 200, signal=0.6)
    assert auc(Probe(x, y, (16, 10.0)).score(test_x), test_y) > 0.85


def test_extra_columns_enter_the_probe_beside_the_states_components() -> None:
    rng = np.random.default_rng(7)
    x, y, _ = _states(rng, 200, signal=0.0)
    extra = np.where(y, 1.0, -1.0) + rng.normal(scale=0.5, size=len(y))  # e.g. the judge's log-odds
    with_extra = np.hstack([x, extra[:, None]])
    probe = Probe(with_extra, y, (8, 1.0))
    assert probe.weights.shape == (9,) and abs(probe.weights[-1]) == np.abs(probe.weights).max()


def test_the_threshold_refuses_at_most_the_budget_of_answerable_fitting_rows() -> None:
    rng = np.random.default_rng(11)
    y = rng.random(500) < 0.7
    scores = rng.normal(size=500) + y
    recall, false, facts = decided(scores, y, scores, y, np.ones(500, dtype=bool))
    assert false <= BUDGET and false > BUDGET - 0.02 and recall > false  # the budget, all of it
    assert facts == pytest.approx(1 - false)  # every answerable question refused loses its facts
