"""Evaluation metrics as pure functions: retrieval, answer, citation and abstention scores.

`None` means "not applicable" (no gold sources, no key facts, no citations...) and is
left out of every average, so a question set without gold sources reports retrieval
as n/a rather than 0.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from assistant.types import Answer, Passage
from index.sentences import split_sentences
from index.text import fold, marker_numbers, strip_markers

_ARTICLES = frozenset(("a", "an", "the"))
_WORDLIKE = re.compile(r"[^\W_]")  # a letter or digit


# -- retrieval (over unique documents, in rank order) ----------------------------
def ranked_docs(passages: Iterable[Passage]) -> list[str]:
    """The distinct doc ids of `passages`, in the rank of their first passage."""
    return list(dict.fromkeys(p.doc_id for p in passages))


def hit_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """1.0 if any of the first k documents is gold, else 0.0; None without gold."""
    gold = set(gold)
    if not gold:
        return None
    return 1.0 if gold & set(ranked[:k]) else 0.0


def recall_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """|gold ∩ first k documents| / |gold|; None without gold."""
    gold = set(gold)
    if not gold:
        return None
    return len(gold & set(ranked[:k])) / len(gold)


def mrr(ranked: Sequence[str], gold: Iterable[str], k: int | None = None) -> float | None:
    """Reciprocal rank of the first gold document (1/rank, ranks from 1; 0 if none in the
    first k); None without gold. Averaged over questions this is the MRR."""
    gold = set(gold)
    if not gold:
        return None
    for rank, doc in enumerate(ranked[:k] if k else ranked, start=1):
        if doc in gold:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float | None:
    """DCG@k / ideal DCG@k with binary relevance; None without gold.

    DCG@k = sum over ranks i = 1..k of rel_i / log2(i + 1), rel_i = 1 if document i is gold.
    The ideal ranking puts min(|gold|, k) gold documents first.
    """
    gold = set(gold)
    if not gold:
        return None
    dcg = sum(1.0 / math.log2(i + 1) for i, doc in enumerate(ranked[:k], start=1) if doc in gold)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), k) + 1))
    return dcg / ideal


# -- answers ---------------------------------------------------------------------
def without_markers(text: str) -> str:
    """`text` with its [n] citation markers removed (so "[4]" is never read as the number 4)."""
    return strip_markers(text)


def fact_present(answer: str, alternatives: Iterable[str]) -> bool:
    """True when any alternative occurs in the answer as whole words, after `fold`
    (so "40" is not found in "4000", nor "oil" in "oilfield")."""
    haystack = f" {fold(without_markers(answer))} "
    return any(needle and f" {needle} " in haystack for needle in (fold(a) for a in alternatives))


def key_fact_recall(answer: str, key_facts: Sequence[Sequence[str]]) -> float | None:
    """Share of key facts present in the answer (`fact_present`); None without key facts."""
    if not key_facts:
        return None
    return sum(fact_present(answer, fact) for fact in key_facts) / len(key_facts)


def missing_facts(answer: str, key_facts: Sequence[Sequence[str]]) -> list[str]:
    """The first alternative of each key fact the answer lacks (for reports)."""
    return [fact[0] for fact in key_facts if not fact_present(answer, fact)]


def _tokens(text: str) -> list[str]:
    return [t for t in fold(without_markers(text)).split() if t not in _ARTICLES]


def token_f1(prediction: str, reference: str) -> float | None:
    """SQuAD-style bag-of-words F1: folded tokens without articles; overlap = the multiset
    intersection, P = overlap/|pred|, R = overlap/|ref|, F1 = 2PR/(P+R).
    None when the reference is empty; 0.0 when only the prediction is."""
    ref = _tokens(reference)
    if not ref:
        return None
    pred = _tokens(prediction)
    overlap = sum((Counter(pred) & Counter(ref)).values())
    if overlap == 0:
        return 0.0
    precision, recall = overlap / len(pred), overlap / len(ref)
    return 2 * precision * recall / (precision + recall)


# -- citations -------------------------------------------------------------------
def citation_precision(answer: Answer, gold: Iterable[str]) -> float | None:
    """Share of citations whose document is a gold source; None without citations or
    without gold (unanswerable questions are judged by the abstention metrics)."""
    gold = set(gold)
    if not answer.citations or not gold:
        return None
    return sum(c.doc_id in gold for c in answer.citations) / len(answer.citations)


def citation_recall(answer: Answer, gold: Iterable[str]) -> float | None:
    """Share of gold sources cited at least once; None without gold."""
    gold = set(gold)
    if not gold:
        return None
    return len(gold & {c.doc_id for c in answer.citations}) / len(gold)


def cited_sentences(text: str) -> list[tuple[str, list[int]]]:
    """(sentence without markers, cited numbers) for each sentence of `text` with a marker.
    A piece with no words ("[2]", or the "[1]." after a closing quote: `...cooperation.” [1].`)
    lends its markers to the sentence before it."""
    sentences: list[tuple[str, list[int]]] = []
    for sentence in split_sentences(text):
        claim = without_markers(sentence).strip()
        if _WORDLIKE.search(claim):
            sentences.append((claim, marker_numbers(sentence)))
        elif sentences:
            sentences[-1][1].extend(marker_numbers(sentence))
    return [(claim, numbers) for claim, numbers in sentences if numbers]


def cited_facts(answer: Answer, key_facts: Sequence[Sequence[str]]) -> float | None:
    """Of the key facts the answer states, the share that its cited sentences state too (the
    quotes shown to the reader); None when the answer states none. Independent of the claim
    check: it reads the gold facts, not the checker's rules, so a citation that points at a
    sentence without the fact it is given for counts against it."""
    stated = [fact for fact in key_facts if fact_present(answer.text, fact)]
    if not stated:
        return None
    quotes = " ".join(c.quote for c in answer.citations)
    return sum(fact_present(quotes, fact) for fact in stated) / len(stated)


def invalid_citations(answer: Answer) -> int:
    """[n] markers with no citation numbered n, plus citations whose quote is not in their
    passage (whitespace-insensitive). Should be 0: citations are checked in code."""
    numbers = {c.number for c in answer.citations}
    dangling = sum(n not in numbers for n in marker_numbers(answer.text))
    misquoted = sum(
        bool(c.passage) and " ".join(c.quote.split()) not in " ".join(c.passage.split()) for c in answer.citations
    )
    return dangling + misquoted


# -- abstention ------------------------------------------------------------------
def abstention_scores(records: Iterable[Mapping[str, Any]]) -> dict[str, float | None]:
    """From records with `answerable` and `abstained` (None = no answer, left out):

    abstention_precision = abstained on unanswerable / all abstentions
    abstention_recall = abstained on unanswerable / unanswerable
    false_abstention_rate = abstained on answerable / answerable
    """
    pairs = [(bool(r["answerable"]), bool(r["abstained"])) for r in records if r.get("abstained") is not None]
    abstained = [answerable for answerable, did in pairs if did]
    unanswerable = [did for answerable, did in pairs if not answerable]
    answerable = [did for answerable, did in pairs if answerable]
    return {
        "abstention_precision": _share(abstained, lambda a: not a),
        "abstention_recall": _share(unanswerable, bool),
        "false_abstention_rate": _share(answerable, bool),
    }


def _share(items: Sequence[Any], test: Any) -> float | None:
    return sum(1 for item in items if test(item)) / len(items) if items else None


# -- aggregation -----------------------------------------------------------------
def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not None; None when there are none."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Iterable[float], p: float) -> float | None:
    """The p-th percentile (0..100) by linear interpolation between closest ranks, as
    numpy.percentile's default: position (n - 1) * p / 100 in the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
