"""llama-index at the seams, with real llama-index objects over a real embedded Chroma.

Our retrieval as a BaseRetriever, our checked answers as a query engine (and an agent's tool),
any llama-index LLM as the answerer (a CustomLLM defined here, llama-index's own MockLLM, and
OpenAILike against a real llama.cpp server), an index built by `assistant index` opened by
llama-index's ChromaVectorStore as a VectorStoreIndex, and tiktoken offline without os.environ.
"""

from __future__ import annotations

import ast
import asyncio
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from llama_index.core import VectorStoreIndex
from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.base.response.schema import Response
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.mock import MockLLM, MockLLMWithChatMemoryOfLastCall
from llama_index.core.schema import MetadataMode, NodeWithScore, QueryBundle, TextNode
from llama_index.core.tools import QueryEngineTool
from llama_index.vector_stores.chroma import ChromaVectorStore

from assistant import NOT_FOUND, Assistant, ConfigError, LLMError, QuestionError, Settings
from assistant.answering.prompts import SYSTEM
from index.embed import llama_index_embedding, make_embedder
from index.errors import IndexMismatchError
from index.ingest import run_index
from index.settings import IndexSettings
from index.store import ChunkStore
from tests.conftest import ROOT, SAMPLE_CORPUS
from tests.fakes import HashingEmbedder, LexicalScorer
from tests.llm_fixtures import llama_server  # noqa: F401  (fixture)
from tests.test_answerers_contract import assert_citations_are_sound

TROOPS = "How many US troops are deployed in Iraq and Syria?"
TROOPS_FACT = "2,500"
UNANSWERABLE = "What is the recipe for apple pie with cinnamon?"
LEXICAL_THRESHOLD = 0.5  # tests/test_assistant.py: LexicalScorer's own abstain threshold
EVIDENCE_LINE = re.compile(r"^\[(\d+)\] (.*)$", re.M)


class CannedLLM(CustomLLM):
    """A llama-index LLM for tests: replies `reply(prompt)` word by word and logs every prompt."""

    reply: Callable[[str], str]
    prompts: list[str] = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="canned")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self.prompts.append(prompt)
        return CompletionResponse(text=self.reply(prompt))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        self.prompts.append(prompt)
        words = self.reply(prompt).split(" ")

        def pieces() -> Iterator[CompletionResponse]:
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                yield CompletionResponse(text=" ".join(words[: i + 1]), delta=piece)

        return pieces()


class BrokenLLM(CannedLLM):
    """An LLM whose server is down."""

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        raise ConnectionError("connection refused")


class CumulativeLLM(CannedLLM):
    """An integration whose stream carries only the text so far, no delta."""

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        words = self.reply("\n".join(str(m.content) for m in messages)).split(" ")
        for i in range(len(words)):
            yield ChatResponse(message=ChatMessage(role="assistant", content=" ".join(words[: i + 1])))


def cite(needle: str, swap: tuple[str, str] | None = None) -> Callable[[str], str]:
    """A reply that states the evidence sentence holding `needle`, cited by its [n] in the
    prompt (with `swap` applied: a wrong claim)."""

    def reply(prompt: str) -> str:
        for number, line in EVIDENCE_LINE.findall(prompt):
            sentence = next((s for s in re.split(r"(?<=[.!?])\s+", line) if needle in s), None)
            if sentence:
                sentence = sentence.replace(*swap) if swap else sentence
                return f"{sentence.rstrip('.')} [{number}]."
        return NOT_FOUND

    return reply


@pytest.fixture(scope="module")
def hashed(tmp_path_factory: pytest.TempPathFactory) -> IndexSettings:
    """The sample corpus indexed with the registered hashing embedder (fast)."""
    settings = IndexSettings(home=tmp_path_factory.mktemp("seam"), embed_model="hashing")
    run_index(SAMPLE_CORPUS, settings, HashingEmbedder())
    return settings


def make(settings: IndexSettings, **kwargs: Any) -> Assistant:
    """The one factory, with the hashing embedder and the lexical scorer."""
    kwargs.setdefault("answerer", None if "llm" in kwargs else "extractive")
    return Assistant.from_settings(
        Settings(index=settings),
        embedder=HashingEmbedder(),
        scorer=LexicalScorer(),
        abstain_threshold=LEXICAL_THRESHOLD,
        **kwargs,
    )


