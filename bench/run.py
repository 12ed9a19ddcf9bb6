"""`python -m bench`: run the chosen sections, time each, write results.json and benchmarks.md.

Each section is a module with `run(ctx) -> dict` and `markdown(result) -> str`, imported by
name when it runs: a section that is missing or fails is recorded as an error (type, message,
traceback) and shown as such in the report; the other sections still run.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.answering.llm import forget_local
from assistant.settings import ANSWERERS, Settings
from bench.context import BenchContext, machine
from bench.report import error_section, table
from index.errors import AssistantError, ConfigError
from index.settings import IndexSettings

# Section name -> module, in the order they run (cheap and most-asked-about first).
SECTIONS: dict[str, str] = {
    "indexing": "bench.indexing",
    "answers": "bench.answers",
    "baseline": "bench.baseline",
    "scale": "bench.scale",
    "embed-throughput": "bench.embed_throughput",  # one text per call against batches, in one run
    "load": "bench.load",  # 8 chat sessions through gradio_client, extractive then local
    "faults": "bench.faults",  # each fault with the real component
}
USES_QUESTIONS = ("answers", "baseline")
DEFAULT_OUT = "bench/results"
DEFAULT_QUESTIONS = "data/questions/sample.jsonl"
ROOT = Path(__file__).resolve().parents[1]


# -- running -------------------------------------------------------------------------
def run_bench(
    ctx: BenchContext,
    sections: Sequence[str] = tuple(SECTIONS),
    *,
    out: Path,
    command: str = "",
    modules: Mapping[str, str] = SECTIONS,
) -> dict[str, Any]:
    """Run `sections` (in the order of `modules`), write `out`/results.json and `out`/benchmarks.md.

    Returns the results (what results.json holds). Raises ConfigError for an unknown section
    name; a section that fails is recorded, never raised.
    """
    unknown = [name for name in sections if name not in modules]
    if unknown:
        raise ConfigError(f"unknown section(s) {', '.join(unknown)}; choose from: {', '.join(modules)}")
    chosen = [name for name in modules if name in sections]
    result: dict[str, Any] = {
        "header": header(ctx, chosen, command),
        "sections": {},
        "seconds": 0.0,
        "complete": not chosen,
    }
    started = time.perf_counter()
    write_results(result, out, modules)
    for number, name in enumerate(chosen, 1):
        ctx.progress(f"[{number}/{len(chosen)}] {name}: running")
        record = run_section(modules[name], replace(ctx, work_dir=ctx.work_dir / name))
        forget_local()  # the next section loads (and measures) its own local model
        gc.collect()
        result["sections"][name] = record
        result["seconds"] = round(time.perf_counter() - started, 2)
        result["complete"] = number == len(chosen)
        write_results(result, out, modules)  # after each section: an interrupted run keeps what it measured
        outcome = "done" if record["status"] == "ok" else f"FAILED ({record['error']})"
        ctx.progress(f"[{number}/{len(chosen)}] {name}: {outcome} in {record['seconds']:.1f} s")
    return result


def run_section(module_name: str, ctx: BenchContext) -> dict[str, Any]:
    """{"status": "ok", "seconds", "result"} or {"status": "error", "seconds", "error", "traceback"}."""
    started = time.perf_counter()
    try:
        ctx.work_dir.mkdir(parents=True, exist_ok=True)
        section = importlib.import_module(module_name)
        data = section.run(ctx)
        json.dumps(data)  # the interface promises JSON; fail here, not when writing the file
    except Exception as exc:  # a broken section must not take the others down
        return {
            "status": "error",
            "seconds": round(time.perf_counter() - started, 2),
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=-8),
        }
    return {"status": "ok", "seconds": round(time.perf_counter() - started, 2), "result": data}


def header(ctx: BenchContext, sections: Sequence[str], command: str) -> dict[str, Any]:
    """What a reader needs to compare figures: machine, code, time, command and settings."""
    return {
        "machine": machine(),
        "git_commit": git_commit(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "sections": list(sections),
        "quick": ctx.quick,
        "settings": {
            "embed_model": ctx.settings.index.embed_model,
            "chunk_tokens": ctx.settings.index.chunk_tokens,
            "chunk_overlap": ctx.settings.index.chunk_overlap,
            "answerers": list(ctx.answerers),
            "corpus": str(ctx.corpus),
            "questions": str(ctx.questions),
            "scales": list(ctx.scales),
            "max_embed_chunks": ctx.max_embed_chunks,
        },
    }


def git_commit(cwd: Path = ROOT) -> str | None:
    """The short commit, with "+dirty" when tracked or new files differ from it; None outside git."""
    try:
        head = _git(["rev-parse", "--short", "HEAD"], cwd)
        dirty = _git(["status", "--porcelain"], cwd)  # ignored files (bench/results) do not count
    except (OSError, subprocess.SubprocessError):
        return None
    return None if head is None else head + ("+dirty" if dirty else "")


def _git(args: list[str], cwd: Path) -> str | None:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10)
    return done.stdout.strip() if done.returncode == 0 else None


# -- writing -------------------------------------------------------------------------
def write_results(result: dict[str, Any], out: Path, modules: Mapping[str, str] = SECTIONS) -> tuple[Path, Path]:
    """Write results.json and benchmarks.md into `out` (created); return both paths."""
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / "results.json", out / "benchmarks.md"
    json_path.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render(result, modules), encoding="utf-8")
    return json_path, md_path


def render(result: Mapping[str, Any], modules: Mapping[str, str] = SECTIONS) -> str:
    """The whole Markdown report: title, machine, reproduce command, section times, sections."""
    head = result["header"]
    parts = [_intro(head), _overview(result)]
    for name, record in result["sections"].items():
        parts.append(_section_markdown(name, record, modules.get(name, "")))
    return "\n\n".join(parts) + "\n"


def _intro(head: Mapping[str, Any]) -> str:
    box, conf = head["machine"], head["settings"]
    kind = "quick run (smallest sizes, one repetition)" if head.get("quick") else "full run"
    return "\n".join(
        [
            "# Benchmarks",
            "",
            f"Measured {head['when']} at commit `{head.get('git_commit') or 'unknown'}`, {kind}.",
            "",
            f"Machine: {box['cores']} cores, {box['memory_gib']} GiB memory, {box['cpu']}; "
            f"Python {box['python']} on {box['system']}.",
            "",
            f"Settings: embedding model `{conf['embed_model']}`, chunks of {conf['chunk_tokens']} tokens "
            f"(overlap {conf['chunk_overlap']}), answerers {', '.join(conf['answerers'])}.",
            "",
            "Reproduce:",
            "",
            "```sh",
            head.get("command") or "python -m bench",
            "```",
        ]
    )


def _overview(result: Mapping[str, Any]) -> str:
    rows = [
        (name, "ok" if r["status"] == "ok" else f"failed: {r['error']}", r["seconds"])
        for name, r in result["sections"].items()
    ]
    total = f"\n\nTotal: {result.get('seconds', 0):.1f} s."
    if not result.get("complete", True):
        total += " Interrupted: the sections not listed did not run."
    return table(["section", "status", "seconds"], rows) + total


def _section_markdown(name: str, record: Mapping[str, Any], module_name: str) -> str:
    title = name.capitalize()
    if record["status"] != "ok":
        return error_section(title, record["error"])
    try:
        return str(importlib.import_module(module_name).markdown(record["result"])).strip()
    except Exception as exc:  # the figures are in results.json even when their rendering fails
        return error_section(title, f"markdown failed: {type(exc).__name__}: {exc}")


# -- the command ---------------------------------------------------------------------
def _name_list(choices: Sequence[str]) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
        bad = [n for n in names if n not in choices]
        if not names or bad:
            what = f"unknown: {', '.join(bad)}" if bad else "empty list"
            raise argparse.ArgumentTypeError(f"{what}; give a comma-separated list of: {', '.join(choices)}")
        return names

    return parse


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_ints(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("empty list; give chunk counts such as 1000,10000,100000")
    return tuple(_positive_int(p) for p in parts)


def add_bench_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `python -m bench`."""
    defaults = BenchContext(Settings(), Path(), Path(), Path())
    add = parser.add_argument
    add(
        "--sections",
        type=_name_list(tuple(SECTIONS)),
        default=tuple(SECTIONS),
        help=f"comma-separated, run in this order: {','.join(SECTIONS)} (default: all)",
    )
    add("--quick", action="store_true", help="smallest sizes, one repetition: a smoke run of every step")
    add("--out", default=DEFAULT_OUT, metavar="DIR", help=f"where results.json and benchmarks.md go ({DEFAULT_OUT})")
    add(
        "--answerers",
        type=_name_list(ANSWERERS),
        default=defaults.answerers,
        help=f"answerers to time (default: {','.join(defaults.answerers)})",
    )
    add(
        "--scales",
        type=_positive_ints,
        default=defaults.scales,
        metavar="N,N,...",
        help=f"chunk counts for the scale section (default: {','.join(map(str, defaults.scales))})",
    )
    add(
        "--max-embed",
        type=_positive_int,
        default=defaults.max_embed_chunks,
        metavar="N",
        help=f"embed at most N chunks per scale point (default {defaults.max_embed_chunks}), extrapolate beyond",
    )
    add("--questions", default=DEFAULT_QUESTIONS, metavar="FILE", help=f"question set (default {DEFAULT_QUESTIONS})")
    add("--corpus", metavar="DIR", help="corpus to index and ask about (default: ASSISTANT_CORPUS, data/corpus)")
    add("--progress", action="store_true", help="print a line per step on stderr even when not on a terminal")


