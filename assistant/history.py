"""Saved conversations: one JSON file per conversation under ASSISTANT_HOME/conversations/<user>/.

Product data, not presentation: a conversation holds the questions, the checked answers with
their citations (`Answer.to_dict()`) and the settings each was asked with, so it can be reopened
after a restart, exported, or checked against an index that has changed since. The chat window
is one client; nothing here imports gradio.

Files are written atomically (a temporary file in the same folder, then `os.replace`), so a
crash leaves the old or the new conversation, never half of one. Each user has a folder of
their own, named from the user name by `user_folder` (letters kept, a hash keeps two names
apart), and conversation ids are checked against `CONVERSATION_ID` before any path is built:
no id can reach outside its user's folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import HistoryError
from assistant.types import Answer, Citation, Evidence, Passage
from index.types import Location

CONVERSATIONS = "conversations"  # folder under ASSISTANT_HOME
LOCAL_USER = "local"  # the folder of a window served without a login
CONVERSATION_ID = re.compile(r"^[0-9a-f]{12}$")
TITLE_CHARS = 80  # a conversation's title is its first question, cut to this
_USER_CHARS = 40  # the readable part of a user's folder name
_LOCK = threading.Lock()  # two tabs of one user saving at once must not interleave their writes


@dataclass(frozen=True)
class Turn:
    """One question and its answer, with the history it was asked in and the settings used."""

    question: str
    answer: Answer | None  # None when the question failed with an error
    history: tuple[dict[str, str], ...] = ()
    error: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)  # answerer, k, sources, collection
    when: str = ""  # ISO time the answer was given

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer.to_dict() if self.answer else None,
            "history": [dict(m) for m in self.history],
            "error": self.error,
            "settings": dict(self.settings),
            "when": self.when,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Turn:
        answer = data.get("answer")
        return cls(
            question=str(data.get("question", "")),
            answer=answer_from_dict(answer) if isinstance(answer, Mapping) else None,
            history=tuple({"role": str(m["role"]), "content": str(m["content"])} for m in data.get("history", ())),
            error=str(data.get("error", "")),
            settings=dict(data.get("settings") or {}),
            when=str(data.get("when", "")),
        )


@dataclass(frozen=True)
class Conversation:
    """A saved conversation: its turns in order, a title (the first question until renamed)."""

    id: str
    title: str = ""
    created: str = ""
    updated: str = ""
    turns: tuple[Turn, ...] = ()

    @classmethod
    def new(cls) -> Conversation:
        when = now()
        return cls(id=uuid.uuid4().hex[:12], created=when, updated=when)

    def with_turn(self, turn: Turn) -> Conversation:
        """A copy with `turn` appended; the first question becomes the title."""
        title = self.title or title_from(turn.question)
        return replace(self, title=title, turns=(*self.turns, turn), updated=turn.when or now())

    def renamed(self, title: str) -> Conversation:
        return replace(self, title=title_from(title) or self.title, updated=now())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "created": self.created,
            "updated": self.updated,
            "turns": [t.to_dict() for t in self.turns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Conversation:
        return cls(
            id=str(data["id"]),
            title=str(data.get("title", "")),
            created=str(data.get("created", "")),
            updated=str(data.get("updated", "")),
            turns=tuple(Turn.from_dict(t) for t in data.get("turns", ())),
        )


@dataclass(frozen=True)
class Summary:
    """What a list of conversations shows: title and date, without loading the answers."""

    id: str
    title: str
    updated: str
    turns: int


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def title_from(text: str) -> str:
    """One line of at most TITLE_CHARS characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1] + "…"


def user_folder(home: Path, user: str | None) -> Path:
    """The folder of `user`'s conversations (LOCAL_USER's without a login).

    'Alice Smith' -> conversations/alice_smith-<8 hex>: readable, and never `..` or a path.
    """
    if not user:
        return home / CONVERSATIONS / LOCAL_USER
    readable = re.sub(r"[^a-z0-9_-]+", "_", user.lower()).strip("_-")[:_USER_CHARS] or "user"
    digest = hashlib.sha256(user.encode("utf-8")).hexdigest()[:8]
    return home / CONVERSATIONS / f"{readable}-{digest}"