# -- Assistant.as_retriever --------------------------------------------------------------------
def test_the_retriever_is_llama_indexs_and_its_nodes_carry_our_metadata(hashed: IndexSettings) -> None:
    bot = make(hashed)
    retriever = bot.as_retriever(k=4)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve(TROOPS)
    passages = bot.retriever.search(TROOPS, k=4)
    assert [n.node.node_id for n in nodes] == [p.chunk_id for p in passages] and len(nodes) == 4
    for scored, passage in zip(nodes, passages, strict=True):
        node = scored.node
        assert isinstance(scored, NodeWithScore) and isinstance(node, TextNode)
        assert node.get_content() == passage.text and node.ref_doc_id == passage.doc_id
        assert (node.start_char_idx, node.end_char_idx) == (passage.char_start, passage.char_end)
        assert passage.location is not None
        assert node.metadata["doc_id"] == passage.doc_id and node.metadata["title"] == passage.title
        assert node.metadata["location"] == passage.location.label()
        assert (node.metadata["loc_start"], node.metadata["loc_end"]) == (passage.location.start, passage.location.end)
        assert scored.score == passage.rerank
        shown = node.get_content(metadata_mode=MetadataMode.LLM)  # what a downstream LLM reads
        assert passage.title in shown and passage.location.label() in shown and "rerank" not in shown
    assert any(TROOPS_FACT in n.node.get_content() for n in nodes)


def test_the_retriever_keeps_filters_and_refuses_what_ask_refuses(hashed: IndexSettings) -> None:
    bot = make(hashed)
    doc = bot.retriever.search(TROOPS, k=1)[0].doc_id
    nodes = bot.as_retriever(k=3, filters=[doc]).retrieve("troops")
    assert nodes and {n.node.metadata["doc_id"] for n in nodes} == {doc}
    with pytest.raises(QuestionError, match="empty"):
        bot.as_retriever().retrieve("   ")
    with pytest.raises(QuestionError, match="whole number"):
        bot.as_retriever(k=0)


# -- Assistant.as_query_engine -----------------------------------------------------------------
def test_the_query_engine_returns_the_checked_answer_with_its_citations_as_source_nodes(
    hashed: IndexSettings,
) -> None:
    bot = make(hashed)
    engine = bot.as_query_engine()
    assert isinstance(engine, BaseQueryEngine)
    response = engine.query(TROOPS)
    answer = bot.ask(TROOPS)
    assert isinstance(response, Response) and str(response) == answer.text and TROOPS_FACT in answer.text
    assert len(response.source_nodes) == len(answer.citations) >= 1
    for number, (scored, citation) in enumerate(zip(response.source_nodes, answer.citations, strict=True), start=1):
        meta = scored.node.metadata
        assert f"[{number}]" in str(response) and meta["citation"] == citation.number == number
        assert meta["quote"] == citation.quote and citation.quote in scored.node.get_content()
        assert meta["location"] == citation.location_label and scored.score == citation.score
        assert (meta["quote_start"], meta["quote_end"]) == (citation.char_start, citation.char_end)
    metadata = response.metadata or {}
    assert metadata["abstained"] is False and metadata["citations"] == [c.to_dict() for c in answer.citations]
    assert metadata["decision"] == answer.decision
    assert [n.node.node_id for n in engine.retrieve(QueryBundle(TROOPS))] == [p.chunk_id for p in answer.passages]
    assert str(asyncio.run(engine.aquery(TROOPS))) == answer.text


def test_the_query_engine_abstains_with_no_source_nodes(hashed: IndexSettings) -> None:
    response = make(hashed).as_query_engine().query(UNANSWERABLE)
    assert str(response).startswith(NOT_FOUND) and response.source_nodes == []
    assert (response.metadata or {})["abstained"] is True


def test_the_query_engine_is_an_agent_tool(hashed: IndexSettings) -> None:
    tool = QueryEngineTool.from_defaults(
        make(hashed).as_query_engine(), name="news", description="Answers from the news corpus, with citations."
    )
    output = tool.call(TROOPS)
    assert TROOPS_FACT in output.content and isinstance(output.raw_output, Response)
    assert output.raw_output.source_nodes


