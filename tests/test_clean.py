"""Tests for index.clean: furniture and repeats go, real text stays, every span maps back exactly."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.clean import CLEANER_VERSION, clean, explain, normalise_line
from index.load import load_file
from index.types import PARAGRAPH_SEPARATOR, Block, CleanDocument, Location, RawDocument, Removal

FIXTURES = Path(__file__).parent / "fixtures" / "cleaning"
FIXTURE_FILES = sorted(FIXTURES.iterdir())


def load_clean(path: Path) -> CleanDocument:
    return clean(load_file(path, path.name, max_bytes=10**7))


def raw_from(*texts: str, kind: str = "lines", removed: tuple[Removal, ...] = ()) -> RawDocument:
    """A RawDocument of text blocks laid out like a text file: one blank line between blocks."""
    blocks, line = [], 1
    for number, text in enumerate(texts, start=1):
        if kind == "lines":
            location = Location("lines", line, line + text.count("\n"))
            line = location.end + 2
        else:
            location = Location(kind, number, number)
        blocks.append(Block(text, location))
    return RawDocument(
        doc_id="doc.txt",
        path=Path("doc.txt"),
        kind="text",
        title=texts[0].split("\n")[0],
        blocks=tuple(blocks),
        content_hash="0" * 64,
        removed=removed,
    )


def kept_lines(doc: CleanDocument) -> list[str]:
    return [line for line in doc.text.split("\n") if line]


def reasons(doc: CleanDocument) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for removal in doc.removed:
        found.setdefault(removal.reason, []).append(removal.text)
    return found


def assert_spans_map_back(doc: CleanDocument) -> None:
    """Spans are ordered, disjoint, and the text is exactly their slices joined."""
    previous_end = -len(PARAGRAPH_SEPARATOR)
    pieces = []
    for span in doc.spans:
        assert span.start == previous_end + len(PARAGRAPH_SEPARATOR)
        assert span.start < span.end
        assert span.location.start <= span.location.end
        pieces.append(doc.text[span.start : span.end])
        previous_end = span.end
    assert PARAGRAPH_SEPARATOR.join(pieces) == doc.text
    assert all(piece == piece.strip() and "\n\n" not in piece for piece in pieces)


def source_lines(path: Path, location: Location) -> str:
    """The file's lines at `location` as plain text: HTML tags and Markdown emphasis stripped."""
    lines = path.read_text(encoding="utf-8").split("\n")[location.start - 1 : location.end]
    text = html.unescape(re.sub(r"<[^>]*>", "", "\n".join(lines)))
    return re.sub(r"\*\*|__", "", text) if path.suffix == ".md" else text


# --- properties over the fixture documents -------------------------------------------


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_spans_map_back_to_the_text(path):
    doc = load_clean(path)
    assert doc.text
    assert_spans_map_back(doc)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_every_kept_word_is_within_its_lines_of_the_original_file(path):
    doc = load_clean(path)
    for span in doc.spans:
        assert span.location.kind == "lines"
        source = source_lines(path, span.location)
        for word in doc.text[span.start : span.end].split():
            assert word == "|" or word in source, (word, span.location)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.name)
def test_removed_furniture_is_not_kept_anywhere(path):
    doc = load_clean(path)
    text_lines = set(kept_lines(doc))
    furniture = [r for r in doc.removed if not r.reason.startswith("repeated")]
    assert furniture
    assert all(r.text not in text_lines for r in furniture)


# --- the forum thread ----------------------------------------------------------------


def test_forum_member_furniture_is_removed_with_reasons():
    doc = load_clean(FIXTURES / "forum_thread.txt")
    found = reasons(doc)
    assert found["forum member details"].count("Joined") == 3
    assert "Mar 19, 2016" in found["forum member details"] and "1,204" in found["forum member details"]
    assert found["forum button"].count("Reply") == 3 and found["forum button"].count("Report") == 3
    assert "What's new" in found["navigation link"] and "Top" in found["navigation link"]
    assert found["quote expander"] == ["Click to expand...", "Click to expand..."]
    assert found["edit note"] == ["Last edited by a moderator:"]
    for furniture in ("Joined", "Mar 19, 2016", "Posts", "1,204", "Reply", "Like", "Back", "Top"):
        assert furniture not in kept_lines(doc)


def test_forum_quoted_posts_are_kept_exactly_once():
    doc = load_clean(FIXTURES / "forum_thread.txt")
    assert doc.text.count("The council finally approved the mains replacement plan") == 1
    assert doc.text.count("Digging up every street at once") == 1
    assert len(reasons(doc)["repeated paragraph (quoted earlier)"]) == 2
    assert reasons(doc)["quote attribution"] == ["riverwatcher said:", "millpond_mike said:"]


def test_forum_running_text_with_reply_and_share_is_kept():
    doc = load_clean(FIXTURES / "forum_thread.txt")
    assert "I will reply to the council consultation and ask them to share the phase dates" in doc.text


