"""The claim check: does a cited text state what an answer's sentence says?

`assess(claim, text)` reads both (assistant/checking/reading.py) and lists every problem it finds:

    numbers    each number of the claim is in the text, with the same unit, bound ("more than")
               and role ("from"/"to"/"by"); "about" allows APPROXIMATE relative difference; a
               number the text gives as the earlier value ("up from 41%") needs its date
    dates      each date of the claim is part of a date in the text ("2023" in "March 2023")
    names      names, acronyms and nationalities of the claim are in the text ("US" = "American"),
               and do not take a word the text gives another name ("its Cardiff plant")
    binding    a word that goes with one number or date in the text does not go with another in
               the claim (assistant/checking/binding.py), and a number does not move the other way
    negation   each clause of the claim is negated as often as the text's clause that says the
               same ("not", "no", "never", "rejected", "dropped support")
    hedges     what the text only expects ("may cause") the claim does not state as fact
    opposites  no claim word whose opposite the text states instead ("higher" against "lower"),
               or states about the same things ("close its research centre" against "keep ... open")
    roles      two names around a shared verb are not swapped ("Chelsea beat United")
    words      every other content word is in the text, or a synonym, a derived form or (with
               `similarity`) a word the embedding model finds close to a text word

A claim is supported when there is no problem; the score is the share of its content words the
text states (a word matched through `similarity` counts its similarity). Measured on
tests/fixtures/claims_*.json: no wrong claim passes; see tests/test_claims_adversarial.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from assistant.checking import binding, lexicon
from assistant.checking.reading import CONTENT, Reading, Slot, read
from index import text as tx

Similarity = Callable[[str, str], float]  # two words -> cosine similarity, about -1..1

# A claim word absent from the text passes as a paraphrase of a text word this close. Measured with
# bge-small word vectors: paraphrases "discovered"/"found" 0.85, "soldiers"/"troops" 0.91; wrong
# substitutions up to "cancelled"/"postponed" 0.82, "mumps"/"measles" 0.76, "oil"/"coal" 0.72.
SIMILAR_WORDS = 0.83
APPROXIMATE = 0.02  # "about 2,500" may stand for 2,480, not for 2,600
MIN_CLAIM_ITEMS = 2  # words that are not stop words: "PWNED" or "Yes" cannot be checked against anything
_OPPOSITE_PREFIXES = ("un", "in", "im", "il", "ir", "dis", "non")


@dataclass(frozen=True)
class Assessment:
    """How well a text supports a claim: 0..1, and what contradicts or is missing (empty = supported)."""

    score: float
    problems: tuple[str, ...] = ()

    @property
    def supported(self) -> bool:
        return not self.problems


def assess(claim: str, text: str, similarity: Similarity | None = None) -> Assessment:
    """Check `claim` against `text` (see the module docstring)."""
    c, e = _read(claim), _read(text)
    if sum(kind not in ("stop", "part", "approx", "bound") for kind in c.kinds) < MIN_CLAIM_ITEMS:
        return Assessment(0.0, ("too short to check",))
    matches: binding.Matches = {
        "number": [_number_matches(c, n, e) for n in range(len(c.numbers))],
        "date": [{m for m, other in enumerate(e.dates) if s.parts <= other.parts} for s in c.dates],
    }
    problems = [
        *_missing_values(c, e, matches),
        *_missing_names(c, e),
        *_misplaced_names(c, e),
        *_opposites(c, e),
        *_directions(c, e, matches["number"]),
        *binding.problems(c, e, matches, "number"),
        *binding.problems(c, e, matches, "date"),
        *_polarity(c, e),
        *_hedges(c, e),
        *_swapped_roles(c, e),
    ]
    score, unexplained = _word_support(c, e, similarity)
    problems += [f"'{word}' is not in the cited text" for word in unexplained]
    return Assessment(0.0 if problems else score, tuple(dict.fromkeys(problems)))


@lru_cache(maxsize=512)
def _read(text: str) -> Reading:
    """`read`, once per text: an answer's claims are each checked against the same evidence."""
    return read(text)


# -- numbers and dates -----------------------------------------------------------------
def _number_matches(c: Reading, n: int, e: Reading) -> set[int]:
    """Indices of the text's numbers that can be the claim's number n."""
    dated = any(number == n for number, _ in binding.links(c, strict=True))
    return {m for m, other in enumerate(e.numbers) if _same_number(c.numbers[n], other, dated)}


