"""What a word, a stem, a number, a date and a citation marker are: one module for every reader of text.

The retriever (index/lexical.py), the sentence windows (assistant/retrieval/windows.py), the claim check
(assistant/checking/claims.py) and the metrics (assistant/evaluation/metrics.py) all ask this module, so "4,000" and
"4000", or "forces" and "force", are the same thing to each of them. It lives in `index/`
because `index/` never imports from `assistant/`; both may import it.

    normalise    curly quotes straightened, thousands separators dropped ("2,500" -> "2500")
    spell_out    symbols and contractions as words ("5%" -> "5 percent", "didn't" -> "did not")
    TERM         the one word pattern: words of 2+ characters and numbers ("2.5")
    tokenize     TERM words as Tokens (lowercased, as written, with offsets)
    stem, root   the Snowball stemmer; `root` first maps irregular verbs to their base form
    STOPWORDS    English stop words; INDEX_STOPWORDS is the smaller list BM25 was built with;
                 CLAIM_STOPWORDS keeps the words that change a claim's meaning (not, before, more)
    numbers      NumberMentions: digits, decimals, number words, scales ("2.5 million")
    dates        DateMentions: months, years, days of the month, weekdays
    MARKER       the [n] / [1, 2] citation marker; marker_numbers, strip_markers
    NEGATIONS    negation cue words; NEGATIVE_VERBS (reject, deny...) negate what follows them
    fold         the metrics' comparison form: accents, punctuation and ordinal suffixes dropped
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache

# -- normalising ---------------------------------------------------------------------
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # "4,000" -> "4000"; "1,2" and "2,50" are left alone
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'"})


def normalise(text: str) -> str:
    """`text` with curly quotes straightened and thousands separators dropped; case is kept."""
    return _THOUSANDS.sub("", text.translate(_QUOTES))


_MONTH_NAMES = "January February March April May June July August September October November December".split()
_CURRENCY = {"$": "dollars", "£": "pounds", "€": "euros", "¥": "yen"}
_SCALE_SUFFIX = {"bn": "billion", "b": "billion", "m": "million", "mn": "million", "k": "thousand", "tn": "trillion"}
_SPELLINGS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # U.S. -> US: one-letter tokens are not words
    (re.compile(r"\b((?:[A-Za-z]\.){2,})"), lambda m: m.group(1).replace(".", "")),
    (re.compile(r"(?i)\b(can)(?:not|'t)\b"), r"\1 not"),
    (re.compile(r"(?i)\b(wo)n't\b"), "will not"),
    (re.compile(r"(?i)n't\b"), " not"),
    (re.compile(r"(?i)\s?(?:\bper\s?cent\b|%)"), " percent"),
    (re.compile(r"\s?°\s?C\b"), " degrees Celsius"),
    (re.compile(r"\s?°\s?F\b"), " degrees Fahrenheit"),
    (re.compile(r"(?i)\bkm\s?/\s?h\b"), "kph"),
    (re.compile(r"(?<=\d)\s?g\b"), " grams"),  # "20 g" would lose its unit: one letter is not a word
)
_MONEY = re.compile(r"([$£€¥])\s?(\d+(?:\.\d+)?)(?:\s?(bn|b|mn|m|k|tn|thousand|million|billion|trillion)\b)?")
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_GROUPED_4 = re.compile(r"\b(\d),(\d{3})\b(?![.,]\d)")
_SIGNED = re.compile(r"(?<![\w.])\+(\d)")  # "+11.9%" -> "up 11.9 percent"
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})\b")  # "09:40" -> "09h40": a time is a word, not two numbers


def _money(match: re.Match[str]) -> str:
    scale = match.group(3)
    scale = _SCALE_SUFFIX.get(scale.lower(), scale) if scale else ""
    return " ".join(part for part in (match.group(2), scale, _CURRENCY[match.group(1)]) if part)


def _iso_date(match: re.Match[str]) -> str:
    year, month, day = (int(g) for g in match.groups())
    return f"{day} {_MONTH_NAMES[month - 1]} {year}" if 1 <= month <= 12 and 1 <= day <= 31 else match.group(0)


def spell_out(text: str) -> str:
    """Normalised `text` with symbols, units and contractions as words, for comparing meaning:
    "$4.2bn" -> "4.2 billion dollars", "5%" -> "5 percent", "didn't" -> "did not",
    "U.S." -> "US", "2023-03-14" -> "14 March 2023", "97 km/h" -> "97 kph", "+12%" -> "up 12 percent",
    "09:40" -> "09h40"."""
    # "1,850" is a count, never a year: written "1850.0" it stays one number but no year
    text = _ISO_DATE.sub(_iso_date, normalise(_GROUPED_4.sub(r"\1\2.0", text)))
    text = _TIME.sub(r"\1h\2", _SIGNED.sub(r"up \1", _MONEY.sub(_money, text)))
    for pattern, replacement in _SPELLINGS:
        text = pattern.sub(replacement, text)
    return text


# -- words ---------------------------------------------------------------------------
# Words of 2+ characters and numbers ("2.5" stays one token). BM25's index was built with this
# pattern: changing it changes the index (index/lexical.py LEXICAL_VERSION).
TERM = re.compile(r"(?u)\b(?:\d+(?:\.\d+)?|\w\w+)\b")


@dataclass(frozen=True)
class Token:
    """One word of a text: lowercased, as written, and where it is."""

    text: str
    surface: str
    start: int
    end: int

    @property
    def capital(self) -> bool:
        return self.surface[:1].isupper()


def tokenize(text: str) -> list[Token]:
    """The TERM words of `text`, in order (call `spell_out` first to compare meaning)."""
    return [Token(m.group(0).lower(), m.group(0), m.start(), m.end()) for m in TERM.finditer(text)]


@cache
def stemmer():  # type: ignore[no-untyped-def]
    """The one stemmer: PyStemmer's English Snowball (callers that stem in bulk, like bm25s, take it)."""
    import Stemmer

    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """The English Snowball stem of a lowercase word ("forces" -> "forc", "deployed" -> "deploy")."""
    return str(stemmer().stemWord(word))


