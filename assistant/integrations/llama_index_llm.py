"""Any llama-index LLM as an answerer, through the same prompt, claim check and fallback as ours.

`LlamaIndexAnswerer(llm)` speaks our answerer protocol (`generate`, `rewrite`, `chat`) over any
`llama_index.core.llms.LLM`: an integration the user installed (Ollama, vLLM, Anthropic,
HuggingFace, ...), `OpenAILike` (the `openai` answerer is this class over it), or a test double.
The model only writes text: ids it was not given are removed and every cited sentence is checked
against the sentence it cites by the Assistant, whatever the model is.

llama-index is imported on first use, not with this module (assistant.answering.llm builds the `openai`
answerer on this class).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from assistant.answering.prompts import answer_messages, condense_messages
from assistant.errors import LLMError
from assistant.types import Evidence


class LlamaIndexAnswerer:
    """Answers with a llama-index LLM object; generation settings (temperature, max tokens,
    timeouts, retries) are the LLM object's own, as its owner configured it."""

    def __init__(self, llm: Any, *, name: str | None = None) -> None:
        self.llm = llm
        self.name = name or type(llm).__name__

    def chat(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """The reply to our chat messages, piece by piece, as `llm.stream_chat` produces it
        (an LLM that is not a chat model gets them as one prompt, by llama-index's own rules).
        Raises LLMError, with the cause chained, when the LLM fails."""
        from llama_index.core.llms import ChatMessage

        chat = [ChatMessage(role=m["role"], content=m["content"]) for m in messages]
        seen = ""
        try:
            for response in self.llm.stream_chat(chat):
                piece = response.delta
                if piece is None:  # some integrations fill in only the text so far
                    piece = (response.message.content or "")[len(seen) :]
                seen += piece
                if piece:
                    yield piece
        except LLMError:
            raise
        except Exception as exc:  # each integration raises its own client's errors
            raise LLMError(self.failure(exc)) from exc

    def failure(self, exc: Exception) -> str:
        """What to tell the user when the LLM raised `exc`."""
        return f"the {self.name} LLM (llama-index) failed: {type(exc).__name__}: {exc}; check its configuration"

    def generate(self, question: str, evidence: Sequence[Evidence], *, query: str | None = None) -> Iterator[str]:
        yield from self.chat(answer_messages(question, evidence, query))

    def rewrite(self, history: str, question: str) -> str:
        return "".join(self.chat(condense_messages(history, question)))
