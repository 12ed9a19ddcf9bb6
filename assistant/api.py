"""The Python API: `Assistant.ask`, `Assistant.stream` and `Assistant.chat`.

question -> standalone query -> hybrid retrieval -> evidence -> (abstain?) ->
answerer -> citation check (fallback: extractive) -> Answer
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from assistant.answering.answerers import Answerer, ExtractiveAnswerer
from assistant.answering.compose import (
    OVERVIEW_BUDGET,
    OVERVIEW_EVIDENCE,
    OverviewComposer,
    as_list,
    parts,
    stream_compound,
)
from assistant.answering.compound import shape
from assistant.answering.decision import Calibration, Decision, decide, load_calibration, signals
from assistant.answering.evidence import select_evidence
from assistant.answering.judge import Judge, judging
from assistant.answering.model_queue import Waiting, finished
from assistant.answering.outcome import Timer, abstained
from assistant.answering.refusals import split_refusals
from assistant.checking.citations import check
from assistant.errors import LLMTimeoutError, QuestionError
from assistant.followups.conversation import Message, Rewriter, standalone
from assistant.retrieval.rerank import Scorer
from assistant.retrieval.retrieve import RERANK_POOL, Retriever, Sources
from assistant.settings import Settings
from assistant.types import Answer, Evidence, Passage
from index.embed import Embedder
from index.errors import ConfigError
from index.lexical import LexicalCache
from index.store import ChunkStore

if TYPE_CHECKING:
    from assistant.integrations.llama_index_query import AssistantQueryEngine, AssistantRetriever

MAX_QUESTION_CHARS = 2000  # ~400 words; longer input is a document, not a question
DEFAULT_K = 6  # passages retrieved per question
MAX_K = RERANK_POOL  # the retriever reranks this many candidates and returns at most these


class Assistant:
    """Answers questions over one index. Thread-safe for concurrent `ask` calls."""

    def __init__(
        self,
        settings: Settings,
        *,
        store: ChunkStore | None = None,
        embedder: Embedder | None = None,
        scorer: Scorer | None = None,
        lexical: LexicalCache | None = None,
        answerer: Answerer | None = None,
        rewriter: Rewriter | None = None,
        fallback: Answerer | None = None,
        calibration: Calibration | None = None,
        abstain_threshold: float | None = None,
        judge: Judge | None = None,
    ) -> None:
        from assistant.retrieval.rerank import CrossEncoder
        from index.embed import make_embedder

        self.settings = settings
        self.store = store or ChunkStore.open(settings.index)
        self.embedder = embedder or make_embedder(settings.index)
        self.scorer = scorer or CrossEncoder.bundled()
        self.answerer = answerer or ExtractiveAnswerer()
        self.rewriter = rewriter
        # The answer-or-abstain model: given, or a plain cut on the best typed evidence score
        # (fake scorers in tests), or the collection's own (`assistant calibrate`), or the shipped one.
        if calibration is None and abstain_threshold is not None:
            calibration = Calibration.cutoff("best_typed", abstain_threshold)
        self.judge = judge  # the opt-in answerability judge (ASSISTANT_JUDGE; assistant.answering.judge)
        self.calibration = calibration or load_calibration(
            settings.index.home, settings.index.collection, judged=judge is not None
        )
        if self.calibration.needs_judge and judge is None:
            raise ConfigError(
                f"the calibration {self.calibration.source!r} weighs the judge's signal; set ASSISTANT_JUDGE=local "
                "or refit it without the judge (`assistant calibrate`)"
            )
        # The BM25 index in memory: lent by `share` only when it belongs to this store.
        self.lexical = lexical if lexical is not None and lexical.store is self.store else LexicalCache(self.store)
        self.retriever = Retriever(self.store, self.embedder, self.scorer, lexical=self.lexical)
        self._fallback = fallback or ExtractiveAnswerer()  # when the answerer's text has no supported claim

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        answerer: str | Answerer | None = None,
        llm: Any = None,
        share: Assistant | None = None,
        **parts: Any,
    ) -> Assistant:
        """The one factory every entry point uses (API, CLI, chat window, eval, bench).

        `answerer` is a name (default `settings.answerer`; "auto" resolves as in assistant.answering.llm)
        or an Answerer object; an LLM answerer also rewrites follow-ups. `llm`, any llama-index
        LLM object, answers instead through the same prompt and claim check
        (assistant/integrations/llama_index_llm.py). `share` lends its store, embedder,
        cross-encoder, BM25 index and judge (loaded once per process; not the judge to a local
        answerer, which judges on its own model); `parts` override any of them.
        Raises ConfigError when the named answerer cannot be built, or both are given.
        """
        if llm is not None:
            from assistant.integrations.llama_index_llm import LlamaIndexAnswerer

            if answerer is not None:
                raise ConfigError("give an answerer or a llama-index llm, not both")
            answerer = LlamaIndexAnswerer(llm)
        if answerer is None or isinstance(answerer, str):
            from assistant.answering.llm import make_answerer

            answerer = make_answerer(answerer or settings.answerer, settings)
        if share is not None:
            lent = {"store": share.store, "embedder": share.embedder, "scorer": share.scorer, "lexical": share.lexical}
            parts = {**lent, **parts}
        parts.setdefault("rewriter", getattr(answerer, "rewrite", None))
        if "judge" not in parts:
            from assistant.answering.judge import make_judge, shares_model

            shared = share.judge if share is not None and not shares_model(answerer) else None
            parts["judge"] = shared or make_judge(settings, answerer)
        return cls(settings, answerer=answerer, **parts)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> Assistant:
        """`from_settings` with settings from `environ` (default: os.environ; `.env` is loaded by
        entry points only). Honours ASSISTANT_ANSWERER and the OpenAI and local-model variables."""
        return cls.from_settings(Settings.from_env(os.environ if environ is None else environ), **kwargs)

    # -- public ------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        history: Sequence[Message] | None = None,
        filters: Sequence[str] | None = None,
        k: int = DEFAULT_K,
        abstain: bool = True,
    ) -> Answer:
        """Answer `question`; raises QuestionError (bad question), IndexMissingError, LLMError.
        `abstain=False` answers even when the decision says the documents do not (calibration)."""
        answer: Answer | None = None
        for item in self.stream(question, history=history, filters=filters, k=k, abstain=abstain):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        *,
        history: Sequence[Message] | None = None,
        filters: Sequence[str] | None = None,
        k: int = DEFAULT_K,
        abstain: bool = True,
    ) -> Iterator[str | Answer]:
        """Yield the answer's text as it is generated, then the final, checked `Answer`.

        The streamed pieces are unchecked: show them as a draft. Only the final `Answer` is
        checked; its text may differ from the streamed one (unsupported sentences dropped,
        citations renumbered, or the extractive answer when the LLM's had no supported claim).
        While the local model serves another session, `Waiting` pieces (empty text, with the
        number of users ahead; assistant.answering.model_queue) come before the step that waits:
        with ASSISTANT_JUDGE=local the judge's before the decision (for each part of a compound
        question), the answerer's before its text.
        """
        question = _validated(question)
        _check_k(k)
        timer, started = Timer(), time.perf_counter()
        resolution = standalone(question, history, self.rewriter)
        query = resolution.query
        started = timer.lap("rewrite", started)
        asked = parts(query)
        if len(asked) > 1:
            search = partial(self._retrieve, filters=filters, k=k)
            yield from stream_compound(self, question, query, asked, search, abstain=abstain, timer=timer, at=started)
            return
        passages = self._retrieve(query, filters, k)
        started = timer.lap("retrieve", started)
        overview = shape(query) == "overview"
        limits = {"limit": OVERVIEW_EVIDENCE, "budget": OVERVIEW_BUDGET} if overview else {}
        evidence = select_evidence(query, passages, self.scorer, **limits)
        decision = yield from self.deciding(resolution.typed_question, query, passages, evidence)
        started = timer.lap("evidence", started)
        base = Answer(
            question=question,
            text="",
            passages=tuple(passages),
            evidence=tuple(evidence),
            query=query,
            decision=decision.to_dict(),
        )
        if decision.abstain and abstain:
            yield abstained(base, self.answerer.name, timer)
            return
        yield from self._answer(base, resolution.typed_question, evidence, timer, started, overview=overview)

    # -- steps -------------------------------------------------------------------
    def _retrieve(self, query: str, filters: Sequence[str] | None, k: int) -> list[Passage]:
        sources = Sources(tuple(filters)) if filters else None
        return self.retriever.search(query, k=k, sources=sources)

    def _answer(
        self, base: Answer, typed: str, evidence: list[Evidence], timer: Timer, started: float, *, overview: bool
    ) -> Iterator[str | Answer]:
        """The answerer gets the user's question and the standalone query; `typed` is the text
        whose kind of answer counts (see `stream`). An overview is answered as a list of points."""
        writer, fallback = self.answerer, self._fallback
        if overview:  # the extractive answer to "Summarise ..." is several points, in order
            writer = OverviewComposer() if isinstance(writer, ExtractiveAnswerer) else writer
            fallback = OverviewComposer() if isinstance(fallback, ExtractiveAnswerer) else fallback
        pieces: list[str] = []
        timed_out = ""
        try:
            for piece in writer.generate(base.question, evidence, query=base.query):
                pieces.append(piece)
                yield piece
        except LLMTimeoutError as exc:  # a hung LLM server: the extractive answer, saying why
            pieces, timed_out = [], str(exc)
        raw = "".join(pieces).strip()
        timer.lap("generate", started)
        name = self.answerer.name
        said, refusals = split_refusals(raw)
        refused = bool(refusals) and not said.strip()
        if refused and self.settings.trust_refusals:
            yield abstained(base, name, timer, note=f"{name} found no answer in the evidence")
            return
        checked, answerer = check(said, evidence), name
        notes = list(checked.notes)
        if refusals and not refused:  # a partial answer: what it gives, and what it says is missing
            notes.append(f"{name} said part of the question is not in the documents: {refusals[0]!r}")
        if checked.supported == 0:  # a refusal has no supported sentence either
            checked = check("".join(fallback.generate(base.question, evidence, query=typed)), evidence)
            answerer = f"{name}->extractive"
            why = (
                "found no answer, but the decision found the evidence answers"
                if refused
                else "gave no supported sentence"
            )
            notes = [f"{timed_out or f'{name} {why}'}; showing the extractive answer"]
        if checked.supported == 0:  # never an empty answer: nothing checkable is "not found"
            yield abstained(base, answerer, timer, note="no sentence of the evidence could be checked as an answer")
            return
        timer.timings["total"] = sum(timer.timings.values())
        yield replace(
            base,
            text=as_list(checked) if overview and checked.supported > 1 else checked.text,
            citations=checked.citations,
            answerer=answerer,
            timings=timer.timings,
            notes=tuple(notes),
        )

    def decide(self, typed: str, query: str, passages: Sequence[Passage], evidence: Sequence[Evidence]) -> Decision:
        """Answer or abstain (assistant.answering.decision). The kind of answer asked for comes from `typed`
        (this question: "Who leads the SDF?" after a how-many question wants no number; the
        previous one for "And in Syria?"); the question's vocabulary from the searched `query`."""
        return finished(self.deciding(typed, query, passages, evidence))

    def deciding(
        self, typed: str, query: str, passages: Sequence[Passage], evidence: Sequence[Evidence]
    ) -> Generator[Waiting, None, Decision]:
        """`decide` for a stream: Waiting pieces while the judge waits for a shared model, then the decision."""
        found = signals(query, passages, evidence, self.lexical.current(), asked=typed)
        if self.judge is not None and self.calibration.needs_judge:  # 4-5 s: only when it is weighed
            value = yield from judging(self.judge, query, evidence)
            found = replace(found, judge=round(value, 4))
        return decide(found, self.calibration)

    def warm_up(self) -> None:
        """Load every model now rather than on the first question (the chat window does this at
        start); an LLM answerer also reads its fixed system prompt into its cache, and a judge
        loads its model (ASSISTANT_JUDGE)."""
        self.embedder.embed_query("warm up")
        self.scorer.score("warm up", ["the models are loaded"])
        if self.judge is not None:
            self.judge("Are the models loaded?", ["The models are loaded."])
        warm = getattr(self.answerer, "warm_up", None)
        if callable(warm):
            warm()

    # -- llama-index (assistant/integrations/) -------------------------------------
    def as_retriever(self, *, k: int = DEFAULT_K, filters: Sequence[str] | None = None) -> AssistantRetriever:
        """This retrieval (hybrid + rerank) as a llama-index BaseRetriever; its nodes carry the
        document, span and location."""
        from assistant.integrations.llama_index_query import AssistantRetriever

        _check_k(k)
        return AssistantRetriever(lambda query: self._retrieve(_validated(query), filters, k))

    def as_query_engine(self, *, k: int = DEFAULT_K, filters: Sequence[str] | None = None) -> AssistantQueryEngine:
        """`ask` as a llama-index query engine: Response = the checked answer, its citations as
        source_nodes, the Answer as metadata."""
        from assistant.integrations.llama_index_query import AssistantQueryEngine

        retriever = self.as_retriever(k=k, filters=filters)
        return AssistantQueryEngine(lambda question: self.ask(question, filters=filters, k=k), retriever)

    def as_vector_store_index(self) -> Any:
        """This index as a llama-index VectorStoreIndex (dense search only), queries embedded by
        this embedder; raises IndexMismatchError when the index was built with another."""
        from assistant.integrations.llama_index_store import vector_store_index

        return vector_store_index(self.store, self.embedder)

    def chat(self, *, filters: Sequence[str] | None = None) -> ChatSession:
        """A conversation that keeps its own history."""
        return ChatSession(self, filters=filters)


class ChatSession:
    """Keeps the history of one conversation; `ask` answers follow-ups in context."""

    def __init__(self, assistant: Assistant, *, filters: Sequence[str] | None = None) -> None:
        self.assistant = assistant
        self.filters = filters
        self.history: list[Message] = []

    def ask(self, question: str) -> Answer:
        answer = self.assistant.ask(question, history=self.history, filters=self.filters)
        self.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]
        return answer


def _check_k(k: int) -> None:
    if not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise QuestionError(f"k={k!r} passages: give a whole number from 1 to {MAX_K} (the reranked pool)")


def _validated(question: str) -> str:
    question = " ".join(str(question or "").split())
    if not question:
        raise QuestionError("the question is empty; type a question about your documents")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question)} characters long (limit {MAX_QUESTION_CHARS}); "
            "ask about one thing at a time"
        )
    return question
