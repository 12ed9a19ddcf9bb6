"""LLM answerers (local llama-cpp, any OpenAI-compatible server) and the answerer registry.

`auto`: openai when a server is configured (the user pointed at a model of their choice), else
extractive: on outside questions the extractive answerer held more key facts than the bundled
1.5B model, at a small fraction of its time (AUTO_MEASURED). The local model stays one setting
away: ASSISTANT_ANSWERER=local, or "local" in the chat window.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from assistant.answering.answerers import Answerer, ExtractiveAnswerer
from assistant.answering.model_queue import ModelQueue, Waiting
from assistant.answering.prompts import answer_messages, condense_messages
from assistant.errors import LLMError, LLMTimeoutError
from assistant.integrations.llama_index_llm import LlamaIndexAnswerer
from assistant.settings import Settings
from assistant.types import Evidence
from index.errors import ConfigError

log = logging.getLogger(__name__)

MAX_ANSWER_TOKENS = 200  # three short sentences with citations fit in ~120
LOCAL_CONTEXT = 4096  # tokens; prompts are ~600 (system + 6 evidence sentences + question)
TEMPERATURE = 0.0  # answers should be reproducible
RETRY_DELAY_S = 0.5  # before the second attempt at an OpenAI-compatible server; doubles after


class LocalAnswerer:
    """An offline GGUF model through llama-cpp-python, ChatML format, all cores.

    One generation at a time (the model is not re-entrant): callers queue in a ModelQueue and
    the stream yields `Waiting` pieces (empty text) with their place until their turn; a stream
    closed early (GeneratorExit) stops generating and gives the model to the next at once.
    """

    name = "local"

    def __init__(
        self, model_path: str, *, threads: int | None = None, queue: ModelQueue | None = None, llm: Any = None
    ) -> None:
        self.model_path = model_path
        self.threads = threads or os.cpu_count() or 1  # llama.cpp's default is half the cores
        self._llm: Any = llm  # a loaded llama_cpp.Llama (or an object with its create_chat_completion)
        self.queue = queue or ModelQueue()

    @property
    def loaded(self) -> bool:
        """True once the model is in memory (the first use loads it: seconds)."""
        return self._llm is not None

    def _load(self) -> Any:
        if self._llm is None:
            from llama_cpp import Llama

            try:
                self._llm = Llama(
                    model_path=self.model_path,
                    n_ctx=LOCAL_CONTEXT,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,
                    chat_format="chatml",
                    verbose=False,
                )
            except Exception as exc:  # llama_cpp raises ValueError/RuntimeError on bad files
                raise LLMError(f"cannot load the local model {self.model_path}: {exc}") from exc
        return self._llm

    def chat(self, messages: list[dict[str, str]], max_tokens: int = MAX_ANSWER_TOKENS) -> Iterator[str]:
        """The reply as it is generated, after `Waiting` pieces while others use the model."""
        with self.queue.place() as place:
            yield from place.turn()
            if not self.loaded:
                yield Waiting(0, loading=True)
            stream = self._load().create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=TEMPERATURE, stream=True
            )
            try:
                for chunk in stream:
                    piece = chunk["choices"][0]["delta"].get("content")
                    if piece:
                        yield piece
            finally:
                stream.close()  # a closed stream stops generating now, not when collected

    def generate(self, question: str, evidence: Sequence[Evidence], *, query: str | None = None) -> Iterator[str]:
        yield from self.chat(answer_messages(question, evidence, query))

    def rewrite(self, history: str, question: str) -> str:
        return "".join(self.chat(condense_messages(history, question), max_tokens=60))

    def warm_up(self) -> None:
        """Load the model and evaluate the fixed system prompt: llama.cpp keeps the longest
        common prefix of the last prompt, so later questions only pay for their evidence."""
        for _ in self.chat(answer_messages("warm up", []), max_tokens=1):
            pass


class OpenAIAnswerer(LlamaIndexAnswerer):
    """Any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server, LM Studio).

    The llama-index answerer over llama-index's OpenAILike (the openai client enforces the
    timeout). A refused connection, 429 or 5xx is tried again (`retries` times, after
    RETRY_DELAY_S, doubling) while nothing has been streamed; a timeout is not: a server that
    accepts and never answers costs ASSISTANT_OPENAI_TIMEOUT once, then LLMTimeoutError (the
    Assistant answers extractively).
    """

    def __init__(self, settings: Settings, *, retries: int = 2) -> None:
        from llama_index.llms.openai_like import OpenAILike

        self.model = settings.openai_model or ""
        self.base_url = settings.openai_base_url or ""
        self.retries = retries
        llm = OpenAILike(
            model=self.model,
            api_base=self.base_url,
            api_key=settings.openai_api_key.value or "not-needed",
            is_chat_model=True,
            timeout=settings.openai_timeout,
            max_retries=0,  # retried here, where a timeout can be told apart (see the class doc)
            temperature=TEMPERATURE,
            max_tokens=MAX_ANSWER_TOKENS,
            context_window=8192,
        )
        super().__init__(llm, name="openai")

    def failure(self, exc: Exception) -> str:
        # openai raises APIConnectionError, APITimeoutError, APIStatusError...
        return _openai_message(self.base_url, self.model, exc)

    def chat(self, messages: list[dict[str, str]]) -> Iterator[str]:
        """The llama-index answerer's reply, tried again on a transient failure before anything
        has streamed; a timeout raises LLMTimeoutError at once."""
        for attempt in range(self.retries + 1):
            streamed = False
            try:
                for piece in super().chat(messages):
                    streamed = True
                    yield piece
                return
            except LLMError as exc:
                cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
                if "Timeout" in type(cause).__name__:
                    raise LLMTimeoutError(str(exc)) from cause
                if streamed or attempt == self.retries or not _transient(cause):
                    raise
            time.sleep(RETRY_DELAY_S * 2**attempt)


def _transient(exc: Exception) -> bool:
    """Worth another try: a refused connection, 429 or 5xx. Not a timeout: its time is spent."""
    kind, status = type(exc).__name__, getattr(exc, "status_code", None)
    return "Timeout" not in kind and ("Connection" in kind or status == 429 or (status or 0) >= 500)


def _openai_message(base_url: str, model: str, exc: Exception) -> str:
    kind = type(exc).__name__
    if "Timeout" in kind:
        return (
            f"the LLM server at {base_url} did not answer in time ({kind}); "
            "raise ASSISTANT_OPENAI_TIMEOUT or check the server"
        )
    if "Connection" in kind:
        return f"cannot reach the LLM server at {base_url} ({kind}); start it or fix ASSISTANT_OPENAI_BASE_URL"
    status = getattr(exc, "status_code", None)
    if status in (401, 403):
        return f"the LLM server at {base_url} refused the key (HTTP {status}); set ASSISTANT_OPENAI_API_KEY"
    if status == 404:
        return f"the LLM server at {base_url} has no model {model!r} (HTTP 404); fix ASSISTANT_OPENAI_MODEL"
    return f"the LLM server at {base_url} failed: {kind}: {exc}"


# -- registry ------------------------------------------------------------------
_LOADED: dict[str, LocalAnswerer] = {}  # by model path: one copy in memory and one queue per process
_LOADED_LOCK = threading.Lock()


def shared_local(model_path: str) -> LocalAnswerer:
    """The process's LocalAnswerer for `model_path` (made on first call; the model loads on first
    use). Every Assistant that answers or judges with it (each collection of the chat window, a
    judge beside another answerer) shares its one queue and its one context (the weights are
    mapped from the file; each context adds its own cache and working memory): llama.cpp serves
    one request at a time anyway, and two contexts would only split the 2 cores between them."""
    key = str(Path(model_path).resolve())
    with _LOADED_LOCK:
        if key not in _LOADED:
            _LOADED[key] = LocalAnswerer(model_path)
        return _LOADED[key]


def forget_local() -> None:
    """Drop the shared local models (they are freed once no Assistant holds them): for a process
    that measures loading or memory from a clean start (bench/run.py between sections)."""
    with _LOADED_LOCK:
        _LOADED.clear()


def _local(settings: Settings) -> Answerer:
    from assistant.answering.local_model import local_model_path, unavailable

    reason = unavailable(settings)
    if reason is not None:
        raise ConfigError(reason)
    return shared_local(str(local_model_path(settings)))


def _openai(settings: Settings) -> Answerer:
    if not settings.openai_configured:
        raise ConfigError("the openai answerer needs ASSISTANT_OPENAI_BASE_URL and ASSISTANT_OPENAI_MODEL in .env")
    return OpenAIAnswerer(settings)


ANSWERERS: dict[str, Callable[[Settings], Answerer]] = {
    "extractive": lambda settings: ExtractiveAnswerer(),
    "local": _local,
    "openai": _openai,
}


def register_answerer(name: str, factory: Callable[[Settings], Answerer]) -> None:
    """Let `make_answerer(name, settings)` build answerers with `factory` (another backend, or a
    test's fake), as the built-in ones are. Call it at start-up. The names users may choose
    (assistant.settings.ANSWERERS: settings, CLI and UI choices) do not change.

    Raises ConfigError when `name` is "auto" or already registered.
    """
    if name == "auto" or name in ANSWERERS:
        raise ConfigError(f"answerer {name!r} is already defined; choose another name")
    ANSWERERS[name] = factory


# Why `auto` is extractive without a server: key-fact recall on the outside set's fitting split
# (SQuAD 2.0 dev; 60 single questions: 0.729 extractive, 0.646 local; 30 compound: 0.750 and 0.717
# per fact; docs/evaluation.md, "Which answerer auto picks"). Re-measure when the model changes.
AUTO_MEASURED = (
    "it held more key facts than the local model on outside questions (docs/evaluation.md); "
    "ASSISTANT_ANSWERER=local for the LLM"
)


def resolve_auto(settings: Settings) -> tuple[str, str]:
    """What "auto" means: (answerer name, why). openai when a server is configured, else extractive,
    the better of the two bundled answerers by measurement (AUTO_MEASURED)."""
    if settings.openai_configured:
        return "openai", f"a server is configured ({settings.openai_base_url})"
    return "extractive", AUTO_MEASURED


def make_answerer(name: str, settings: Settings) -> Answerer:
    """The answerer called `name`, or for "auto" the best one available (see module doc)."""
    if name == "auto":
        return _auto(settings)
    factory = ANSWERERS.get(name)
    if factory is None:
        raise ConfigError(f"unknown answerer {name!r}; choose one of: auto, {', '.join(ANSWERERS)}")
    return factory(settings)


def _auto(settings: Settings) -> Answerer:
    name, _ = resolve_auto(settings)
    return ExtractiveAnswerer() if name == "extractive" else ANSWERERS[name](settings)
