"""A seeded generator of many look-alike local-news reports, with a question set, for retrieval at scale.

Every document is a fictional regional news report about one public project (a flood defence
scheme, a tram extension...) in one fictional town, written from shared templates: the same
kinds of project recur in many towns, towns share name stems ("Ashbury", "North Ashbury"),
filler paragraphs are varied but generic, and distractor sentences cite other towns with
near-miss figures. Each report states five facts: who leads the project, which company builds
it, how many units it serves, its budget and its completion date; about half of those sentences
name the town ("Once complete, Ashbury's solar farm will..."), the rest lean on the lede. Web
furniture (share prompts, related links, copyright lines) surrounds the text as on a real page.

The corpus never contradicts itself: every (town, project) pair has at most one report, and
distractors name only towns that no report is about: qualified variants of corpus stems that
`town_names` never hands out ("West Ashbury" beside "Ashbury" and "North Ashbury"), so they stay
lexically close without answering any question, whatever the corpus size.

Layout of `out_dir`: `docs/NNN/report-NNNNNN.txt` (the corpus root is `docs/`, doc ids are
relative to it), `questions.jsonl` (the `assistant eval` format) and `synth.json` (parameters).
"""

from __future__ import annotations

import functools
import heapq
import json
import math
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UNANSWERABLE_SHARE = 0.15  # of the questions ask about a town that appears nowhere in the corpus
DOCS_PER_TOWN = 8  # average reports per town: enough for towns to compete with each other
DOCS_PER_FOLDER = 500
CALIBRATION_DOCS = 60  # reports chunked for real to learn chunks per character (~0.3 s)
MANIFEST = "synth.json"

# (project, verb, unit, capacity range): "the tram extension will serve 18,400 passengers a day"
PROJECTS = (
    ("water treatment upgrade", "serve", "households", (800, 24000)),
    ("flood defence scheme", "protect", "properties", (150, 6000)),
    ("library extension", "house", "books", (9000, 90000)),
    ("primary school expansion", "accommodate", "pupils", (120, 900)),
    ("solar farm", "power", "homes", (600, 15000)),
    ("sports centre", "welcome", "visitors a week", (900, 12000)),
    ("bridge replacement", "carry", "vehicles a day", (2000, 40000)),
    ("bus depot", "house", "buses", (20, 180)),
    ("district heating network", "heat", "homes", (300, 8000)),
    ("harbour wall repair", "shelter", "moorings", (40, 600)),
    ("recycling centre", "process", "tonnes of waste a year", (5000, 90000)),
    ("affordable housing development", "provide", "new homes", (40, 900)),
    ("cycle path network", "cover", "kilometres", (6, 95)),
    ("hospital wing", "add", "beds", (20, 400)),
    ("broadband rollout", "connect", "premises", (1500, 30000)),
    ("tram extension", "serve", "passengers a day", (3000, 45000)),
)
_STEMS = (
    "Ash Bram Brock Cald Carn Dun Els Fen Glen Hal Hart Kel Kings Lang Lind Marl Mill Nor Oak Pen Ral "
    "Red Ros Sal Shel Stan Stour Tam Thorn Wal Wen Whit Wick Wil Win Wor Yar Bel Cor Dal Hol Lyn Mar "
    "Pit Sel Tor Ux Ver"
).split()
_ENDINGS = (
    "bury borough bridge brook by caster chester combe cott dale den don field ford gate ham holme "
    "hurst ington leigh ley minster mouth ness stead stow thorpe ton well wick"
).split()
_QUALIFIERS = ("North", "Upper", "Great", "Little", "East", "West")
_FIRST = (
    "Helen Marcus Priya Owen Grace Tomasz Aisha Daniel Fiona Rahul Claire Gareth Nadia Simon Erin "
    "Victor Joanna Malik Rosa Patrick Ingrid Samuel Leah Kwame Bethan Arjun Moira Felix Hannah Iain"
).split()
_LAST = (
    "Marsh Okafor Whitlock Brennan Castell Duarte Fairbairn Galloway Hensley Iqbal Jarvis Kowalski "
    "Lindqvist Mackenzie Naylor Oduya Pemberton Quayle Rainford Sorensen Thackeray Underwood Varga "
    "Wetherell Yardley Abbott Blackwood Carrick Delacroix Ellery"
).split()
_COMPANY_ENDINGS = ("Construction", "Civil Engineering", "Infrastructure Ltd", "Building Group", "Contracting")
_ROLES = ("project director", "programme manager", "lead engineer", "head of capital projects")
_DESKS = ("Local Democracy Reporter", "Regional Affairs Correspondent", "Infrastructure Reporter", "Chief Reporter")
_OUTLETS = ("The Vale Courier", "Northern Gazette", "The County Chronicle", "Riverside Echo", "The Weekly Herald")
_MONTHS = "January February March April May June July August September October November December".split()
_DAYS = "Monday Tuesday Wednesday Thursday Friday".split()
_STREETS = ("High Street", "Station Road", "Mill Lane", "Church Street", "Queen's Road", "Market Square")
_VENUES = ("the town hall", "the community centre", "St Mary's church hall", "the civic offices", "the leisure centre")
_GROUPS = (
    "the residents' association",
    "the chamber of commerce",
    "the civic society",
    "the parents' forum",
    "traders",
)
_CONCERNS = ("traffic during construction", "noise", "parking", "the loss of green space", "the cost", "drainage")

