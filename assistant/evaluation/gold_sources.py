"""Check a question set's gold sources against the index's document ids before an evaluation.

A gold source names a document as the index does: its path relative to the corpus root.
Metrics compare them exactly, so `reports/x.html` for the indexed `transit/reports/x.html`
would score hit@k = 0 without a word. Every gold source is therefore matched first:

    exact      it is a doc id
    rewritten  one doc id only fits, by path suffix (either way round) or, failing that,
               by file name: used in its place, and reported
    ambiguous  several doc ids fit           } QuestionSetError, listing them all
    missing    none fits                     }  with what to do
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from assistant.errors import QuestionSetError
from assistant.evaluation.questions import MAX_REPORTED, Question


class Rewrite(NamedTuple):
    doc_id: str
    by: str  # "path suffix" or "file name"


@dataclass(frozen=True)
class GoldMatch:
    """How each distinct gold source of a question set matched the index's doc ids."""

    exact: tuple[str, ...] = ()
    rewritten: Mapping[str, Rewrite] = field(default_factory=dict)  # as written -> the doc id
    ambiguous: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # as written -> candidates
    missing: tuple[str, ...] = ()
    naming: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # source -> ids of its questions

    @property
    def resolved(self) -> bool:
        """True when every gold source is a doc id or can be rewritten to exactly one."""
        return not self.ambiguous and not self.missing

    def rewrites(self) -> dict[str, str]:
        """{source as written: doc id} for the rewritten ones (for reports and JSON)."""
        return {source: rewrite.doc_id for source, rewrite in self.rewritten.items()}

    def apply(self, questions: Iterable[Question]) -> list[Question]:
        """The questions with each rewritten gold source replaced by its doc id."""
        return [self._applied(q) for q in questions]

    def _applied(self, question: Question) -> Question:
        gold = tuple(dict.fromkeys(self._doc_id(source) for source in question.gold_sources))
        return question if gold == question.gold_sources else replace(question, gold_sources=gold)

    def _doc_id(self, source: str) -> str:
        rewrite = self.rewritten.get(source)
        return rewrite.doc_id if rewrite else source


def match_gold_sources(questions: Iterable[Question], doc_ids: Iterable[str]) -> GoldMatch:
    """Match every distinct gold source of `questions` to `doc_ids` (see the module docstring)."""
    ids = sorted(set(doc_ids))
    known = set(ids)
    by_name: dict[str, list[str]] = {}
    for doc_id in ids:
        by_name.setdefault(_file_name(doc_id), []).append(doc_id)
    naming: dict[str, list[str]] = {}
    for question in questions:
        for source in question.gold_sources:
            naming.setdefault(source, []).append(question.id)
    exact, rewritten, ambiguous, missing = [], {}, {}, []
    for source in naming:
        if source in known:
            exact.append(source)
            continue
        by, candidates = _candidates(source, ids, by_name)
        if len(candidates) == 1:
            rewritten[source] = Rewrite(candidates[0], by)
        elif candidates:
            ambiguous[source] = tuple(candidates)
        else:
            missing.append(source)
    who = {source: tuple(dict.fromkeys(names)) for source, names in naming.items()}
    return GoldMatch(tuple(exact), rewritten, ambiguous, tuple(missing), who)


def _candidates(source: str, ids: Sequence[str], by_name: Mapping[str, list[str]]) -> tuple[str, list[str]]:
    """The doc ids `source` may mean: by path suffix if any fits, else by file name."""
    suffixed = [d for d in ids if _is_path_suffix(source, d) or _is_path_suffix(d, source)]
    if suffixed:
        return "path suffix", suffixed
    return "file name", list(by_name.get(_file_name(source), ()))


def _is_path_suffix(short: str, long: str) -> bool:
    """True when `short` is `long`'s last path components: "b/c.txt" of "a/b/c.txt", not of "a/xb/c.txt"."""
    return long.endswith("/" + short)


def _file_name(doc_id: str) -> str:
    return doc_id.rsplit("/", 1)[-1]


def resolve_gold_sources(questions: Sequence[Question], doc_ids: Iterable[str]) -> tuple[list[Question], GoldMatch]:
    """The questions with every gold source named as the index names it, and how each matched.

    Questions without gold sources (unanswerable ones) pass as they are. Raises
    QuestionSetError listing the sources no doc id fits, those several fit (with the
    candidates), and what to do, before any question is asked.
    """
    ids = sorted(set(doc_ids))
    match = match_gold_sources(questions, ids)
    if not match.resolved:
        raise QuestionSetError(unresolved_message(match, ids))
    return match.apply(questions), match


def unresolved_message(match: GoldMatch, doc_ids: Sequence[str]) -> str:
    """Which gold sources the index lacks or cannot tell apart, and how to fix the set or the index."""
    problems = [f"{s} ({_asked_by(match, s)}): no indexed document has this path or file name" for s in match.missing]
    problems += [
        f"{s} ({_asked_by(match, s)}): ambiguous, could be {', '.join(candidates)}"
        for s, candidates in match.ambiguous.items()
    ]
    lines = [f"{len(problems)} gold source(s) do not name exactly one of the {len(doc_ids)} indexed documents:"]
    lines += [f"  - {p}" for p in problems[:MAX_REPORTED]]
    if len(problems) > MAX_REPORTED:
        lines.append(f"  ... and {len(problems) - MAX_REPORTED} more")
    example = f" (e.g. {doc_ids[0]!r})" if doc_ids else ""
    lines.append(
        "Write gold_sources as the index names documents, paths relative to the corpus root"
        f"{example}, or index the folder that holds them: `assistant index PATH`."
    )
    return "\n".join(lines)


def _asked_by(match: GoldMatch, source: str) -> str:
    ids = match.naming.get(source, ())
    shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
    return f"question{'s' if len(ids) > 1 else ''} {shown}"


def format_rewrites(match: GoldMatch) -> str:
    """One line per rewritten gold source, for the CLI; "" when none was rewritten."""
    if not match.rewritten:
        return ""
    lines = [f"{len(match.rewritten)} gold source(s) matched an indexed document by path suffix or file name:"]
    lines += [f"  {s} -> {r.doc_id} (by {r.by})" for s, r in match.rewritten.items()]
    lines.append("They are scored as those documents; write them so in the question set to silence this.")
    return "\n".join(lines)
