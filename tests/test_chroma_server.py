"""The same indexing code against a real `chroma run` server started by the test."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index.embed import make_embedder
from index.ingest import run_index
from index.settings import IndexSettings
from index.store import ChunkStore
from tests.cli_helpers import env_for, free_port, run_json

pytestmark = pytest.mark.slow


def chroma_binary() -> str:
    found = Path(sys.executable).with_name("chroma")
    return str(found) if found.exists() else shutil.which("chroma") or "chroma"


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [chroma_binary(), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail(f"chroma server did not start; log:\n{(data / 'server.log').read_text()}")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_index_status_and_reindex_through_the_server(chroma_server: int, corpus: Path, tmp_path: Path) -> None:
    env = env_for(
        tmp_path / "home", CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(chroma_server), ASSISTANT_COLLECTION="server-test"
    )
    code, first = run_json(["index", str(corpus)], env)
    assert code == 0 and len(first["added"]) == 5 and first["chunks_embedded"] > 0
    code, status = run_json(["status"], env)
    assert status["store_mode"] == "server" and status["documents"] == 5
    assert status["chunks"] == first["chunks_total"]
    assert status["embedding_model"] == "bge-small-en-v1.5"
    code, second = run_json(["index", str(corpus)], env)
    assert second["chunks_embedded"] == 0 and len(second["unchanged"]) == 5


def test_a_second_machine_sees_the_same_index(chroma_server: int, corpus: Path, tmp_path: Path) -> None:
    """Two homes (two machines) share one server: the second finds everything indexed."""
    settings_a = IndexSettings(
        home=tmp_path / "a", chroma_host="127.0.0.1", chroma_port=chroma_server, collection="shared-test"
    )
    settings_b = settings_a.with_(home=tmp_path / "b")
    embedder = make_embedder("hashing")
    run_index(corpus, settings_a, embedder)
    summary = run_index(corpus, settings_b, embedder)
    assert summary.chunks_embedded == 0 and len(summary.unchanged) == 5
    store = ChunkStore.open(settings_b)
    from index.lexical import LexicalCache

    assert set(LexicalCache(store).current().ids) == {cid for cid, _, _ in store.iter_chunks()}
