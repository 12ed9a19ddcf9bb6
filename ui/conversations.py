"""The side panel's saved conversations: listed by title and date, reopened, renamed, deleted.

Storage is assistant.history (per-user folders, atomic files); this module only turns a saved
conversation back into what the chat shows, with a note under any answer whose citations no
longer point at the same text (ui.sources.stale_citations).
"""

from typing import Any

from assistant.history import Conversation, ConversationStore, Summary, history_of
from assistant.settings import Settings
from index.errors import AssistantError
from ui import render
from ui.assistants import Collections
from ui.handlers import Session
from ui.sources import stale_citations

# No `from __future__ import annotations` here: Gradio reads handler annotations at run time.


def label(summary: Summary) -> str:
    """'How many troops …? · 2026-12-01 00:57' (the date in UTC, as saved)."""
    when = summary.updated.replace("T", " ")[:16]
    return f"{summary.title or 'Untitled'} · {when}"


def restore(conversation: Conversation, session: Session, collections: Collections) -> Session:
    """A session showing `conversation` as it was answered, ready for a follow-up."""
    restored = session.fresh()
    restored.conversation = conversation
    if conversation.turns:
        restored.collection = str(conversation.turns[-1].settings.get("collection") or "")
    for i, turn in enumerate(conversation.turns):
        first = len(restored.messages)
        restored.messages.append(render.user_message(turn.question))
        if turn.answer is None:
            restored.messages.append(render.error_message(f"Error: {turn.error}"))
        else:
            restored.messages += render.answer_messages(turn.answer, i)
            stale = stale_citations(collections, turn, restored.collection)
            if stale:
                restored.messages.append(render.stale_message(stale))
        restored.turns.append((first, len(restored.messages) - 1, turn))
    restored.history = history_of(t for _, _, t in restored.turns)
    return restored


class ConversationPanel:
    """The handlers of the conversation list; the user comes from the session (set from the
    request by ui.layout), so each login sees only their own folder."""

    def __init__(self, settings: Settings, collections: Collections) -> None:
        self.settings = settings
        self.collections = collections

    def _store(self, session: Session) -> ConversationStore:
        return ConversationStore.for_user(self.settings.index.home, session.user)

    def listing(self, session: Session) -> Any:
        """The list's choices, with the open conversation selected."""
        import gradio as gr

        choices = [(label(s), s.id) for s in self._store(session).list()]
        current = session.conversation.id if session.conversation else None
        return gr.update(choices=choices, value=current if current in {c for _, c in choices} else None)

    def open(self, conversation_id: str | None, session: Session) -> tuple[Any, ...]:
        """Reopen a saved conversation: (chat, session, collection picker, title box, export file)."""
        import gradio as gr

        if not conversation_id:
            return gr.update(), session, gr.update(), gr.update(), gr.update()
        try:
            conversation = self._store(session).load(conversation_id)
        except AssistantError as exc:
            gr.Warning(str(exc))
            return gr.update(), session, gr.update(), gr.update(), gr.update()
        restored = restore(conversation, session, self.collections)
        picker = gr.update(value=self.collections.name(restored.collection))
        hidden = gr.update(value=None, visible=False)
        return restored.messages, restored, picker, gr.update(value=conversation.title), hidden

    def rename(self, title: str, session: Session) -> tuple[Any, Session]:
        import gradio as gr

        if session.conversation is None or not str(title or "").strip():
            gr.Warning("Open or start a conversation, then type its new title.")
            return gr.update(), session
        try:
            session.conversation = self._store(session).rename(session.conversation.id, title)
        except AssistantError as exc:
            gr.Warning(str(exc))
        return self.listing(session), session

    def delete(self, session: Session) -> tuple[Any, ...]:
        """Delete the open conversation: (chat, session, list, title box, export file)."""
        import gradio as gr

        if session.conversation is not None:
            try:
                self._store(session).delete(session.conversation.id)
            except AssistantError as exc:
                gr.Warning(str(exc))
        fresh = session.fresh()
        return [], fresh, self.listing(fresh), gr.update(value=""), gr.update(value=None, visible=False)
