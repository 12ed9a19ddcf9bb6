"""Benchmark section: ours against the usual llama-index recipe, same machine, corpus, questions, models.

    baseline: SimpleDirectoryReader -> VectorStoreIndex.from_documents (defaults: SentenceSplitter
              1024/200, in-memory store, top-k 2) -> index.as_chat_engine() -> chat
    ours:     run_index into a fresh ASSISTANT_HOME -> Assistant(...) -> evaluate()

Both sides use the same embedder (`make_embedder`, wrapped by `index.embed.LlamaIndexEmbedding`)
and the same LLM answerer object (`AnswererLLM` in li_llm.py), and every figure comes from the
same record format (`evaluate.score`) and the same `headline` function, so the definitions match.

Chat mode: see CHAT_MODE_NOTE; the engine class actually built is recorded in the result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from assistant import metrics as m
from assistant.answerers import Answerer
from assistant.evaluate import DEFAULT_K, evaluate, failures, score
from assistant.prompts import answer_messages, condense_messages
from assistant.questions import Question, load_questions
from assistant.refusals import is_refusal
from assistant.settings import Settings
from assistant.types import Answer, Citation, Evidence, Passage
from bench.context import BenchContext
from bench.li_llm import AnswererLLM, Call, Chatter, prompt_tokens
from index.embed import Embedder, make_embedder
from index.errors import AssistantError

TITLE = "## Ours vs a plain llama-index pipeline"
RETRIEVAL_K = 5  # hit@5 / MRR@5 at document level, the same cut for both sides
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


# -- scoring (both sides) ---------------------------------------------------------
HEADLINE = (  # (key, label, higher is better)
    ("hit_at_5", "hit@5 (document)", True),
    ("mrr_at_5", "MRR@5 (document)", True),
    ("hit_at_k", "hit@k of what the LLM is shown", True),
    ("key_fact_recall", "key-fact recall", True),
    ("citation_precision", "citation precision", True),
    ("abstention_recall", "abstention recall (unanswerable refused)", True),
    ("false_abstention_rate", "false abstention rate (answerable refused)", False),
    ("latency_p50", "latency p50 (s)", False),
    ("latency_p95", "latency p95 (s)", False),
    ("first_token_p50", "first token p50 (s)", False),
    ("prompt_tokens_mean", "prompt tokens per question (cl100k)", False),
    ("errors", "errors", False),
)


def add_retrieval_at_5(record: dict[str, Any], ranked: Sequence[str]) -> dict[str, Any]:
    """`record` with hit@5 and MRR@5 over `ranked` doc ids (its gold sources from the record)."""
    gold = record["gold_sources"]
    record["hit_at_5"] = m.hit_at_k(ranked, gold, RETRIEVAL_K)
    record["mrr_at_5"] = m.mrr(ranked, gold, RETRIEVAL_K)
    return record


def headline(records: Sequence[Mapping[str, Any]]) -> dict[str, float | None]:
    """The HEADLINE metrics over `evaluate.score`-style records with the extra fields hit_at_5,
    mrr_at_5, first_token_s and prompt_tokens (None = not measured, left out of means)."""
    latencies = [r["latency_s"] for r in records]
    first = [r["first_token_s"] for r in records if r.get("first_token_s") is not None]
    values: dict[str, float | None] = {
        "hit_at_5": m.mean(r.get("hit_at_5") for r in records),
        "mrr_at_5": m.mean(r.get("mrr_at_5") for r in records),
        "hit_at_k": m.mean(r["metrics"]["hit_at_k"] for r in records),
        "key_fact_recall": m.mean(r["metrics"]["key_fact_recall"] for r in records),
        "citation_precision": m.mean(r["metrics"]["citation_precision"] for r in records),
        **m.abstention_scores(records),
        "latency_p50": m.percentile(latencies, 50),
        "latency_p95": m.percentile(latencies, 95),
        "first_token_p50": m.percentile(first, 50),
        "prompt_tokens_mean": m.mean(r.get("prompt_tokens") for r in records),
        "errors": float(sum(1 for r in records if r["error"])),
    }
    return {key: values.get(key) for key, _, _ in HEADLINE}


def ratio(ours: float | None, baseline: float | None) -> float | None:
    """ours / baseline; None when either is missing or the baseline is 0."""
    if ours is None or baseline is None or baseline == 0:
        return None
    return ours / baseline


# -- the baseline pipeline -----------------------------------------------------------
@dataclass
class Baseline:
    """A built llama-index pipeline: the index, the LLM it chats with, what it was built from."""

    index: Any  # VectorStoreIndex
    llm: Any  # a llama-index LLM
    corpus: Path
    config: dict[str, Any]


def build_baseline(corpus: Path, embedder: Embedder, llm: Any) -> Baseline:
    """The usual recipe: read the folder, index it with llama-index defaults (embedder aside)."""
    from index.tokens import ensure_offline_cache

    ensure_offline_cache()  # the default SentenceSplitter counts tokens with tiktoken
    from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
    from llama_index.core.constants import DEFAULT_SIMILARITY_TOP_K
    from llama_index.core.node_parser import SentenceSplitter

    from index.embed import LlamaIndexEmbedding  # type: ignore[attr-defined]

    started = time.perf_counter()
    documents = SimpleDirectoryReader(str(corpus)).load_data()
    index = VectorStoreIndex.from_documents(documents, embed_model=LlamaIndexEmbedding(embedder))
    splitter = SentenceSplitter()  # what from_documents used: Settings' default node parser
    config = {
        "pipeline": "SimpleDirectoryReader -> VectorStoreIndex.from_documents -> as_chat_engine().chat",
        "documents": len(documents),
        "chunks": len(index.docstore.docs),
        "chunk_size": splitter.chunk_size,
        "chunk_overlap": splitter.chunk_overlap,
        "chunk_unit": "cl100k tokens",
        "top_k": DEFAULT_SIMILARITY_TOP_K,
        "embed_model": embedder.name,
        "llm": llm.metadata.model_name,
        "max_tokens": llm.metadata.num_output,
        "index_seconds": round(time.perf_counter() - started, 3),
    }
    return Baseline(index, llm, corpus, config)


def node_doc_id(metadata: Mapping[str, Any], corpus: Path) -> str:
    """A node's document as a path relative to the corpus root (the gold_sources form)."""
    path = metadata.get("file_path")
    if path:
        try:
            return Path(path).resolve().relative_to(corpus.resolve()).as_posix()
        except ValueError:
            pass
    return str(metadata.get("file_name", ""))


