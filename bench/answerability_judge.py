"""Can the bundled LLM tell answerable from unanswerable questions? (issue #11, session 7)

Usage: .venv/bin/python -m bench.answerability_judge [--per-split 120] [--work DIR] [--model GGUF]

The same outside set, split and sample as bench/calibrate.py (SQuAD 2.0 dev with Disfl-QA
questions, split by article, seed 13). Each question is asked through the real pipeline with the
extractive answerer and abstention off; its calibrated P(answerable) is kept, and the bundled
Qwen2.5-Coder-1.5B reads the four best evidence contexts and the question and is asked "Does the
text state the answer to this exact question? Yes or No." Its judgement is the log-odds of
"Yes" against "No" at its first token (no sampling). Rows are cached in WORK/judge-<split>.jsonl.

A logistic model is fitted on the fitting rows over the calibrated probability, the judgement,
and both; its threshold is the one whose false abstentions on the fitting rows stay within 0.10
(the product's budget). The reporting rows are only scored: AUC and abstention recall / false
abstentions at that threshold. Nothing here is used by the product; it decides whether a judge
would be worth its ~3 s a question.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.calibrate import MAX_FALSE_ABSTENTIONS, fit_logistic
from bench.calibrate import DATASET, sample, split

SYSTEM = "You decide whether a text answers a question. Reply with Yes or No only."
ASK = "Does the text state the answer to this exact question? Yes or No."
CONTEXTS = 4  # evidence contexts shown to the judge (the extractive answer draws on the first few)
FEATURES = (("p",), ("judge",), ("p", "judge"))


def prompt(question: str, contexts: Sequence[str]) -> str:
    """The chat (ChatML, Qwen's own template) up to the assistant's first token."""
    text = "\n".join(f"- {c}" for c in contexts)
    return (
        f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nText:\n{text}\n\nQuestion: {question}\n\n"
        f"{ASK}<|im_end|>\n<|im_start|>assistant\n"
    )


class Judge:
    """Yes-vs-no log-odds of the first token the model would write."""

    def __init__(self, model_path: Path) -> None:
        from llama_cpp import Llama

        self.llm = Llama(model_path=str(model_path), n_ctx=2048, n_threads=2, n_threads_batch=2, verbose=False)
        self.yes = self._first_tokens(("Yes", " Yes", "yes"))
        self.no = self._first_tokens(("No", " No", "no"))

    def _first_tokens(self, words: Sequence[str]) -> list[int]:
        return [self.llm.tokenize(w.encode(), add_bos=False, special=False)[0] for w in words]

    def __call__(self, question: str, contexts: Sequence[str]) -> float:
        self.llm.reset()
        self.llm.eval(self.llm.tokenize(prompt(question, contexts).encode(), add_bos=False, special=True))
        # llama-cpp-python keeps no logits unless logits_all; the context holds the last token's
        logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),)).copy()
        return float(np.logaddexp.reduce(logits[self.yes]) - np.logaddexp.reduce(logits[self.no]))


def collect(name: str, per_split: int, work: Path, model: Path) -> list[dict[str, Any]]:
    """The rows of one split, from the cache when it already holds them (a run can be resumed)."""
    from assistant.api import Assistant
    from assistant.evaluation.questions import load_questions
    from assistant.settings import Settings
    from index.embed import make_embedder
    from index.ingest import run_index
    from index.settings import IndexSettings

    questions = sample(split(load_questions(DATASET / "questions.jsonl"))[name], per_split)
    cache = work / f"judge-{name}.jsonl"
    rows = {r["id"]: r for r in map(json.loads, cache.read_text().splitlines())} if cache.is_file() else {}
    todo = [q for q in questions if q.id not in rows]
    if todo:
        settings = Settings(index=IndexSettings(home=work / "home"))  # as bench/calibrate.py: its own index
        run_index(DATASET / "corpus", settings.index, make_embedder(settings.index.embed_model))
        bot = Assistant.from_settings(settings, answerer="extractive")
        judge = Judge(model)
        with cache.open("a") as out:
            for number, q in enumerate(todo, 1):
                answer = bot.ask(q.question, abstain=False)
                contexts = [e.context for e in answer.evidence[:CONTEXTS]]
                row = {"id": q.id, "answerable": q.answerable, "p": answer.decision["probability"]}
                rows[q.id] = {**row, "judge": judge(q.question, contexts)}
                out.write(json.dumps(rows[q.id]) + "\n")
                out.flush()
                print(f"{name} {number}/{len(todo)}", file=sys.stderr, flush=True)
    return [rows[q.id] for q in questions]


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    """P(a positive row scores above a negative one), ties counted half."""
    pos, neg = score[positive], score[~positive]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / max(1, pos.size * neg.size))


def at_budget(fit_score: np.ndarray, fit_bad: np.ndarray, budget: float = MAX_FALSE_ABSTENTIONS) -> float:
    """The lowest abstention score (abstain when score >= it) whose false abstentions on the
    fitting rows stay within `budget`: as many unanswerable questions refused as it allows."""
    for t in np.sort(np.unique(fit_score)):
        if np.mean(fit_score[~fit_bad] >= t) <= budget:
            return float(t)
    return float("inf")


def rates(score: np.ndarray, bad: np.ndarray, threshold: float) -> tuple[float, float]:
    """(abstention recall, false abstentions) when abstaining at score >= threshold."""
    return float(np.mean(score[bad] >= threshold)), float(np.mean(score[~bad] >= threshold))


def _probability(x: np.ndarray, fitted: tuple[float, Any, Any, Any]) -> np.ndarray:
    """P(unanswerable) of each row under `fit_logistic`'s (bias, weights, means, scales)."""
    bias, weights, means, scales = (np.asarray(v, dtype=np.float64) for v in fitted)
    return np.asarray(1 / (1 + np.exp(-(bias + ((x - means) / scales) @ weights))))


def compare(fit_rows: Sequence[dict[str, Any]], report_rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per feature set: fitted on the fitting rows, scored on both."""
    table = []
    fit_bad = np.array([not r["answerable"] for r in fit_rows])
    report_bad = np.array([not r["answerable"] for r in report_rows])
    for features in FEATURES:
        x_fit = np.array([[r[f] for f in features] for r in fit_rows], dtype=np.float64)
        x_report = np.array([[r[f] for f in features] for r in report_rows], dtype=np.float64)
        fitted = fit_logistic(x_fit, fit_bad.astype(np.float64))
        s_fit, s_report = _probability(x_fit, fitted), _probability(x_report, fitted)
        threshold = at_budget(s_fit, fit_bad)
        table.append(
            {
                "features": "+".join(features),
                "auc_fit": auc(s_fit, fit_bad),
                "auc_report": auc(s_report, report_bad),
                "fit": rates(s_fit, fit_bad, threshold),
                "report": rates(s_report, report_bad, threshold),
            }
        )
    return table


def markdown(table: Sequence[dict[str, Any]], n_fit: int, n_report: int) -> str:
    lines = [
        f"| signals | AUC fit ({n_fit}) | AUC report ({n_report}) | fit: abstention recall / false | "
        "report: abstention recall / false |",
        "|---|---|---|---|---|",
    ]
    for row in table:
        fit, report = row["fit"], row["report"]
        lines.append(
            f"| {row['features']} | {row['auc_fit']:.3f} | {row['auc_report']:.3f} | {fit[0]:.3f} / {fit[1]:.3f} "
            f"| {report[0]:.3f} / {report[1]:.3f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-split", type=int, default=120, help="questions sampled from each split")
    parser.add_argument("--work", type=Path, default=Path("bench/results/judge"))
    parser.add_argument("--model", type=Path, default=Path(".assistant/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"))
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = {name: collect(name, args.per_split, args.work, args.model) for name in ("fit", "report")}
    print(markdown(compare(rows["fit"], rows["report"]), len(rows["fit"]), len(rows["report"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
