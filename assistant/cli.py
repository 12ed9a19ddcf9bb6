"""The `assistant` command: index, status, doctor (and, as they land, ask, chat, eval, ui)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.settings import ANSWERERS, Settings
from index.errors import AssistantError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _settings() -> Settings:
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env", override=False)  # the real environment wins over .env
    return Settings.from_env(os.environ)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


# -- index ---------------------------------------------------------------------
def _progress_bar(enabled: bool) -> Callable[[int], Callable[[int], Any]]:
    def start(total: int) -> Callable[[int], Any]:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="chunk", desc="Embedding", disable=not enabled or total == 0, file=sys.stderr)
        return bar.update

    return start


def _with_collection(settings: Settings, name: str | None) -> Settings:
    """`settings` on collection `name` (validated like ASSISTANT_COLLECTION); unchanged when None."""
    if not name:
        return settings
    index = settings.index.with_(collection=name)
    index.validate()
    return settings.with_(index=index)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    from index.embed import make_embedder
    from index.ingest import run_index
    from index.status import remember_folder

    if args.explain:
        return _explain(Path(args.explain), settings)
    settings = _with_collection(settings, args.collection)
    root = Path(args.path) if args.path else settings.corpus
    embedder = make_embedder(settings.index)
    summary = run_index(
        root,
        settings.index,
        embedder,
        dry_run=args.dry_run,
        rebuild=args.rebuild,
        progress=_progress_bar(not args.json and sys.stderr.isatty() or args.progress),
    )
    if not summary.dry_run:
        remember_folder(settings.index, root)  # the chat window opens cited files from this folder
    if args.json:
        _print_json(summary.to_dict())
    else:
        from assistant.report import format_index_summary

        print(format_index_summary(summary, root))
    nothing_indexed = not summary.dry_run and summary.chunks_total == 0
    return EXIT_FAILED if nothing_indexed else EXIT_OK


def _explain(path: Path, settings: Settings) -> int:
    from index.clean import clean, explain
    from index.load import load_documents
    from index.ocr import Ocr

    max_bytes = int(settings.index.max_file_mb * 2**20)
    raws = load_documents(path, path.name, max_bytes=max_bytes, ocr=Ocr.from_settings(settings.index))
    print("\n\n".join(explain(clean(raw)) for raw in raws))  # an e-mail, then its attachments
    return EXIT_OK


# -- status and doctor -----------------------------------------------------------
def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from index.status import format_collections, format_status, index_status, list_collections

    settings = _with_collection(settings, args.collection)
    status = index_status(settings.index)
    status["answerer"] = settings.answerer
    status["collections"] = list_collections(settings.index)
    if args.json:
        _print_json(status)
    else:
        print(format_status(status))
        print(f"Answerer:   {settings.answerer}")
        print(format_collections(status["collections"]))
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.doctor import format_checks, run_checks

    checks = run_checks(settings)
    if args.json:
        _print_json([c.to_dict() for c in checks])
    else:
        print(format_checks(checks))
    return EXIT_FAILED if any(c.status == "fail" for c in checks) else EXIT_OK


# -- ask -----------------------------------------------------------------------
def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.api import Assistant
    from assistant.report import format_answer

    assistant = Assistant.from_settings(settings, answerer=args.answerer)
    answer = assistant.ask(args.question, filters=args.source or None, k=args.k)
    if args.json:
        _print_json(answer.to_dict())
    else:
        print(format_answer(answer))
        if args.explain:
            from assistant.report import format_decision

            print("\n" + format_decision(answer.decision))
    return EXIT_OK


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.api import Assistant
    from assistant.report import format_answer

    session = Assistant.from_settings(settings, answerer=args.answerer).chat(filters=args.source or None)
    print("Ask about your documents. An empty line or Ctrl-D quits.")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            print(format_answer(session.ask(question)))
        except AssistantError as exc:
            print(f"error: {exc}")
    return EXIT_OK


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    from ui.app import cmd_ui as run_ui

    return run_ui(args, settings)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.cli import cmd_eval as run_eval

    return run_eval(args, settings)


def cmd_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.calibrate import cmd_calibrate as run_calibrate

    return run_calibrate(args, settings)


# -- parser --------------------------------------------------------------------
class _LazyParser(argparse.ArgumentParser):
    """A subcommand whose options are added when that subcommand is parsed: `ui`, `eval` and
    `calibrate` define theirs next to heavy imports (gradio, the models), which `assistant index`
    should not pay for (~0.25 s)."""

    _fill: Callable[[argparse.ArgumentParser], None] | None = None

    def fill_with(self, adder: Callable[[argparse.ArgumentParser], None]) -> None:
        self._fill = adder

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        fill, self._fill = self._fill, None
        if fill is not None:
            fill(self)
        return super().parse_known_args(args, namespace)


def _options_from(module: str, adder: str) -> Callable[[argparse.ArgumentParser], None]:
    """A filler for _LazyParser: `module.adder(parser)`, imported when first called."""

    def fill(parser: argparse.ArgumentParser) -> None:
        getattr(importlib.import_module(module), adder)(parser)

    return fill


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Question answering over your documents, with citations. Offline by default.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_LazyParser)

    index = sub.add_parser("index", help="index a folder of documents (incremental, idempotent)")
    index.add_argument("path", nargs="?", help="folder to index (default: ASSISTANT_CORPUS, data/corpus)")
    index.add_argument(
        "--rebuild", action="store_true", help="drop the index and build it again with the current settings"
    )
    index.add_argument(
        "--dry-run", action="store_true", help="list what would be added, changed, removed and left alone"
    )
    index.add_argument("--json", action="store_true", help="print the run's summary as one JSON object")
    index.add_argument("--progress", action="store_true", help="show the progress bar even when not on a terminal")
    index.add_argument("--explain", metavar="FILE", help="show what cleaning removes from FILE, index nothing")
    index.add_argument(
        "--collection", metavar="NAME", help="index into this collection (default ASSISTANT_COLLECTION, documents)"
    )
    index.set_defaults(handler=cmd_index)

    status = sub.add_parser("status", help="what is indexed: documents, chunks, model, store")
    status.add_argument("--json", action="store_true")
    status.add_argument("--collection", metavar="NAME", help="describe this collection (default ASSISTANT_COLLECTION)")
    status.set_defaults(handler=cmd_status)

    doctor = sub.add_parser(
        "doctor", help="check model files, tokenizer cache, store and LLM; say how to fix each problem"
    )
    doctor.add_argument("--json", action="store_true")
    doctor.set_defaults(handler=cmd_doctor)
    for name, helptext in (
        ("ask", "answer one question, with numbered citations"),
        ("chat", "a conversation in the terminal"),
    ):
        command = sub.add_parser(name, help=helptext)
        if name == "ask":
            command.add_argument("question")
            command.add_argument("--json", action="store_true", help="print Answer.to_dict() as JSON")
            command.add_argument("--k", type=int, default=6, help="passages to retrieve, 1-8 (default 6)")
            command.add_argument(
                "--explain", action="store_true", help="show why it answered or abstained: each signal and its weight"
            )
        command.add_argument("--answerer", choices=ANSWERERS, help="override ASSISTANT_ANSWERER")
        command.add_argument("--source", action="append", metavar="GLOB", help="only documents matching (repeatable)")
        command.set_defaults(handler=cmd_ask if name == "ask" else cmd_chat)

    for name, helptext, module, handler in (
        ("ui", "the chat window in your browser (http://127.0.0.1:7860)", "ui.app", cmd_ui),
        ("eval", "score answers against a question set; write a report", "assistant.evaluation.cli", cmd_eval),
        (
            "calibrate",
            "fit the answer-or-abstain decision on your own question set; kept with the index",
            "assistant.evaluation.calibrate",
            cmd_calibrate,
        ),
    ):
        command = sub.add_parser(name, help=helptext)
        command.fill_with(_options_from(module, f"add_{name}_arguments"))
        command.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `assistant` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        settings = _settings()
        return int(args.handler(args, settings))
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted; the next `assistant index` finishes any half-done document", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
