"""An index built by `assistant index`, opened as a llama-index `VectorStoreIndex`.

llama-index's own `ChromaVectorStore` reads our chunk collection as it is: each record becomes a
`TextNode` whose id is the chunk id, whose text is the passage and whose metadata is what the
index stored (doc_id, title, char_start, char_end, loc_kind, loc_start, loc_end, loc_detail,
chunk_index, ...). Our records carry no `_node_content` JSON; the store's reader for records
without it (its "legacy" path) builds those nodes, so nothing llama-index-specific is written at
index time and no index needs rebuilding. The query vector comes from our embedder through
`llama_index_embedding` (index/embed.py), with the query prefix our own search uses.

What llama-index does differently from our retrieval: dense search only (no BM25, no
cross-encoder), and ChromaVectorStore reports `exp(-distance)` as the score, with cosine distance
here, so a score is exp(cosine - 1), in (0.135, 1].

Read it, do not write into it: `VectorStoreIndex.insert` would add nodes the manifest does not
know, which the next `assistant index` would never remove. Index with `assistant index`.
"""

from __future__ import annotations

from typing import Any

from index.embed import Embedder, llama_index_embedding
from index.store import ChunkStore


def vector_store_index(store: ChunkStore, embedder: Embedder) -> Any:
    """A `llama_index.core.VectorStoreIndex` over `store`'s chunk collection, embedding queries
    with `embedder`. Raises IndexMissingError when nothing is indexed, IndexMismatchError when
    the index was built with another embedder or chunking (its vectors would not compare)."""
    from llama_index.core import VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from assistant.retrieval.retrieve import indexed_chunks
    from index.ingest import fingerprint

    indexed_chunks(store)
    store.check_fingerprint(fingerprint(store.settings, embedder), claim=False)
    vector_store = ChromaVectorStore(chroma_collection=store.chunks)
    return VectorStoreIndex.from_vector_store(vector_store, embed_model=llama_index_embedding(embedder))
