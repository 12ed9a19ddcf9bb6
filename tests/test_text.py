"""index.text, the one notion of a word: normalising, words, stems, stop words, numbers, dates, markers."""

from __future__ import annotations

import Stemmer
from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_EN_PLUS
from bm25s.tokenization import Tokenizer
from hypothesis import given
from hypothesis import strategies as st

from index import text as tx
from index.lexical import _tokenizer


def values(text: str) -> list[tuple[float, str]]:
    words = [t.text for t in tx.tokenize(tx.spell_out(text))]
    return [(n.value, n.unit) for n in tx.numbers(words)]


def date_parts(text: str) -> list[set[tuple[str, int]]]:
    return [set(d.parts) for d in tx.dates(tx.tokenize(tx.spell_out(text)))]


# -- normalising and words ---------------------------------------------------------------
def test_normalise_drops_thousands_separators_and_straightens_quotes() -> None:
    assert tx.normalise("2,500 troops \u2018in\u2019 \u201cIraq\u201d") == "2500 troops 'in' \"Iraq\""
    assert tx.normalise("1,000,000 and 2,50 and 1,2") == "1000000 and 2,50 and 1,2", "only groups of three"
    assert tx.normalise("1,000km") == "1000km"


def test_spell_out_writes_symbols_units_and_contractions_as_words() -> None:
    assert tx.spell_out("$4.2bn, 5%, £12,480.00") == "4.2 billion dollars, 5 percent, 12480.00 pounds"
    assert tx.spell_out("didn't, can't, cannot, won't") == "did not, can not, can not, will not"
    assert tx.spell_out("U.S. troops at 100 °C, 97 km/h, 20 g") == "US troops at 100 degrees Celsius, 97 kph, 20 grams"
    assert tx.spell_out("Due 2024-02-15; 12 per cent, 7 %") == "Due 15 February 2024; 12 percent, 7 percent"


def test_a_word_is_two_characters_or_a_number() -> None:
    assert [t.text for t in tx.tokenize("A U.S. base, 2.5 km away: Forces' HQ")] == [
        "base",
        "2.5",
        "km",
        "away",
        "forces",
        "hq",
    ]
    token = tx.tokenize("the US base")[1]
    assert (token.text, token.surface, token.capital) == ("us", "US", True)


def test_one_stemmer_and_irregular_verbs() -> None:
    assert tx.stem("forces") == tx.stem("force") == "forc", "Snowball's own output, the same for everyone"
    assert tx.stem("deployed") == tx.stem("deployment") == "deploy"
    assert tx.root("rose") == tx.root("rising") == tx.root("rises")
    assert tx.root("fell") == tx.root("falling") and tx.root("won") == tx.root("wins")


def test_stop_word_lists() -> None:
    assert set(STOPWORDS_EN) == tx.INDEX_STOPWORDS, "the list BM25 was built with"
    assert set(STOPWORDS_EN_PLUS) == tx.STOPWORDS
    meaningful = {"not", "no", "never", "nor", "may", "might", "could", "before", "after", "more", "up", "down"}
    assert not meaningful & tx.CLAIM_STOPWORDS, "the claim check keeps what reverses or bounds a claim"
    assert {"the", "of", "us"} <= tx.CLAIM_STOPWORDS


def test_terms_are_what_the_windows_and_bm25_count() -> None:
    assert tx.terms("The bridges reopened, costing 4,000 pounds") == ["bridg", "reopen", "cost", "4000", "pound"]


def test_the_bm25_tokenizer_keeps_its_tokens() -> None:
    """index/lexical.py's tokenizer gives the tokens bm25s's own English setup gave before."""
    text = "Forces' 2,500 troops (U.S.) didn't leave the bases; NATO's mission: 4,000 in 2023."
    before = Tokenizer(
        lower=True,
        splitter=r"(?u)\b(?:\d+(?:\.\d+)?|\w\w+)\b",
        stopwords="en",
        stemmer=Stemmer.Stemmer("english").stemWord,
    )
    old = before.tokenize([text.replace("2,500", "2500").replace("4,000", "4000")], return_as="string")
    new = _tokenizer().tokenize([tx.normalise(text)], return_as="string")
    assert new == old


# -- numbers ---------------------------------------------------------------------------
def test_numbers_in_digits_and_words_with_scales_and_units() -> None:
    assert values("roughly 2,500 troops and 900 more") == [(2500, ""), (900, "")]
    assert values("2.5 million people, $4.2bn, 12%") == [(2.5e6, ""), (4.2e9, "dollar"), (12, "percent")]
    assert values("two hundred and twenty-five") == [(200, ""), (25, "")]
    assert values("seven votes to two, scoring twice") == [(7, ""), (2, ""), (2, "")]
    assert values("the 14th increase, the third quarter") == [(14, ""), (3, "")]
    assert values("0.25 percentage points, 5 km, 3 miles") == [(0.25, "point"), (5, "km"), (3, "mile")]
    assert values("a quarter of a percentage point; half a point") == [(0.25, "point"), (0.5, "point")]
    assert values("the fourth quarter, half of the staff") == [(4, "")], "a quarter of a year is no quantity"


@given(st.integers(min_value=0, max_value=10**9))
def test_any_grouped_integer_reads_as_itself(n: int) -> None:
    assert values(f"about {n:,} people") == [(n, "")]


# -- dates -----------------------------------------------------------------------------
def test_dates_months_years_days_and_weekdays() -> None:
    assert date_parts("halted in March 2023") == [{("month", 3), ("year", 2023)}]
    assert date_parts("due 2024-02-15") == [{("day", 15), ("month", 2), ("year", 2024)}]
    assert date_parts("moved to Thursday 14 November") == [{("weekday", 3), ("day", 14), ("month", 11)}]
    assert date_parts("on the 28th of June 1919") == [{("day", 28), ("month", 6), ("year", 1919)}]
    assert date_parts("in spring 2026") == [{("year", 2026)}]


def test_what_is_not_a_date() -> None:
    assert date_parts("troops may march") == [], "'may' and 'march' are verbs"
    assert date_parts("2000 troops, 1999 dollars") == [], "a count is not a year"
    assert date_parts("in June, 4% lower") == [{("month", 6)}], "'4%' is not the 4th of June"


# -- citation markers, negation, the metrics' form ----------------------------------------
def test_markers() -> None:
    assert tx.marker_numbers("A [1]. B [2, 3][4; 5].") == [1, 2, 3, 4, 5]
    assert tx.strip_markers("It rose [1]. It fell [2, 3].") == "It rose. It fell."
    assert tx.MARKER.sub(r"(\1)", "see [12]") == "see (12)"
    assert tx.marker_numbers("a [citation] or [a1]") == []


def test_negation_cues() -> None:
    assert {"not", "no", "never", "none", "without", "neither", "nor"} <= tx.NEGATIONS
    assert {tx.root(w) for w in "rejected refused denied vetoed".split()} <= tx.NEGATIVE_VERBS
    assert tx.root("demanded") not in tx.NEGATIVE_VERBS


def test_fold_for_key_facts() -> None:
    assert tx.fold("About 4,000 U.S. troops\u2014in Deir ez-Zor!") == "about 4000 u s troops in deir ez zor"
    assert tx.fold("On January 28th, Caf\u00e9") == "on january 28 cafe"
