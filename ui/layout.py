"""The chat window's layout and events: the side panel (conversations, collection, corpus,
settings, uploads), the conversation, the document viewer, and their wiring."""

from typing import TYPE_CHECKING, Any

from assistant.answering.evidence import PASSAGES_FOR_EVIDENCE
from assistant.api import DEFAULT_K, MAX_K
from assistant.settings import ANSWERERS, Settings
from ui import render
from ui.assistants import Assistants, Collections
from ui.conversations import ConversationPanel
from ui.examples import example_questions
from ui.handlers import Handlers, Session
from ui.page import SCROLL_TO_CITED

if TYPE_CHECKING:
    import gradio as gr

# gradio is imported only when the app is built (importing it takes seconds), so
# `assistant --help` stays fast. No `from __future__ import annotations` here: Gradio reads
# handler annotations at run time.

STATUS_REFRESH_S = 10  # the side panel re-reads the status: the local model may have become ready
# Answers in progress at once (the Assistant is thread-safe). Sessions waiting for the local model
# use no CPU (assistant/answering/model_queue.py) and must not keep extractive answers out of these slots.
CHAT_CONCURRENCY = 16


def build_app(
    settings: Settings, assistants: Assistants | None = None, *, examples: list[str] | None = None
) -> "gr.Blocks":
    """The chat window. `assistants` defaults to one built from `settings` on first use."""
    import gradio as gr

    collections = Collections(assistants or Assistants(settings))
    handlers = Handlers(settings, collections)
    panel = ConversationPanel(settings, collections)
    with gr.Blocks(title="Document assistant", analytics_enabled=False) as app:
        parts = _sidebar(gr, settings)
        shown = example_questions(set(handlers.documents())) if examples is None else examples
        parts.update(_chat(gr, shown))
        parts.update(_viewer(gr))
        _wire(gr, app, handlers, panel, parts)
        _wire_panel(gr, app, handlers, panel, parts)
    return app


def _sidebar(gr: Any, settings: Settings) -> dict[str, Any]:
    """Saved conversations, the collection, corpus status, this session's settings, uploads."""
    with gr.Sidebar(label="Conversations, corpus and settings", open=True, width=360):
        gr.Markdown("### Conversations")
        signed_in = gr.Markdown("", elem_id="signed-in")
        conversations = gr.Radio([], value=None, show_label=False, elem_id="conversations")
        title = gr.Textbox(placeholder="Title of the open conversation", show_label=False, elem_id="conversation-title")
        with gr.Row():
            rename = gr.Button("Rename", size="sm", elem_id="rename-conversation")
            delete = gr.Button("Delete", size="sm", variant="stop", elem_id="delete-conversation")
        gr.Markdown("### Corpus")
        collection = gr.Dropdown(
            [],
            value=None,
            label="Collection",
            info="What this tab searches, and where uploads go",
            elem_id="collection",
        )
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
        files = gr.File(
            file_count="multiple",
            label="Drop files here (documents, e-mail, spreadsheets, slides, scans)",
            elem_id="upload",
        )
        upload_report = gr.Markdown(elem_id="upload-report")
    return {
        "conversations": conversations,
        "signed_in": signed_in,
        "title": title,
        "rename": rename,
        "delete": delete,
        "collection": collection,
        "status": status,
        "answerer": answerer,
        "k": k,
        "sources": sources,
        "files": files,
        "report": upload_report,
    }


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


def _viewer(gr: Any) -> dict[str, Any]:
    """The cited document, opened from a citation's link (hidden until then)."""
    with gr.Column(visible=False, elem_id="viewer") as column:
        with gr.Row():
            header = gr.Markdown(elem_id="viewer-header")
            close = gr.Button("Close", size="sm", scale=0, elem_id="viewer-close")
        with gr.Row(equal_height=False):
            page = gr.Image(
                type="pil", interactive=False, visible=False, show_label=False, elem_id="viewer-page", buttons=[]
            )
            text = gr.HTML(elem_id="doc-view", padding=False)
    # The links in the chat fill this box and press this button (ui.page.JS): hidden, but in the page.
    target = gr.Textbox(visible="hidden", elem_id="open-target")
    opener = gr.Button(visible="hidden", elem_id="open-button")
    return {
        "viewer": column,
        "viewer_header": header,
        "viewer_close": close,
        "viewer_page": page,
        "viewer_text": text,
        "open_target": target,
        "opener": opener,
    }


