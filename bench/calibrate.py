"""Fit the shipped answer-or-abstain calibration on the outside set's fitting split; report on the other.

Usage: .venv/bin/python -m bench.calibrate [--per-split 700] [--work DIR] [--write]

The outside set is SQuAD 2.0 dev with Disfl-QA questions (../shared/datasets/squad2-disflqa-dev,
35 Wikipedia articles, 22 with questions). It is split by article (SPLIT below: the sorted
article names alternate, fit first), so no article's wording is seen on both sides. From each
split a fixed random sample (seed 13) is asked through the real pipeline (bge, BM25, the
cross-encoder, extractive answers) with abstention off, and the signals of every question are
cached in WORK/rows-<split>.jsonl. The model is fitted on the fitting rows only; its threshold
is the highest whose false abstentions on the fitting rows stay within 0.10; the reporting rows
are only scored. `--write` stores the shipped model (SHIPPED_MODEL) as assistant/answering/calibration.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from assistant.answering.decision import SHIPPED, Calibration
from assistant.api import Assistant
from assistant.evaluation.calibrate import Row, collect, fit_and_choose, format_tradeoff, tradeoff
from assistant.evaluation.questions import Question, load_questions
from assistant.settings import Settings
from index.embed import make_embedder
from index.ingest import run_index
from index.settings import IndexSettings

ROOT = Path(__file__).resolve().parents[1]

DATASET = ROOT.parent / "shared" / "datasets" / "squad2-disflqa-dev"
SEED = 13
GRID = [i / 20 for i in range(1, 20)]
# Both are fitted and printed. Every signal together did best in leave-one-article-out
# cross-validation on the fitting split (AUC 0.62 against 0.59), but did not transfer: on the
# reporting split its curve lies below the old rule's, and on the sample question set it
# refused 1 unanswerable question in 13 where the old rule refused 4 (docs/choices.md). The
# best typed evidence score alone transfers, so it is what ships; `assistant calibrate
# --signals all` fits every signal on a user's own questions.
CANDIDATES: dict[str, tuple[str, ...] | None] = {"all signals": None, "best typed score": ("best_typed",)}
SHIPPED_MODEL = "best typed score"


def article(question: Question) -> str:
    if question.gold_sources:
        return question.gold_sources[0]
    related = [t.split(":", 1)[1] for t in question.tags if t.startswith("related_source:")]
    return related[0] if related else ""


def split(questions: list[Question]) -> dict[str, list[Question]]:
    """Articles sorted by name, alternately to 'fit' and 'report'."""
    articles = sorted({article(q) for q in questions})
    side = {name: ("fit" if i % 2 == 0 else "report") for i, name in enumerate(articles)}
    parts: dict[str, list[Question]] = {"fit": [], "report": []}
    for q in questions:
        parts[side[article(q)]].append(q)
    return parts


def sample(questions: list[Question], n: int) -> list[Question]:
    return sorted(random.Random(SEED).sample(questions, min(n, len(questions))), key=lambda q: q.id)


def rows_for(name: str, questions: list[Question], work: Path, bot: Assistant) -> list[Row]:
    cache = work / f"rows-{name}.jsonl"
    if cache.is_file():
        rows = [Row.from_dict(json.loads(line)) for line in cache.read_text().splitlines()]
        if [r.id for r in rows] == [q.id for q in questions]:
            return rows
    from tqdm import tqdm

    bar = tqdm(total=len(questions), desc=f"signals ({name})", file=sys.stderr)
    rows = collect(bot, questions, bar.update)
    bar.close()
    cache.write_text("".join(json.dumps(r.to_dict()) + "\n" for r in rows))
    return rows


def reporting_curves(rows: list[Row], models: dict[str, Calibration]) -> dict[str, list[tuple[float, float]]]:
    """Each model's (false abstentions, abstention recall) on `rows` at every threshold 0.01..0.99."""
    fine = [i / 100 for i in range(1, 100)]
    return {
        f"{name} (reporting split)": [
            (row["false_abstentions"], row["abstention_recall"]) for row in tradeoff(rows, model, fine)
        ]
        for name, model in models.items()
    }