def _same_number(claim: Slot, other: Slot, dated: bool = False) -> bool:
    close = abs(claim.value - other.value) <= (APPROXIMATE * abs(other.value) if claim.approx else 1e-9)
    units = not (claim.unit and other.unit and claim.unit != other.unit)
    # "to 5%" is not "by 5%"; "up from 41%" is an earlier value: the claim says so ("from",
    # "compared with") or gives its date
    roles = not ({claim.role, other.role} <= lexicon.ROLES and claim.role != other.role)
    earlier = not other.earlier or claim.role in ("from", "compared") or dated
    return close and units and roles and earlier and claim.bound in ("", other.bound)


def _missing_values(c: Reading, e: Reading, matches: binding.Matches) -> Iterable[str]:
    """Numbers and dates of the claim the text does not state. A label ("Version 3.2") and a
    number are the same value to each other, and so are a year and a plain number."""
    years = {v for s in e.dates for k, v in s.parts if k == "year"}
    labels = [s for s in e.labels]
    for n, slot in enumerate(c.numbers):
        stated = matches["number"][n] or any(_same_number(slot, other) for other in labels)
        if not stated and not (slot.value in years and not slot.unit):
            yield f"the number '{_span(c, slot)}' is not in the cited text"
    for slot in c.labels:
        if not any(_same_number(slot, other) for other in e.numbers + e.labels) and slot.value not in years:
            yield f"the number '{_span(c, slot)}' is not in the cited text"
    values = [s.value for s in e.numbers + e.labels]
    for d, slot in enumerate(c.dates):
        only_year = {k for k, _ in slot.parts} == {"year"}
        if not matches["date"][d] and not (only_year and next(iter(slot.parts))[1] in values):
            yield f"the date '{_span(c, slot)}' is not in the cited text"


def _span(r: Reading, slot: Slot) -> str:
    return " ".join(t.surface for t in r.tokens[slot.start : slot.end + (1 if slot.unit else 0)])


def _directions(c: Reading, e: Reading, matches: list[set[int]]) -> Iterable[str]:
    """A number that falls in the text does not rise in the claim ("net profit rose 3%" against
    "revenue up 12%, while net profit fell 3%")."""
    ours, theirs = _direction_of(c, c.clauses), _direction_of(e, binding.joined(e, backward=True))
    for n, found in enumerate(matches):
        said = ours.get(n)
        if said and found and all(theirs.get(m) not in (None, said) for m in found):
            yield f"the number '{_span(c, c.numbers[n])}' moves the other way in the cited text"


def _direction_of(r: Reading, clauses: Sequence[int]) -> dict[int, str]:
    """For each number, "up" or "down": the nearest direction word in its clause."""
    found = {}
    for n, slot in enumerate(r.numbers):
        words = [i for i, key in enumerate(r.keys) if key in binding.DIRECTIONS and clauses[i] == clauses[slot.start]]
        if words:
            nearest = min(words, key=lambda i: (abs(i - slot.start), i > slot.start))
            found[n] = "up" if r.keys[nearest] in lexicon.UP else "down"
    return found


# -- names and opposites ----------------------------------------------------------------
def _missing_names(c: Reading, e: Reading) -> Iterable[str]:
    present = set(e.keys)
    for i, kind in enumerate(c.kinds):
        if kind == "entity" and c.keys[i] not in present:
            yield f"'{c.tokens[i].surface}' is not in the cited text"


def _misplaced_names(c: Reading, e: Reading) -> Iterable[str]:
    """A name does not take a word the text gives to another name: "its Cardiff plant" against
    "its Bristol plant ..., but will keep its research centre in Cardiff open"."""
    present, clauses = set(e.keys), binding.clause_keys(e)
    theirs = _named(e)
    for i, j in _next_to_names(c):
        pair = {c.keys[i], c.keys[j]}
        elsewhere = theirs.get(c.keys[j], set()) - {c.keys[i]}
        if c.keys[i] in present and len(pair) == 2 and elsewhere and not any(pair <= keys for keys in clauses):
            said = f"'{c.tokens[min(i, j)].surface} {c.tokens[max(i, j)].surface}'"
            yield f"{said}: the cited text says '{c.tokens[j].surface}' of another name"


def _next_to_names(r: Reading) -> list[tuple[int, int]]:
    """(name, word) token pairs written side by side, with no punctuation between."""
    pairs = []
    for i, kind in enumerate(r.kinds):
        for j in (i - 1, i + 1) if kind == "entity" else ():
            if 0 <= j < len(r.kinds) and r.kinds[j] in ("word", "entity"):
                a, b = sorted((i, j))
                if not r.text[r.tokens[a].end : r.tokens[b].start].strip():
                    pairs.append((i, j))
    return pairs


