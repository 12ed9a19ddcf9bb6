"""Scoring one answer: the per-question record (what was asked, answered, cited; the gold; each
metric) and why it counts as a failure. The metric names, in report order, live here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assistant.evaluation import metrics as m
from assistant.evaluation.questions import Question
from assistant.types import Answer

# Summary metrics in report order. Latency in seconds; invalid_citations and errors are counts
# of questions; every other metric is a mean in 0..1 over the questions it applies to.
HIGHER_IS_BETTER = (
    "hit_at_k", "recall_at_k", "mrr", "ndcg_at_k", "key_fact_recall", "all_key_facts", "token_f1",
    "citation_precision", "citation_recall", "cited_facts", "abstention_precision", "abstention_recall",
)  # fmt: skip
LOWER_IS_BETTER = ("false_abstention_rate", "invalid_citations", "errors", "latency_p50", "latency_p95")
METRICS = HIGHER_IS_BETTER + LOWER_IS_BETTER
PER_QUESTION = HIGHER_IS_BETTER[:10]  # averaged from the records; the abstention ones are not
TAG_METRICS = ("hit_at_k", "mrr", "key_fact_recall", "token_f1", "citation_precision", "cited_facts")


def score(question: Question, answer: Answer, k: int, *, latency: float, error: str | None = None) -> dict[str, Any]:
    """The per-question record: what was asked, answered and cited, the gold, and the metrics."""
    ranked = m.ranked_docs(answer.passages)
    gold = question.gold_sources
    # An abstention lists the closest passages; their words are not a claim, so score "".
    said = "" if answer.abstained else answer.text
    values = {
        "hit_at_k": m.hit_at_k(ranked, gold, k),
        "recall_at_k": m.recall_at_k(ranked, gold, k),
        "mrr": m.mrr(ranked, gold, k),
        "ndcg_at_k": m.ndcg_at_k(ranked, gold, k),
        "key_fact_recall": m.key_fact_recall(said, question.key_facts),
        "all_key_facts": _all(m.key_fact_recall(said, question.key_facts)),
        "token_f1": m.token_f1(said, question.reference_answer) if question.answerable else None,
        "citation_precision": m.citation_precision(answer, gold),
        "citation_recall": m.citation_recall(answer, gold),
        "cited_facts": None if answer.abstained else m.cited_facts(answer, question.key_facts),
        "invalid_citations": m.invalid_citations(answer),
    }
    record: dict[str, Any] = {
        "id": question.id,
        "question": question.question,
        "tags": list(question.tags),
        "answerable": question.answerable,
        "history_turns": len(question.history),
        "query": answer.query,
        "answer": answer.text,
        "abstained": None if error else answer.abstained,
        "answerer": answer.answerer,
        "citations": [_citation(c) for c in answer.citations],
        "retrieved": ranked,
        "gold_sources": list(gold),
        "reference_answer": question.reference_answer,
        "key_facts": [list(f) for f in question.key_facts],
        "missing_facts": m.missing_facts(said, question.key_facts),
        "metrics": values,
        "latency_s": round(latency, 4),
        "tokens": dict(answer.tokens),
        "notes": list(answer.notes),
        "error": error,
    }
    record["failures"] = failures(record)
    return record


def _all(recall: float | None) -> float | None:
    return None if recall is None else float(recall == 1.0)


def _citation(citation: Any) -> dict[str, Any]:
    return {
        "number": citation.number,
        "doc_id": citation.doc_id,
        "location": citation.location_label,
        "quote": citation.quote,
        "score": citation.score,
    }


def failures(record: Mapping[str, Any]) -> list[str]:
    """Why a record counts as a failure (empty when it does not); reports list these first."""
    values, reasons = record["metrics"], []
    if record["error"]:
        reasons.append(f"error: {record['error']}")
    elif record["answerable"] and record["abstained"]:
        reasons.append("abstained on an answerable question")
    elif not record["answerable"] and not record["abstained"]:
        reasons.append("answered an unanswerable question")
    if values["hit_at_k"] == 0:
        reasons.append("no gold source retrieved")
    if record["missing_facts"]:
        reasons.append("missing key facts: " + ", ".join(record["missing_facts"]))
    if values["citation_precision"] == 0:
        reasons.append("cites no gold source")
    if values["cited_facts"] is not None and values["cited_facts"] < 1:
        reasons.append("a key fact of the answer is not in the sentences it cites")
    if values["invalid_citations"]:
        reasons.append(f"{values['invalid_citations']} invalid citation(s)")
    return reasons
