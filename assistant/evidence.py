"""Evidence first: from the top passages, the sentences that best answer the question.

Each sentence is scored by the cross-encoder together with the sentence before it
(pronouns and "he said" need their antecedent), the same text an LLM is shown.
Only this evidence, numbered, reaches an answerer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.rerank import Scorer
from assistant.types import Evidence, Passage
from assistant.windows import shortlist, unique, windows
from index import text as tx

MAX_EVIDENCE = 6  # sentences given to an answerer; ~6 x 60 tokens keeps LLM prompts short
PASSAGES_FOR_EVIDENCE = 5  # top passages whose sentences are considered
EVIDENCE_BUDGET = 8  # windows the cross-encoder reads (~12 ms each); the reranked ones are cached


# Expected answer types: a "how many" question is not answered by a sentence without a number.
# The number words, months and weekdays are index.text's.
_NUMBER_WORDS = "|".join([*sorted(tx.NUMBER_WORDS, key=len, reverse=True), "dozens?", *(f"{w}s?" for w in tx.SCALES)])
_MONTHS = "|".join(sorted(tx.MONTHS, key=len, reverse=True))
_DAYS = "|".join([*tx.WEEKDAYS, "yesterday", "today", "last (week|month|year)"])
ANSWER_TYPES = {
    "number": (re.compile(r"^\s*how (many|much)\b", re.I), re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.I)),
    "date": (
        re.compile(r"^\s*(when|what (year|date|day|month))\b", re.I),
        re.compile(rf"\d|\b({_MONTHS}|{_DAYS})\b", re.I),
    ),
}


def fits_answer_type(question: str, sentence: str) -> bool:
    """False when the question asks for a number or a date and the sentence has none."""
    return not any(asks.search(question) and not has.search(sentence) for asks, has in ANSWER_TYPES.values())


def asks_for_type(question: str) -> bool:
    """True for a how-many or when question: the answer must hold a number or a date."""
    return any(asks.search(question) for asks, _ in ANSWER_TYPES.values())


def type_bonus(question: str) -> Callable[[str], bool] | None:
    """For `shortlist`: favour sentences of the asked-for kind, when a kind is asked for."""
    return (lambda sentence: fits_answer_type(question, sentence)) if asks_for_type(question) else None


def select_evidence(
    question: str,
    passages: Sequence[Passage],
    scorer: Scorer,
    *,
    limit: int = MAX_EVIDENCE,
    floor: float | None = None,
    budget: int = EVIDENCE_BUDGET,
) -> list[Evidence]:
    """The best sentences for `question`, numbered 1.. in order of score.

    Of the top passages' sentences, the cross-encoder reads each passage's most promising one
    and the `budget` most promising overall (windows.shortlist). `floor` drops sentences whose
    score is below it (None keeps the best `limit`).
    """
    pool = unique(w for p in passages[:PASSAGES_FOR_EVIDENCE] for w in windows(p))
    candidates = shortlist(question, pool, budget, bonus=type_bonus(question))
    if not candidates:
        return []
    scores = scorer.score(question, [c.context for c in candidates])
    ranked = sorted(zip(scores, range(len(candidates)), strict=True), key=lambda pair: -pair[0])
    chosen = [(float(s), candidates[i]) for s, i in ranked if floor is None or s >= floor][:limit]
    return [
        Evidence(
            id=n,
            passage=c.passage,
            sentence=c.sentence,
            context=c.context,
            char_start=c.start,
            char_end=c.end,
            score=score,
            location=c.passage.locate(c.start, c.end),
        )
        for n, (score, c) in enumerate(chosen, start=1)
    ]
