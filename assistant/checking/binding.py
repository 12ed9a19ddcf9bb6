"""Which words go with which number or date: a claim must not move a word to another slot.

"About 900 US troops are in Iraq" against "roughly 2,500 US troops deployed in Iraq and about
900 in Syria": every number is in the text and so is every word, but in the text "Iraq" goes
with 2,500. In a clause, the words before its first slot go with its slots (the subject and
verb: "Sales at the chain's 430 stores jumped 9%" says the chain's sales jumped 9%); words after
the last slot go with it ("2,500 troops in Iraq"); words between two slots go with the first up
to some word and with the second after it. A claim asserts these pairs (`claimed`); the cited
text allows a generous superset of them (`allowed`). A claimed pair the text does not allow, for
a word the text binds to other slots only, is a swap (`problems`). Numbers and dates pair with
each other by adjacency (`links`): "2.5 million in 2019".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from assistant.checking import lexicon
from assistant.checking.reading import CONNECTORS, CONTENT, DETERMINERS, PREPOSITIONS, Reading, Slot
from index import text as tx

Pair = tuple[int, int]  # (token index of a word or of a slot of the other kind, slot number)
Matches = dict[str, list[set[int]]]  # per kind, per claim slot: the text's slots it can be
_PERSONAL = frozenset("it they he she".split())
_POSSESSIVE = frozenset("its their his her".split())
_PRONOUNS = _PERSONAL | _POSSESSIVE
_AUXILIARIES = frozenset(
    "is are was were be been has have had will would may might can could should must shall do does did".split()
)
# Checked on their own for numbers: they float ("revenue ..., up 12%"); a date binds them ("fell in 1989").
DIRECTIONS = lexicon.UP | lexicon.DOWN


def problems(c: Reading, e: Reading, matches: Matches, kind: str) -> Iterable[str]:
    """A message for each claimed pair of `kind` slots the cited text does not allow."""
    seen: dict[str, list[set[int]]] = defaultdict(list)
    for i, found in allowed(e, kind).items():
        seen[_identity(e, i)].append(found)
    for alternatives in claimed(c, kind):
        if not any(all(_fits(c, e, pair, kind, matches, seen) for pair in pairs) for pairs in alternatives):
            i, _ = next(p for p in alternatives[-1] if not _fits(c, e, p, kind, matches, seen))
            yield f"'{c.tokens[i].surface}' goes with another {kind} in the cited text"


def claimed(c: Reading, kind: str) -> list[list[list[Pair]]]:
    """The claim's pairs as constraints: each a list of alternatives, each a list of pairs."""
    constraints: list[list[list[Pair]]] = []
    slots, clauses = c.slots(kind), joined(c, backward=False)
    for clause in sorted(set(clauses)):
        here = [n for n, s in enumerate(slots) if clauses[s.start] == clause]
        words = [i for i in c.content() if clauses[i] == clause and (kind == "date" or c.keys[i] not in DIRECTIONS)]
        if not here:
            continue
        # the subject goes with the clause's slots up to one an adverbial introduces ("in the 12 weeks")
        main = next((k for k, n in enumerate(here) if k and introduced(c, slots[n])), len(here))
        constraints += [[[(i, n)]] for i in words if i < slots[here[0]].start for n in here[:main]]
        constraints += [[[(i, here[-1])]] for i in words if i >= slots[here[-1]].end]
        for a, b in zip(here, here[1:], strict=False):
            region = [i for i in words if slots[a].end <= i < slots[b].start]
            constraints.append(
                [[(i, a) for i in region[:k]] + [(i, b) for i in region[k:]] for k in range(len(region) + 1)]
            )
    for number, date in links(c, strict=True):
        constraints.append([[(c.dates[date].start, number) if kind == "number" else (c.numbers[number].start, date)]])
    return constraints


def allowed(e: Reading, kind: str) -> dict[int, set[int]]:
    """The cited text's pairs, generously: for each word (and slot of the other kind), its slots."""
    slots, clauses = e.slots(kind), joined(e, backward=True)
    found: dict[int, set[int]] = defaultdict(set)
    for clause in sorted(set(clauses)):
        here = [n for n, s in enumerate(slots) if clauses[s.start] == clause]
        for i in (i for i in e.content() if clauses[i] == clause and here):
            before = [n for n in here if slots[n].end <= i]
            after = [n for n in here if slots[n].start > i]
            if not before:
                found[i] |= {n for n in here if n == here[0] or not (_restated(e, slots, n, i) or _owned(e, slots[n]))}
            elif not after or (kind == "number" and introduced(e, slots[after[0]])):
                found[i].add(before[-1])
            else:
                found[i] |= {before[-1], after[0]}
            # a slot of a clause that joined this one ("..., up 12%") goes with the words before it
            joining = [n for n in after if e.clauses[slots[n].start] != e.clauses[i]]
            found[i] |= {n for n in joining if not (_restated(e, slots, n, i) or _owned(e, slots[n]))}
    _share_chained(e, slots, found)
    _share_ellipsis(e, slots, found)
    _share_subject(e, slots, found)
    for number, date in links(e, strict=False):
        if kind == "number":
            found[e.dates[date].start].add(number)
        else:
            found[e.numbers[number].start].add(date)
    return found


