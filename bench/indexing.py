"""Indexing figures: cold index, unchanged re-index, one file changed; throughput; peak memory.

Each step runs the real `assistant index --json` in a fresh process, as a user runs it, on a
copy of the corpus with a fresh ASSISTANT_HOME; figures are medians over runs. Peak memory is
the child's own maximum resident set (os.wait4 gives one child's rusage; RUSAGE_CHILDREN would
be a running maximum over every child so far). A breakdown of the unchanged re-index splits
its wall time into interpreter start, imports, embedding-model load, the run and the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.context import BenchContext
from bench.report import num, table

RUNS = 3  # repetitions per step (quick: 1); the median is reported
STEP_TIMEOUT = 1800.0  # seconds; a step past this is killed (a stuck index lock, say) ...
SLOWEST_CHUNKS_PER_S = 5.0  # ... or, for a big corpus, past its chunks at this rate
STEPS = ("cold", "unchanged", "one_changed")
STEP_LABELS = {"cold": "cold (empty index)", "unchanged": "unchanged re-index", "one_changed": "one file changed"}
TEXT_SUFFIXES = (".txt", ".md", ".markdown")  # files a paragraph can be appended to safely
APPENDED = "\n\nOne more paragraph, added by the benchmark to change this file.\n"

# What `assistant index` does before run_index, timed inside one fresh process.
PROBE = """
import json, sys, time
t0 = time.perf_counter()
import assistant.cli, index.embed, index.ingest
t1 = time.perf_counter()
import chromadb
t2 = time.perf_counter()
index.embed.make_embedder(sys.argv[1])
t3 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "chromadb_import_s": t2 - t1, "embedder_load_s": t3 - t2}))
"""


@dataclass(frozen=True)
class Measured:
    """One child process: wall seconds, its own peak RSS, exit code and output."""

    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str
    stderr: str


# Linux records the memory high-water mark of the process that exec()s into a child's rusage, so a
# child started straight from a big process (pytest with models loaded, a bench run after the
# LLM) would report the parent's size. A tiny interpreter starts the command and reports its
# child's own figure.
_LAUNCH = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[1:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "sys.stderr.write('\\n" + "@@maxrss-kib %d\\n' % usage.ru_maxrss)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)
_MARK = "\n@@maxrss-kib "


def measure(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = STEP_TIMEOUT) -> Measured:
    """Run `argv` to completion; its own peak RSS, reported by a small launcher (see _LAUNCH)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCH, *argv], env=env, cwd=cwd, stdout=out, stderr=err)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text, errors = out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace")
    errors, _, kib = errors.rpartition(_MARK) if _MARK in errors else (errors, "", "0")
    return Measured(seconds, round(int(kib.split()[0] or 0) / 1024, 1), proc.returncode, text, errors)


def launcher() -> list[str]:
    """The installed `assistant` script next to this interpreter, else `python -m assistant.cli`."""
    script = Path(sys.executable).parent / "assistant"
    return [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]