def tradeoff_svg(curves: dict[str, list[tuple[float, float]]], points: dict[str, tuple[float, float]]) -> str:
    """A small SVG: abstention recall (y) against false abstentions (x), one line per model."""
    size, pad = 320, 40
    colours = ["#1c7ed6", "#e8590c", "#2f9e44", "#862e9c", "#f08c00", "#495057", "#c2255c"]

    def xy(fa: float, recall: float) -> str:
        return f"{pad + fa * size:.1f},{pad + (1 - recall) * size:.1f}"

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{size + 2 * pad + 220}' height='{size + 2 * pad}' "
        "font-family='sans-serif' font-size='11'>",
        f"<rect x='{pad}' y='{pad}' width='{size}' height='{size}' fill='none' stroke='#adb5bd'/>",
        f"<line x1='{pad}' y1='{pad + size}' x2='{pad + size}' y2='{pad}' stroke='#dee2e6' stroke-dasharray='4'/>",
        f"<text x='{pad + size / 2}' y='{pad + size + 28}' text-anchor='middle'>"
        "false abstentions (answerable refused)</text>",
        f"<text x='12' y='{pad + size / 2}' transform='rotate(-90 12 {pad + size / 2})' text-anchor='middle'>"
        "abstention recall</text>",
        f"<rect x='{pad + 0.0}' y='{pad}' width='{0.10 * size:.1f}' height='{0.20 * size:.1f}' fill='#d3f9d8' "
        "opacity='0.6'/>",
    ]
    for i, (name, curve) in enumerate(curves.items()):
        line = " ".join(xy(fa, recall) for fa, recall in [(0.0, 0.0), *sorted(curve), (1.0, 1.0)])
        colour = colours[i % len(colours)]
        out.append(f"<polyline points='{line}' fill='none' stroke='{colour}' stroke-width='2'/>")
        out.append(f"<text x='{pad + size + 12}' y='{pad + 14 + 16 * i}' fill='{colour}'>{name}</text>")
    for j, (name, (fa, recall)) in enumerate(points.items(), start=len(curves)):
        x, y = xy(fa, recall).split(",")
        colour = colours[j % len(colours)]
        out.append(f"<circle cx='{x}' cy='{y}' r='4' fill='{colour}'/>")
        out.append(f"<text x='{pad + size + 12}' y='{pad + 14 + 16 * j}' fill='{colour}'>● {name}</text>")
    out.append(f"<text x='{pad + 4}' y='{pad + 14}' fill='#2b8a3e'>target: recall ≥ 0.80 at ≤ 0.10</text>")
    out.append("</svg>")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-split", type=int, default=700, help="questions sampled from each split")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "results" / "calibration")
    parser.add_argument("--write", action="store_true", help="store the fitted calibration as the shipped one")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    parts = split(load_questions(DATASET / "questions.jsonl"))
    for name, items in parts.items():
        articles = sorted({article(q) for q in items})
        print(
            f"{name}: {len(items)} questions ({sum(not q.answerable for q in items)} unanswerable), "
            f"{len(articles)} articles: {', '.join(a.removesuffix('.txt') for a in articles)}"
        )
    settings = Settings(index=IndexSettings(home=args.work / "home"))
    run_index(DATASET / "corpus", settings.index, make_embedder(settings.index.embed_model))
    bot = Assistant.from_settings(settings, answerer="extractive")
    rows = {name: rows_for(name, sample(items, args.per_split), args.work, bot) for name, items in parts.items()}
    source = (
        f"squad2-disflqa-dev, fitting split (alternate articles by name, {len(rows['fit'])} questions, seed {SEED})"
    )
    before = Calibration.cutoff("best_typed", 2.0, "before: best typed logit >= 2.0")
    models = {name: fit_and_choose(rows["fit"], source, features=features) for name, features in CANDIDATES.items()}
    for name, model in models.items():
        weights = dict(zip(model.features, (round(w, 3) for w in model.weights), strict=True))
        print(f"\n# {name}: weights {weights}, bias {model.bias:.3f}, threshold {model.threshold:.3f}")
        for part in ("fit", "report"):
            print(f"\n## {name}, {part} split ({len(rows[part])} questions)\n")
            print(format_tradeoff(tradeoff(rows[part], model, GRID)))
            chosen = tradeoff(rows[part], model, [model.threshold])[0]
            print(f"\nchosen {model.threshold:.3f}: {json.dumps({k: round(v, 3) for k, v in chosen.items()})}")
    for part in ("fit", "report"):
        old = tradeoff(rows[part], before, [before.threshold])[0]
        print(f"\nbefore (logit >= 2.0), {part} split: {json.dumps({k: round(v, 3) for k, v in old.items()})}")
    calibration = models[SHIPPED_MODEL]
    curves = reporting_curves(rows["report"], models)
    chosen = tradeoff(rows["report"], calibration, [calibration.threshold])[0]
    old = tradeoff(rows["report"], before, [before.threshold])[0]
    points = {
        "shipped threshold": (chosen["false_abstentions"], chosen["abstention_recall"]),
        "before: logit >= 2.0": (old["false_abstentions"], old["abstention_recall"]),
    }
    (args.work / "tradeoff.svg").write_text(tradeoff_svg(curves, points), encoding="utf-8")
    print(f"\ntrade-off plot: {args.work / 'tradeoff.svg'}")
    if args.write:
        calibration.save(SHIPPED)
        print(f"wrote {SHIPPED}")


if __name__ == "__main__":
    main()