def test_title_that_was_furniture_is_replaced_by_the_first_kept_line():
    doc = load_clean(FIXTURES / "forum_thread.txt")
    assert doc.title == "Council water plan: is six years too long?"


# --- the blog post and the news page -------------------------------------------------


def test_blog_comment_form_share_prompts_and_shortcodes_are_removed():
    doc = load_clean(FIXTURES / "blog_post.txt")
    found = reasons(doc)
    assert "Leave a Reply Cancel reply" in found["comment form"]
    assert "Post Comment" in found["comment form"] and "Name *" in found["comment form"]
    assert found["shortcode"] == [
        '[caption id="attachment_12" align="aligncenter" width="300"]',
        '[mc4wp_form id="206"]',
    ]
    assert "Click to share on Twitter (Opens in new window)" in found["share prompt"]
    assert found["related links"] == ["Related Posts"]
    assert "Your email" not in doc.text and "[" not in doc.text and "Share" not in doc.text


def test_blog_keeps_real_sentences_and_the_title_once():
    doc = load_clean(FIXTURES / "blog_post.txt")
    assert doc.text.count("Five Things I Learned Growing Tomatoes on a Balcony") == 1
    assert "readers who reply to the weekly post tell me" in doc.text
    assert doc.spans[0].location.label() == "line 1"


def test_news_page_keeps_the_article_and_records_the_furniture():
    doc = load_clean(FIXTURES / "news_article.html")
    for furniture in ("We use cookies", "Share on", "newsletter", "trackRead", "font-family", "Home"):
        assert furniture not in doc.text
    assert "The investigation into the old pipes" in doc.text
    assert "share the engineering report with the public" in doc.text
    assert {"script", "cookie notice", "share buttons", "newsletter box"} <= set(reasons(doc))


def test_markdown_heading_title():
    doc = load_clean(FIXTURES / "garden_notes.md")
    assert doc.title == "Balcony Garden Notes"
    assert doc.text.startswith("Balcony Garden Notes" + PARAGRAPH_SEPARATOR)


# --- the rules, line by line ---------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Leave a Reply",
        "Cancel reply",
        "Your email address will not be published.",
        "Required fields are marked *",
        "Post Comment",
        "Subscribe to our newsletter",
        "Sign up for our weekly newsletter!",
        "Subscribe",
        "Share this:",
        "Share on Facebook",
        "Click to share on LinkedIn (Opens in new window)",
        '[gallery ids="1,2,3"]',
        "[/caption]",
        "Reply",
        "Like",
        "Report",
        "Quote",
        "Back",
        "Top",
        "What’s new",
        "Last edited by Sam: Jan 3, 2020",
        "Click to expand...",
        "Similar Posts",
        "Related Posts",
        "You must log in to post a comment.",
        "Advertisement",
        "READ: Council delays vote on bridge",
        "READ MORE: Flooding in the valley",
        "Also read: How the budget works",
        "We use cookies to give you the best experience on our site.",
        "© 2024 Example Media Ltd.",
        "Copyright 2023 Some Publisher",
        "All rights reserved.",
        "https://example.com/a/b?c=d",
        "www.example.org/page",
        "Joined: Mar 19, 2016",
        "Posts: 1,204",
    ],
)
def test_furniture_line_is_removed(line):
    doc = clean(raw_from("A real opening sentence about the water plan for the valley.", line))
    assert line not in doc.text
    assert [r.text for r in doc.removed] == [normalise_line(line)]


@pytest.mark.parametrize(
    "line",
    [
        "Please reply to this email by Friday so we can share the results with the team.",
        "Share prices fell sharply after the announcement on Monday morning.",
        "Back pain is the most common reason for missed work in the region.",
        "Top officials met in Geneva on Thursday to discuss the ceasefire.",
        "Readers who subscribe to the print edition get the supplement for free.",
        "The company uses cookies and other trackers, the regulator said in its report.",
        "Copyright law protects the original expression of ideas.",
        "(c) the contractor shall repair any damage to the road.",
        "She said the report was read by every member of the committee.",
        "[Editor's note: this article was updated on Tuesday.]",
        "Posts",
        "Source: Reuters",
    ],
)
def test_real_text_is_kept(line):
    doc = clean(raw_from("A real opening sentence about the water plan for the valley.", line))
    assert line in kept_lines(doc)
    assert doc.removed == ()


def test_label_and_value_lines_are_removed_together():
    doc = clean(raw_from("Some member\nJoined\n2 Jan 2021\nMessages\n87\nThe post text itself is here."))
    assert kept_lines(doc) == ["Some member", "The post text itself is here."]
    assert [r.text for r in doc.removed] == ["Joined", "2 Jan 2021", "Messages", "87"]


