"""What an answerer's "the documents do not say" looks like, in any wording.

One notion for every module that needs it: the answering pipeline (a reply that is only a
refusal, or a partial answer that says what is missing), the follow-up rewriter (an LLM
rewrite that refuses is unusable) and the baseline benchmark (counting refusals).
"""

from __future__ import annotations

import re

from assistant.answering.prompts import NOT_FOUND
from index.sentences import sentence_spans

# A refusal, as a prompt asks for one (ours: NOT_FOUND; llama-index's default: 'Answer "don't know"
# if not present') or as small models phrase it; searched in the whole reply, case-insensitively. "does not
# mention" and "is not found" count only with the documents as their subject, so "the US did not
# have enough troops" or "no weapons were found" are not refusals; a bare "Not in the documents."
# (or "It is not in the provided text.") counts as a whole sentence only: "Such powers are not in
# the articles." is a statement about articles, "not in the context of a truce" no refusal either.
_NOT = r"\s*(?:not|n'?t|n’t)\s+"
_SOURCE = r"(?:context|documents?|texts?|articles?|passages?|information|sources?|excerpts?|evidence)"
REFUSAL = re.compile(
    r"\b(?:"
    r"(?:do\s+not|don'?t|don’t)\s+know\b"
    rf"|{_SOURCE}\b[^.]{{0,60}}?\b(?:does|do|did){_NOT}(?:mention|provide|contain|include|specify|say|state|give"
    r"|offer|discuss|have)"
    rf"|(?:is|are|was|were){_NOT}(?:mentioned|provided|specified|stated|included|available|given|found|present"
    rf"|contained)\s+(?:in|within|by)\s+(?:any\s+of\s+)?(?:the\s+)?(?:provided\s+|given\s+)?{_SOURCE}"
    r"|not\s+(?:mentioned|provided|specified|stated)\s+in\b"
    rf"|^\s*(?:(?:it|this|that|the\s+answer)\s+is\s+)?not\s+(?:\w+\s+)?in\s+(?:the\s+|these\s+|any\s+)?"
    rf"(?:provided\s+|given\s+)?{_SOURCE}\s*[.!]?\s*$"
    r"|no\s+(?:specific\s+|relevant\s+|further\s+)?(?:information|mention|details?)\s+(?:about|on|regarding|in|is|was"
    r"|provided|available)"
    r"|(?:cannot|can'?t|can’t|unable\s+to)\s+(?:find|determine|answer|be\s+determined)"
    r")",
    re.IGNORECASE,
)


def is_refusal(text: str) -> bool:
    """True when `text` says somewhere that the documents do not hold the answer."""
    return bool(REFUSAL.search(text)) or NOT_FOUND[:30].lower() in text.lower()


def split_refusals(answer: str) -> tuple[str, list[str]]:
    """(the answer without its refusal sentences, those sentences): "X [1]. The documents do not
    say why." keeps "X [1]." and reports what is missing."""
    kept: list[str] = []
    refusals: list[str] = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end].strip()
        (refusals if is_refusal(sentence) else kept).append(sentence)
    return " ".join(kept), refusals
