"""The chat window (`assistant ui`): a thin Gradio layer over `Assistant.stream`.

Every session keeps its own history and settings in a gr.State; the app shares one store,
embedder and cross-encoder, with one Assistant per answerer name built on first use.
Nothing here retrieves or answers: it calls the Assistant API and renders (ui.render).
"""

import argparse
import json
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.api import DEFAULT_K, MAX_K, Assistant
from assistant.evidence import PASSAGES_FOR_EVIDENCE
from assistant.model_queue import Once, Waiting
from assistant.settings import ANSWERERS, Settings
from assistant.types import Answer
from index.errors import AssistantError, ConfigError
from index.ingest import uploads_folder
from ui import render
from ui.feedback import FEEDBACK_FILE, append_feedback, feedback_record
from ui.uploads import add_documents

if TYPE_CHECKING:
    import gradio as gr

# gradio is imported only when the app is built (importing it takes seconds, and it must see
# GRADIO_ANALYTICS_ENABLED=False first), so `assistant --help` stays fast. No
# `from __future__ import annotations` here: Gradio reads handler annotations at run time.

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_QUESTIONS = ROOT / "data" / "questions" / "sample.jsonl"
EXAMPLES_SHOWN = 6
STATUS_REFRESH_S = 10  # the side panel re-reads the status: the local model may have become ready
# Answers in progress at once (the Assistant is thread-safe). Sessions waiting for the local model
# use no CPU (assistant/model_queue.py) and must not keep extractive answers out of these slots.
CHAT_CONCURRENCY = 16
UPLOAD_SIZE_FACTOR = 4  # Gradio refuses bodies over this many times ASSISTANT_MAX_FILE_MB (disk guard)

CSS = """
.citation mark, .passage mark { background: #ffe066; color: inherit; padding: 0 2px; }
.passage { margin: 4px 0 0; white-space: normal; }
.cite-source { font-size: 0.9em; opacity: 0.8; }
.searched { font-size: 0.9em; font-style: italic; opacity: 0.8; margin-bottom: 4px; }
.note { font-size: 0.85em; opacity: 0.7; margin-top: 4px; }
.error { color: #c92a2a; }
.draft { opacity: 0.6; font-style: italic; border-left: 3px dashed #adb5bd; padding-left: 8px; }
.draft-label { font-size: 0.8em; font-style: normal; text-transform: uppercase; letter-spacing: 0.05em; }
sup.cite a { text-decoration: none; cursor: pointer; }
"""

# A click on an [n] marker opens (and scrolls to) the n-th citation block of the same answer.
JS = """
() => {
  if (window.__citeLinks) return;
  window.__citeLinks = true;
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.cite-ref') : null;
    if (!link) return;
    event.preventDefault();
    const n = (link.getAttribute('href') || '').replace('#cite-', '');
    const row = link.closest('.message-row');
    if (!row) return;
    for (const title of row.querySelectorAll('.thought-group .title')) {
      if (title.textContent.trim().startsWith('[' + n + ']')) {
        if (!title.classList.contains('expanded')) title.click();
        title.scrollIntoView({block: 'center'});
        break;
      }
    }
  });
}
"""


