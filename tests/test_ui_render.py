"""The chat window's pure parts: escaping, highlighting, Markdown export, feedback records, upload checks."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.settings import Settings
from assistant.types import Answer, Citation, Evidence, Passage
from index.errors import ConfigError
from index.types import Location
from ui import render
from ui.feedback import append_feedback, feedback_record
from ui.uploads import check_file, safe_name, session_folder_name, store_uploads

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PASSAGE = "First sentence here.\n\nThe troops number 2,500 in Iraq. " + SCRIPT + "\nLast line."
QUOTE = "The troops number 2,500 in Iraq."


def citation(number: int = 1, quote: str = QUOTE, passage: str = PASSAGE, **kw: object) -> Citation:
    defaults: dict[str, object] = {
        "doc_id": "news/a.txt",
        "title": "A <b>bold</b> title",
        "location": Location("lines", 3, 5),
        "char_start": 22,
        "char_end": 22 + len(quote),
        "score": 1.0,
    }
    defaults.update(kw)
    return Citation(number=number, quote=quote, passage=passage, **defaults)  # type: ignore[arg-type]


def answer(**kw: object) -> Answer:
    base: dict[str, object] = {
        "question": "How many troops?",
        "text": f"The troops number 2,500 in Iraq [1]. {SCRIPT} [2]",
        "citations": (citation(1), citation(2, quote="Last line.", doc_id="b.txt")),
        "query": "How many troops?",
        "answerer": "extractive",
    }
    base.update(kw)
    return Answer(**base)  # type: ignore[arg-type]


def all_html(messages: list[dict[str, object]]) -> str:
    return "\n".join(str(m["content"]) + str(m.get("metadata", {})) for m in messages)


def test_document_and_model_text_cannot_inject_markup() -> None:
    shown = all_html(render.answer_messages(answer()))
    assert "<script" not in shown and "<img" not in shown and "<b>" not in shown
    assert "&lt;script&gt;" in shown and "&lt;b&gt;bold&lt;/b&gt;" in shown
    for message in (render.user_message(SCRIPT), render.streaming_message(SCRIPT), render.error_message(SCRIPT)):
        assert "<script" not in message["content"] and "&lt;script&gt;" in message["content"]


def test_block_titles_are_markdown_safe() -> None:
    evil = citation(title="[click](javascript:alert(1)) ![x](http://evil/x.png) <i>")
    title = render.citation_title(evil)
    assert title.startswith("[1] ")
    assert "](" not in title.replace("\\](", "") and "<i>" not in title
    assert "news/a.txt, lines 3-5" in title


def test_the_quote_is_marked_inside_its_escaped_passage() -> None:
    html = render.highlight(PASSAGE, QUOTE)
    assert html.count("<mark>") == 1 and f"<mark>{QUOTE}</mark>" in html
    assert "<br>" in html and "\n" not in html  # one line: Markdown leaves an HTML block alone
    assert "<script" not in html


def test_the_quote_is_found_across_different_whitespace() -> None:
    html = render.highlight("Alpha beta.\nGamma   delta epsilon.", "Gamma delta\nepsilon.")
    assert "<mark>Gamma   delta epsilon.</mark>" in html


def test_an_unmatched_quote_marks_nothing() -> None:
    assert "<mark>" not in render.highlight("Some text.", "Other words.")


@given(st.text(max_size=200), st.text(max_size=40))
def test_highlighting_never_lets_markup_through(passage: str, quote: str) -> None:
    html = render.highlight(passage, quote)
    stripped = html.replace("<mark>", "").replace("</mark>", "").replace("<br>", "")
    assert "<" not in stripped and ">" not in stripped


def test_answer_has_markers_and_one_collapsed_block_per_citation() -> None:
    messages = render.answer_messages(answer())
    assert 'class="cite-ref" href="#cite-1"' in messages[0]["content"]
    blocks = messages[1:]
    assert [b["metadata"]["title"].split(" ")[0] for b in blocks] == ["[1]", "[2]"]
    assert all(b["metadata"]["status"] == "done" for b in blocks)  # closed until clicked
    assert "A &lt;b&gt;bold&lt;/b&gt; title — news/a.txt, lines 3-5" in blocks[0]["metadata"]["title"]
    assert f"<mark>{QUOTE}</mark>" in blocks[0]["content"]
    assert "Searched for" not in messages[0]["content"]


def test_a_rewritten_follow_up_shows_what_was_searched() -> None:
    messages = render.answer_messages(answer(question="And in Syria?", query="How many troops in <Syria>?"))
    assert "Searched for: How many troops in &lt;Syria&gt;?" in messages[0]["content"]


def _passage(chunk_id: str, text: str) -> Passage:
    return Passage(chunk_id, f"{chunk_id}.txt", "T", text, Location("lines", 1, 2), 0, len(text))


def test_an_abstention_shows_the_closest_passages_with_their_best_sentence() -> None:
    p1, p2 = _passage("c1", "Apples are red. Pears are green."), _passage("c2", "Nothing about pie <here>.")
    ev = Evidence(1, p1, "Pears are green.", "Pears are green.", 16, 32, -3.0)
    messages = render.answer_messages(
        answer(text="The documents do not contain the answer.\nThe closest...", citations=(), abstained=True,
               passages=(p1, p2), evidence=(ev,))
    )  # fmt: skip
    assert "do not contain the answer" in messages[0]["content"] and "closest passages" in messages[0]["content"]
    assert [m["metadata"]["title"][:17] for m in messages[1:]] == ["Closest passage 1", "Closest passage 2"]
    assert "<mark>Pears are green.</mark>" in messages[1]["content"]
    assert "&lt;here&gt;" in messages[2]["content"]


def test_markdown_export_turns_markers_into_footnotes() -> None:
    turns = [
        render.Turn("How many troops?", answer(text="2,500 in Iraq [1] and more [1, 2].")),
        render.Turn("And then?", None, error="the LLM server is unreachable"),
        render.Turn(
            "Apple pie?", answer(text="The documents do not contain the answer.", citations=(), abstained=True)
        ),
    ]
    md = render.export_markdown(turns)
    assert "2,500 in Iraq [^1-1] and more [^1-1][^1-2]." in md
    assert '[^1-1]: A &lt;b&gt;bold&lt;/b&gt; title (news/a.txt, lines 3-5): "The troops number 2,500 in Iraq."' in md
    assert "[^1-2]: " in md and "Error: the LLM server is unreachable" in md
    assert "## 3. Apple pie?" in md and "do not contain the answer" in md
    assert "<script" not in render.export_markdown([render.Turn(SCRIPT, answer())])


def test_feedback_record_is_a_question_set_line(tmp_path: Path) -> None:
    history = [{"role": "user", "content": "Earlier?"}, {"role": "assistant", "content": "Yes [1]."}]
    up = feedback_record(answer(text="2,500 in Iraq [1]. More [1, 2]."), history, True)
    assert {"id", "question", "reference_answer", "key_facts", "gold_sources", "answerable", "history", "tags"} <= set(
        up
    )
    assert up["reference_answer"] == "2,500 in Iraq. More."  # markers only make sense next to citations
    assert up["gold_sources"] == ["news/a.txt", "b.txt"] and up["answer"] == "2,500 in Iraq [1]. More [1, 2]."
    assert up["answerable"] is True and up["tags"] == ["feedback", "up"] and up["history"] == history
    assert up["citations"][0]["quote"] == QUOTE and up["answerer"] == "extractive" and up["when"]
    down = feedback_record(answer(), [], False)
    assert down["reference_answer"] == "" and down["gold_sources"] == [] and down["tags"] == ["feedback", "down"]
    right_abstention = feedback_record(answer(citations=(), abstained=True), [], True)
    assert right_abstention["answerable"] is False and right_abstention["reference_answer"] == ""


def test_feedback_appends_whole_lines_from_many_threads(tmp_path: Path) -> None:
    path = tmp_path / "home" / "feedback.jsonl"
    record = feedback_record(answer(), [], True)
    threads = [threading.Thread(target=append_feedback, args=(path, record)) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 20 and all(json.loads(line)["question"] == "How many troops?" for line in lines)


@pytest.mark.parametrize(
    ("given_name", "stored"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\Report (v2).PDF", "Report_v2.pdf"),
        (".hidden.md", "hidden.md"),
        ("..", "upload"),
        ("résumé notes.txt", "r_sum_notes.txt"),
    ],
)
def test_upload_names_are_made_safe(given_name: str, stored: str) -> None:
    assert safe_name(given_name) == stored


def test_upload_checks_say_why(tmp_path: Path) -> None:
    def file(name: str, data: bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    assert check_file(file("ok.txt", b"Plain text."), "ok.txt", 1000) is None
    assert "unsupported file type .exe" in str(check_file(file("a.exe", b"MZ\x90"), "a.exe", 1000))
    assert "too large" in str(check_file(file("big.txt", b"x" * 2000), "big.txt", 1000))
    assert "empty" in str(check_file(file("e.txt", b"  \n"), "e.txt", 1000))
    assert "binary" in str(check_file(file("b.txt", bytes(range(256))), "b.txt", 1000))
    assert "not a PDF" in str(check_file(file("fake.pdf", b"hello"), "fake.pdf", 1000))


def test_stored_uploads_stay_inside_the_session_folder(tmp_path: Path) -> None:
    source = tmp_path / "src.txt"
    source.write_text("Some text.", encoding="utf-8")
    folder = tmp_path / "uploads"
    outcomes, stored = store_uploads([(source, "../../outside.txt")], folder, "s1", 1000)
    assert outcomes == [] and list(stored) == ["../../outside.txt"]
    assert stored["../../outside.txt"].doc_id == "uploads/s1/outside.txt"
    assert (folder / "s1" / "outside.txt").read_text(encoding="utf-8") == "Some text."
    again, _ = store_uploads([(source, "outside.txt")], folder, "s1", 1000)
    assert again[0].status == "skipped" and "unchanged" in again[0].reason
    other, elsewhere = store_uploads([(source, "outside.txt")], folder, "s2", 1000)
    assert other == [] and elsewhere["outside.txt"].doc_id == "uploads/s2/outside.txt"  # another session's copy


def test_session_ids_become_plain_folder_names() -> None:
    assert session_folder_name("../../etc") == "etc"
    assert session_folder_name("") == "anonymous"
    assert session_folder_name("a1b2c3d4") == "a1b2c3d4"


def test_ui_settings_default_to_loopback_without_login() -> None:
    settings = Settings.from_env({})
    assert (settings.ui_host, settings.ui_port, settings.ui_credentials) == ("127.0.0.1", 7860, None)


def test_ui_login_is_read_and_masked() -> None:
    settings = Settings.from_env(
        {"ASSISTANT_AUTH": "ann:pa:ss", "ASSISTANT_UI_PORT": "8080", "ASSISTANT_UI_HOST": "0.0.0.0"}
    )
    assert settings.ui_credentials == [("ann", "pa:ss")] and "pa:ss" not in repr(settings)
    assert (settings.ui_host, settings.ui_port) == ("0.0.0.0", 8080)
    several = Settings.from_env({"ASSISTANT_AUTH": "ann:pa:ss, bob:pw2"})
    assert several.ui_credentials == [("ann", "pa:ss"), ("bob", "pw2")] and "pw2" not in repr(several)


@pytest.mark.parametrize(
    ("env", "needle"),
    [({"ASSISTANT_AUTH": "ann"}, "user:password"), ({"ASSISTANT_AUTH": "ann:x,bob"}, "user:password"),
     ({"ASSISTANT_AUTH": "ann:x,ann:y"}, "twice"), ({"ASSISTANT_UI_PORT": "http"}, "port"),
     ({"ASSISTANT_UI_PORT": "70000"}, "port")],
)  # fmt: skip
def test_bad_ui_settings_say_what_to_do(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        Settings.from_env(env)


def test_feedback_records_load_as_a_question_set(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Thumbs saved by the chat window can be evaluated as they are."""
    from assistant.checking.citations import check
    from assistant.evaluation.questions import load_questions
    from assistant.types import Answer
    from tests.fakes import evidence
    from ui.feedback import append_feedback, feedback_record

    checked = check(
        "About 2,500 US troops are in Iraq [1].", evidence("There are roughly 2,500 US troops deployed in Iraq.")
    )
    answer = Answer(
        question="How many troops?",
        text=checked.text,
        citations=checked.citations,
        query="How many troops?",
        answerer="extractive",
    )
    path = tmp_path / "feedback.jsonl"
    for up in (True, False):
        append_feedback(path, feedback_record(answer, [], up))
    questions = load_questions(path)
    assert len(questions) == 2 and questions[0].gold_sources == ("doc1.txt",)


def test_streamed_text_is_a_labelled_draft_until_the_checked_answer_replaces_it() -> None:
    draft = render.streaming_message("About 2,500 troops [1].")["content"]
    assert "draft" in draft and render.DRAFT_LABEL in draft
    final = all_html(render.answer_messages(answer()))
    assert "draft" not in final and render.DRAFT_LABEL not in final
