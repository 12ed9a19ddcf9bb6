"""English phrase heuristics for follow-ups: words, names, noun phrases, what a question asks about.

General English only (closed-class words and capitalisation), nothing tuned to a corpus. Used by
`assistant.followups.conversation` to resolve "he", "there" and "And in Syria?" without a language model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

# A word: letters/digits joined by hyphens, apostrophes, dots or "&" ("al-Fayyad", "Tesla's",
# "U.S", "AT&T"), and digit groups ("2,500"). Only the follow-up heuristics need word positions,
# so the pattern lives here, not in a shared tokenizer.
_WORD = re.compile(r"\w+(?:[-'\u2019.&]\w+|,\d{3}(?!\d))*")
_POSSESSIVE = re.compile(r"['\u2019]s$", re.I)
_SENTENCE_GAP = re.compile(r"[.!?:;\n]")

# Closed-class words by the part they play in a question. (Not citations.STOPWORDS: that set says
# which words count as a claim's content; these say what a word does in a sentence.)
WH = frozenset("what who whom whose which when where why how".split())
COPULA = frozenset("is are was were be been am 's".split())
DO_AUX = frozenset("do does did can could will would shall should may might must has have had".split())
AUX = COPULA | DO_AUX
PREPOSITIONS = frozenset(
    "in at on of for from to by with about during near under over between among into onto against since "
    "after before than like across inside outside within without through throughout toward towards around "
    "per versus vs via upon as".split()
)
DETERMINERS = frozenset("the a an this that these those my your our his her its their some any each every no".split())
PERSONAL = frozenset("i you we he she it they me him her us them".split())
CONJUNCTIONS = frozenset("and or but so nor yet".split())
# Capitalised only because they open a sentence ("Currently, ...", "Tell me ...").
OPENERS = frozenset(
    "yes not also however currently today yesterday tomorrow now then approximately roughly nearly almost "
    "more less most many much several both all only just according based although though because while "
    "unless if as overall finally first second third next last later earlier meanwhile instead please tell "
    "list name show give explain describe compare summarize summarise define find write let thanks thank "
    "ok okay sure well here there".split()
)
CLOSED = WH | AUX | PREPOSITIONS | DETERMINERS | PERSONAL | CONJUNCTIONS
NAME_JOINERS = frozenset("of de da del der van von la le al bin ibn el du".split())  # "Bank of America"
IMPERATIVES = frozenset("tell list name show give explain describe compare summarize summarise define find".split())
# Words after which a copula question's noun phrase is over: a participle ("When was X built?").
_IRREGULAR_PARTICIPLES = frozenset(
    "built made born done known held won written taken given seen sold run begun found paid led set "
    "shot hit put cut spent sent lost chosen drawn driven eaten fallen flown grown hidden ridden risen "
    "shown spoken stolen sworn thrown worn".split()
)
_NOUN_PHRASE_STOPS = (PREPOSITIONS - {"of"}) | AUX | WH | CONJUNCTIONS | {"to"}


@dataclass(frozen=True)
class Word:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower().replace("\u2019", "'")

    @property
    def bare(self) -> str:
        """The word without a possessive "'s" ("Tesla's" -> "Tesla")."""
        return _POSSESSIVE.sub("", self.text)


@dataclass(frozen=True)
class Phrase:
    """A stretch of a text: words `i`..`j-1`, characters `start`..`end`."""

    text: str
    start: int
    end: int
    i: int
    j: int


class Words:
    """A text cut into words, with the spans a question's analysis needs."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = [Word(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
        self.low = [w.lower for w in self.words]

    def __len__(self) -> int:
        return len(self.words)

    def phrase(self, i: int, j: int) -> Phrase | None:
        """Words i..j-1 as a phrase; a trailing possessive "'s" is left out. None when empty."""
        if j <= i:
            return None
        end = self.words[j - 1].start + len(self.words[j - 1].bare)
        return Phrase(self.text[self.words[i].start : end], self.words[i].start, end, i, j)

    def initial(self, i: int) -> bool:
        """True when word i opens a sentence."""
        return i == 0 or bool(_SENTENCE_GAP.search(self.text[self.words[i - 1].end : self.words[i].start]))

    def adjacent(self, i: int) -> bool:
        """True when only spaces separate word i-1 from word i."""
        return self.text[self.words[i - 1].end : self.words[i].start].strip() == ""

    @cached_property
    def names(self) -> list[Phrase]:
        """Capitalised spans and acronyms, in order: "Falih al-Fayyad", "US", "Bank of America"."""
        found: list[Phrase] = []
        i = 0
        while i < len(self):
            if not self._name_word(i):
                i += 1
                continue
            j = self._name_end(i)
            phrase = self.phrase(i, j)
            if phrase is not None:
                found.append(phrase)
            i = j
        return found

    def _name_end(self, i: int) -> int:
        j = i + 1
        while j < len(self) and self.adjacent(j) and self.words[j - 1].bare == self.words[j - 1].text:
            if self._name_word(j):
                j += 1
            elif self.low[j] in NAME_JOINERS and j + 1 < len(self) and self._name_word(j + 1):
                j += 2
            else:
                break
        return j

    def _name_word(self, i: int) -> bool:
        bare = self.words[i].bare
        if len(bare) >= 2 and bare.upper() == bare and any(c.isalpha() for c in bare):
            return True  # an acronym: "US", "SDF", "COVID-19"
        if bare.lower() in CLOSED:
            return False
        parts = bare.split("-")
        if any(part[:1].isupper() for part in parts[1:]) or (bare[:1].islower() and bare[1:] != bare[1:].lower()):
            return True  # "al-Fayyad", "iPhone"
        return bare[:1].isupper() and not (self.initial(i) and bare.lower() in OPENERS)

    def name_at(self, i: int) -> Phrase | None:
        """The name that starts at word i, if any."""
        return next((n for n in self.names if n.i == i), None)

    def name_within(self, phrase: Phrase) -> Phrase | None:
        return next((n for n in self.names if phrase.i <= n.i and n.j <= phrase.j), None)

    def noun_phrase(self, i: int) -> Phrase | None:
        """The noun phrase from word i: up to a preposition other than "of", a verb or the end."""
        j = i
        while j < len(self) and self.low[j] not in _NOUN_PHRASE_STOPS:
            j += 1
        if j - i > 1 and _participle(self.low[j - 1]) and self.name_at(j - 1) is None:
            j -= 1  # "When was the Eiffel Tower built?"
        return self.phrase(i, j)


