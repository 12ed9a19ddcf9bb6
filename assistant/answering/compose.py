"""Answers as complete as the question: each part of a compound question answered with its own evidence.

"When is the launch, and why did the date change?" is asked as two questions (assistant.answering.compound):
each part is searched, its evidence chosen and its answer-or-abstain decision made on its own;
the parts' evidence is numbered into one list (a sentence two parts share keeps one number), and
the answer covers every part: with the extractive answerer one to three cited sentences per part;
with an LLM one short text per part from that part's evidence (a part whose text fails the claim
check gets the extractive sentences). A part the documents do not answer is named:
'The documents do not answer "Why did the date change?"'; it is not a reason to refuse the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from assistant.answering.answerers import Answerer, ExtractiveAnswerer
from assistant.answering.compound import split
from assistant.answering.decision import Decision
from assistant.answering.evidence import select_evidence
from assistant.answering.outcome import Timer, abstained
from assistant.answering.refusals import split_refusals
from assistant.checking.citations import Checked, check
from assistant.followups.conversation import resolve
from assistant.followups.phrases import PREPOSITIONS
from assistant.types import Answer, Evidence, Passage
from index import text as tx
from index.text import marker_numbers

if TYPE_CHECKING:
    from assistant.api import Assistant

PART_EVIDENCE = 4  # evidence sentences kept per part (a single question keeps 6)
OVERVIEW_EVIDENCE = 8  # "Summarise ...", "What is the timeline of ...": more sentences, several documents
OVERVIEW_BUDGET = 16  # windows the cross-encoder reads for an overview (~12 ms each)
OVERVIEW_SENTENCES = 6  # at most this many points in an extractive overview ...
OVERVIEW_MARGIN = 6.0  # ... each within this many logits of the best
PART_SENTENCES = 3  # extractive sentences per part (within the margin of the best), as for one question
MISSING = 'The documents do not answer "{part}"'


@dataclass(frozen=True)
class Part:
    """One question inside a compound one: as written (`text`) and standalone (`query`)."""

    text: str
    query: str

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "query": self.query}


def parts(question: str) -> list[Part]:
    """`split`, each part made standalone: pronouns resolved against the first part."""
    written = split(question)
    if len(written) == 1:
        return [Part(written[0], written[0])]
    first = written[0]
    resolved = [Part(first, first)]
    for text in written[1:]:
        resolution = resolve(text, [{"role": "user", "content": first}])
        query = resolution.query if resolution.kind == "pronoun" and _noun_phrases(resolution.how) else text
        resolved.append(Part(text, query[:1].upper() + query[1:]))
    return resolved


def _noun_phrases(how: str) -> bool:
    """Whether every referent the resolver put in ("'it' -> 'the treaty'") reads as a noun phrase:
    one that opens with a preposition ("of the atmosphere") was cut from the wrong place."""
    targets = re.findall(r"-> '(.*?)'(?:; |$)", how)
    return bool(targets) and all(t.split() and t.split()[0].lower() not in PREPOSITIONS for t in targets)


@dataclass(frozen=True)
class PartAnswer:
    """One part of a compound question: what was found for it and whether to answer it."""

    part: Part
    passages: tuple[Passage, ...]
    evidence: tuple[Evidence, ...]  # numbered in the whole question's evidence list
    decision: Decision
    forced: bool = False  # answered whatever the decision (`ask(..., abstain=False)`)
    refused: bool = False  # the LLM said the documents do not answer it, and ASSISTANT_TRUST_REFUSALS=true

    @property
    def answered(self) -> bool:
        return (self.forced or not self.decision.abstain) and not self.refused

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.part.to_dict(),
            "abstain": not self.answered,
            "probability": round(self.decision.probability, 4),
            "evidence": [e.id for e in self.evidence],
        }


def numbered(groups: Sequence[Sequence[Evidence]]) -> list[list[Evidence]]:
    """The groups' evidence renumbered 1.. across all groups; one sentence keeps one number."""
    ids: dict[tuple[str, int, int], int] = {}
    out: list[list[Evidence]] = []
    for group in groups:
        renumbered = []
        for item in group:
            key = (item.passage.doc_id, item.char_start, item.char_end)
            number = ids.setdefault(key, len(ids) + 1)
            renumbered.append(replace(item, id=number))
        out.append(renumbered)
    return out


def merged_evidence(parts: Sequence[PartAnswer]) -> list[Evidence]:
    """Every part's evidence once, in id order (what the citation check is given)."""
    seen: dict[int, Evidence] = {}
    for part in parts:
        for item in part.evidence:
            seen.setdefault(item.id, item)
    return [seen[n] for n in sorted(seen)]


