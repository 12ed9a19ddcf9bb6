"""Answer latency per answerer: model load, per-stage p50/p95, first streamed text, prompt sizes.

On a fresh index of the corpus, for each answerer: the first question cold (setup and lazy
model loads), then N answerable, non-follow-up questions of the set through `Assistant.stream`
(the chat window's path): time to the first streamed text, the whole answer, the stages of
`Answer.timings`, and the prompt an LLM answerer is sent (the same messages, counted in
cl100k tokens). An answerer that cannot be made here (llama-cpp missing, no server) is skipped
with the reason.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Any

from assistant.answering.llm import forget_local
from assistant.evaluation.questions import Question
from assistant.settings import Settings
from assistant.types import Answer
from bench.context import BenchContext
from bench.report import num, p50_p95, table
from index.errors import AssistantError, ConfigError

QUESTIONS = 20  # per answerer (quick: QUICK_QUESTIONS)
QUICK_QUESTIONS = 3
STAGES = ("rewrite", "retrieve", "evidence", "generate", "total")


def pick_questions(path: Path, count: int) -> list[Question]:
    """The first `count` answerable, non-follow-up questions; ConfigError if there are none."""
    from assistant.evaluation.questions import load_questions

    chosen = [q for q in load_questions(path) if q.answerable and not q.history][:count]
    if not chosen:
        raise ConfigError(f"{path} has no answerable question without history; give another --questions set")
    return chosen


def build_index(ctx: BenchContext) -> tuple[Settings, dict[str, Any]]:
    """Index the corpus into a fresh home under work_dir (embedded Chroma); settings that point at it."""
    from index.embed import make_embedder
    from index.ingest import run_index

    index = ctx.settings.index.with_(home=ctx.work_dir / "home", chroma_host=None)
    summary = run_index(ctx.corpus, index, make_embedder(index.embed_model))
    return ctx.settings.with_(index=index), {"chunks": summary.chunks_total, "seconds": round(summary.seconds, 2)}


def ask_timed(bot: Any, question: str) -> tuple[Answer, float, float, str]:
    """(answer, seconds to the first streamed text, seconds to the final Answer, streamed text).

    An answer that streams no text (an abstention) shows first as the final Answer.
    """
    started = time.perf_counter()
    first: float | None = None
    pieces: list[str] = []
    answer: Answer | None = None
    for item in bot.stream(question):
        if isinstance(item, Answer):
            answer = item
        else:
            pieces.append(item)
        if first is None and (answer is not None or "".join(pieces).strip()):
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    if answer is None:
        raise RuntimeError(f"Assistant.stream gave no final Answer for {question!r}")
    return answer, first if first is not None else total, total, "".join(pieces)


def prompt_tokens(answer: Answer) -> int:
    """cl100k tokens of the messages an LLM answerer is sent for this answer (contents only)."""
    from assistant.answering.prompts import answer_messages
    from index.tokens import count_tokens

    return sum(count_tokens(m["content"]) for m in answer_messages(answer.query, answer.evidence))


def bench_answerer(settings: Settings, name: str, cold: Question, questions: list[Question]) -> dict[str, Any]:
    """Figures for one answerer, or {"status": "skipped", "reason"} when it cannot run here.

    `cold` is asked first and not again: the cross-encoder caches scores per (query, passage),
    so a question asked twice would look faster the second time.
    """
    from assistant.api import Assistant

    started = time.perf_counter()
    try:
        bot = Assistant.from_settings(settings, answerer=name)
        answerer = bot.answerer
        setup = time.perf_counter() - started
        _, _, first_s, _ = ask_timed(bot, cold.question)  # a local model loads on its first generation
    except AssistantError as exc:
        return {"status": "skipped", "reason": f"{type(exc).__name__}: {exc}"}
    figures = measure_questions(bot, questions, llm=answerer.name != "extractive")
    warm = figures["whole_answer"]["p50"]
    return {
        "status": "ok",
        "answerer": answerer.name,
        "setup_s": round(setup, 3),
        "cold_question": cold.id,
        "cold_first_question_s": round(first_s, 3),
        "model_load_s": round(max(0.0, setup + first_s - warm), 3) if warm is not None else None,
        **figures,
    }


def measure_questions(bot: Any, questions: list[Question], *, llm: bool) -> dict[str, Any]:
    """Stage, first-text and whole-answer percentiles over `questions`, prompt and answer sizes."""
    from index.tokens import count_tokens

    stages: dict[str, list[float]] = {stage: [] for stage in STAGES}
    firsts, totals, prompts, outputs, errors = [], [], [], [], []
    abstained = 0
    for question in questions:
        try:
            answer, first, total, streamed = ask_timed(bot, question.question)
        except AssistantError as exc:
            errors.append(f"{question.id}: {type(exc).__name__}: {exc}")
            continue
        for stage, seconds in answer.timings.items():
            stages.setdefault(stage, []).append(seconds)
        totals.append(total)
        abstained += answer.abstained
        if not answer.abstained:  # an abstention streams no text: its "first text" is the whole answer
            firsts.append(first)
        if llm and not answer.abstained:
            prompts.append(prompt_tokens(answer))
            outputs.append(count_tokens(streamed))
    return {
        "questions": len(questions),
        "answered": len(totals) - abstained,
        "abstained": abstained,
        "errors": errors,
        "stages": {stage: p50_p95(values) for stage, values in stages.items()},
        "first_text": p50_p95(firsts),
        "whole_answer": {**p50_p95(totals), "max": round(max(totals), 4) if totals else None},
        "prompt_tokens": _sizes(prompts) if llm else None,
        "answer_tokens": _sizes(outputs) if llm else None,
        "stage_share": _shares(stages),
        "largest_stage": _largest(stages),
    }


def _sizes(values: list[int]) -> dict[str, Any]:
    ordered = sorted(values)
    return {"p50": ordered[len(ordered) // 2] if ordered else None, "max": max(ordered, default=None), "n": len(values)}


def _shares(stages: dict[str, list[float]]) -> dict[str, float]:
    """Each stage's part of all the time spent answering (abstentions skip generate: medians mislead)."""
    whole = sum(stages.get("total", []))
    return {s: round(sum(v) / whole, 3) for s, v in stages.items() if s != "total"} if whole else {}


