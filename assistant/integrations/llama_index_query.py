"""Our retrieval as a llama-index `BaseRetriever`, our checked answers as a llama-index query engine.

A passage becomes a `NodeWithScore(TextNode)` whose id is the chunk id, whose text is the
passage, whose `start_char_idx`/`end_char_idx` are its span in the document's cleaned text, whose
SOURCE relationship (`node.ref_doc_id`) is the document id, and whose metadata uses the keys the
index stores in Chroma (so nodes read through llama-index's ChromaVectorStore share them):

    doc_id, title, chunk_id, char_start, char_end,
    location ("lines 3-7", "page 2 (OCR)", "sheet Budget, rows 4-9"), loc_kind, loc_start, loc_end, loc_detail,
    dense, lexical, fused, rerank (the scores that ranked it, when computed)

A downstream LLM or embedder sees only the title and location with the text. The retriever's
order is ours (hybrid rank and cross-encoder combined, assistant/retrieval/retrieve.py); a node's score is
the cross-encoder logit (about -11..11), or the fused hybrid score when no cross-encoder ran.

The query engine's `Response` is the checked answer: `response` is its text with [n] markers,
`source_nodes[n-1]` is citation [n] (its passage, with `citation`, `quote`, `quote_start`,
`quote_end` and the quote's own location in the metadata), and `metadata` is `Answer.to_dict()`
(abstained, citations, decision, notes, timings...).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from llama_index.core.base.base_query_engine import BaseQueryEngine
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.prompts.mixin import PromptMixinType
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from assistant.types import Answer, Citation, Passage
from index.types import Location

SHOWN_TO_LLM = ("title", "location")  # metadata a downstream LLM reads with a node's text
SHOWN_TO_EMBEDDER = ("title",)  # the index embeds title + text too (index/ingest.embed_text)
_SCORES = ("dense", "lexical", "fused", "rerank")


def location_metadata(location: Location | None) -> dict[str, Any]:
    """The flat form of a location: its label and the loc_* fields the index stores."""
    if location is None:
        return {"location": "", "loc_kind": "", "loc_start": 0, "loc_end": 0, "loc_detail": ""}
    return {
        "location": location.label(),
        "loc_kind": location.kind,
        "loc_start": location.start,
        "loc_end": location.end,
        "loc_detail": location.detail,
    }


def _text_node(
    node_id: str, text: str, doc_id: str, span: tuple[int, int] | None, metadata: dict[str, Any]
) -> TextNode:
    return TextNode(
        id_=node_id,
        text=text,
        metadata=metadata,
        start_char_idx=span[0] if span else None,
        end_char_idx=span[1] if span else None,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=doc_id)},
        excluded_llm_metadata_keys=[k for k in metadata if k not in SHOWN_TO_LLM],
        excluded_embed_metadata_keys=[k for k in metadata if k not in SHOWN_TO_EMBEDDER],
    )


def passage_node(passage: Passage) -> NodeWithScore:
    """A retrieved passage as a llama-index node (see the module docstring for its fields)."""
    metadata: dict[str, Any] = {
        "doc_id": passage.doc_id,
        "title": passage.title,
        "chunk_id": passage.chunk_id,
        "char_start": passage.char_start,
        "char_end": passage.char_end,
        **location_metadata(passage.location),
    }
    metadata.update({name: getattr(passage, name) for name in _SCORES if getattr(passage, name) is not None})
    span = (passage.char_start, passage.char_end)
    score = passage.rerank if passage.rerank is not None else passage.fused
    return NodeWithScore(node=_text_node(passage.chunk_id, passage.text, passage.doc_id, span, metadata), score=score)


def citation_node(citation: Citation, passages: Sequence[Passage]) -> NodeWithScore:
    """Citation [n] as a node: the passage it quotes (the quote alone when that passage is not
    among `passages`), scored by how well the quote supports the claim (0..1)."""
    passage = next((p for p in passages if p.chunk_id == citation.chunk_id), None)
    text = passage.text if passage else citation.passage or citation.quote
    span = (passage.char_start, passage.char_end) if passage else None
    metadata: dict[str, Any] = {
        "doc_id": citation.doc_id,
        "title": citation.title,
        "chunk_id": citation.chunk_id,
        "char_start": span[0] if span else citation.char_start,
        "char_end": span[1] if span else citation.char_end,
        **location_metadata(citation.location),
        "citation": citation.number,
        "quote": citation.quote,
        "quote_start": citation.char_start,
        "quote_end": citation.char_end,
    }
    node = _text_node(f"{citation.chunk_id}#{citation.number}", text, citation.doc_id, span, metadata)
    return NodeWithScore(node=node, score=citation.score)


def answer_response(answer: Answer) -> Response:
    """A checked Answer as a llama-index Response: source_nodes[n-1] is citation [n]."""
    nodes = [citation_node(c, answer.passages) for c in sorted(answer.citations, key=lambda c: c.number)]
    return Response(response=answer.text, source_nodes=nodes, metadata=answer.to_dict())


class AssistantRetriever(BaseRetriever):
    """The assistant's retrieval (dense + BM25, fused, reranked by the cross-encoder) as a
    llama-index retriever; build it with `Assistant.as_retriever(k=..., filters=...)`."""

    def __init__(self, search: Callable[[str], list[Passage]], callback_manager: CallbackManager | None = None) -> None:
        super().__init__(callback_manager=callback_manager)
        self._search = search

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [passage_node(p) for p in self._search(query_bundle.query_str)]


class AssistantQueryEngine(BaseQueryEngine):
    """The assistant's checked answers as a llama-index query engine (usable as a
    `QueryEngineTool` in an agent); build it with `Assistant.as_query_engine(k=..., filters=...)`.

    `query()` answers a standalone question (no conversation history), abstaining as `ask` does:
    then `response` starts with NOT_FOUND, `source_nodes` is empty and `metadata["abstained"]` is
    true. `retrieve()` gives the retriever's nodes. Errors are ours (QuestionError, LLMError...).
    """

    def __init__(
        self,
        ask: Callable[[str], Answer],
        retriever: AssistantRetriever,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        super().__init__(callback_manager)
        self._ask = ask
        self._retriever = retriever

    def _get_prompt_modules(self) -> PromptMixinType:
        return {}  # our prompts are constants (assistant/answering/prompts.py), not llama-index templates

    def retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self._retriever.retrieve(query_bundle)

    def _query(self, query_bundle: QueryBundle) -> Response:
        return answer_response(self._ask(query_bundle.query_str))

    async def _aquery(self, query_bundle: QueryBundle) -> Response:
        # The pipeline is synchronous (ONNX and llama.cpp release the GIL); keep the loop free.
        return await asyncio.to_thread(self._query, query_bundle)
