"""`assistant index FOLDER --collection NAME` and `assistant status` as a user runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import env_for, run_cli, run_json
from tests.conftest import SAMPLE_CORPUS, write

pytestmark = pytest.mark.slow


def test_a_folder_is_indexed_into_its_own_collection_and_status_lists_them(tmp_path: Path) -> None:
    env = env_for(tmp_path / "home")
    letters = tmp_path / "letters"
    write(letters / "keeper.txt", "Mara Vintello kept the lamp burning for forty-one winters.\n")
    assert run_cli(["index", str(SAMPLE_CORPUS)], env).returncode == 0
    code, summary = run_json(["index", str(letters), "--collection", "letters"], env)
    assert code == 0 and summary["added"] == ["keeper.txt"]

    code, status = run_json(["status"], env)
    assert code == 0 and status["collection"] == "documents" and status["documents"] == 5
    listed = {c["name"]: c for c in status["collections"]}
    assert listed["documents"]["documents"] == 5 and listed["documents"]["default"]
    assert listed["letters"] == {
        "name": "letters", "documents": 1, "chunks": 1, "folder": str(letters.resolve()), "default": False,
    }  # fmt: skip
    code, status = run_json(["status", "--collection", "letters"], env)
    assert status["collection"] == "letters" and status["documents"] == 1

    text = run_cli(["status"], env).stdout
    assert "Collections:" in text and "* documents" in text and "letters" in text and "1 document " in text

    bad = run_cli(["index", str(letters), "--collection", "no/such"], env)
    assert bad.returncode == 1 and "not a valid Chroma name" in bad.stderr