def _participle(word: str) -> bool:
    return word in _IRREGULAR_PARTICIPLES or (word.endswith("ed") and len(word) > 4)


def passive(words: Words) -> bool:
    """True when a copula is followed by a participle, maybe after an adverb: "were hit", "was
    quickly intercepted"."""
    low = words.low
    for k in range(len(low) - 1):
        if low[k] in COPULA | {"being"}:
            after = low[k + 2] if low[k + 1].endswith("ly") and k + 2 < len(low) else low[k + 1]
            if _participle(after):
                return True
    return False


def plural(phrase: str) -> bool:
    """True when the phrase's last word looks plural ("US troops", "the Kurds"; not "Paris")."""
    last = phrase.split()[-1] if phrase.split() else ""
    if last in {"people", "children", "men", "women", "staff"}:
        return True
    return last[:1].islower() and last.endswith("s") and not last.endswith(("ss", "us", "is"))


def possessive(phrase: str) -> str:
    """ "Falih al-Fayyad" -> "Falih al-Fayyad's"; "US troops" -> "US troops'"."""
    return phrase + "'" if plural(phrase) and phrase.endswith("s") else phrase + "'s"


def content_words(words: Words) -> set[str]:
    """The lowercased words that are not closed-class ("head", "alliance", "hashed")."""
    return {low for low in words.low if low not in CLOSED | OPENERS and len(low) > 2}