class ConversationStore:
    """One user's saved conversations."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def for_user(cls, home: Path, user: str | None) -> ConversationStore:
        return cls(user_folder(home, user))

    def path(self, conversation_id: str) -> Path:
        """The file of a conversation; raises HistoryError for anything that is not an id."""
        if not CONVERSATION_ID.match(str(conversation_id)):
            raise HistoryError(f"{conversation_id!r} is not a conversation id (12 hexadecimal digits)")
        return self.folder / f"{conversation_id}.json"

    def save(self, conversation: Conversation) -> Path:
        """Write atomically; returns the file. Raises HistoryError when the folder is not writable."""
        path = self.path(conversation.id)
        text = json.dumps(conversation.to_dict(), ensure_ascii=False, indent=1)
        try:
            with _LOCK:
                self.folder.mkdir(parents=True, exist_ok=True)
                _write_atomically(path, text)
        except OSError as exc:
            raise HistoryError(f"cannot save the conversation in {self.folder} ({exc}); check its permissions") from exc
        return path

    def load(self, conversation_id: str) -> Conversation:
        """The conversation; raises HistoryError when it is gone or unreadable."""
        path = self.path(conversation_id)
        try:
            return Conversation.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError as exc:
            raise HistoryError(f"conversation {conversation_id} no longer exists (deleted?)") from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise HistoryError(f"conversation {conversation_id} cannot be read ({exc}); {path} may be damaged") from exc

    def list(self) -> list[Summary]:
        """Every readable conversation, the most recently updated first."""
        found = []
        for path in self.folder.glob("*.json") if self.folder.is_dir() else ():
            if not CONVERSATION_ID.match(path.stem):
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                found.append(
                    Summary(
                        path.stem, str(data.get("title", "")), str(data.get("updated", "")), len(data.get("turns", ()))
                    )
                )
            except (OSError, ValueError, AttributeError):
                continue  # a damaged file is skipped in the list; `load` says what is wrong with it
        return sorted(found, key=lambda s: (s.updated, s.id), reverse=True)

    def rename(self, conversation_id: str, title: str) -> Conversation:
        renamed = self.load(conversation_id).renamed(title)
        self.save(renamed)
        return renamed

    def delete(self, conversation_id: str) -> None:
        """Remove a conversation (gone already is fine)."""
        with _LOCK:
            self.path(conversation_id).unlink(missing_ok=True)


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- answers read back: the inverse of Answer.to_dict() ------------------------------------------
def location_from_dict(data: Mapping[str, Any] | None) -> Location | None:
    if not data:
        return None
    return Location(data["kind"], int(data["start"]), int(data["end"]), str(data.get("detail", "")))


def answer_from_dict(data: Mapping[str, Any]) -> Answer:
    """The Answer that `Answer.to_dict()` described (passages without their paragraph map)."""
    passages = tuple(_passage(p) for p in data.get("passages", ()))
    by_chunk = {p.chunk_id: p for p in passages}
    return Answer(
        question=str(data.get("question", "")),
        text=str(data.get("text", "")),
        citations=tuple(_citation(c) for c in data.get("citations", ())),
        passages=passages,
        evidence=tuple(_evidence(e, by_chunk) for e in data.get("evidence", ())),
        abstained=bool(data.get("abstained", False)),
        query=str(data.get("query", "")),
        answerer=str(data.get("answerer", "")),
        timings={str(k): float(v) for k, v in (data.get("timings") or {}).items()},
        tokens={str(k): int(v) for k, v in (data.get("tokens") or {}).items()},
        notes=tuple(str(n) for n in data.get("notes", ())),
        decision=dict(data.get("decision") or {}),
    )


def _passage(data: Mapping[str, Any]) -> Passage:
    fields = {k: data[k] for k in ("dense", "lexical", "rerank") if k in data}
    return Passage(
        chunk_id=str(data["chunk_id"]),
        doc_id=str(data["doc_id"]),
        title=str(data.get("title", "")),
        text=str(data.get("text", "")),
        location=location_from_dict(data.get("location")),
        char_start=int(data.get("char_start", 0)),
        char_end=int(data.get("char_end", 0)),
        fused=float(data.get("fused", 0.0)),
        **fields,
    )


def _citation(data: Mapping[str, Any]) -> Citation:
    return Citation(
        number=int(data["number"]),
        doc_id=str(data["doc_id"]),
        title=str(data.get("title", "")),
        location=location_from_dict(data.get("location")),
        char_start=int(data["char_start"]),
        char_end=int(data["char_end"]),
        quote=str(data.get("quote", "")),
        score=float(data.get("score", 0.0)),
        chunk_id=str(data.get("chunk_id", "")),
        passage=str(data.get("passage", "")),
    )


def _evidence(data: Mapping[str, Any], passages: Mapping[str, Passage]) -> Evidence:
    chunk = str(data.get("chunk_id", ""))
    passage = passages.get(chunk) or Passage(
        chunk, str(data.get("doc_id", "")), "", str(data.get("context", "")), None, 0, 0
    )
    return Evidence(
        id=int(data["id"]),
        passage=passage,
        sentence=str(data.get("sentence", "")),
        context=str(data.get("context", "")),
        char_start=int(data["char_start"]),
        char_end=int(data["char_end"]),
        score=float(data.get("score", 0.0)),
        location=location_from_dict(data.get("location")),
    )


def history_of(turns: Iterable[Turn]) -> list[dict[str, str]]:
    """The plain question/answer messages a follow-up is asked with (an abstention's first line)."""
    messages: list[dict[str, str]] = []
    for turn in turns:
        if turn.answer is None:
            continue
        said = turn.answer.text.split("\n", 1)[0] if turn.answer.abstained else turn.answer.text
        messages += [{"role": "user", "content": turn.question}, {"role": "assistant", "content": said}]
    return messages
