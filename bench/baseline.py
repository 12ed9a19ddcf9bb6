"""Benchmark section: ours against the usual llama-index recipe, same machine, corpus, questions, models.

    baseline: (li_baseline.py) SimpleDirectoryReader -> VectorStoreIndex.from_documents (defaults: SentenceSplitter
              1024/200, in-memory store, top-k 2) -> index.as_chat_engine() -> chat
    ours:     run_index into a fresh ASSISTANT_HOME -> Assistant(...) -> evaluate()

Both sides use the same embedder (`make_embedder`, wrapped by `index.embed.LlamaIndexEmbedding`)
and the same LLM answerer object (`AnswererLLM` in li_llm.py), and every figure comes from the
same record format (`eval_scoring.score`) and the same `headline` function, so the definitions match.

Chat mode: see CHAT_MODE_NOTE; the engine class actually built is recorded in the result.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from assistant.answering.answerers import Answerer
from assistant.answering.prompts import answer_messages, condense_messages
from assistant.evaluation.questions import Question, load_questions
from assistant.evaluation.run import DEFAULT_K, evaluate
from assistant.settings import Settings
from assistant.types import Answer, Evidence
from bench.context import BenchContext
from bench.li_baseline import HEADLINE, add_retrieval_at_5, build_baseline, headline, ratio, run_baseline
from bench.li_llm import AnswererLLM, Chatter, prompt_tokens
from index.embed import Embedder, make_embedder
from index.errors import AssistantError

TITLE = "## Ours vs a plain llama-index pipeline"
QUICK_QUESTIONS = 6
RATIO_OF = "local"  # the ratio column: ours with this answerer / the baseline (same LLM)
CHAT_MODE_NOTE = (
    "`as_chat_engine()` is called with its default, `ChatMode.BEST`. In llama-index-core 0.14.25 that "
    'builds a CondensePlusContextChatEngine, the same engine as `chat_mode="condense_plus_context"` '
    "(the docstring still says BEST uses an agent, but the react/openai agent modes were removed "
    "from `as_chat_engine`), so no agent loop is involved: a follow-up is condensed into a "
    "standalone question by the LLM, the top 2 chunks are retrieved for it and put into the "
    "system message, and the LLM answers."
)


def pick_questions(questions: Sequence[Question], quick: bool, n: int = QUICK_QUESTIONS) -> list[Question]:
    """All questions, or for a quick run the first n with at least one unanswerable question
    and one follow-up (with history) swapped in at the end, kept in file order."""
    if not quick:
        return list(questions)
    chosen = list(questions[:n])
    for wanted in (lambda q: not q.answerable, lambda q: bool(q.history)):
        if not any(wanted(q) for q in chosen):
            extra = next((q for q in questions if wanted(q)), None)
            if extra is not None:
                # drop the last plain (answerable, no history) question to make room
                plain = [q for q in chosen if q.answerable and not q.history]
                if plain:
                    chosen.remove(plain[-1])
                chosen.append(extra)
    order = {q.id: i for i, q in enumerate(questions)}
    return sorted(chosen, key=lambda q: order[q.id])


# -- ours ----------------------------------------------------------------------------
class CountingAnswerer:
    """An LLM answerer that logs the prompt size it is sent (same counter as the baseline's)."""

    def __init__(self, inner: Answerer) -> None:
        self.inner = inner
        self.name = inner.name
        self.tokens: list[int] = []

    def generate(self, question: str, evidence: Sequence[Evidence], *, query: str | None = None) -> Any:
        self.tokens.append(prompt_tokens(answer_messages(question, evidence, query)))
        return self.inner.generate(question, evidence, query=query)

    def rewrite(self, history: str, question: str) -> str:
        self.tokens.append(prompt_tokens(condense_messages(history, question)))
        return self.inner.rewrite(history, question)  # type: ignore[attr-defined, no-any-return]


class StreamingAsker:
    """`Assistant` for `evaluate`, asking through `stream` to time the first piece of text."""

    def __init__(self, assistant: Any, counter: CountingAnswerer | None) -> None:
        self.assistant = assistant
        self.settings = assistant.settings
        self.answerer = assistant.answerer
        self.counter = counter
        self.extras: list[dict[str, Any]] = []  # per question: first_token_s, prompt_tokens

    def ask(self, question: str, *, history: Any = None, k: int = DEFAULT_K) -> Answer:
        if self.counter:
            self.counter.tokens.clear()
        started, first, answer = time.perf_counter(), None, None
        try:
            for item in self.assistant.stream(question, history=history, k=k):
                if isinstance(item, Answer):
                    answer = item
                elif first is None and item:
                    first = time.perf_counter() - started
        finally:
            tokens = sum(self.counter.tokens) if self.counter and self.counter.tokens else None
            # an answer that arrives whole (an abstention, the extractive answerer) shows at the end
            first = first if first is not None else time.perf_counter() - started
            self.extras.append({"first_token_s": round(first, 4), "prompt_tokens": tokens})
        assert answer is not None
        return answer


def build_ours(ctx: BenchContext, embedder: Embedder) -> tuple[Settings, Any, dict[str, Any]]:
    """Our index over ctx.corpus in a fresh ASSISTANT_HOME under work_dir: (settings, store, config)."""
    from index.ingest import run_index
    from index.store import ChunkStore

    home = ctx.work_dir / "baseline-ours-home"
    index_settings = ctx.settings.index.with_(home=home, chroma_host=None)  # embedded, never a shared server
    settings = ctx.settings.with_(index=index_settings)
    store = ChunkStore.open(index_settings)
    summary = run_index(ctx.corpus, index_settings, embedder, store=store, rebuild=True)
    config = {
        "pipeline": "run_index -> hybrid retrieval (dense + BM25) -> cross-encoder rerank -> evidence -> answer",
        "chunks": store.count(),
        "chunk_size": index_settings.chunk_tokens,
        "chunk_overlap": index_settings.chunk_overlap,
        "chunk_unit": "cl100k tokens",
        "top_k": DEFAULT_K,
        "embed_model": embedder.name,
        "index_seconds": round(summary.seconds, 3),
    }
    return settings, store, config


def run_ours(
    settings: Settings, store: Any, embedder: Embedder, answerer: Answerer, questions: Sequence[Question]
) -> dict[str, Any]:
    """`evaluate()` over our Assistant with `answerer`: records with the extra fields, headline."""
    from assistant.api import Assistant
    from assistant.retrieval.rerank import CrossEncoder

    counter = CountingAnswerer(answerer) if hasattr(answerer, "chat") else None
    used: Any = counter or answerer
    assistant = Assistant.from_settings(
        settings, answerer=used, store=store, embedder=embedder, scorer=CrossEncoder.bundled()
    )
    asker = StreamingAsker(assistant, counter)
    report = evaluate(asker, questions, k=DEFAULT_K)
    records = [
        add_retrieval_at_5({**record, **extra}, record["retrieved"])
        for record, extra in zip(report.records, asker.extras, strict=True)
    ]
    return {"config": {"answerer": answerer.name}, "metrics": headline(records), "records": records}


# -- the section ---------------------------------------------------------------------
def llm_answerer(settings: Settings) -> tuple[str, Answerer]:
    """The LLM both sides use: (name, answerer); openai when a server is configured, else local.
    Raises ConfigError/ModelError when it is not available."""
    from assistant.answering.llm import make_answerer

    name = "openai" if settings.openai_configured else "local"
    return name, make_answerer(name, settings)


def run(ctx: BenchContext, *, max_tokens: int | None = None) -> dict[str, Any]:
    """The comparison as a JSON-serialisable dict (see `markdown`); `max_tokens` caps the
    baseline's replies (None: the answerers' own cap, MAX_ANSWER_TOKENS, as ours uses)."""
    from assistant.answering.llm import make_answerer

    started = time.perf_counter()
    questions = pick_questions(load_questions(ctx.questions), ctx.quick)
    embedder = make_embedder(ctx.settings.index.embed_model)
    result: dict[str, Any] = {
        "questions": {
            "path": str(ctx.questions),
            "count": len(questions),
            "unanswerable": sum(1 for q in questions if not q.answerable),
            "follow_ups": sum(1 for q in questions if q.history),
            "ids": [q.id for q in questions],
        },
        "quick": ctx.quick,
        "chat_mode_note": CHAT_MODE_NOTE,
    }
    try:
        llm_name, shared = llm_answerer(ctx.settings)
    except AssistantError as exc:
        result["skipped"] = f"no LLM for the baseline: {exc}"
        return result
    result["ratio_of"] = llm_name
    ctx.progress("baseline: indexing with llama-index defaults")
    baseline = build_baseline(ctx.corpus, embedder, AnswererLLM(cast(Chatter, shared), max_tokens=max_tokens))
    result["baseline"] = run_baseline(baseline, questions, ctx.progress)
    ctx.progress("ours: indexing")
    settings, store, ours_config = build_ours(ctx, embedder)
    result["ours_config"] = ours_config
    result["ours"] = {}
    for name in ctx.answerers:
        try:
            answerer = shared if name == llm_name else make_answerer(name, ctx.settings)
        except AssistantError as exc:
            result["ours"][name] = {"skipped": str(exc)}
            continue
        ctx.progress(f"ours: {name} answerer, {len(questions)} questions")
        result["ours"][name] = run_ours(settings, store, embedder, answerer, questions)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


# -- the report ----------------------------------------------------------------------
def _fmt(value: float | None, key: str) -> str:
    if value is None:
        return "n/a"
    if key in ("prompt_tokens_mean", "errors"):
        return f"{value:.0f}"
    return f"{value:.2f}"


def _ratio_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def headline_table(result: Mapping[str, Any]) -> str:
    """One row per HEADLINE metric: baseline, each of ours, ours-<LLM> / baseline."""
    base = result["baseline"]["metrics"]
    ours = {name: run["metrics"] for name, run in result["ours"].items() if "metrics" in run}
    ratio_of = result.get("ratio_of", RATIO_OF)
    head = ["metric", "baseline", *(f"ours-{name}" for name in ours), f"ratio ours-{ratio_of} / baseline"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, label, higher in HEADLINE:
        mine = ours.get(ratio_of, {}).get(key)
        cells = [f"{label} {'↑' if higher else '↓'}", _fmt(base.get(key), key)]
        cells += [_fmt(values.get(key), key) for values in ours.values()]
        cells.append(_ratio_text(ratio(mine, base.get(key))))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def setup_table(result: Mapping[str, Any]) -> str:
    """What each side ran: pipeline, models, chunks, top-k, index build time."""
    base, ours = result["baseline"]["config"], result.get("ours_config", {})
    llm_cell = f"the same answerer object (ours-{result.get('ratio_of', RATIO_OF)}); ours-extractive: none"
    rows = [
        ("pipeline", base["pipeline"], ours.get("pipeline", "n/a")),
        ("LLM", f"`{Path(str(base['llm'])).name}`, max {base.get('max_tokens')} tokens", llm_cell),
        ("embedder", base["embed_model"], ours.get("embed_model", "n/a")),
        (
            "chunks",
            f"{base['chunks']} of {base['chunk_size']}/{base['chunk_overlap']} {base['chunk_unit']} (SentenceSplitter)",
            f"{ours.get('chunks')} of {ours.get('chunk_size')}/{ours.get('chunk_overlap')} {ours.get('chunk_unit')}",
        ),
        ("top-k", f"{base['top_k']} chunks shown to the LLM", f"{ours.get('top_k')} passages -> evidence sentences"),
        ("chat engine", f"{base['chat_engine']} (chat_mode {base['chat_mode']})", "Assistant.stream via evaluate()"),
        ("index build (s)", f"{base['index_seconds']:.2f}", f"{ours.get('index_seconds', 0):.2f}"),
    ]
    lines = ["| | baseline (llama-index defaults) | ours |", "|---|---|---|"]
    lines += [f"| {name} | {a} | {b} |" for name, a, b in rows]
    return "\n".join(lines)


NOTES = """\
- Ratio = ours ÷ baseline: above 1 is better for ↑ metrics, below 1 is better for ↓ metrics.
- Retrieval: document-level, from a `similarity_top_k=5` retriever on the baseline's own index with
  the query its chat engine searched (the condensed question for follow-ups); ours from the
  first 5 documents of its 6 retrieved passages. "hit@k of what the LLM is shown" uses each side's
  own k (baseline 2 chunks, ours 6 passages).
- Citations: the baseline has no inline citations, so its source nodes (what a UI lists as
  sources) count as its citations; precision = share from a gold document (`metrics.citation_precision`).
- Abstention: ours abstains explicitly; a baseline reply counts as a refusal when it matches
  `baseline.REFUSAL` ("don't know", "does not mention/provide/contain", "is not mentioned",
  "no information about", "cannot determine", ...). Key facts are scored on the whole baseline reply.
- First token: ours from `Assistant.stream`; the baseline's `engine.chat` does not stream, so it is
  the first piece the model produced for the answer call, timed inside the LLM adapter (llama-index's
  `stream_chat` reader busy-waits, which would slow the model on a small machine).
- Prompt tokens: cl100k_base tokens of the messages' text of every LLM call of a question (the
  condense step included), same counter on both sides; n/a without an LLM."""


def markdown(result: Mapping[str, Any]) -> str:
    """The section as Markdown, starting with TITLE."""
    parts = [TITLE, ""]
    questions = result["questions"]
    scope = "quick run, " if result.get("quick") else ""
    kinds = ""
    if "unanswerable" in questions:
        kinds = f"{questions['unanswerable']} unanswerable, {questions['follow_ups']} follow-ups; "
    parts.append(
        f"Measured in one run on one machine: the same corpus, the same {questions['count']} questions "
        f"({kinds}{scope}`{questions['path']}`), the same embedder and the same LLM on both sides."
    )
    if "skipped" in result:
        parts += ["", f"Not run: {result['skipped']}."]
        return "\n".join(parts) + "\n"
    parts += ["", headline_table(result), "", setup_table(result), ""]
    skipped = [f"ours-{name}: {run['skipped']}" for name, run in result["ours"].items() if "skipped" in run]
    if skipped:
        parts += ["Not run: " + "; ".join(skipped) + ".", ""]
    parts += [f"Chat mode: {result['chat_mode_note']}", "", NOTES]
    if "seconds" in result:
        parts += ["", f"The whole section took {result['seconds']:.0f} s."]
    return "\n".join(parts) + "\n"