def child_env(ctx: BenchContext, home: Path) -> dict[str, str]:
    """The user's environment with this run's index settings and a fresh home; never a server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "CHROMA_"))}
    index = ctx.settings.index
    env.update(
        {
            "ASSISTANT_HOME": str(home),
            "ASSISTANT_EMBED_MODEL": index.embed_model,
            "ASSISTANT_CHUNK_TOKENS": str(index.chunk_tokens),
            "ASSISTANT_CHUNK_OVERLAP": str(index.chunk_overlap),
            "ASSISTANT_MAX_FILE_MB": str(index.max_file_mb),
            "ANONYMIZED_TELEMETRY": "False",
            "HF_HUB_OFFLINE": "1",
        }
    )
    return env


# -- one run of the three steps ------------------------------------------------------
def index_step(ctx: BenchContext, corpus: Path, home: Path, chunks: int = 0) -> dict[str, Any]:
    """One `assistant index CORPUS --json` in a fresh process; raises RuntimeError if it fails.
    `chunks` (about how many the corpus makes) extends the time allowed: a 100k-chunk step takes
    over an hour, and the 30 minutes allowed a small one killed the first 100k run at 45k."""
    timeout = max(STEP_TIMEOUT, chunks / SLOWEST_CHUNKS_PER_S)
    # cwd is the scratch folder: a .env in the user's working folder must not redirect the run
    argv = [*launcher(), "index", str(corpus), "--json"]
    done = measure(argv, child_env(ctx, home), cwd=home.parent, timeout=timeout)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"`assistant index` exited {done.returncode}: " + " / ".join(tail))
    summary = json.loads(done.stdout)
    return {
        "wall_s": round(done.seconds, 3),
        "run_s": summary["seconds"],
        "peak_rss_mb": done.peak_rss_mb,
        "chunks_embedded": summary["chunks_embedded"],
        "chunks_total": summary["chunks_total"],
        "documents": {k: len(summary[k]) for k in ("added", "changed", "removed", "unchanged")},
        "skipped": len(summary["skipped"]),
    }


def change_one_file(corpus: Path) -> str | None:
    """Append a paragraph to the first plain-text document; its id, or None if there is none."""
    from index.scan import scan

    found, _ = scan(corpus)
    for item in found:
        if item.path.suffix.lower() in TEXT_SUFFIXES:
            with item.path.open("a", encoding="utf-8") as handle:
                handle.write(APPENDED)
            return item.doc_id
    return None


def one_run(ctx: BenchContext, folder: Path) -> dict[str, Any]:
    """Cold, unchanged and one-changed on a fresh copy of the corpus; {step: figures}."""
    corpus, home = folder / "corpus", folder / "home"
    shutil.copytree(ctx.corpus, corpus)
    steps = {"cold": index_step(ctx, corpus, home), "unchanged": index_step(ctx, corpus, home)}
    changed = change_one_file(corpus)
    if changed is not None:
        steps["one_changed"] = {**index_step(ctx, corpus, home), "file": changed}
    shutil.rmtree(folder)  # a large corpus copy per run adds up
    return steps


# -- start-up breakdown and token count ----------------------------------------------
def startup_probe(ctx: BenchContext) -> dict[str, float]:
    """Seconds for a bare interpreter, the index command's imports, chromadb's import, the model load."""
    env = child_env(ctx, ctx.work_dir / "probe-home")
    bare = measure([sys.executable, "-c", "pass"], env, cwd=ctx.work_dir)
    probe = measure([sys.executable, "-c", PROBE, ctx.settings.index.embed_model], env, cwd=ctx.work_dir)
    if probe.returncode != 0:
        raise RuntimeError(f"start-up probe failed: {probe.stderr.strip()[-300:]}")
    return {"interpreter_s": bare.seconds, **json.loads(probe.stdout)}


def chunk_tokens(ctx: BenchContext) -> tuple[int, int]:
    """(chunks, tokens) the indexer makes of the corpus: the same load/clean/chunk code, no store."""
    from index.errors import DocumentError
    from index.ingest import prepare
    from index.scan import scan

    found, _ = scan(ctx.corpus)
    chunks = tokens = 0
    for item in found:
        try:
            pieces = [piece for _, chunked in prepare(item, ctx.settings.index) for piece in chunked]
        except DocumentError:
            continue  # the indexer skips it too
        chunks += len(pieces)
        tokens += sum(piece.token_count for piece in pieces)
    return chunks, tokens


# -- the section ---------------------------------------------------------------------
def run(ctx: BenchContext) -> dict[str, Any]:
    """Medians per step over RUNS runs (quick: 1), throughput, peak RSS and the start-up breakdown."""
    runs = 1 if ctx.quick else RUNS
    results = []
    for number in range(1, runs + 1):
        ctx.progress(f"indexing: run {number}/{runs} (cold, unchanged, one file changed)")
        results.append(one_run(ctx, ctx.work_dir / f"run{number}"))
    ctx.progress("indexing: start-up breakdown and token count")
    probes = [startup_probe(ctx) for _ in range(runs)]
    chunks, tokens = chunk_tokens(ctx)
    steps = {step: _median_step([r[step] for r in results if step in r]) for step in STEPS if step in results[0]}
    return {
        "corpus": str(ctx.corpus),
        "runs": runs,
        "command": " ".join([Path(launcher()[0]).name, *launcher()[1:], "index", "CORPUS", "--json"]),
        "documents": results[0]["cold"]["documents"]["added"],
        "chunks": results[0]["cold"]["chunks_total"],
        "chunks_counted": chunks,
        "chunk_tokens": tokens,
        "steps": steps,
        "throughput": _throughput(steps["cold"], tokens),
        "unchanged_breakdown": _breakdown(steps["unchanged"], probes),
    }


def _median_step(runs: list[dict[str, Any]]) -> dict[str, Any]:
    first = runs[0]
    return {
        "wall_s": round(statistics.median(r["wall_s"] for r in runs), 3),
        "run_s": round(statistics.median(r["run_s"] for r in runs), 3),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "wall_s_each": [r["wall_s"] for r in runs],
        "chunks_embedded": first["chunks_embedded"],
        "chunks_total": first["chunks_total"],
        "documents": first["documents"],
        **({"file": first["file"]} if "file" in first else {}),
    }


def _throughput(cold: dict[str, Any], tokens: int) -> dict[str, float | None]:
    """Chunks and tokens per second inside the run (embedding and storing), and over the whole command."""
    embedded, run_s, wall_s = cold["chunks_embedded"], cold["run_s"], cold["wall_s"]
    share = embedded / cold["chunks_total"] if cold["chunks_total"] else 0.0
    return {
        "chunks_per_s": round(embedded / run_s, 1) if run_s else None,
        "tokens_per_s": round(tokens * share / run_s, 1) if run_s else None,
        "chunks_per_s_wall": round(embedded / wall_s, 1) if wall_s else None,
    }


def _breakdown(unchanged: dict[str, Any], probes: list[dict[str, float]]) -> dict[str, float]:
    """The unchanged re-index's wall time split; `other_s` is what none of the parts explain."""
    parts = {key: round(statistics.median(p[key] for p in probes), 3) for key in probes[0]}
    parts["run_s"] = unchanged["run_s"]  # Chroma is not opened when the snapshot matches
    parts["wall_s"] = unchanged["wall_s"]
    explained = parts["interpreter_s"] + parts["imports_s"] + parts["embedder_load_s"] + parts["run_s"]
    parts["other_s"] = round(max(0.0, parts["wall_s"] - explained), 3)
    return parts