# -- any llama-index LLM as the answerer -------------------------------------------------------
def test_a_llama_index_llm_answers_through_our_prompt_and_check(hashed: IndexSettings) -> None:
    llm = CannedLLM(reply=cite(TROOPS_FACT))
    bot = make(hashed, llm=llm)
    pieces = list(bot.stream(TROOPS))
    answer = pieces[-1]
    assert not isinstance(answer, str) and answer.answerer == "CannedLLM", answer.notes
    assert len([p for p in pieces if isinstance(p, str)]) > 1, "the LLM's text streams through"
    assert TROOPS_FACT in answer.text and answer.citations
    assert_citations_are_sound(answer)
    assert SYSTEM in llm.prompts[0], "the LLM got our prompt, with the evidence numbered"
    response = bot.as_query_engine().query(TROOPS)
    assert str(response) == answer.text and (response.metadata or {})["answerer"] == "CannedLLM"


def test_a_stream_without_deltas_is_read_whole(hashed: IndexSettings) -> None:
    answer = make(hashed, llm=CumulativeLLM(reply=cite(TROOPS_FACT))).ask(TROOPS)
    assert answer.answerer == "CumulativeLLM" and TROOPS_FACT in answer.text, answer.notes
    assert answer.text.count(TROOPS_FACT) == 1, "each piece once"


def test_a_wrong_claim_from_a_llama_index_llm_is_caught(hashed: IndexSettings) -> None:
    bot = make(hashed, llm=CannedLLM(reply=cite(TROOPS_FACT, swap=(TROOPS_FACT, "9,500"))))
    answer = bot.ask(TROOPS)
    assert "9,500" not in answer.text and TROOPS_FACT in answer.text
    assert answer.answerer == "CannedLLM->extractive"
    assert any("gave no supported sentence" in note for note in answer.notes), answer.notes
    assert_citations_are_sound(answer)


def test_llama_indexs_own_mock_llms_are_checked_like_any_model(hashed: IndexSettings) -> None:
    mock = MockLLMWithChatMemoryOfLastCall(max_tokens=6)  # replies "text text text ..."
    answer = make(hashed, llm=mock).ask(TROOPS)
    assert answer.answerer == "MockLLMWithChatMemoryOfLastCall->extractive" and "text text" not in answer.text
    assert mock.last_chat_messages is not None and mock.last_chat_messages[0].content == SYSTEM
    echo = make(hashed, llm=MockLLM()).ask(TROOPS)  # echoes the whole prompt back
    assert "Rules:" not in echo.text and "EVIDENCE" not in echo.text
    assert_citations_are_sound(echo)


def test_a_failing_llm_says_which_and_why(hashed: IndexSettings) -> None:
    with pytest.raises(LLMError, match=r"BrokenLLM LLM \(llama-index\) failed: ConnectionError"):
        make(hashed, llm=BrokenLLM(reply=str)).ask(TROOPS)
    with pytest.raises(ConfigError, match="not both"):
        Assistant.from_settings(Settings(index=hashed), answerer="extractive", llm=MockLLM())


# -- an index built by `assistant index`, opened by llama-index --------------------------------
def test_llama_indexs_chroma_vector_store_opens_our_index(hashed: IndexSettings) -> None:
    """By hand, as a llama-index user would: ChromaVectorStore over our collection, our embedder."""
    store, embedder = ChunkStore.open(hashed), HashingEmbedder()
    index = VectorStoreIndex.from_vector_store(
        ChromaVectorStore(chroma_collection=store.chunks), embed_model=llama_index_embedding(embedder)
    )
    nodes = index.as_retriever(similarity_top_k=5).retrieve(TROOPS)
    ours = store.query(embedder.embed_query(TROOPS), 5)
    assert [n.node.node_id for n in nodes] == ours["ids"][0], "our vectors, our query embedding, Chroma's order"
    for scored, meta, text, distance in zip(
        nodes, ours["metadatas"][0], ours["documents"][0], ours["distances"][0], strict=True
    ):
        assert scored.node.get_content() == text and scored.node.metadata["doc_id"] == meta["doc_id"]
        assert scored.node.metadata["loc_start"] == meta["loc_start"] and scored.node.metadata["title"] == meta["title"]
        assert scored.score == pytest.approx(math.exp(-distance))
    llm = CannedLLM(reply=lambda prompt: "canned")
    response = index.as_query_engine(llm=llm, similarity_top_k=3).query(TROOPS)  # a real query engine call
    assert str(response) == "canned" and [n.node.node_id for n in response.source_nodes] == ours["ids"][0][:3]
    assert ours["documents"][0][0] in llm.prompts[-1], "the LLM read our passages"


