"""Measure chunks/s of each bundled ONNX embedder (and the reranker) per batch size on this machine.

Run: .venv/bin/python -m bench.embed_speed [--passages 200]
Also prints how far batched vectors drift from one-at-a-time ones: int8 models that quantise
activations per batch give slightly different vectors depending on their batch mates.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable

import numpy as np

from assistant.retrieval.rerank import CrossEncoder
from index.embed import OnnxEmbedder
from index.models import load_tokenizer, resolve

BATCH_SIZES = (1, 8, 16, 32, 64)
_SUBJECTS = ["the committee", "the river authority", "our engineers", "the minister", "local farmers", "the report"]
_VERBS = ["reviewed", "postponed", "measured", "approved", "criticised", "described", "estimated", "rejected"]
_OBJECTS = [
    "the water budget for next year",
    "three bridges near the harbour",
    "energy prices in the north",
    "the schedule of repairs",
    "a shortage of trained nurses",
    "troop movements along the border",
    "the cost of 4,000 new homes",
    "emissions from older factories",
]
_TAILS = ["after a long debate", "in March 2023", "despite strong objections", "according to officials", "again"]


def synthetic_passages(n: int, seed: int = 7) -> list[str]:
    """n passages of ~250 BERT tokens (~180 words) of plausible, varied English."""
    rng = random.Random(seed)
    passages = []
    for _ in range(n):
        sentences = [
            f"{rng.choice(_SUBJECTS).capitalize()} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_TAILS)}."
            for _ in range(rng.randint(14, 19))
        ]
        passages.append(" ".join(sentences))
    return passages


def _measure(run: Callable[[int], np.ndarray], n: int, repeats: int) -> None:
    """Print items/s per batch size (best of `repeats`) and the drift from batch-1 results.

    Sizes are visited round-robin so a burst of load from another process hits them all alike.
    """
    best: dict[int, float] = dict.fromkeys(BATCH_SIZES, 0.0)
    results: dict[int, np.ndarray] = {}
    for _ in range(repeats):
        for size in BATCH_SIZES:
            start = time.perf_counter()
            results[size] = run(size)
            best[size] = max(best[size], n / (time.perf_counter() - start))
    for size in BATCH_SIZES:
        drift = float(np.abs(results[size] - results[1]).max())
        print(f"  batch {size:>2}: {best[size]:6.1f} /s   max |result - batch-1 result| = {drift:.4f}")
    fastest = max(best, key=lambda s: best[s])
    print(f"  fastest: batch {fastest} ({best[fastest]:.1f} /s)")


def bench_embedder(name: str, passages: list[str], repeats: int) -> None:
    embedder = OnnxEmbedder(resolve(name))
    embedder.embed_documents(passages[:4])  # open the session outside the timing
    tokenizer = load_tokenizer(embedder.model.tokenizer_path, embedder.model.max_tokens)
    tokens = [len(e.ids) for e in tokenizer.encode_batch(passages)]
    print(
        f"\n{name} (default batch {embedder.batch_size}): {len(passages)} passages, "
        f"mean {np.mean(tokens):.0f} tokens (cap {embedder.model.max_tokens}); chunks/s"
    )

    def run(size: int) -> np.ndarray:
        embedder.batch_size = size  # same session throughout: only the batching changes
        return embedder.embed_documents(passages)

    _measure(run, len(passages), repeats)


def bench_reranker(passages: list[str], repeats: int) -> None:
    encoder = CrossEncoder.bundled()
    query = "Which bridges near the harbour did the engineers approve?"
    encoder.score(query, passages[:4])
    print(f"\n{encoder.name} (default batch {encoder.batch_size}): {len(passages)} query+passage pairs; pairs/s")
    _measure(lambda size: encoder.score(query, passages, batch_size=size), len(passages), repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=2, help="best of N, against noise from other processes")
    parser.add_argument("--no-reranker", action="store_true")
    args = parser.parse_args()
    passages = synthetic_passages(args.passages)
    print(f"cores: {os.cpu_count()}")
    for name in ("bge-small-en-v1.5", "all-MiniLM-L6-v2"):
        bench_embedder(name, passages, args.repeats)
    if not args.no_reranker:
        bench_reranker(passages[:100], args.repeats)


if __name__ == "__main__":
    main()
