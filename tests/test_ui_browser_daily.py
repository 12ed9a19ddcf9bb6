"""The chat window as a daily tool, in a real browser (Debian's chromium driven by Playwright):
conversations that last across a restart, the whole document at the cited sentence (text and
PDF page), several collections, separate lists per login, copy and the evidence view.

Screenshots of each go to docs/screenshots/ when ASSISTANT_UPDATE_SCREENSHOTS=1 (`make screenshot`).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings
from tests.cli_helpers import free_port
from tests.conftest import ROOT, SAMPLE_CORPUS, write
from tests.pdf_fixtures import write_pdf
from tests.test_ui_browser import ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, QUESTION, UPDATE_SCREENSHOTS, settle

pytestmark = pytest.mark.slow

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no `playwright install`)")

SCREENSHOTS = ROOT / "docs" / "screenshots"
PDF_QUESTION = "What colour was the Zorblat lighthouse painted?"
LETTERS_QUESTION = "Who kept the lamp of the Quillon lighthouse burning?"
LETTERS_FACT = "Mara Vintello kept the lamp of the Quillon lighthouse burning for forty-one winters."


def _index(settings: Settings, folder: Path, collection: str | None = None) -> None:
    from index.embed import make_embedder
    from index.ingest import run_index
    from index.status import remember_folder

    index = settings.index.with_(collection=collection) if collection else settings.index
    run_index(folder, index, make_embedder(index.embed_model))
    remember_folder(index, folder)


def _home(root: Path, **env: str) -> Settings:
    """A home with the sample corpus plus a PDF (default collection) and a `letters` collection."""
    corpus = root / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    write_pdf(
        corpus / "lighthouse.pdf",
        [
            "Harbour report, page one.\nThe harbour guild met in March.",
            "Harbour report, page two.\nThe Zorblat lighthouse on Quillon Island was painted teal in 1987.",
        ],
    )
    write(root / "letters" / "keeper.txt", f"Letters from the island.\n\n{LETTERS_FACT}\n")
    settings = Settings.from_env(
        {
            "ASSISTANT_HOME": str(root / "home"),
            "ASSISTANT_CORPUS": str(corpus),
            "ASSISTANT_ANSWERER": "extractive",
            **env,
        }
    )
    _index(settings, corpus)
    _index(settings, root / "letters", "letters")
    return settings


class Served:
    """The app served from `settings` until `close()`; a second one on the same home is a restart."""

    def __init__(self, settings: Settings) -> None:
        from ui.app import Assistants, build_app, launch

        self.settings = settings
        self.assistants = Assistants(settings)
        self.app = build_app(settings, self.assistants)
        self.url = launch(self.app, settings, host="127.0.0.1", port=free_port(), block=False)

    def close(self) -> None:
        self.app.close()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _home(tmp_path_factory.mktemp("daily"))


@pytest.fixture(scope="module")
def served(settings: Settings) -> Iterator[Served]:
    server = Served(settings)
    yield server
    server.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A browser with a fresh profile; `browser.new_context()` opens another (a second user)."""
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Any) -> Any:
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, permissions=["clipboard-read", "clipboard-write"]
    )
    return context.new_page()


def ask(page: Any, question: str) -> Any:
    """Ask and wait for the checked answer; returns the last answer's locator."""
    before = page.locator("#chat .answer:not(.streaming)").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    answers = page.locator("#chat .answer:not(.streaming)")
    sync_api.expect(answers).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    sync_api.expect(page.locator("#chat .draft")).to_have_count(0)
    return answers.last


def open_block(page: Any, starts: str) -> Any:
    title = page.locator("#chat .thought-group .title").filter(has_text=starts).last
    title.click()
    return title


def shot(page: Any, folder: Path, name: str) -> Path:
    """A screenshot in the test's folder, copied to docs/screenshots/ when UPDATE_SCREENSHOTS=1."""
    import os

    sync_api.expect(page.locator("#collection input")).not_to_have_value("", timeout=30_000)  # the panel has loaded
    sync_api.expect(page.locator(".pending")).to_have_count(0, timeout=30_000)

    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get(UPDATE_SCREENSHOTS) == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / path.name)
    return path


def conversation_titles(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("#conversations label").all_inner_texts()]