def test_as_vector_store_index_refuses_another_embedder(hashed: IndexSettings) -> None:
    index = make(hashed).as_vector_store_index()
    assert isinstance(index, VectorStoreIndex)
    assert index.as_retriever(similarity_top_k=1).retrieve(TROOPS)[0].node.metadata["doc_id"]
    other = Assistant(Settings(index=hashed), embedder=HashingEmbedder(dim=64), scorer=LexicalScorer())
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        other.as_vector_store_index()


# -- with the real bundled models ---------------------------------------------------------------
@pytest.fixture(scope="module")
def bge_index(tmp_path_factory: pytest.TempPathFactory) -> IndexSettings:
    settings = IndexSettings(home=tmp_path_factory.mktemp("seam-bge"))
    run_index(SAMPLE_CORPUS, settings, make_embedder(settings.embed_model))
    return settings


@pytest.mark.slow
def test_a_vector_store_index_over_a_bge_index_finds_the_answer(bge_index: IndexSettings) -> None:
    index = Assistant(Settings(index=bge_index), answerer=None).as_vector_store_index()
    top = index.as_retriever(similarity_top_k=3).retrieve(TROOPS)
    assert any(TROOPS_FACT in n.node.get_content() for n in top), [n.node.get_content()[:80] for n in top]


@pytest.mark.slow
def test_openai_like_against_a_real_server_through_the_check(bge_index: IndexSettings, llama_server: str) -> None:  # noqa: F811
    from llama_index.llms.openai_like import OpenAILike

    llm = OpenAILike(
        model="local-qwen", api_base=llama_server, api_key="none", is_chat_model=True, temperature=0.0,
        max_tokens=200, timeout=300.0, context_window=4096,
    )  # fmt: skip
    response = Assistant.from_settings(Settings(index=bge_index), llm=llm).as_query_engine().query(TROOPS)
    answer = response.metadata or {}
    # The bundled model states both figures with their citation (tests/test_answerers_contract.py).
    assert answer["answerer"] == "OpenAILike" and not answer["abstained"], answer["notes"]
    assert TROOPS_FACT in str(response) and response.source_nodes
    assert all(n.node.metadata["quote"] in n.node.get_content() for n in response.source_nodes)


# -- tiktoken offline, no global state ------------------------------------------------------------
def test_our_cl100k_is_tiktokens_own(monkeypatch: pytest.MonkeyPatch) -> None:
    import tiktoken

    from index.tokens import encoding, tiktoken_cache_dir

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tiktoken_cache_dir()))
    theirs, ours = tiktoken.get_encoding("cl100k_base"), encoding()
    assert ours._pat_str == theirs._pat_str and ours._special_tokens == theirs._special_tokens
    assert ours._mergeable_ranks == theirs._mergeable_ranks
    text = "2,500 US troops — naïve café 😀 <|endoftext|>\n\n  x"
    assert ours.encode(text, disallowed_special=()) == theirs.encode(text, disallowed_special=())


def test_counting_tokens_leaves_the_environment_alone() -> None:
    code = (
        "import os; env = dict(os.environ); from index.tokens import count_tokens; "
        "n = count_tokens('a b'); print(n, dict(os.environ) == env)"
    )
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    assert out.stdout.split() == ["2", "True"], out.stderr


# -- no import circle ---------------------------------------------------------------------------
def _module_imports(path: Path, package_root: Path) -> set[str]:
    """The project modules `path` imports at module level (not in functions or TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for item in ast.walk(node) if not isinstance(node, ast.FunctionDef | ast.ClassDef) else []:
            if isinstance(item, ast.ImportFrom) and item.module and item.level == 0:
                found.add(item.module)
            elif isinstance(item, ast.Import):
                found.update(alias.name for alias in item.names)
    return {m for m in found if (package_root / m.replace(".", "/")).with_suffix(".py").exists()}


def test_no_import_circle_at_module_level() -> None:
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts): p
        for folder in ("assistant", "index", "ui")
        for p in (ROOT / folder).rglob("*.py")
        if p.name != "__init__.py"
    }
    graph = {name: _module_imports(path, ROOT) & set(modules) for name, path in modules.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for dep in sorted(graph[name]):
            assert state.get(dep) != 1, "import circle: " + " -> ".join([*path, name, dep])
            if dep not in state:
                visit(dep, [*path, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert graph["assistant.integrations.llama_index_query"].isdisjoint({"assistant.api", "assistant.answering.llm"})
