"""The chat window's layout and events: the side panel, the conversation, and their wiring."""

from typing import TYPE_CHECKING, Any

from assistant.api import DEFAULT_K, MAX_K
from assistant.evidence import PASSAGES_FOR_EVIDENCE
from assistant.settings import ANSWERERS, Settings
from ui.assistants import Assistants
from ui.examples import example_questions
from ui.handlers import Handlers, Session

if TYPE_CHECKING:
    import gradio as gr

# gradio is imported only when the app is built (importing it takes seconds), so
# `assistant --help` stays fast. No `from __future__ import annotations` here: Gradio reads
# handler annotations at run time.

STATUS_REFRESH_S = 10  # the side panel re-reads the status: the local model may have become ready
CHAT_CONCURRENCY = 4  # answers computed at once; the Assistant is thread-safe, the CPU has few cores


def build_app(
    settings: Settings, assistants: Assistants | None = None, *, examples: list[str] | None = None
) -> "gr.Blocks":
    """The chat window. `assistants` defaults to one built from `settings` on first use."""
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