def reproduce_command(args: argparse.Namespace, settings: Settings) -> str:
    """The command line that repeats this run, every choice spelled out (defaults may change)."""
    env = [f"{name}={value}" for name, value in _shaping_env(settings.index)]
    argv = [
        "python", "-m", "bench", "--sections", ",".join(args.sections), "--answerers", ",".join(args.answerers),
        "--scales", ",".join(map(str, args.scales)), "--max-embed", str(args.max_embed),
        "--questions", str(args.questions), "--corpus", str(args.corpus or settings.corpus), "--out", str(args.out),
    ]  # fmt: skip
    return shlex.join([*env, *argv, *(["--quick"] if args.quick else [])])


def _shaping_env(index: IndexSettings) -> list[tuple[str, Any]]:
    """Index settings that differ from the defaults, as the variables that set them."""
    default = IndexSettings()
    pairs = [
        ("ASSISTANT_EMBED_MODEL", "embed_model"),
        ("ASSISTANT_CHUNK_TOKENS", "chunk_tokens"),
        ("ASSISTANT_CHUNK_OVERLAP", "chunk_overlap"),
    ]
    return [(var, getattr(index, attr)) for var, attr in pairs if getattr(index, attr) != getattr(default, attr)]


def make_context(args: argparse.Namespace, settings: Settings, work_dir: Path) -> BenchContext:
    """Check the paths (ConfigError / QuestionSetError saying what to pass) and build the context."""
    from assistant.evaluation.questions import load_questions

    corpus = Path(args.corpus) if args.corpus else settings.corpus
    if not corpus.is_dir():
        raise ConfigError(f"no corpus folder at {corpus}; pass --corpus DIR or set ASSISTANT_CORPUS")
    questions = Path(args.questions)
    if any(name in USES_QUESTIONS for name in args.sections):
        load_questions(questions)  # a bad set fails now, not after the indexing section
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file; give a folder for results.json and benchmarks.md")
    verbose = args.progress or sys.stderr.isatty()
    return BenchContext(
        settings=_with_local_model(settings, args.answerers),
        corpus=corpus.resolve(),
        questions=questions.resolve(),
        work_dir=work_dir,
        answerers=tuple(args.answerers),
        quick=args.quick,
        scales=tuple(args.scales),
        max_embed_chunks=args.max_embed,
        progress=(lambda line: print(line, file=sys.stderr, flush=True)) if verbose else (lambda _line: None),
    )


