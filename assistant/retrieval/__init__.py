"""Retrieval: dense (Chroma) + lexical (BM25), fused, reranked by a cross-encoder on sentence windows."""
