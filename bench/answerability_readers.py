"""Two more ways to read answerability from the bundled model, against the judge that ships (#11).

Usage: .venv/bin/python -m bench.answerability_readers [--per-split 250] [--each-per-split 100]
       [--judge-work DIR] [--work DIR] [--model GGUF]

The judge (assistant/answering/judge.py) keeps one number of the model's reading: the log-odds
of "Yes" against "No" as its first token, after the four best contexts. Two readers that could
see more, on the same questions (bench/answerability_judge.py's sample, its first N of each split
by id; its cached rows and judgements in --judge-work, which that bench writes):

  probe  the model's final hidden state at that same position (1536 numbers, of which the judge
         is one direction), with a logistic probe fitted on the fitting split: top-k principal
         components and ridge chosen by leave-one-article-out there; the threshold at the
         false-abstention budget (0.10) set on the probe's out-of-fold scores, since in-sample
         scores of a 1536-number probe would set it far too high
  each   the judge asked about each context alone (question first, so the prompt's head is read
         once), its best, first and mean judgement

Each reader alone, and with the shipped signals (best typed score, judge), is fitted on the
fitting rows only and scored on the reporting rows: AUC, and abstention recall / false
abstentions / all key facts at the fitting split's threshold. Cached per question in --work, so
a run can be resumed (about 3.5 s a question for the probe's pass, 6 s for the per-context ones).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answering.judge import ASK, CONTEXTS, NO_EVIDENCE, SYSTEM, answer_tokens, log_odds, prompt
from assistant.answering.local_model import GGUF_NAME
from assistant.api import Assistant
from assistant.evaluation.calibrate import L2, fit_logistic
from assistant.evaluation.questions import Question, load_questions
from assistant.settings import Settings
from bench.answerability_judge import _judged_part, auc
from bench.calibrate import DATASET, ROOT, article, sample, split
from index.settings import IndexSettings

BUDGET = 0.10  # false abstentions allowed on the fitting split, as the product's calibration
STATE = 1536  # the bundled model's hidden size (llama_n_embd)
PROBE_GRID = [(k, l2) for k in (8, 16, 32, 64) for l2 in (1.0, 10.0, 100.0)]  # (components, ridge)


class Reader:
    """The bundled model with its final hidden state readable at a prompt's last token."""

    def __init__(self, model: Path) -> None:
        import llama_cpp

        self.api = llama_cpp
        self.llm = llama_cpp.Llama(model_path=str(model), n_ctx=4096, n_threads=2, n_threads_batch=2, verbose=False)
        self.yes, self.no = answer_tokens(self.llm)

    def _tokens(self, text: str) -> list[int]:
        return list(self.llm.tokenize(text.encode(), add_bos=False, special=True))

    def _log_odds(self) -> float:
        last = self.api.llama_get_logits_ith(self.llm._ctx.ctx, -1)
        return log_odds(np.ctypeslib.as_array(last, shape=(self.llm.n_vocab(),)), self.yes, self.no)

    def joint(self, question: str, contexts: Sequence[str]) -> tuple[float, np.ndarray]:
        """The judge's prompt: its judgement and the final hidden state of its last token. Only
        that token is read in embedding mode (llama.cpp would otherwise compute every token's logits)."""
        ids = self._tokens(prompt(question, contexts))
        self.llm.reset()
        self.llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        self.llm.eval(ids[:-1])
        self.api.llama_set_embeddings(self.llm._ctx.ctx, True)
        try:
            self.llm.eval(ids[-1:])
            state = np.ctypeslib.as_array(
                self.api.llama_get_embeddings_ith(self.llm._ctx.ctx, -1), shape=(self.llm.n_embd(),)
            )
            return self._log_odds(), state.copy()
        finally:
            self.api.llama_set_embeddings(self.llm._ctx.ctx, False)

    def each(self, question: str, contexts: Sequence[str]) -> list[float]:
        """The judgement of each context alone; the prompt's head (question first) read once."""
        head = self._tokens(
            f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nQuestion: {question}\n\nText:\n"
        )
        self.llm.reset()
        self.llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        self.llm.eval(head)
        out = []
        for context in contexts:
            self.llm.n_tokens = len(head)
            self.llm._ctx.kv_cache_seq_rm(-1, len(head), -1)
            self.llm.eval(self._tokens(f"- {context}\n\n{ASK}<|im_end|>\n<|im_start|>assistant\n"))
            out.append(self._log_odds())
        return out


def questions_of(name: str, n: int) -> list[Question]:
    """The judge bench's 700-question sample of split `name` (sorted by id), its first `n`."""
    return sample(split(load_questions(DATASET / "questions.jsonl"))[name], 700)[:n]


