"""The event handlers and the per-tab Session: every per-session value arrives in, and
leaves through, the Session; the handlers call the Assistant API and ui.render, nothing else."""

import logging
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.settings import ANSWERERS, Settings
from assistant.types import Answer
from index.errors import AssistantError, ConfigError
from ui import render
from ui.assistants import Assistants
from ui.feedback import FEEDBACK_FILE, append_feedback, feedback_record
from ui.uploads import add_documents

if TYPE_CHECKING:
    import gradio as gr

# No `from __future__ import annotations` here: Gradio reads handler annotations at run time.

log = logging.getLogger(__name__)


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
