"""The answerability judge: the local LLM reads the best evidence and says whether it answers.

    question, the best evidence contexts -> ChatML prompt -> one forward pass of the local model
    -> log-odds of "Yes" against "No" as its first token -> Signals.judge

Opt-in (ASSISTANT_JUDGE=local): it costs one pass of the model over ~300 tokens, about 4-5 s a
question on 2 cores, where the rest of the decision takes milliseconds. What it buys is measured
by bench/answerability_judge.py on the outside set's reporting split (docs/choices.md, "Answer or
abstain"): it reads the question's exact constraints ("the French, not the Normans"), which no
lexical signal can, and separates outside questions better (AUC 0.68 -> 0.75), but at the fitted
threshold the gain is small and it did not hold on the sample set; hence off by default. Nothing
is generated and nothing is sampled: the judgement is the model's own scores for its first token,
so it is deterministic for a given model and thread count. With several parts in a question
(assistant/answering/compound.py), each part is judged: one pass per part.

The model is the local answerer's: one per process, whichever answerer the judge sits beside
(assistant.answering.llm.shared_local). Its queue gives the judge one turn at a time,
as it does to answers, since llama.cpp is not re-entrant. `judging` yields the queue's Waiting
pieces while the judge waits (and once while its model loads), so a stream (`Assistant.stream`,
the chat window) shows its place instead of a silent pause.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any, Protocol

import numpy as np

from assistant.answering.model_queue import Waiting, finished
from assistant.settings import JUDGES, Settings
from assistant.types import Evidence
from index.errors import ConfigError

SYSTEM = "You decide whether a text answers a question. Reply with Yes or No only."
ASK = "Does the text state the answer to this exact question? Yes or No."
CONTEXTS = 4  # evidence contexts shown (the extractive answer draws on the first few)
NO_EVIDENCE = -10.0  # the judgement when there is nothing to read (below any measured one, about -8..8)
YES = ("Yes", " Yes", "yes")
NO = ("No", " No", "no")

Judging = Generator[Waiting, None, float]  # Waiting pieces while the judge waits, then its judgement


class Judge(Protocol):
    """Log-odds that `contexts` state the answer to `question` (positive: they do)."""

    def __call__(self, question: str, contexts: Sequence[str]) -> float: ...


def prompt(question: str, contexts: Sequence[str]) -> str:
    """The chat (ChatML, Qwen's own template) up to the assistant's first token."""
    text = "\n".join(f"- {c}" for c in contexts)
    return (
        f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nText:\n{text}\n\nQuestion: {question}\n\n"
        f"{ASK}<|im_end|>\n<|im_start|>assistant\n"
    )


def judging(judge: Judge, question: str, evidence: Sequence[Evidence]) -> Judging:
    """The judgement of the best CONTEXTS evidence contexts, in the order the answerer gets them;
    Waiting pieces first while a judge with a queue (`judging` method) waits for its model."""
    contexts = [e.context for e in evidence[:CONTEXTS]]
    if not contexts:
        return NO_EVIDENCE
    steps = getattr(judge, "judging", None)
    if steps is None:
        return judge(question, contexts)
    return (yield from steps(question, contexts))


def judge_evidence(judge: Judge, question: str, evidence: Sequence[Evidence]) -> float:
    """`judging` for a caller with nowhere to show the wait."""
    return finished(judging(judge, question, evidence))


class LocalJudge:
    """The judge on the local answerer's model (assistant.answering.llm.LocalAnswerer), in its queue."""

    name = "local"

    def __init__(self, local: Any) -> None:
        self.local = local  # a LocalAnswerer: its `queue` and its `_load()` (the llama_cpp.Llama)
        self._tokens: tuple[list[int], list[int]] | None = None

    def __call__(self, question: str, contexts: Sequence[str]) -> float:
        return finished(self.judging(question, contexts))

    def judging(self, question: str, contexts: Sequence[str]) -> Judging:
        """Waiting pieces (its place in the model's queue; loading) until its turn, then the judgement."""
        with self.local.queue.place() as place:
            yield from place.turn()
            if not self.local.loaded:
                yield Waiting(0, loading=True)
            llm = self.local._load()
            if self._tokens is None:
                self._tokens = answer_tokens(llm)
            llm.reset()  # the answerer's cached prefix is not this prompt's
            llm.eval(llm.tokenize(prompt(question, contexts).encode(), add_bos=False, special=True))
            # llama-cpp-python keeps all logits only with logits_all; the context holds the last token's
            logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
            # The answerer's cached system prompt is gone: its next answer reads it again (~140
            # tokens, about 1 s), since llama-cpp-python keeps only the prefix the two prompts share.
            return log_odds(logits, *self._tokens)


def answer_tokens(llm: Any) -> tuple[list[int], list[int]]:
    """The first token of each way of saying Yes, and of each way of saying No, in `llm`'s vocabulary."""
    yes, no = ([llm.tokenize(w.encode(), add_bos=False, special=False)[0] for w in words] for words in (YES, NO))
    return yes, no


def log_odds(logits: np.ndarray, yes: Sequence[int], no: Sequence[int]) -> float:
    """The judgement: log-odds of a first token saying Yes against one saying No."""
    return float(np.logaddexp.reduce(logits[list(yes)]) - np.logaddexp.reduce(logits[list(no)]))


def shares_model(answerer: Any) -> bool:
    """True when `answerer` is the local model, which a judge then shares (one copy in memory)."""
    from assistant.answering.llm import LocalAnswerer

    return isinstance(answerer, LocalAnswerer)


def _local(settings: Settings, answerer: Any) -> Judge:
    from assistant.answering.llm import shared_local
    from assistant.answering.local_model import local_model_path, unavailable

    if shares_model(answerer):
        return LocalJudge(answerer)  # the same model and queue: one copy in memory
    reason = unavailable(settings)
    if reason is not None:
        raise ConfigError(f"ASSISTANT_JUDGE=local needs the local model: {reason}")
    return LocalJudge(shared_local(str(local_model_path(settings))))  # the one "local" answers with


FACTORIES: dict[str, Callable[[Settings, Any], Judge]] = {"local": _local}


def make_judge(settings: Settings, answerer: Any = None) -> Judge | None:
    """The judge ASSISTANT_JUDGE names (None for "off"); it shares `answerer`'s model when that
    is the local one. ConfigError saying what to install when the model is missing."""
    if settings.judge == "off":
        return None
    factory = FACTORIES.get(settings.judge)
    if factory is None:
        raise ConfigError(f"ASSISTANT_JUDGE={settings.judge!r} is not one of: {', '.join(JUDGES)}")
    return factory(settings, answerer)