def joined(r: Reading, *, backward: bool) -> list[int]:
    """Clause numbers with comma clauses joined to a neighbour: a sentence's opening clause
    without a slot joins the next ("At the summit of Everest, water boils at 100 degrees"); with
    `backward`, a clause with no words before its first slot joins the one before ("..., up 12%
    from a year earlier", "In 2023, 4.1 million people")."""
    ids = sorted(set(r.clauses))
    parent = {k: k for k in ids}
    every = r.numbers + r.dates
    slotted = {r.clauses[s.start] for s in every}
    opening = {r.clauses[r.sentences.index(sentence)] for sentence in set(r.sentences)}
    for k in ids:
        if k not in r.after_comma or k - 1 not in parent:
            continue
        first = min((s.start for s in every if r.clauses[s.start] == k), default=None)
        lead = [i for i in r.content() if r.clauses[i] == k and first is not None and i < first]
        if k - 1 not in slotted and k - 1 in opening:
            parent[k - 1] = k
        elif backward and first is not None and all(r.keys[i] in DIRECTIONS for i in lead):
            parent[k] = k - 1

    def top(k: int) -> int:
        while parent[k] != k:
            k = parent[k]
        return k

    return [top(k) for k in r.clauses]


def links(r: Reading, *, strict: bool) -> set[tuple[int, int]]:
    """(number, date) pairs written next to each other: at most 3 tokens and 1 content word
    between, same sentence ("2.5 million people in 2019", "In 2023, 4.1 million"). `strict`
    keeps one number per date: the one before a date a preposition introduces ("... in 2019"),
    else the one after; with none next to it, the nearest before it in its clause. Otherwise, with none
    next to it, every number of its clause; and a date of a sentence's first clause also dates
    the sentence's numbers that have no date next to them."""
    found = set()
    for d, date in enumerate(r.dates):
        near = [n for n, number in enumerate(r.numbers) if _close(r, number, date)]
        if strict:
            near = _one(r, date, near) if near else _nearest(r, date)
        elif not near:
            near = [n for n, s in enumerate(r.numbers) if r.clauses[s.start] == r.clauses[date.start]]
        found |= {(n, d) for n in near}
    return found if strict else found | _topical(r)


def _topical(r: Reading) -> set[tuple[int, int]]:
    """(number, date) pairs for a date in its sentence's first clause ("The airline carried 4.8
    million passengers in July, ..., and its planes were 87% full"): it dates every number of
    the sentence that has no date of its own next to it."""
    own = {n for n, number in enumerate(r.numbers) for date in r.dates if _close(r, number, date)}
    pairs = set()
    for d, date in enumerate(r.dates):
        sentence = r.sentences[date.start]
        if r.clauses[date.start] != r.clauses[r.sentences.index(sentence)]:
            continue
        pairs |= {(n, d) for n, s in enumerate(r.numbers) if r.sentences[s.start] == sentence and n not in own}
    return pairs


def _one(r: Reading, date: Slot, near: list[int]) -> list[int]:
    before = [n for n in near if r.numbers[n].start < date.start]
    after = [n for n in near if r.numbers[n].start > date.start]
    introduced = date.start > 0 and r.tokens[date.start - 1].text in PREPOSITIONS
    return [before[-1]] if before and (introduced or not after) else [after[0]]


def _nearest(r: Reading, date: Slot) -> list[int]:
    """The nearest number before a date that ends its clause ("150 breeding pairs ... in 1985");
    a date that opens a clause ("On 23 March a ship carrying 4,200") dates the event, not a number."""
    same = [n for n, s in enumerate(r.numbers) if r.clauses[s.start] == r.clauses[date.start] and s.end <= date.start]
    return [max(same)] if same else []


def _close(r: Reading, a: Slot, b: Slot) -> bool:
    gap = range(a.end + (1 if a.unit else 0), b.start) if a.end <= b.start else range(b.end, a.start)
    content = sum(r.kinds[j] in CONTENT for j in gap)
    return len(gap) <= 3 and content <= 1 and r.sentences[a.start] == r.sentences[b.start]


