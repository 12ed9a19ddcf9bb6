"""Citations are checked in code: unknown ids removed, numbering compacted, every claim checked.

The answerer's text cites evidence as [n]. Nothing it says is taken on its word: each sentence
is checked (assistant/checking/claims.py: numbers, dates, names, negation, opposites, every content word)
against the sentence it cites, the text the reader sees highlighted. When the claim needs the
sentence before it too (a pronoun's antecedent, a number stated there), the citation quotes and
highlights both. Unsupported sentences are dropped; an uncited sentence is kept only when some
evidence supports it, and then cites that evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.answering.prompts import NOT_FOUND
from assistant.checking.claims import Similarity, assess
from assistant.retrieval.windows import previous_sentence
from assistant.types import Citation, Evidence
from index.sentences import sentence_spans
from index.text import MARKER, marker_numbers, strip_markers

__all__ = ["MARKER", "SUPPORT_THRESHOLD", "Checked", "check", "support", "to_citation"]

# Of a claim that breaks no rule, the share of its content words the quote states (a word
# matched only through the embedding similarity counts its similarity, 0.83..1).
SUPPORT_THRESHOLD = 0.6


def support(claim: str, text: str, similarity: Similarity | None = None) -> float:
    """0..1: how much of `claim` `text` states; 0 when anything in the claim contradicts it or is
    missing from it (a number, a date, a name, a negation: assistant/checking/claims.py)."""
    return assess(claim, text, similarity).score


@dataclass(frozen=True)
class _Backing:
    """Evidence that supports a claim, and the document span of the text that does."""

    evidence: Evidence
    score: float
    start: int
    end: int


def _backing(claim: str, evidence: Evidence, threshold: float, similarity: Similarity | None) -> _Backing | None:
    """The evidence's sentence if it supports `claim`, else its previous sentence and it together."""
    for start, end, quote in _quotes(evidence):
        if _verbatim(claim, quote):  # a quote cannot contradict itself, whatever the rules parse
            return _Backing(evidence, 1.0, start, end)
        assessment = assess(claim, quote, similarity)
        if assessment.supported and assessment.score >= threshold:
            return _Backing(evidence, assessment.score, start, end)
    return None


def _verbatim(claim: str, quote: str) -> bool:
    """The claim is the whole quote word for word (spacing and the final stop aside): the
    extractive answerer's sentences, an LLM that copies one. Not a part of it: "the bridge
    reopened" is a part of "it is not true that the bridge reopened"."""

    def plain(text: str) -> str:
        return " ".join(text.split()).rstrip(".!?").strip()

    return len(plain(claim).split()) >= 3 and plain(claim) == plain(quote)


def _quotes(evidence: Evidence) -> list[tuple[int, int, str]]:
    """(start, end, text) of the sentence, then of the previous sentence and the sentence when the
    answerer was shown both (the context is more than the sentence)."""
    quotes = [(evidence.char_start, evidence.char_end, evidence.sentence)]
    if " ".join(evidence.context.split()) != " ".join(evidence.sentence.split()):
        before = previous_sentence(evidence.passage, evidence.char_start)
        if before is not None:
            quotes.append((before[0], evidence.char_end, _text(evidence, before[0], evidence.char_end)))
    return quotes


def _text(evidence: Evidence, start: int, end: int) -> str:
    offset = evidence.passage.char_start
    return evidence.passage.text[start - offset : end - offset]


@dataclass(frozen=True)
class Checked:
    """The verified answer: text with compact [n] markers, and one citation per number."""

    text: str
    citations: tuple[Citation, ...]
    supported: int  # sentences kept with a citation
    notes: tuple[str, ...] = field(default=())
    evidence_ids: tuple[int, ...] = field(default=())  # the evidence cited, in citation-number order
    sentences: tuple[str, ...] = field(default=())  # the kept sentences with their markers (`text` joins them)


@dataclass
class _Claim:
    text: str  # without markers
    cited: list[int]  # evidence ids, in order of appearance


def _claims(answer: str) -> list[_Claim]:
    claims = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        text = strip_markers(sentence).strip()
        # A marker after the full stop ("... base. [2]") belongs to this sentence too.
        text = re.sub(r"\s+([.!?])$", r"\1", text)
        if not re.search(r"\w", text):
            text = ""  # only punctuation left: "[1]." after a closing quote
        cited = marker_numbers(sentence)
        if text or cited:
            claims.append(_Claim(text, cited))
    return _merge_orphan_markers(claims)


