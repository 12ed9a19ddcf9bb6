"""Follow-ups that leave words out: "And in Syria?" (a part swapped) and "Why?" (no subject of its own)."""

from __future__ import annotations

import re

from assistant.followups.phrases import (
    AUX,
    CLOSED,
    IMPERATIVES,
    OPENERS,
    PREPOSITIONS,
    WH,
    Asked,
    Phrase,
    Words,
    analyse,
    skip_conjunctions,
    year_or_number,
)
from assistant.followups.references import about

# "And in Syria?", "What about France?", "how about in 2020?", "Same for Lyon?"
_MARKER = re.compile(
    r"^(?:(?:and|but|or|so|also|now)\s+)?(?:what|how)\s+about\s+|^(?:and|but|or|also)\s+"
    r"|^(?:and\s+)?(?:the\s+)?same\s+(?:question\s+)?for\s+",
    re.I,
)
MAX_FRAGMENT_WORDS = 6  # "what about the 2020 season in Spain?" still swaps; longer is a question of its own
_ARTICLES = frozenset({"the", "a", "an"})
# Words that ask for more about something rather than name it: "Tell me more", "What else?".
_CONTEXT_WORDS = frozenset(
    "more else next then again other another others same one ones former latter before after happen happened "
    "happens mean means me explain elaborate detail details example examples really exactly instead too either "
    "later earlier anything something continue go on say said".split()
)
_ONE = re.compile(r"\b(?:which|what|the|this|that)\s+ones?\b|\b(?:former|latter)\b", re.I)
_ABOUT_AFTER = frozenset(
    "more else details detail anything something examples example information elaborate updates update news next "
    "then later".split()
)


def fragment(question: str) -> str | None:
    """The part an elliptical follow-up puts in the previous question's place ("in Syria", "France")."""
    text = question.strip().rstrip("?!. ")
    marker = _MARKER.match(text)
    rest = _without_wh(text[marker.end() :] if marker else text)
    words = Words(rest)
    if not words.words or words.low[0] in IMPERATIVES | (CLOSED - PREPOSITIONS - _ARTICLES):
        return None  # "And what did he say?" is a question of its own
    if marker:
        return rest if len(words) <= MAX_FRAGMENT_WORDS else None
    if words.low[0] in PREPOSITIONS and len(words) < MAX_FRAGMENT_WORDS:
        return rest
    return rest if year_or_number(rest) or _whole_name(words) else None


def _without_wh(text: str) -> str:
    """ "how many in Syria" -> "in Syria": a question word before a bare prepositional phrase."""
    words = Words(text)
    if not words.words or words.low[0] not in WH or any(low in AUX for low in words.low):
        return text
    k = 1 + (words.low[0] == "how" and len(words) > 1 and words.low[1] in {"many", "much"})
    return text[words.words[k].start :] if k < len(words) and words.low[k] in PREPOSITIONS else text


def swap(fragment: str, asked: Asked) -> tuple[str, str] | None:
    """The previous question with `fragment` in place of its matching part, and how; None if no part fits.

    A phrase with no counterpart is added instead ("in 2020" to a question without a year).
    """
    words, new = asked.words, Words(fragment)
    if new.low[0] in PREPOSITIONS | _ARTICLES:
        fragment = fragment[:1].lower() + fragment[1:]  # "In 2019?" goes mid-sentence
    slot = _pp_slot(words, new) if new.low[0] in PREPOSITIONS else _np_slot(words, fragment, asked)
    if slot is not None:
        start = slot.start
        if new.low[0] in _ARTICLES and slot.i > 0 and words.low[slot.i - 1] in _ARTICLES:
            start = words.words[slot.i - 1].start  # "the UK" into "in the Netherlands"
        query = words.text[:start] + fragment + words.text[slot.end :]
        return _as_question(query), f"ellipsis: '{slot.text}' -> '{fragment}'"
    if new.low[0] in PREPOSITIONS or re.fullmatch(r"[12]\d{3}", fragment):
        added = fragment if new.low[0] in PREPOSITIONS else f"in {fragment}"
        return f"{words.text.rstrip(' ?!.')} {added}?", f"ellipsis: added '{added}' to the previous question"
    return None


