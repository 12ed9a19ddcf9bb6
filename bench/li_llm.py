"""Our LLM answerers as a llama-index LLM, so the baseline pipeline runs on the very same model.

`AnswererLLM` wraps anything with `chat(messages) -> Iterator[str]`: `LocalAnswerer` (the bundled
GGUF through llama_cpp's `create_chat_completion`: same file, n_ctx, threads, ChatML, temperature
0) or `OpenAIAnswerer` (llama-index's OpenAILike underneath). Sharing the answerer object also
means the model is loaded once for both sides of the comparison.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from assistant.answering.llm import LOCAL_CONTEXT, MAX_ANSWER_TOKENS
from index.tokens import count_tokens


class Chatter(Protocol):
    """What `LocalAnswerer` and `OpenAIAnswerer` both offer: streamed replies to chat messages."""

    name: str

    def chat(self, messages: list[dict[str, str]]) -> Iterator[str]: ...


def prompt_tokens(messages: Sequence[dict[str, str]]) -> int:
    """cl100k_base tokens of the messages' text: one counter for both pipelines (chat-template
    tokens, ~4 per message, are not counted; absolute counts differ from the model's own)."""
    return count_tokens("\n".join(m["content"] for m in messages))


@dataclass
class Call:
    """One LLM call: when it started, when its first piece arrived (perf_counter), prompt size."""

    kind: str  # "chat" (an answer) or "complete" (llama-index's condense step)
    started: float
    prompt_tokens: int
    first_piece: float | None = None


class AnswererLLM(CustomLLM):
    """A llama-index chat model over one of our answerers.

    `max_tokens` (None = the answerer's own cap, MAX_ANSWER_TOKENS) is passed to `chat` only
    when set; `LocalAnswerer.chat` accepts it, `OpenAIAnswerer` has its cap built in.
    Every call is logged in `calls` (prompt tokens, time of the first piece) for the benchmark;
    `take_calls()` returns and clears the log.
    """

    context_window: int = LOCAL_CONTEXT
    num_output: int = MAX_ANSWER_TOKENS
    model_name: str = "answerer"
    max_tokens: int | None = None
    _chatter: Any = PrivateAttr()
    _calls: list[Call] = PrivateAttr(default_factory=list)

    def __init__(self, chatter: Chatter, **kwargs: Any) -> None:
        kwargs.setdefault("model_name", getattr(chatter, "model_path", None) or getattr(chatter, "model", chatter.name))
        super().__init__(**kwargs)
        self._chatter = chatter

    @classmethod
    def class_name(cls) -> str:
        return "AnswererLLM"

    @property
    def metadata(self) -> LLMMetadata:
        # is_chat_model: llama-index then sends its chat templates as messages (system + user),
        # which create_chat_completion formats with the model's own ChatML template.
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens or self.num_output,
            is_chat_model=True,
            model_name=str(self.model_name),
        )

    def take_calls(self) -> list[Call]:
        calls, self._calls = self._calls, []
        return calls

    def _pieces(self, messages: list[dict[str, str]], kind: str = "chat") -> Iterator[str]:
        call = Call(kind, time.perf_counter(), prompt_tokens(messages))
        self._calls.append(call)
        if self.max_tokens is None:
            pieces = self._chatter.chat(messages)
        else:
            pieces = self._chatter.chat(messages, max_tokens=self.max_tokens)
        for piece in pieces:
            if call.first_piece is None:
                call.first_piece = time.perf_counter()
            yield piece

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = "".join(self._pieces(_as_dicts(messages)))
        return ChatResponse(message=ChatMessage(role="assistant", content=text))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        pieces = self._pieces(_as_dicts(messages))

        def generate() -> ChatResponseGen:
            text = ""
            for piece in pieces:
                text += piece
                yield ChatResponse(message=ChatMessage(role="assistant", content=text), delta=piece)

        return generate()

    # A completion prompt (llama-index's condense step) is sent as one user message. Not via
    # self.chat: that would fire a second LLM callback event for the same call.
    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(self._pieces([{"role": "user", "content": prompt}], "complete")))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        pieces = self._pieces([{"role": "user", "content": prompt}], "complete")

        def generate() -> CompletionResponseGen:
            text = ""
            for piece in pieces:
                text += piece
                yield CompletionResponse(text=text, delta=piece)

        return generate()


def _as_dicts(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role.value, "content": m.content or ""} for m in messages]
