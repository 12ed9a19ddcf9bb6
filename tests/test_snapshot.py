"""The local snapshot that lets an unchanged re-index skip opening Chroma, and when it must not."""

from __future__ import annotations

from pathlib import Path

import pytest

from index import snapshot
from index.ingest import fingerprint, run_index
from index.settings import IndexSettings
from index.store import ChunkStore
from tests.fakes import HashingEmbedder


def _no_store(*_args: object, **_kwargs: object) -> ChunkStore:
    raise AssertionError("the store was opened")


def test_an_unchanged_corpus_is_checked_without_opening_the_store(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_index(corpus, index_settings, hashing)
    monkeypatch.setattr(ChunkStore, "open", _no_store)
    again = run_index(corpus, index_settings, hashing)
    assert again.chunks_embedded == 0 and again.chunks_total == first.chunks_total
    assert sorted(again.unchanged) == sorted(first.added) and not (again.added or again.changed or again.removed)


def test_any_change_takes_the_full_path(corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder) -> None:
    run_index(corpus, index_settings, hashing)
    target = sorted(corpus.iterdir())[0]
    target.write_text(target.read_text() + "\n\nA new closing paragraph about the convoy.\n")
    changed = run_index(corpus, index_settings, hashing)
    assert changed.changed == (target.name,) and changed.chunks_embedded > 0
    target.unlink()
    removed = run_index(corpus, index_settings, hashing)
    assert removed.removed == (target.name,)


def test_a_store_emptied_behind_our_back_is_noticed(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    first = run_index(corpus, index_settings, hashing)
    ChunkStore.open(index_settings).drop()
    again = run_index(corpus, index_settings, hashing)
    assert again.chunks_embedded == first.chunks_total, "everything is indexed again"


def test_other_settings_do_not_use_the_snapshot(
    corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder
) -> None:
    run_index(corpus, index_settings, hashing)
    other = HashingEmbedder(dim=64)
    assert snapshot.load(index_settings, fingerprint(index_settings, other)) is None
    assert snapshot.load(index_settings, fingerprint(index_settings, hashing)) is not None


def test_a_failed_run_leaves_no_snapshot(corpus: Path, index_settings: IndexSettings, hashing: HashingEmbedder) -> None:
    run_index(corpus, index_settings, hashing)

    class Broken(HashingEmbedder):
        def embed_documents(self, texts: list[str]):  # type: ignore[no-untyped-def, override]
            raise RuntimeError("disk on fire")

    target = sorted(corpus.iterdir())[1]
    target.write_text(target.read_text() + "\n\nOne more paragraph.\n")
    with pytest.raises(RuntimeError):
        run_index(corpus, index_settings, Broken())
    assert snapshot.load(index_settings, fingerprint(index_settings, hashing)) is None
    finished = run_index(corpus, index_settings, hashing)
    assert finished.changed == (target.name,)


def test_a_chroma_server_never_uses_a_snapshot(tmp_path: Path) -> None:
    settings = IndexSettings(home=tmp_path, chroma_host="localhost")
    assert snapshot.store_signature(settings) is None