def _merge_orphan_markers(claims: list[_Claim]) -> list[_Claim]:
    """A sentence that is only markers ("[2]") gives its ids to the sentence before it."""
    merged: list[_Claim] = []
    for claim in claims:
        if not claim.text and merged:
            merged[-1].cited.extend(claim.cited)
        elif claim.text:
            merged.append(claim)
    return merged


def check(
    answer: str,
    evidence: Sequence[Evidence],
    *,
    threshold: float = SUPPORT_THRESHOLD,
    similarity: Similarity | None = None,
) -> Checked:
    """Verify an answerer's text against the evidence it was given. `similarity` (two words ->
    cosine, e.g. claims.embedding_similarity(embedder)) lets a claim word absent from the quote
    pass as a paraphrase of a quote word; without it only synonyms and word forms do."""
    by_id = {e.id: e for e in evidence}
    kept: list[tuple[str, list[_Backing]]] = []
    notes: list[str] = []
    for claim in _claims(answer):
        if claim.text.strip() == NOT_FOUND.strip():
            continue
        unknown = [n for n in claim.cited if n not in by_id]
        if unknown:
            notes.append(f"removed citation(s) to evidence that was not given: {sorted(set(unknown))}")
        cited = [by_id[n] for n in dict.fromkeys(claim.cited) if n in by_id]
        backing = [b for e in cited if (b := _backing(claim.text, e, threshold, similarity))]
        if not backing:  # uncited, or citing the wrong evidence: the best evidence that supports it
            found = [b for e in evidence if (b := _backing(claim.text, e, threshold, similarity))]
            backing = [max(found, key=lambda b: b.score)] if found else []
        if backing:
            kept.append((claim.text, backing))
        else:
            notes.append(f"dropped an unsupported sentence: {claim.text[:80]!r}")
    return _number(kept, notes)


def _number(kept: list[tuple[str, list[_Backing]]], notes: list[str]) -> Checked:
    """Renumber in order of first use and build one citation per evidence used; its quote spans
    every sentence that backed a claim (the previous sentence too when a claim needed it)."""
    numbers_by_id: dict[int, int] = {}
    merged: dict[int, _Backing] = {}
    sentences = []
    for text, backing in kept:
        marks = []
        for b in backing:
            number = numbers_by_id.setdefault(b.evidence.id, len(numbers_by_id) + 1)
            merged[b.evidence.id] = _union(merged.get(b.evidence.id), b)
            marks.append(f"[{number}]")
        sentences.append(_with_marks(text, "".join(dict.fromkeys(marks))))
    citations = tuple(
        to_citation(number, merged[eid].evidence, merged[eid].score, span=(merged[eid].start, merged[eid].end))
        for eid, number in sorted(numbers_by_id.items(), key=lambda p: p[1])
    )
    cited = tuple(eid for eid, _ in sorted(numbers_by_id.items(), key=lambda p: p[1]))
    return Checked(" ".join(sentences), citations, len(kept), tuple(notes), cited, tuple(sentences))


def _union(old: _Backing | None, new: _Backing) -> _Backing:
    if old is None:
        return new
    return _Backing(new.evidence, max(old.score, new.score), min(old.start, new.start), max(old.end, new.end))


def _with_marks(text: str, marks: str) -> str:
    """'It rose.' -> 'It rose [1].'; a closing quote keeps its punctuation: '"No." [1]'."""
    if re.search(r"[.!?][\"'\u201d\u2019)]+$", text):
        return f"{text} {marks}"
    if text[-1:] in ".!?":
        return f"{text[:-1]} {marks}{text[-1]}"
    return f"{text} {marks}."


def to_citation(number: int, evidence: Evidence, score: float, *, span: tuple[int, int] | None = None) -> Citation:
    """Citation `number` of `evidence`, quoting the document span `span` (default: its sentence;
    a span that starts earlier takes in the sentence before, and is located and quoted whole)."""
    passage = evidence.passage
    start, end = span or (evidence.char_start, evidence.char_end)
    whole = (start, end) == (evidence.char_start, evidence.char_end)
    return Citation(
        number=number,
        doc_id=passage.doc_id,
        title=passage.title,
        location=evidence.location if whole else passage.locate(start, end),
        char_start=start,
        char_end=end,
        quote=evidence.sentence if whole else _text(evidence, start, end),
        score=round(score, 3),
        chunk_id=passage.chunk_id,
        passage=passage.text,
    )
