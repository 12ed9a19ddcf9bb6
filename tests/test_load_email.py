"""E-mail: headers and new body text located by message and date; attachments indexed as documents of their own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from index.clean import clean
from index.errors import DocumentError
from index.ingest import run_index
from index.load import load_documents
from index.settings import IndexSettings
from index.store import ChunkStore
from index.types import RawDocument
from tests.fakes import HashingEmbedder
from tests.office_fixtures import INVENTORY_CSV, REPLY_BODY, email_message, index_and_ask
from tests.pdf_fixtures import pdf_bytes

LIMIT = 20 * 1024 * 1024
PERMIT_PDF = pdf_bytes(  # three pages: the fact is on page 3
    [
        "Crane permit CP-88213",
        "Site plan: see drawing 7.",
        "The crane permit is valid until 22 March 2024, north car park only.",
    ]
)
STOCK_CSV = "\n".join(",".join(row) for row in INVENTORY_CSV).encode()


def write_thread(path: Path, *attachments: tuple[str, bytes, str]) -> Path:
    path.write_bytes(email_message("Re: Roof works", REPLY_BODY, attachments=attachments).as_bytes())
    return path


def load_all(path: Path) -> list[RawDocument]:
    return load_documents(path, path.name, max_bytes=LIMIT)


def text_of(raw: RawDocument) -> str:
    return "\n".join(block.text for block in raw.blocks)


def test_headers_and_new_text_are_kept_and_quoted_messages_dropped(tmp_path: Path) -> None:
    (raw,) = load_all(write_thread(tmp_path / "roof.eml"))
    assert raw.kind == "email" and raw.title == "Re: Roof works"
    assert raw.blocks[0].text.split("\n") == [
        "From: Dana Whitfield <dana@example.org>",
        "To: Project team <team@example.org>",
        "Date: Sat, 02 Mar 2024 09:41:00 +0000",
        "Subject: Re: Roof works",
    ]
    text = text_of(raw)
    assert "CP-88213" in text and "north car park" in text
    assert "CP-10000" not in text and "wrote:" not in text and "skip hire" not in text
    (quoted,) = [r for r in clean(raw).removed if r.reason == "quoted earlier message"]
    assert quoted.text.startswith("On Fri, 1 Mar 2024 at 16:02, Sam Ortiz") and "CP-10000" in quoted.text
    assert {b.location.label() for b in raw.blocks} == {"message of 2024-03-02"}


def test_an_html_only_message_is_cleaned_like_a_web_page(tmp_path: Path) -> None:
    html = """<html><body><nav>Inbox | Sent | Archive</nav>
    <p>The auditors arrive on <b>9 April</b> and need the asset register.</p>
    <div class="gmail_quote">On Mon, Sam wrote:<blockquote>Send the old register, version 3.</blockquote></div>
    <footer>Sent from the Example mail app</footer></body></html>"""
    message = email_message("Audit", "", html=html)
    message.get_body(("plain",)).set_content(html, subtype="html")  # HTML only, as some clients send
    path = tmp_path / "audit.eml"
    path.write_bytes(message.as_bytes())
    (raw,) = load_all(path)
    body = text_of(raw).split("\n")
    assert "The auditors arrive on 9 April and need the asset register." in body
    assert not any("Inbox" in line or "version 3" in line or "Sent from" in line for line in body)
    assert {r.reason for r in raw.removed} >= {"navigation", "quoted earlier message"}


def test_an_outlook_reply_is_cut_at_the_original_message_but_a_forward_is_kept(tmp_path: Path) -> None:
    earlier = "From: Sam Ortiz\nSent: 1 March 2024 16:02\nTo: Dana\nSubject: Roof\n\nThe permit is CP-10000."
    for subject, kept in (("RE: Roof", False), ("FW: Roof", True)):
        path = tmp_path / f"{subject[:2]}.eml"
        path.write_bytes(email_message(subject, f"See below.\n\n{earlier}\n").as_bytes())
        assert ("CP-10000" in text_of(load_all(path)[0])) is kept, subject


def test_attachments_are_documents_of_their_own_citing_their_own_pages_and_rows(tmp_path: Path) -> None:
    path = write_thread(
        tmp_path / "roof.eml",
        ("permit.pdf", PERMIT_PDF, "application/pdf"),
        ("stock#2.csv", STOCK_CSV, "text/csv"),
        ("tools.zip", b"PK\x03\x04rest", "application/zip"),
    )
    message, permit, stock = load_all(path)
    assert "Attachments: permit.pdf, stock_2.csv, tools.zip" in message.blocks[0].text
    assert (permit.doc_id, permit.parent, permit.kind) == ("roof.eml#permit.pdf", "roof.eml", "pdf")
    assert permit.blocks[0].location.label() == "page 1"
    assert (stock.doc_id, stock.blocks[-1].location.label()) == ("roof.eml#stock_2.csv", "row 4")
    assert message.warnings == ("attachment tools.zip not indexed: unsupported file type .zip",)


def test_an_attached_message_brings_its_own_attachments(tmp_path: Path) -> None:
    inner = email_message(
        "Permit", "The permit is attached.", attachments=(("permit.pdf", PERMIT_PDF, "application/pdf"),)
    )
    outer = email_message("Fwd: Permit", "Forwarding the permit thread.")
    outer.add_attachment(inner, filename="permit thread.eml")
    path = tmp_path / "fwd.eml"
    path.write_bytes(outer.as_bytes())
    ids = [(raw.doc_id, raw.parent) for raw in load_all(path)]
    assert ids == [
        ("fwd.eml", ""),
        ("fwd.eml#permit thread.eml", "fwd.eml"),
        ("fwd.eml#permit thread.eml#permit.pdf", "fwd.eml"),
    ]


def test_an_undated_message_says_so() -> None:
    from index.types import Location

    assert Location("message", 1, 1).label() == "message (undated)"
    assert Location("message", 1, 1, "2024-03-02").label() == "message of 2024-03-02"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (bytes(range(256)) * 8, "binary"),
        (b"just some words\nwithout any header\n", "not an e-mail message"),
        (b"   \n", "empty"),
    ],
)
def test_a_corrupt_eml_is_a_document_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "broken.eml"
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=reason):
        load_all(path)


def test_a_truncated_eml_keeps_what_it_has(tmp_path: Path) -> None:
    data = write_thread(tmp_path / "full.eml", ("permit.pdf", PERMIT_PDF, "application/pdf")).read_bytes()
    (tmp_path / "cut.eml").write_bytes(data[: len(data) - 400])  # the attachment's base64 is cut short
    message, *_ = load_all(tmp_path / "cut.eml")
    assert "CP-88213" in text_of(message)


# --- indexing: attachments follow their message ---------------------------------------------


def indexed_ids(settings: IndexSettings) -> set[str]:
    return set(ChunkStore.open(settings).manifest())


def test_a_changed_message_rewrites_its_attachments_and_a_removed_one_removes_them(
    tmp_path: Path, index_settings: IndexSettings
) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    path = write_thread(root / "roof.eml", ("permit.pdf", PERMIT_PDF, "application/pdf"))
    first = run_index(root, index_settings, HashingEmbedder())
    assert set(first.added) == {"roof.eml", "roof.eml#permit.pdf"}
    again = run_index(root, index_settings, HashingEmbedder())
    assert again.unchanged == ("roof.eml",) and again.chunks_embedded == 0
    write_thread(path, ("stock.csv", STOCK_CSV, "text/csv"))
    changed = run_index(root, index_settings, HashingEmbedder())
    assert changed.changed == ("roof.eml",) and changed.added == ("roof.eml#stock.csv",)
    assert changed.removed == ("roof.eml#permit.pdf",)
    assert indexed_ids(index_settings) == {"roof.eml", "roof.eml#stock.csv"}
    path.unlink()
    gone = run_index(root, index_settings, HashingEmbedder())
    assert set(gone.removed) == {"roof.eml", "roof.eml#stock.csv"} and not indexed_ids(index_settings)


def test_a_crash_before_the_message_is_committed_is_finished_by_the_next_run(
    tmp_path: Path, index_settings: IndexSettings
) -> None:
    from index.store import DocRecord

    root = tmp_path / "corpus"
    root.mkdir()
    write_thread(root / "roof.eml", ("permit.pdf", PERMIT_PDF, "application/pdf"))
    run_index(root, index_settings, HashingEmbedder())
    store = ChunkStore.open(index_settings)
    record = store.manifest()["roof.eml"]
    # As if a run rewriting the message died after its attachment and before the message itself.
    store.put_record(DocRecord("roof.eml", record.content_hash, "f" * 64, record.title, record.kind))
    store.delete_chunks("roof.eml")
    summary = run_index(root, index_settings, HashingEmbedder(), store=store)
    assert summary.changed == ("roof.eml#permit.pdf", "roof.eml")  # the attachment first, the message last
    assert not any(r.pending for r in store.manifest().values())
    assert store.manifest()["roof.eml#permit.pdf"].parent == "roof.eml"


# --- answered and cited -----------------------------------------------------------------------


def test_a_fact_only_in_a_message_is_answered_and_cited_by_its_date(
    tmp_path: Path, index_settings: IndexSettings
) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    write_thread(root / "roof.eml", ("permit.pdf", PERMIT_PDF, "application/pdf"))
    late = email_message(
        "Skip hire", "The skip hire is paid by the landlord.", date=dt.datetime(2024, 3, 5, tzinfo=dt.UTC)
    )
    (root / "skip.eml").write_bytes(late.as_bytes())
    _, answer = index_and_ask(root, index_settings, "When does the scaffolding go up?")
    assert not answer.abstained and "18 March" in answer.text
    assert (answer.citations[0].doc_id, answer.citations[0].location_label) == ("roof.eml", "message of 2024-03-02")
    _, answer = index_and_ask(root, index_settings, "Until when is the crane permit valid?")
    assert not answer.abstained and "22 March" in answer.text
    assert (answer.citations[0].doc_id, answer.citations[0].location_label) == ("roof.eml#permit.pdf", "page 3")


# --- mailboxes ----------------------------------------------------------------------------------


def test_a_mailbox_numbers_its_messages_and_their_attachments(tmp_path: Path) -> None:
    first = email_message("Roof", "The scaffolding goes up on 18 March.\nFrom now on, use the north gate.")
    second = email_message(
        "Permit",
        "The permit is attached.",
        date=dt.datetime(2024, 3, 5, tzinfo=dt.UTC),
        attachments=(("permit.pdf", PERMIT_PDF, "application/pdf"),),
    )
    body = first.as_bytes().replace(b"\nFrom now", b"\n>From now")  # mboxrd escapes body lines
    box = b"From dana@example.org Sat Mar  2 09:41:00 2024\n" + body + b"\n"
    box += b"From nobody Sun Mar  3 10:00:00 2024\nno headers at all, just words\n\n"
    box += b"From sam@example.org Tue Mar  5 08:00:00 2024\n" + second.as_bytes() + b"\n"
    (tmp_path / "project.mbox").write_bytes(box)
    message, permit = load_all(tmp_path / "project.mbox")
    labels = {b.location.label() for b in message.blocks}
    assert labels == {"message of 2024-03-02", "message 3 of 2024-03-05"}
    assert "From now on, use the north gate." in text_of(message)
    assert message.warnings == ("message 2 not indexed: not an e-mail message: no From, To, Date or Subject header",)
    assert (permit.doc_id, permit.parent) == ("project.mbox#3/permit.pdf", "project.mbox")


def test_a_file_that_is_no_mailbox_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "notes.mbox").write_bytes(b"Just notes, not a mailbox.\n")
    with pytest.raises(DocumentError, match="not a mailbox"):
        load_all(tmp_path / "notes.mbox")
