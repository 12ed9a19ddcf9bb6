"""llama-index at the seams: where this assistant meets the llama-index ecosystem.

llama_index_llm    any llama-index LLM object as an answerer (our prompt, claim check, fallback)
llama_index_query  our retrieval as a BaseRetriever, our checked answers as a query engine
llama_index_store  an index built by `assistant index` opened as a llama-index VectorStoreIndex

`Assistant.from_settings(settings, llm=...)`, `Assistant.as_retriever()`,
`Assistant.as_query_engine()` and `Assistant.as_vector_store_index()` are the entry points; the
llama-index quirks stay in these modules. llama-index is imported only when one of them is used.
"""