# -- conversations that last --------------------------------------------------------------------
def test_a_conversation_is_reopened_after_a_restart_with_the_same_cited_answer(
    tmp_path_factory: pytest.TempPathFactory, browser: Any, tmp_path: Path
) -> None:
    settings = _home(tmp_path_factory.mktemp("restart"))
    first = Served(settings)
    expected = first.assistants.get("extractive").ask(QUESTION)
    page = new_page(browser)
    page.goto(first.url)
    answer = ask(page, QUESTION)
    sync_api.expect(answer).to_contain_text("2,500")
    shown_before = answer.inner_text()
    sync_api.expect(page.locator("#conversations label")).to_have_count(1)
    assert conversation_titles(page)[0].startswith(QUESTION[:40])
    first.close()

    second = Served(settings)  # a new app, new Assistants: only the files under ASSISTANT_HOME remain
    try:
        page = new_page(browser)
        page.goto(second.url)
        sync_api.expect(page.locator("#conversations label")).to_have_count(1, timeout=30_000)
        sync_api.expect(page.locator("#chat .answer")).to_have_count(0)
        page.locator("#conversations label").first.click()
        reopened = page.locator("#chat .answer").first
        sync_api.expect(reopened).to_contain_text("2,500", timeout=30_000)
        assert reopened.inner_text() == shown_before
        title = open_block(page, "[1]")
        sync_api.expect(title).to_contain_text(expected.citations[0].location_label)
        sync_api.expect(page.locator("#chat .citation mark").first).to_have_text(expected.citations[0].quote)
        sync_api.expect(page.locator("#chat .stale")).to_have_count(0)  # the index has not changed
        settle(page)
        shot(page, tmp_path, "conversation-reopened")

        # A follow-up in the reopened conversation is asked with its history and saved to it.
        ask(page, "Where are they deployed?")
        page.reload()
        sync_api.expect(page.locator("#conversations label")).to_have_count(1, timeout=30_000)
        page.locator("#conversations label").first.click()
        sync_api.expect(page.locator("#chat .question")).to_have_count(2, timeout=30_000)

        # Rename, then the index changes under the answer: reopening says which citation moved.
        page.locator("#conversation-title textarea, #conversation-title input").first.fill("Troops abroad")
        page.locator("#rename-conversation").click()
        sync_api.expect(page.locator("#conversations label").first).to_contain_text("Troops abroad")
        cited = Path(settings.corpus) / expected.citations[0].doc_id
        cited.write_text("A new first paragraph pushes everything down.\n\n" + cited.read_text(encoding="utf-8"))
        _index(settings, Path(settings.corpus))
        page.reload()
        sync_api.expect(page.locator("#conversations label")).to_have_count(1, timeout=30_000)
        page.locator("#conversations label").first.click()
        stale = page.locator("#chat .stale").first
        sync_api.expect(stale).to_contain_text("[1]", timeout=30_000)
        sync_api.expect(stale).to_contain_text(expected.citations[0].doc_id)
        shot(page, tmp_path, "conversation-stale")

        page.locator("#delete-conversation").click()
        sync_api.expect(page.locator("#conversations label")).to_have_count(0)
    finally:
        second.close()


# -- the whole source at the cited place -------------------------------------------------------
def test_a_citation_opens_its_document_scrolled_to_the_highlighted_sentence(
    served: Served, browser: Any, tmp_path: Path
) -> None:
    expected = served.assistants.get("extractive").ask(QUESTION).citations[0]
    page = new_page(browser)
    page.goto(served.url)
    ask(page, QUESTION)
    open_block(page, "[1]")
    page.locator("#chat a.open-doc").first.click()

    mark = page.locator("#doc-view mark#cited")
    sync_api.expect(mark).to_be_visible(timeout=30_000)
    assert " ".join(mark.inner_text().split()) == " ".join(expected.quote.split())
    number = page.locator("#doc-view .cited-row .doc-ln").first.inner_text()
    assert int(number) == expected.location.start  # the file's own line number
    sync_api.expect(page.locator("#viewer-header")).to_contain_text(expected.doc_id)
    sync_api.expect(page.locator("#viewer-page img")).to_have_count(0)  # a text file has no page picture
    box, marked = page.locator("#doc-view").bounding_box(), mark.bounding_box()
    assert box["y"] <= marked["y"] <= box["y"] + box["height"]  # scrolled to it, inside the viewer
    assert page.locator("#doc-view .doc-row").count() > 20  # the whole document, not the passage
    shot(page, tmp_path, "viewer-text")


def test_a_pdf_citation_shows_the_page_beside_its_highlighted_text(
    served: Served, browser: Any, tmp_path: Path
) -> None:
    page = new_page(browser)
    page.goto(served.url)
    answer = ask(page, PDF_QUESTION)
    sync_api.expect(answer).to_contain_text("teal")
    open_block(page, "[1]")
    page.locator("#chat a.open-doc").first.click()
    sync_api.expect(page.locator("#doc-view mark#cited")).to_contain_text("painted teal in 1987", timeout=30_000)
    sync_api.expect(page.locator("#doc-view .cited-row .doc-ln")).to_have_text("page 2")
    picture = page.locator("#viewer-page img")
    sync_api.expect(picture).to_be_visible(timeout=30_000)
    assert picture.evaluate("img => img.naturalWidth") > 500
    sync_api.expect(page.locator("#viewer-header")).to_contain_text("Page 2 as printed")
    page.locator("#viewer").scroll_into_view_if_needed()
    shot(page, tmp_path, "viewer-pdf")


def test_the_viewer_serves_no_file_of_the_corpus_or_the_home(served: Served) -> None:
    """The page picture comes from Gradio's cache; the PDF, the conversations and anything reached
    with `..` are not served (the app has no allowed_paths)."""
    import httpx

    from assistant.history import user_folder

    home = Path(served.settings.index.home).resolve()
    saved = sorted(user_folder(home, None).glob("*.json"))
    corpus = Path(served.settings.corpus).resolve()
    paths = [str(corpus / "lighthouse.pdf"), *map(str, saved), f"{corpus}/../letters/keeper.txt", "/etc/passwd"]
    for path in paths:
        assert httpx.get(f"{served.url}/gradio_api/file={path}").status_code in (403, 404), path