def _passage(node_with_score: Any, corpus: Path) -> Passage:
    node = node_with_score.node
    text = node.get_content()
    start = node.start_char_idx or 0
    return Passage(
        chunk_id=node.node_id,
        doc_id=node_doc_id(node.metadata, corpus),
        title=str(node.metadata.get("file_name", "")),
        text=text,
        location=None,
        char_start=start,
        char_end=node.end_char_idx or start + len(text),
        dense=node_with_score.score,
    )


def as_answer(question: str, text: str, query: str, nodes: Sequence[Any], corpus: Path) -> Answer:
    """The baseline's reply as our Answer: its source nodes are its citations (what a UI lists
    as "sources"), each quoting its whole chunk; `abstained` = `is_refusal(text)`."""
    passages = tuple(_passage(n, corpus) for n in nodes)
    citations = tuple(
        Citation(i, p.doc_id, p.title, None, p.char_start, p.char_end, p.text, p.dense or 0.0, p.chunk_id, p.text)
        for i, p in enumerate(passages, start=1)
    )
    return Answer(
        question=question,
        text=text,
        citations=citations,
        passages=passages,
        abstained=is_refusal(text),
        query=query,
        answerer="llama-index",
    )


def score_baseline(
    question: Question, answer: Answer, top_k: int, *, latency: float, ranked_at_5: Sequence[str], error: str | None
) -> dict[str, Any]:
    """The `evaluate.score` record of a baseline reply, plus hit@5/MRR@5.

    Key facts are scored on the whole reply even when it reads as a refusal: unlike our
    abstention (which lists the closest passages verbatim), every word of it is the model's claim.
    """
    record = score(question, replace(answer, abstained=False), top_k, latency=latency, error=error)
    record["abstained"] = None if error else answer.abstained
    record["answerer"] = answer.answerer
    record["failures"] = failures(record)
    return add_retrieval_at_5(record, ranked_at_5)


