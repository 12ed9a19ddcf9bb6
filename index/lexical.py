"""The lexical (BM25) side of hybrid retrieval, derived from the chunks in Chroma.

The BM25 index is a cache: built from the store's chunks and saved under
ASSISTANT_HOME, stamped with the store's generation. A reader whose stamp differs
from the store's (another process re-indexed, or a server shared by several
machines) rebuilds it, so lexical and dense results always describe the same chunks.
A LexicalCache keeps one store's index in memory for its owner.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.files import private_sibling
from index.store import ChunkStore
from index.text import INDEX_STOPWORDS, TERM, normalise, stemmer, terms

# "2": thousands separators before letters are dropped too ("1,000km" -> "1000km"; index.text);
# a cache written with another version is rebuilt on first use.
LEXICAL_VERSION = "2"

log = logging.getLogger(__name__)


def _tokenizer():  # type: ignore[no-untyped-def]
    from bm25s.tokenization import Tokenizer

    # index.text's notion of a word, its BM25 stop words and its stemmer: the same "forces" as
    # everywhere else, and the tokens this index was always built with.
    return Tokenizer(lower=True, splitter=TERM.pattern, stopwords=sorted(INDEX_STOPWORDS), stemmer=stemmer())


@dataclass
class LexicalIndex:
    """BM25 over chunk texts; `search` returns (chunk_id, score) with positive scores only."""

    ids: list[str]
    model: object  # bm25s.BM25
    tokenizer: object  # bm25s Tokenizer with its vocabulary
    generation: str

    @classmethod
    def build(cls, ids: list[str], texts: list[str], generation: str) -> LexicalIndex:
        import bm25s

        tokenizer = _tokenizer()
        corpus = tokenizer.tokenize([normalise(t) for t in texts], return_as="tuple", show_progress=False)
        model = bm25s.BM25()
        if ids:
            model.index(corpus, show_progress=False)
        return cls(ids=ids, model=model, tokenizer=tokenizer, generation=generation)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        if not self.ids:
            return []
        tokens = self.tokenizer.tokenize(  # type: ignore[attr-defined]
            [normalise(query)], update_vocab=False, return_as="ids", show_progress=False
        )
        if not any(tokens[0]):
            return []
        k = min(k, len(self.ids))
        rows, scores = self.model.retrieve(tokens, k=k, show_progress=False, n_threads=1)  # type: ignore[attr-defined]
        return [(self.ids[int(r)], float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]

    # -- term statistics (the abstain decision's coverage signals) -------------
    def terms(self, text: str) -> list[str]:
        """The stems BM25 sees in `text` (lowercased, stop words out), unknown words included."""
        return terms(text, INDEX_STOPWORDS)

    def idf(self, stem: str) -> float:
        """BM25's idf of a stem over the indexed chunks; a stem no chunk has gets the highest."""
        scores = getattr(self.model, "scores", None)
        total = len(self.ids)
        sid = self.tokenizer.stem_to_sid.get(stem) if scores else None  # type: ignore[attr-defined]
        frequency = 0 if sid is None else int(scores["indptr"][sid + 1] - scores["indptr"][sid])  # type: ignore[index]
        return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))

    # -- persistence -----------------------------------------------------------
    def save(self, folder: Path) -> None:
        """Write to a temporary sibling of this writer's own and swap it in, so readers never see
        half a cache and two processes saving at once (an indexer and a searcher) never write into
        one folder. When another writer's copy lands first, ours is dropped: both describe the
        store, and the generation stamp tells a reader whether it is current."""
        tmp, old = private_sibling(folder, "tmp"), private_sibling(folder, "old")
        tmp.mkdir(parents=True)
        try:
            if self.ids:
                self.model.save(str(tmp), show_progress=False)  # type: ignore[attr-defined]
            self.tokenizer.save_vocab(str(tmp))  # type: ignore[attr-defined]
            meta = {"version": LEXICAL_VERSION, "generation": self.generation, "ids": self.ids}
            (tmp / "meta.json").write_text(json.dumps(meta))
            _swap_in(tmp, folder, old)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """The saved index, or None when absent, from another version, or unreadable."""
        import bm25s

        try:
            meta = json.loads((folder / "meta.json").read_text())
            if meta.get("version") != LEXICAL_VERSION:
                return None
            tokenizer = _tokenizer()
            tokenizer.load_vocab(str(folder))
            model = bm25s.BM25.load(str(folder), show_progress=False) if meta["ids"] else bm25s.BM25()
        except (OSError, ValueError, KeyError):
            return None
        return cls(ids=meta["ids"], model=model, tokenizer=tokenizer, generation=meta["generation"])


def _swap_in(tmp: Path, folder: Path, old: Path) -> None:
    """Move `tmp` to `folder`, the previous `folder` aside to `old`. A rename that loses a race
    with another writer (its folder arrived in between) leaves theirs in place."""
    with contextlib.suppress(FileNotFoundError):  # first save, or another writer moved it aside
        folder.rename(old)
    try:
        tmp.rename(folder)
    except OSError as error:  # another writer's folder is there now: it serves as well as ours
        log.debug("lexical cache %s: kept the copy another writer saved (%s)", folder, error)


def lexical_folder(store: ChunkStore) -> Path:
    return store.settings.home / "lexical" / store.name


def build_from_store(store: ChunkStore, generation: str | None = None) -> LexicalIndex:
    """Build BM25 from every chunk in the store and save it."""
    ids, texts = [], []
    for chunk_id, meta, text in store.iter_chunks():
        ids.append(chunk_id)
        texts.append(lexical_text(str(meta.get("title", "")), text))
    order = np.argsort(ids)  # a stable order, independent of the store's paging
    index = LexicalIndex.build([ids[i] for i in order], [texts[i] for i in order], generation or store.generation())
    try:
        index.save(lexical_folder(store))
    except OSError as error:  # the saved copy is a cache: searching goes on from memory
        log.warning("Could not save the BM25 cache under %s (%s); rebuilt on next use.", lexical_folder(store), error)
    return index


class LexicalCache:
    """The BM25 index of one store, held in memory by whoever searches it (the Assistant lends it
    to its retriever), so a search does not re-read the files (~12 ms at 10k chunks, growing with
    the corpus). Each use checks the store's generation first. Thread-safe."""

    def __init__(self, store: ChunkStore) -> None:
        self.store = store
        self._index: LexicalIndex | None = None
        self._lock = threading.Lock()

    def current(self) -> LexicalIndex:
        """The BM25 index for the store's current generation: the one held, else the saved one,
        else rebuilt from the store's chunks (and saved)."""
        with self._lock:
            generation = self.store.generation()
            index = self._index
            if index is None or index.generation != generation:
                index = LexicalIndex.load(lexical_folder(self.store))
            if index is None or index.generation != generation:
                index = build_from_store(self.store, generation)
            self._index = index
            return index


def lexical_text(title: str, text: str) -> str:
    """What BM25 sees of a chunk: its document title helps short chunks match."""
    return f"{title}\n{text}" if title else text
