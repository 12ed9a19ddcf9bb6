"""Pronouns in a follow-up ("he", "its", "there") and what in the previous turn they refer to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answering.evidence import asked_kinds
from assistant.answering.prompts import NOT_FOUND
from assistant.checking.citations import MARKER
from assistant.followups.phrases import (
    CLOSED,
    COPULA,
    DETERMINERS,
    PERSONAL,
    PREPOSITIONS,
    Asked,
    Phrase,
    Words,
    analyse,
    content_words,
    is_name,
    passive,
    places,
    plural,
    possessive,
)
from index.sentences import split_sentences

# What each pronoun stands for: a person, a thing, a group (plural) or a place.
PRONOUNS = {
    **dict.fromkeys("he she him her his hers himself herself".split(), "person"),
    **dict.fromkeys("it its itself".split(), "thing"),
    **dict.fromkeys("this that".split(), "that"),  # a thing, or what happened: "Why did that happen?"
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
    kind: str  # "person", "thing", "that", "group", "place"
    possessive: bool  # "his book" -> "X's book"
    initial: bool  # opens the question: the replacement is capitalised
    after_preposition: bool  # "from there" -> "from Lyon", not "from in Lyon"


@dataclass(frozen=True)
class Previous:
    """The turn a follow-up leans on: the previous question (itself resolved) and its answer's names."""

    asked: Asked
    answer_names: tuple[str, ...] = ()  # names the answer adds to its question, in order
    answer_people: tuple[str, ...] = ()  # those that read as a person's name: "Falih al-Fayyad"
    answer_places: tuple[str, ...] = ()  # those after "in", "at", "from"...
    answer_group: str | None = None  # "Bill Gates and Paul Allen": new names the answer lists together


def previous_turn(asked: Asked, answer: str) -> Previous:
    """The previous question with the names its answer adds; none from an empty answer or an abstention.

    Only the answer's sentences about the question count (those that repeat its names, or its words
    when it has no names): a sentence about something else names something else.
    """
    if not answer.strip() or answer.strip().startswith(NOT_FOUND):
        return Previous(asked)
    sentences = [Words(s) for s in split_sentences(MARKER.sub("", answer))]
    relevant = [w for w in sentences if _about_the_question(w, asked)] or sentences[:1]
    names: list[str] = []
    found_places: list[str] = []
    groups: list[str] = []
    for words in relevant:
        new = [n for n in words.names if _new(n.text, asked)]
        names += [n.text for n in new]
        found_places += [p.text for p in places(words) if p in new]
        groups += [g for g in [_group(words, new)] if g]
    people = tuple(n for n in names if _person_like(n))
    return Previous(asked, tuple(names), people, tuple(found_places), groups[0] if groups else None)


