"""Embedding throughput A/B in one run: bge-small one text per call in one session spread over
every core (before) against one single-threaded session per core side by side (after, shipped:
index.models.Sessions), with the per-token rewrite (index/quantize.py) batched and the shipped
graph batched for reference, on the same real chunk texts; plus whether a text's vector is the
same alone and in a batch, and how close the variants' vectors are.

Run: python -m bench.embed_throughput [--chunks 256] [--repeats 2] [--json out.json]
The texts are all the chunks (title + text, as indexed) of a generated corpus of look-alike news
reports (bench.synth, seed 7, ~`chunks` of them); its generated questions give the
retrieval quality (dense only, document hit@5 and MRR@5) of the before and after vectors.
Variants are timed round-robin, best of `repeats`, so a burst of load from another process on
a shared machine hits them all alike: read the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from index.embed import OnnxEmbedder
from index.models import resolve
from index.settings import IndexSettings

MODEL = "bge-small-en-v1.5"
QUESTIONS = 120  # generated; ~85% answerable, each about one report
K = 5
# (label, per-token rewrite, texts per ONNX run, sessions side by side; 0 = one per core).
# The last is not deterministic: for reference.
VARIANTS = (
    ("1 text per call, one session on every core (before)", False, 1, 1),
    ("1 text per call, one session per core side by side (after)", False, 1, 0),
    ("per-token, batches of 16, one session", True, 16, 1),
    ("as shipped, batches of 16, one session (drifts)", False, 16, 1),
)


@dataclass(frozen=True)
class Corpus:
    texts: list[str]  # chunk texts as the indexer embeds them (title + text)
    doc_ids: list[str]  # the document of each text
    questions: list[tuple[str, tuple[str, ...]]]  # (question, gold doc ids), answerable ones


def chunk_texts(n: int, work: Path) -> Corpus:
    """All the chunks of a generated corpus of about `n` chunks, and its answerable questions."""
    from assistant.evaluation.questions import load_questions
    from bench import synth
    from index.ingest import prepare
    from index.scan import scan
    from index.write import embed_text

    corpus = synth.generate(n, work / "synth", seed=7, questions=QUESTIONS)
    settings = IndexSettings()
    texts, doc_ids = [], []
    for item in scan(corpus.path)[0]:
        for doc, chunks in prepare(item, settings):
            texts += [embed_text(doc.title, c.text) for c in chunks]
            doc_ids += [doc.doc_id] * len(chunks)
    asked = [(q.question, q.gold_sources) for q in load_questions(corpus.questions_path) if q.gold_sources]
    return Corpus(texts, doc_ids, asked)


def dense_quality(embedder: OnnxEmbedder, vectors: np.ndarray, corpus: Corpus) -> dict[str, float]:
    """Document-level hit@5 and MRR@5 of dense-only search (exact, brute force) over `vectors`."""
    from assistant.evaluation.metrics import hit_at_k, mrr

    hits, ranks = [], []
    for question, gold in corpus.questions:
        scores = vectors @ embedder.embed_query(question)
        ranked = list(dict.fromkeys(corpus.doc_ids[i] for i in np.argsort(-scores)[:50]))
        hits.append(hit_at_k(ranked, gold, K) or 0.0)
        ranks.append(mrr(ranked, gold, K) or 0.0)
    return {"hit_at_5": round(float(np.mean(hits)), 3), "mrr_at_5": round(float(np.mean(ranks)), 3)}


def run(ctx: Any) -> dict[str, Any]:
    """The `make bench` section (`assistant bench --sections embed-throughput`): 512 chunks, best
    of 2; quick: 48 chunks, once. `ctx` is the bench's BenchContext (only `quick` is read)."""
    return measure(48, 1) if ctx.quick else measure(512, 2)


