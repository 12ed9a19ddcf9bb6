"""The chat window (`assistant ui`): a thin Gradio layer over `Assistant.stream`.

Every session keeps its own history and settings in a gr.State; the app shares one store,
embedder and cross-encoder, with one Assistant per answerer name built on first use
(ui.assistants). Nothing here retrieves or answers: the handlers (ui.handlers) call the
Assistant API and render (ui.render); ui.layout builds the page. This module serves it.
"""

import argparse
import threading
from typing import TYPE_CHECKING

from assistant.settings import Settings
from index.errors import ConfigError
from index.ingest import uploads_folder
from ui.assistants import Assistants
from ui.examples import example_questions
from ui.handlers import Handlers, Session
from ui.layout import build_app
from ui.page import CSS, JS

if TYPE_CHECKING:
    import gradio as gr

__all__ = ["Assistants", "Handlers", "Session", "build_app", "cmd_ui", "example_questions", "launch"]

UPLOAD_SIZE_FACTOR = 4  # Gradio refuses bodies over this many times ASSISTANT_MAX_FILE_MB (disk guard)


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