HEADLINES = (
    "{Town} council approves {project}",
    "Work to begin on {Town}'s {project}",
    "{Project} gets green light after months of debate",
    "Contract signed for {project} in {Town}",
    "Residents split over plans for new {project}",
)
FACTS = {  # fact sentences that leave the town to the lede
    "who": (
        "The scheme will be overseen by {role} {lead}, who said lessons from earlier projects had been learned.",
        "{lead}, the council's {role}, told the meeting that the town could not afford further delay.",
        "Leading the work is {lead}, the council's {role}, who has managed similar schemes elsewhere.",
    ),
    "company": (
        "{company} was awarded the main contract after a competitive tender.",
        "The contract went to {company}, which beat three other bidders.",
        "Councillors chose {company} to carry out the work.",
    ),
    "count": (
        "Once complete, the {project} is designed to {verb} {count} {unit}.",
        "Officers say the {project} will {verb} {count} {unit} when it is finished.",
        "According to the council's own figures, it will {verb} {count} {unit}.",
    ),
    "budget": (
        "The project is budgeted at £{budget} million, funded partly by a regional growth grant.",
        "The total cost is put at £{budget} million.",
        "Councillors signed off a budget of £{budget} million for the work.",
    ),
    "date": (
        "Work is expected to be completed by {date}.",
        "The council hopes to open it in {date}.",
        "Completion is scheduled for {date}, subject to the weather.",
    ),
}
FACTS_NAMED = {  # the same facts, naming the town as real reports often do
    "who": (
        "{Town}'s {project} will be overseen by {role} {lead}, who said lessons had been learned.",
        "{lead}, the council's {role}, told the meeting that {Town} could not afford further delay.",
        "Leading the work is {lead}, {role} at {Town} Council, who has managed similar schemes elsewhere.",
    ),
    "company": (
        "{company} was awarded the main contract for {Town}'s {project} after a competitive tender.",
        "The contract for the work in {Town} went to {company}, which beat three other bidders.",
        "{Town} councillors chose {company} to carry out the work.",
    ),
    "count": (
        "Once complete, {Town}'s {project} is designed to {verb} {count} {unit}.",
        "Officers say the {project} in {Town} will {verb} {count} {unit} when it is finished.",
        "According to {Town} Council's own figures, it will {verb} {count} {unit}.",
    ),
    "budget": (
        "{Town}'s {project} is budgeted at £{budget} million, funded partly by a regional growth grant.",
        "The total cost of the work in {Town} is put at £{budget} million.",
        "{Town} councillors signed off a budget of £{budget} million for the work.",
    ),
    "date": (
        "Work in {Town} is expected to be completed by {date}.",
        "The council hopes to open {Town}'s new {project} in {date}.",
        "Completion of the {project} in {Town} is scheduled for {date}, subject to the weather.",
    ),
}
NAMED_SHARE = 0.5  # of the fact sentences name the town
LEDES = (
    "{Town} Council has approved plans for a {project}, ending more than a year of consultation.",
    "Plans for a {project} in {Town} were approved at a meeting of the full council on {weekday}.",
    "A long-awaited {project} for {Town} moved a step closer this week after councillors backed the plans.",
)
FILLER = (
    "Residents who attended the meeting at {venue} raised concerns about {concern}.",
    "A spokesperson for {group} said members were broadly supportive but wanted more detail.",
    "The proposals were first published last spring and drew {small} written responses.",
    'Councillor {person} said the decision was "the right one for the next generation".',
    "Opposition members questioned whether the timetable was realistic.",
    "Temporary traffic lights are expected on {street} while the site is prepared.",
    "The council said it would publish a detailed construction plan in the coming weeks.",
    "Several speakers at {venue} asked how local firms could bid for sub-contracts.",
    "A petition calling for a review of the plans gathered {small} signatures.",
    "Officers said the design had been changed twice in response to feedback.",
    "{person}, who runs a shop on {street}, said trade had already suffered from earlier roadworks.",
    "The planning committee voted {small2} to {small3} in favour after a two-hour debate.",
    "Environmental surveys found no protected species on the site, the report said.",
    "The authority has faced criticism over delays to previous projects in the area.",
    "A public exhibition of the final designs will be held at {venue} next month.",
    "Members of {group} said they would monitor progress closely.",
    "The local MP welcomed the decision and praised the council's persistence.",
    "Some residents on {street} said they had not been consulted directly.",
    "The council's cabinet member for regeneration described it as a turning point for the area.",
    "Council officers said about {pct} per cent of respondents supported the plans.",
    "Questions were also raised about long-term maintenance costs.",
    "A further report on {concern} is due before the next full council meeting.",
    "{person} of {group} said the community wanted to see work start quickly.",
    "The scheme forms part of a wider plan to attract investment to the district.",
    "Access to {street} will be maintained for residents throughout the works.",
    "The meeting at {venue} was adjourned briefly after a fire alarm.",
    "Campaigners said they would keep pressing for changes to the design.",
    "An earlier version of the plans was withdrawn in {year} after objections about {concern}.",
    "The council's finance officer warned that inflation could still affect the final bill.",
    "Local schools will be invited to visit the site once work is under way.",
    "{person} told the committee that lessons had been learned from the last major project.",
    "Some {small} letters of objection were received during the formal consultation.",
    "The leader of the council said the plans showed the town was open for investment.",
    "Bus routes along {street} may be diverted for several weeks.",
    "Work on site will be limited to weekdays between 8am and 6pm.",
    "Representatives of {group} met officers on {weekday} to discuss the timetable.",
    "A community liaison officer will be appointed to handle complaints.",
    "The scheme was shortlisted for national funding in {year} but missed out.",
    "Officers said the site had been used as a car park for more than {small2} decades.",
    "Questions about {concern} dominated the public session at {venue}.",
)
DISTRACTORS = (
    "Neighbouring {Other} approved a {project2} last year, designed to {verb2} about {near_count} {unit2}.",
    "In {Other}, a comparable scheme led by {person2} was costed at £{near_budget} million.",
    "The {project2} in {Other} is not due to finish until {near_date}.",
    "A bid by {company2} for work in {Other} was rejected earlier this year.",
    "Figures from {Other} suggest projects of this size often run over budget by {pct} per cent.",
)
QUESTIONS = {
    "who": ("Who is leading the {project} in {Town}?", "Which council officer oversees {Town}'s {project}?"),
    "company": (
        "Which company won the contract for the {project} in {Town}?",
        "Who is the main contractor on {Town}'s {project}?",
    ),
    "count": ("How many {unit} will the {project} in {Town} {verb}?",),
    "budget": ("How much is the {project} in {Town} expected to cost?", "What is the budget for {Town}'s {project}?"),
    "date": ("When is the {project} in {Town} due to be completed?", "By when should {Town}'s {project} be finished?"),
}
_PROJECT = {p[0]: p for p in PROJECTS}
FURNITURE = ("Share this article", "Advertisement", "Sign up to our free daily newsletter")