def measure(n: int, repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as work:
        corpus = chunk_texts(n, Path(work))
    texts = corpus.texts
    model = resolve(MODEL)
    embedders = {
        label: OnnxEmbedder(replace(model, per_token=pt), batch_size=size, workers=workers or None)
        for label, pt, size, workers in VARIANTS
    }
    load_s = {}
    for label, embedder in embedders.items():
        began = time.perf_counter()
        embedder.embed_documents(texts[:1])  # opens the session (and rewrites the graph) outside the timing
        load_s[label] = round(time.perf_counter() - began, 2)
    best = dict.fromkeys(embedders, 0.0)
    vectors: dict[str, np.ndarray] = {}
    for _ in range(repeats):
        for label, embedder in embedders.items():
            began = time.perf_counter()
            vectors[label] = embedder.embed_documents(texts)
            best[label] = max(best[label], len(texts) / (time.perf_counter() - began))
    before, after = VARIANTS[0][0], VARIANTS[1][0]
    return {
        "model": MODEL,
        "chunks": len(texts),
        "cores": os.cpu_count(),
        "load_s": load_s,
        "chunks_per_s": {k: round(v, 1) for k, v in best.items()},
        "speedup_after_vs_before": round(best[after] / best[before], 2),
        "drift_vs_alone": {k: _drift(k, vectors) for k in vectors},
        "cosine_after_vs_before": _cosines(vectors[after], vectors[before]),
        "determinism": determinism(embedders[VARIANTS[2][0]], texts),
        "questions": len(corpus.questions),
        "dense_quality": {
            "before": dense_quality(embedders[before], vectors[before], corpus),
            "after": dense_quality(embedders[after], vectors[after], corpus),
        },
    }


def _drift(label: str, vectors: dict[str, np.ndarray]) -> float | None:
    """Largest difference from the same graph one text per call (None: no such variant ran)."""
    per_token = {lab: pt for lab, pt, _, _ in VARIANTS}[label]
    alone = [lab for lab, pt, size, workers in VARIANTS if pt == per_token and size == 1 and workers == 1]
    return float(np.abs(vectors[label] - vectors[alone[0]]).max()) if alone else None


def _cosines(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    cos = (a * b).sum(axis=1)
    return {"min": round(float(cos.min()), 5), "mean": round(float(cos.mean()), 5)}


def determinism(embedder: OnnxEmbedder, texts: list[str]) -> dict[str, Any]:
    """Each of a few texts alone, then inside batches of different mates and padding."""
    probes = texts[:: max(1, len(texts) // 8)][:8]
    alone = np.stack([embedder.embed_documents([t])[0] for t in probes])
    worst = 0.0
    for mates in (texts[:15], texts[-15:], [t[: len(t) // 3] for t in texts[:15]]):
        mixed = embedder.embed_documents(probes + mates)[: len(probes)]
        worst = max(worst, float(np.abs(mixed - alone).max()))
    return {"probes": len(probes), "max_abs_diff": worst, "bitwise": worst == 0.0}


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "## Embedding throughput",
        "",
        f"{result['model']} on {result['chunks']} real chunk texts, {result['cores']} cores, best of the repeats "
        "(variants timed round-robin in one run).",
        "",
        "| variant | chunks/s | max drift vs alone | session load s |",
        "|---|---|---|---|",
    ]
    for label, rate in result["chunks_per_s"].items():
        drift = result["drift_vs_alone"][label]
        shown = "-" if drift is None else f"{drift:.2g}"
        lines.append(f"| {label} | {rate} | {shown} | {result['load_s'][label]} |")
    det, cos = result["determinism"], result["cosine_after_vs_before"]
    equal = "bitwise equal" if det["bitwise"] else "not bitwise"
    q = result["dense_quality"]
    lines += [
        "",
        f"After / before: x{result['speedup_after_vs_before']}. Per-token rewrite, same text alone and in batches "
        f"with other mates and padding: max |difference| {det['max_abs_diff']:.2g} ({equal}, {det['probes']} probes). "
        f"Cosine of after to before vectors: min {cos['min']}, mean {cos['mean']}.",
        "",
        f"Retrieval quality, dense only, document level, {result['questions']} generated questions over these "
        f"chunks: before hit@5 {q['before']['hit_at_5']} / MRR@5 {q['before']['mrr_at_5']}, "
        f"after hit@5 {q['after']['hit_at_5']} / MRR@5 {q['after']['mrr_at_5']}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    result = measure(args.chunks, args.repeats)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    print(markdown(result))


if __name__ == "__main__":
    main()
