"""The benchmark runner: sections run in order, failures are recorded, both files are written; CLI errors."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from bench.context import BenchContext
from bench.run import SECTIONS, build_parser, main, render, reproduce_command, run_bench
from index.errors import ConfigError
from tests.conftest import SAMPLE_CORPUS, SAMPLE_QUESTIONS, write

STUBS = {
    "bench_stub_ok": """
def run(ctx):
    (ctx.work_dir / "scratch.txt").write_text("written")
    return {"value": 42, "work_dir": str(ctx.work_dir), "quick": ctx.quick}

def markdown(result):
    return "## Stub ok\\n\\nvalue " + str(result["value"])
""",
    "bench_stub_boom": """
def run(ctx):
    raise RuntimeError("boom: the stub section failed")

def markdown(result):
    return "## never shown"
""",
    "bench_stub_badjson": """
def run(ctx):
    return {"when": object()}

def markdown(result):
    return "## never shown"
""",
    "bench_stub_interrupted": """
def run(ctx):
    raise KeyboardInterrupt

def markdown(result):
    return "## never shown"
""",
    "bench_stub_badmd": """
def run(ctx):
    return {"value": 1}

def markdown(result):
    raise KeyError("no such figure")
""",
}


@pytest.fixture
def stubs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Section name -> module, for real modules on sys.path (imported by name, as the real ones are)."""
    folder = tmp_path / "stubs"
    for name, code in STUBS.items():
        write(folder / f"{name}.py", code)
        monkeypatch.delitem(sys.modules, name, raising=False)
    monkeypatch.syspath_prepend(str(folder))
    return {
        "ok": "bench_stub_ok",
        "missing": "bench_stub_not_written_yet",
        "boom": "bench_stub_boom",
        "badjson": "bench_stub_badjson",
        "badmd": "bench_stub_badmd",
        "interrupted": "bench_stub_interrupted",
    }


def context(tmp_path: Path, lines: list[str]) -> BenchContext:
    return BenchContext(
        Settings(),
        SAMPLE_CORPUS,
        SAMPLE_QUESTIONS,
        tmp_path / "work",
        answerers=("extractive",),
        quick=True,
        progress=lines.append,
    )


