"""Uploads only add: whatever folder was indexed, whoever else uploads a file of the same name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from index.ingest import run_index, uploads_folder
from index.store import ChunkStore
from tests.conftest import write
from tests.fakes import HashingEmbedder


def _folder_a(root: Path) -> Path:
    folder = root / "their-folder"
    write(folder / "budget.txt", "The harbour budget for 2024 is 4.2 million euros, approved in March.\n")
    write(folder / "minutes" / "june.md", "# June minutes\n\nThe council voted to repaint the lighthouse.\n")
    write(folder / "staff.txt", "Mara Vintello keeps the lamp; Olek Brandt keeps the books.\n")
    return folder


@pytest.fixture
def ui_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Folder A indexed with `assistant index A`; then the UI's settings as a user starts it,
    ASSISTANT_CORPUS unset (so it names data/corpus, which is not the indexed folder)."""
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"ASSISTANT_HOME": str(tmp_path / "home"), "ASSISTANT_EMBED_MODEL": "hashing"})
    assert settings.corpus == Path("data/corpus")
    folder = _folder_a(tmp_path)
    run_index(folder, settings.index, HashingEmbedder())
    return {"settings": settings, "folder": folder, "tmp": tmp_path}


def _upload(handlers: Any, session: Any, path: Path) -> str:
    report, *_ = handlers.upload([str(path)], session, lambda *args, **kwargs: None)
    return str(report)


def _doc_ids(settings: Settings) -> set[str]:
    return set(ChunkStore.open(settings.index).manifest())


def test_an_upload_keeps_every_document_of_the_indexed_folder(ui_defaults: dict[str, Any]) -> None:
    from ui.app import Assistants, Handlers, Session

    settings, tmp = ui_defaults["settings"], ui_defaults["tmp"]
    before = _doc_ids(settings)
    assert before == {"budget.txt", "minutes/june.md", "staff.txt"}
    handlers = Handlers(settings, Assistants(settings))
    first, second = Session(), Session()
    mine = write(tmp / "in" / "a" / "notes.txt", "Notes of session one: the ferry leaves at nine.\n")
    theirs = write(tmp / "in" / "b" / "notes.txt", "Notes of session two: the bakery opens at six.\n")
    assert "accepted** notes.txt" in _upload(handlers, first, mine)
    assert "accepted** notes.txt" in _upload(handlers, second, theirs)

    after = _doc_ids(settings)
    assert before <= after, f"lost: {before - after}"
    uploads = sorted(after - before)
    assert uploads == sorted([f"uploads/{first.upload_id}/notes.txt", f"uploads/{second.upload_id}/notes.txt"])
    assert not (tmp / "data").exists()  # nothing was written into the default corpus folder


def test_a_session_replaces_its_own_earlier_copy(ui_defaults: dict[str, Any]) -> None:
    from ui.app import Assistants, Handlers, Session

    settings, tmp = ui_defaults["settings"], ui_defaults["tmp"]
    handlers, session = Handlers(settings, Assistants(settings)), Session()
    _upload(handlers, session, write(tmp / "v1" / "notes.txt", "The ferry leaves at nine.\n"))
    report = _upload(handlers, session, write(tmp / "v2" / "notes.txt", "The ferry leaves at ten.\n"))
    assert "replaced and re-indexed" in report
    store = ChunkStore.open(settings.index)
    doc_id = f"uploads/{session.upload_id}/notes.txt"
    texts = store.chunks.get(where={"doc_id": doc_id}, include=["documents"])["documents"]
    assert texts == ["The ferry leaves at ten."]


def test_folder_runs_and_rebuilds_keep_uploads_and_still_mirror_the_folder(ui_defaults: dict[str, Any]) -> None:
    from ui.uploads import add_documents

    settings, folder, tmp = ui_defaults["settings"], ui_defaults["folder"], ui_defaults["tmp"]
    note = write(tmp / "in" / "memo.txt", "Memo: the lighthouse keeper retires in May.\n")
    report = add_documents([(note, "memo.txt")], "s1", settings.index, HashingEmbedder())
    assert report.accepted == ["memo.txt"]
    (folder / "staff.txt").unlink()

    summary = run_index(folder, settings.index, HashingEmbedder())
    assert summary.removed == ("staff.txt",)  # the folder is still mirrored
    assert "uploads/s1/memo.txt" in _doc_ids(settings)
    assert run_index(folder, settings.index, HashingEmbedder()).chunks_embedded == 0  # unchanged stays unchanged

    run_index(folder, settings.index, HashingEmbedder(), rebuild=True)
    assert _doc_ids(settings) == {"budget.txt", "minutes/june.md", "uploads/s1/memo.txt"}
    assert (uploads_folder(settings.index) / "s1" / "memo.txt").is_file()
