"""Follow-ups: rewrite a question that leans on the conversation into a standalone search query."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from index.tokens import count_tokens

HISTORY_TOKENS = 600  # budget for history in a rewrite prompt; evidence is never crowded out
_DEPENDENT = re.compile(
    r"\b(it|its|he|him|his|she|her|they|them|their|this|that|these|those|there|then|one|ones|"
    r"former|latter|same|also|else|more|again)\b",
    re.I,
)
SHORT_QUESTION_WORDS = 5  # "and in Syria?" is a follow-up even without a pronoun

Message = dict[str, str]
Rewriter = Callable[[str, str], str]  # (history text, question) -> standalone question


def needs_context(question: str) -> bool:
    """True when the question probably refers back to the conversation."""
    return bool(_DEPENDENT.search(question)) or len(question.split()) <= SHORT_QUESTION_WORDS


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
    for turn in reversed(history):
        if turn.get("role") == "user" and str(turn.get("content", "")).strip():
            return str(turn["content"]).strip()
    return None


def standalone_query(question: str, history: Sequence[Message] | None, rewriter: Rewriter | None = None) -> str:
    """The query to search for. Without an LLM: the previous question's words plus this one."""
    if not history or not needs_context(question):
        return question
    previous = last_user_question(history)
    if previous is None:
        return question
    if rewriter is not None:
        rewritten = rewriter(history_text(history), question).strip().strip('"')
        if rewritten and len(rewritten) < 4 * len(question) + 200:
            return rewritten
    return f"{previous} {question}"