def test_runner_records_failures_and_writes_both_files(tmp_path: Path, stubs: dict[str, str]) -> None:
    lines: list[str] = []
    out = tmp_path / "out"
    wanted = [
        "badmd",
        "boom",
        "ok",
        "missing",
        "badjson",
    ]  # not "interrupted"  # asked out of order: run in the registry's order
    result = run_bench(context(tmp_path, lines), wanted, out=out, command="python -m bench --quick", modules=stubs)

    assert list(result["sections"]) == ["ok", "missing", "boom", "badjson", "badmd"]
    on_disk = json.loads((out / "results.json").read_text())
    assert on_disk == json.loads(json.dumps(result)) and on_disk["complete"] is True
    ok, missing, boom, badjson, badmd = (on_disk["sections"][n] for n in result["sections"])
    assert ok["status"] == "ok" and ok["result"]["value"] == 42 and ok["result"]["quick"] is True
    assert Path(ok["result"]["work_dir"]) == tmp_path / "work" / "ok"  # each section gets its own scratch
    assert (tmp_path / "work" / "ok" / "scratch.txt").read_text() == "written"
    assert missing["status"] == "error" and missing["error"].startswith("ModuleNotFoundError")
    assert boom["status"] == "error" and boom["error"] == "RuntimeError: boom: the stub section failed"
    assert "raise RuntimeError" in boom["traceback"]
    assert badjson["status"] == "error" and "TypeError" in badjson["error"]
    assert badmd["status"] == "ok"  # the figures are kept even when rendering them fails
    assert all(record["seconds"] >= 0 for record in on_disk["sections"].values())

    head = on_disk["header"]
    assert head["command"] == "python -m bench --quick" and head["quick"] is True
    assert head["machine"]["cores"] >= 1 and head["machine"]["python"].count(".") == 2
    assert re.fullmatch(r"[0-9a-f]{4,40}(\+dirty)?", head["git_commit"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", head["when"])
    assert head["settings"]["embed_model"] == Settings().index.embed_model
    assert head["settings"]["answerers"] == ["extractive"] and head["sections"] == list(result["sections"])

    md = (out / "benchmarks.md").read_text()
    assert md.startswith("# Benchmarks\n") and "python -m bench --quick" in md and "cores" in md
    assert "## Stub ok\n\nvalue 42" in md and "## never shown" not in md
    for title in ("## Missing", "## Boom", "## Badjson", "## Badmd"):
        assert title + "\n\nNot measured:" in md
    assert "boom: the stub section failed" in md and "markdown failed: KeyError" in md
    assert md.index("## Stub ok") < md.index("## Missing") < md.index("## Boom")
    assert len([line for line in lines if "FAILED" in line]) == 3 and len(lines) == 10


def test_an_interrupted_run_keeps_the_sections_it_finished(tmp_path: Path, stubs: dict[str, str]) -> None:
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_bench(context(tmp_path, []), ["ok", "interrupted"], out=out, modules=stubs)
    result = json.loads((out / "results.json").read_text())
    assert list(result["sections"]) == ["ok"] and result["complete"] is False
    md = (out / "benchmarks.md").read_text()
    assert "## Stub ok" in md and "Interrupted: the sections not listed did not run." in md


def test_render_rebuilds_the_report_from_results_json(tmp_path: Path, stubs: dict[str, str]) -> None:
    out = tmp_path / "out"
    run_bench(context(tmp_path, []), ["ok"], out=out, modules=stubs)
    again = render(json.loads((out / "results.json").read_text()), stubs)
    assert again == (out / "benchmarks.md").read_text()


def test_unknown_section_is_a_config_error(tmp_path: Path, stubs: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="choose from: ok, missing"):
        run_bench(context(tmp_path, []), ["ok", "nope"], out=tmp_path / "out", modules=stubs)
    assert not (tmp_path / "out").exists()


# -- the command's arguments -------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--sections", "indexing,nope"], "unknown: nope; give a comma-separated list of: indexing, answers"),
        (["--sections", ","], "empty list"),
        (["--answerers", "extractive,gpt5"], "unknown: gpt5"),
        (["--scales", "1000,0"], "must be at least 1, got 0"),
        (["--scales", "1k"], "expected a whole number, got '1k'"),
        (["--max-embed", "-5"], "must be at least 1"),
    ],
)
def test_bad_arguments_are_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "python -m bench" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--corpus", "{tmp}/no-such-folder"], "no corpus folder at {tmp}/no-such-folder; pass --corpus DIR"),
        (["--sections", "answers", "--questions", "{tmp}/none.jsonl"], "no question set at {tmp}/none.jsonl"),
        (["--out", "{tmp}/a-file"], "is a file; give a folder"),
    ],
)
def test_bad_paths_fail_before_any_work(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "a-file", "not a folder")
    argv = [a.format(tmp=tmp_path) for a in argv]
    code = main(["--corpus", str(SAMPLE_CORPUS), "--out", str(tmp_path / "out"), *argv])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message.format(tmp=tmp_path) in err
    assert not (tmp_path / "out").exists()


def test_reproduce_command_parses_back_to_the_same_choices() -> None:
    parser = build_parser()
    argv = ["--sections", "scale,indexing", "--quick", "--scales", "1_000,5000", "--answerers", "local"]
    args = parser.parse_args(argv)
    settings = Settings().with_(index=Settings().index.with_(embed_model="hashing", chunk_tokens=128))
    command = reproduce_command(args, settings).split()
    assert command[:2] == ["ASSISTANT_EMBED_MODEL=hashing", "ASSISTANT_CHUNK_TOKENS=128"]
    assert command[2:5] == ["python", "-m", "bench"]
    again = parser.parse_args(command[5:])
    keep = ("sections", "quick", "scales", "answerers", "max_embed", "questions", "out")
    assert {k: getattr(again, k) for k in keep} == {k: getattr(args, k) for k in keep}
    assert again.sections == ("scale", "indexing") and again.scales == (1000, 5000)


def test_defaults_name_every_section() -> None:
    args: Any = build_parser().parse_args([])
    assert args.sections == tuple(SECTIONS)
    assert SECTIONS.keys() == {"indexing", "answers", "baseline", "scale", "embed-throughput", "load", "faults"}
    assert args.out == "bench/results" and args.quick is False and args.answerers == ("extractive", "local")