def _largest(stages: dict[str, list[float]]) -> str | None:
    """The stage that took the most time over all questions (not "total"); None when nothing was timed."""
    shares = _shares(stages)
    return max(shares, key=lambda s: shares[s]) if shares else None


# -- the section ---------------------------------------------------------------------
def run(ctx: BenchContext) -> dict[str, Any]:
    """{"index", "questions", "answerers": {name: figures or skipped}} on a fresh index of ctx.corpus."""
    cold, *questions = pick_questions(ctx.questions, 1 + (QUICK_QUESTIONS if ctx.quick else QUESTIONS))
    if not questions:
        raise ConfigError(f"{ctx.questions} has one usable question; the bench needs a cold one and one more")
    ctx.progress(f"answers: indexing {ctx.corpus}")
    settings, built = build_index(ctx)
    results: dict[str, Any] = {}
    for name in ctx.answerers:
        ctx.progress(f"answers: {name}, {len(questions)} questions")
        results[name] = bench_answerer(settings, name, cold, questions)
        forget_local()  # let the previous answerer's models go before the next one loads
        gc.collect()
    return {
        "corpus": str(ctx.corpus),
        "questions_file": str(ctx.questions),
        "cold_question_id": cold.id,
        "question_ids": [q.id for q in questions],
        "index": built,
        "answerers": results,
    }


def markdown(result: dict[str, Any]) -> str:
    """## Answer latency: a table per answerer and where its time goes."""
    lines = [
        "## Answer latency",
        "",
        f"{len(result['question_ids'])} answerable, non-follow-up questions of `{result['questions_file']}` "
        f"on an index of {result['index']['chunks']} chunks, asked through `Assistant.stream` one at a time "
        f"after a first, cold question ({result['cold_question_id']}, not counted in the tables).",
    ]
    for name, figures in result["answerers"].items():
        lines += ["", f"### {name}", "", _answerer_markdown(figures)]
    return "\n".join(lines)


def _answerer_markdown(f: dict[str, Any]) -> str:
    if f["status"] != "ok":
        return f"Skipped: {f['reason']}"
    rows = [(stage, v["p50"], v["p95"], v["n"]) for stage, v in f["stages"].items() if v["n"]]
    rows += [
        ("first streamed text (answered)", f["first_text"]["p50"], f["first_text"]["p95"], f["first_text"]["n"]),
        ("whole answer (stream)", f["whole_answer"]["p50"], f["whole_answer"]["p95"], f["whole_answer"]["n"]),
    ]
    prompt = f["prompt_tokens"]
    sizes = (
        f"Prompt: p50 {prompt['p50']} tokens, max {prompt['max']} (cl100k, message contents); "
        f"answer: p50 {f['answer_tokens']['p50']} tokens."
        if prompt and prompt["n"]
        else "Prompt: none (no LLM is called)."
    )
    text = [
        f"Answerer `{f['answerer']}`. Model load (setup and a first, cold question, minus a warm answer's "
        f"p50): {num(f['model_load_s'])} s; setup {num(f['setup_s'])} s, cold question "
        f"{num(f['cold_first_question_s'])} s. {f['questions']} questions: {f['answered']} answered, "
        f"{f['abstained']} abstained, {len(f['errors'])} errors.",
        "",
        table(["stage", "p50 s", "p95 s", "questions"], rows),
        "",
        sizes,
        "",
        _where_time_goes(f),
    ]
    return "\n".join(text)


def _where_time_goes(f: dict[str, Any]) -> str:
    stage = f["largest_stage"]
    if stage is None:
        return "Where the time goes: nothing was timed."
    timed = f["stages"][stage]
    return (
        f"Where the time goes: {stage}, {f['stage_share'][stage]:.0%} of all answering time "
        f"(p50 {num(timed['p50'])} s over the {timed['n']} questions that reached it)."
    )