def merged_passages(parts: Sequence[PartAnswer]) -> list[Passage]:
    """Every part's passages once, best first by part."""
    return _interleaved_once([p.passages for p in parts])


def interleave(columns: Iterable[Sequence[Any]]) -> list[Any]:
    rows = list(columns)
    return [c[i] for i in range(max((len(c) for c in rows), default=0)) for c in rows if i < len(c)]


def with_context(own: Sequence[Passage], whole: Sequence[Passage]) -> list[Passage]:
    """A part's passages interleaved with the whole question's (own first), each once."""
    return _interleaved_once([own, whole])[: len(own)]


def _interleaved_once(columns: Sequence[Sequence[Passage]]) -> list[Passage]:
    seen: dict[str, Passage] = {}
    for passage in interleave(columns):
        seen.setdefault(passage.chunk_id, passage)
    return list(seen.values())


def missing_lines(parts: Sequence[PartAnswer]) -> list[str]:
    """One line per part the documents do not answer."""
    return [MISSING.format(part=p.part.text) for p in parts if not p.answered]


def extractive_parts(answers: Sequence[PartAnswer]) -> str:
    """One or two cited sentences per answered part; a sentence an earlier part already gave is
    not repeated (its citation already covers both parts)."""
    answerer = ExtractiveAnswerer(sentences=PART_SENTENCES)
    used: set[int] = set()
    out: list[str] = []
    for answer in answers:
        if not answer.answered:
            continue
        for piece in answerer.generate(answer.part.text, answer.evidence, query=answer.part.query):
            ids = set(marker_numbers(piece))
            if ids and ids <= used:
                continue
            used |= ids
            out.append(piece.strip())
    return " ".join(out)


class OverviewComposer:
    """The extractive answer to an overview: up to OVERVIEW_SENTENCES points, in time order when
    most of them carry a date with a year, else in document order."""

    name = "extractive"

    def generate(self, question: str, evidence: Sequence[Evidence], *, query: str | None = None) -> Iterator[str]:
        composer = ExtractiveAnswerer(sentences=OVERVIEW_SENTENCES, margin=OVERVIEW_MARGIN)
        by_id = {e.id: e for e in evidence}
        pieces = [p.strip() for p in composer.generate(question, evidence, query=query)]
        chosen = [(p, by_id[marker_numbers(p)[0]]) for p in pieces if marker_numbers(p)]
        for i, (piece, _) in enumerate(sorted(chosen, key=_order_key(chosen))):
            yield ("" if i == 0 else " ") + piece


def _order_key(chosen: Sequence[tuple[str, Evidence]]) -> Callable[[tuple[str, Evidence]], tuple[Any, ...]]:
    dated = sum(_when(e.sentence) is not None for _, e in chosen)
    by_time = dated * 2 > len(chosen)

    def key(item: tuple[str, Evidence]) -> tuple[Any, ...]:
        _, e = item
        where = (e.passage.doc_id, e.char_start)
        when = _when(e.sentence) if by_time else None
        return (when is None, when or (0, 0, 0), where)

    return key


def _when(sentence: str) -> tuple[int, int, int] | None:
    """(year, month, day) of the first date with a year in `sentence`; None without one."""
    for mention in tx.dates(tx.tokenize(sentence)):
        parts = dict(mention.parts)
        if "year" in parts:
            return (parts["year"], parts.get("month", 0), parts.get("day", 0))
    return None


def as_list(checked: Checked) -> str:
    """An overview's checked sentences as a list, one point a line."""
    return "\n".join(f"- {sentence}" for sentence in checked.sentences)


# -- the compound path of Assistant.stream ---------------------------------------------------------
Search = Callable[[str], list[Passage]]


def stream_compound(
    bot: Assistant,
    question: str,
    query: str,
    asked: Sequence[Part],
    search: Search,
    *,
    abstain: bool,
    timer: Timer,
    at: float,
) -> Iterator[str | Answer]:
    """Each part searched, its evidence chosen and decided on its own; one answer for all of them."""
    whole = search(query)  # the context a part like "how many died?" leaves out
    found = [(p, with_context(search(p.query), whole)) for p in asked]
    started = timer.lap("retrieve", at)
    chosen = [select_evidence(p.query, passages, bot.scorer, limit=PART_EVIDENCE) for p, passages in found]
    answers = []
    for (part, passages), evidence in zip(found, numbered(chosen), strict=True):
        decision = yield from bot.deciding(part.query, part.query, passages, evidence)
        answers.append(PartAnswer(part, tuple(passages), tuple(evidence), decision, not abstain))
    started = timer.lap("evidence", started)
    base = _base(question, query, answers)
    if not any(a.answered for a in answers):
        yield abstained(base, bot.answerer.name, timer)
        return
    yield from _compose(bot.answerer, base, answers, timer, started, trust_refusals=bot.settings.trust_refusals)


