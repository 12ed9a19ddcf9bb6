"""Opening a citation in the viewer, and checking a reopened conversation's citations.

Both read the index through assistant.documents (the document's text as stored); the only file
ever opened is a PDF to draw its cited page, and only through `documents.source_file`, which
keeps to the collection's indexed folder. What the page shows is built by ui.viewer.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from assistant.documents import IndexedDocument, read_document, render_pdf_page, source_file
from assistant.history import Turn
from index.errors import AssistantError
from index.settings import IndexSettings
from index.status import indexed_folders
from ui import render, viewer
from ui.assistants import Collections

log = logging.getLogger(__name__)


def open_source(collections: Collections, target: str, collection: str, turns: list[Turn]) -> tuple[Any, Any, Any, Any]:
    """(viewer column, header, page picture, text) for the gr outputs of the viewer."""
    import gradio as gr

    found = viewer.parse_target(target, turns)
    if found is None:
        return gr.update(visible=True), "That citation is not part of this conversation.", gr.update(visible=False), ""
    assistants = collections.get(found.collection or collection)
    try:
        doc = read_document(assistants.base().store, found.doc_id)
    except AssistantError as exc:
        header = viewer.header_markdown(found, None, still_there=False, page=0, picture_note="")
        return gr.update(visible=True), f"{header}\n\n{render.md_text(str(exc))}", gr.update(visible=False), ""
    start, end, still = viewer.moved_span(doc, found)
    page = doc.page_of(start) if doc.kind == "pdf" else 0
    picture, note = _picture(collections, assistants.settings.index, doc, page) if page else (None, "")
    header = viewer.header_markdown(found, doc, still_there=still, page=page, picture_note=note)
    image = gr.update(value=picture, visible=picture is not None)
    return gr.update(visible=True), header, image, viewer.document_html(doc, start, end)


def _picture(collections: Collections, settings: IndexSettings, doc: IndexedDocument, page: int) -> tuple[Any, str]:
    """(the page drawn, "") or (None, why not). The folder is the one `assistant index` recorded
    for the collection; for the default collection, ASSISTANT_CORPUS when none was recorded."""
    folder = indexed_folders(settings).get(settings.collection)
    if folder is None and settings.collection == collections.name(""):
        folder = str(collections.settings.corpus)
    path, why = source_file(settings, Path(folder) if folder else None, doc.doc_id, doc.content_hash)
    if path is None:
        return None, why
    try:
        return render_pdf_page(path, page), ""
    except AssistantError as exc:
        log.warning("page %s of %s not drawn: %s", page, doc.doc_id, exc)
        return None, str(exc)


def stale_citations(collections: Collections, turn: Turn, collection: str) -> list[tuple[int, str]]:
    """[(citation number, what changed)] for a saved answer's citations that no longer point at
    the same text in the index: the document changed or is gone."""
    if turn.answer is None or not turn.answer.citations:
        return []
    try:
        store = collections.get(str(turn.settings.get("collection") or collection)).base().store
    except AssistantError as exc:
        return [(c.number, f"cannot be checked: {exc}") for c in turn.answer.citations]
    docs: dict[str, IndexedDocument | str] = {}
    stale = []
    for c in turn.answer.citations:
        if c.doc_id not in docs:
            try:
                docs[c.doc_id] = read_document(store, c.doc_id)
            except AssistantError as exc:
                docs[c.doc_id] = str(exc)
        doc = docs[c.doc_id]
        if isinstance(doc, str):
            stale.append((c.number, f"{c.doc_id}: {doc}"))
        elif not doc.holds(c):
            stale.append(
                (
                    c.number,
                    f"{c.doc_id} has changed: the quoted sentence is no longer at {c.location_label or 'its place'}",
                )
            )
    return stale