def stems(words: Iterable[str]) -> list[str]:
    """`stem` of each word, in one call."""
    return list(stemmer().stemWords(list(words)))


# Irregular past forms the stemmer cannot join to their verb ("rose" is not "rise" to Snowball).
IRREGULAR = {
    "rose": "rise", "risen": "rise", "fell": "fall", "fallen": "fall", "grew": "grow", "grown": "grow",
    "won": "win", "lost": "lose", "sold": "sell", "bought": "buy", "began": "begin", "begun": "begin",
    "paid": "pay", "spent": "spend", "took": "take", "taken": "take", "made": "make", "gave": "give",
    "given": "give", "led": "lead", "met": "meet", "held": "hold", "kept": "keep", "built": "build",
    "sent": "send", "went": "go", "gone": "go", "told": "tell", "said": "say", "says": "say",
    "brought": "bring", "caught": "catch", "fought": "fight", "found": "find", "chose": "choose",
    "chosen": "choose", "drew": "draw", "drawn": "draw", "drove": "drive", "driven": "drive",
    "flew": "fly", "flown": "fly", "froze": "freeze", "frozen": "freeze", "broke": "break",
    "broken": "break", "spoke": "speak", "spoken": "speak", "stood": "stand", "struck": "strike",
    "wrote": "write", "written": "write", "knew": "know", "known": "know", "left": "leave",
    "became": "become", "came": "come", "got": "get", "gotten": "get",
    "ran": "run", "sank": "sink", "sunk": "sink", "shrank": "shrink",
    "shrunk": "shrink", "sought": "seek", "taught": "teach", "thought": "think", "understood":
    "understand", "withdrew": "withdraw", "withdrawn": "withdraw", "overtook": "overtake",
}  # fmt: skip


def root(word: str) -> str:
    """`stem` after mapping an irregular past form to its verb: root("rose") == root("rising")."""
    return stem(IRREGULAR.get(word, word))