def year_or_number(text: str) -> bool:
    """True for "2020", "2,500", "the 1990s"."""
    return bool(re.fullmatch(r"(?:the\s+)?\d[\d,.]*s?", text.strip(), re.I))


# -- what a question asks about ------------------------------------------------------------------
@dataclass(frozen=True)
class Asked:
    """What a question is about, and what kind of thing its answer names.

    subject    its main noun phrase: "the head of the Hashed al-Shaabi alliance", "Microsoft"
    counted    what "how many"/"how much" counts: "US troops"
    asks       "person" (who did / who is the X), "thing" (which X, what X), "place" (where), or None
    described  who a who-question asks for, in words: "the person who founded Microsoft"
    """

    words: Words
    subject: Phrase | None = None
    counted: Phrase | None = None
    asks: str | None = None
    described: str | None = None

    @property
    def places(self) -> list[Phrase]:
        return places(self.words)

    @property
    def objects(self) -> list[Phrase]:
        return objects(self.words)


def analyse(question: str) -> Asked:
    """The subject and the asked-for kind of a question, from its word order."""
    words = Words(question)
    i = skip_conjunctions(words, 0)
    if i >= len(words):
        return Asked(words)
    first = words.low[i]
    if first in WH:
        return _wh_question(words, i)
    if first in AUX:  # "Does Apple pay dividends?"
        return Asked(words, _after_aux(words, i))
    if first in IMPERATIVES:  # "Tell me about the Kurds"
        k = i + 1 + (i + 1 < len(words) and words.low[i + 1] in {"me", "us"})
        k += k < len(words) and words.low[k] == "about"
        return Asked(words, words.noun_phrase(k))
    return Asked(words, words.names[0] if words.names else None)


def skip_conjunctions(words: Words, i: int) -> int:
    while i < len(words) and words.low[i] in CONJUNCTIONS | {"also", "now", "then", "ok", "okay", "well"}:
        i += 1
    return i


def _wh_question(words: Words, i: int) -> Asked:
    low, n, first = words.low, len(words), words.low[i]
    if first == "how" and i + 1 < n and low[i + 1] in {"many", "much"}:
        return _how_many(words, i)
    k = i + 1
    if first == "how" and k < n and low[k] not in AUX:
        k += 1  # "how tall is ..."
    names_a_noun = k < n and low[k] not in AUX and _names_a_noun(first, low[k + 1] if k + 1 < n else None)
    if names_a_noun:
        k = _verb_after_noun(words, k)  # "which company makes ...", "what year did ...", "which US general vowed"
    asks = "thing" if names_a_noun else {"who": "person", "whom": "person", "where": "place"}.get(first)
    if k < n and low[k] in AUX:
        subject = _after_aux(words, k)
        if first in {"who", "whom"} and low[k] in COPULA and subject is not None and is_name(words, subject):
            return Asked(words, subject)  # "Who is Satya Nadella?": the person is named already
        described = subject.text if subject is not None and first in {"who", "whom"} else None
        return Asked(words, subject, asks=asks, described=described)
    # The wh-word is the subject ("Who leads the SDF?"): the question is about what follows the verb.
    described = None
    if first == "who" and k < n:
        described = "the person who " + words.text[words.words[k].start :].rstrip(" ?.!")
    return Asked(words, words.noun_phrase(k + 1) or _first_noun_object(words, k), asks=asks, described=described)


def _first_noun_object(words: Words, k: int) -> Phrase | None:
    """ "vowed to respond to [this week's attack]": the first object after word k that reads as a noun
    phrase (an article, a name, or several words), not an infinitive ("to respond")."""
    for o in objects(words):
        if o.i > k and (words.low[o.i] in DETERMINERS or words.name_at(o.i) or o.j - o.i > 1):
            return o
    return None


