"""Answerers turn numbered evidence into cited text; one Protocol, chosen by name.

extractive  no LLM: the best evidence sentences, verbatim, each with its citation
local       an offline GGUF model through llama-cpp-python (assistant.answering.llm)
openai      any OpenAI-compatible chat server (assistant.answering.llm)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from assistant.answering.evidence import fits_answer_type
from assistant.answering.prompts import escape
from assistant.types import Evidence

EXTRACTIVE_SENTENCES = 3  # at most this many evidence sentences in an extractive answer
EXTRACTIVE_MARGIN = 4.0  # logits: a sentence this far below the best is not worth adding


class Answerer(Protocol):
    """Writes an answer from evidence, citing it as [id]; yields the text as it is produced."""

    name: str

    def generate(self, question: str, evidence: Sequence[Evidence], *, query: str | None = None) -> Iterator[str]:
        """`question` as the user wrote it; `query`, for a follow-up, what it means standalone."""
        ...


class ExtractiveAnswerer:
    """Composes the answer from the best evidence sentences; never says what they don't."""

    name = "extractive"  # it never refuses: abstaining is the Assistant's decision

    def __init__(self, sentences: int = EXTRACTIVE_SENTENCES, margin: float = EXTRACTIVE_MARGIN) -> None:
        self.sentences = sentences
        self.margin = margin

    def generate(self, question: str, evidence: Sequence[Evidence], *, query: str | None = None) -> Iterator[str]:
        asked = query or question  # "And in Syria?" asks what the standalone query asks
        fitting = [e for e in evidence if fits_answer_type(asked, e.sentence)] or list(evidence)
        if not fitting:
            return
        best = max(e.score for e in fitting)
        chosen = [e for e in fitting if e.score >= best - self.margin][: self.sentences]
        for i, item in enumerate(chosen):
            sentence = escape(item.sentence)
            body, end = (sentence[:-1], sentence[-1]) if sentence[-1:] in ".!?" else (sentence, ".")
            yield ("" if i == 0 else " ") + f"{body} [{item.id}]{end}"
