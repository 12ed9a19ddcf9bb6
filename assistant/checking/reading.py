"""A sentence read for the claim check: each word's role, its numbers and dates, clauses, and hedges.

`read(text)` labels every token (index.text.tokenize over spelled-out text) with a kind:

    word, entity, unit      content: what a claim must share with its evidence
    number, date            slots: values that must match, and that bind the words around them
    negation, hedge         cues: "not", "rejected"; "may", "is expected to"
    approx, bound, light    qualifiers a number or a claim may carry ("about", "more than", "there are")
    stop, part              nothing to check ("part" continues a place name or a unit)

A number written as a name ("Version 3.2", "Invoice 4471") is a label: it must match like any
number, but binds no words. assistant/checking/claims.py compares two readings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.checking import lexicon
from index import text as tx

SCOPE_ITEMS = 8  # content tokens a hedge reaches ("may cause the airbags to deploy unexpectedly": 3)
CONTENT = frozenset(("word", "entity", "unit"))
PREPOSITIONS = frozenset("in on at by for from to of with over under than between into per via during".split())
# Words that start a clause; "and" only after a number or date ("2,500 in Iraq and 900 in Syria"
# is two clauses, "between Leeds and York" is not); "as", "after" and "before" only before a
# subject ("as United beat", "after East Germany began").
CONNECTORS = frozenset("and but while whilst whereas although though because however yet when since without".split())
DETERMINERS = frozenset("the an its their his her this that these those our".split())
_SUBJECTS = frozenset("the it its they their he his she her we".split())
_BE = frozenset("is are was were be been being".split())
_COMMA = re.compile(r"[,:()\u2014\u2013]|\s-\s")  # ":" too: "Q2 revenue: $1.32m" is one statement
_SENTENCE_BREAK = re.compile(r"[.!?|;\n]")
_SUBORDINATORS = frozenset(("as", "after", "before"))  # start a clause before a subject: "after East Germany began"


@dataclass(frozen=True)
class Slot:
    """A number or a date and how it is qualified."""

    kind: str  # "number" | "date"
    start: int  # tokens [start, end)
    end: int
    value: float = 0.0
    parts: frozenset[tuple[str, int]] = frozenset()  # of a date: {("month", 3), ("year", 2023)}
    unit: str = ""
    bound: str = ""  # "at least" | "at most" | ""
    role: str = ""  # the preposition before it: "from" 500 "to" 4,000, "by" 5%, "of" 12%; "compared" (with)
    approx: bool = False
    earlier: bool = False  # the value a change started from: "up from 41%", "rose ... from 22,800"


@dataclass(frozen=True)
class Reading:
    """One text, labelled token by token (the tuples are parallel to `tokens`)."""

    text: str  # spelled out (index.text.spell_out)
    tokens: tuple[tx.Token, ...]
    kinds: tuple[str, ...]
    keys: tuple[str, ...]  # what a token is compared by: its root, "@us" for a place, "u:km" for a unit
    clauses: tuple[int, ...]  # clause number per token: punctuation and connector words split clauses
    after_comma: frozenset[int]  # the clauses that begin at a comma (not at a connector or a full stop)
    sentences: tuple[int, ...]  # sentence number per token (";" and ":" end one too)
    hedged: tuple[bool, ...]  # within a hedge's reach ("may cause the airbags to deploy")
    numbers: tuple[Slot, ...]
    dates: tuple[Slot, ...]
    labels: tuple[Slot, ...]  # numbers written as names: "Version 3.2"

    def content(self) -> list[int]:
        return [i for i, kind in enumerate(self.kinds) if kind in CONTENT]

    def slots(self, kind: str) -> tuple[Slot, ...]:
        return self.numbers if kind == "number" else self.dates


def read(text: str) -> Reading:
    """Label every token of `text` (see the module docstring)."""
    spelled = tx.spell_out(text)
    tokens = tx.tokenize(spelled)
    kinds, keys = ["stop"] * len(tokens), [""] * len(tokens)
    sentences = _numbered(spelled, tokens)
    _mark_places(tokens, kinds, keys)
    dates = _mark_dates(tokens, kinds)
    numbers, labels = _mark_numbers(tokens, kinds, keys)
    for i in range(len(tokens)):
        if kinds[i] == "stop":
            kinds[i], keys[i] = _word_kind(tokens, i, first=i == 0 or sentences[i] != sentences[i - 1])
    clauses, after_comma = _clauses(spelled, tokens, kinds)
    hedged = _in_scope(kinds, clauses, "hedge")
    return Reading(
        spelled, tuple(tokens), tuple(kinds), tuple(keys), tuple(clauses), frozenset(after_comma),
        tuple(sentences), tuple(hedged), tuple(numbers), tuple(dates), tuple(labels),
    )  # fmt: skip


def _numbered(text: str, tokens: list[tx.Token]) -> list[int]:
    """Sentence numbers: a count that grows at each sentence break between tokens."""
    numbers, current = [], 0
    for i, token in enumerate(tokens):
        if i and _SENTENCE_BREAK.search(text[tokens[i - 1].end : token.start]):
            current += 1
        numbers.append(current)
    return numbers


def _clauses(text: str, tokens: list[tx.Token], kinds: list[str]) -> tuple[list[int], set[int]]:
    """Clause numbers per token, and the clauses that begin at a comma."""
    clauses, after_comma = [0] * len(tokens), set()
    clause, slot_seen = 0, False
    for i, token in enumerate(tokens):
        between = text[tokens[i - 1].end : token.start] if i else ""
        strong, comma = bool(_SENTENCE_BREAK.search(between)), bool(_COMMA.search(between))
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        subordinate = token.text in _SUBORDINATORS and following is not None
        subordinate = subordinate and (following.capital or following.text in _SUBJECTS)  # type: ignore[union-attr]
        connector = subordinate or (token.text in CONNECTORS and (slot_seen or token.text != "and"))
        if i and (strong or comma or connector):
            clause += 1
            slot_seen = False
            if comma and not strong and not connector:
                after_comma.add(clause)
        slot_seen |= kinds[i] in ("number", "date")
        clauses[i] = clause
    return clauses, after_comma


def _mark_places(tokens: list[tx.Token], kinds: list[str], keys: list[str]) -> None:
    """Country names and nationalities, capitalised, as one "@key" each ("United States" -> "@us")."""
    i = 0
    while i < len(tokens):
        for width in range(lexicon.LONGEST_PLACE, 0, -1):
            name = tuple(t.text for t in tokens[i : i + width])
            found = lexicon.PLACE_NAMES.get(name) if len(name) == width else None
            written = all(t.capital for t in tokens[i : i + width]) and (name != ("us",) or tokens[i].surface == "US")
            if found and written:
                kinds[i : i + width] = ["entity"] + ["part"] * (width - 1)
                keys[i] = "@" + found
                i += width - 1
                break
        i += 1


def _mark_dates(tokens: list[tx.Token], kinds: list[str]) -> list[Slot]:
    found = []
    for date in tx.dates(tokens):
        if all(kinds[j] == "stop" for j in range(date.start, date.end)):
            kinds[date.start : date.end] = ["date"] * (date.end - date.start)
            found.append(Slot("date", date.start, date.end, parts=date.parts))
    return found


def _mark_numbers(tokens: list[tx.Token], kinds: list[str], keys: list[str]) -> tuple[list[Slot], list[Slot]]:
    """(numbers, labels), with their units marked."""
    words = [t.text for t in tokens]
    numbers: list[Slot] = []
    labels: list[Slot] = []
    for number in tx.numbers(words):
        if any(kinds[j] != "stop" for j in range(number.start, number.end)):
            continue  # part of a date or a place
        kinds[number.start : number.end] = ["number"] * (number.end - number.start)
        unit_width = tx.unit_at(words, number.end)[1]
        for j in range(number.end, number.end + unit_width):
            kinds[j], keys[j] = ("unit", f"u:{number.unit}") if j == number.end else ("part", "")
        approx, bound, role = _qualifiers(words, kinds, number.start)
        slot = Slot(
            "number", number.start, number.end, number.value, unit=number.unit, bound=bound, role=role, approx=approx
        )
        if role == "from" and _in_change(words, number.start, number.end + unit_width):
            slot = replace(slot, earlier=True)
        (labels if _is_label(tokens, slot) else numbers).append(slot)
    return numbers, labels


def _in_change(words: list[str], start: int, end: int) -> bool:
    """A "from" number is where a change started when a direction word comes before it ("up from",
    "rose to 24,300 from 22,800") or "to" and a number come after it ("from 45 to 28")."""
    before = {tx.root(w) for w in words[max(0, start - 8) : start]}
    after = words[end : end + 3]
    return bool(before & (lexicon.UP | lexicon.DOWN)) or (
        bool(after) and after[0] == "to" and any(w[:1].isdigit() or w in tx.NUMBER_WORDS for w in after[1:])
    )


def _is_label(tokens: list[tx.Token], slot: Slot) -> bool:
    """A number in digits that names rather than counts: right after a name or a naming noun,
    with no unit or qualifier ("Version 3.2", "Python 3.8", "Invoice 4471", "Chelsea 3-1")."""
    if not slot.start or slot.unit or slot.bound or slot.role or slot.approx or slot.end - slot.start > 1:
        return False
    before = tokens[slot.start - 1]
    named = (before.capital and before.text not in tx.STOPWORDS) or tx.root(before.text) in lexicon.LABEL_NOUNS
    return named and before.text.isalpha() and tokens[slot.start].text[:1].isdigit()


def _qualifiers(words: list[str], kinds: list[str], start: int) -> tuple[bool, str, str]:
    """(approx, bound, role): what is written before a number: "from about 500", "more than
    170", "compared with 2"."""
    i, approx, bound = start, False, ""
    i, approx = _skip_approximators(words, kinds, i, approx)
    for width in (3, 2, 1):
        phrase = " ".join(words[max(0, i - width) : i])
        if i - width >= 0 and (phrase in lexicon.AT_LEAST or phrase in lexicon.AT_MOST):
            bound = "at least" if phrase in lexicon.AT_LEAST else "at most"
            kinds[i - width : i] = ["bound"] * width
            i -= width
            break
    i, approx = _skip_approximators(words, kinds, i, approx)
    while i > 0 and words[i - 1] in DETERMINERS:
        i -= 1
    role = words[i - 1] if i > 0 and words[i - 1] in PREPOSITIONS else ""
    if role in ("with", "to") and i > 1 and tx.stem(words[i - 2]) == "compar":
        role = "compared"
    return approx, bound, role


