"""The event handlers and the per-tab Session: every per-session value arrives in, and
leaves through, the Session; the handlers call the Assistant API and ui.render, nothing else."""

import logging
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.answering.model_queue import Waiting
from assistant.history import Conversation, ConversationStore, now
from assistant.settings import ANSWERERS, Settings
from assistant.types import Answer
from index.errors import AssistantError, ConfigError
from ui import render, sources
from ui.assistants import Assistants, Collections
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
    collection: str = ""  # the collection this tab searches and uploads to; "" = ASSISTANT_COLLECTION
    user: str | None = None  # the login name (from the request, never from the page); None without login
    conversation: Conversation | None = None  # as saved; None until the first question

    def turn_at(self, index: int) -> render.Turn | None:
        for first, last, turn in self.turns:
            if first <= index <= last:
                return turn
        return None

    def fresh(self) -> "Session":
        """A new conversation in the same tab: same user, collection and upload folder."""
        return Session(upload_id=self.upload_id, collection=self.collection, user=self.user)


class Handlers:
    """The event handlers; all per-session data arrives in, and leaves through, the Session."""

    def __init__(self, settings: Settings, assistants: Assistants | Collections) -> None:
        self.settings = settings
        self.collections = assistants if isinstance(assistants, Collections) else Collections(assistants)
        self.assistants = self.collections.default
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
            assistant = self.collections.get(session.collection).get(answer_name(answerer, self.settings))
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
            reply = render.answer_messages(answer, len(session.turns))
            turn = render.Turn(question, answer, history)
        except AssistantError as exc:
            reply, turn = [render.error_message(f"Error: {exc}")], render.Turn(question, None, history, str(exc))
        except Exception as exc:  # noqa: BLE001 - the app keeps running; the log has the traceback
            log.exception("answering %r failed", question)
            reply = [render.error_message(f"Error: unexpected {type(exc).__name__}: {exc}; see the server log")]
            turn = render.Turn(question, None, history, str(exc))
        used = {"answerer": answerer, "k": int(k), "sources": list(sources or []), "collection": session.collection}
        turn = replace(turn, settings=used, when=now())
        session.messages = [*shown, *reply]
        session.turns.append((first, len(session.messages) - 1, turn))
        self._save(session, turn)
        if answer is not None:
            said = answer.text.split("\n", 1)[0] if answer.abstained else answer.text
            session.history += [{"role": "user", "content": question}, {"role": "assistant", "content": said}]
        yield session.messages, "", session, answer.to_dict() if answer else None

    def _save(self, session: Session, turn: render.Turn) -> None:
        """Append `turn` to the session's saved conversation (a failed save is said, not fatal)."""
        session.conversation = (session.conversation or Conversation.new()).with_turn(turn)
        try:
            ConversationStore.for_user(self.settings.index.home, session.user).save(session.conversation)
        except AssistantError as exc:
            log.warning("conversation not saved: %s", exc)
            session.messages = [*session.messages, render.error_message(f"Not saved: {exc}")]

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
            return "No files.", self.status(session), gr.update(), None
        pairs = [(Path(f), Path(f).name) for f in files]
        try:
            assistants = self.collections.get(session.collection)
            base = assistants.base()
        except AssistantError as exc:
            return render.upload_markdown([], error=str(exc)), self.status(session), gr.update(), None
        progress(0, desc="Checking files")
        started = time.perf_counter()
        report = add_documents(
            pairs,
            session.upload_id,
            assistants.settings.index,  # the selected collection: its uploads folder and store
            base.embedder,
            store=base.store,
            progress=_progress(progress),
        )
        outcomes = [f.to_dict() for f in report.files]
        seconds = time.perf_counter() - started if report.summary else None
        text = render.upload_markdown(outcomes, report.error, seconds)
        return text, self.status(session), gr.update(choices=self.documents(session)), None

    def status(self, session: Session | None = None) -> str:
        """The corpus status panel, of the session's collection."""
        from index.status import index_status

        try:
            assistants = self.collections.get(session.collection if session else "")
            base = assistants.base()
            status = index_status(assistants.settings.index, store=base.store)
            label = self.assistants.label(self.settings.answerer)
            self.assistants.prepare(self.settings.answerer)
        except AssistantError as exc:
            return render.status_markdown({"error": str(exc)}, self.settings.answerer)
        return render.status_markdown(status, label)

    def documents(self, session: Session | None = None) -> list[str]:
        try:
            base = self.collections.get(session.collection if session else "").base()
            return sorted(base.store.manifest()) if base.store.exists() else []
        except AssistantError:
            return []

    def collection_choices(self) -> list[tuple[str, str]]:
        """The collection picker: ("news (12 documents)", "news") per collection of the store."""
        try:
            return [(collection_label(c["name"], c["documents"]), c["name"]) for c in self.collections.listing()]
        except AssistantError:
            name = self.collections.name("")
            return [(name, name)]

    def refresh(self, session: Session) -> tuple[str, Any, Any]:
        import gradio as gr

        picker = gr.update(choices=self.collection_choices(), value=self.collections.name(session.collection))
        return self.status(session), gr.update(choices=self.documents(session)), picker

    def select_collection(self, name: str, session: Session) -> tuple[str, Any, Session]:
        """Search (and upload to) collection `name` from now on in this tab."""
        import gradio as gr

        try:
            self.collections.get(name)
        except AssistantError as exc:
            gr.Warning(str(exc))
            return self.status(session), gr.update(), session
        session.collection = "" if name == self.collections.name("") else name
        return self.status(session), gr.update(choices=self.documents(session), value=[]), session

    def open_source(self, target: str, session: Session) -> tuple[Any, Any, Any, Any]:
        """The viewer opened at the citation `target` names (see ui.sources)."""
        return sources.open_source(self.collections, target, session.collection, [t for _, _, t in session.turns])

    def export(self, session: Session) -> Any:
        """The conversation as a Markdown file with footnotes (served from Gradio's cache)."""
        import gradio as gr

        if not session.turns:
            gr.Warning("Nothing to export yet: ask a question first.")
            return gr.update(value=None, visible=False)
        path = Path(self._exports.name) / uuid.uuid4().hex[:12] / "conversation.md"
        path.parent.mkdir()
        title = f"Conversation: {session.conversation.title}" if session.conversation else "Conversation"
        path.write_text(render.export_markdown([t for _, _, t in session.turns], title), encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def clear(self, session: Session) -> tuple[list[dict[str, Any]], Session, Any]:
        """A new conversation: empty chat and history; the settings stay."""
        import gradio as gr

        return [], session.fresh(), gr.update(value=None, visible=False)


def collection_label(name: str, documents: int) -> str:
    """'news (12 documents)', 'letters (1 document)'."""
    return f"{name} ({documents} document{'' if documents == 1 else 's'})"


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