def test_a_label_without_a_value_line_is_kept():
    doc = clean(raw_from("Posts\nThe posts on this board are moderated daily."))
    assert kept_lines(doc) == ["Posts", "The posts on this board are moderated daily."]


def test_consecutive_duplicate_lines_are_kept_once_but_short_repeats_elsewhere_stay():
    doc = clean(raw_from("Big Title", "Big Title", "Source: Reuters", "Middle paragraph.", "Source: Reuters"))
    assert kept_lines(doc) == ["Big Title", "Source: Reuters", "Middle paragraph.", "Source: Reuters"]
    assert [(r.reason, r.location.label()) for r in doc.removed] == [("repeated line", "line 3")]


def test_multi_line_quote_of_an_earlier_paragraph_is_dropped():
    post = "We should wait for\nthe engineers to finish\ntheir survey first."
    doc = clean(raw_from(post, "Filler reply in between.", "alex wrote:\n" + post, "I agree with that."))
    assert doc.text.count("the engineers to finish") == 1
    assert [r.reason for r in doc.removed] == ["quote attribution", "repeated paragraph (quoted earlier)"]
    quote = doc.removed[1]
    assert quote.location == Location("lines", 8, 10) and quote.text == post


def test_removed_line_splits_a_block_so_locations_stay_exact():
    doc = clean(raw_from("First kept line here.\nShare this:\nSecond kept line here."))
    assert [doc.text[s.start : s.end] for s in doc.spans] == ["First kept line here.", "Second kept line here."]
    assert [s.location.label() for s in doc.spans] == ["line 1", "line 3"]


def test_blank_and_invisible_lines_do_not_split_a_block_but_shrink_its_location():
    doc = clean(raw_from("\u200b\nFirst line.\n   \nSecond line.\n"))
    assert [doc.text[s.start : s.end] for s in doc.spans] == ["First line.\nSecond line."]
    assert doc.spans[0].location.label() == "lines 2-4"
    assert [(r.reason, r.text) for r in doc.removed] == [("whitespace-only line", "\\u200b")]


def test_page_and_paragraph_locations_are_kept_whole():
    doc = clean(raw_from("Page one text.\nShare this:\nMore page one text.", "Page two.", kind="pages"))
    assert [s.location.label() for s in doc.spans] == ["page 1", "page 1", "page 2"]
    doc = clean(raw_from("First paragraph.", "Reply", "Third paragraph.", kind="paragraphs"))
    assert [s.location.label() for s in doc.spans] == ["paragraph 1", "paragraph 3"]


def test_normalisation_keeps_the_text_otherwise_verbatim():
    assert normalise_line("  Cafe\u0301 \t\u201cquoted\u201d\u200b —  fine!\x07 ") == "Café “quoted” — fine!"


def test_nothing_left_gives_empty_text():
    doc = clean(raw_from("Reply", "Share this:", "https://example.com"))
    assert doc.text == "" and doc.spans == ()
    assert len(doc.removed) == 3
    assert "nothing left after cleaning" in explain(doc)


def test_loader_removals_come_first_and_are_kept():
    loader = Removal("script", "track()", Location("lines", 1, 1))
    doc = clean(raw_from("Body text.", "Reply", removed=(loader,)))
    assert [r.reason for r in doc.removed] == ["script", "forum button"]


def test_explain_groups_removals_by_reason_with_locations():
    report = explain(load_clean(FIXTURES / "forum_thread.txt"))
    assert "forum button (9):" in report
    assert "    line 15: Reply" in report
    assert "repeated paragraph (quoted earlier) (2):" in report
    assert re.search(r"line 28: The council finally approved .*…", report)
    assert "nothing removed" in explain(clean(raw_from("Just one clean paragraph.")))


def test_cleaner_version_is_a_string():
    assert isinstance(CLEANER_VERSION, str) and CLEANER_VERSION


# --- any input -----------------------------------------------------------------------

LINE_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40)
WORDY = st.sampled_from(
    [
        "Reply",
        "Share this:",
        "Joined",
        "Mar 1, 2020",
        "Posts",
        "12",
        "https://x.y",
        "a line of eight or more words repeated here again",
        "Title",
        "",
    ]
)
BLOCK = st.lists(st.one_of(LINE_TEXT, WORDY), min_size=1, max_size=6).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(BLOCK, min_size=1, max_size=8), kind=st.sampled_from(["lines", "pages", "paragraphs"]))
def test_clean_never_raises_and_spans_map_back(texts, kind):
    raw = raw_from(*texts, kind=kind)
    doc = clean(raw)
    assert_spans_map_back(doc)
    inputs = {normalise_line(line) for text in texts for line in text.split("\n")}
    assert all(line in inputs for line in kept_lines(doc))
    blocks = [b.location for b in raw.blocks]
    for span in doc.spans:
        assert any(b.start <= span.location.start <= span.location.end <= b.end for b in blocks)
    explain(doc)
