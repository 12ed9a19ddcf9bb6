"""Citations are checked in code: unknown ids removed, numbering compacted, every claim checked.

The answerer's text cites evidence as [n]. Nothing it says is taken on its word:
each sentence is checked against the evidence it cites (content-word recall, and
every number in the claim must appear in the evidence). Unsupported sentences are
dropped; an uncited sentence is kept only when some evidence supports it, and then
cites that evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.prompts import NOT_FOUND
from assistant.types import Citation, Evidence
from index.sentences import sentence_spans

SUPPORT_THRESHOLD = 0.6  # share of a claim's content words found in the cited evidence
MIN_CLAIM_WORDS = 2  # a one-word "claim" ("PWNED", "Yes") cannot be checked against anything
MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
STOPWORDS = frozenset(
    (
        "a an the and or but if of to in on at by for with from as is are was were be been being it its this "
        "that these those there here he she they them his her their we our you your i me my not no so than then "
        "also which who whom whose what when where why how all any some such can could will would shall should "
        "may might must do does did has have had into over under about after before said says say according "
        "documents document text passage source sources evidence"
    ).split()
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    words = _WORD.findall(text.lower().replace("\u2019", "'"))
    return {_stem(w.replace(",", "")) for w in words if w not in STOPWORDS}


def numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in _NUMBER.findall(text)}


def support(claim: str, evidence_text: str) -> float:
    """0..1: how much of `claim` the evidence states. A number it lacks makes it 0."""
    if not numbers(claim) <= numbers(evidence_text):
        return 0.0
    words = content_words(claim)
    if len(words) < MIN_CLAIM_WORDS:
        return 0.0
    return len(words & content_words(evidence_text)) / len(words)


@dataclass(frozen=True)
class Checked:
    """The verified answer: text with compact [n] markers, and one citation per number."""

    text: str
    citations: tuple[Citation, ...]
    supported: int  # sentences kept with a citation
    notes: tuple[str, ...] = field(default=())


@dataclass
class _Claim:
    text: str  # without markers
    cited: list[int]  # evidence ids, in order of appearance


def _claims(answer: str) -> list[_Claim]:
    claims = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        cited = [int(n) for m in MARKER.finditer(sentence) for n in re.split(r"[,;]", m.group(1))]
        text = MARKER.sub("", sentence).strip()
        # A marker after the full stop ("... base. [2]") belongs to this sentence too.
        text = re.sub(r"\s+([.!?])$", r"\1", text)
        if not re.search(r"\w", text):
            text = ""  # only punctuation left: "[1]." after a closing quote
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


def _best(claim: str, candidates: Sequence[Evidence]) -> tuple[Evidence | None, float]:
    scored = [(support(claim, e.context), e) for e in candidates]
    if not scored:
        return None, 0.0
    score, evidence = max(scored, key=lambda pair: pair[0])
    return evidence, score


def check(answer: str, evidence: Sequence[Evidence], *, threshold: float = SUPPORT_THRESHOLD) -> Checked:
    """Verify an answerer's text against the evidence it was given."""
    by_id = {e.id: e for e in evidence}
    kept: list[tuple[str, list[tuple[Evidence, float]]]] = []
    notes: list[str] = []
    for claim in _claims(answer):
        if claim.text.strip() == NOT_FOUND.strip():
            continue
        unknown = [n for n in claim.cited if n not in by_id]
        if unknown:
            notes.append(f"removed citation(s) to evidence that was not given: {sorted(set(unknown))}")
        cited = [by_id[n] for n in dict.fromkeys(claim.cited) if n in by_id]
        backing = [(e, s) for e in cited if (s := support(claim.text, e.context)) >= threshold]
        if not backing:
            best, score = _best(claim.text, evidence)
            if best is not None and score >= threshold:
                backing = [(best, score)]
        if backing:
            kept.append((claim.text, backing))
        else:
            notes.append(f"dropped an unsupported sentence: {claim.text[:80]!r}")
    return _number(kept, notes)


def _number(kept: list[tuple[str, list[tuple[Evidence, float]]]], notes: list[str]) -> Checked:
    """Renumber in order of first use and build one citation per evidence used."""
    numbers_by_id: dict[int, int] = {}
    best_score: dict[int, float] = {}
    sentences = []
    for text, backing in kept:
        marks = []
        for evidence, score in backing:
            number = numbers_by_id.setdefault(evidence.id, len(numbers_by_id) + 1)
            best_score[evidence.id] = max(score, best_score.get(evidence.id, 0.0))
            marks.append(f"[{number}]")
        sentences.append(_with_marks(text, "".join(dict.fromkeys(marks))))
    used = {e.id: e for _, backing in kept for e, _ in backing}
    citations = tuple(
        to_citation(number, used[eid], best_score[eid])
        for eid, number in sorted(numbers_by_id.items(), key=lambda p: p[1])
    )
    return Checked(" ".join(sentences), citations, len(kept), tuple(notes))


def _with_marks(text: str, marks: str) -> str:
    """'It rose.' -> 'It rose [1].'; a closing quote keeps its punctuation: '"No." [1]'."""
    if re.search(r"[.!?][\"'\u201d\u2019)]+$", text):
        return f"{text} {marks}"
    if text[-1:] in ".!?":
        return f"{text[:-1]} {marks}{text[-1]}"
    return f"{text} {marks}."


def to_citation(number: int, evidence: Evidence, score: float) -> Citation:
    passage = evidence.passage
    return Citation(
        number=number,
        doc_id=passage.doc_id,
        title=passage.title,
        location=evidence.location,
        char_start=evidence.char_start,
        char_end=evidence.char_end,
        quote=evidence.sentence,
        score=round(score, 3),
        chunk_id=passage.chunk_id,
        passage=passage.text,
    )
