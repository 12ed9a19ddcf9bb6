"""Evaluation metrics on hand-made cases: no gold, no citations, ties, abstentions, hand-computed ranks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.evaluation import metrics as m
from assistant.types import Answer, Citation
from tests.fakes import passage


def cite(number: int, doc_id: str, quote: str, passage_text: str | None = None) -> Citation:
    text = quote if passage_text is None else passage_text
    return Citation(number, doc_id, "T", None, 0, len(quote), quote, 1.0, passage=text)


def textbook_ndcg(ranked: list[str], gold: set[str], k: int) -> float:
    """nDCG from the textbook definition, written independently: gains 2^rel - 1, discount log2(i + 1)."""
    gains = [(2 ** int(doc in gold) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k])]
    ideal = [(2**1 - 1) / math.log2(i + 2) for i in range(min(len(gold), k))]
    return sum(gains) / sum(ideal)


# -- retrieval -------------------------------------------------------------------
def test_ranked_docs_keeps_the_first_rank_of_each_document() -> None:
    passages = [passage("x", "b.txt"), passage("y", "a.txt"), passage("z", "b.txt"), passage("w", "c.txt")]
    assert m.ranked_docs(passages) == ["b.txt", "a.txt", "c.txt"]


def test_retrieval_metrics_hand_computed() -> None:
    ranked, gold = ["x", "g1", "y", "g2"], {"g1", "g2", "g3"}
    assert m.hit_at_k(ranked, gold, 1) == 0.0 and m.hit_at_k(ranked, gold, 2) == 1.0
    assert m.recall_at_k(ranked, gold, 4) == pytest.approx(2 / 3)
    assert m.recall_at_k(ranked, gold, 3) == pytest.approx(1 / 3)
    assert m.mrr(ranked, gold) == 0.5
    assert m.mrr(ranked, gold, k=1) == 0.0
    # DCG@4 = 1/log2(3) + 1/log2(5) = 0.63093 + 0.43068; IDCG@4 = 1 + 1/log2(3) + 1/log2(4) = 2.13093
    assert m.ndcg_at_k(ranked, gold, 4) == pytest.approx((0.630930 + 0.430677) / 2.130930, abs=1e-6)
    assert m.ndcg_at_k(ranked, gold, 4) == pytest.approx(0.498190, abs=1e-6)


def test_ndcg_ideal_uses_at_most_k_gold_documents() -> None:
    # Two gold documents but k = 1: a perfect top-1 is 1.0, not 1 / (1 + 1/log2(3)).
    assert m.ndcg_at_k(["g1", "g2"], {"g1", "g2"}, 1) == 1.0
    assert m.ndcg_at_k(["x", "g1"], {"g1"}, 2) == pytest.approx(1 / math.log2(3))


@given(
    st.lists(st.sampled_from("abcdefgh"), min_size=0, max_size=8, unique=True),
    st.sets(st.sampled_from("abcdefgh"), min_size=1, max_size=4),
    st.integers(min_value=1, max_value=8),
)
def test_ndcg_matches_the_textbook_formula(ranked: list[str], gold: set[str], k: int) -> None:
    value = m.ndcg_at_k(ranked, gold, k)
    assert value == pytest.approx(textbook_ndcg(ranked, gold, k))
    assert 0.0 <= value <= 1.0 + 1e-12  # type: ignore[operator]


def test_no_gold_means_not_applicable_not_zero() -> None:
    for metric in (m.hit_at_k, m.recall_at_k, m.ndcg_at_k):
        assert metric(["a"], [], 5) is None
    assert m.mrr(["a"], []) is None


def test_nothing_retrieved_scores_zero() -> None:
    assert m.hit_at_k([], {"g"}, 5) == 0.0 and m.mrr([], {"g"}) == 0.0 and m.ndcg_at_k([], {"g"}, 5) == 0.0


# -- answers -----------------------------------------------------------------------
def test_fold_normalises_case_punctuation_and_thousands() -> None:
    assert m.fold("About 4,000 U.S. troops—in Deir ez-Zor!") == "about 4000 u s troops in deir ez zor"
    assert m.fold("1,000,000 and 2,50") == "1000000 and 2 50"  # "2,50" is not a thousands separator
    assert m.fold("Türkiye’s") == "turkiye s"
    assert m.fold("On January 28th, the 113th Brigade; 2nd and 1st") == "on january 28 the 113 brigade 2 and 1"


def test_fact_matching_is_whole_word_after_folding() -> None:
    assert m.fact_present("Some 4,000 troops.", ["4000"])
    assert m.fact_present("Some 4000 troops.", ["4,000"])
    assert not m.fact_present("Some 4000 troops.", ["40"])
    assert m.fact_present("In Jordan on January 28th.", ["january 28"])
    assert not m.fact_present("On January 28th.", ["january 2"])
    assert not m.fact_present("The oilfields.", ["oil"])
    assert m.fact_present("Victoria Numan said so.", ["nuland", "numan"])
    assert m.fact_present("The Syrian Democratic Forces (SDF).", ["syrian democratic forces"])


def test_citation_markers_are_not_read_as_numbers() -> None:
    assert not m.fact_present("They said so [4].", ["4"])


def test_key_fact_recall_counts_facts_not_alternatives() -> None:
    facts = [["january 28"], ["three", "3"], ["jordan"]]
    assert m.key_fact_recall("On January 28, three died [1].", facts) == pytest.approx(2 / 3)
    assert m.missing_facts("On January 28, three died [1].", facts) == ["jordan"]
    assert m.key_fact_recall("anything", []) is None
    assert m.key_fact_recall("", facts) == 0.0
    assert m.key_fact_recall("Three, or 3, died.", [["three", "3"]]) == 1.0  # two alternatives: one fact


def test_token_f1_squad_style() -> None:
    assert m.token_f1("The cat sat", "a cat sat down") == pytest.approx(2 * 1.0 * (2 / 3) / (1 + 2 / 3))
    assert m.token_f1("anything", "the") is None  # articles only: the reference folds to nothing
    assert m.token_f1("", "cat") == 0.0
    assert m.token_f1("cat cat", "cat") == pytest.approx(2 * 0.5 * 1.0 / 1.5)  # bag of words: counts matter
    assert m.token_f1("4,000 troops [1].", "4000 troops") == 1.0


# -- citations -----------------------------------------------------------------------
def test_citation_precision_and_recall() -> None:
    answer = Answer("q", "A [1]. B [2].", citations=(cite(1, "g.txt", "A"), cite(2, "x.txt", "B")))
    assert m.citation_precision(answer, {"g.txt"}) == 0.5
    assert m.citation_recall(answer, {"g.txt", "h.txt"}) == 0.5
    assert m.citation_precision(answer, set()) is None  # unanswerable: judged by abstention
    assert m.citation_recall(answer, set()) is None


def test_no_citations() -> None:
    answer = Answer("q", "An answer without markers.")
    assert m.citation_precision(answer, {"g"}) is None
    assert m.citation_recall(answer, {"g"}) == 0.0
    assert m.cited_facts(answer, [["2,500"]]) is None  # states no key fact
    assert m.invalid_citations(answer) == 0


def test_cited_facts_asks_whether_the_quotes_state_the_facts_the_answer_states() -> None:
    quote = "US forces number about 2,500 in Iraq."
    right = Answer("q", "About 2,500 US troops are in Iraq [1].", citations=(cite(1, "g.txt", quote),))
    assert m.cited_facts(right, [["2,500"], ["Iraq"]]) == 1.0
    # The answer states 900 but cites a sentence that does not: the metric fails it, whatever
    # the claim check said (it reads the gold facts, not the checker's rules).
    wrong = Answer("q", "About 900 US troops are in Syria [1].", citations=(cite(1, "g.txt", quote),))
    assert m.cited_facts(wrong, [["900"], ["Syria"]]) == 0.0
    half = Answer("q", "About 2,500 US troops are in Syria [1].", citations=(cite(1, "g.txt", quote),))
    assert m.cited_facts(half, [["2,500"], ["Syria"]]) == 0.5
    assert m.cited_facts(right, []) is None


def test_cited_sentences_and_a_trailing_marker_only_sentence() -> None:
    assert m.cited_sentences("Oil matters [2]. Uncited here. Troops stay in Syria. [1, 3]") == [
        ("Oil matters.", [2]),
        ("Troops stay in Syria.", [1, 3]),
    ]


def test_markers_after_a_closing_quote_belong_to_the_quote() -> None:
    text = "The official stated: \u201cWe must cooperate.\u201d [1]. She said ISIS is active [2]."
    assert m.cited_sentences(text) == [
        ("The official stated: \u201cWe must cooperate.\u201d", [1]),
        ("She said ISIS is active.", [2]),
    ]


def test_invalid_citations_count_dangling_markers_and_misquotes() -> None:
    citation = cite(1, "g.txt", "not in the passage", "The passage says something else.")
    answer = Answer("q", "A claim [1]. Another [2]. A third [1, 3].", citations=(citation,))
    assert m.invalid_citations(answer) == 3  # [2], [3] dangle; citation 1 misquotes


# -- abstention and aggregation ---------------------------------------------------------
def test_abstention_scores() -> None:
    records = [
        {"answerable": False, "abstained": True},
        {"answerable": False, "abstained": False},
        {"answerable": True, "abstained": True},
        {"answerable": True, "abstained": False},
        {"answerable": True, "abstained": False},
        {"answerable": True, "abstained": None},  # an error: no answer, left out
    ]
    assert m.abstention_scores(records) == {
        "abstention_precision": 0.5,
        "abstention_recall": 0.5,
        "false_abstention_rate": pytest.approx(1 / 3),
    }


def test_abstention_scores_without_abstentions_or_unanswerables() -> None:
    scores = m.abstention_scores([{"answerable": True, "abstained": False}])
    assert scores == {"abstention_precision": None, "abstention_recall": None, "false_abstention_rate": 0.0}
    assert m.abstention_scores([]) == dict.fromkeys(scores)


def test_mean_leaves_out_not_applicable() -> None:
    assert m.mean([1.0, None, 0.0]) == 0.5 and m.mean([None]) is None and m.mean([]) is None


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=30), st.sampled_from([0, 25, 50, 90, 95, 100]))
def test_percentile_matches_numpy(values: list[float], p: int) -> None:
    assert m.percentile(values, p) == pytest.approx(float(np.percentile(values, p)))


def test_percentile_ties_and_empty() -> None:
    assert m.percentile([2.0, 2.0, 2.0], 95) == 2.0
    assert m.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert m.percentile([], 50) is None