def introduced(r: Reading, slot: Slot) -> bool:
    """True when a preposition other than from/to/by introduces the slot ("compared with 86",
    "in the 12 weeks"). "up from 2.5 million" is the same quantity at another time."""
    i = slot.start - 1
    while i >= 0 and (r.kinds[i] in ("approx", "bound") or r.tokens[i].text in DETERMINERS):
        i -= 1
    return i >= 0 and r.tokens[i].text in PREPOSITIONS - lexicon.ROLES


def _restated(r: Reading, slots: tuple[Slot, ...], n: int, i: int) -> bool:
    """True when slot n restates an earlier slot in the same unit and word i qualifies that one
    only, written just before its head noun: "an initial fee of €100 million, rising to €120
    million" (120 is the fee, not the initial fee)."""
    earlier = [m for m in range(n) if slots[n].unit and slots[m].unit == slots[n].unit and slots[m].start > i]
    if not earlier:
        return False
    gap = range(i + 1, slots[earlier[0]].start)
    words = [j for j in gap if r.kinds[j] in CONTENT]
    return 0 < len(gap) <= 2 and bool(words) and all(j in words or r.tokens[j].text == "of" for j in gap)


def _owned(r: Reading, slot: Slot) -> bool:
    """A slot written right after a name's possessive ("Hubble's 2.4-metre mirror"): the words of
    the clause's subject do not go with it."""
    i = slot.start - 1
    while i >= 0 and r.kinds[i] == "approx":
        i -= 1
    return (
        i >= 0
        and r.kinds[i] in CONTENT
        and r.tokens[i].capital
        and r.text[r.tokens[i].end : r.tokens[i].end + 1] == "'"
    )


def _share_chained(r: Reading, slots: tuple[Slot, ...], found: dict[int, set[int]]) -> None:
    """Slots of one change or one score share their words: "fall by 7% to £1,717 a year for a
    typical household" (the household's cap falls by 7% too), "3-1", "7-2"."""
    for n in range(1, len(slots)):
        gap = range(slots[n - 1].end, slots[n].start)
        plain = all(r.kinds[j] not in ("word", "entity") for j in gap)
        if not gap or (plain and slots[n].role in lexicon.ROLES):
            for pair in found.values():
                if pair & {n, n - 1}:
                    pair |= {n, n - 1}


def _share_ellipsis(r: Reading, slots: tuple[Slot, ...], found: dict[int, set[int]]) -> None:
    """An elliptic slot shares the words written right after the slot before it: "2,500 US troops
    deployed in Iraq and about 900 in Syria" (900 US troops deployed), "25 days of paid leave,
    while new starters receive 20 days" (20 days of paid leave). Elliptic: nothing of its own
    follows it ("900 in"), or it repeats the unit and the clause ends ("20 days.")."""
    for n in range(1, len(slots)):
        previous, slot = slots[n - 1], slots[n]
        if r.sentences[previous.start] != r.sentences[slot.start] or not _elliptic(r, slot, previous):
            continue
        j = previous.end
        while j < slot.start and (r.kinds[j] in CONTENT or r.kinds[j] == "part" or r.tokens[j].text == "of"):
            found[j].add(n)
            j += 1


def _elliptic(r: Reading, slot: Slot, previous: Slot) -> bool:
    after = slot.end + (1 if slot.unit else 0)
    own = after < len(r.tokens) and r.kinds[after] in CONTENT
    rest = [j for j in range(after, len(r.tokens)) if r.clauses[j] == r.clauses[slot.start] and r.kinds[j] in CONTENT]
    return (not slot.unit and not own) or (slot.unit == previous.unit and not rest)


def _share_subject(r: Reading, slots: tuple[Slot, ...], found: dict[int, set[int]]) -> None:
    """Every slot of a clause goes with the words it refers back to (`referents`), and with the
    names in its sentence's subject."""
    for n, slot in enumerate(slots):
        for i in referents(r, slots, r.clauses[slot.start]) + _names(r, slots, r.sentences[slot.start]):
            found[i].add(n)


def referents(r: Reading, slots: Sequence[Slot], clause: int) -> list[int]:
    """The words a clause takes from the start of its sentence (or of the sentence before, when
    its sentence opens with a pronoun). "it", "they", "he", "she" may stand for anything the first
    clause names before its first slot ("..., after it had been judged": Hillside Primary;
    "at the summit it boils at about 70": water); a possessive or a clause opening with a verb
    takes the subject ("..., but will keep its research centre open", "..., rising to €120
    million": Bayern Munich, not the initial fee)."""
    members = [i for i, k in enumerate(r.clauses) if k == clause]
    sentence = r.sentences[members[0]]
    words = {r.tokens[i].text for i in members}
    first = next((i for i in members if r.tokens[i].text not in CONNECTORS), None)
    verb = first is not None and r.kinds[first] == "word" and r.tokens[first].text.endswith(("ed", "ing"))
    sentences = [sentence]
    if r.tokens[r.sentences.index(sentence)].text in _PRONOUNS and sentence > 0:
        sentences.append(sentence - 1)
    if words & _PERSONAL:
        return [i for k in sentences for i in _antecedents(r, slots, k)]
    return [i for k in sentences for i in subject(r, slots, k)] if verb or words & _POSSESSIVE else []