def _pp_slot(words: Words, new: Words) -> Phrase | None:
    """The previous question's part a prepositional phrase replaces.

    A year or number ("in 2020") replaces a phrase holding one ("for 2019"); anything else replaces
    a phrase with the same preposition ("in Iraq" -> "in Syria").
    """
    number = len(new) > 1 and year_or_number(new.text[new.words[1].start :])
    for p in reversed(range(len(words) - 1)):
        obj = words.noun_phrase(p + 1) if words.low[p] in PREPOSITIONS else None
        if obj is not None and year_or_number(obj.text) == number and (number or words.low[p] == new.low[0]):
            return words.phrase(p, obj.j)
    return None


def _np_slot(words: Words, fragment: str, asked: Asked) -> Phrase | None:
    """The previous question's part a noun phrase replaces: a number for a number, a name for a name,
    else what its subject is "of" ("the boiling point of [water]"), else its subject, else the
    object of its last preposition."""
    if year_or_number(fragment):
        numbers = [i for i, low in enumerate(words.low) if year_or_number(low)]
        return words.phrase(numbers[-1], numbers[-1] + 1) if numbers else None
    if _whole_name(Words(fragment)) and words.names:
        name = words.names[-1]
        joiners = [k for k in range(name.i, name.j) if words.low[k] == "of"]
        return words.phrase(joiners[-1] + 1, name.j) if joiners else name  # "CEO of Airbus": swap "Airbus"
    subject = asked.subject
    if subject is not None:
        of = [k for k in range(subject.i, subject.j - 1) if words.low[k] == "of"]
        return words.phrase(of[-1] + 1, subject.j) if of else subject
    return asked.objects[-1] if asked.objects else None


def _whole_name(words: Words) -> bool:
    start = 1 if words.low and words.low[0] == "the" else 0
    return any(name.i == start and name.j == len(words) for name in words.names)


# -- questions without a subject of their own ----------------------------------------------------
def own_subject(question: str) -> bool:
    """True when the question names what it asks about: a name, a number, or a noun phrase of its own."""
    asked = analyse(question)
    if _ONE.search(question):
        return False  # "Which one is cheaper?", "What did the latter say?"
    if asked.words.names or any(year_or_number(low) for low in asked.words.low):
        return True
    phrases = [asked.subject, asked.counted, *asked.objects]  # "How long does it take [to renew a passport]?"
    words = [word for phrase in phrases if phrase is not None for word in phrase.text.lower().split()]
    return any(word not in CLOSED | OPENERS | _CONTEXT_WORDS for word in words)


def with_topic(question: str, asked: Asked) -> tuple[str, str] | None:
    """A question without a subject of its own, asked about the previous question's; and how."""
    text = question.strip().rstrip("?!. ")
    words = Words(text)
    if len(words) == 1 and words.low[0] in WH:  # "Why?" -> "Why did the war start?"
        rest = _after_wh(asked.words)
        return f"{text} {rest}?", f"asked about '{rest}' from the previous question"
    topic = (asked.subject.text if asked.subject else None) or asked.described or about(asked)
    if not topic:
        return None
    joiner = " about " if words.low and words.low[-1] in _ABOUT_AFTER | IMPERATIVES else " "
    end = "?" if question.rstrip().endswith("?") else ""
    return f"{text}{joiner}{topic}{end}", f"added '{topic}' from the previous question"


def _after_wh(words: Words) -> str:
    """A question after its question word: "did the war start", "US troops are in Iraq"."""
    i = skip_conjunctions(words, 0)
    if i < len(words) and words.low[i] in WH:
        i += 1 + (words.low[i] == "how" and i + 1 < len(words) and words.low[i + 1] in {"many", "much"})
    if i >= len(words):
        return words.text.rstrip(" ?!.")
    rest = words.text[words.words[i].start :].rstrip(" ?!.")
    return rest if words.name_at(i) else rest[:1].lower() + rest[1:]


def _as_question(text: str) -> str:
    text = text.strip()
    return text if text.endswith(("?", ".", "!")) else text + "?"