def ask_baseline(baseline: Baseline, question: Question) -> dict[str, Any]:
    """One question in a fresh conversation (its history, if any, as chat_history); the record."""
    from llama_index.core.llms import ChatMessage

    engine = baseline.index.as_chat_engine(llm=baseline.llm)  # ChatMode.BEST, the default
    history = [ChatMessage(role=t["role"], content=t["content"]) for t in question.history]
    take: Callable[[], list[Call]] = getattr(baseline.llm, "take_calls", list)
    take()
    started = time.perf_counter()
    error, text, query, nodes = None, "", question.question, []
    try:
        reply = engine.chat(question.question, chat_history=history or None)
        text, nodes = reply.response, list(reply.source_nodes)
        query = reply.sources[0].raw_input.get("message", query) if reply.sources else query
    except Exception as exc:  # noqa: BLE001 - third-party pipeline end to end; record and go on
        error = f"{type(exc).__name__}: {exc}"
    latency = time.perf_counter() - started
    calls: list[Call] = take()
    retriever = baseline.index.as_retriever(similarity_top_k=RETRIEVAL_K)
    ranked = m.ranked_docs(_passage(n, baseline.corpus) for n in retriever.retrieve(query))
    answer = as_answer(question.question, text, query, nodes, baseline.corpus)
    record = score_baseline(
        question, answer, baseline.config["top_k"], latency=latency, ranked_at_5=ranked, error=error
    )
    record["first_token_s"] = _first_token(calls, started)
    record["prompt_tokens"] = sum(c.prompt_tokens for c in calls) if calls else None
    record["llm_calls"] = len(calls)
    return record


def _first_token(calls: Sequence[Call], started: float) -> float | None:
    """Seconds from the question to the answer call's first piece (the last call; an earlier one
    is the condense step). Measured inside the LLM adapter: `engine.chat` does not stream."""
    answer_calls = [c for c in calls if c.kind == "chat"] or list(calls)
    if not answer_calls or answer_calls[-1].first_piece is None:
        return None
    return round(answer_calls[-1].first_piece - started, 4)


def run_baseline(baseline: Baseline, questions: Sequence[Question], progress: Callable[[str], Any]) -> dict[str, Any]:
    """Every question through the baseline: records, headline metrics, config."""
    engine = baseline.index.as_chat_engine(llm=baseline.llm)
    config = {**baseline.config, "chat_mode": "best (default)", "chat_engine": type(engine).__name__}
    records = []
    for n, question in enumerate(questions, start=1):
        progress(f"baseline: question {n}/{len(questions)}")
        records.append(ask_baseline(baseline, question))
    return {"config": config, "metrics": headline(records), "records": records}


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
    from assistant.rerank import CrossEncoder

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
    from assistant.llm import make_answerer

    name = "openai" if settings.openai_configured else "local"
    return name, make_answerer(name, settings)


def run(ctx: BenchContext, *, max_tokens: int | None = None) -> dict[str, Any]:
    """The comparison as a JSON-serialisable dict (see `markdown`); `max_tokens` caps the
    baseline's replies (None: the answerers' own cap, MAX_ANSWER_TOKENS, as ours uses)."""
    from assistant.llm import make_answerer

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