def _named(r: Reading) -> dict[str, set[str]]:
    """For each word written next to a name, the names it is written next to."""
    found: dict[str, set[str]] = defaultdict(set)
    for i, j in _next_to_names(r):
        if r.kinds[j] == "word":
            found[r.keys[j]].add(r.keys[i])
    return found


def _opposites(c: Reading, e: Reading) -> Iterable[str]:
    """A claim word whose opposite the text states instead ("higher" against "lower"), or states
    about the same things ("close its research centre" against "keep its research centre open"
    when the text closes something else)."""
    present, clauses = set(e.keys) - {""}, binding.clause_keys(e)
    for i in c.content():
        key = c.keys[i]
        opposite = set().union(*(b for a, b in _pairs() if key in a))
        if key not in present:
            paired = any(key in a and present & b and not present & a for a, b in _pairs())
            prefixed = any(key == p + other or other == p + key for other in present for p in _OPPOSITE_PREFIXES)
        else:
            paired, prefixed = bool(opposite & present) and _said_opposite(c, i, opposite, clauses), False
        if paired or prefixed:
            yield f"'{c.tokens[i].surface}': the cited text says the opposite"


def _said_opposite(c: Reading, i: int, opposite: set[str], clauses: list[set[str]]) -> bool:
    """The text's clause that shares the most of word i's clause holds its opposite, not it."""
    words = {c.keys[j] for j in c.content() if c.clauses[j] == c.clauses[i] and j != i}
    best = max((len(words & keys) for keys in clauses), default=0)
    chosen = [keys for keys in clauses if best and len(words & keys) == best]
    return bool(chosen) and all(keys & opposite and c.keys[i] not in keys for keys in chosen)


@lru_cache(maxsize=1)
def _pairs() -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    return tuple(p for a, b in lexicon.OPPOSITES for p in ((a, b), (b, a)))


# -- negation, hedges, swapped roles -----------------------------------------------------
def _polarity(c: Reading, e: Reading) -> Iterable[str]:
    """Each claim clause is negated as often (odd or even) as the text's clause that says the
    same of its object, its last content word ("the council voted to raise parking fees"
    against "..., rejecting a proposal to raise parking fees"), unless another clause shares
    clearly more of its words ("ask a doctor before taking paracetamol")."""
    theirs = _clause_words(e, binding.joined(e, backward=False))  # as the claim's: a text supports itself
    for negations, words, last in _clause_words(c, binding.joined(c, backward=False)).values():
        shared = {k: len(words & other) for k, (_, other, _) in theirs.items()}
        best = max(shared.values(), default=0)
        holding = [k for k, (_, other, _) in theirs.items() if last in other and shared[k] >= best - 1]
        chosen = holding or [k for k, n in shared.items() if n == best and best]
        if chosen and all(theirs[k][0] % 2 != negations % 2 for k in chosen):
            said = "negates" if negations % 2 else "does not negate"
            yield f"the claim {said} what the cited text says about {', '.join(sorted(words & theirs[chosen[0]][1]))}"


def _clause_words(r: Reading, clauses: Sequence[int]) -> dict[int, tuple[int, set[str], str]]:
    """Per clause: (negation cues, content keys, the last content key)."""
    found: dict[int, tuple[int, set[str], str]] = {}
    for clause in sorted(set(clauses)):
        members = [i for i, k in enumerate(clauses) if k == clause]
        keys = [r.keys[i] for i in members if r.kinds[i] in CONTENT]
        if keys:
            found[clause] = (sum(r.kinds[i] == "negation" for i in members), set(keys), keys[-1])
    return found


def _hedges(c: Reading, e: Reading) -> Iterable[str]:
    theirs: dict[str, set[bool]] = defaultdict(set)
    for i in e.content():
        theirs[e.keys[i]].add(e.hedged[i])
    hedging = {c.sentences[i] for i, kind in enumerate(c.kinds) if kind == "hedge"}
    for i in c.content():
        if theirs.get(c.keys[i]) == {True} and c.sentences[i] not in hedging:
            yield f"the cited text only expects '{c.tokens[i].surface}'; the claim states it as fact"


