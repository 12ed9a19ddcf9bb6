"""SIGKILL while embedding: the next run brings the index to exactly the right state."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from index.settings import IndexSettings
from index.store import ChunkStore
from tests.cli_helpers import ASSISTANT, ROOT, env_for, run_json

pytestmark = pytest.mark.slow

TOPICS = ["convoy", "airbase", "pipeline", "harbour", "bridge", "checkpoint", "depot", "refinery"]


def make_corpus(root: Path, docs: int = 30, paragraphs: int = 8) -> None:
    rng = random.Random(7)
    for d in range(docs):
        lines = []
        for p in range(paragraphs):
            topic = rng.choice(TOPICS)
            words = " ".join(rng.choice(TOPICS + ["the", "said", "officials", "on", "Monday"]) for _ in range(40))
            lines.append(f"Report {d}.{p} on the {topic}: {words}. The count was {rng.randint(10, 9999)}.")
        (root / f"doc{d:03}.txt").write_text("\n\n".join(lines) + "\n")


def kill_while_embedding(env: dict[str, str], corpus: Path, after_chunks: int) -> None:
    proc = subprocess.Popen(
        [*ASSISTANT, "index", str(corpus), "--progress"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    buffer = ""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        char = proc.stderr.read(1)
        if not char:
            break
        buffer += char
        if char in "\r\n" and _progress(buffer) >= after_chunks:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _progress(buffer) >= after_chunks, f"never reached {after_chunks} chunks; stderr:\n{buffer[-2000:]}"


def _progress(text: str) -> int:
    import re

    counts = [int(m) for m in re.findall(r"\| *(\d+)/\d+", text)]
    return max(counts, default=0)


def contents(home: Path) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    store = ChunkStore.open(IndexSettings(home=home))
    chunks = {cid: (meta["doc_id"], text) for cid, meta, text in store.iter_chunks()}
    manifest = {doc: rec.content_hash + rec.pending for doc, rec in store.manifest().items()}
    return chunks, manifest


def test_sigkill_mid_embedding_then_rerun_gives_the_exact_index(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_corpus(corpus)
    env = env_for(tmp_path / "home")
    kill_while_embedding(env, corpus, after_chunks=40)
    code, summary = run_json(["index", str(corpus)], env)
    assert code == 0
    assert summary["chunks_embedded"] < summary["chunks_total"], "chunks written before the kill are reused"

    reference = env_for(tmp_path / "reference")
    run_json(["index", str(corpus)], reference)
    recovered_chunks, recovered_manifest = contents(tmp_path / "home")
    expected_chunks, expected_manifest = contents(tmp_path / "reference")
    assert recovered_chunks == expected_chunks, "no duplicate, orphan or lost chunk"
    assert recovered_manifest == expected_manifest, "no document left pending"


def test_sigkill_during_an_update_run(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    make_corpus(corpus, docs=20)
    env = env_for(tmp_path / "home")
    run_json(["index", str(corpus)], env)
    for path in sorted(corpus.iterdir())[:12]:  # change many, remove some, add some
        path.write_text(path.read_text().replace("the", "a"))
    for path in sorted(corpus.iterdir())[15:]:
        path.unlink()
    make_corpus_extra = corpus / "extra.txt"
    make_corpus_extra.write_text("A new report about the harbour.\n")
    kill_while_embedding(env, corpus, after_chunks=20)
    code, _ = run_json(["index", str(corpus)], env)
    assert code == 0
    reference = env_for(tmp_path / "reference")
    run_json(["index", str(corpus)], reference)
    assert contents(tmp_path / "home") == contents(tmp_path / "reference")
