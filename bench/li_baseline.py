"""The baseline of the `baseline` section: the usual llama-index recipe, and the metrics both
sides are scored with (the same `eval_scoring.score` records plus hit@5/MRR@5, one `headline`).

    SimpleDirectoryReader -> VectorStoreIndex.from_documents (defaults: SentenceSplitter 1024/200,
    in-memory store, top-k 2) -> index.as_chat_engine() -> chat
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assistant.answering.refusals import is_refusal
from assistant.evaluation import metrics as m
from assistant.evaluation.questions import Question
from assistant.evaluation.scoring import failures, score
from assistant.types import Answer, Citation, Passage
from bench.li_llm import Call
from index.embed import Embedder

RETRIEVAL_K = 5  # hit@5 / MRR@5 at document level, the same cut for both sides


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
    """The HEADLINE metrics over `eval_scoring.score`-style records with the extra fields hit_at_5,
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
    """The usual recipe: read the folder, index it with llama-index defaults (embedder aside;
    llama-index finds its own bundled tiktoken file)."""
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
    """The `eval_scoring.score` record of a baseline reply, plus hit@5/MRR@5.

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
