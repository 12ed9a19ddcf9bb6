"""Scale: index time, disk, memory and retrieval latency/quality on generated corpora of growing size.

Per target chunk count: generate look-alike news reports (bench.synth), index them with
the real `assistant index --json` in a fresh process, then search ~30 generated questions in this
process with the product's Retriever (hybrid + cross-encoder). A target above the embedding cap is
indexed only up to the cap; the rest of its chunks are added to the same store with vectors copied
from the real ones plus small noise, so latency and disk are measured at full size, while index
time is extrapolated from the measured per-chunk rate and retrieval quality is not reported.
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import Any

from assistant.evaluation.metrics import hit_at_k, mrr, percentile, ranked_docs
from assistant.evaluation.questions import Question, load_questions
from bench import synth
from bench.context import BenchContext, machine
from bench.indexing import index_step
from bench.report import num, table
from bench.scale_fill import fill, stored, subset
from index.settings import DEFAULT_COLLECTION, IndexSettings

K = 5  # passages per search; hit@5 and MRR are over the documents of these passages
QUESTIONS = 36  # generated per scale: ~31 answerable (timed and scored) and ~5 unanswerable
QUICK_SCALES = (150, 400)
QUICK_QUESTIONS = 12
QUICK_EMBED_CAP = 250  # quick runs embed at most this, so the larger point takes the extrapolation path
WARMUP = 2  # searches before timing: model sessions open and the BM25 cache loads on first use
SEED = 7


def run(ctx: BenchContext) -> dict[str, Any]:
    """Figures per scale point and how they grow; JSON-serialisable."""
    from assistant.retrieval.rerank import RERANKER, CrossEncoder
    from index.embed import make_embedder

    started = time.perf_counter()
    scales = QUICK_SCALES if ctx.quick else ctx.scales
    cap = min(ctx.max_embed_chunks, QUICK_EMBED_CAP) if ctx.quick else ctx.max_embed_chunks
    models = (make_embedder(ctx.settings.index.embed_model), CrossEncoder.bundled())
    points = [_point(ctx, target, cap, models) for target in scales]
    return {
        "embed_model": ctx.settings.index.embed_model,
        "reranker": RERANKER,
        "k": K,
        "max_embed_chunks": cap,
        "quick": ctx.quick,
        "points": points,
        "growth": growth(points),
        "machine": machine(),
        "seconds": round(time.perf_counter() - started, 1),
    }


# -- one scale point -----------------------------------------------------------------------------
def _point(ctx: BenchContext, target: int, cap: int, models: tuple[Any, Any]) -> dict[str, Any]:
    folder = ctx.work_dir / "scale" / str(target)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    ctx.progress(f"scale {target}: generating the corpus")
    began = time.perf_counter()
    index = ctx.settings.index
    corpus = synth.generate(
        target,
        folder / "synth",
        seed=SEED,
        questions=QUICK_QUESTIONS if ctx.quick else QUESTIONS,
        chunk_tokens=index.chunk_tokens,
        chunk_overlap=index.chunk_overlap,
    )
    generate_s = time.perf_counter() - began
    home = folder / "home"
    settings = index.with_(home=home, chroma_host=None, collection=DEFAULT_COLLECTION)
    partial = target > cap  # a target at the cap is embedded whole, even if it lands a little over
    indexed = subset(corpus.path, folder / "subset", settings, cap) if partial else corpus.path
    ctx.progress(f"scale {target}: indexing {'a subset of ' if partial else ''}{corpus.documents} documents")
    step = index_step(ctx, indexed, home, chunks=min(target, cap))
    measured = stored(settings)
    filled = fill(ctx, settings, corpus.path, indexed, SEED) if partial else measured
    point = {
        "target": target,
        "documents": corpus.documents,
        "chunks": filled["chunks"],
        "tokens": filled["tokens"],
        "corpus_mb": round(corpus.bytes / 2**20, 1),
        "generate_s": round(generate_s, 2),
        "index": _index_figures(step, measured, filled, _disk_mb(home)),
        "extrapolated": partial,
    }
    ctx.progress(f"scale {target}: timing {'(latency only) ' if partial else ''}retrieval")
    point["retrieval"] = _retrieval(settings, load_questions(corpus.questions_path), models, quality=not partial)
    return point


def _index_figures(step: dict[str, Any], measured: dict[str, int], full: dict[str, int], disk: float) -> dict[str, Any]:
    """Measured figures, or (past the cap) figures extrapolated from the measured per-chunk rate."""
    startup = step["wall_s"] - step["run_s"]  # interpreter, imports, model load: paid once
    per_chunk = step["run_s"] / max(1, measured["chunks"])
    seconds = startup + per_chunk * full["chunks"]
    return {
        "seconds": round(seconds, 2),
        "chunks_per_s": round(full["chunks"] / seconds, 2),
        "tokens_per_s": round(full["tokens"] / seconds, 1),
        "peak_rss_mb": step["peak_rss_mb"],
        "disk_mb": round(disk, 1),
        "embedded_chunks": measured["chunks"],
        "measured_seconds": step["wall_s"],
        "extrapolated": full["chunks"] != measured["chunks"],
        # past the cap: seconds and rates extrapolated; peak RSS is that of the subset's run;
        # disk is measured on the filled store (real texts and metadata, copied vectors)
    }


def _disk_mb(folder: Path) -> float:
    """Allocated size of everything under `folder`, in MiB (blocks, not apparent sizes)."""
    total = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_blocks * 512
    return total / 2**20


# -- retrieval -----------------------------------------------------------------------------------
def _retrieval(
    settings: IndexSettings, questions: list[Question], models: tuple[Any, Any], *, quality: bool
) -> dict[str, Any]:
    """Latency of the product's search, and (when every vector is real) document-level quality
    of four rankings: reranked (the product), fused without reranking, dense only, BM25 only."""
    from assistant.retrieval.retrieve import Retriever
    from index.store import ChunkStore

    store = ChunkStore.open(settings)
    embedder, scorer = models
    product, fused = Retriever(store, embedder, scorer), Retriever(store, embedder, None)
    answerable = [q for q in questions if q.answerable and q.gold_sources]
    for q in questions[:WARMUP]:
        product.search(q.question, k=K)
    latencies: list[float] = []
    rankings: dict[str, list[tuple[list[str], tuple[str, ...]]]] = {
        n: [] for n in ("reranked", "fused", "dense", "bm25")
    }
    for q in answerable:
        began = time.perf_counter()
        passages = product.search(q.question, k=K)
        latencies.append((time.perf_counter() - began) * 1000)
        if quality:
            rankings["reranked"].append((ranked_docs(passages), q.gold_sources))
            rankings["fused"].append((ranked_docs(fused.search(q.question, k=K)), q.gold_sources))
            rankings["dense"].append((_dense_docs(store, embedder, q.question), q.gold_sources))
            rankings["bm25"].append((_bm25_docs(product.lexical, q.question), q.gold_sources))
    return {
        "questions": len(answerable),
        "p50_ms": _round(percentile(latencies, 50)),
        "p95_ms": _round(percentile(latencies, 95)),
        "rss_mb": _rss_mb(),
        "quality": {name: _quality(rows) for name, rows in rankings.items()} if quality else None,
    }


def _dense_docs(store: Any, embedder: Any, question: str) -> list[str]:
    result = store.query(embedder.embed_query(question), min(K, store.count()))
    return list(dict.fromkeys(str(meta["doc_id"]) for meta in result["metadatas"][0]))


def _bm25_docs(lexical: Any, question: str) -> list[str]:
    store = lexical.store
    ids = [chunk_id for chunk_id, _ in lexical.current().search(question, K)]
    if not ids:
        return []
    got = store.chunks.get(ids=ids, include=["metadatas"])
    doc_of = {cid: str(meta["doc_id"]) for cid, meta in zip(got["ids"], got["metadatas"], strict=True)}
    return list(dict.fromkeys(doc_of[cid] for cid in ids if cid in doc_of))


def _quality(rows: list[tuple[list[str], tuple[str, ...]]]) -> dict[str, float | None]:
    hits = [hit_at_k(ranked, gold, K) for ranked, gold in rows]
    ranks = [mrr(ranked, gold, K) for ranked, gold in rows]
    return {"hit_at_5": _mean(hits), "mrr": _mean(ranks)}


def _mean(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 3) if present else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _rss_mb() -> float | None:
    """This process's resident set now (VmRSS), in MiB; it holds the models and every store opened."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