def _names(r: Reading, slots: Sequence[Slot], sentence: int) -> list[int]:
    return [i for i in subject(r, slots, sentence) if r.kinds[i] == "entity" or r.tokens[i].capital]


def _antecedents(r: Reading, slots: Sequence[Slot], sentence: int) -> list[int]:
    """The first clause's content words before its first slot, without the verb right before it."""
    opens = r.sentences.index(sentence)
    first_clause = r.clauses[opens]
    first = min((s.start for s in slots if r.clauses[s.start] == first_clause), default=len(r.tokens))
    words = [i for i in r.content() if r.clauses[i] == first_clause and i < first]
    if first == len(r.tokens) or len(words) < 2:
        return words
    possessive = r.text[r.tokens[words[-1]].end : r.tokens[words[-1]].end + 1] == "'"
    linked = not possessive and all(_linking(r, j) for j in range(words[-1] + 1, first))
    return words[:-1] if linked else words


def subject(r: Reading, slots: Sequence[Slot], sentence: int) -> list[int]:
    """The subject of a sentence: its first clause's content words before its first verb (an
    auxiliary, a past form: "Bayern Munich signed ...", "The Berlin Wall fell ..."), or else
    `_antecedents` ("Water boils at 100")."""
    opens = r.sentences.index(sentence)
    first_clause = r.clauses[opens]
    ends = [j for j in range(opens, len(r.tokens)) if r.clauses[j] == first_clause]
    verb = next((j for j in ends if _verb_like(r, j)), None)
    if verb is None:
        return _antecedents(r, slots, sentence)
    return [i for i in r.content() if r.clauses[i] == first_clause and i < verb]


def _verb_like(r: Reading, j: int) -> bool:
    word = r.tokens[j].text
    past = r.kinds[j] == "word" and not r.tokens[j].capital and (word.endswith("ed") or word in tx.IRREGULAR)
    return word in _AUXILIARIES or r.kinds[j] in ("hedge", "negation") or past


def _linking(r: Reading, j: int) -> bool:
    return r.kinds[j] in ("approx", "bound") or r.tokens[j].text in PREPOSITIONS | DETERMINERS


def clause_keys(r: Reading) -> list[set[str]]:
    """The content keys of each clause of a cited text, generously: joined clauses ("..., up
    12%") as one, each with the words it refers back to and its sentence's subject's names."""
    clauses, slots = joined(r, backward=True), r.numbers + r.dates
    found = []
    for clause in sorted(set(clauses)):
        members = [i for i, k in enumerate(clauses) if k == clause]
        taken = {j for k in {r.clauses[i] for i in members} for j in referents(r, slots, k)}
        taken |= set(_names(r, slots, r.sentences[members[0]]))
        found.append({r.keys[i] for i in members if r.kinds[i] in CONTENT} | {r.keys[i] for i in taken})
    return found


def _fits(c: Reading, e: Reading, pair: Pair, kind: str, matches: Matches, seen: dict[str, list[set[int]]]) -> bool:
    """A claimed pair is fine when its slot matched nothing (reported elsewhere), when the word
    is not in the text or is free there somewhere, or when the text allows it with a match."""
    i, n = pair
    wanted = matches[kind][n]
    found = [slots for identity in _identities(c, e, i, matches) for slots in seen.get(identity, [])]
    return not wanted or not found or not all(found) or any(slots & wanted for slots in found)


def _identity(r: Reading, i: int) -> str:
    """What a token is compared by across texts: its key, or for a slot, its position."""
    return r.keys[i] if r.kinds[i] in CONTENT else f"slot:{i}"


def _identities(c: Reading, e: Reading, i: int, matches: Matches) -> list[str]:
    """The text's tokens that can be claim token i: the same key; for a slot, the text's slots
    it matched. (Not synonyms: "get" must not meet the text's "receive" bound elsewhere.)"""
    if c.kinds[i] in CONTENT:
        return [c.keys[i]]
    kind = c.kinds[i]
    n = next(n for n, s in enumerate(c.slots(kind)) if s.start == i)
    return [f"slot:{e.slots(kind)[m].start}" for m in matches[kind][n]]