# BM25's stop words (Lucene's English list, what bm25s calls "en"): the index was built with these.
INDEX_STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there "
    "these they this to was will with".split()
)
# The general English list (bm25s "en_plus", NLTK's): for query terms and sentence matching.
STOPWORDS = INDEX_STOPWORDS | frozenset(
    "about above after again against ain all am any aren aren't because been before being below between "
    "both can couldn couldn't d did didn didn't do does doesn doesn't doing don don't down during each "
    "few from further had hadn hadn't has hasn hasn't have haven haven't having he her here hers herself "
    "him himself his how i isn isn't it's its itself just ll m ma me mightn mightn't more most mustn "
    "mustn't my myself needn needn't nor now o off once only other our ours ourselves out over own re s "
    "same shan shan't she she's should should've shouldn shouldn't so some t than that'll theirs them "
    "themselves those through too under until up ve very wasn wasn't we were weren weren't what when "
    "where which while who whom why won won't wouldn wouldn't y you you'd you'll you're you've your yours "
    "yourself yourselves".split()
)
NEGATIONS = frozenset("not no never none nobody nothing nowhere neither nor without".split())
MODALS = frozenset("can could may might must shall should will would".split())
# Words a claim must keep: they reverse or bound what it says ("before" 1919, "more than" 170, "up" 12%).
MEANINGFUL = frozenset("above after against before below between down few more most off out over under up".split())
# Stop words of the claim check: no negation, modal or direction in here (they are checked, not ignored);
# "us" is the pronoun (the country is written "US" and recognised by its capitals).
CLAIM_STOPWORDS = (STOPWORDS - NEGATIONS - MEANINGFUL - MODALS) | {"us", "also"}
# Verbs that negate what follows them, as roots: "rejected the withdrawal" says it is not wanted.
NEGATIVE_VERBS = frozenset(
    "reject refus deni declin oppos veto fail drop halt stop cancel scrap abandon suspend ban block remov".split()
)  # reject refuse deny decline oppose veto fail drop halt stop cancel scrap abandon suspend ban block remove


def terms(text: str, stopwords: frozenset[str] = STOPWORDS) -> list[str]:
    """Stemmed TERM words of normalised, lowercased `text`, stop words left out (BM25's and the
    windows' notion: "The bridges reopened, costing 4,000" -> ["bridg", "reopen", "cost", "4000"])."""
    found = TERM.findall(normalise(text).lower())
    return stems(t for t in found if t not in stopwords)


