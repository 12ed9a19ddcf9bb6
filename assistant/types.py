"""The public, frozen answer types: Passage, Evidence, Citation, Answer (all JSON-serialisable)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from index.types import Location


def _location_dict(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {**asdict(location), "label": location.label()}


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with every score that ranked it (the raw signals for abstaining)."""

    chunk_id: str
    doc_id: str
    title: str
    text: str
    location: Location | None
    char_start: int  # span of the chunk in its document's cleaned text
    char_end: int
    dense: float | None = None  # cosine similarity, -1..1; None when only BM25 found it
    lexical: float | None = None  # BM25 score; None when only the dense search found it
    fused: float = 0.0  # reciprocal-rank fusion of the two
    rerank: float | None = None  # cross-encoder logit, about -11..11
    # (doc offset, first line/page, last line/page, exact) per paragraph of the chunk
    blocks: tuple[tuple[int, int, int, int], ...] = field(default=(), repr=False)

    def locate(self, start: int, end: int) -> Location | None:
        """The file location of document characters [start, end) inside this passage."""
        if self.location is None or not self.blocks:
            return self.location
        found: Location | None = None
        for i, (b_start, first, last, exact) in enumerate(self.blocks):
            b_end = self.blocks[i + 1][0] if i + 1 < len(self.blocks) else self.char_end
            if b_end <= start or b_start >= end:
                continue
            here = self._lines_within(b_start, first, last, exact, start, end)
            found = here if found is None else found.union(here)
        return found or self.location

    def _lines_within(self, b_start: int, first: int, last: int, exact: int, start: int, end: int) -> Location:
        if not exact:  # a chunk never spans two sections, so the passage's kind and detail hold
            return Location(self.location.kind, first, last, self.location.detail)  # type: ignore[union-attr]
        offset = self.char_start
        before = self.text.count("\n", max(0, b_start - offset), max(0, start - offset))
        inside = self.text.count("\n", max(0, start - offset), max(0, end - offset))
        line = min(first + before, last)
        return Location("lines", line, min(line + inside, last))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("blocks")
        data["location"] = _location_dict(self.location)
        return data


@dataclass(frozen=True)
class Evidence:
    """A sentence (with a little context) chosen to answer from; `id` is what the answerer cites."""

    id: int
    passage: Passage
    sentence: str  # the supporting sentence, verbatim
    context: str  # the sentence with its neighbours, what an LLM sees
    char_start: int  # span of `sentence` in the document's cleaned text
    char_end: int
    score: float  # cross-encoder logit for (question, context)
    location: Location | None = None  # where the sentence is in the original file

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "doc_id": self.passage.doc_id,
            "chunk_id": self.passage.chunk_id,
            "sentence": self.sentence,
            "context": self.context,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "score": self.score,
            "location": _location_dict(self.location),
        }


@dataclass(frozen=True)
class Citation:
    """One [n] in an answer: the exact sentence that supports the claim, and where it is."""

    number: int
    doc_id: str
    title: str
    location: Location | None
    char_start: int  # span of `quote` in the document's cleaned text
    char_end: int
    quote: str
    score: float  # how well the quote supports the cited sentence(s), 0..1
    chunk_id: str = ""
    passage: str = ""  # the whole retrieved passage, for showing the quote in context

    @property
    def location_label(self) -> str:
        return self.location.label() if self.location else ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["location"] = _location_dict(self.location)
        return data


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns."""

    question: str
    text: str  # with [n] markers that match `citations`
    citations: tuple[Citation, ...] = ()
    passages: tuple[Passage, ...] = ()  # retrieved, best first (the closest ones when abstaining)
    evidence: tuple[Evidence, ...] = ()  # what the answerer was given
    abstained: bool = False
    query: str = ""  # what was searched (the rewritten follow-up)
    answerer: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    tokens: dict[str, int] = field(default_factory=dict)  # prompt/completion tokens when an LLM ran
    notes: tuple[str, ...] = ()  # e.g. "dropped 1 unsupported sentence"
    # The answer-or-abstain decision: probability, threshold, signals and their weights
    # (assistant.answering.decision.Decision.to_dict()); empty when none was made (an error, a bad question).
    decision: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "evidence": [e.to_dict() for e in self.evidence],
            "abstained": self.abstained,
            "query": self.query,
            "answerer": self.answerer,
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "tokens": dict(self.tokens),
            "notes": list(self.notes),
            "decision": dict(self.decision),
        }
