"""Small, general word lists for the claim check: synonyms, opposites, place names, hedges, number words.

Every entry is a root (index.text.root: irregular verbs to their base, then the Snowball stem),
so "rose", "rising" and "rises" are all "rise". The lists are deliberately short and general
(newswire English, not one corpus): the embedding similarity (assistant/checking/claims.py) covers the
long tail of paraphrase, and these lists cover what embeddings get wrong (opposites score as
similar as synonyms: "rose"/"fell" 0.71, "sold"/"bought" 0.82 with bge-small).
"""

from __future__ import annotations

from index.text import root


def _roots(words: str) -> frozenset[str]:
    return frozenset(root(w) for w in words.split())


def _groups(*lines: str) -> tuple[frozenset[str], ...]:
    return tuple(_roots(line) for line in lines)


# Direction words: any two in one group say the same thing; the two groups are opposites.
UP = _roots("rise up increase grow gain climb jump higher raise soar surge boost more above expand")
DOWN = _roots(
    "fall down decrease decline drop lower cut reduce slip slide sink plunge shrink fewer less below slow ease"
)

# Words that can stand for each other in a claim (roots; one group per meaning).
SYNONYMS: tuple[frozenset[str], ...] = (
    UP,
    DOWN,
    *_groups(
        "troop soldier force personnel military",
        "deploy station base",
        "buy purchase acquire",
        "start begin launch commence",
        "stop halt suspend shut",
        "end finish conclude complete",
        "big large major",
        "company firm business corporation",
        "car vehicle automobile",
        "house home property",
        "job post position",
        "worker employee staff",
        "doctor physician",
        "child kid",
        "student pupil",
        "use consumption consume usage",
        "world global worldwide international",
        "reach hit arrive",
        "journey trip voyage",
        "plan schedule",
        "postpone delay defer",
        "cancel scrap",
        "approve back endorse",
        "reject refuse decline oppose",
        "win beat defeat",
        "order instruct direct",
        "ruling ruled rule",
        "add create",
        "daily day",
        "unemployment jobless",
        "say state announce",
        "kill die dead death",
        "injure wound hurt",
        "build construct construction",
        "show reveal",
        "find discover uncover",
        "convict guilty",
        "jail prison imprison",
        "enter entry admission admit",
        "join sign",
        "return back",
        "follow after following",
        "receive get obtain",
        "help assist aid",
        "need require",
        "fee charge",
        "cost price",
        "rate level",
        "earlier before ago previous",
        "quarter three-month",
        "official authority",
    ),
)

# Opposites: a claim word whose opposite the evidence states (and which it does not state
# itself) contradicts it. Prefixes (un-, in-, dis-, non-, il-, ir-, im-) are handled in code.
OPPOSITES: tuple[tuple[frozenset[str], frozenset[str]], ...] = (
    (UP, DOWN),
    *(
        (_roots(a), _roots(b))
        for a, b in (
            ("approve accept back endorse pass allow permit", "reject refuse block veto ban oppose"),
            ("win beat defeat", "lose"),
            ("open reopen", "close shut"),
            ("start begin", "end finish stop halt"),
            ("before earlier", "after later"),
            ("high highest maximum peak", "low lowest minimum"),
            ("buy purchase", "sell"),
            ("hire recruit", "fire sack dismiss"),
            ("ally friend", "enemy rival"),
            ("support favour for", "against oppose"),
            ("gain profit surplus", "loss deficit"),
            ("add create", "cut"),
            ("pay", "overdue unpaid outstanding"),
            ("lawful legal", "unlawful illegal"),
            ("success succeed", "failure fail"),
            ("import", "export"),
            ("north", "south"),
            ("east", "west"),
            ("boil", "freeze"),
            ("arrive", "depart leave"),
            ("include", "exclude"),
            ("expand", "contract"),
            ("first", "last"),
        )
    ),
)

# Places and nationalities: every spelling of one country has one key ("US", "U.S.",
# "United States", "America", "American", "Americans" -> "us"). Multi-word names are joined.
_PLACES = {
    "us": "US USA United-States America American Americans",
    "uk": "UK Britain Great-Britain United-Kingdom British Briton Britons",
    "england": "England English",
    "scotland": "Scotland Scottish Scot Scots",
    "wales": "Wales Welsh",
    "ireland": "Ireland Irish",
    "france": "France French",
    "germany": "Germany German Germans",
    "italy": "Italy Italian Italians",
    "spain": "Spain Spanish Spaniard Spaniards",
    "portugal": "Portugal Portuguese",
    "netherlands": "Netherlands Holland Dutch",
    "russia": "Russia Russian Russians",
    "ukraine": "Ukraine Ukrainian Ukrainians",
    "poland": "Poland Polish Pole Poles",
    "turkey": "Turkey Turkish Turk Turks",
    "greece": "Greece Greek Greeks",
    "china": "China Chinese",
    "japan": "Japan Japanese",
    "korea": "Korea Korean Koreans",
    "india": "India Indian Indians",
    "pakistan": "Pakistan Pakistani Pakistanis",
    "iran": "Iran Iranian Iranians",
    "iraq": "Iraq Iraqi Iraqis",
    "syria": "Syria Syrian Syrians",
    "israel": "Israel Israeli Israelis",
    "egypt": "Egypt Egyptian Egyptians",
    "saudi": "Saudi-Arabia Saudi Saudis",
    "canada": "Canada Canadian Canadians",
    "mexico": "Mexico Mexican Mexicans",
    "brazil": "Brazil Brazilian Brazilians",
    "australia": "Australia Australian Australians",
    "kurdistan": "Kurdistan Kurdish Kurd Kurds",
    "afghanistan": "Afghanistan Afghan Afghans",
    "eu": "EU European-Union",
}
PLACE_NAMES: dict[tuple[str, ...], str] = {
    tuple(name.lower().split("-")): key for key, names in _PLACES.items() for name in names.split()
}
LONGEST_PLACE = max(len(name) for name in PLACE_NAMES)

# Words that may qualify a number without changing it ("about 2,500").
APPROXIMATORS = frozenset("about around roughly approximately nearly almost some estimated circa approx".split())
# Bounds: a claim's bound must be the evidence's bound ("more than 170" is not "fewer than 170").
AT_LEAST = frozenset(("more than", "over", "above", "at least", "exceeding", "upwards of", "in excess of"))
AT_MOST = frozenset(
    ("less than", "fewer than", "under", "below", "up to", "at most", "as much as", "as many as", "no more than")
    + ("not more than", "maximum of")
)
# A number's role in a change: "from 500 to 4,000" is not "from 4,000 to 500"; "by 5%" is not "to 5%".
ROLES = frozenset("from to by".split())

# Hedges: what the evidence only expects, a claim must not state as fact. The soft ones are
# hedges only before "to" or after "is": "plans to", "is due to", "is expected"; "the plan" is not.
SOFT_HEDGES = _roots("plan intend aim expect due set schedule")
HEDGES = _roots("may might could would should will likely possibly probably perhaps") | SOFT_HEDGES
# Nouns a number names rather than counts: "Version 3.2", "Invoice 4471" (and any capitalised word).
LABEL_NOUNS = _roots("version invoice room route flight chapter section article page item order ticket model phase")

# Words that add nothing checkable to a claim ("there are", "a total of", "the number of").
LIGHT = _roots(
    "say also total overall number there now still just only respectively currently every compare versus "
    "according must shall can see go come get put make take stay remain keep"
)