def _mentions(text: str, phrase: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", text.lower()))


def _new(name: str, asked: Asked) -> bool:
    """Not the question's own: neither in it ("Microsoft") nor holding one of its names ("pro-Iran X")."""
    return not _mentions(asked.words.text, name) and not any(_mentions(name, n.text) for n in asked.words.names)


def _about_the_question(sentence: Words, asked: Asked) -> bool:
    if asked.words.names:
        return any(_mentions(sentence.text, name.text) for name in asked.words.names)
    return bool(content_words(sentence) & content_words(asked.words))


def _person_like(name: str) -> bool:
    """Two or more capitalised words, none an acronym: "Falih al-Fayyad", not "Iraq" or "US Central Command"."""
    words = name.split()
    return len(words) >= 2 and name[:1].isupper() and not any(len(w) > 1 and w.isupper() for w in words)


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
    if PRONOUNS[low] == "group" and low not in _DEMONSTRATIVES and _bound_by_own_plural(words, i):
        return False
    if low in _DEMONSTRATIVES and nxt is not None:
        if nxt in _TIME_NOUNS:
            return False  # "this year"
        # "that he ...", "that the plan ...": a conjunction, not a pronoun
        return not (low == "that" and (nxt in PERSONAL | DETERMINERS | {"there"} or words.name_at(i + 1)))
    return True


_CLAUSE_BREAK = re.compile(r"[,;]|\b(?:and|but|because|while|or)\b", re.IGNORECASE)
_OBJECTS = frozenset(("them", "themselves"))  # an object is what was acted on, passive or not


def _bound_by_own_plural(words: Words, i: int) -> bool:
    """ "How many US troops are in Syria, and why is withdrawing them not an option?": a plural an
    earlier clause of the question names is what "they" or "them" means. Not in the same clause:
    in "How many troops did they send?" or "What did the ministers say about them?" it is someone
    else; nor a subject "they" after a passive clause, whose plural was acted on, not acting."""
    breaks = list(_CLAUSE_BREAK.finditer(words.text, 0, words.words[i].start))
    if not breaks:
        return False
    text = words.text[: breaks[-1].start()]
    if words.low[i] not in _OBJECTS and passive(Words(text)):
        return False  # "How many tankers were hit, and what did they demand?": not the tankers
    earlier = analyse(text)
    return any(p is not None and plural(p.text) for p in (earlier.counted, earlier.subject, *earlier.objects))


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
def referents(kind: str, previous: Previous) -> list[str]:
    """What a pronoun of this kind may refer to in the previous turn, the likeliest first.

    When the previous question asked for someone or something (who, which X), its answer names
    them; otherwise the pronoun refers to what the previous question was about.
    """
    asked = previous.asked
    answered = list(previous.answer_names) if asked.asks in ("person", "thing") else []
    if kind == "person":
        # A plural subject is no "he": after "How many US troops ...?", "Where was she born?" has no referent.
        own = None if asked.subject and plural(asked.subject.text) else about(asked)
        people = previous.answer_people if asked.asks in ("person", "thing") else ()
        return _present(*people, asked.described, own)
    if kind == "thing":
        return _present(*(answered if asked.asks == "thing" else []), _singular(asked))
    if kind == "that":  # what the question was about, whole: the answer's names are rarely meant
        return _present(asked.subject.text if asked.subject is not None else None)
    if kind == "group":  # "Who won?" "France won." "Who was their coach?"
        plurals = [p.text for p in (asked.subject, asked.counted) if p is not None and plural(p.text)]
        plurals.insert(0, _which_group(asked.words.text) or "")
        # A plural subject the previous question named ("Which US senators ...?") before the
        # answer's single names: "they" is the senators, not the president they met.
        return _present(previous.answer_group if answered else None, *plurals, *answered, about(asked))
    return _places(previous)


_WHICH_GROUP = re.compile(r"^\W*(?:which|what)\s+((?:[A-Z][\w.-]*\s+){0,3}[a-z]+s)\b")


def _which_group(question: str) -> str | None:
    """The plural a which-question asks about: "Which US senators visited ...?" -> "US senators"."""
    found = _WHICH_GROUP.match(question.lower()[:1] + question[1:])
    return found.group(1) if found and plural(found.group(1)) else None


def _present(*candidates: str | None) -> list[str]:
    return list(dict.fromkeys(c for c in candidates if c))


def _singular(asked: Asked) -> str | None:
    """What "it" refers to: the question's subject, or, when that is plural ("How many ISIS fighters
    were freed under the general amnesty?"), the first singular phrase after a preposition."""
    if asked.subject is None or not plural(asked.subject.text):
        return about(asked)
    singular = [o.text for o in asked.objects if not plural(o.text)]
    return singular[0] if singular else about(asked)


def _places(previous: Previous) -> list[str]:
    """ "there": where a where-question's answer says, the previous question's own places (the last
    first), then the places its answer adds ("Which city ...?" "London ...")."""
    asked = previous.asked
    # A name in the answer is a place only when a place was asked for ("where", "which city").
    for_place = asked.asks == "place" or "place" in asked_kinds(asked.words.text)
    where = previous.answer_places + previous.answer_names if for_place else ()
    own = [p.text for p in reversed(asked.places)]
    return _present(*where, *own)  # an answer's "from X" is often a person or a party, not a place


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