# -- several collections ---------------------------------------------------------------------------
def test_switching_collection_answers_only_from_it(served: Served, browser: Any, tmp_path: Path) -> None:
    page = new_page(browser)
    page.goto(served.url)
    picker = page.locator("#collection input")
    sync_api.expect(picker).to_have_value("documents (6 documents)", timeout=30_000)
    picker.click()
    page.get_by_role("option", name="letters (1 document)").click()
    sync_api.expect(page.locator("#corpus-status")).to_contain_text("Documents: 1")
    answer = ask(page, LETTERS_QUESTION)
    sync_api.expect(answer).to_contain_text("Mara Vintello")
    cited = [t for t in block_titles(page) if t.startswith("[")]
    assert cited and all("keeper.txt" in t for t in cited)  # every citation is from the letters

    # An upload goes to the selected collection, and only to it.
    note = write(tmp_path / "second-letter.txt", "The keeper's daughter, Ilsa Vintello, trimmed the wick each dusk.\n")
    page.locator("#upload input[type=file]").set_input_files(str(note))
    sync_api.expect(page.locator("#upload-report")).to_contain_text("accepted", timeout=ANSWER_TIMEOUT_MS)
    sync_api.expect(page.locator("#corpus-status")).to_contain_text("Documents: 2")
    letters = {c["name"]: c["documents"] for c in _collections(served)}
    assert letters == {"documents": 6, "letters": 2}
    shot(page, tmp_path, "collections")

    picker.click()
    page.get_by_role("option", name="documents (6 documents)").click()
    sync_api.expect(page.locator("#corpus-status")).to_contain_text("Documents: 6")
    shown = len(block_titles(page))
    again = ask(page, LETTERS_QUESTION)
    assert "Mara Vintello" not in again.inner_text()  # the default collection does not hold it
    later = block_titles(page)[shown:]
    assert later and not any("keeper.txt" in t for t in later)


def _collections(served: Served) -> list[dict[str, Any]]:
    from index.status import list_collections

    return list_collections(served.settings.index, client=served.assistants.base().store.client)


def block_titles(page: Any) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("#chat .thought-group .title").all_inner_texts()]


# -- answers people can act on -------------------------------------------------------------------
def test_an_answer_is_copied_with_its_footnotes_and_its_evidence_is_shown(
    served: Served, browser: Any, tmp_path: Path
) -> None:
    expected = served.assistants.get("extractive").ask(QUESTION)
    page = new_page(browser)
    page.goto(served.url)
    ask(page, QUESTION)
    page.locator("#chat a.copy-answer").first.click()
    sync_api.expect(page.locator("#chat a.copy-answer").first).to_have_text("Copied with sources")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(expected.text.strip()[:40]) and "[1] " in copied
    assert " ".join(expected.citations[0].quote.split()) in copied

    open_block(page, "Evidence considered")
    view = page.locator("#chat .evidence-view").first
    sync_api.expect(view).to_contain_text("Decision: answer")
    assert page.locator("#chat tr.evidence-row").count() == len(expected.evidence)
    assert page.locator("#chat tr.evidence-row.cited").count() >= 1
    settle(page)
    shot(page, tmp_path, "evidence")


# -- one list per login ---------------------------------------------------------------------------
def test_two_users_see_two_separate_lists(
    tmp_path_factory: pytest.TempPathFactory, browser: Any, tmp_path: Path
) -> None:
    settings = _home(tmp_path_factory.mktemp("users"), ASSISTANT_AUTH="ann:ann-pw,bob:bob-pw")
    server = Served(settings)
    try:
        ann, bob = new_page(browser), new_page(browser)
        for page, user in ((ann, "ann"), (bob, "bob")):
            page.goto(server.url)
            page.get_by_label("Username").fill(user)
            page.get_by_label("Password").fill(f"{user}-pw")
            page.get_by_role("button", name="Login").click()
            sync_api.expect(page.locator("#question textarea")).to_be_visible(timeout=30_000)
        sync_api.expect(ann.locator("#signed-in")).to_contain_text("Signed in as ann")
        ask(ann, QUESTION)
        sync_api.expect(ann.locator("#conversations label")).to_have_count(1)
        bob.reload()
        sync_api.expect(bob.locator("#corpus-status")).to_contain_text("Documents", timeout=30_000)
        sync_api.expect(bob.locator("#conversations label")).to_have_count(0)
        ask(bob, PDF_QUESTION)
        sync_api.expect(bob.locator("#conversations label")).to_have_count(1)
        assert conversation_titles(bob)[0].startswith(PDF_QUESTION[:30])
        ann.reload()
        sync_api.expect(ann.locator("#conversations label")).to_have_count(1, timeout=30_000)
        assert conversation_titles(ann)[0].startswith(QUESTION[:30])
        shot(bob, tmp_path, "user-bob")
        shot(ann, tmp_path, "user-ann")
    finally:
        server.close()
