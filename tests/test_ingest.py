"""Indexing into a real embedded Chroma with the hashing embedder: idempotent, incremental, exact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from filelock import FileLock

from index.clean import clean
from index.errors import IndexBusyError, IndexMismatchError
from index.ingest import run_index
from index.lexical import LexicalCache, LexicalIndex
from index.load import load_file
from index.settings import IndexSettings
from index.store import ChunkStore
from tests.conftest import write
from tests.fakes import HashingEmbedder


def snapshot(store: ChunkStore) -> dict[str, tuple[str, str]]:
    """chunk id -> (doc id, text): the whole observable content of the index."""
    return {cid: (meta["doc_id"], text) for cid, meta, text in store.iter_chunks()}


def test_second_run_over_an_unchanged_corpus_embeds_nothing(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    first = run_index(corpus, index_settings, hashing)
    assert len(first.added) == 5 and first.chunks_embedded == first.chunks_total > 0
    store = ChunkStore.open(index_settings)
    before = snapshot(store)
    second = run_index(corpus, index_settings, hashing, store=store)
    assert second.chunks_embedded == 0
    assert len(second.unchanged) == 5 and not (second.added or second.changed or second.removed)
    assert snapshot(store) == before


def test_changed_file_replaces_only_its_chunks(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    run_index(corpus, index_settings, hashing)
    store = ChunkStore.open(index_settings)
    before = snapshot(store)
    target = sorted(corpus.iterdir())[0]
    target.write_text(target.read_text() + "\n\nA brand new closing paragraph about the airbase at Kirkuk.\n")
    summary = run_index(corpus, index_settings, hashing, store=store)
    assert summary.changed == (target.name,)
    after = snapshot(store)
    untouched_before = {k: v for k, v in before.items() if v[0] != target.name}
    untouched_after = {k: v for k, v in after.items() if v[0] != target.name}
    assert untouched_before == untouched_after
    texts = [text for doc, text in after.values() if doc == target.name]
    assert any("brand new closing paragraph" in t for t in texts)
    assert summary.chunks_embedded == len(texts)


def test_removed_file_loses_its_chunks(corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder) -> None:
    run_index(corpus, index_settings, hashing)
    victim = sorted(corpus.iterdir())[1]
    victim.unlink()
    summary = run_index(corpus, index_settings, hashing)
    assert summary.removed == (victim.name,)
    store = ChunkStore.open(index_settings)
    assert victim.name not in {doc for doc, _ in snapshot(store).values()}
    assert victim.name not in store.manifest()


def test_moving_the_corpus_folder_re_embeds_nothing(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder, tmp_path: Path
) -> None:
    run_index(corpus, index_settings, hashing)
    moved = tmp_path / "elsewhere" / "docs"
    shutil.move(str(corpus), moved)
    summary = run_index(moved, index_settings, hashing)
    assert summary.chunks_embedded == 0 and len(summary.unchanged) == 5


def test_dry_run_lists_and_writes_nothing(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    run_index(corpus, index_settings, hashing)
    names = sorted(p.name for p in corpus.iterdir())
    (corpus / names[0]).unlink()
    (corpus / names[1]).write_text("Completely different text about something else entirely.\n")
    write(corpus / "sub" / "new.md", "# New\n\nA new file in a subfolder.\n")
    store = ChunkStore.open(index_settings)
    before = snapshot(store)
    summary = run_index(corpus, index_settings, hashing, dry_run=True, store=store)
    assert summary.dry_run
    assert summary.added == ("sub/new.md",)
    assert summary.changed == (names[1],)
    assert summary.removed == (names[0],)
    assert set(summary.unchanged) == set(names[2:])
    assert snapshot(store) == before


def test_other_settings_are_refused_then_rebuilt(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    run_index(corpus, index_settings, hashing)
    other = index_settings.with_(chunk_tokens=200)
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        run_index(corpus, other, hashing)
    with pytest.raises(IndexMismatchError, match="embed"):
        run_index(corpus, index_settings, HashingEmbedder(dim=128))
    summary = run_index(corpus, other, hashing, rebuild=True)
    assert len(summary.added) == 5
    assert ChunkStore.open(other).fingerprint()["chunk_tokens"] == 200


def test_recorded_spans_and_locations_point_at_the_chunk_text(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    run_index(corpus, index_settings, hashing)
    store = ChunkStore.open(index_settings)
    docs = {p.name: clean(load_file(p, p.name, max_bytes=10**8)) for p in corpus.iterdir()}
    lines = {p.name: p.read_text().splitlines() for p in corpus.iterdir()}
    for _, meta, text in store.iter_chunks():
        doc = docs[meta["doc_id"]]
        assert doc.text[meta["char_start"] : meta["char_end"]] == text
        assert meta["loc_kind"] == "lines"
        original = "\n".join(lines[meta["doc_id"]][meta["loc_start"] - 1 : meta["loc_end"]])
        first_words = text.split()[:3]
        assert all(word in original for word in first_words)


def test_lexical_index_is_kept_in_step(corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder) -> None:
    run_index(corpus, index_settings, hashing)
    store = ChunkStore.open(index_settings)
    cache = LexicalCache(store)
    lexical = cache.current()
    assert set(lexical.ids) == set(snapshot(store))
    hits = lexical.search("Kirkuk K-1 military base", 3)
    assert hits and store.chunks.get(ids=[hits[0][0]])["metadatas"][0]["doc_id"].startswith("004")
    sorted(corpus.iterdir())[-1].unlink()
    run_index(corpus, index_settings, hashing, store=store)
    assert set(cache.current().ids) == set(snapshot(store))


def test_lexical_index_is_read_from_disk_once_per_generation(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_index(corpus, index_settings, hashing)
    store = ChunkStore.open(index_settings)
    cache = LexicalCache(store)
    first = cache.current()
    reads: list[Path] = []
    real_load = LexicalIndex.load.__func__  # type: ignore[attr-defined]

    def counted_load(cls: type[LexicalIndex], folder: Path) -> LexicalIndex | None:
        reads.append(folder)
        return real_load(cls, folder)  # type: ignore[no-any-return]

    monkeypatch.setattr(LexicalIndex, "load", classmethod(counted_load))
    assert cache.current() is first and reads == []  # same generation: the loaded one
    assert LexicalCache(store).current() is not first and reads  # another holder reads its own
    sorted(corpus.iterdir())[-1].unlink()
    run_index(corpus, index_settings, hashing, store=store)  # a new generation
    current = cache.current()
    assert current is not first and current.generation == store.generation()
    assert set(current.ids) == set(snapshot(store))


def test_a_reader_sees_a_re_index_made_through_another_store(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    run_index(corpus, index_settings, hashing)
    reader = ChunkStore.open(index_settings)  # e.g. the chat window, open while `assistant index` runs
    cache = LexicalCache(reader)
    assert set(cache.current().ids) == set(snapshot(reader))
    (corpus / "extra.txt").write_text("A new report on the Zorblat river crossing, opened on Tuesday.\n")
    run_index(corpus, index_settings, hashing, store=ChunkStore.open(index_settings))
    assert reader.generation() == ChunkStore.open(index_settings).generation()
    hits = cache.current().search("Zorblat river crossing", 3)
    assert hits and hits[0][0] in snapshot(reader)


def test_a_second_writer_gets_a_clear_busy_error(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    index_settings.home.mkdir(parents=True)
    lock = FileLock(str(index_settings.home / "index.lock"))
    with lock, pytest.raises(IndexBusyError, match="another `assistant index`"):
        run_index(corpus, index_settings, hashing)


def test_an_interrupted_document_is_finished_by_the_next_run(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    """Simulate a crash mid-document: pending record + half of the new chunks written."""
    from index.ingest import prepare
    from index.scan import scan
    from index.store import DocRecord

    run_index(corpus, index_settings, hashing)
    store = ChunkStore.open(index_settings)
    target = sorted(corpus.iterdir())[2]
    target.write_text(target.read_text().replace("the", "THE"))
    found = [f for f in scan(corpus)[0] if f.doc_id == target.name][0]
    ((doc, chunks),) = prepare(found, index_settings)  # a text file is one document
    old = store.manifest()[target.name]
    store.put_record(DocRecord(target.name, old.content_hash, doc.content_hash, doc.title, doc.kind))
    half = chunks[: len(chunks) // 2]
    store.upsert(
        [c.chunk_id for c in half],
        hashing.embed_documents([c.text for c in half]),
        [c.text for c in half],
        [{"doc_id": target.name, "content_hash": doc.content_hash} for c in half],
    )
    summary = run_index(corpus, index_settings, hashing, store=store)
    assert summary.changed == (target.name,)
    assert summary.chunks_embedded == len(chunks) - len(half)
    ids = {cid for cid, (d, _) in snapshot(store).items() if d == target.name}
    assert ids == {c.chunk_id for c in chunks}
    assert not store.manifest()[target.name].pending


def test_records_are_written_a_batch_at_a_time_and_still_bracket_each_document(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every Chroma write costs the same few ms however few rows it holds (index/write.py): a
    fresh run writes one call of pending records and one of committed records per embedding
    batch, never looks up or deletes chunks of documents the manifest never held, and each
    document still goes pending -> its chunks -> committed."""
    store = ChunkStore.open(index_settings)
    log: list[tuple[str, tuple[str, ...]]] = []

    def spy(name: str, ids_of):  # type: ignore[no-untyped-def]
        real = getattr(store, name)

        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            log.append((name, tuple(ids_of(*args, **kwargs))))
            return real(*args, **kwargs)

        monkeypatch.setattr(store, name, call)

    spy("put_records", lambda records: [(r.doc_id, r.pending or "committed") for r in records])
    spy("upsert", lambda ids, *rest: ids)
    spy("existing_ids", lambda ids: ids)
    spy("delete_chunks", lambda doc_id, **kw: [doc_id])
    summary = run_index(corpus, index_settings, hashing, store=store)

    names = [name for name, _ in log]
    batches = names.count("upsert")
    assert len(summary.added) == 5 and batches >= 1
    assert names.count("put_records") == 2 * batches  # not two per document
    assert "existing_ids" not in names and "delete_chunks" not in names
    chunk_doc = {cid: meta["doc_id"] for cid, meta, _ in store.iter_chunks()}
    manifest = store.manifest()
    for doc_id in summary.added:
        events: list[str] = []
        for name, keys in log:
            if name == "put_records":
                events += [state for owner, state in keys if owner == doc_id]
            elif any(chunk_doc.get(key) == doc_id for key in keys):
                events.append("chunks")
        assert events == [manifest[doc_id].content_hash, "chunks", "committed"], doc_id
    assert not any(r.pending for r in manifest.values())


