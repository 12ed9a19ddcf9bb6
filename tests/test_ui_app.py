"""The chat window served for real (bge embedder, cross-encoder, extractive answerer), driven by gradio_client."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.settings import Settings
from index.ingest import uploads_folder
from tests.cli_helpers import free_port
from tests.conftest import SAMPLE_CORPUS

pytestmark = pytest.mark.slow

gradio_client = pytest.importorskip("gradio_client")

UPLOADED_FACT = (
    "The Zorblat lighthouse on Quillon Island was painted teal in 1987 by the harbour guild.\n\n"
    "Its keeper, Mara Vintello, kept the lamp burning for forty-one winters.\n"
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from index.embed import make_embedder
    from index.ingest import run_index
    from ui.app import Assistants, build_app, launch

    root = tmp_path_factory.mktemp("ui")
    corpus = root / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    env = {
        "ASSISTANT_HOME": str(root / "home"),
        "ASSISTANT_CORPUS": str(corpus),
        "ASSISTANT_ANSWERER": "extractive",
        # An OpenAI-compatible server that is not there: choosing "openai" must fail readably.
        "ASSISTANT_OPENAI_BASE_URL": f"http://127.0.0.1:{free_port()}/v1",
        "ASSISTANT_OPENAI_MODEL": "nothing-listens",
        "ASSISTANT_OPENAI_TIMEOUT": "5",
    }
    settings = Settings.from_env(env)
    run_index(corpus, settings.index, make_embedder("bge-small-en-v1.5"))
    assistants = Assistants(settings)
    app = build_app(settings, assistants)
    url = launch(app, settings, host="127.0.0.1", port=free_port(), block=False)
    yield {"url": url, "settings": settings, "assistants": assistants, "corpus": corpus, "root": root}
    app.close()


def client(served: dict[str, Any], **kwargs: Any) -> Any:
    return gradio_client.Client(
        served["url"], verbose=False, analytics_enabled=False, download_files=str(served["root"] / "dl"), **kwargs
    )


def ask(session: Any, question: str, answerer: str = "extractive", k: int = 6, sources: list[str] | None = None):  # type: ignore[no-untyped-def]
    messages, box, answer = session.predict(question, answerer, k, sources or [], api_name="/chat")
    assert box == ""
    return messages, answer


def text_of(message: dict[str, Any]) -> str:
    content = message["content"]
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def titles(messages: list[dict[str, Any]]) -> list[str]:
    return [m["metadata"]["title"] for m in messages if (m.get("metadata") or {}).get("title")]


def test_an_answer_cites_its_sources(served: dict[str, Any]) -> None:
    messages, answer = ask(client(served), "How many US troops are deployed in Iraq and Syria?")
    assert not answer["abstained"] and "2,500" in answer["text"]
    assert answer["citations"], answer
    first = answer["citations"][0]
    assert titles(messages)[0].startswith("[1] ") and first["location"]["label"] in titles(messages)[0]
    block = next(m for m in messages if (m.get("metadata") or {}).get("title", "").startswith("[1]"))
    assert f"<mark>{first['quote']}</mark>" in text_of(block).replace("<br>", "\n")
    assert 'class="cite-ref"' in text_of(messages[1])


def test_a_follow_up_is_searched_in_context(served: dict[str, Any]) -> None:
    session = client(served)
    ask(session, "Which US senators visited Turkiye in late January?")
    messages, answer = ask(session, "Who did they meet there?")
    assert answer["query"] != answer["question"] and "senators" in answer["query"].lower()
    assert any("Searched for:" in text_of(m) for m in messages)
    assert [text_of(m) for m in messages if m["role"] == "user"][-2:] == [
        '<div class="question">Which US senators visited Turkiye in late January?</div>',
        '<div class="question">Who did they meet there?</div>',
    ]


def test_an_unanswerable_question_abstains_with_the_closest_passages(served: dict[str, Any]) -> None:
    messages, answer = ask(client(served), "What is the recipe for apple pie?")
    assert answer["abstained"] and not answer["citations"]
    assert "do not contain the answer" in text_of(messages[1])
    *closest, evidence = titles(messages)
    assert closest and [t[:15] for t in closest] == ["Closest passage"] * len(closest)
    assert evidence.startswith("Evidence considered") and "refused" in evidence  # and why it refused


def test_errors_are_shown_in_the_chat_and_the_app_keeps_working(served: dict[str, Any]) -> None:
    session = client(served)
    messages, answer = ask(session, "How many US troops are in Syria?", answerer="openai")
    assert answer is None and text_of(messages[-1]).startswith('<div class="error">Error: cannot reach the LLM server')
    messages, answer = ask(session, "", answerer="extractive")
    assert answer is None
    messages, answer = ask(session, "How many US troops are in Syria?")
    assert answer["citations"]


def test_an_empty_index_is_a_readable_error(served: dict[str, Any], tmp_path: Path) -> None:
    from assistant.api import Assistant
    from ui.app import Assistants, Handlers, Session

    shared = served["assistants"].base()
    settings = served["settings"].with_(index=served["settings"].index.with_(home=tmp_path / "empty"))
    base = Assistant(settings, embedder=shared.embedder, scorer=shared.scorer, answerer=shared.answerer)
    handlers = Handlers(settings, Assistants(settings, base))
    *_, (messages, _, _, answer) = handlers.respond("Anything?", "extractive", 6, [], Session())
    assert answer is None and "Error: nothing is indexed" in text_of(messages[-1])
    assert "No documents indexed yet" in handlers.status()


def test_uploads_are_checked_indexed_and_searchable(served: dict[str, Any], tmp_path: Path) -> None:
    good = tmp_path / "zorblat.txt"
    good.write_text(UPLOADED_FACT, encoding="utf-8")
    program = tmp_path / "tool.exe"
    program.write_bytes(b"MZ\x90\x00" + bytes(range(256)))
    binary = tmp_path / "noise.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    session = client(served)
    report, status, sources, _ = session.predict(
        [gradio_client.handle_file(str(p)) for p in (good, program, binary)], api_name="/upload"
    )
    doc_id = re.search(r"accepted\*\* zorblat.txt: indexed as (uploads/\w+/zorblat\.txt)", report).group(1)  # type: ignore[union-attr]
    assert "rejected** tool.exe: unsupported file type .exe" in report
    assert "rejected** noise.txt: not text: binary content" in report
    kept = uploads_folder(served["settings"].index)
    assert (kept / doc_id.removeprefix("uploads/")).is_file()
    assert not list(kept.glob("*/noise.txt"))
    assert not (served["corpus"] / "uploads").exists()  # the indexed folder is not written to
    assert "**Documents:** 6" in status
    assert [doc_id, doc_id] in sources["choices"]  # the filter can pick it

    _, answer = ask(session, "What colour was the Zorblat lighthouse painted?")
    assert answer["citations"] and answer["citations"][0]["doc_id"] == doc_id
    assert "teal" in answer["text"]
    _, only = ask(session, "What colour was the lighthouse painted?", sources=["0*.txt"])
    assert all(c["doc_id"] != doc_id for c in only["citations"])

    again, *_ = session.predict([gradio_client.handle_file(str(good))], api_name="/upload")
    assert "skipped** zorblat.txt: already uploaded" in again


def test_two_sessions_in_parallel_keep_their_own_conversations(served: dict[str, Any]) -> None:
    questions = {
        "a": ["How far is Deir ez-Zor from Raqqa?", "Who heads the Deir al-Zor military council?"],
        "b": ["How much is the F-16 sale to Turkiye worth?", "Why was Turkiye removed from the F-35 program?"],
    }
    results: dict[str, list[Any]] = {}
    errors: list[BaseException] = []

    def converse(name: str) -> None:
        try:
            session = client(served)
            results[name] = [ask(session, q) for q in questions[name]]
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=converse, args=(name,)) for name in questions]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    for name, mine in questions.items():
        messages, answer = results[name][-1]
        asked = [text_of(m) for m in messages if m["role"] == "user"]
        assert asked == [f'<div class="question">{q}</div>' for q in mine]  # nobody else's questions
        assert answer["question"] == mine[-1]
    for name, other in (("a", "b"), ("b", "a")):
        shown = " ".join(text_of(m) for m in results[name][-1][0])
        assert all(q not in shown for q in questions[other])


def test_the_conversation_exports_as_markdown_with_footnotes(served: dict[str, Any]) -> None:
    session = gradio_client.Client(served["url"], verbose=False, analytics_enabled=False, download_files=False)
    ask(session, "How many US troops are deployed in Iraq and Syria?")
    exported = session.predict(api_name="/export")["value"]
    response = httpx.get(exported["url"])  # from Gradio's cache, like any output file
    assert response.status_code == 200 and exported["orig_name"] == "conversation.md"
    text = response.text
    assert text.startswith("# Conversation") and "[^1-1]" in text and "\n[^1-1]: " in text


def test_only_the_app_is_served_not_files(served: dict[str, Any]) -> None:
    corpus_file = next(served["corpus"].glob("*.txt")).resolve()
    for path in ("/etc/passwd", str(corpus_file), str(Path(served["settings"].index.home).resolve() / "last_run.json")):
        response = httpx.get(f"{served['url']}/gradio_api/file={path}")
        assert response.status_code in (403, 404), path


def test_a_login_is_required_when_configured(served: dict[str, Any]) -> None:
    from ui.app import build_app, launch

    settings = served["settings"].with_(ui_auth=Settings.from_env({"ASSISTANT_AUTH": "ann:s3cret"}).ui_auth)
    app = build_app(settings, served["assistants"], examples=[])
    url = launch(app, settings, host="127.0.0.1", port=free_port(), block=False)
    try:
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a bare ValueError/AuthenticationError
            gradio_client.Client(url, verbose=False, analytics_enabled=False, auth=("ann", "wrong"))
        logged_in = gradio_client.Client(url, verbose=False, analytics_enabled=False, auth=("ann", "s3cret"))
        assert "**Documents:**" in logged_in.predict(api_name="/status")[0]
    finally:
        app.close()


def test_answering_keeps_working_while_an_upload_is_indexed(served: dict[str, Any], tmp_path: Path) -> None:
    big = tmp_path / "ledger.txt"
    lines = [
        f"Ledger entry {i}: crate {i * 37 % 1009} of the Vostrel depot held {i * 13} tins of lamp oil."
        for i in range(1500)
    ]
    big.write_text("\n\n".join(lines), encoding="utf-8")  # ~150 chunks: tens of seconds to embed here
    uploader, asker = client(served), client(served)
    upload = uploader.submit([gradio_client.handle_file(str(big))], api_name="/upload")
    deadline = time.monotonic() + 60
    kept = uploads_folder(served["settings"].index)
    while not list(kept.glob("*/ledger.txt")) and time.monotonic() < deadline:
        time.sleep(0.1)  # stored, so the index run has started
    _, answer = ask(asker, "How many US troops are deployed in Iraq and Syria?")
    assert answer["citations"] and not upload.done()  # answered while the upload was still indexing
    report, *_ = upload.result(timeout=600)
    assert "accepted** ledger.txt" in report