def _base(question: str, query: str, answers: Sequence[PartAnswer]) -> Answer:
    best = max(answers, key=lambda a: a.decision.probability).decision
    return Answer(
        question=question,
        text="",
        passages=tuple(merged_passages(answers)),
        evidence=tuple(merged_evidence(answers)),
        query=query,
        decision={
            **best.to_dict(),
            "abstain": not any(a.answered for a in answers),
            "parts": [a.to_dict() for a in answers],
        },
    )


def _compose(
    answerer: Answerer,
    base: Answer,
    answers: Sequence[PartAnswer],
    timer: Timer,
    started: float,
    *,
    trust_refusals: bool = False,
) -> Iterator[str | Answer]:
    """The extractive sentences of every part, or the LLM's text with a part it left out filled in
    (or, with `trust_refusals`, a part it says the documents do not answer named as missing)."""
    name, notes, evidence = answerer.name, [], list(base.evidence)
    if isinstance(answerer, ExtractiveAnswerer):
        text = extractive_parts(answers)
        yield text
        checked = check(text, evidence)
    else:
        said, replaced, refusals, refused = yield from llm_parts(answerer, answers, trust_refusals=trust_refusals)
        answers = [replace(a, refused=True) if a.part in refused else a for a in answers]
        if refused:  # the answer's record says which parts went unanswered, as its text does
            base = _base(base.question, base.query, answers)
        if not any(a.answered for a in answers):
            yield abstained(base, name, timer, note=f"{name} found no answer in the evidence")
            return
        checked = check(said, evidence)
        if refusals and said.strip():
            notes.append(f"{name} said part of the question is not in the documents: {refusals[0]!r}")
        if replaced:
            name = f"{name}+extractive" if replaced < sum(a.answered for a in answers) else f"{name}->extractive"
            failed = f"{answerer.name}'s text for {replaced} part(s) failed the claim check"
            notes.append(f"{failed}; used the extractive answer")
    timer.lap("generate", started)
    notes.extend(f"part not answered by the documents: {a.part.text!r}" for a in answers if not a.answered)
    yield _final(base, checked, name, missing_lines(answers), notes, timer)


def llm_parts(
    answerer: Answerer, answers: Sequence[PartAnswer], *, trust_refusals: bool = False
) -> Generator[str, None, tuple[str, int, list[str], list[Part]]]:
    """An LLM asked each answered part on its own, shown only that part's evidence; streams its
    text and returns (the parts' texts joined, how many parts got the extractive sentences
    instead, the refusals it wrote, the parts it refused when refusals are trusted). Asked all
    parts in one prompt, the bundled 1.5B model lost one of them to the claim check in 19 of 30
    compound questions on the fitting side. A part's text that keeps no sentence through the
    claim check is replaced by its extractive sentences, unless it is a refusal and
    `trust_refusals` (ASSISTANT_TRUST_REFUSALS) takes it at its word, as for a single question."""
    texts: list[str] = []
    replaced, refusals, refused_parts = 0, [], []
    for n, answer in enumerate(a for a in answers if a.answered):
        if n:
            yield " "
        pieces: list[str] = []
        for piece in answerer.generate(answer.part.text, answer.evidence, query=answer.part.query):
            pieces.append(piece)
            yield piece
        said, refused = split_refusals("".join(pieces).strip())
        refusals += refused
        if refused and not said.strip() and trust_refusals:
            refused_parts.append(answer.part)
        elif check(said, answer.evidence).supported:
            texts.append(said)
        else:
            replaced += 1
            texts.append(extractive_parts([answer]))
    return " ".join(t for t in texts if t), replaced, refusals, refused_parts


def _final(base: Answer, checked: Checked, name: str, missing: list[str], notes: list[str], timer: Timer) -> Answer:
    if checked.supported == 0:
        return abstained(base, name, timer, note="no sentence of the evidence could be checked as an answer")
    timer.timings["total"] = sum(timer.timings.values())
    return replace(
        base,
        text="\n\n".join([checked.text, *missing]),
        citations=checked.citations,
        answerer=name,
        timings=timer.timings,
        notes=tuple([*checked.notes, *notes]),
    )