@dataclass(frozen=True)
class SynthCorpus:
    """A generated corpus: `path` is the corpus root (doc ids are relative to it)."""

    path: Path
    documents: int
    approx_chunks: int  # estimated with the real chunker on a calibration sample
    questions_path: Path
    bytes: int


_Candidate = tuple[float, int, str, str, dict[str, Any]]  # a question candidate in the reservoir


@dataclass(frozen=True)
class _Report:
    """One generated report: its text and the facts it states."""

    doc_id: str
    text: str
    facts: dict[str, Any]
    statements: dict[str, str]  # kind of fact -> the sentence stating it


@functools.cache
def _stem_groups(seed: int) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    """((stem, qualifiers its towns use) in a seeded order, stems held back for unanswerable questions)."""
    rng = random.Random(f"{seed}:towns")
    stems = [a + b for a in _STEMS for b in _ENDINGS]
    rng.shuffle(stems)
    groups = tuple((stem, tuple(rng.sample(_QUALIFIERS, rng.choice((0, 0, 1, 2))))) for stem in stems[24:])
    return groups, tuple(stems[:24])


def town_names(seed: int) -> tuple[list[str], list[str]]:
    """(towns for the corpus, stems held back for unanswerable questions), in a seeded order.

    Towns sharing a stem come together ("Ashbury", "North Ashbury"); a held-back stem appears in
    no town name, so a question about it has no answer in the corpus.
    """
    groups, held = _stem_groups(seed)
    towns = []
    for stem, qualifiers in groups:
        towns.append(stem)
        towns += [f"{q} {stem}" for q in qualifiers]
    return towns, list(held)


