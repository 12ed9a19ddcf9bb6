"""The chat window's uploads take office files: content checks per type, and an e-mail's attachments stay uploads."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.ingest import run_index
from index.settings import IndexSettings
from index.store import ChunkStore
from tests.fakes import HashingEmbedder
from tests.ocr_fixtures import blank_photo, image_bytes
from tests.office_fixtures import INVENTORY_CSV, email_message, write_budget_xlsx, write_pptx
from tests.pdf_fixtures import pdf_bytes
from ui.uploads import add_documents, check_file

LIMIT = 10**7


def checked(tmp_path: Path, name: str, data: bytes) -> str | None:
    path = tmp_path / name
    path.write_bytes(data)
    return check_file(path, name, LIMIT)


def test_real_office_files_and_pictures_pass_the_checks(tmp_path: Path) -> None:
    picture = blank_photo((64, 48))
    files = {
        "budget.xlsx": write_budget_xlsx(tmp_path / "b.xlsx").read_bytes(),
        "deck.pptx": write_pptx(tmp_path / "d.pptx").read_bytes(),
        "thread.eml": email_message("Hello", "Body text.").as_bytes(),
        "stock.csv": b"SKU,Units\nA-1,4\n",
        "stock.tsv": b"SKU\tUnits\nA-1\t4\n",
        "photo.png": image_bytes(picture, "PNG"),
        "photo.jpg": image_bytes(picture, "JPEG"),
        "photo.jpeg": image_bytes(picture, "JPEG"),
        "photo.webp": image_bytes(picture, "WEBP"),
        "scan.tif": image_bytes(picture, "TIFF"),
    }
    assert {name: checked(tmp_path, name, data) for name, data in files.items()} == dict.fromkeys(files)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("photo.png", b"\xff\xd8\xff\xe0 a JPEG really", "not a PNG picture"),
        ("photo.webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", "not a WebP picture"),
        ("deck.pptx", b"%PDF-1.7 a PDF really", "not a PowerPoint (.pptx) file"),
        ("salaries.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "password-protected"),
        ("export.csv", bytes(range(256)), "binary content"),
    ],
)
def test_mislabelled_or_locked_files_are_refused_with_the_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    assert reason in str(checked(tmp_path, name, data))


def test_an_uploaded_email_brings_its_attachments_and_folder_runs_keep_them(
    tmp_path: Path, index_settings: IndexSettings
) -> None:
    message = email_message(
        "Stock count",
        "The stock count is attached.",
        attachments=(
            ("stock.csv", "\n".join(",".join(r) for r in INVENTORY_CSV).encode(), "text/csv"),
            ("count.pdf", pdf_bytes(["Counted by Ines on 3 May."]), "application/pdf"),
        ),
    )
    upload = tmp_path / "incoming.eml"
    upload.write_bytes(message.as_bytes())
    report = add_documents([(upload, "count.eml")], "tab1", index_settings, HashingEmbedder())
    assert report.accepted == ["count.eml"], report.to_dict()
    ids = {"uploads/tab1/count.eml", "uploads/tab1/count.eml#stock.csv", "uploads/tab1/count.eml#count.pdf"}
    assert set(report.summary.added) == ids  # type: ignore[union-attr]
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("Unrelated notes.\n")
    run_index(folder, index_settings, HashingEmbedder())
    manifest = ChunkStore.open(index_settings).manifest()
    assert ids <= set(manifest) and all(manifest[i].origin == "upload" for i in ids)
