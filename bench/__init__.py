"""Benchmarks of this product on this machine: `make bench` / `python -m bench` (from the repository's root).

Not part of the product: this package is not installed with it (pyproject.toml lists only
assistant, index and ui), and it uses only the product's public functions.

Sections, each a module with `run(ctx) -> dict` and `markdown(result) -> str`: indexing (the
sample corpus: cold, unchanged, one file changed), answers (latency per answerer, first token,
prompt sizes), baseline (ours vs a plain llama-index pipeline on the same questions), scale
(generated corpora of ~1k, 10k, 100k chunks). `bench.run` runs the chosen sections and writes
`results.json` and `benchmarks.md`; `bench.synth` generates the look-alike corpora.

Studies behind docs/choices.md, each `python -m bench.NAME`: calibrate (the answer-or-abstain
calibration), choose (embedding model and chunk size), embed_speed, rerank_variants,
ocr_engines, office_formats.
"""