def read(
    name: str, mode: str, questions: list[Question], work: Path, judge_work: Path, reader: Callable[[], Reader]
) -> dict[str, dict]:
    """Each question's reading in `mode` ("joint" or "each"), cached in WORK/<mode>-<split>.jsonl
    (hidden states in WORK/states/<id>.npy)."""
    cache = work / f"{mode}-{name}.jsonl"
    done = {r["id"]: r for r in map(json.loads, cache.read_text().splitlines())} if cache.is_file() else {}
    todo = [q for q in questions if q.id not in done]
    if todo:
        (work / "states").mkdir(parents=True, exist_ok=True)
        settings = Settings(index=IndexSettings(home=judge_work / "home"))  # the judge bench's index
        bot, model = Assistant.from_settings(settings, answerer="extractive"), reader()
        with cache.open("a") as out:
            for number, q in enumerate(todo, 1):
                question, evidence = _judged_part(q.question, bot.ask(q.question, abstain=False))
                contexts = [e.context for e in evidence[:CONTEXTS]]
                row: dict[str, Any] = {"id": q.id, "answerable": q.answerable}
                if contexts and mode == "joint":
                    row["joint"], state = model.joint(question, contexts)
                    np.save(work / "states" / f"{q.id}.npy", state)
                elif contexts:
                    row["each"] = model.each(question, contexts)
                done[q.id] = row
                out.write(json.dumps(row) + "\n")
                out.flush()
                print(f"{mode} ({name}) {number}/{len(todo)}", file=sys.stderr, flush=True)
    return {q.id: done[q.id] for q in questions}


