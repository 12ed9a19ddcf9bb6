"""The chat window in a real browser: Debian's chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from tests.cli_helpers import free_port
from tests.conftest import ROOT, SAMPLE_CORPUS

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "screenshot.png"  # tracked: refreshed only on request, never by a plain run
UPDATE_SCREENSHOTS = "ASSISTANT_UPDATE_SCREENSHOTS"  # =1 copies the run's screenshot over SCREENSHOT
QUESTION = "How many US troops are deployed in Iraq and Syria?"
ANSWER_TIMEOUT_MS = 120_000  # the first question loads the models on a busy 2-core machine

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no `playwright install`)")
if not CHROMIUM.exists():
    pytest.skip("Debian's chromium is not installed: apt-get install -y chromium", allow_module_level=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from index.embed import make_embedder
    from index.ingest import run_index
    from ui.app import Assistants, build_app, launch

    root = tmp_path_factory.mktemp("browser")
    shutil.copytree(SAMPLE_CORPUS, root / "corpus")
    settings = Settings.from_env(
        {
            "ASSISTANT_HOME": str(root / "home"),
            "ASSISTANT_CORPUS": str(root / "corpus"),
            "ASSISTANT_ANSWERER": "extractive",
        }
    )
    run_index(settings.corpus, settings.index, make_embedder("bge-small-en-v1.5"))
    assistants = Assistants(settings)
    app = build_app(settings, assistants)
    url = launch(app, settings, host="127.0.0.1", port=free_port(), block=False)
    yield {"url": url, "settings": settings, "assistants": assistants}
    app.close()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile: no state from earlier runs
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            yield context.new_page()
        finally:
            context.close()


def settle(page: Any) -> None:
    """Wait for the block's opening animation to end (the screenshot should show it open)."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')", timeout=5000)


def save_screenshot(page: Any, folder: Path) -> Path:
    """The page as a PNG in `folder` (a test's tmp_path); copied to docs/ when UPDATE_SCREENSHOTS=1."""
    shot = folder / SCREENSHOT.name
    page.screenshot(path=str(shot))
    if os.environ.get(UPDATE_SCREENSHOTS) == "1":
        shutil.copyfile(shot, SCREENSHOT)
    return shot


def test_ask_open_a_citation_and_see_the_marked_sentence(served: dict[str, Any], page: Any, tmp_path: Path) -> None:
    expected = served["assistants"].get("extractive").ask(QUESTION).citations[0]
    page.goto(served["url"])
    box = page.locator("#question textarea")
    box.fill(QUESTION)
    box.press("Enter")

    answer = page.locator("#chat .answer:not(.streaming)").first
    sync_api.expect(answer).to_contain_text("2,500", timeout=ANSWER_TIMEOUT_MS)
    sync_api.expect(page.locator("#chat .draft")).to_have_count(0)  # the checked answer replaced the draft
    sync_api.expect(page.locator("#chat a.cite-ref").first).to_have_text("1")
    title = page.locator("#chat .thought-group .title").filter(has_text="[1]").first
    sync_api.expect(title).to_contain_text(expected.location_label)
    mark = page.locator("#chat .citation mark").first
    assert mark.count() == 0  # closed until clicked

    title.click()
    sync_api.expect(mark).to_be_visible()
    assert mark.inner_text().strip() == expected.quote
    assert expected.doc_id in page.locator("#chat .citation .cite-source").first.inner_text()
    settle(page)
    assert save_screenshot(page, tmp_path).stat().st_size > 0

    title.click()  # closed again; the [1] marker in the answer opens it
    sync_api.expect(mark).to_have_count(0)
    page.locator("#chat a.cite-ref").first.click()
    sync_api.expect(mark).to_be_visible()


def test_a_thumbs_up_is_saved_as_feedback(served: dict[str, Any], page: Any) -> None:
    page.goto(served["url"])
    box = page.locator("#question textarea")
    box.fill("Who heads the Deir al-Zor military council that fights under the SDF?")
    box.press("Enter")
    sync_api.expect(page.locator("#chat .answer:not(.streaming)").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    page.locator("#chat button[aria-label='Like']").first.click()
    path = served["settings"].index.home / "feedback.jsonl"
    sync_api.expect(page.get_by_text("feedback saved")).to_be_visible(timeout=10_000)
    record = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    assert record["question"].startswith("Who heads the Deir al-Zor") and record["tags"] == ["feedback", "up"]
    assert record["gold_sources"] and record["reference_answer"]


COMPOUND = "How many US troops are in Syria, and why did Nuland say withdrawing them was not an option?"


def test_a_compound_question_shows_an_answer_with_a_citation_for_each_part(
    served: dict[str, Any], page: Any, tmp_path: Path
) -> None:
    expected = served["assistants"].get("extractive").ask(COMPOUND)
    parts = expected.decision["parts"]
    assert [p["abstain"] for p in parts] == [False, False]
    page.goto(served["url"])
    box = page.locator("#question textarea")
    box.fill(COMPOUND)
    box.press("Enter")

    answer = page.locator("#chat .answer:not(.streaming)").first
    sync_api.expect(answer).to_contain_text("900 in Syria", timeout=ANSWER_TIMEOUT_MS)
    sync_api.expect(answer).to_contain_text("still active")
    refs = answer.locator("a.cite-ref")
    shown = sorted({refs.nth(i).inner_text().strip() for i in range(refs.count())})
    assert shown == ["1", "2"]
    # one citation block per part, each quoting the sentence that answers it
    for number, words in (("[1]", "900 in Syria"), ("[2]", "still active")):
        page.locator("#chat .thought-group .title").filter(has_text=number).first.click()
        sync_api.expect(page.locator("#chat .citation mark").filter(has_text=words).first).to_be_visible()
    page.locator("#chat .thought-group .title").filter(has_text="[2]").first.click()  # closed: the answer shows
    answer.scroll_into_view_if_needed()
    settle(page)
    shot = tmp_path / "compound.png"
    page.screenshot(path=str(shot))
    if os.environ.get(UPDATE_SCREENSHOTS) == "1":
        shutil.copyfile(shot, ROOT / "docs" / "screenshots" / "compound.png")
