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
import json
import math
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.synth_questions import Candidate, answerable_rows, keep, unanswerable_rows, write_questions
from bench.synth_text import (
    COMPANY_ENDINGS,
    CONCERNS,
    DAYS,
    DESKS,
    DISTRACTORS,
    ENDINGS,
    FACTS,
    FACTS_NAMED,
    FILLER,
    FIRST,
    FURNITURE,
    GROUPS,
    HEADLINES,
    LAST,
    LEDES,
    MONTHS,
    NAMED_SHARE,
    OUTLETS,
    PROJECT_BY_NAME,
    PROJECTS,
    QUALIFIERS,
    ROLES,
    STEMS,
    STREETS,
    VENUES,
)

UNANSWERABLE_SHARE = 0.15  # of the questions ask about a town that appears nowhere in the corpus
DOCS_PER_TOWN = 8  # average reports per town: enough for towns to compete with each other
DOCS_PER_FOLDER = 500
CALIBRATION_DOCS = 60  # reports chunked for real to learn chunks per character (~0.3 s)
MANIFEST = "synth.json"


@dataclass(frozen=True)
class SynthCorpus:
    """A generated corpus: `path` is the corpus root (doc ids are relative to it)."""

    path: Path
    documents: int
    approx_chunks: int  # estimated with the real chunker on a calibration sample
    questions_path: Path
    bytes: int


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
    stems = [a + b for a in STEMS for b in ENDINGS]
    rng.shuffle(stems)
    groups = tuple((stem, tuple(rng.sample(QUALIFIERS, rng.choice((0, 0, 1, 2))))) for stem in stems[24:])
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
    return {stem: tuple(f"{q} {stem}" for q in QUALIFIERS if q not in used) for stem, used in groups}


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
        "date": f"{rng.choice(MONTHS)} {rng.randint(2025, 2031)}",
        "lead": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "role": rng.choice(ROLES),
        "company": f"{rng.choice(LAST)} {rng.choice(COMPANY_ENDINGS)}",
    }


def _near(value: int, rng: random.Random) -> int:
    """A figure 3-15% away from `value`, never equal to it."""
    return max(1, value + max(1, round(value * rng.uniform(0.03, 0.15))) * rng.choice((-1, 1)))


def _near_date(date: str, rng: random.Random) -> str:
    month, year = date.split()
    index = MONTHS.index(month) + rng.choice((-2, -1, 1, 2))
    return f"{MONTHS[index % 12]} {int(year) + index // 12}"


def _other_town(slots: _Slots) -> str:
    """A town no report is about: half the time a sibling of this report's town, else of another's."""
    town = slots["town"] if slots.rng.random() < 0.5 else slots.rng.choice(slots.towns)
    return slots.rng.choice(slots.free[_stem(town)])


def _other_project(slots: _Slots) -> tuple[str, str, str, tuple[int, int]]:
    # Half the distractors are about the same kind of project, with figures close to this one's.
    return PROJECT_BY_NAME[slots["project"]] if slots.rng.random() < 0.5 else slots.rng.choice(PROJECTS)


def _near_budget(slots: _Slots) -> str:
    budget = float(slots["budget"])
    return f"{max(0.5, budget + slots.rng.choice((-1, 1)) * slots.rng.uniform(0.3, 4.0)):.1f}"


def _person(slots: _Slots) -> str:
    return f"{slots.rng.choice(FIRST)} {slots.rng.choice(LAST)}"


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
    "company2": lambda s: f"{s.rng.choice(LAST)} {s.rng.choice(COMPANY_ENDINGS)}",
    "venue": lambda s: s.rng.choice(VENUES),
    "group": lambda s: s.rng.choice(GROUPS),
    "concern": lambda s: s.rng.choice(CONCERNS),
    "street": lambda s: s.rng.choice(STREETS),
    "weekday": lambda s: s.rng.choice(DAYS),
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
    published = f"{rng.choice(DAYS)} {rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(2023, 2024)}"
    outlet = rng.choice(OUTLETS)
    head = [
        rng.choice(HEADLINES).format_map(slots),
        f"By {rng.choice(FIRST)} {rng.choice(LAST)}, {rng.choice(DESKS)}",
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
    pool: list[Candidate] = []  # a reservoir of (random key, order, kind, doc id, facts)
    count, size, chunks = 0, 0, 0.0
    for doc, estimate in _reports(seed, towns, target_chunks, (a, b)):
        path = docs / doc.doc_id
        path.parent.mkdir(exist_ok=True)
        path.write_text(doc.text, encoding="utf-8")
        kind = pick.choice(list(FACTS))
        item = (pick.random(), count, kind, doc.doc_id, doc.facts)
        keep(pool, item, questions - n_unanswerable)
        count, size, chunks = count + 1, size + len(doc.text.encode("utf-8")), chunks + estimate
    rows = answerable_rows(pick, pool) + unanswerable_rows(pick, n_unanswerable, held)
    pick.shuffle(rows)
    questions_path = out_dir / "questions.jsonl"
    write_questions(questions_path, rows)
    params = {
        "target_chunks": target_chunks,
        "seed": seed,
        "documents": count,
        "approx_chunks": round(chunks),
        "towns": len(towns),  # report(i, seed, town_names(seed)[0][:towns]) rebuilds report i
    }
    (out_dir / MANIFEST).write_text(json.dumps(params, indent=1))
    return SynthCorpus(docs, count, round(chunks), questions_path, size)