@functools.cache
def distractor_towns(seed: int) -> dict[str, tuple[str, ...]]:
    """Stem -> its qualified variants that are no town of `town_names(seed)` (4 to 6 per stem).

    No report is about such a town, at any corpus size, so a distractor naming one cannot answer
    (wrongly) a question about a real report, while it still shares that report's stem.
    """
    groups, _ = _stem_groups(seed)
    return {stem: tuple(f"{q} {stem}" for q in _QUALIFIERS if q not in used) for stem, used in groups}


def _stem(town: str) -> str:
    return town.rsplit(" ", 1)[-1]  # "North Ashbury" -> "Ashbury"


def _plan(i: int, seed: int, towns: list[str]) -> dict[str, Any]:
    """The facts of report `i`: a unique (town, project) pair and its figures."""
    town_index = i % len(towns)
    order = list(range(len(PROJECTS)))
    random.Random(f"{seed}:projects:{town_index}").shuffle(order)
    rng = random.Random(f"{seed}:doc:{i}")
    project, verb, unit, (low, high) = PROJECTS[order[(i // len(towns)) % len(PROJECTS)]]
    return {
        "town": towns[town_index],
        "project": project,
        "verb": verb,
        "unit": unit,
        "count": rng.randint(low, high),
        "budget": f"{rng.uniform(1.2, 180.0):.1f}",
        "date": f"{rng.choice(_MONTHS)} {rng.randint(2025, 2031)}",
        "lead": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        "role": rng.choice(_ROLES),
        "company": f"{rng.choice(_LAST)} {rng.choice(_COMPANY_ENDINGS)}",
    }


def _near(value: int, rng: random.Random) -> int:
    """A figure 3-15% away from `value`, never equal to it."""
    return max(1, value + max(1, round(value * rng.uniform(0.03, 0.15))) * rng.choice((-1, 1)))


def _near_date(date: str, rng: random.Random) -> str:
    month, year = date.split()
    index = _MONTHS.index(month) + rng.choice((-2, -1, 1, 2))
    return f"{_MONTHS[index % 12]} {int(year) + index // 12}"


def _other_town(slots: _Slots) -> str:
    """A town no report is about: half the time a sibling of this report's town, else of another's."""
    town = slots["town"] if slots.rng.random() < 0.5 else slots.rng.choice(slots.towns)
    return slots.rng.choice(slots.free[_stem(town)])


def _other_project(slots: _Slots) -> tuple[str, str, str, tuple[int, int]]:
    # Half the distractors are about the same kind of project, with figures close to this one's.
    return _PROJECT[slots["project"]] if slots.rng.random() < 0.5 else slots.rng.choice(PROJECTS)


def _near_budget(slots: _Slots) -> str:
    budget = float(slots["budget"])
    return f"{max(0.5, budget + slots.rng.choice((-1, 1)) * slots.rng.uniform(0.3, 4.0)):.1f}"


def _person(slots: _Slots) -> str:
    return f"{slots.rng.choice(_FIRST)} {slots.rng.choice(_LAST)}"


_DRAWS: dict[str, Callable[[_Slots], Any]] = {
    "Town": lambda s: s["town"],
    "Project": lambda s: s["project"].capitalize(),
    "Other": _other_town,
    "other_project": _other_project,
    "project2": lambda s: s["other_project"][0],
    "verb2": lambda s: s["other_project"][1],
    "unit2": lambda s: s["other_project"][2],
    "near_count": lambda s: f"{_near(s.facts['count'], s.rng):,}",
    "near_budget": _near_budget,
    "near_date": lambda s: _near_date(s["date"], s.rng),
    "person": _person,
    "person2": _person,
    "company2": lambda s: f"{s.rng.choice(_LAST)} {s.rng.choice(_COMPANY_ENDINGS)}",
    "venue": lambda s: s.rng.choice(_VENUES),
    "group": lambda s: s.rng.choice(_GROUPS),
    "concern": lambda s: s.rng.choice(_CONCERNS),
    "street": lambda s: s.rng.choice(_STREETS),
    "weekday": lambda s: s.rng.choice(_DAYS),
    "small": lambda s: s.rng.randint(40, 900),
    "small2": lambda s: s.rng.randint(6, 9),
    "small3": lambda s: s.rng.randint(1, 5),
    "pct": lambda s: s.rng.randint(8, 71),
    "year": lambda s: s.rng.randint(2015, 2022),
}


class _Slots(dict[str, Any]):
    """What a template may name: the report's facts, and filler values drawn on first use
    (a sentence costs only the draws it needs; generating 100k chunks stays well under a minute)."""

    def __init__(
        self, facts: dict[str, Any], rng: random.Random, towns: list[str], free: dict[str, tuple[str, ...]]
    ) -> None:
        super().__init__(facts)
        self["count"] = f"{facts['count']:,}"
        self.facts: dict[str, Any] = facts
        self.rng: random.Random = rng
        self.towns: list[str] = towns  # the corpus towns
        self.free: dict[str, tuple[str, ...]] = free  # distractor_towns(seed)

    def fresh(self) -> _Slots:
        """The same report's slots with no filler values drawn yet."""
        return _Slots(self.facts, self.rng, self.towns, self.free)

    def __missing__(self, key: str) -> Any:
        value = self[key] = _DRAWS[key](self)
        return value


def _paragraph(slots: _Slots, deck: list[str], fact_line: str = "") -> str:
    """3-6 filler sentences (sometimes one a distractor), with `fact_line` placed among them.

    Filler is dealt from `deck`, reshuffled when empty, so a report repeats a sentence
    pattern only once it has used them all. Fresh filler values are drawn for each paragraph.
    """
    rng = slots.rng
    templates = []
    for _ in range(rng.randint(3, 6)):
        if not deck:
            deck += rng.sample(FILLER, len(FILLER))
        templates.append(deck.pop())
    if rng.random() < 0.35:
        templates.append(rng.choice(DISTRACTORS))
    fresh = slots.fresh()
    sentences = [t.format_map(fresh) for t in templates]
    if fact_line:
        sentences.insert(rng.randint(0, len(sentences)), fact_line)
    return " ".join(sentences)


def _statements(slots: _Slots) -> dict[str, str]:
    """One sentence per fact; each names the town with probability NAMED_SHARE."""
    rng = slots.rng
    return {
        kind: rng.choice(FACTS_NAMED[kind] if rng.random() < NAMED_SHARE else FACTS[kind]).format_map(slots)
        for kind in FACTS
    }


def report(i: int, seed: int, towns: list[str]) -> _Report:
    """Report `i` of a corpus whose towns are `towns` (deterministic for seed and i)."""
    facts = _plan(i, seed, towns)
    rng = random.Random(f"{seed}:text:{i}")
    slots = _Slots(facts, rng, towns, distractor_towns(seed))
    statements = _statements(slots)
    fact_lines = dict(statements)
    deck: list[str] = []
    lede = rng.choice(LEDES).format_map(slots) + " " + fact_lines.pop("company")
    body = [lede, _paragraph(slots, deck, fact_lines.pop("who"))]
    for kind in rng.sample(list(fact_lines), len(fact_lines)):
        body += [_paragraph(slots, deck) for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))]
        body.append(_paragraph(slots, deck, fact_lines[kind]))
    body += [_paragraph(slots, deck) for _ in range(rng.choice((0, 1, 1, 2, 4, 6)))]
    published = f"{rng.choice(_DAYS)} {rng.randint(1, 28)} {rng.choice(_MONTHS)} {rng.randint(2023, 2024)}"
    outlet = rng.choice(_OUTLETS)
    head = [
        rng.choice(HEADLINES).format_map(slots),
        f"By {rng.choice(_FIRST)} {rng.choice(_LAST)}, {rng.choice(_DESKS)}",
        f"Published {published}, {rng.randint(6, 21):02d}:{rng.choice((0, 15, 30, 45)):02d}",
        rng.choice(FURNITURE),
    ]
    related = _plan(rng.randrange(len(towns) * 4), seed, towns)
    tail = [
        f"Related: {related['town']} {related['project']} faces fresh delay",
        rng.choice(FURNITURE),
        f"© {published[-4:]} {outlet}. All rights reserved.",
    ]
    # Body paragraphs are separated by blank lines; furniture lines stand alone like on a page.
    insert_at = rng.randint(2, max(2, len(body)))
    body.insert(insert_at, "Advertisement")
    text = "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n\n" + "\n".join(tail) + "\n"
    folder = i // DOCS_PER_FOLDER
    return _Report(f"{folder:03d}/report-{i:06d}.txt", text, facts, statements)


# -- sizing ---------------------------------------------------------------------------------
def _calibrate(seed: int, chunk_tokens: int, overlap: int) -> tuple[float, float, float]:
    """(a, b, mean characters): chunks ~ a + b * characters, fitted on reports chunked for real."""
    import numpy as np

    from index.chunk import chunk_document
    from index.clean import clean
    from index.load import load_file

    towns, _ = town_names(seed)
    sizes, counts = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(CALIBRATION_DOCS):
            doc = report(i, seed, towns[:DOCS_PER_TOWN])
            path = Path(tmp) / f"{i}.txt"
            path.write_text(doc.text, encoding="utf-8")
            cleaned = clean(load_file(path, path.name, max_bytes=1 << 24))
            sizes.append(len(doc.text))
            counts.append(len(chunk_document(cleaned, chunk_tokens, overlap)))
    slope, intercept = np.polyfit(np.array(sizes, dtype=float), np.array(counts, dtype=float), 1)
    return float(intercept), max(float(slope), 1e-6), sum(sizes) / len(sizes)


# -- questions ------------------------------------------------------------------------------
def _answers(kind: str, facts: dict[str, Any]) -> tuple[str, list[str]]:
    """(reference answer, alternatives any of which states the fact)."""
    where = f"the {facts['project']} in {facts['town']}"
    where_ = "T" + where[1:]  # sentence-initial
    if kind == "who":
        return f"{facts['lead']}, the {facts['role']}, leads {where}.", [facts["lead"], facts["lead"].split()[-1]]
    if kind == "company":
        return f"{facts['company']} won the contract for {where}.", [facts["company"]]
    if kind == "count":
        n = facts["count"]
        return f"It will {facts['verb']} {n:,} {facts['unit']}.", [f"{n:,}", str(n)]
    if kind == "budget":
        return f"{where_} is budgeted at £{facts['budget']} million.", [f"{facts['budget']} million"]
    return f"{where_} is due to be completed by {facts['date']}.", [facts["date"]]


def _question(rng: random.Random, kind: str, facts: dict[str, Any]) -> str:
    template = rng.choice(QUESTIONS[kind])
    return template.format(**facts, Town=facts["town"])


def _answerable(rng: random.Random, pool: list[_Candidate]) -> list[dict[str, Any]]:
    rows = []
    for _, _, kind, doc_id, facts in sorted(pool, key=lambda item: item[1]):
        reference, alternatives = _answers(kind, facts)
        rows.append(
            {
                "question": _question(rng, kind, facts),
                "reference_answer": reference,
                "key_facts": [alternatives],
                "gold_sources": [doc_id],
                "answerable": True,
                "tags": ["synthetic", kind],
            }
        )
    return rows


def _unanswerable(rng: random.Random, count: int, held: list[str]) -> list[dict[str, Any]]:
    rows = []
    for n in range(count):
        town = held[n % len(held)]
        if rng.random() < 0.3:
            town = f"{rng.choice(_QUALIFIERS)} {town}"
        project, verb, unit, _ = rng.choice(PROJECTS)
        kind = rng.choice(list(QUESTIONS))
        facts = {"town": town, "project": project, "verb": verb, "unit": unit}
        rows.append(
            {
                "question": _question(rng, kind, facts),
                "reference_answer": f"The documents do not mention a {project} in {town}.",
                "key_facts": [],
                "gold_sources": [],
                "answerable": False,
                "tags": ["synthetic", "unanswerable", kind],
            }
        )
    return rows


def _write_questions(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for number, row in enumerate(rows, start=1):
            line = {"id": f"s{number:03d}", **row, "history": []}
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


# -- the corpus -----------------------------------------------------------------------------
def _prepare(out_dir: Path) -> Path:
    """The empty corpus folder; a previous generated corpus there is replaced, anything else refused."""
    docs = out_dir / "docs"
    if docs.exists():
        if not (out_dir / MANIFEST).exists():
            raise FileExistsError(f"{docs} exists and was not made by this generator; choose an empty folder")
        shutil.rmtree(docs)
    docs.mkdir(parents=True)
    return docs


def _reports(seed: int, towns: list[str], target: int, fit: tuple[float, float]) -> Iterator[tuple[_Report, float]]:
    """Reports with their estimated chunk counts, until the estimates add up to `target` or every
    (town, project) pair has its report (then the corpus falls short rather than repeat a pair)."""
    a, b = fit
    total, i = 0.0, 0
    while total < target and i < len(towns) * len(PROJECTS):
        doc = report(i, seed, towns)
        estimate = max(1.0, a + b * len(doc.text))
        total += estimate
        i += 1
        yield doc, estimate


def generate(
    target_chunks: int,
    out_dir: Path,
    *,
    seed: int = 7,
    questions: int = 50,
    chunk_tokens: int = 256,
    chunk_overlap: int = 48,
) -> SynthCorpus:
    """Write about `target_chunks` chunks' worth of reports and a question set under `out_dir`.

    Streams: one report in memory at a time (100k chunks: ~17k reports, 79 MB, ~15 s).
    Writes `questions` lines, ~15% of them unanswerable; answerable ones are at most one per
    report, so a corpus of fewer reports gets fewer. Each (town, project) pair has at most one
    report, which caps a corpus at 39,456 reports (~230k chunks: 2,466 towns x 16 projects).
    Returns the corpus; raises ValueError when `target_chunks` needs more reports than that, and
    FileExistsError when `out_dir/docs` holds files this generator did not write.
    """
    out_dir = Path(out_dir)
    a, b, mean_chars = _calibrate(seed, chunk_tokens, chunk_overlap)
    all_towns, held = town_names(seed)
    per_doc = max(1.0, a + b * mean_chars)
    expected_docs = max(1, math.ceil(target_chunks / per_doc))
    capacity = len(all_towns) * len(PROJECTS)
    if expected_docs > capacity:  # repeating a pair would give one question two different answers
        raise ValueError(
            f"{target_chunks:,} chunks need ~{expected_docs:,} reports, but only {capacity:,} distinct "
            f"(town, project) pairs exist; ask for at most ~{int(capacity * per_doc):,} chunks"
        )
    docs = _prepare(out_dir)
    towns = all_towns[: max(4, min(len(all_towns), math.ceil(expected_docs / DOCS_PER_TOWN)))]
    n_unanswerable = round(questions * UNANSWERABLE_SHARE)
    pick = random.Random(f"{seed}:questions")
    pool: list[_Candidate] = []  # a reservoir of (random key, order, kind, doc id, facts)
    count, size, chunks = 0, 0, 0.0
    for doc, estimate in _reports(seed, towns, target_chunks, (a, b)):
        path = docs / doc.doc_id
        path.parent.mkdir(exist_ok=True)
        path.write_text(doc.text, encoding="utf-8")
        kind = pick.choice(list(FACTS))
        item = (pick.random(), count, kind, doc.doc_id, doc.facts)
        _keep(pool, item, questions - n_unanswerable)
        count, size, chunks = count + 1, size + len(doc.text.encode("utf-8")), chunks + estimate
    rows = _answerable(pick, pool) + _unanswerable(pick, n_unanswerable, held)
    pick.shuffle(rows)
    questions_path = out_dir / "questions.jsonl"
    _write_questions(questions_path, rows)
    params = {
        "target_chunks": target_chunks,
        "seed": seed,
        "documents": count,
        "approx_chunks": round(chunks),
        "towns": len(towns),  # report(i, seed, town_names(seed)[0][:towns]) rebuilds report i
    }
    (out_dir / MANIFEST).write_text(json.dumps(params, indent=1))
    return SynthCorpus(docs, count, round(chunks), questions_path, size)


def _keep(pool: list[_Candidate], item: _Candidate, k: int) -> None:
    """Reservoir sampling by random keys: the k items with the largest keys survive."""
    if k <= 0:
        return
    if len(pool) < k:
        heapq.heappush(pool, item)
    elif item[0] > pool[0][0]:
        heapq.heapreplace(pool, item)