def _skip_approximators(words: list[str], kinds: list[str], i: int, approx: bool) -> tuple[int, bool]:
    while i > 0 and words[i - 1] in lexicon.APPROXIMATORS:
        i, approx = i - 1, True
        kinds[i] = "approx"
    return i, approx


def _word_kind(tokens: list[tx.Token], i: int, *, first: bool) -> tuple[str, str]:
    token, word = tokens[i], tokens[i].text
    root = tx.root(word)
    after = tokens[i + 1].text if i + 1 < len(tokens) else ""
    before = tokens[i - 1].text if i else ""
    if word in tx.NEGATIONS or _negative_verb(tokens, i, root):
        return "negation", ""
    if word == "longer" and before == "no":
        return "stop", ""  # "no longer" is one negation
    if root in lexicon.HEDGES and (root not in lexicon.SOFT_HEDGES or after == "to" or before in _BE):
        return "hedge", ""
    if word in lexicon.APPROXIMATORS:
        return "approx", ""
    if word in tx.CLAIM_STOPWORDS or word in CONNECTORS:
        return "stop", ""
    if root in lexicon.LIGHT:
        return "light", ""
    written_as_name = token.capital and not first or (len(word) > 1 and token.surface.isupper())
    return ("entity" if written_as_name else "word"), root


def _negative_verb(tokens: list[tx.Token], i: int, root: str) -> bool:
    """ "rejected the plan", "drops support": a verb that says its object is not so; not when a
    number follows ("sales dropped 5%" is a direction)."""
    following = [t.text for t in tokens[i + 1 : i + 3]]
    return root in tx.NEGATIVE_VERBS and not any(w[:1].isdigit() or w in tx.NUMBER_WORDS for w in following)


def _in_scope(kinds: list[str], clauses: list[int], cue: str) -> list[bool]:
    """Tokens a `cue` covers: the content after it in its clause, SCOPE_ITEMS at most."""
    covered = [False] * len(kinds)
    for i, kind in enumerate(kinds):
        if kind != cue:
            continue
        reach = 0
        for j in range(i + 1, len(kinds)):
            if clauses[j] != clauses[i] or reach >= SCOPE_ITEMS:
                break
            covered[j] = True
            reach += kinds[j] in CONTENT
    return covered
