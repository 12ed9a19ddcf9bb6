"""Pronouns in a follow-up ("he", "its", "there") and what in the previous turn they refer to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.citations import MARKER
from assistant.phrases import (
    CLOSED,
    COPULA,
    DETERMINERS,
    PERSONAL,
    PREPOSITIONS,
    Asked,
    Phrase,
    Words,
    is_name,
    places,
    plural,
    possessive,
)
from assistant.prompts import NOT_FOUND

# What each pronoun stands for: a person, a thing, a group (plural) or a place.
PRONOUNS = {
    **dict.fromkeys("he she him her his hers himself herself".split(), "person"),
    **dict.fromkeys("it its itself this that".split(), "thing"),
    **dict.fromkeys("they them their theirs themselves these those".split(), "group"),
    "there": "place",
}
_POSSESSIVES = frozenset("his hers its their theirs".split())
# A name earlier in the same question is what these refer to ("Does Apple pay its staff?").
# Object pronouns are not among them: in "Did Obama meet him?" "him" is someone else.
_BOUND_BY_OWN_NAME = frozenset("he she it they his hers its their theirs himself herself itself themselves".split())
_DEMONSTRATIVES = frozenset("this that these those".split())
_TIME_NOUNS = frozenset(
    "year years month months week weeks day days morning afternoon evening night time season quarter weekend "
    "century decade spring summer autumn fall winter".split()
)
# "it" that stands for nothing: "How long does it take to ...", "Is it safe to ...", "What time is it?"
_EXPLETIVE_IT = (
    re.compile(r"\b(it)\s+(?:takes?|took|costs?)\b(?:\s+\S+){0,4}?\s+to\b", re.I),
    re.compile(r"\b(?:is|was|isn't|wasn't)\s+(it)\s+\w+\s+(?:to|that)\b", re.I),
    re.compile(r"\b(it)(?:'s|\s+is|\s+was)\s+\w+\s+(?:to|that)\b", re.I),
    re.compile(r"\btime\s+is\s+(it)\b", re.I),
)


@dataclass(frozen=True)
class Reference:
    """A pronoun in a question: where it is, what kind of thing it stands for, how it is used."""

    word: str
    start: int
    end: int
    kind: str  # "person", "thing", "group", "place"
    possessive: bool  # "his book" -> "X's book"
    initial: bool  # opens the question: the replacement is capitalised
    after_preposition: bool  # "from there" -> "from Lyon", not "from in Lyon"


@dataclass(frozen=True)
class Previous:
    """The turn a follow-up leans on: the previous question (itself resolved) and its answer's names."""

    asked: Asked
    answer_names: tuple[str, ...] = ()  # names the answer adds to its question, in order
    answer_places: tuple[str, ...] = ()  # those of them after "in", "at", "from"...
    answer_group: str | None = None  # "Bill Gates and Paul Allen": new names the answer lists together

    @property
    def question(self) -> str:
        return self.asked.words.text


def previous_turn(asked: Asked, answer: str) -> Previous:
    """The previous question with the names its answer adds; none from an empty answer or an abstention."""
    if not answer.strip() or answer.strip().startswith(NOT_FOUND):
        return Previous(asked)
    words = Words(MARKER.sub("", answer))
    asked_text = asked.words.text.lower()
    new = [n for n in words.names if not re.search(rf"(?<!\w){re.escape(n.text.lower())}(?!\w)", asked_text)]
    new_places = [p.text for p in places(words) if p in new]
    return Previous(asked, tuple(n.text for n in new), tuple(new_places), _group(words, new))


def _group(words: Words, names: list[Phrase]) -> str | None:
    """The first new names listed together ("Bill Gates and Paul Allen"), when there are two or more."""
    group = names[:1]
    for name in names[1:]:
        if words.text[group[-1].end : name.start].strip().lower() not in {"and", ",", ", and"}:
            break
        group.append(name)
    return words.text[group[0].start : group[-1].end] if len(group) > 1 else None


# -- finding pronouns ----------------------------------------------------------------------------
def find_references(words: Words) -> list[Reference]:
    """The pronouns in a question that point outside it, in order."""
    expletive = {m.start(1) for pattern in _EXPLETIVE_IT for m in pattern.finditer(words.text)}
    found = []
    for i, low in enumerate(words.low):
        if low in PRONOUNS and words.words[i].start not in expletive and _points_outside(words, i):
            found.append(_reference(words, i))
    return found