def markdown(result: dict[str, Any]) -> str:
    """## Indexing: a table per step, throughput, and where the unchanged re-index spends its time."""
    steps, speed, parts = result["steps"], result["throughput"], result["unchanged_breakdown"]
    rows = [
        (STEP_LABELS[name], s["wall_s"], s["run_s"], s["chunks_embedded"], s["peak_rss_mb"])
        for name, s in steps.items()
    ]
    lines = [
        "## Indexing",
        "",
        f"`{result['command']}` on a copy of `{result['corpus']}` ({result['documents']} documents, "
        f"{result['chunks']} chunks, {result['chunk_tokens']} chunk tokens); each step in a fresh process, "
        f"median of {result['runs']} run(s).",
        "",
        table(["step", "whole command s", "inside the run s", "chunks embedded", "peak RSS MB"], rows),
        "",
        f"Cold throughput inside the run: {num(speed['chunks_per_s'])} chunks/s, {num(speed['tokens_per_s'])} "
        f"tokens/s ({num(speed['chunks_per_s_wall'])} chunks/s over the whole command).",
        "",
        f"Where an unchanged re-index spends its {num(parts['wall_s'])} s: interpreter start "
        f"{num(parts['interpreter_s'])} s, imports {num(parts['imports_s'])} s, embedding model load "
        f"{num(parts['embedder_load_s'])} s, the run itself {num(parts['run_s'])} s, the rest (settings, output, "
        f"exit) {num(parts['other_s'])} s. The run hashes the files and compares them with the local manifest "
        f"snapshot (index/snapshot.py); opening Chroma instead would add {num(parts['chromadb_import_s'])} s "
        "for importing chromadb alone.",
    ]
    return "\n".join(lines)