# -- shared state: one Assistant per answerer name ---------------------------------------
class Assistants:
    """Assistants by answerer name, built on first use by `Assistant.from_settings`, sharing one
    store, embedder and cross-encoder. "auto" is resolved before every question, so the local
    model takes over without a restart once a background install of it finishes."""

    def __init__(self, settings: Settings, base: Assistant | None = None) -> None:
        self.settings = settings
        # Built outside any lock: loading one (the local model) never holds up status or others.
        self._by_name: Once[str, Assistant] = Once()
        self._base = base
        self._lock = threading.Lock()  # only around `_preparing`
        self._preparing: set[str] = set()
        if base is not None:
            self._by_name.put(settings.answerer, base)
            self._by_name.put(base.answerer.name, base)

    def base(self) -> Assistant:
        """The shared store and models; raises AssistantError when the store cannot be opened."""
        if self._base is not None:
            return self._base
        return self._by_name.get("extractive", lambda: Assistant.from_settings(self.settings, answerer="extractive"))

    def resolve(self, name: str) -> tuple[str, str]:
        """(the answerer `name` stands for now, why): "auto" as in assistant.llm.resolve_auto,
        unless a test or the caller gave an Assistant for it."""
        if name == "auto" and "auto" not in self._by_name:
            from assistant.llm import resolve_auto

            return resolve_auto(self.settings)
        return name, ""

    def get(self, name: str) -> Assistant:
        """The Assistant answering with `name`."""
        resolved, _ = self.resolve(name)
        base = self.base()
        build = partial(Assistant.from_settings, self.settings, answerer=resolved, share=base)
        return self._by_name.get(resolved, build)

    def label(self, name: str) -> str:
        """What the side panel says of answerer `name`: "auto: local", or why it is extractive."""
        resolved, why = self.resolve(name)
        if name != "auto" or "auto" in self._by_name:
            return name
        return f"auto: {resolved}" + (f" ({why})" if resolved == "extractive" and why else "")

    def warm_up(self, name: str | None = None) -> None:
        """Load the models now rather than on the first question."""
        try:
            self.get(name or self.settings.answerer).warm_up()
        except Exception as exc:  # noqa: BLE001 - warming up is optional; the first question will say what is wrong
            log.warning("warm-up failed: %s", exc)

    def prepare(self, name: str) -> None:
        """Build and warm up `name`'s Assistant in the background unless it is built already:
        when "auto" becomes the local model, the first question then finds it loaded."""
        resolved, _ = self.resolve(name)
        with self._lock:
            if resolved in self._by_name or resolved in self._preparing:
                return
            self._preparing.add(resolved)
        threading.Thread(target=self.warm_up, args=(resolved,), daemon=True, name=f"prepare-{resolved}").start()


@dataclass
class Session:
    """One browser tab's conversation: what the chat shows, the history, the answered turns."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)  # plain question/answer text
    # Uploads go to uploads/<id>/: a tab's files never overwrite another tab's of the same name.
    upload_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    turns: list[tuple[int, int, render.Turn]] = field(default_factory=list)  # message span, turn

    def turn_at(self, index: int) -> render.Turn | None:
        for first, last, turn in self.turns:
            if first <= index <= last:
                return turn
        return None


def example_questions(
    indexed: Collection[str], path: Path = SAMPLE_QUESTIONS, limit: int = EXAMPLES_SHOWN
) -> list[str]:
    """The first answerable, standalone questions of a question set whose sources are all in
    the index: the sample questions for the sample corpus, none for someone else's documents."""
    if not path.is_file() or not indexed:
        return []
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if not isinstance(item, dict) or not item.get("answerable") or item.get("history"):
            continue
        sources = item.get("gold_sources") or []
        if item.get("question") and sources and all(s in indexed for s in sources):
            questions.append(str(item["question"]))
        if len(questions) >= limit:
            break
    return questions


