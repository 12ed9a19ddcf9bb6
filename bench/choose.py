"""Measure retrieval on the sample question set for each embedding model and chunk size.

Usage: .venv/bin/python -m bench.choose [--models bge-small-en-v1.5,all-MiniLM-L6-v2] [--sizes 128,256,384]

Relevance is judged without hand labels: a chunk is relevant to a question when it
comes from a gold source and contains one of the question's key facts. With five
documents, document-level hit@5 is near 1 for any setup, so the discriminating
figures are chunk-level: MRR of the first relevant chunk and key-fact recall@5
(share of a question's facts found in the top five chunks).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from assistant.retrieval.rerank import CrossEncoder
from assistant.retrieval.retrieve import Retriever
from index.embed import make_embedder
from index.ingest import run_index
from index.settings import IndexSettings
from index.store import ChunkStore

ROOT = Path(__file__).resolve().parents[1]

K = 5


class DenseOnly(Retriever):
    """The embedding model alone: isolates its quality from BM25 and the reranker."""

    def _lexical(self, query: str, allowed: list[str] | None) -> list:
        return []


def fold(text: str) -> str:
    text = re.sub(r"(?<=\d),(?=\d{3})", "", text.lower())
    return re.sub(r"[^\w\s]", " ", text)


def has(text: str, alternatives: list[str]) -> bool:
    folded = f" {' '.join(fold(text).split())} "
    return any(f" {' '.join(fold(a).split())} " in folded for a in alternatives)


def search_text(q: dict) -> str:
    """Follow-ups are searched with the previous user turn prepended (no rewriting here)."""
    prior = [t["content"] for t in q.get("history") or [] if t["role"] == "user"]
    return " ".join([*prior[-1:], q["question"]])


def measure(retriever: Retriever, questions: list[dict]) -> dict[str, float]:
    rr, fact_recall, doc_hit = [], [], []
    started = time.perf_counter()
    for q in questions:
        passages = retriever.search(search_text(q), k=K)
        facts = q["key_facts"]
        gold = set(q["gold_sources"])
        rank = next(
            (i for i, p in enumerate(passages) if p.doc_id in gold and any(has(p.text, f) for f in facts)),
            None,
        )
        rr.append(0.0 if rank is None else 1.0 / (rank + 1))
        joined = " ".join(p.text for p in passages)
        fact_recall.append(sum(has(joined, f) for f in facts) / len(facts) if facts else 1.0)
        doc_hit.append(float(any(p.doc_id in gold for p in passages)))
    n = len(questions)
    return {
        "chunk_mrr": round(sum(rr) / n, 3),
        "fact_recall@5": round(sum(fact_recall) / n, 3),
        "doc_hit@5": round(sum(doc_hit) / n, 3),
        "ms_per_query": round(1000 * (time.perf_counter() - started) / n, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="bge-small-en-v1.5,all-MiniLM-L6-v2")
    parser.add_argument("--sizes", default="128,256,384")
    args = parser.parse_args()
    lines = (ROOT / "data/questions/sample.jsonl").read_text().splitlines()
    questions = [q for q in map(json.loads, lines) if q["answerable"] and q["key_facts"]]
    reranker = CrossEncoder.bundled()
    rows = []
    for model in args.models.split(","):
        embedder = make_embedder(model)
        for size in map(int, args.sizes.split(",")):
            with tempfile.TemporaryDirectory() as home:
                settings = IndexSettings(home=Path(home), chunk_tokens=size, chunk_overlap=size // 6)
                summary = run_index(ROOT / "data/corpus", settings, embedder)
                store = ChunkStore.open(settings)
                setups = (
                    ("dense", DenseOnly(store, embedder, None)),
                    ("dense+bm25", Retriever(store, embedder, None)),
                    ("dense+bm25+rerank", Retriever(store, embedder, reranker)),
                )
                for label, retriever in setups:
                    result = measure(retriever, questions)
                    row = {"model": model, "chunk_tokens": size, "chunks": summary.chunks_total, "retrieval": label}
                    rows.append({**row, **result})
                    print(json.dumps(rows[-1]), flush=True)
    print("\n| model | chunk tokens | chunks | retrieval | chunk MRR | fact recall@5 | doc hit@5 | ms/query |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['model']} | {r['chunk_tokens']} | {r['chunks']} | {r['retrieval']} | {r['chunk_mrr']} | "
            f"{r['fact_recall@5']} | {r['doc_hit@5']} | {r['ms_per_query']} |"
        )


if __name__ == "__main__":
    main()