def _wire(gr: Any, app: Any, handlers: Handlers, panel: ConversationPanel, c: dict[str, Any]) -> None:
    """The events; the API names (chat, upload, export, new_conversation, status) are for clients."""

    def upload(
        files: list[str] | None,
        session: Session,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio hands out progress bars this way
    ) -> tuple[str, str, Any, None]:
        return handlers.upload(files, session, progress)

    def feedback(session: Session, data: gr.LikeData) -> None:  # the annotation tells Gradio what to pass
        handlers.feedback(session, data)

    def respond(
        message: str, answerer: str, k: float, sources: list[str] | None, session: Session, request: gr.Request
    ) -> Any:
        session.user = request.username if request else None  # the login, never a value from the page
        yield from handlers.respond(message, answerer, k, sources, session)

    session = c["session"]
    c["message"].submit(
        respond,
        [c["message"], c["answerer"], c["k"], c["sources"], session],
        [c["chatbot"], c["message"], session, c["answer_json"]],
        api_name="chat",
        concurrency_limit=CHAT_CONCURRENCY,
        concurrency_id="chat",
    ).then(panel.listing, [session], [c["conversations"]], api_visibility="private")  # saved: list it
    c["chatbot"].clear(Session.fresh, [session], [session], api_visibility="private")  # the chat's own bin icon
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
    c["new_chat"].click(
        handlers.clear, [session], [c["chatbot"], session, c["export_file"]], api_name="new_conversation"
    ).then(panel.listing, [session], [c["conversations"]], api_visibility="private")
    # The answerer can change under "auto" (the local model finishing its install): keep it shown.
    gr.Timer(STATUS_REFRESH_S).tick(
        handlers.status, [session], [c["status"]], api_name="status_tick", api_visibility="private"
    )
    c["collection"].input(
        handlers.select_collection,
        [c["collection"], session],
        [c["status"], c["sources"], session],
        api_name="collection",
    )
    viewer = [c["viewer"], c["viewer_header"], c["viewer_page"], c["viewer_text"]]
    c["opener"].click(handlers.open_source, [c["open_target"], session], viewer, api_name="open_source").then(
        None, None, None, js=SCROLL_TO_CITED
    )
    c["viewer_close"].click(lambda: gr.update(visible=False), None, [c["viewer"]], api_visibility="private")


def _wire_panel(gr: Any, app: Any, handlers: Handlers, panel: ConversationPanel, c: dict[str, Any]) -> None:
    """The saved conversations' events, and the page load that fills the side panel."""
    session = c["session"]

    def load(session: Session, request: gr.Request) -> tuple[Any, ...]:
        session.user = request.username if request else None
        who = f"Signed in as **{render.md_text(session.user)}**: your conversations only." if session.user else ""
        return (*handlers.refresh(session), panel.listing(session), who, session)

    loaded = [c["status"], c["sources"], c["collection"], c["conversations"], c["signed_in"], session]
    app.load(load, [session], loaded, api_name="status")
    reopened = [c["chatbot"], session, c["collection"], c["title"], c["export_file"]]
    c["conversations"].input(panel.open, [c["conversations"], session], reopened, api_name="open_conversation").then(
        handlers.refresh, [session], [c["status"], c["sources"], c["collection"]], api_visibility="private"
    )
    c["rename"].click(
        panel.rename, [c["title"], session], [c["conversations"], session], api_name="rename_conversation"
    )
    deleted = [c["chatbot"], session, c["conversations"], c["title"], c["export_file"]]
    c["delete"].click(panel.delete, [session], deleted, api_name="delete_conversation")