def _swapped_roles(c: Reading, e: Reading) -> Iterable[str]:
    """'A beat B' against 'B beat A': two names on either side of a shared word, in the other
    order in the text, written in the same voice (active or passive)."""
    written = {e.keys[i] for i in e.content() if e.kinds[i] == "entity" or e.tokens[i].capital}
    names = [i for i in c.content() if c.kinds[i] == "entity" or (c.tokens[i].capital and c.keys[i] in written)]
    for a in names:
        for b in names:
            if b <= a or c.keys[a] == c.keys[b] or c.clauses[a] != c.clauses[b]:
                continue
            for v in (i for i in range(a + 1, b) if c.kinds[i] == "word"):
                if _reversed_in(e, c.keys[a], c.keys[v], c.keys[b], _passive(c, v)):
                    yield f"'{c.tokens[a].surface}' and '{c.tokens[b].surface}' are swapped in the cited text"


def _reversed_in(e: Reading, a: str, verb: str, b: str, passive: bool) -> bool:
    forward = reverse = False
    for v in (i for i, k in enumerate(e.keys) if k == verb):
        same = [i for i, k in enumerate(e.keys) if k in (a, b) and e.sentences[i] == e.sentences[v]]
        a_first = any(e.keys[i] == a and i < v for i in same) and any(e.keys[i] == b and i > v for i in same)
        b_first = any(e.keys[i] == b and i < v for i in same) and any(e.keys[i] == a and i > v for i in same)
        forward |= a_first
        reverse |= b_first and _passive(e, v) == passive
    return reverse and not forward


def _passive(r: Reading, i: int) -> bool:
    """'was halted', 'were beaten by': a form of "be" before the verb, or "by" just after it."""
    before = r.tokens[i - 1].text if i else ""
    return before in ("is", "are", "was", "were", "been", "be") or any(t.text == "by" for t in r.tokens[i + 1 : i + 3])


# -- content words -----------------------------------------------------------------------
def _word_support(c: Reading, e: Reading, similarity: Similarity | None) -> tuple[float, list[str]]:
    """(share of the claim's content words the text states, the words nothing explains)."""
    present = set(e.keys) - {""}
    words = [i for i in c.content() if c.kinds[i] != "entity"]
    total, unexplained = 0.0, []
    for i in words:
        if c.keys[i] in present or _related(c.keys[i], present):
            total += 1.0
            continue
        close = _closest(c, e, i, similarity) if similarity and _paraphrasable(c, i) else 0.0
        if close >= SIMILAR_WORDS:
            total += close
        else:
            unexplained.append(c.tokens[i].surface)
    names = sum(kind == "entity" for kind in c.kinds)
    items = len(words) + names
    return ((total + names) / items if items else 1.0), unexplained


def _related(key: str, present: set[str]) -> bool:
    """A synonym (lexicon.SYNONYMS) or a derived form: one root a prefix of the other, 4+ letters
    ("grow"/"growth", "world"/"worldwid"), or 6+ letters in common ("reduct"/"reduc")."""
    if any(key in group and present & group for group in lexicon.SYNONYMS):
        return True
    return any(_derived(key, other) for other in present if not other.startswith(("@", "u:")))


def _derived(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    if len(short) >= 4 and long.startswith(short):
        return True
    common = 0
    while common < len(short) and short[common] == long[common]:
        common += 1
    return common >= 6


def _paraphrasable(c: Reading, i: int) -> bool:
    """Units are never paraphrased: a week is not a month, however close their vectors."""
    return c.kinds[i] == "word" and tx.stem(c.tokens[i].text) not in tx.UNITS


def _closest(c: Reading, e: Reading, i: int, similarity: Similarity) -> float:
    """The similarity of claim word i to the closest text word the claim does not already use.
    A capitalised claim word is compared with lowercase text words only (names are not
    paraphrases of names), and never with its opposite."""
    ours, key = set(c.keys), c.keys[i]
    opposite = set().union(*(b for a, b in _pairs() if key in a))
    candidates = {
        e.tokens[j].text
        for j in e.content()
        if e.kinds[j] == "word"
        and e.keys[j] not in ours | opposite
        and not (c.tokens[i].capital and e.tokens[j].capital)
    }
    return max((similarity(c.tokens[i].text, word) for word in candidates), default=0.0)


# -- the embedding model as a similarity ---------------------------------------------------
class _Embeds(Protocol):
    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...


def embedding_similarity(embedder: _Embeds, cache_size: int = 4096) -> Similarity:
    """`similarity` from an index.embed.Embedder: the cosine of two words' vectors (cached)."""

    @lru_cache(maxsize=cache_size)
    def vector(word: str) -> np.ndarray:
        return embedder.embed_documents([word])[0]

    def similarity(a: str, b: str) -> float:
        return float(vector(a) @ vector(b))

    return similarity