# -- growth --------------------------------------------------------------------------------------
GROWN = {
    "index_s": ("index", "seconds"),
    "disk_mb": ("index", "disk_mb"),
    "peak_rss_mb": ("index", "peak_rss_mb"),
    "p50_ms": ("retrieval", "p50_ms"),
    "p95_ms": ("retrieval", "p95_ms"),
}


def _value(point: dict[str, Any], path: tuple[str, str]) -> float | None:
    value = point[path[0]][path[1]]
    return float(value) if value is not None else None


def growth(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per step between consecutive points: the factor each quantity grew by, beside the chunks'."""
    steps = []
    for small, big in zip(points, points[1:], strict=False):
        step: dict[str, Any] = {"from": small["target"], "to": big["target"]}
        step["chunks_x"] = _ratio(big["chunks"], small["chunks"])
        for name, path in GROWN.items():
            step[f"{name}_x"] = _ratio(_value(big, path), _value(small, path))
        steps.append(step)
    return steps


def _ratio(big: float | None, small: float | None) -> float | None:
    return round(big / small, 2) if big is not None and small else None


def _shape(factor: float | None, chunks_factor: float | None) -> str:
    """How a quantity grows against the chunk count: the slope on a log-log plot, in words."""
    if not factor or not chunks_factor or chunks_factor <= 1:
        return "n/a"
    slope = math.log(factor) / math.log(chunks_factor)
    if slope < -0.15:
        return "lower: noise such as machine load, not a trend"
    if slope < 0.15:
        return "about flat"
    if slope < 0.8:
        return "sub-linear"
    return "about linear" if slope <= 1.2 else "super-linear"


def _times(factor: float | None) -> str:
    """A growth factor for prose: ×9.44, ×100."""
    if factor is None:
        return "×?"
    return f"×{factor:.0f}" if factor >= 100 else f"×{num(factor)}"


def growth_sentence(points: list[dict[str, Any]]) -> str:
    """One sentence: from the first to the last point, by how much each quantity grew."""
    if len(points) < 2:
        return "Only one scale point was measured, so growth is not reported."
    first, last = points[0], points[-1]
    chunks_x = _ratio(last["chunks"], first["chunks"])
    parts = []
    for label, name in (("index time", "index_s"), ("disk", "disk_mb"), ("indexing peak RSS", "peak_rss_mb")):
        factor = _ratio(_value(last, GROWN[name]), _value(first, GROWN[name]))
        parts.append(f"{label} {_times(factor)} ({_shape(factor, chunks_x)})")
    for label, name in (("p50 latency", "p50_ms"), ("p95 latency", "p95_ms")):
        factor = _ratio(_value(last, GROWN[name]), _value(first, GROWN[name]))
        parts.append(f"{label} {_times(factor)} ({_shape(factor, chunks_x)})")
    return f"From {first['chunks']:,} to {last['chunks']:,} chunks ({_times(chunks_x)}): " + ", ".join(parts) + "."


# -- Markdown ------------------------------------------------------------------------------------
def markdown(result: dict[str, Any]) -> str:
    """The section: one row per scale point, retrieval quality by ranking, growth in one sentence."""
    rows = []
    for p in result["points"]:
        idx, ret = p["index"], p["retrieval"]
        quality = (ret["quality"] or {}).get("reranked") or {}
        mark = "~" if idx["extrapolated"] else ""
        rows.append(
            [
                f"{p['target']:,}",
                f"{p['chunks']:,}",
                f"{p['documents']:,}",
                mark + num(idx["seconds"]),
                mark + num(idx["chunks_per_s"]),
                num(idx["disk_mb"]),
                num(idx["peak_rss_mb"]),
                num(ret["p50_ms"]),
                num(ret["p95_ms"]),
                quality.get("hit_at_5"),
                quality.get("mrr"),
                f"extrapolated (embedded {idx['embedded_chunks']:,})" if idx["extrapolated"] else "measured",
            ]
        )
    headers = ["Target", "Chunks", "Docs", "Index s", "Chunks/s", "Disk MB", "Peak RSS MB"]
    headers += ["p50 ms", "p95 ms", "hit@5", "MRR", "Index figures"]
    parts = [
        "## Scale",
        "",
        f"Generated look-alike news reports (`bench.synth`, seed {SEED}), indexed with "
        f"`assistant index --json` in a fresh process ({result['embed_model']}), then "
        f"{_questions(result)} generated questions searched in-process with the product's retriever "
        f"(hybrid + {result['reranker']}, k={result['k']}). hit@5 and MRR are at document level.",
        "",
        table(headers, rows),
        "",
        growth_sentence(result["points"]),
    ]
    parts += _notes(result) + _quality_table(result)
    return "\n".join(parts) + "\n"


def _questions(result: dict[str, Any]) -> str:
    counts = {p["retrieval"]["questions"] for p in result["points"]}
    return "/".join(str(c) for c in sorted(counts)) or "0"


def _notes(result: dict[str, Any]) -> list[str]:
    if not any(p["index"]["extrapolated"] for p in result["points"]):
        return []
    return [
        "",
        f"~ Extrapolated: past {result['max_embed_chunks']:,} chunks only a subset of the reports was embedded "
        "and indexed for real; index seconds and rates are the subset's start-up plus its per-chunk time "
        "times all chunks, and peak RSS is the subset run's. The remaining chunks (real texts, chunked for "
        "real) were then added with copies of real vectors plus small noise, so disk and retrieval latency "
        "are measured at full size, but retrieval quality is not reported there.",
    ]


def _quality_table(result: dict[str, Any]) -> list[str]:
    rows = []
    for p in result["points"]:
        quality = p["retrieval"]["quality"]
        if not quality:
            continue
        for name, label in (("reranked", "hybrid + rerank (product)"), ("fused", "hybrid, no rerank")):
            rows.append([f"{p['chunks']:,}", label, quality[name]["hit_at_5"], quality[name]["mrr"]])
        for name, label in (("dense", "dense only"), ("bm25", "BM25 only")):
            rows.append([f"{p['chunks']:,}", label, quality[name]["hit_at_5"], quality[name]["mrr"]])
    if not rows:
        return []
    return [
        "",
        "Retrieval quality by ranking (top 5 passages, document level):",
        "",
        table(["Chunks", "Ranking", "hit@5", "MRR"], rows),
    ]