def _with_local_model(settings: Settings, answerers: Sequence[str]) -> Settings:
    """Pin the local GGUF to the user's copy: sections index into fresh homes under work_dir,
    where the bundled model would otherwise be assembled again (1.1 GB) for each of them."""
    if settings.local_model is not None or not {"local", "auto"} & set(answerers):
        return settings
    from assistant.answering.local_model import bundled_available, local_model_path

    return settings.with_(local_model=local_model_path(settings)) if bundled_available(settings) else settings


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    """Run the benchmarks: print the report and where it went; 1 when a section failed."""
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as tmp:
        ctx = make_context(args, settings, Path(tmp))
        try:
            result = run_bench(ctx, args.sections, out=out, command=reproduce_command(args, settings))
        except KeyboardInterrupt:
            print(f"interrupted; the sections that finished are in {out / 'benchmarks.md'}", file=sys.stderr)
            return 130
    print((out / "benchmarks.md").read_text(encoding="utf-8"))
    print(f"Wrote {out / 'results.json'} and {out / 'benchmarks.md'} in {result['seconds']:.0f} s")
    failed = [name for name, r in result["sections"].items() if r["status"] != "ok"]
    for name in failed:
        print(f"section {name} failed: {result['sections'][name]['error']}", file=sys.stderr)
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    """The parser of `python -m bench` (run from the repository's root: bench is not installed)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure indexing, answer latency, a plain llama-index baseline and scale; write a report.",
    )
    add_bench_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `python -m bench` and `make bench`; returns the exit code (2: bad arguments)."""
    from dotenv import load_dotenv

    args = build_parser().parse_args(argv)
    load_dotenv(Path.cwd() / ".env", override=False)  # as `assistant` does: the real environment wins
    try:
        return cmd_bench(args, Settings.from_env(os.environ))
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
