"""Tests for index.load: each format becomes located blocks, and bad files become DocumentErrors."""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import os
import random
import re
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from index.errors import DocumentError
from index.load import SUPPORTED_SUFFIXES, decode_text, load_file, looks_binary
from index.types import RawDocument
from tests.pdf_fixtures import pdf_bytes, write_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "cleaning"
LIMIT = 10 * 1024 * 1024
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def load(path: Path, max_bytes: int = LIMIT) -> RawDocument:
    return load_file(path, path.name, max_bytes=max_bytes)


def all_text(raw: RawDocument) -> str:
    return "\n".join(block.text for block in raw.blocks)


def source_between(path: Path, start: int, end: int) -> str:
    """The file's lines start..end (1-based) as plain text: tags stripped, entities decoded."""
    lines = path.read_text(encoding="utf-8").split("\n")[start - 1 : end]
    return html.unescape(re.sub(r"<[^>]*>", "", "\n".join(lines)))


def assert_words_within_lines(path: Path, raw: RawDocument) -> None:
    for block in raw.blocks:
        assert block.location.kind == "lines"
        assert 1 <= block.location.start <= block.location.end
        source = source_between(path, block.location.start, block.location.end)
        for word in block.text.split():
            if word != "|":  # the table cell separator is ours
                assert word in source, (word, block)


# --- plain text ----------------------------------------------------------------------