def _verb_after_noun(words: Words, k: int) -> int:
    """Where the verb is after a wh-word's noun phrase: "which [US general] vowed", "which [company] makes the"."""
    low, n, j = words.low, len(words), k
    while j < n and low[j] not in AUX | PREPOSITIONS | DETERMINERS and not (j > k and _participle(low[j])):
        j += 1
    if j < n and low[j] in PREPOSITIONS | DETERMINERS and j - k >= 2:
        return j - 1  # "makes the iPhone": the word before the article is the verb
    return j if k < j < n else k + 1


def _names_a_noun(first: str, after_next: str | None) -> bool:
    """ "which company ...", "what year did ...": the word after the wh-word is a noun, not a verb
    ("what caused the crisis", "what happened in 2008")."""
    return first in {"which", "whose"} or (first == "what" and after_next not in DETERMINERS | PREPOSITIONS | {None})


def _how_many(words: Words, i: int) -> Asked:
    low, n = words.low, len(words)
    j = i + 2
    while j < n and low[j] not in AUX | PREPOSITIONS:
        j += 1
    counted = words.phrase(i + 2, j)
    # The answer is a number, not a name: `asks` stays None.
    if j < n and low[j] in DO_AUX:  # "How many employees does Microsoft have?"
        return Asked(words, _after_aux(words, j), counted)
    if j < n and low[j] in COPULA:  # "How many US troops are in Iraq?"
        return Asked(words, counted, counted)
    counted = words.phrase(i + 2, j - 1) if j - i > 3 else counted  # "how many people live in ...": drop the verb
    return Asked(words, counted, counted)


def _after_aux(words: Words, k: int) -> Phrase | None:
    """The subject after an auxiliary: "is [the head of X]", "did [the war] start", "does [Microsoft] have"."""
    low, n, j = words.low, len(words), k + 1
    if j < n and low[j] in {"i", "you", "we"}:
        return words.noun_phrase(j + 2)  # "How do I reset my password?" is about the password
    if low[k] in COPULA:
        return words.noun_phrase(j)
    start = j + (j < n and low[j] == "the")
    name = words.name_at(start) if start < n else None
    if name is not None:
        return words.phrase(j, name.j)
    phrase = words.noun_phrase(j)
    if phrase is None or phrase.j - phrase.i < 2 or (phrase.j < n and low[phrase.j] in AUX):
        return phrase  # "does the company have": the phrase stopped at the verb already
    return words.phrase(phrase.i, phrase.j - 1)  # "did [the war] start": the last word is the verb


def is_name(words: Words, phrase: Phrase, *, allow_the: bool = False) -> bool:
    """True when the phrase is one name ("Satya Nadella"; with `allow_the`, also "the Eiffel Tower")."""
    start = phrase.i + (allow_the and words.low[phrase.i] == "the")
    name = words.name_within(phrase)
    return name is not None and name.i == start and name.j == phrase.j


# Prepositions that put a name in a place: "in Iraq", "from Lyon".
PLACE_PREPOSITIONS = frozenset("in at from near to across inside outside within around throughout".split())


def places(words: Words) -> list[Phrase]:
    """Names that follow a place preposition (directly or after "the"), in order."""
    found = []
    for name in words.names:
        before = name.i - 1 - (name.i >= 2 and words.low[name.i - 1] == "the")
        if before >= 0 and words.low[before] in PLACE_PREPOSITIONS:
            found.append(name)
    return found


def objects(words: Words) -> list[Phrase]:
    """The noun phrases after prepositions, numbers left out: "the general amnesty", "northeast Syria"."""
    found = []
    for p in range(len(words) - 1):
        obj = words.noun_phrase(p + 1) if words.low[p] in PREPOSITIONS else None
        if obj is not None and not year_or_number(obj.text):
            found.append(obj)
    return found
