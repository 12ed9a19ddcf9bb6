"""Evidence first: from the top passages, the sentences that best answer the question.

Each sentence is scored by the cross-encoder together with the sentence before it
(pronouns and "he said" need their antecedent), the same text an LLM is shown.
Only this evidence, numbered, reaches an answerer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.rerank import Scorer
from assistant.types import Evidence, Passage
from index.sentences import sentence_spans

MAX_EVIDENCE = 6  # sentences given to an answerer; ~6 x 60 tokens keeps LLM prompts short
PASSAGES_FOR_EVIDENCE = 5  # top passages whose sentences are considered
MIN_WORDS = 4  # shorter "sentences" (headings, "Source: BBC") are context, not evidence


# Expected answer types: a "how many" question is not answered by a sentence without a number.
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|millions?|billions?"
)
_MONTHS = (
    r"jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t|tember)?|"
    r"oct(ober)?|nov(ember)?|dec(ember)?"
)
_DAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|last (week|month|year)"
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


@dataclass(frozen=True)
class _Candidate:
    passage: Passage
    sentence: str
    context: str
    start: int  # document offsets
    end: int


def _candidates(passage: Passage) -> list[_Candidate]:
    spans = sentence_spans(passage.text)
    found = []
    for i, (start, end) in enumerate(spans):
        sentence = passage.text[start:end]
        if len(sentence.split()) < MIN_WORDS:
            continue
        context_start = spans[i - 1][0] if i > 0 and "\n\n" not in passage.text[spans[i - 1][1] : start] else start
        context = " ".join(passage.text[context_start:end].split())
        found.append(_Candidate(passage, sentence, context, passage.char_start + start, passage.char_start + end))
    return found


def _unique(candidates: list[_Candidate]) -> list[_Candidate]:
    """Overlapping chunks repeat sentences: keep each (document, span) once."""
    seen: set[tuple[str, int]] = set()
    unique = []
    for candidate in candidates:
        key = (candidate.passage.doc_id, candidate.start)
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique


def select_evidence(
    question: str,
    passages: Sequence[Passage],
    scorer: Scorer,
    *,
    limit: int = MAX_EVIDENCE,
    floor: float | None = None,
) -> list[Evidence]:
    """The best sentences for `question`, numbered 1.. in order of score.

    `floor` drops sentences whose score is below it (None keeps the best `limit`).
    """
    candidates = _unique([c for p in passages[:PASSAGES_FOR_EVIDENCE] for c in _candidates(p)])
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
