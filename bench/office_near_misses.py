"""The office folder's questions and near misses, answered or refused, with the judge off and on.

Run: .venv/bin/python -m bench.office_near_misses [--out docs/office-near-misses.md]
The folder is tests/office_fixtures.build_office_folder without its 20,000-row export, indexed
with the shipped models. Its answerable questions (OFFICE_QUESTIONS) and near misses written
against the same files (OFFICE_NEAR_MISSES: the answer's neighbour is there, the answer is not),
asked with the extractive answerer and the shipped calibrations: plain, then ASSISTANT_JUDGE=local.
A handful of questions written here, not a fitted or a held-out figure: it shows what the
decision does with the near misses a user of such a folder asks.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from assistant.answering.local_model import GGUF_NAME
from assistant.api import Assistant
from assistant.settings import Settings
from bench.calibrate import ROOT
from index.embed import make_embedder
from index.ingest import run_index
from index.settings import IndexSettings
from tests.office_fixtures import OFFICE_NEAR_MISSES, OFFICE_QUESTIONS, build_office_folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=None, help="also write the table there")
    parser.add_argument("--model", type=Path, default=ROOT / ".assistant" / "models" / GGUF_NAME)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, home = Path(tmp) / "office", Path(tmp) / "home"
        build_office_folder(folder)
        (folder / "sheets" / "orders-2024.csv").unlink()  # 6 minutes to embed; no question here needs it
        plain = Settings(index=IndexSettings(home=home), local_model=args.model)
        run_index(folder, plain.index, make_embedder(plain.index.embed_model))
        without = Assistant.from_settings(plain, answerer="extractive")
        judged = Assistant.from_settings(plain.with_(judge="local"), answerer="extractive", share=without)
        bots = {"plain": without, "judge": judged}  # one store, embedder and cross-encoder for both
        asked = [(q, True) for _, q, *_ in OFFICE_QUESTIONS] + [(q, False) for q in OFFICE_NEAR_MISSES]
        lines = [
            "| question | in the folder | judge off: decision (p) | judge on: decision (p, judge) |",
            "|---|---|---|---|",
        ]
        for question, answerable in asked:
            cells = []
            for name, bot in bots.items():
                answer = bot.ask(question)
                said = "refused" if answer.abstained else "answered"
                extra = f", {answer.decision['signals']['judge']:+.2f}" if name == "judge" else ""
                cells.append(f"{said} ({answer.decision['probability']:.2f}{extra})")
            lines.append(f"| {question} | {'yes' if answerable else 'no'} | {cells[0]} | {cells[1]} |")
    table = "\n".join(lines)
    print(table)
    if args.out:
        args.out.write_text(f"# Office folder: answers and near misses\n\n{__doc__.split(chr(10), 2)[2]}\n{table}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
