"""The viewer, copy and evidence renderings (pure functions): escaped, marked, bounded."""

from __future__ import annotations

from assistant.documents import IndexedDocument, Row
from assistant.history import Turn
from tests.test_history import _answer
from ui import render, viewer
from ui.feedback import feedback_record


def _doc(lines: list[str]) -> IndexedDocument:
    text, rows, at = "", [], 0
    for n, line in enumerate(lines, start=1):
        rows.append(Row(str(n), at, at + len(line)))
        text += line + "\n"
        at += len(line) + 1
    return IndexedDocument("a.txt", "A", "text", "h", text, tuple(rows))


def test_the_document_is_escaped_numbered_and_marked_once() -> None:
    doc = _doc(["<script>alert(1)</script> first", "the cited sentence here", "and the cited sentence again"])
    start = doc.text.index("the cited sentence")
    html = viewer.document_html(doc, start, start + len("the cited sentence"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert html.count('<mark id="cited">') == 1 and html.count("<mark") == 1
    assert '<span class="doc-ln">2</span><span class="doc-line"><mark id="cited">the cited sentence</mark> here' in html


def test_a_long_document_is_sent_around_the_cited_row_only() -> None:
    doc = _doc([f"line {n}" for n in range(1, 2001)])
    start = doc.text.index("line 1500\n")
    html = viewer.document_html(doc, start, start + 9)
    assert html.count('class="doc-row') == 2 * viewer.ROWS_AROUND + 1
    assert "1199 earlier rows not shown" in html and "200 later rows not shown" in html


def test_links_name_only_citations_of_this_conversation() -> None:
    turns = [Turn("How many troops?", _answer()), Turn("Q?", _answer("Q?", abstained=True)), Turn("E", None, error="x")]
    cited = viewer.parse_target("0-1:1733000000", turns)
    assert cited is not None and (cited.doc_id, cited.start, cited.end) == ("news/iraq.txt", 10, 45)
    closest = viewer.parse_target("1-p1:5", turns)
    assert closest is not None and closest.quote == "About 2,500 US troops are in Iraq."
    for bad in ["", "0-2", "3-1", "2-1", "0-p9", "../etc/passwd", "0-../x", "x-1", "-1-1", "0-p0"]:
        assert viewer.parse_target(bad, turns) is None, bad


def test_a_moved_quote_is_found_again_or_said_gone() -> None:
    turns = [Turn("How many troops?", _answer())]
    target = viewer.parse_target("0-1", turns)
    assert target is not None
    moved = _doc(["A new first line.", "x" * 20 + "About 2,500 US troops are in Iraq."])
    start, end, still = viewer.moved_span(moved, target)
    assert not still and moved.text[start:end] == target.quote
    assert viewer.moved_span(_doc(["nothing of it"]), target) == (0, 0, False)


def test_copy_text_has_the_answer_and_its_footnotes() -> None:
    text = render.copy_text(_answer())
    assert text == 'About 2,500 [1].\n\n[1] Iraq — news/iraq.txt, line 3: "About 2,500 US troops are in Iraq."'
    assert render.copy_text(_answer(abstained=True)).startswith("Not found in the documents.\n\nClosest passages:")


def test_the_evidence_view_lists_scored_sentences_and_the_decision() -> None:
    block = render.evidence_block(_answer())
    assert block["metadata"]["title"].startswith(
        "Evidence considered: 1 sentences, answered (P = 0.80, threshold 0.50)"
    )
    assert block["content"].count('class="evidence-row cited"') == 1 and "Decision: answer" in block["content"]
    messages = render.answer_messages(_answer(), 0)
    assert 'href="#doc-0-1"' in messages[1]["content"] and "copy-answer" in messages[0]["content"]
    assert messages[-1]["metadata"]["title"].startswith("Evidence considered")
    assert len(render.answer_messages(_answer())) == 2  # without a turn: no links, no evidence block


def test_a_stale_note_is_escaped() -> None:
    note = render.stale_message([(2, "<b>x.txt</b> has changed")])
    assert "[2] &lt;b&gt;x.txt&lt;/b&gt; has changed" in note["content"]


def test_feedback_keeps_the_evidence_and_the_decision_for_a_wrong_answer() -> None:
    record = feedback_record(_answer(), [], liked=False)
    assert record["evidence"] == [
        {"doc_id": "news/iraq.txt", "sentence": "About 2,500 US troops are in Iraq.", "score": 4.2}
    ]
    assert record["decision"]["probability"] == 0.8