def test_text_blocks_are_paragraphs_with_original_line_numbers():
    path = FIXTURES / "blog_post.txt"
    raw = load(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert raw.kind == "text" and raw.encoding == "utf-8"
    assert raw.title == "Five Things I Learned Growing Tomatoes on a Balcony"
    for block in raw.blocks:
        assert block.text == "\n".join(lines[block.location.start - 1 : block.location.end])
    share = next(b for b in raw.blocks if b.text.startswith("Share this:"))
    assert share.location.label() == "lines 9-11"


def test_content_hash_is_sha256_of_the_bytes():
    path = FIXTURES / "forum_thread.txt"
    assert load(path).content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_long_first_line_title_is_cut_at_a_word_boundary(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("word " * 60 + "\n\nbody\n", encoding="utf-8")
    title = load(path).title
    assert len(title) <= 121 and title.endswith("word…")


def test_crlf_and_cr_newlines_give_the_same_line_numbers(tmp_path):
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"first para\r\nsame para\r\n\r\nsecond para\rstill second\r")
    raw = load(path)
    assert [(b.text, b.location.label()) for b in raw.blocks] == [
        ("first para\nsame para", "lines 1-2"),
        ("second para\nstill second", "lines 4-5"),
    ]


# --- Markdown ------------------------------------------------------------------------


def test_markdown_title_is_the_first_heading_and_syntax_is_stripped():
    path = FIXTURES / "garden_notes.md"
    raw = load(path)
    assert raw.kind == "markdown" and raw.title == "Balcony Garden Notes"
    text = all_text(raw)
    for syntax in ("**", "__", "](", "![", "# ", "```"):
        assert syntax not in text
    assert "Some practical notes" in text and "community garden meetings" in text
    assert "tomatoes.jpg" not in text


def test_markdown_keeps_one_text_line_per_file_line():
    path = FIXTURES / "garden_notes.md"
    for block in load(path).blocks:
        assert block.text.count("\n") == block.location.end - block.location.start


def test_markdown_fenced_code_is_one_block_even_with_blank_lines():
    raw = load(FIXTURES / "garden_notes.md")
    code = [b for b in raw.blocks if "litres_per_week" in b.text]
    assert len(code) == 1
    assert "return pots * 3" in code[0].text
    assert code[0].location.label() == "lines 14-18"


def test_markdown_without_heading_uses_first_line(tmp_path):
    path = tmp_path / "notes.markdown"
    path.write_text("Just **notes** here\n\nmore\n", encoding="utf-8")
    assert load(path).title == "Just notes here"


# --- HTML ----------------------------------------------------------------------------


def test_html_title_and_main_content():
    raw = load(FIXTURES / "news_article.html")
    assert raw.kind == "html"
    assert raw.title == "River Valley Council Approves New Water Plan"
    text = all_text(raw)
    assert "The River Valley council voted seven to two" in text
    assert "Officials said they would reply to every letter" in text


def test_html_furniture_is_dropped_and_recorded_with_reasons():
    raw = load(FIXTURES / "news_article.html")
    text = all_text(raw)
    for furniture in (
        "trackRead",
        "window.analytics",
        "font-family",
        "We use cookies",
        "Share on Facebook",
        "Subscribe to our newsletter",
        "All rights reserved",
        "Flood defences",
        "Politics",
        "Local news since",
    ):
        assert furniture not in text
    reasons = {removal.reason for removal in raw.removed}
    assert {
        "script",
        "style sheet",
        "navigation",
        "page header",
        "page footer",
        "cookie notice",
        "share buttons",
        "newsletter box",
        "sidebar",
        "outside main content",
    } <= reasons
    outside = [r for r in raw.removed if r.reason == "outside main content"]
    assert [r.text for r in outside] == ["Independent reporting for the whole valley, every weekday morning."]
    assert all(r.location is not None and r.location.start <= r.location.end for r in raw.removed)


def test_html_blocks_point_at_their_source_lines():
    path = FIXTURES / "news_article.html"
    assert_words_within_lines(path, load(path))


def test_html_inline_tags_do_not_split_words_and_br_breaks_lines():
    raw = load(FIXTURES / "news_article.html")
    texts = [b.text for b in raw.blocks]
    assert any("The investigation into the old pipes" in t for t in texts)
    assert "Council offices\n12 Mill Street" in texts
    assert "North bank | 2025-2027" in texts


def test_html_small_page_without_main(tmp_path):
    path = tmp_path / "page.htm"
    path.write_text(
        "<html><body>\n<div>Intro <i>text</i> here\n<p>He<b>llo</b> world</p>\n"
        "<p>one<br>two</p>\n</div>\n</body></html>",
        encoding="utf-8",
    )
    raw = load(path)
    assert [(b.text, b.location.label()) for b in raw.blocks] == [
        ("Intro text here", "line 2"),
        ("Hello world", "line 3"),
        ("one\ntwo", "line 4"),
    ]
    assert raw.title == "Intro text here"
    assert raw.removed == ()


def test_html_several_articles_are_all_kept(tmp_path):
    path = tmp_path / "thread.html"
    path.write_text(
        "<body><div>Site banner text</div>\n<article><p>First post body.</p></article>\n"
        "<article><p>Second post body.</p></article></body>",
        encoding="utf-8",
    )
    raw = load(path)
    assert [b.text for b in raw.blocks] == ["First post body.", "Second post body."]
    assert [r.text for r in raw.removed] == ["Site banner text"]


def test_html_page_wrapped_in_a_form_keeps_its_content(tmp_path):
    path = tmp_path / "webforms.html"
    path.write_text('<body><form id="aspnetForm"><h1>Report</h1><p>Body text.</p></form></body>', encoding="utf-8")
    assert [b.text for b in load(path).blocks] == ["Report", "Body text."]


def test_html_deeply_nested_unclosed_paragraphs_load(tmp_path):
    # html.parser nests unclosed <p> tags, so this is 3000 levels deep.
    path = tmp_path / "old.html"
    path.write_text("<body>" + "".join(f"<p>para {i}\n" for i in range(3000)), encoding="utf-8")
    raw = load(path)
    assert len(raw.blocks) == 3000
    assert raw.blocks[-1].text == "para 2999" and raw.blocks[-1].location.start == 3000


# --- decoding and binary detection ---------------------------------------------------


def test_decode_latin1():
    text, encoding = decode_text("Café naïve façade\n".encode("latin-1"))
    assert (text, encoding) == ("Café naïve façade\n", "cp1252")


def test_decode_cp1252_with_curly_quotes_and_an_undefined_byte():
    text, encoding = decode_text(b"\x93Quoted\x94 costs \x80 5 \x81")
    assert encoding == "cp1252"
    assert text == "“Quoted” costs € 5 \x81"


def test_decode_utf8_with_bom():
    text, encoding = decode_text(b"\xef\xbb\xbfH\xc3\xa9llo\r\nworld")
    assert (text, encoding) == ("Héllo\nworld", "utf-8-sig")


def test_decode_utf8_with_a_few_invalid_bytes():
    data = ("Café crème brûlée. " * 20).encode("utf-8") + b"bad \xff\xfe bytes"
    text, encoding = decode_text(data)
    assert encoding == "utf-8 (2 invalid bytes replaced)"
    assert text.startswith("Café crème") and text.endswith("bad \ufffd\ufffd bytes")


def test_decode_mostly_ascii_utf8_with_one_bad_byte():
    text, encoding = decode_text("A dash \u2014 here.\n".encode() + b"one \xff byte")
    assert encoding == "utf-8 (1 invalid bytes replaced)"
    assert text == "A dash \u2014 here.\none \ufffd byte"


def test_decode_ascii_with_one_cp1252_apostrophe():
    assert decode_text(b"It\x92s fine") == ("It\u2019s fine", "cp1252")


def test_decode_utf16_with_bom():
    assert decode_text("Hello\r\n".encode("utf-16")) == ("Hello\n", "utf-16")


def test_cp1252_file_is_loaded_with_a_warning(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes("Déjà vu — “quoted”\n".encode("cp1252"))
    raw = load(path)
    assert raw.blocks[0].text == "Déjà vu — “quoted”"
    assert raw.encoding == "cp1252" and raw.warnings == ("decoded as cp1252",)


def test_looks_binary():
    assert looks_binary(random.Random(7).randbytes(4096))
    assert looks_binary(PNG_HEADER)
    assert not looks_binary(b"Plain text\twith tabs\r\nand a page break\f\n")
    assert not looks_binary("ünïcödé".encode("utf-16"))
    assert looks_binary(b"abc" + b"\x01\x02" * 10 + b"def")


@pytest.mark.parametrize("name", ["image.txt", "image.md", "image.html"])
def test_binary_content_in_a_text_file_is_refused(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(PNG_HEADER + bytes(range(256)))
    with pytest.raises(DocumentError, match=r"^binary content in a text file \(not indexed\)$"):
        load(path)


# --- file-level errors ---------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"   \n\t\n  "])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(DocumentError, match="^empty file$"):
        load(path)


def test_too_large(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * (3 * 1024 * 1024))
    with pytest.raises(DocumentError) as caught:
        load(path, max_bytes=2 * 1024 * 1024)
    assert str(caught.value) == ("too large (3.0 MB > 2.0 MB limit; raise ASSISTANT_MAX_FILE_MB to index it)")


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "old-sheet.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DocumentError, match=r"^unsupported file type \.xls; supported: .*\.docx"):
        load(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(DocumentError, match="^cannot read file: "):
        load(tmp_path / "gone.txt")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(DocumentError, match="^cannot read file: "):
        load(folder)


def test_unreadable_file(tmp_path):
    """Run in a subprocess without the capabilities that let root read anything."""
    import subprocess
    import sys

    from tests.cli_helpers import DROP_ROOT_READ, ROOT

    path = tmp_path / "secret.txt"
    path.write_text("hidden", encoding="utf-8")
    path.chmod(0)
    code = (
        "import sys; from pathlib import Path\n"
        "from index.load import load_file\nfrom index.errors import DocumentError\n"
        "try:\n    load_file(Path(sys.argv[1]), 'secret.txt', max_bytes=10**6)\n"
        "except DocumentError as exc:\n    print(exc)\n"
    )
    prefix = DROP_ROOT_READ if os.geteuid() == 0 else []
    result = subprocess.run([*prefix, sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True)
    assert result.stdout.startswith("permission denied: "), result.stderr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), suffix=st.sampled_from(sorted(SUPPORTED_SUFFIXES)))
def test_arbitrary_bytes_load_or_raise_document_error_silently(tmp_path, capsys, data, suffix):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    with contextlib.suppress(DocumentError):
        load(path)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# --- PDF -----------------------------------------------------------------------------


def test_pdf_blocks_carry_page_numbers(tmp_path):
    path = write_pdf(
        tmp_path / "report.pdf",
        [
            "Water Plan Report.\nThe council approved an inter-\nnational review of the\nold mains.",
            "Costs are listed here.\nPhase one is the north bank.",
        ],
    )
    raw = load(path)
    assert raw.kind == "pdf" and raw.encoding is None
    assert raw.title == "Water Plan Report."
    pages = {b.text: b.location.label() for b in raw.blocks}
    assert pages["The council approved an international review of the old mains."] == "page 1"
    assert pages["Phase one is the north bank."] == "page 2"
    assert {b.location.kind for b in raw.blocks} == {"pages"}


def test_pdf_blank_lines_separate_paragraphs():
    # pypdf reports no blank lines for vertical gaps, so build the page text the way it would.
    from index.load_pdf import _pdf_paragraphs

    assert _pdf_paragraphs("First para\nwraps here\n\nsecond one\n") == ["First para wraps here", "second one"]


def test_pdf_title_from_metadata(tmp_path):
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(["Body text only."]))))
    writer.add_metadata({"/Title": "Annual Water Report"})
    path = tmp_path / "meta.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    assert load(path).title == "Annual Water Report"


