"""Index an office folder one format at a time with the shipped models: files, seconds, one question answered each.

Run: .venv/bin/python -m bench.office_formats [--out docs/office-formats.md]
The folder is tests/office_fixtures.build_office_folder (e-mail with attachments, a workbook, CSV
and TSV, a 20,000-row CSV export, a deck, scans and photos, and junk that must be skipped). Each
format is indexed into a fresh home with bge-small-en-v1.5 (OCR included, nothing cached), then
asked one question whose answer is only in that format, answered extractively with the
cross-encoder, and the first citation's document and location are printed.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from assistant.api import Assistant
from assistant.settings import Settings
from index.embed import make_embedder
from index.ingest import run_index
from index.settings import IndexSettings
from tests.office_fixtures import BIG_CSV_QUESTION, OFFICE_QUESTIONS, build_office_folder

HEADER = """# Office formats: files, seconds to index, one question answered each

Made by `bench/office_formats.py` (see its docstring): each format's files indexed alone into a
fresh index with bge-small-en-v1.5 (OCR included, nothing cached), then one question whose answer
is only in that format, answered extractively; "cited" is the first citation. Seconds are wall
time on 2 cores that other jobs shared (the 20,000-row CSV's embedding ran on about one core).

"""


def _copy(files: list[str], source: Path, target: Path) -> None:
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the table to this Markdown file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="office-formats-"))
    groups = build_office_folder(work / "project")
    questions = {fmt: (q, doc, label) for fmt, q, _, doc, label in reversed([*OFFICE_QUESTIONS, BIG_CSV_QUESTION])}
    embedder = make_embedder(IndexSettings().embed_model)
    lines = [
        "| format | files (skipped) | chunks | seconds to index | question | answer | cited |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for n, (fmt, files) in enumerate(groups.items()):
        folder = work / f"format-{n}"
        _copy(files, work / "project", folder)
        settings = IndexSettings(home=work / f"home-{n}")
        started = time.perf_counter()
        summary = run_index(folder, settings, embedder)
        seconds = time.perf_counter() - started
        question, expected_doc, expected_label = questions[fmt]
        bot = Assistant.from_settings(Settings(index=settings), answerer="extractive", embedder=embedder)
        answer = bot.ask(question)
        cited = answer.citations[0] if answer.citations else None
        where = f"{cited.doc_id}, {cited.location_label}" if cited else "(abstained)"
        right = cited is not None and (cited.doc_id, cited.location_label) == (expected_doc, expected_label)
        ok = "" if right else " (expected another)"
        text = " ".join(answer.text.split())[:110]
        skipped = ", ".join(s.path.rsplit("/", 1)[-1] for s in summary.skipped) or "none"
        lines.append(
            f"| {fmt} | {len(files)} ({skipped}) | {summary.chunks_total} | {seconds:.1f} | {question} | {text} "
            f"| {where}{ok} |"
        )
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    if args.out:
        args.out.write_text(HEADER + table + "\n")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
