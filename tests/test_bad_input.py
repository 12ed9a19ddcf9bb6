"""A folder of bad input: every real text is indexed, every bad file is skipped with its reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli_helpers import env_for, free_port, run_cli, run_json
from tests.conftest import write
from tests.pdf_fixtures import write_pdf

pytestmark = pytest.mark.slow


def make_bad_folder(root: Path) -> dict[str, str]:
    """Write the bad-input folder; returns {relative path: expected skip-reason fragment}."""
    write(root / "good.txt", "The garrison at the northern base has 120 soldiers.\n\nIt was reinforced in May.\n")
    write(root / "notes.md", "# Field notes\n\nThe convoy left at dawn with fuel for three days.\n")
    write_pdf(root / "report.pdf", ["Quarterly report.\n\nThe airfield handled 42 flights."])
    (root / "latin1.txt").write_bytes(
        "Le caf\xe9 de la base a rouvert. Na\xefve r\xe9sum\xe9 du rapport.\n".encode("latin-1")
    )
    (root / "broken-utf8.txt").write_bytes(
        "The bridge at Qayyarah reopened to traffic. \u2014 ok.\n".encode()
        + b"bad \xff byte here but mostly fine text about the bridge.\n"
    )
    (root / "binary.txt").write_bytes(bytes(range(256)) * 64)
    (root / "empty.txt").write_bytes(b"")
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer garbage")
    write_pdf(root / "secret.pdf", ["Classified text."], encrypt_password="hunter2")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + b"\x00" * 100)
    big = root / "huge.txt"
    line = b"A long log line about supply convoys, fuel and spare parts for the depot.\n"
    with big.open("wb") as handle:
        handle.write(line * (50 * 2**20 // len(line) + 1))
    write(root / "copy-a.txt", "Duplicate content: the patrol returned without incident.\n")
    write(root / "copy-b.txt", "Duplicate content: the patrol returned without incident.\n")
    locked = write(root / "locked.txt", "You cannot read me.\n")
    os.chmod(locked, 0)
    deep = root.joinpath(*[f"level{i}" for i in range(40)])
    write(deep / "deep.txt", "A document buried forty folders deep mentions the lighthouse.\n")
    (root / "loop-a.txt").symlink_to(root / "loop-b.txt")
    (root / "loop-b.txt").symlink_to(root / "loop-a.txt")
    (root / "sub").mkdir()
    (root / "sub" / "parent").symlink_to(root, target_is_directory=True)
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    (root / "archive.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    return {
        "binary.txt": "binary",
        "empty.txt": "empty",
        "corrupt.pdf": "PDF",
        "secret.pdf": "encrypted",
        ".DS_Store": "hidden",
        "huge.txt": "too large",
        "copy-b.txt": "duplicate of copy-a.txt",
        "locked.txt": "permission denied",
        "loop-a.txt": "symlink",
        "loop-b.txt": "symlink",
        "sub/parent/": "symlinked folder",
        "image.png": "not a readable picture",
        "archive.zip": "unsupported file type",
    }


def test_bad_input_is_skipped_with_reasons_and_real_text_is_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    expected = make_bad_folder(folder)
    env = env_for(tmp_path / "home")
    code, summary = run_json(["index", str(folder)], env, drop_root=True)
    assert code == 0, summary
    reasons = {s["path"]: s["reason"] for s in summary["skipped"]}
    for path, fragment in expected.items():
        assert path in reasons, f"{path} not reported; skipped: {reasons}"
        assert fragment.lower() in reasons[path].lower(), (path, reasons[path])
    indexed = set(summary["added"])
    deep = "/".join(f"level{i}" for i in range(40)) + "/deep.txt"
    assert indexed == {"good.txt", "notes.md", "report.pdf", "latin1.txt", "broken-utf8.txt", "copy-a.txt", deep}
    assert any("latin1.txt" in w for w in summary["warnings"]), "the fallback decoding is reported"

    code, status = run_json(["status"], env)
    assert status["documents"] == len(indexed)
    from index.settings import IndexSettings
    from index.store import ChunkStore

    store = ChunkStore.open(IndexSettings(home=tmp_path / "home"))
    texts = {meta["doc_id"]: text for _, meta, text in store.iter_chunks()}
    assert "café" in texts["latin1.txt"] and "résumé" in texts["latin1.txt"]
    assert all("\x00" not in t for t in texts.values()), "no binary junk in the index"


def test_a_folder_with_nothing_indexable_exits_non_zero(tmp_path: Path) -> None:
    folder = tmp_path / "junk"
    (folder).mkdir()
    (folder / "a.bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    (folder / "b.txt").write_bytes(b"")
    result = run_cli(["index", str(folder)], env_for(tmp_path / "home"))
    assert result.returncode == 1
    assert "Nothing could be indexed" in result.stdout
    assert "binary" in result.stdout and "empty file" in result.stdout


def test_missing_folder_and_unreachable_server_give_one_clear_message(tmp_path: Path) -> None:
    result = run_cli(["index", str(tmp_path / "nope")], env_for(tmp_path / "home"))
    assert result.returncode == 1 and "does not exist" in result.stderr and "Traceback" not in result.stderr
    port = free_port()
    env = env_for(tmp_path / "home", CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(port))
    result = run_cli(["index", str(tmp_path)], env, timeout=120)
    assert result.returncode == 1
    assert "cannot reach the chroma server" in result.stderr and "chroma run" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("error:") == 1
