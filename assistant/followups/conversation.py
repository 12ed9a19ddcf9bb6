"""Follow-ups: turn a question that leans on the conversation into a standalone search query.

`resolve(question, history)` needs no language model and returns a `Resolution`:

    question        the user's question as asked: show it to the answerer
    query           what to search for: the question with its references replaced, or the question
    kind            "no history"   no previous question; query == question
                    "independent"  names its own subject ("Who leads the SDF?"); query == question
                    "pronoun"      he/it/they/there/his... replaced ("What did Falih al-Fayyad demand?")
                    "ellipsis"     "And in Syria?": the previous question with that part swapped
                    "topic"        no subject of its own ("Why?", "Tell me more"): the previous one added
                    "unresolved"   refers back, but nothing was found to refer to; query == question
    resolved        True when the query took something from the conversation
    how             a short reason for logs and the UI: "'he' -> 'Falih al-Fayyad'"
    typed_question  the text whose answer type counts ("how many" wants a number): the question,
                    except for an ellipsis, which repeats the previous question's ask

`standalone(question, history, rewriter)` is `resolve` with an LLM `rewriter`: the LLM rewrites
questions that lean on the conversation, and `resolve`'s query stands when the LLM fails or returns
something unusable. `standalone_query(...)` returns only that query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from assistant.answering.refusals import is_refusal
from assistant.followups.ellipsis import fragment, own_subject, swap, with_topic
from assistant.followups.phrases import Words, analyse
from assistant.followups.references import Previous, Reference, find_references, previous_turn, referents, replacement
from index.errors import AssistantError
from index.tokens import count_tokens

HISTORY_TOKENS = 600  # budget for history in a rewrite prompt; evidence is never crowded out
MAX_CHAIN = 3  # a follow-up to a follow-up: the earlier questions are resolved first, this deep

Message = dict[str, str]
Rewriter = Callable[[str, str], str]  # (history text, question) -> standalone question
Kind = Literal["no history", "independent", "pronoun", "ellipsis", "topic", "unresolved"]


@dataclass(frozen=True)
class Resolution:
    """A question and the standalone query to search for it with (see the module docstring)."""

    query: str
    question: str
    kind: Kind
    how: str

    @property
    def resolved(self) -> bool:
        return self.query != self.question

    @property
    def typed_question(self) -> str:
        return self.query if self.kind == "ellipsis" else self.question

    def to_dict(self) -> dict[str, object]:
        return {"query": self.query, "question": self.question, "kind": self.kind, "how": self.how}


# -- the public functions ------------------------------------------------------------------------
def resolve(question: str, history: Sequence[Message] | None) -> Resolution:
    """The standalone query for `question` after `history` (oldest turn first); never raises."""
    return _resolve(question, history or (), 0)


def needs_context(question: str) -> bool:
    """True when the question refers back (a pronoun, "And in Syria?") or has no subject of its own."""
    return bool(find_references(Words(question))) or fragment(question) is not None or not own_subject(question)


def standalone(question: str, history: Sequence[Message] | None, rewriter: Rewriter | None = None) -> Resolution:
    """`resolve`, with the query rewritten by the LLM `rewriter` when one is given, the question leans
    on the conversation, and the LLM's rewrite is usable (`how` then starts with "LLM rewrite")."""
    resolution = resolve(question, history)
    if rewriter is None or not history or resolution.kind in ("no history", "independent"):
        return resolution
    rewritten = _rewrite(rewriter, history, question)
    if rewritten is None:
        return resolution
    return replace(resolution, query=rewritten, how=f"LLM rewrite (without the LLM: {resolution.how})")


def standalone_query(question: str, history: Sequence[Message] | None, rewriter: Rewriter | None = None) -> str:
    """The query to search for: `standalone(...).query`."""
    return standalone(question, history, rewriter).query