# -- handlers ---------------------------------------------------------------------------
class Handlers:
    """The event handlers; all per-session data arrives in, and leaves through, the Session."""

    def __init__(self, settings: Settings, assistants: Assistants) -> None:
        self.settings = settings
        self.assistants = assistants
        # Exports are written here and removed with the app (Gradio serves its own copy).
        self._exports = tempfile.TemporaryDirectory(prefix="assistant-export-")

    def respond(
        self, message: str, answerer: str, k: float, sources: list[str] | None, session: Session
    ) -> Iterator[tuple[list[dict[str, Any]], str, Session, dict[str, Any] | None]]:
        """Stream the answer into the chat, then replace it with the checked answer and its sources."""
        question = " ".join(str(message or "").split())
        if not question:
            yield session.messages, "", session, None
            return
        first = len(session.messages)
        shown = [*session.messages, render.user_message(question)]
        yield [*shown, render.streaming_message("")], "", session, None
        history = tuple(session.history)
        answer: Answer | None = None
        try:
            assistant = self.assistants.get(answer_name(answerer, self.settings))
            pieces: list[str] = []
            for item in assistant.stream(question, history=list(history), filters=sources or None, k=int(k)):
                if isinstance(item, Answer):
                    answer = item
                elif isinstance(item, Waiting):  # another session's answer has the model
                    yield [*shown, render.waiting_message(item.ahead, item.loading)], "", session, None
                else:
                    pieces.append(item)
                    yield [*shown, render.streaming_message("".join(pieces))], "", session, None
            assert answer is not None
            reply = render.answer_messages(answer)
            turn = render.Turn(question, answer, history)
        except AssistantError as exc:
            reply, turn = [render.error_message(f"Error: {exc}")], render.Turn(question, None, history, str(exc))
        except Exception as exc:  # noqa: BLE001 - the app keeps running; the log has the traceback
            log.exception("answering %r failed", question)
            reply = [render.error_message(f"Error: unexpected {type(exc).__name__}: {exc}; see the server log")]
            turn = render.Turn(question, None, history, str(exc))
        session.messages = [*shown, *reply]
        session.turns.append((first, len(session.messages) - 1, turn))
        if answer is not None:
            said = answer.text.split("\n", 1)[0] if answer.abstained else answer.text
            session.history += [{"role": "user", "content": question}, {"role": "assistant", "content": said}]
        yield session.messages, "", session, answer.to_dict() if answer else None

    def feedback(self, session: Session, data: "gr.LikeData") -> None:
        """Save a thumbs up/down on an answer to ASSISTANT_HOME/feedback.jsonl."""
        import gradio as gr

        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = session.turn_at(int(index))
        if turn is None or turn.answer is None or data.liked is None:
            return
        liked = data.liked is True or data.liked == "Like"
        record = feedback_record(turn.answer, turn.history, liked)
        path = append_feedback(self.settings.index.home / FEEDBACK_FILE, record)
        gr.Info(f"Thank you: feedback saved to {path}")

    def upload(self, files: list[str] | None, session: Session, progress: "gr.Progress") -> tuple[str, str, Any, None]:
        """Check, keep and index uploaded files (adding only); say what happened to each."""
        import gradio as gr

        if not files:
            return "No files.", self.status(), gr.update(), None
        pairs = [(Path(f), Path(f).name) for f in files]
        try:
            base = self.assistants.base()
        except AssistantError as exc:
            return render.upload_markdown([], error=str(exc)), self.status(), gr.update(), None
        progress(0, desc="Checking files")
        started = time.perf_counter()
        report = add_documents(
            pairs,
            session.upload_id,
            self.settings.index,
            base.embedder,
            store=base.store,
            progress=_progress(progress),
        )
        outcomes = [f.to_dict() for f in report.files]
        seconds = time.perf_counter() - started if report.summary else None
        text = render.upload_markdown(outcomes, report.error, seconds)
        return text, self.status(), gr.update(choices=self.documents()), None

    def status(self) -> str:
        """The corpus status panel."""
        from index.status import index_status

        try:
            base = self.assistants.base()
            status = index_status(self.settings.index, store=base.store)
            label = self.assistants.label(self.settings.answerer)
            self.assistants.prepare(self.settings.answerer)
        except AssistantError as exc:
            return render.status_markdown({"error": str(exc)}, self.settings.answerer)
        return render.status_markdown(status, label)

    def documents(self) -> list[str]:
        try:
            base = self.assistants.base()
            return sorted(base.store.manifest()) if base.store.exists() else []
        except AssistantError:
            return []

    def refresh(self) -> tuple[str, Any]:
        import gradio as gr

        return self.status(), gr.update(choices=self.documents())

    def export(self, session: Session) -> Any:
        """The conversation as a Markdown file with footnotes (served from Gradio's cache)."""
        import gradio as gr

        if not session.turns:
            gr.Warning("Nothing to export yet: ask a question first.")
            return gr.update(value=None, visible=False)
        path = Path(self._exports.name) / uuid.uuid4().hex[:12] / "conversation.md"
        path.parent.mkdir()
        path.write_text(render.export_markdown([t for _, _, t in session.turns]), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def clear(self) -> tuple[list[dict[str, Any]], Session, Any]:
        """A new conversation: empty chat and history; the settings stay."""
        import gradio as gr

        return [], Session(), gr.update(value=None, visible=False)


def answer_name(name: str | None, settings: Settings) -> str:
    name = (name or settings.answerer).strip().lower()
    if name not in ANSWERERS:
        raise ConfigError(f"unknown answerer {name!r}; choose one of: {', '.join(ANSWERERS)}")
    return name


def _progress(progress: "gr.Progress") -> Callable[[int], Callable[[int], None]]:
    """run_index's progress protocol (total, then increments) onto a Gradio progress bar."""

    def start(total: int) -> Callable[[int], None]:
        done = [0]
        progress((0, max(total, 1)), desc="Embedding", unit="chunks")

        def step(increment: int) -> None:
            done[0] += increment
            progress((min(done[0], total), max(total, 1)), desc="Embedding", unit="chunks")

        return step

    return start


# -- layout -----------------------------------------------------------------------------
def build_app(
    settings: Settings, assistants: Assistants | None = None, *, examples: list[str] | None = None
) -> "gr.Blocks":
    """The chat window. `assistants` defaults to one built from `settings` on first use."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before the first import of gradio
    import gradio as gr

    handlers = Handlers(settings, assistants or Assistants(settings))
    with gr.Blocks(title="Document assistant", analytics_enabled=False) as app:
        parts = _sidebar(gr, settings)
        shown = example_questions(set(handlers.documents())) if examples is None else examples
        parts.update(_chat(gr, shown))
        _wire(gr, app, handlers, parts)
    return app


def _sidebar(gr: Any, settings: Settings) -> dict[str, Any]:
    """Corpus status, this session's settings, uploads."""
    with gr.Sidebar(label="Corpus and settings", open=True, width=360):
        gr.Markdown("### Corpus")
        status = gr.Markdown("Loading…", elem_id="corpus-status")
        gr.Markdown("### Settings for this session")
        answerer = gr.Dropdown(list(ANSWERERS), value=settings.answerer, label="Answerer")
        k = gr.Slider(
            1,
            MAX_K,
            value=DEFAULT_K,
            step=1,
            label="Passages to retrieve",
            info=f"The answer is drawn from the best {PASSAGES_FOR_EVIDENCE}; the rest are listed as sources.",
        )
        sources = gr.Dropdown(
            [],
            value=[],
            multiselect=True,
            allow_custom_value=True,
            label="Only these documents",
            info="Document ids or patterns such as uploads/*; empty = all",
        )
        gr.Markdown("### Add documents")
        files = gr.File(file_count="multiple", label="Drop files here (documents, e-mail, spreadsheets, slides, scans)")
        upload_report = gr.Markdown(elem_id="upload-report")
    return {"status": status, "answerer": answerer, "k": k, "sources": sources, "files": files, "report": upload_report}


def _chat(gr: Any, examples: list[str]) -> dict[str, Any]:
    """The conversation, the question box, examples, export."""
    gr.Markdown("## Ask your documents")
    chatbot = gr.Chatbot(
        label="Conversation",
        height=560,
        elem_id="chat",
        latex_delimiters=[],  # document text is not LaTeX
        allow_tags=False,
        sanitize_html=True,  # everything is escaped already; Gradio's sanitiser is a second wall
        buttons=["copy", "copy_all"],  # no "share": it uploads to a hub
        placeholder="Answers cite their sources as [n]; click a source to see the passage.",
    )
    message = gr.Textbox(placeholder="Ask a question and press Enter", show_label=False, elem_id="question")
    if examples:
        gr.Examples([[q] for q in examples], inputs=[message], label="Example questions")
    with gr.Row():
        new_chat = gr.Button("New conversation", size="sm")
        export = gr.Button("Export as Markdown", size="sm")
    return {
        "chatbot": chatbot,
        "message": message,
        "new_chat": new_chat,
        "export": export,
        "export_file": gr.File(label="Exported conversation", interactive=False, visible=False),
        "answer_json": gr.JSON(visible=False),  # the final Answer.to_dict(), for API clients
        "session": gr.State(Session()),
    }


def _wire(gr: Any, app: Any, handlers: Handlers, c: dict[str, Any]) -> None:
    """The events; the API names (chat, upload, export, new_conversation, status) are for clients."""

    def upload(
        files: list[str] | None,
        session: Session,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio hands out progress bars this way
    ) -> tuple[str, str, Any, None]:
        return handlers.upload(files, session, progress)

    def feedback(session: Session, data: gr.LikeData) -> None:  # the annotation tells Gradio what to pass
        handlers.feedback(session, data)

    session = c["session"]
    c["message"].submit(
        handlers.respond,
        [c["message"], c["answerer"], c["k"], c["sources"], session],
        [c["chatbot"], c["message"], session, c["answer_json"]],
        api_name="chat",
        concurrency_limit=CHAT_CONCURRENCY,
        concurrency_id="chat",
    )
    c["chatbot"].clear(Session, None, [session], api_visibility="private")  # the chat's own bin icon
    c["chatbot"].like(feedback, [session], None, api_visibility="undocumented")
    c["files"].upload(
        upload,
        [c["files"], session],
        [c["report"], c["status"], c["sources"], c["files"]],
        api_name="upload",
        concurrency_limit=1,  # one index run at a time (ui.uploads also locks)
        concurrency_id="upload",
    )
    c["export"].click(handlers.export, [session], [c["export_file"]], api_name="export")
    c["new_chat"].click(handlers.clear, None, [c["chatbot"], session, c["export_file"]], api_name="new_conversation")
    app.load(handlers.refresh, None, [c["status"], c["sources"]], api_name="status")
    # The answerer can change under "auto" (the local model finishing its install): keep it shown.
    gr.Timer(STATUS_REFRESH_S).tick(handlers.status, None, [c["status"]], api_visibility="private")


def launch(
    app: "gr.Blocks", settings: Settings, *, host: str | None = None, port: int | None = None, block: bool = True
) -> str:
    """Serve `app` (no share link, no allowed_paths, login if ASSISTANT_AUTH); returns its URL.

    With block=False the server runs in a background thread (tests); `app.close()` stops it.
    """
    host = host or settings.ui_host
    port = port or settings.ui_port
    try:
        app.launch(
            server_name=host,
            server_port=port,
            auth=settings.ui_credentials,
            share=False,
            prevent_thread_lock=True,
            max_file_size=f"{int(settings.index.max_file_mb * UPLOAD_SIZE_FACTOR) or 1}mb",
            css=CSS,
            js=JS,
            footer_links=["api"],
            quiet=True,
        )
    except OSError as exc:
        raise ConfigError(f"cannot serve on {host}:{port} ({exc}); set ASSISTANT_UI_PORT or use --port") from exc
    url = f"http://{host}:{port}"
    if block:
        print(f"Chat UI at {url}  (Ctrl-C stops it)", flush=True)
        app.block_thread()
    return url


# -- CLI --------------------------------------------------------------------------------
def add_ui_arguments(parser: argparse.ArgumentParser) -> None:
    """The `assistant ui` options."""
    parser.add_argument("--host", help="address to listen on (default ASSISTANT_UI_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default ASSISTANT_UI_PORT, 7860)")


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    """`assistant ui`: serve the chat window until Ctrl-C; returns the exit code."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    host = getattr(args, "host", None) or settings.ui_host
    port = getattr(args, "port", None) or settings.ui_port
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.ui_auth:
        print(f"warning: serving on {host} without a login; set ASSISTANT_AUTH=user:password in .env", flush=True)
    assistants = Assistants(settings)
    threading.Thread(target=assistants.warm_up, daemon=True).start()
    app = build_app(settings, assistants)
    print(f"Uploads are kept in {uploads_folder(settings.index)} and added to the index.", flush=True)
    launch(app, settings, host=host, port=port)
    return 0
