"""The answer-or-abstain decision: signals, the logistic fit, calibrations on disk, `assistant calibrate`."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from assistant import ConfigError
from assistant.answering.decision import (
    SHIPPED,
    Calibration,
    Signals,
    decide,
    load_calibration,
    signals,
    user_calibration_path,
)
from assistant.errors import QuestionSetError
from assistant.evaluation.calibrate import Row, choose_threshold, fit, fit_and_choose, tradeoff
from tests.cli_helpers import env_for, run_cli
from tests.conftest import write
from tests.fakes import evidence, passage


class WordStats:
    """Term statistics without an index: lowercase words, every word equally rare except 'the'."""

    def terms(self, text: str) -> list[str]:
        return [w.strip(".,?!").lower() for w in text.split() if w.strip(".,?!")]

    def idf(self, stem: str) -> float:
        return 0.1 if stem == "the" else 2.0


def test_coverage_signals_count_the_questions_rare_words() -> None:
    found = evidence("Mara Vintello keeps the lamp at Quillon.", "The harbour guild painted it teal.", score=6.0)
    s = signals("Who keeps the lamp at Quillon?", [e.passage for e in found], found, WordStats())
    assert s.best == 5.0 and s.margin == 1.0  # evidence() scores 5.0, 4.0
    assert s.cover_sentence > 0.9  # keeps, lamp, at, quillon (+ "the"); "who" is question form
    assert s.missing_idf == 0.0
    assert s.asks_soft == 1.0 and s.soft_fit == 1.0  # "Mara Vintello" is a name the question lacks
    swapped = signals("Who keeps the lamp at Zembla?", [e.passage for e in found], found, WordStats())
    assert swapped.cover_top < s.cover_top and swapped.missing_idf == 2.0  # "zembla" is nowhere


def test_a_number_question_without_a_number_has_no_typed_score() -> None:
    found = evidence("The lighthouse was painted by the harbour guild.")
    s = signals("How many times was the lighthouse painted?", [e.passage for e in found], found, WordStats())
    assert s.asks_hard == 1.0 and s.best_typed == -12.0 and s.best == 4.0
    follow = signals("And in Syria?", [e.passage for e in found], found, WordStats(), asked="How many in Syria?")
    assert follow.asks_hard == 1.0


def test_no_evidence_gives_the_lowest_scores() -> None:
    s = signals("Anything?", [passage("Some text.")], [], WordStats())
    assert (s.best, s.best_typed, s.cover_sentence) == (-12.0, -12.0, 0.0)


def _rows(n: int = 200, seed: int = 3) -> list[Row]:
    """Answerable questions have higher scores and coverage, with noise (overlapping groups)."""
    rng = random.Random(seed)
    base = Signals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    rows = []
    for i in range(n):
        good = i % 2 == 0
        s = replace(
            base,
            best=rng.gauss(5 if good else 1, 2),
            best_typed=rng.gauss(5 if good else 0, 2),
            cover_top=min(1.0, max(0.0, rng.gauss(0.9 if good else 0.6, 0.15))),
        )
        rows.append(Row(f"q{i}", good, s, good))
    return rows


def test_the_fit_separates_and_its_probability_rises_with_the_evidence() -> None:
    rows = _rows()
    model = fit(rows)
    good = [model.probability(r.signals) for r in rows if r.answerable]
    bad = [model.probability(r.signals) for r in rows if not r.answerable]
    assert sum(good) / len(good) > 0.7 > 0.3 > sum(bad) / len(bad)
    weak, strong = rows[1].signals, replace(rows[1].signals, best=9.0, best_typed=9.0)
    assert model.probability(strong) > model.probability(weak)


def test_the_chosen_threshold_keeps_false_abstentions_within_the_budget() -> None:
    rows = _rows()
    calibration = fit_and_choose(rows, "synthetic", max_false=0.05)
    chosen = tradeoff(rows, calibration, [calibration.threshold])[0]
    assert chosen["false_abstentions"] <= 0.05 and chosen["abstention_recall"] > 0.5
    looser = choose_threshold(rows, calibration, 0.20)
    assert looser >= calibration.threshold


def test_fitting_needs_both_kinds_of_question() -> None:
    rows = [r for r in _rows() if r.answerable]
    with pytest.raises(QuestionSetError, match="unanswerable"):
        fit(rows)


def test_a_calibration_round_trips_and_explains_itself(tmp_path: Path) -> None:
    calibration = fit_and_choose(_rows(), "synthetic")
    path = tmp_path / "c.json"
    calibration.save(path)
    again = Calibration.load(path)
    s = _rows()[0].signals
    assert again.probability(s) == pytest.approx(calibration.probability(s))
    decision = decide(s, again)
    data = decision.to_dict()
    assert data["calibration"] == "synthetic" and set(data["contributions"]) == set(calibration.features)
    assert data["abstain"] == (decision.probability < calibration.threshold)


def test_unreadable_or_foreign_calibrations_say_how_to_fix_them(tmp_path: Path) -> None:
    bad = write(tmp_path / "bad.json", "{not json")
    with pytest.raises(ConfigError, match="assistant calibrate"):
        Calibration.load(bad)
    other = json.loads(SHIPPED.read_text())
    other["version"] = 99
    with pytest.raises(ConfigError, match="refit"):
        Calibration.load(write(tmp_path / "v99.json", json.dumps(other)))


def test_a_collections_own_calibration_wins_over_the_shipped_one(tmp_path: Path) -> None:
    assert load_calibration(tmp_path, "documents").source == Calibration.load(SHIPPED).source
    Calibration.cutoff("best", 3.0, "mine").save(user_calibration_path(tmp_path, "documents"))
    assert load_calibration(tmp_path, "documents").source == "mine"
    assert load_calibration(tmp_path, "other").source != "mine"


def test_the_cutoff_is_a_plain_threshold() -> None:
    cut = Calibration.cutoff("best_typed", 2.0)
    s = _rows()[0].signals
    assert decide(replace(s, best_typed=2.0), cut).abstain is False
    assert decide(replace(s, best_typed=1.99), cut).abstain is True


def test_the_calibrate_command_fits_the_users_questions_and_ask_explains(tmp_path: Path, corpus: Path) -> None:
    env = env_for(tmp_path / "home", ASSISTANT_EMBED_MODEL="hashing", ASSISTANT_ANSWERER="extractive")
    assert run_cli(["index", str(corpus)], env, fakes=True).returncode == 0
    lines = [
        {"id": f"a{i}", "question": q, "answerable": True}
        for i, q in enumerate(
            [
                "How many US troops are deployed in Iraq and Syria?",
                "Who heads the Hashed al-Shaabi alliance?",
                "How far is Deir ez-Zor from Raqqa?",
                "How much is the F-16 sale to Turkiye worth?",
                "Why was Turkiye removed from the F-35 program?",
            ]
            * 2
        )
    ] + [
        {"id": f"u{i}", "question": q, "answerable": False}
        for i, q in enumerate(
            [
                "What is the capital of Australia?",
                "How tall is the Eiffel Tower?",
                "Who painted the Mona Lisa?",
                "When was the printing press invented?",
                "What is the boiling point of mercury?",
            ]
            * 2
        )
    ]
    questions = write(tmp_path / "mine.jsonl", "".join(json.dumps(q) + "\n" for q in lines))
    result = run_cli(["calibrate", str(questions), "--no-progress"], env, fakes=True)
    assert result.returncode == 0, result.stderr
    assert "Chosen threshold" in result.stdout and "mine.jsonl" in result.stdout
    assert (tmp_path / "home" / "calibration-documents.json").is_file()
    explained = run_cli(["ask", "What is the capital of Australia?", "--explain"], env, fakes=True)
    assert "Calibration: mine.jsonl (20 questions" in explained.stdout, explained.stdout + explained.stderr
    assert "cover_top" in explained.stdout and "P(answerable)" in explained.stdout
    evaluated = run_cli(["eval", str(questions), "--out", str(tmp_path / "out"), "--no-progress"], env, fakes=True)
    assert "Calibration: mine.jsonl (20 questions" in evaluated.stdout, evaluated.stdout + evaluated.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert str(summary["config"]["calibration"]).startswith("mine.jsonl")
