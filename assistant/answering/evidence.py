"""Evidence first: from the top passages, the sentences that best answer the question.

Each sentence is scored by the cross-encoder together with the sentence before it
(pronouns and "he said" need their antecedent), the same text an LLM is shown.
Only this evidence, numbered, reaches an answerer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.retrieval.rerank import Scorer
from assistant.retrieval.windows import Window, shortlist, unique, windows
from assistant.types import Evidence, Passage
from index import text as tx

MAX_EVIDENCE = 6  # sentences given to an answerer; ~6 x 60 tokens keeps LLM prompts short
PASSAGES_FOR_EVIDENCE = 5  # top passages whose sentences are considered
EVIDENCE_BUDGET = 8  # windows the cross-encoder reads (~12 ms each); the reranked ones are cached
NEAR_DUPLICATE = 0.7  # share of a sentence's words already in a chosen sentence: it repeats, not adds


# Expected answer types: a "how many" question is not answered by a sentence without a number.
# A kind is asked by its wh-word near the start ("How many", "And when", "So who") or by a typed
# phrase anywhere ("Approximately how many ...", "In what year ..."); "when" or "who" later in a
# question usually opens a clause ("the man who ...") and asks nothing.
# The number words, months and weekdays are index.text's.
_NUMBER_WORDS = "|".join([*sorted(tx.NUMBER_WORDS, key=len, reverse=True), "dozens?", *(f"{w}s?" for w in tx.SCALES)])
_MONTHS = "|".join(sorted(tx.MONTHS, key=len, reverse=True))
_DAYS = "|".join([*tx.WEEKDAYS, "yesterday", "today", "last (week|month|year)"])
# Before the wh-word: the start, a filler or two ("And when", "So how many"), or a self-correction
# ("What did they no sorry when did they ...": spoken questions are not clean either).
_LEAD = (
    r"(?:^\W*|\b(?:no sorry|or rather|i mean|no wait|sorry|rather|actually)\W+)"
    r"(?:(?:and|so|but|then|well|ok|okay|now|also|um|uh|oh)\W+){0,2}"
)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+|\b[A-Z]{2,}\b")


def _asks(lead: str, anywhere: str) -> re.Pattern[str]:
    return re.compile(rf"{_LEAD}({lead})\b|\b({anywhere})\b", re.I)


ASKS = {
    "number": _asks(
        r"how (many|much)",
        r"how (many|much)|what (percentage|percent|proportion|share|number|amount)",
    ),
    "date": _asks(r"when", r"(in |by |since )?(what|which) (year|date|day|month|century|decade)"),
    "person": _asks(r"who|whom|whose", r"by whom|which (person|man|woman)"),
    "place": _asks(r"where", r"(what|which) (country|city|town|state|region|continent|place|river|island)"),
}
_HAS = {
    "number": re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.I),
    "date": re.compile(rf"\d|\b({_MONTHS}|{_DAYS})\b", re.I),
}
HARD_KINDS = ("number", "date")  # a sentence without one cannot answer; person/place are only signals


def asked_kinds(question: str) -> list[str]:
    """The kinds of answer `question` asks for: number, date, person, place (often none)."""
    return [kind for kind, pattern in ASKS.items() if pattern.search(question)]


def holds_kind(kind: str, sentence: str, question: str = "") -> bool:
    """Whether `sentence` can hold an answer of `kind`: a number or a date for those; for a person
    or a place, a capitalised name that the question does not already contain."""
    if kind in _HAS:
        return bool(_HAS[kind].search(sentence))
    asked = set(re.findall(r"\w+", question.lower()))
    return any(m.group(0).lower() not in asked for m in _CAPITALISED.finditer(sentence))


def fits_answer_type(question: str, sentence: str) -> bool:
    """False when the question asks for a number or a date and the sentence has none."""
    return all(holds_kind(kind, sentence) for kind in asked_kinds(question) if kind in HARD_KINDS)


def asks_for_type(question: str) -> bool:
    """True when the answer must hold a number or a date."""
    return any(kind in HARD_KINDS for kind in asked_kinds(question))


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
    kept = [(float(s), candidates[i]) for s, i in ranked if floor is None or s >= floor]
    chosen = _diverse(kept, limit)
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


def _diverse(ranked: Sequence[tuple[float, Window]], limit: int) -> list[tuple[float, Window]]:
    """The best `limit`, skipping near-copies of a sentence already chosen (news and e-mail threads
    repeat sentences word for word; a repeat adds no fact, and takes the place of one that might)."""
    chosen: list[tuple[float, Window]] = []
    seen: list[set[str]] = []
    for score, window in ranked:
        words = set(tx.terms(window.sentence))
        if words and any(len(words & other) / len(words) >= NEAR_DUPLICATE for other in seen):
            continue
        chosen.append((score, window))
        seen.append(words)
        if len(chosen) == limit:
            break
    return chosen