class Probe:
    """Logistic over standardised features. With shape (k, ridge), the hidden state (the first
    STATE columns) enters as its top-k principal components (fitted on the training rows only)
    and any further columns as they are; with a number, every column is a feature, that the ridge."""

    def __init__(self, x: np.ndarray, y: np.ndarray, shape: tuple[int, float] | float) -> None:
        self.means, self.scales = x.mean(0), x.std(0)
        self.scales[self.scales == 0] = 1.0
        self.components: np.ndarray | None = None
        l2: float
        if isinstance(shape, tuple):
            k, l2 = shape
            k = min(k, len(x) // 4)  # components a few rows each can support
            self.components = np.linalg.svd(self._standard(x)[:, :STATE], full_matrices=False)[2][:k].T
        else:
            l2 = shape
        self.bias, weights, means, scales = fit_logistic(self._features(x), y.astype(float), l2=l2)
        self.weights, self.z_means, self.z_scales = np.array(weights), np.array(means), np.array(scales)

    def _standard(self, x: np.ndarray) -> np.ndarray:
        return (x - self.means) / self.scales

    def _features(self, x: np.ndarray) -> np.ndarray:
        z = self._standard(x)
        if self.components is None:
            return z
        return np.hstack([z[:, :STATE] @ self.components, z[:, STATE:]])

    def score(self, x: np.ndarray) -> np.ndarray:
        return self.bias + ((self._features(x) - self.z_means) / self.z_scales) @ self.weights


def out_of_fold(x: np.ndarray, y: np.ndarray, articles: np.ndarray, shape: Any) -> np.ndarray:
    """Each fitting row scored by a probe fitted on the other articles."""
    scores = np.zeros(len(y))
    for held in sorted(set(articles)):
        out = articles == held
        if len(set(y[~out])) < 2:  # a tiny sample: nothing to fit on without this article
            continue
        scores[out] = Probe(x[~out], y[~out], shape).score(x[out])
    return scores


def decided(fit_scores: np.ndarray, fit_y: np.ndarray, scores: np.ndarray, y: np.ndarray, facts: np.ndarray) -> tuple:
    """Abstention recall, false abstentions and all key facts on (scores, y) at the threshold that
    refuses at most BUDGET of the fitting split's answerable questions."""
    threshold = np.sort(fit_scores[fit_y])[int(BUDGET * fit_y.sum())]
    refused = scores < threshold
    return refused[~y].mean(), refused[y].mean(), (facts & ~refused)[y].mean()


def table(rows: dict[str, list[dict]], readers: dict[str, tuple[Sequence[str], Sequence[Any]]], only: str = "") -> str:
    """One line per reader; rows without `only` (a reading not taken for them) left out of all."""
    lines = [
        "| reader | probe shape | AUC fit (leave one article out) | AUC report | report at the fitting threshold: "
        "abstention recall / false abstentions / all key facts |",
        "|---|---|---|---|---|",
    ]
    for name, (features, grid) in readers.items():
        use = {s: [r for r in rows[s] if all(f in r for f in [*features, *([only] if only else [])])] for s in rows}
        x = {s: np.stack([np.hstack([np.ravel(r[f]) for f in features]) for r in use[s]]) for s in use}
        y = {s: np.array([r["answerable"] for r in use[s]]) for s in use}
        arts = np.array([r["article"] for r in use["fit"]])
        shape = max(grid, key=lambda g: auc(out_of_fold(x["fit"], y["fit"], arts, g), y["fit"]))
        oof = out_of_fold(x["fit"], y["fit"], arts, shape)
        report = Probe(x["fit"], y["fit"], shape).score(x["report"])
        facts = np.array([r["facts"] for r in use["report"]])
        recall, false, kept = decided(oof, y["fit"], report, y["report"], facts)
        lines.append(
            f"| {name} ({len(use['fit'])} / {len(use['report'])}) | {shape} | {auc(oof, y['fit']):.3f} "
            f"| {auc(report, y['report']):.3f} | {recall:.3f} / {false:.3f} / {kept:.3f} |"
        )
    return "\n".join(lines)


def joined(name: str, n: int, n_each: int, judge_work: Path, work: Path, reader: Callable[[], Reader]) -> list[dict]:
    """Per question: the judge bench's signals and judgement, and this bench's readings."""
    questions = questions_of(name, n)
    signals = {r["id"]: r for r in map(json.loads, (judge_work / f"rows-{name}.jsonl").read_text().splitlines())}
    judged = {r["id"]: r for r in map(json.loads, (judge_work / f"judge-{name}.jsonl").read_text().splitlines())}
    joint = read(name, "joint", questions, work, judge_work, reader)  # hidden states in WORK/states
    each = read(name, "each", questions[:n_each], work, judge_work, reader)
    by_id = {q.id: q for q in questions}
    rows = []
    for q in questions:
        row = {
            "id": q.id,
            "answerable": q.answerable,
            "article": article(by_id[q.id]),
            "facts": signals[q.id]["facts_found"],
            "best_typed": signals[q.id]["signals"]["best_typed"],
            "judge": judged[q.id]["judge"],
        }
        if "joint" in joint[q.id]:  # this pass's own judgement: it read the judge's position
            row["joint"] = joint[q.id]["joint"]
        state = work / "states" / f"{q.id}.npy"
        row["state"] = np.load(state) if state.is_file() else np.zeros(STATE)  # no evidence: nothing read
        if q.id in each:
            values = each[q.id].get("each") or [NO_EVIDENCE]
            row |= {"each best": max(values), "each first": values[0], "each mean": float(np.mean(values))}
        rows.append(row)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-split", type=int, default=250, help="questions of each split read by the probe")
    parser.add_argument("--each-per-split", type=int, default=100, help="of those, read context by context")
    parser.add_argument("--judge-work", type=Path, default=ROOT / "bench" / "results" / "calibration")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "results" / "readers")
    parser.add_argument("--model", type=Path, default=ROOT / ".assistant" / "models" / GGUF_NAME)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    loaded: list[Reader] = []

    def reader() -> Reader:
        if not loaded:
            loaded.append(Reader(args.model))
        return loaded[0]

    rows = {
        s: joined(s, args.per_split, args.each_per_split, args.judge_work, args.work, reader) for s in ("fit", "report")
    }
    both = [r for part in rows.values() for r in part if "joint" in r]
    gaps = np.array([abs(r["joint"] - r["judge"]) for r in both] or [0.0])
    print(
        f"the probe's pass gives the judge's judgement within {gaps.max():.3f} on {len(both)} questions "
        f"(median {np.median(gaps):.3f}; the judgements span {min(r['judge'] for r in both):.1f}"
        f"..{max(r['judge'] for r in both):.1f})"
    )
    print("(its last token read alone, to take its hidden state: the same position, another batching)\n")
    plain = [L2]
    print(
        table(
            rows,
            {
                "best typed score": (["best_typed"], plain),
                "judge": (["judge"], plain),
                "best typed score + judge (ships with the judge)": (["best_typed", "judge"], plain),
                "probe on the judge's hidden state": (["state"], PROBE_GRID),
                "probe + best typed score + judge": (["state", "best_typed", "judge"], PROBE_GRID),
            },
        )
    )
    print()
    print(
        table(
            rows,
            {
                "judge (this subset)": (["judge"], plain),
                "each context: best": (["each best"], plain),
                "each context: first": (["each first"], plain),
                "each context: mean": (["each mean"], plain),
                "judge + each context: best": (["judge", "each best"], plain),
                "best typed score + judge + each context: best": (["best_typed", "judge", "each best"], plain),
            },
            only="each best",
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