def test_encrypted_pdf(tmp_path):
    path = write_pdf(tmp_path / "locked.pdf", ["Secret plans."], encrypt_password="hunter2")
    with pytest.raises(DocumentError, match="^encrypted PDF: decrypt it or export"):
        load(path)


def test_pdf_encrypted_with_an_empty_user_password_opens(tmp_path):
    path = write_pdf(tmp_path / "owner-only.pdf", ["Readable by anyone."], encrypt_password="")
    assert [b.text for b in load(path).blocks] == ["Readable by anyone."]


@pytest.mark.parametrize("cut", [40, 200, 400])
def test_corrupt_pdf(tmp_path, cut):
    path = tmp_path / "broken.pdf"
    path.write_bytes(pdf_bytes(["Some text on a page."])[:cut])
    with pytest.raises(DocumentError, match="^not a readable PDF: "):
        load(path)


def test_text_file_named_pdf(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_text("this is not a pdf", encoding="utf-8")
    with pytest.raises(DocumentError, match="^not a readable PDF: "):
        load(path)


def test_scanned_pdf_without_text(tmp_path):
    path = write_pdf(tmp_path / "scan.pdf", ["", ""])
    with pytest.raises(DocumentError, match=r"^no text: no text layer, and no pictures to read by OCR$"):
        load(path)


# --- Word ----------------------------------------------------------------------------


def make_docx(path: Path, title: str | None = None) -> Path:
    document = docx.Document()
    if title:
        document.core_properties.title = title
    document.add_paragraph("Prepared for the council.")
    document.add_heading("Water Plan", level=1)
    document.add_paragraph("")
    document.add_paragraph("The plan runs for six years.")
    table = document.add_table(rows=2, cols=2)
    for (row, col), value in {(0, 0): "Phase", (0, 1): "Years", (1, 0): "North", (1, 1): "2"}.items():
        table.cell(row, col).text = value
    document.add_paragraph("Questions go to the clerk.")
    document.save(path)
    return path


def test_docx_paragraphs_are_numbered_in_document_order(tmp_path):
    raw = load(make_docx(tmp_path / "plan.docx"))
    assert raw.kind == "docx" and raw.encoding is None
    assert [(b.text, b.location.label()) for b in raw.blocks] == [
        ("Prepared for the council.", "paragraph 1"),
        ("Water Plan", "paragraph 2"),
        ("The plan runs for six years.", "paragraph 3"),
        ("Phase | Years", "paragraph 4"),
        ("North | 2", "paragraph 5"),
        ("Questions go to the clerk.", "paragraph 6"),
    ]


def test_docx_title_prefers_properties_then_headings(tmp_path):
    assert load(make_docx(tmp_path / "a.docx", title="Official Title")).title == "Official Title"
    assert load(make_docx(tmp_path / "b.docx")).title == "Water Plan"
    plain = docx.Document()
    plain.add_paragraph("Only a plain paragraph.")
    plain.save(tmp_path / "c.docx")
    assert load(tmp_path / "c.docx").title == "Only a plain paragraph."


def test_corrupt_docx(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(make_docx(tmp_path / "good.docx").read_bytes()[:500])
    with pytest.raises(DocumentError, match="^not a readable Word file: "):
        load(path)


def test_html_layout_classes_on_content_wrappers_do_not_drop_content(tmp_path):
    path = tmp_path / "layout.html"
    path.write_text(
        '<body class="with-sidebar"><div class="content-with-sidebar">\n'
        '<h1 class="share-title">Headline</h1><p>Story text.</p></div>\n'
        '<div class="sidebar">Popular this week</div></body>',
        encoding="utf-8",
    )
    raw = load(path)
    assert [b.text for b in raw.blocks] == ["Headline", "Story text."]
    assert [(r.reason, r.text) for r in raw.removed] == [("sidebar", "Popular this week")]
