"""How reranking choices rank the passages that answer: hybrid only, whole passages, sentence windows, fusions.

Usage: ASSISTANT_HOME=<an indexed home> .venv/bin/python -m bench.rerank_variants QUESTIONS.jsonl

For each answerable question the product's fused top-10 candidates are reordered by each variant;
prints document MRR@5, "answer-chunk" MRR@5 (the first passage from a gold document holding the
first key fact) and the rerank time. docs/choices.md has the figures behind the product's choice.
Generated corpora for it: `bench.synth.generate(1000, Path("/tmp/s1k"))`, then
`ASSISTANT_HOME=/tmp/s1k/home assistant index /tmp/s1k/docs`.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from assistant.api import Assistant
from assistant.evaluation.metrics import fold, mrr
from assistant.evaluation.questions import Question, load_questions
from assistant.retrieval.rerank import CrossEncoder
from assistant.retrieval.retrieve import RRF_K, rerank_windows
from assistant.settings import Settings
from assistant.types import Passage
from index.ingest import embed_text

ROOT = Path(__file__).resolve().parents[1]

Variant = Callable[[str, list[Passage]], list[Passage]]


def variants(bot: Assistant) -> dict[str, Variant]:
    retriever, scorer = bot.retriever, bot.scorer

    def best_window(query: str, passages: list[Passage], per_passage: int = 1, lead: bool = False) -> list[Passage]:
        reads = rerank_windows(query, passages, per_passage)
        heads = {p.chunk_id: " ".join(p.text.split()[:25]) + " ... " for p in passages}
        logits = scorer.score(query, [(heads[c] if lead else "") + t for c, t in reads])
        best: dict[str, float] = {}
        for (chunk_id, _), logit in zip(reads, logits, strict=True):
            best[chunk_id] = max(best.get(chunk_id, -99.0), float(logit))
        return sorted(passages, key=lambda p: -best[p.chunk_id])

    def whole(query: str, passages: list[Passage]) -> list[Passage]:
        logits = scorer.score(query, [embed_text(p.title, p.text) for p in passages])
        return [p for _, p in sorted(zip(logits, passages, strict=True), key=lambda pair: -pair[0])]

    def rrf(query: str, passages: list[Passage]) -> list[Passage]:
        gain: dict[str, float] = {}
        for ranking in (passages, best_window(query, passages)):
            for rank, p in enumerate(ranking):
                gain[p.chunk_id] = gain.get(p.chunk_id, 0.0) + 1 / (RRF_K + rank + 1)
        return sorted(passages, key=lambda p: -gain[p.chunk_id])

    return {
        "hybrid only": lambda q, ps: ps,
        "whole passages": whole,
        "best window": best_window,
        "window, RRF with hybrid": rrf,
        "product (2 x hybrid rank + window rank)": retriever.rerank,
        "two windows per passage": lambda q, ps: best_window(q, ps, per_passage=2),
        "window + first 25 words": lambda q, ps: best_window(q, ps, lead=True),
    }


def answer_chunk_rr(ranked: list[Passage], question: Question) -> float:
    first_fact = question.key_facts[:1]
    for rank, p in enumerate(ranked[:5]):
        if p.doc_id in question.gold_sources and all(any(fold(a) in fold(p.text) for a in f) for f in first_fact):
            return 1 / (rank + 1)
    return 0.0


def main() -> None:
    questions = [q for q in load_questions(sys.argv[1]) if q.answerable and not q.history and q.key_facts]
    bot = Assistant.from_settings(Settings.from_env(os.environ), answerer="extractive")
    bot.ask("warm up the models")
    if isinstance(bot.scorer, CrossEncoder):
        bot.scorer.cache_size = 0  # each variant pays for its own scores
    pool = bot.retriever.rerank_pool
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for question in questions:
        fused = bot.retriever.fused_candidates(question.question)
        for name, variant in variants(bot).items():
            started = time.perf_counter()
            ranked = variant(question.question, fused)
            seconds = time.perf_counter() - started
            docs = list(dict.fromkeys(p.doc_id for p in ranked))
            rows.setdefault(name, []).append(
                (mrr(docs[:5], question.gold_sources) or 0.0, answer_chunk_rr(ranked, question), seconds)
            )
    print(f"{len(questions)} questions, top {pool} fused candidates each")
    print("| rerank | doc MRR@5 | answer-chunk MRR@5 | rerank p50 ms |\n|---|---|---|---|")
    for name, values in rows.items():
        doc, chunk, took = ([row[n] for row in values] for n in range(3))
        print(
            f"| {name} | {statistics.mean(doc):.3f} | {statistics.mean(chunk):.3f} | "
            f"{statistics.median(took) * 1000:.0f} |"
        )


if __name__ == "__main__":
    main()