def _points_outside(words: Words, i: int) -> bool:
    low, nxt = words.low[i], _next(words, i)
    if _acronym(words, i):
        return False
    if low == "there":
        return not _existential(words, i)
    if low in _BOUND_BY_OWN_NAME | {"her"} and any(name.j <= i for name in words.names):
        return low == "her" and not _possessive_her(words, i)  # object "her" may be someone else
    if low in _DEMONSTRATIVES and nxt is not None:
        if nxt in _TIME_NOUNS:
            return False  # "this year"
        # "that he ...", "that the plan ...": a conjunction, not a pronoun
        return not (low == "that" and (nxt in PERSONAL | DETERMINERS | {"there"} or words.name_at(i + 1)))
    return True


def _reference(words: Words, i: int) -> Reference:
    word, low = words.words[i], words.low[i]
    return Reference(
        word=word.text,
        start=word.start,
        end=word.end,
        kind=PRONOUNS[low],
        possessive=low in _POSSESSIVES or (low == "her" and _possessive_her(words, i)),
        initial=words.initial(i),
        after_preposition=i > 0 and words.low[i - 1] in PREPOSITIONS,
    )


def _acronym(words: Words, i: int) -> bool:
    """ "IT budget": capitals in a question that is not all capitals."""
    text = words.words[i].text
    return len(text) > 1 and text.isupper() and not words.text.isupper()


def _next(words: Words, i: int) -> str | None:
    return words.low[i + 1] if i + 1 < len(words) and words.adjacent(i + 1) else None


def _possessive_her(words: Words, i: int) -> bool:
    """ "her book" (possessive) rather than "meet her" (object): a content word follows."""
    nxt = _next(words, i)
    return nxt is not None and nxt not in CLOSED


def _existential(words: Words, i: int) -> bool:
    """ "there is a fee", "is there a fee?": no place is meant ("Who was there?" is a place)."""
    nxt = _next(words, i)
    before = words.low[i - 1] if i > 0 else None
    return nxt in COPULA | {"will", "has", "have", "had", "used"} or (before in COPULA and nxt is not None)


# -- what they refer to --------------------------------------------------------------------------
def referent(kind: str, previous: Previous) -> str | None:
    """What a pronoun of this kind refers to in the previous turn, or None.

    When the previous question asked for someone or something (who, which X), its answer names
    them; otherwise the pronoun refers to what the previous question was about.
    """
    asked = previous.asked
    answered = previous.answer_names[0] if previous.answer_names else None
    if kind == "person":
        if asked.asks in ("person", "thing") and answered:
            return answered
        # A plural subject is no "he": "How many US troops ...?" "Where was she born?" has no referent.
        return asked.described or (None if asked.subject and plural(asked.subject.text) else about(asked))
    if kind == "thing":
        return (answered if asked.asks == "thing" else None) or about(asked)
    if kind == "group":
        if asked.asks in ("person", "thing") and answered:
            return previous.answer_group or answered  # "Who won?" "France won." "Who was their coach?"
        plurals = [p.text for p in (asked.subject, asked.counted) if p is not None and plural(p.text)]
        return plurals[0] if plurals else about(asked)
    return _place(previous)


def _place(previous: Previous) -> str | None:
    """ "there": the place a where/which question's answer names, else the previous question's place,
    else a place or name its answer adds ("What is the capital of France?" "Paris is ...")."""
    asked, answer = previous.asked, previous.answer_places or previous.answer_names
    if asked.asks in ("place", "thing") and answer:
        return answer[0]
    own = asked.places
    return own[-1].text if own else (answer[0] if answer else None)


def about(asked: Asked) -> str | None:
    """What a question is about, as a name where it has one: "the population of Lyon" -> "Lyon"."""
    subject, words = asked.subject, asked.words
    if subject is None:
        return words.names[0].text if words.names else None
    name = words.name_within(subject)
    if name is None or is_name(words, subject, allow_the=True):
        return subject.text  # "the Eiffel Tower"
    last = words.words[name.j - 1]
    return subject.text if last.bare != last.text else name.text  # "Tesla's headquarters": the whole phrase


def replacement(ref: Reference, target: str) -> str:
    """The text that takes the pronoun's place: "his" -> "Falih al-Fayyad's", "there" -> "in Lyon"."""
    text = possessive(target) if ref.possessive else target
    if ref.kind == "place" and not ref.after_preposition:
        text = f"in {text}"
    first, rest = text.split(" ", 1) if " " in text else (text, "")
    if first.lower() in DETERMINERS | {"in"}:
        first = first.lower()
    text = f"{first} {rest}".strip()
    return text[:1].upper() + text[1:] if ref.initial else text