# -- numbers -------------------------------------------------------------------------
_UNITS_WORDS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()
NUMBER_WORDS = {
    **{w: i for i, w in enumerate(_UNITS_WORDS)},
    **{"sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "dozen": 12, "twice": 2},
    **{w: 10 * (i + 2) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())},
}
ORDINAL_WORDS = {
    w: i + 1
    for i, w in enumerate(
        "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
        "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split()
    )
}
SCALES = {"hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_DIGITS = re.compile(r"\d+(?:\.\d+)?$")
_ORDINAL_DIGITS = re.compile(r"(\d+)(?:st|nd|rd|th)$")
# A number's unit, by the word(s) after it: canonical name per spelling (plural forms by stem).
UNITS = {
    "percent": "percent", "point": "point", "percentag": "point", "pp": "point", "km": "km",
    "kilometr": "km", "kilomet": "km", "mile": "mile", "mph": "mph", "kph": "kph", "metr": "metre",
    "meter": "metre", "cm": "cm", "mm": "mm", "kg": "kg", "kilogram": "kg", "gram": "gram", "mg": "mg",
    "milligram": "mg", "tonn": "tonne", "ton": "tonne", "litr": "litre", "liter": "litre", "gallon": "gallon",
    "dollar": "dollar", "usd": "dollar", "pound": "pound", "gbp": "pound", "euro": "euro", "eur": "euro",
    "yen": "yen", "degre": "degree", "year": "year", "month": "month", "week": "week", "day": "day",
    "hour": "hour", "minut": "minute", "second": "second", "acr": "acre", "hectar": "hectare", "barrel": "barrel",
}  # fmt: skip


@dataclass(frozen=True)
class NumberMention:
    """A number in a token list: tokens [start, end), its value, and the unit after it ("" if none)."""

    start: int
    end: int
    value: float
    unit: str = ""
    ordinal: bool = False


def _number_word(words: Sequence[str], i: int) -> tuple[float, int] | None:
    """A number written in words from i ("twenty five" -> 25): (value, tokens used)."""
    if words[i] not in NUMBER_WORDS:
        return None
    value, used = float(NUMBER_WORDS[words[i]]), 1
    if 20 <= value <= 90 and i + 1 < len(words) and 0 < NUMBER_WORDS.get(words[i + 1], 0) < 10:
        value, used = value + NUMBER_WORDS[words[i + 1]], 2
    return value, used


FRACTIONS = {"half": 0.5, "quarter": 0.25}


def _fraction(words: Sequence[str], i: int) -> tuple[float, int] | None:
    """ "half a point", "a quarter of a percentage point": (value, tokens used). Not "the third
    quarter" or "half of the staff" (a share of something, not a quantity)."""
    if words[i] not in FRACTIONS or (i and (words[i - 1] in ORDINAL_WORDS or _DIGITS.match(words[i - 1]))):
        return None
    used = 2 if i + 1 < len(words) and words[i + 1] == "of" else 1
    return (FRACTIONS[words[i]], used) if unit_at(words, i + used)[0] else None


def _number_at(words: Sequence[str], i: int) -> tuple[float, int, bool] | None:
    word = words[i]
    if fraction := _fraction(words, i):
        return (*fraction, False)
    if _DIGITS.match(word):
        return float(word), 1, False
    if match := _ORDINAL_DIGITS.match(word):
        return float(match.group(1)), 1, True
    if word in ORDINAL_WORDS:
        return float(ORDINAL_WORDS[word]), 1, True
    spelled = _number_word(words, i)
    return (*spelled, False) if spelled else None


def unit_at(words: Sequence[str], i: int) -> tuple[str, int]:
    """The unit written at words[i] ("percentage points", "km", "dollars"): (name, tokens used)."""
    if i >= len(words):
        return "", 0
    first = stem(words[i])
    second = stem(words[i + 1]) if i + 1 < len(words) else ""
    if first == "percentag" and second == "point":
        return "point", 2
    if first == "squar" and second in UNITS:  # "square kilometres"
        return f"square {UNITS[second]}", 2
    return (UNITS[first], 1) if first in UNITS else ("", 0)


def numbers(words: Sequence[str]) -> list[NumberMention]:
    """The numbers in lowercase `words` (tokens), with scale words applied: "2.5 million" is 2500000.
    Years and days of the month are numbers too: `dates` says which are dates."""
    found, i = [], 0
    while i < len(words):
        parsed = _number_at(words, i)
        if parsed is None:
            i += 1
            continue
        value, used, ordinal = parsed
        end = i + used
        while end < len(words) and words[end] in SCALES:
            value, end = value * SCALES[words[end]], end + 1
        unit, width = unit_at(words, end)
        found.append(NumberMention(i, end, value, unit, ordinal))
        i = end + width
    return found


# -- dates ---------------------------------------------------------------------------
MONTHS = (
    {name.lower(): n for n, name in enumerate(_MONTH_NAMES, start=1)}
    | {name.lower()[:3]: n for n, name in enumerate(_MONTH_NAMES, start=1) if name != "May"}
    | {"sept": 9}
)
WEEKDAYS = {d: n for n, d in enumerate("monday tuesday wednesday thursday friday saturday sunday".split())}
YEARS = range(1500, 2101)  # a bare 4-digit number in this range, without a unit, is read as a year


@dataclass(frozen=True)
class DateMention:
    """A date in a token list: tokens [start, end) and what it states, e.g. {("month", 3), ("year", 2023)}."""

    start: int
    end: int
    parts: frozenset[tuple[str, int]]


_YEAR_BEFORE = frozenset(
    "in since by of from until to during before after between and early late mid end "
    "spring summer autumn winter".split()
)


def _is_year(tokens: Sequence[Token], i: int) -> bool:
    """A bare 1500..2100 is a year when a date word is before it or nothing that counts follows:
    "in 2023", "March 2023", "2023." but not "2000 troops" or "2000 dollars"."""
    text = tokens[i].text
    if not (_DIGITS.match(text) and "." not in text and int(text) in YEARS):
        return False
    before = tokens[i - 1].text if i > 0 else ""
    after = tokens[i + 1].text if i + 1 < len(tokens) else ""
    if after in SCALES or unit_at([after], 0)[0]:
        return False
    ends = not after or after in STOPWORDS or after in NUMBER_WORDS or bool(_DIGITS.match(after))
    return before in _YEAR_BEFORE or before in MONTHS or ends


def _date_part(tokens: Sequence[Token], i: int) -> tuple[str, int] | None:
    token = tokens[i]
    if token.text in WEEKDAYS:
        return "weekday", WEEKDAYS[token.text]
    if token.text in MONTHS and token.capital:  # "may" and "march" are verbs; "May" and "March" months
        return "month", MONTHS[token.text]
    return ("year", int(token.text)) if _is_year(tokens, i) else None


def _day_of_month(tokens: Sequence[Token], kinds: Sequence[tuple[str, int] | None], i: int) -> int | None:
    """1..31 right before or after a month, or before "of" + month ("the 14th of November")."""
    match = _ORDINAL_DIGITS.match(tokens[i].text) or re.match(r"(\d{1,2})$", tokens[i].text)
    if not match or not 1 <= int(match.group(1)) <= 31:
        return None

    def is_month(j: int) -> bool:
        return 0 <= j < len(kinds) and (kinds[j] or ("", 0))[0] == "month"

    of_month = i + 2 < len(tokens) and tokens[i + 1].text == "of" and is_month(i + 2)
    measured = i + 1 < len(tokens) and (tokens[i + 1].text in SCALES or unit_at([tokens[i + 1].text], 0)[0])
    return int(match.group(1)) if (is_month(i - 1) or is_month(i + 1) or of_month) and not measured else None


def dates(tokens: Sequence[Token]) -> list[DateMention]:
    """Dates: runs of weekday, day of month, month and year tokens ("Thursday 14 November",
    "March 2023", "28th of June 1919"). A day number counts only next to a month."""
    kinds: list[tuple[str, int] | None] = [_date_part(tokens, i) for i in range(len(tokens))]
    for i in range(len(tokens)):
        if kinds[i] is None and (day := _day_of_month(tokens, kinds, i)) is not None:
            kinds[i] = ("day", day)
    found: list[DateMention] = []
    i = 0
    while i < len(tokens):
        if kinds[i] is None:
            i += 1
            continue
        end = i + 1
        while end < len(tokens) and (kinds[end] or (tokens[end].text == "of" and _next_is_date(kinds, end))):
            end += 1
        found.append(DateMention(i, end, frozenset(k for k in kinds[i:end] if k)))
        i = end
    return found


def _next_is_date(kinds: Sequence[tuple[str, int] | None], i: int) -> bool:
    return i + 1 < len(kinds) and kinds[i + 1] is not None


# -- citation markers ----------------------------------------------------------------
MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")  # [1], [1, 2], [1; 3]
_MARKER_AND_SPACE = re.compile(r"\s*" + MARKER.pattern)


def marker_numbers(text: str) -> list[int]:
    """The evidence numbers cited in `text`, in order: "[1][2, 3]" -> [1, 2, 3]."""
    return [int(n) for match in MARKER.finditer(text) for n in re.split(r"[,;]", match.group(1))]


def strip_markers(text: str) -> str:
    """`text` without its [n] markers (and the space before each)."""
    return _MARKER_AND_SPACE.sub("", text)


# -- the metrics' comparison form ------------------------------------------------------
_ORDINAL = re.compile(r"\b(\d+)(?:st|nd|rd|th)\b")  # "January 28th" states "january 28"
_PUNCTUATION = re.compile(r"[^\w\s]|_")


def fold(text: str) -> str:
    """Lowercase, accents stripped, punctuation to spaces, thousands separators dropped
    (4,000 == 4000), ordinal suffixes dropped (28th == 28), whitespace collapsed."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _ORDINAL.sub(r"\1", _THOUSANDS.sub("", text))
    return " ".join(_PUNCTUATION.sub(" ", text).split())
