"""Plain-text renderings of run summaries for the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.types import Answer
from index.types import IndexSummary

MAX_LISTED = 20  # per section; --json has the full lists


def _section(title: str, items: tuple[str, ...] | list[str]) -> list[str]:
    if not items:
        return []
    lines = [f"{title} ({len(items)}):"]
    lines += [f"  {item}" for item in items[:MAX_LISTED]]
    if len(items) > MAX_LISTED:
        lines.append(f"  ... and {len(items) - MAX_LISTED} more (see --json)")
    return lines


def format_index_summary(summary: IndexSummary, root: Path) -> str:
    """What an index run did (or, with --dry-run, would do), skipped files with reasons."""
    verb = "Would index" if summary.dry_run else "Indexed"
    lines = [
        f"{verb} {root}: {len(summary.added)} added, {len(summary.changed)} changed, "
        f"{len(summary.removed)} removed, {len(summary.unchanged)} unchanged, "
        f"{len(summary.skipped)} skipped."
    ]
    if summary.dry_run:
        lines += _section("Would add", summary.added)
        lines += _section("Would change", summary.changed)
        lines += _section("Would remove", summary.removed)
        lines += _section("Unchanged", summary.unchanged)
    lines += _section("Skipped", [f"{s.path}: {s.reason}" for s in summary.skipped])
    lines += _section("Warnings", summary.warnings)
    if not summary.dry_run:
        lines.append(
            f"Chunks embedded: {summary.chunks_embedded}; chunks in the index: {summary.chunks_total}; "
            f"{summary.seconds:.2f} s."
        )
        if summary.chunks_total == 0:
            lines.append("Nothing could be indexed: check the skipped files above.")
    return "\n".join(lines)


def format_answer(answer: Answer) -> str:
    """The answer, then one numbered footnote per citation: source, location, quote."""
    lines = [answer.text]
    if answer.query and answer.query != answer.question:
        lines.insert(0, f"(searched for: {answer.query})")
    if answer.citations:
        lines.append("")
        for c in answer.citations:
            where = f", {c.location_label}" if c.location_label else ""
            lines.append(f"[{c.number}] {c.title} ({c.doc_id}{where})")
            lines.append(f'    "{c.quote}"')
    lines += [f"note: {note}" for note in answer.notes]
    total = answer.timings.get("total")
    if total is not None:
        lines.append(f"({answer.answerer}, {total:.2f} s)")
    return "\n".join(lines)


SIGNAL_MEANINGS = {
    "best": "best evidence sentence's cross-encoder score",
    "best_typed": "best score among sentences holding the number or date asked for",
    "margin": "best score minus the second best",
    "cover_sentence": "share of the question's rare words in the best sentence",
    "cover_passage": "... in that sentence's passage",
    "cover_top": "... anywhere in the top passages",
    "missing_idf": "rarity of the rarest question word found in none of them",
    "asks_hard": "a number or a date is asked for",
    "asks_soft": "a person or a place is asked for",
    "soft_fit": "the best sentence names someone or somewhere new",
    "dense_top": "best passage's embedding similarity",
    "agree": "best passage found by both dense and keyword search",
    "judge": "local LLM's log-odds that the best evidence answers (ASSISTANT_JUDGE)",
}


def format_decision(decision: dict[str, Any]) -> str:
    """Why the assistant answered or abstained: probability, threshold, each signal and its push."""
    if not decision:
        return "(no decision was made)"
    verdict = "abstain" if decision["abstain"] else "answer"
    lines = [
        f"Decision: {verdict} (P(answerable) = {decision['probability']:.3f}, threshold {decision['threshold']:.3f})",
        f"Calibration: {decision['calibration']}",
        "",
        f"{'signal':<15} {'value':>8} {'push':>7}  meaning",
    ]
    pushes = decision.get("contributions", {})
    for name, value in decision["signals"].items():
        if name == "judge" and name not in pushes:
            continue  # no judge ran (ASSISTANT_JUDGE=off), or the calibration does not weigh it
        push = f"{pushes[name]:+.2f}" if name in pushes else ""
        lines.append(f"{name:<15} {value:>8.3f} {push:>7}  {SIGNAL_MEANINGS.get(name, '')}")
    return "\n".join(lines)
