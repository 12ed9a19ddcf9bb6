"""Faults with the real component: a Chroma server stopped mid-question, an LLM server that never
answers, a rebuild by another process, SIGKILL during an upload, a disk that fills up.

Each asserts the exact behaviour: one clear error that says what to do (or a fallback that says
so), the next question working without a restart, and an index that converges to exactly the
state a run without the fault gives, with nothing half-written searchable in between.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.api import Assistant
from assistant.retrieval.retrieve import indexed_chunks
from assistant.settings import Settings
from index.errors import AssistantError, StoreError
from index.ingest import run_index
from index.settings import IndexSettings
from index.store import ChunkStore
from tests.cli_helpers import ASSISTANT_WITH_FAKES, ROOT, env_for, free_port, run_cli
from tests.fakes import HashingEmbedder, LexicalScorer
from tests.test_chroma_server import chroma_binary
from tests.test_llm_errors import silent_server  # noqa: F401 - a fixture: accepts, never answers

pytestmark = pytest.mark.slow

ANSWERABLE = "How many US troops are deployed in Iraq?"
LIGHTHOUSE = "Who kept the lamp of the Zorblat lighthouse burning?"
LIGHTHOUSE_DOC = (
    "The Zorblat lighthouse on Quillon Island was painted teal in 1987 by the harbour guild.\n\n"
    "Its keeper, Mara Vintello, kept the lamp of the Zorblat lighthouse burning for forty-one winters.\n"
)
HASHING = {"ASSISTANT_EMBED_MODEL": "hashing"}
REPORT_ID = "uploads/tab1/report.txt"


def assistant_for(settings: IndexSettings, **kwargs: Any) -> Assistant:
    """The real pipeline over the store, with the hashing embedder and the lexical scorer (fast)."""
    kwargs.setdefault("abstain_threshold", 0.5)  # LexicalScorer's scale: see tests/test_assistant.py
    kwargs.setdefault("embedder", HashingEmbedder())
    return Assistant(Settings(index=settings), scorer=LexicalScorer(), **kwargs)


def contents(settings: IndexSettings) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """(chunk id -> (doc id, text), doc id -> committed hash + pending): the exact index state."""
    store = ChunkStore.open(settings)
    chunks = {cid: (meta["doc_id"], text) for cid, meta, text in store.iter_chunks()}
    manifest = {doc: rec.content_hash + rec.pending for doc, rec in store.manifest().items()}
    return chunks, manifest


def searched_docs(bot: Assistant, question: str) -> set[str]:
    return {p.doc_id for p in bot.ask(question, abstain=False).passages}


# -- a Chroma server stopped in the middle of a question, then started again -----------------
class ChromaServer:
    """`chroma run` on a fixed port and folder, to stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.folder / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [
                chroma_binary(),
                "run",
                "--path",
                str(self.folder / "db"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"chroma did not start: {(self.folder / 'server.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)


class StopsTheServer(HashingEmbedder):
    """Embeds as HashingEmbedder; once armed, stops the server while a question is embedded,
    i.e. after the question has counted the chunks and before it searches them."""

    def __init__(self, server: ChromaServer) -> None:
        super().__init__()
        self.server, self.armed = server, False

    def embed_query(self, text: str) -> Any:
        if self.armed:
            self.armed = False
            self.server.stop()
        return super().embed_query(text)


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_chroma_server_stopped_mid_question_gives_one_clear_error_then_the_next_question_works(
    chroma: ChromaServer, corpus: Path, tmp_path: Path
) -> None:
    settings = IndexSettings(home=tmp_path / "home", chroma_host="127.0.0.1", chroma_port=chroma.port)
    run_index(corpus, settings, HashingEmbedder())
    embedder = StopsTheServer(chroma)
    bot = assistant_for(settings, embedder=embedder)
    assert not bot.ask(ANSWERABLE).abstained
    embedder.armed = True
    with pytest.raises(StoreError) as lost:
        bot.ask(ANSWERABLE)
    message = str(lost.value)
    assert message.startswith(f"lost the connection to the chroma server http://127.0.0.1:{chroma.port}")
    assert f"chroma run --host 127.0.0.1 --port {chroma.port}" in message and "ask again" in message
    chroma.start()
    answer = bot.ask(ANSWERABLE)  # the same Assistant: no restart
    assert not answer.abstained and "2,500" in answer.text and answer.citations


# -- an OpenAI-compatible server that accepts the connection and never answers -------------
def test_a_silent_llm_server_falls_back_to_the_extractive_answer_within_the_timeout(
    silent_server: str,  # noqa: F811 - the imported fixture
    corpus: Path,
    index_settings: IndexSettings,
) -> None:
    from assistant.answering.llm import OpenAIAnswerer

    timeout = 3.0
    run_index(corpus, index_settings, HashingEmbedder())
    settings = Settings(index=index_settings, openai_base_url=silent_server, openai_model="m", openai_timeout=timeout)
    bot = Assistant.from_settings(
        settings, answerer=OpenAIAnswerer(settings), embedder=HashingEmbedder(), scorer=LexicalScorer()
    )
    bot.calibration = assistant_for(index_settings).calibration
    bot.ask(ANSWERABLE)  # the openai client's first use costs seconds on a busy machine: not timed
    answer = bot.ask(ANSWERABLE)
    waited = answer.timings["generate"]  # the LLM's attempt and the fallback; retrieval is apart
    assert timeout <= waited < timeout + 2.0, f"waited {waited:.1f} s for a {timeout} s timeout (not retried)"
    assert answer.answerer == "openai->extractive" and not answer.abstained
    assert "2,500" in answer.text and answer.citations
    assert answer.notes == (
        f"the LLM server at {silent_server} did not answer in time (APITimeoutError); raise "
        "ASSISTANT_OPENAI_TIMEOUT or check the server; showing the extractive answer",
    )


# -- `assistant index --rebuild` by another process while the window is open -------------------
def test_a_rebuild_by_another_process_is_answered_from_without_a_restart(corpus: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = IndexSettings(home=home, embed_model="hashing")
    run_index(corpus, settings, HashingEmbedder())
    bot = assistant_for(settings)
    old_docs = {p.name for p in corpus.iterdir()}
    assert searched_docs(bot, ANSWERABLE) & old_docs
    new_corpus = tmp_path / "new"
    new_corpus.mkdir()
    (new_corpus / "lighthouse.txt").write_text(LIGHTHOUSE_DOC)
    shutil.copy(next(corpus.glob("004_*")), new_corpus / "troops.txt")  # same text, a new id

    rebuild = subprocess.Popen(
        [*ASSISTANT_WITH_FAKES, "index", str(new_corpus), "--rebuild"], env=env_for(home, **HASHING),
        cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    during: list[str] = []
    while rebuild.poll() is None:  # the window keeps being used meanwhile
        try:
            during.append(",".join(sorted(searched_docs(bot, LIGHTHOUSE))))
        except AssistantError as exc:
            during.append(f"{type(exc).__name__}: {exc}")
    out, err = rebuild.communicate()
    assert rebuild.returncode == 0, err
    # Between the drop and the first write: "nothing is indexed", or "being written by another process"
    said = {d.split(" (")[0] for d in during if "Error" in d}
    assert said <= {
        f"IndexMissingError: nothing is indexed in the embedded chroma at {home / 'chroma'}",
        f"StoreError: the index in the embedded chroma at {home / 'chroma'} is being written by another process",
    }, said

    assert searched_docs(bot, LIGHTHOUSE) <= {"lighthouse.txt", "troops.txt"}
    answer = bot.ask(LIGHTHOUSE)
    assert not answer.abstained and "Mara Vintello" in answer.text
    assert {c.doc_id for c in answer.citations} == {"lighthouse.txt"}
    assert searched_docs(bot, ANSWERABLE) <= {"lighthouse.txt", "troops.txt"}, "nothing of the old collection"


def test_an_update_by_another_process_is_searchable_without_a_restart(corpus: Path, tmp_path: Path) -> None:
    """Not a rebuild: another process adds a document to the same collection. An embedded Chroma
    keeps its vector index in memory; the store must reopen it when the generation changes."""
    home = tmp_path / "home"
    settings = IndexSettings(home=home, embed_model="hashing")
    run_index(corpus, settings, HashingEmbedder())
    bot = assistant_for(settings)
    assert "lighthouse.txt" not in searched_docs(bot, LIGHTHOUSE)
    (corpus / "lighthouse.txt").write_text(LIGHTHOUSE_DOC)
    assert run_cli(["index", str(corpus)], env_for(home, **HASHING), fakes=True).returncode == 0
    available = indexed_chunks(bot.store)  # what every search asks first
    dense = bot.retriever._dense(LIGHTHOUSE, None, available)  # the vector side alone, not BM25
    assert "lighthouse.txt" in {p.doc_id for p in dense}
    assert "Mara Vintello" in bot.ask(LIGHTHOUSE).text


# -- SIGKILL while an upload is being indexed ---------------------------------------------------
UPLOAD_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tests.fakes import HashingEmbedder
    from index.settings import IndexSettings
    from ui.uploads import add_documents

    done = [0]

    def progress(total):
        def step(n):
            done[0] += n
            print(f"{done[0]}/{total}", file=sys.stderr, flush=True)
        return step

    settings = IndexSettings(home=Path(sys.argv[1]), embed_model="hashing")
    report = add_documents([(Path(sys.argv[2]), "report.txt")], "tab1", settings, HashingEmbedder(), progress=progress)
    print(report.to_dict())
    """
)


def big_report(path: Path, paragraphs: int = 10_000) -> Path:
    """A report of ~1,650 chunks (at 10,000 paragraphs) whose one unusual fact is at its end."""
    lines = [
        f"Paragraph {n} of the quarterly report lists figures: {n * 7} crates, {n} ships." for n in range(paragraphs)
    ]
    lines.append(LIGHTHOUSE_DOC)
    path.write_text("\n\n".join(lines))
    return path


def upload(home: Path, file: Path, kill_after: int | None = None) -> str:
    """Run the chat window's upload in another process; SIGKILL it once `kill_after` chunks are written."""
    proc = subprocess.Popen(
        [sys.executable, "-c", UPLOAD_SCRIPT, str(home), str(file)], cwd=ROOT, env=env_for(home),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    if kill_after is None:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        return out
    assert proc.stderr is not None
    for line in proc.stderr:
        done = line.split("/")[0]
        if done.isdigit() and int(done) >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "killed while indexing, not after"
    return ""


def test_sigkill_during_an_upload_leaves_nothing_half_written_searchable_and_a_retry_converges(
    corpus: Path, tmp_path: Path
) -> None:
    settings = IndexSettings(home=tmp_path / "home", embed_model="hashing")
    reference = IndexSettings(home=tmp_path / "reference", embed_model="hashing")
    report = big_report(tmp_path / "report.txt")
    for target in (settings, reference):
        run_index(corpus, target, HashingEmbedder())
    before = ChunkStore.open(settings).count()
    upload(reference.home, report)

    upload(settings.home, report, kill_after=300)
    store = ChunkStore.open(settings)
    record = store.manifest()[REPORT_ID]
    assert record.pending and not record.content_hash, "left half-written"
    written = [cid for cid, meta, _ in store.iter_chunks() if meta["doc_id"] == REPORT_ID]
    assert len(written) >= 300 and store.count() == before + len(written), "its first chunks were written"
    assert store.get_chunks(written)["ids"] == [], "a half-written document's chunks are not returned"
    assert REPORT_ID not in searched_docs(assistant_for(settings), "quarterly report crates ships")

    again = upload(settings.home, report)  # the user uploads the same file again
    assert "its last indexing was cut short" in again
    assert contents(settings) == contents(reference), "exactly the state of an upload never interrupted"
    assert vectors_find_themselves(settings, written[:: len(written) // 20]), "chunks from before the kill too"
    assert REPORT_ID in searched_docs(assistant_for(settings), LIGHTHOUSE)
    assert "already uploaded" in upload(settings.home, report), "a third upload changes nothing"


def vectors_find_themselves(settings: IndexSettings, ids: list[str]) -> bool:
    """Each chunk's stored vector finds the chunk: it is in the vector index, not only in the table."""
    import numpy as np

    store = ChunkStore.open(settings)
    vectors = store.chunks.get(ids=ids, include=["embeddings"])
    return all(
        cid in store.query(np.array(vector), 3)["ids"][0]
        for cid, vector in zip(vectors["ids"], vectors["embeddings"], strict=True)
    )


# -- the disk fills up during indexing -------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB tmpfs as ASSISTANT_HOME; skipped where mounting is not allowed."""
    home = tmp_path / "home"
    home.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CAP_SYS_ADMIN); no disk-full test here")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(home)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield home
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


def fill(disk: Path, leave_bytes: int) -> Path:
    """Fill `disk` up to `leave_bytes` free."""
    free = shutil.disk_usage(disk).free
    filler = disk / "filler.bin"
    with filler.open("wb") as handle:
        handle.truncate(0)
        handle.write(b"\0" * max(free - leave_bytes, 0))
    return filler


def test_a_full_disk_during_indexing_says_so_and_the_next_run_converges(
    small_disk: Path, corpus: Path, tmp_path: Path
) -> None:
    env = env_for(small_disk, **HASHING)
    assert run_cli(["index", str(corpus)], env, fakes=True).returncode == 0
    big_report(corpus / "report.txt")  # ~17 MB indexed
    filler = fill(small_disk, leave_bytes=512 * 1024)
    full = run_cli(["index", str(corpus)], env, fakes=True)
    assert full.returncode == 1, full.stdout + full.stderr
    assert "disk" in full.stderr and "is full" in full.stderr and "Free some space" in full.stderr, full.stderr
    assert "Traceback" not in full.stderr

    settings = IndexSettings(home=small_disk, embed_model="hashing")
    bot = assistant_for(settings)
    try:  # a read may still work on the full disk; if Chroma needs room for it, the error says so
        answer = bot.ask(ANSWERABLE)
        assert "report.txt" not in {p.doc_id for p in answer.passages}
    except StoreError as exc:
        assert re.search("is full .* Free some space", str(exc)), exc
    filler.unlink()
    assert ChunkStore.open(settings).manifest()["report.txt"].pending, "the report was half-written"
    assert "report.txt" not in searched_docs(bot, "quarterly report crates ships"), "and is not searched"
    # With the window still open (`bot`): its failed write must not keep the database locked
    assert run_cli(["index", str(corpus)], env, timeout=300, fakes=True).returncode == 0
    reference = env_for(tmp_path / "reference", **HASHING)
    assert run_cli(["index", str(corpus)], reference, fakes=True).returncode == 0
    assert contents(settings) == contents(IndexSettings(home=tmp_path / "reference", embed_model="hashing"))
