"""Benchmarks: `assistant bench` / `make bench`. Each section measures one thing and returns JSON.

Sections: indexing (the sample corpus: cold, unchanged, one file changed), answers (latency per
answerer, first token, prompt sizes), baseline (ours vs a plain llama-index pipeline on the same
questions), scale (generated corpora of ~1k, 10k, 100k chunks). `assistant.bench.run` runs the
chosen sections and writes `results.json` and `benchmarks.md`.
"""
