"""Saved conversations (assistant.history): round trips, per-user folders, safe names, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import HistoryError
from assistant.history import (
    CONVERSATIONS,
    Conversation,
    ConversationStore,
    Turn,
    answer_from_dict,
    history_of,
    user_folder,
)
from assistant.types import Answer, Citation, Evidence, Passage
from index.errors import AssistantError
from index.types import Location


def _answer(question: str = "How many troops?", abstained: bool = False) -> Answer:
    passage = Passage(
        "c1",
        "news/iraq.txt",
        "Iraq",
        "About 2,500 US troops are in Iraq.",
        Location("lines", 3, 4),
        10,
        45,
        dense=0.61,
        lexical=None,
        fused=0.03,
        rerank=4.2,
    )
    evidence = Evidence(1, passage, "About 2,500 US troops are in Iraq.", "ctx", 10, 45, 4.2, Location("lines", 3, 3))
    citation = Citation(
        1,
        "news/iraq.txt",
        "Iraq",
        Location("lines", 3, 3),
        10,
        45,
        "About 2,500 US troops are in Iraq.",
        0.93,
        chunk_id="c1",
        passage=passage.text,
    )
    return Answer(
        question=question,
        text="Not found in the documents." if abstained else "About 2,500 [1].",
        citations=() if abstained else (citation,),
        passages=(passage,),
        evidence=(evidence,),
        abstained=abstained,
        query=question,
        answerer="extractive",
        timings={"retrieve": 0.5},
        notes=("a note",),
        decision={
            "abstain": abstained,
            "probability": 0.8,
            "threshold": 0.5,
            "calibration": "shipped",
            "signals": {"best": 4.2},
        },
    )


def test_an_answer_survives_the_round_trip_through_json() -> None:
    answer = _answer()
    again = answer_from_dict(json.loads(json.dumps(answer.to_dict())))
    assert again == answer
    assert again.evidence[0].passage is again.passages[0]  # evidence points at its passage again


def test_a_conversation_is_saved_listed_reopened_renamed_and_deleted(tmp_path: Path) -> None:
    store = ConversationStore.for_user(tmp_path, None)
    first = Conversation.new().with_turn(
        Turn("How many troops?", _answer(), settings={"k": 6}, when="2026-01-01T00:00:00+00:00")
    )
    second = Conversation.new().with_turn(Turn("Who?", None, error="boom", when="2026-01-02T00:00:00+00:00"))
    store.save(first)
    store.save(second)
    assert [s.id for s in store.list()] == [second.id, first.id]  # the latest first
    assert store.list()[1].title == "How many troops?" and store.list()[1].turns == 1
    assert store.load(first.id) == first
    assert store.rename(first.id, "  Troops\nin Iraq ").title == "Troops in Iraq"
    assert store.load(first.id).title == "Troops in Iraq"
    store.delete(first.id)
    assert [s.id for s in store.list()] == [second.id]
    with pytest.raises(HistoryError, match="no longer exists"):
        store.load(first.id)
    assert not list(store.folder.glob(".tmp-*"))  # atomic writes leave no temporary file


def test_each_user_has_a_folder_of_their_own_and_names_cannot_escape(tmp_path: Path) -> None:
    names = ["alice", "Alice", "../../etc", "bob/../../x", "", None]
    folders = {user_folder(tmp_path, n) for n in names}
    assert len(folders) == len(names) - 1  # "" and None are both the local user; the rest differ
    for folder in folders:
        assert folder.parent == tmp_path / CONVERSATIONS and ".." not in folder.name and "/" not in folder.name
    alice, bob = ConversationStore.for_user(tmp_path, "alice"), ConversationStore.for_user(tmp_path, "bob")
    alice.save(Conversation.new().with_turn(Turn("Alice's question", None)))
    assert [s.title for s in alice.list()] == ["Alice's question"] and bob.list() == []


@pytest.mark.parametrize("bad", ["../x", "..", "abc", "0123456789ab/../..", "0123456789AB", ""])
def test_only_conversation_ids_become_paths(tmp_path: Path, bad: str) -> None:
    store = ConversationStore.for_user(tmp_path, "alice")
    with pytest.raises(HistoryError, match="not a conversation id"):
        store.load(bad)
    with pytest.raises(HistoryError):
        store.delete(bad)
    assert issubclass(HistoryError, AssistantError)


def test_a_damaged_file_is_left_out_of_the_list_and_said_so_when_opened(tmp_path: Path) -> None:
    store = ConversationStore.for_user(tmp_path, None)
    good = Conversation.new().with_turn(Turn("q", None))
    store.save(good)
    (store.folder / "0123456789ab.json").write_text("{not json", encoding="utf-8")
    assert [s.id for s in store.list()] == [good.id]
    with pytest.raises(HistoryError, match="cannot be read"):
        store.load("0123456789ab")


def test_follow_up_history_is_rebuilt_from_the_saved_turns() -> None:
    turns = [
        Turn("How many troops?", _answer()),
        Turn("Broken?", None, error="x"),
        Turn("Q?", _answer("Q?", abstained=True)),
    ]
    assert history_of(turns) == [
        {"role": "user", "content": "How many troops?"},
        {"role": "assistant", "content": "About 2,500 [1]."},
        {"role": "user", "content": "Q?"},
        {"role": "assistant", "content": "Not found in the documents."},
    ]