def history_text(history: Sequence[Message], budget: int = HISTORY_TOKENS) -> str:
    """The most recent turns that fit in `budget` tokens, oldest first."""
    lines: list[str] = []
    used = 0
    for turn in reversed(history):
        line = f"{turn.get('role', 'user')}: {' '.join(str(turn.get('content', '')).split())}"
        cost = count_tokens(line)
        if used + cost > budget:
            break
        lines.append(line)
        used += cost
    return "\n".join(reversed(lines))


def last_user_question(history: Sequence[Message]) -> str | None:
    index = _last_question_index(history)
    return None if index is None else str(history[index]["content"]).strip()


# -- resolving -----------------------------------------------------------------------------------
def _resolve(question: str, history: Sequence[Message], depth: int) -> Resolution:
    previous = _previous(history, depth)
    if previous is None:
        return Resolution(question, question, "no history", "no previous question")
    words = Words(question)
    if not words.words:
        return Resolution(question, question, "unresolved", "no words to resolve")
    references = find_references(words)
    if references:
        return _replace(question, references, previous)
    part = fragment(question)
    swapped = swap(part, previous.asked) if part is not None else None
    if swapped is not None:
        return Resolution(swapped[0], question, "ellipsis", swapped[1])
    if part is not None or not own_subject(question):
        return _with_topic(question, previous)
    return Resolution(question, question, "independent", "independent")


def _replace(question: str, references: list[Reference], previous: Previous) -> Resolution:
    """Each pronoun replaced by what it refers to; one referent never stands for two kinds ("he", "it")."""
    kinds: dict[str, str] = {}
    found = []
    for ref in references:
        target = next((t for t in referents(ref.kind, previous) if _free(t, ref.kind, kinds)), None)
        if target:
            kinds[target] = ref.kind
            found.append((ref, target))
    if not found:
        return Resolution(question, question, "unresolved", "refers back, but nothing was found to refer to")
    query = question
    for ref, target in reversed(found):  # right to left, so the offsets stay valid
        query = query[: ref.start] + replacement(ref, target) + query[ref.end :]
    how = "; ".join(f"'{ref.word}' -> '{target}'" for ref, target in found)
    return Resolution(query, question, "pronoun", how)


def _free(target: str, kind: str, taken: dict[str, str]) -> bool:
    """False when another kind of pronoun already stands for this, or for a part of it ("he", "it")."""
    return all(k == kind or (target not in t and t not in target) for t, k in taken.items())


def _with_topic(question: str, previous: Previous) -> Resolution:
    topic = with_topic(question, previous.asked)
    if topic is None:
        return Resolution(question, question, "unresolved", "refers back, but nothing was found to refer to")
    return Resolution(topic[0], question, "topic", topic[1])


# -- the previous turn ---------------------------------------------------------------------------
def _last_question_index(history: Sequence[Message]) -> int | None:
    for index in reversed(range(len(history))):
        turn = history[index]
        if turn.get("role") == "user" and str(turn.get("content", "")).strip():
            return index
    return None


def _previous(history: Sequence[Message], depth: int) -> Previous | None:
    index = _last_question_index(history)
    if index is None:
        return None
    question = str(history[index]["content"]).strip()
    if depth < MAX_CHAIN:
        question = _resolve(question, history[:index], depth + 1).query
    answer = next((str(t.get("content", "")) for t in history[index + 1 :] if t.get("role") == "assistant"), "")
    return previous_turn(analyse(question), answer)


def _rewrite(rewriter: Rewriter, history: Sequence[Message], question: str) -> str | None:
    """The LLM's standalone question, or None when it failed or returned something unusable."""
    try:
        raw = rewriter(history_text(history), question)
    except AssistantError:
        return None
    lines = [line.strip() for line in str(raw).splitlines() if line.strip()]
    text = lines[0].removeprefix("Rewritten question:").strip().strip("\"'") if lines else ""
    if len(text) < 3 or is_refusal(text) or len(text) > 4 * len(question) + 200:
        return None
    return text
