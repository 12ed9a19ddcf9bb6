"""Sentence windows: what the cross-encoder reads instead of whole passages.

A window is one sentence with the sentence before it (pronouns and "he said" need their
antecedent). Reading a 256-token passage costs the cross-encoder ~65 ms on 2 cores; a window
of ~40 words costs ~12 ms. So passages are reranked by their most promising window, and
evidence is chosen among windows, and a cheap lexical pre-score decides which windows the
cross-encoder reads at all (docs/benchmarks.md has the before/after figures).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from assistant.types import Passage
from index import text as tx
from index.sentences import sentence_spans

MIN_WORDS = 4  # shorter "sentences" (headings, "Source: BBC") are context, not evidence
MAX_CONTEXT_WORDS = 60  # a window longer than this keeps its sentence and drops the context
PREVIOUS_WORDS = 16  # of the sentence before: its tail holds the antecedent of "he", "it", "there"
CONTEXT_WEIGHT = 0.5  # a query term found only in the preceding sentence counts half


@dataclass(frozen=True)
class Window:
    passage: Passage
    sentence: str
    context: str  # the preceding sentence (same paragraph) + the sentence, whitespace-collapsed
    start: int  # document offsets of the sentence
    end: int
    index: int  # position of the sentence in its passage


def windows(passage: Passage) -> list[Window]:
    """Every sentence of the passage long enough to be evidence, with its context."""
    spans = sentence_spans(passage.text)
    found = []
    for i, (start, end) in enumerate(spans):
        sentence = passage.text[start:end]
        if len(sentence.split()) < MIN_WORDS:
            continue
        before = passage.text[spans[i - 1][0] : spans[i - 1][1]].split() if _continues(passage.text, spans, i) else []
        words = sentence.split()
        if len(before) > PREVIOUS_WORDS:
            before = ["…", *before[-PREVIOUS_WORDS:]]
        context = " ".join(words if len(words) + len(before) > MAX_CONTEXT_WORDS else before + words)
        found.append(Window(passage, sentence, context, passage.char_start + start, passage.char_start + end, i))
    return found


def _continues(body: str, spans: Sequence[tuple[int, int]], i: int) -> bool:
    """True when sentence i has a sentence before it in the same paragraph."""
    return i > 0 and "\n\n" not in body[spans[i - 1][1] : spans[i][0]]


def previous_sentence(passage: Passage, start: int) -> tuple[int, int] | None:
    """Document span of the sentence before the one starting at document offset `start`, when
    both are in the same paragraph of `passage` (what a window's context holds); else None."""
    spans = sentence_spans(passage.text)
    local = start - passage.char_start
    for i, (begin, _) in enumerate(spans):
        if begin == local and _continues(passage.text, spans, i):
            return passage.char_start + spans[i - 1][0], passage.char_start + spans[i - 1][1]
    return None


def unique(items: Iterable[Window]) -> list[Window]:
    """Overlapping chunks repeat sentences: keep each (document, sentence start) once, first wins."""
    seen: set[tuple[str, int]] = set()
    kept = []
    for window in items:
        key = (window.passage.doc_id, window.start)
        if key not in seen:
            seen.add(key)
            kept.append(window)
    return kept


def terms(words: str) -> set[str]:
    """Stemmed content words and numbers ("4,000" and "4000" alike): index.text.terms."""
    return set(tx.terms(words))


def prescore(query: str, items: Sequence[Window], bonus: Sequence[bool] | None = None) -> list[float]:
    """A cheap guess at how well each window answers `query`: idf-weighted query terms it holds.

    The idf is taken over `items` themselves, so terms every candidate shares (the topic) count
    little and the distinguishing ones count most. `bonus[i]` (e.g. "has the number a how-many
    question asks for") adds the weight of the whole query: a sentence without a number cannot
    answer "how many", however many of the question's words it repeats.
    """
    wanted = terms(query)
    if not wanted or not items:
        return [0.0] * len(items)
    sentence_terms = [terms(w.sentence) & wanted for w in items]
    context_terms = [terms(w.context) & wanted for w in items]
    df = Counter(t for found in context_terms for t in found)
    idf = {t: math.log(1 + (len(items) + 1) / (df[t] + 0.5)) for t in wanted}
    whole = sum(idf.values())
    scores = []
    for i, (own, around) in enumerate(zip(sentence_terms, context_terms, strict=True)):
        score = sum(idf[t] for t in own) + CONTEXT_WEIGHT * sum(idf[t] for t in around - own)
        scores.append(score + (whole if bonus and bonus[i] else 0.0))
    return scores


def shortlist(
    query: str,
    items: Sequence[Window],
    budget: int,
    *,
    per_passage: int = 1,
    bonus: Callable[[str], bool] | None = None,
) -> list[Window]:
    """The windows worth the cross-encoder's time: each passage's best `per_passage` by
    `prescore`, then the best of the rest until `budget` windows are chosen (in score order)."""
    flags = [bonus(w.sentence) for w in items] if bonus else None
    scores = prescore(query, items, flags)
    order = sorted(range(len(items)), key=lambda i: (-scores[i], i))
    taken: Counter[str] = Counter()
    firsts = set()
    for i in order:
        if taken[items[i].passage.chunk_id] < per_passage:
            taken[items[i].passage.chunk_id] += 1
            firsts.add(i)
    extra = [i for i in order if i not in firsts][: max(0, budget - len(firsts))]
    keep = firsts | set(extra)
    return [items[i] for i in order if i in keep]