def test_every_sentence_can_be_located_on_its_own_lines(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    """A citation points at the exact lines of its sentence, not only at the chunk's range."""
    from assistant.retrieval.retrieve import passage_from
    from index.sentences import sentence_spans

    write(
        corpus / "wrapped.md",
        "# Wrapped\n\nFirst line of a paragraph\nthat wraps here. Second sentence\non line six.\n",
    )
    run_index(corpus, index_settings, hashing)
    store = ChunkStore.open(index_settings)
    lines = {p.name: p.read_text().splitlines() for p in corpus.iterdir()}
    checked = 0
    for chunk_id, meta, text in store.iter_chunks():
        passage = passage_from(chunk_id, meta, text)
        for start, end in sentence_spans(text):
            location = passage.locate(passage.char_start + start, passage.char_start + end)
            assert location is not None and location.kind == "lines"
            original = " ".join(lines[passage.doc_id][location.start - 1 : location.end])
            first, last = text[start:end].split()[0], text[start:end].split()[-1]
            assert first in original and last.rstrip(".") in original, (passage.doc_id, location, text[start:end])
            checked += 1
    assert checked > 100
    wrapped = [passage_from(c, m, t) for c, m, t in store.iter_chunks() if m["doc_id"] == "wrapped.md"][0]
    second = wrapped.text.index("Second")
    assert wrapped.locate(wrapped.char_start + second, wrapped.char_end).label() == "lines 4-5"


def test_saves_of_the_lexical_cache_by_many_writers_at_once_never_collide(tmp_path: Path) -> None:
    """An indexer and a searcher both save the BM25 cache after a re-index (CI once failed on a
    shared temporary folder): every save finishes and the folder left behind loads whole."""
    from concurrent.futures import ThreadPoolExecutor

    ids = [f"c{i}" for i in range(40)]
    texts = [f"passage {i} about the harbour crane number {i}" for i in range(40)]
    index = LexicalIndex.build(ids, texts, "g1")
    folder = tmp_path / "lexical" / "documents"
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: index.save(folder), range(64)))  # re-raises any writer's error
    loaded = LexicalIndex.load(folder)
    assert loaded is not None and loaded.ids == ids and loaded.generation == "g1"
    assert loaded.search("harbour crane 7", 1)[0][0] == "c7"
    assert sorted(p.name for p in folder.parent.iterdir()) == ["documents"]  # no temporary left
