"""Parse an HTML page into blocks of its main content, recording the page furniture removed."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PreformattedString

from index.decode import Parsed, _decoded, _shorten, title_from
from index.types import Block, Location, Removal

REMOVAL_MAX_CHARS = 300  # enough for `index --explain` to show what went

_DROP_TAGS = {
    "script": "script",
    "style": "style sheet",
    "noscript": "noscript fallback",
    "template": "template",
    "svg": "inline graphic",
    "iframe": "embedded frame",
    "form": "form",
    "nav": "navigation",
    "header": "page header",
    "footer": "page footer",
    "aside": "sidebar",
    "button": "button",
    "select": "form control",
    "textarea": "form control",
    "video": "embedded media",
    "audio": "embedded media",
    "object": "embedded media",
    "canvas": "embedded media",
}
_DROP_ROLES = {
    "navigation": "navigation",
    "banner": "page header",
    "contentinfo": "page footer",
    "complementary": "sidebar",
    "search": "search box",
}
# Matched against an element's id and class words ("shareButtons" -> "share buttons").
_ATTR_RULES = tuple(
    (reason, re.compile(pattern))
    for reason, pattern in (
        ("cookie notice", r"\bcookie|\bconsent|\bgdpr\b"),
        ("newsletter box", r"\bnewsletter|\bsubscri(be|ption)|\bsign ?up\b|\bopt ?in\b|\bmailing list"),
        ("share buttons", r"\bshar(e|es|ing)\b|\bsocial"),
        ("comment form", r"\bcomments? ?(form|respond|reply)|\brespond\b|\breply ?(form|box)\b"),
        ("breadcrumbs", r"\bbreadcrumb|\bcrumbs?\b"),
        ("menu", r"\bmenu|\bnav(bar|igation)?\b|\btopbar\b"),
        ("sidebar", r"\bsidebar|\bside bar\b"),
        ("advertisement", r"\bad(s|slot|unit|vert\w*|container|wrapper|sbygoogle)?\b|\bsponsor|\bpromo(ted)?\b"),
        ("related posts", r"\brelated\b|\brecommended\b|\bmore (stories|articles|posts)\b|\bread next\b"),
    )
)
# Never dropped by a class or id match: page-level class names often mention "sidebar" etc.
_NEVER_BY_ATTR = {"html", "body", "main", "article"}
_CONTENT_MARKERS = ["main", "article", "h1"]
_SILENT_TAGS = {"head", "title", "meta", "link", "base"}
_BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "ul",
}


def _attr_words(tag: Tag) -> str:
    classes: Any = tag.get("class") or []
    raw = " ".join([str(tag.get("id") or ""), *([classes] if isinstance(classes, str) else classes)])
    raw = re.sub(r"([a-z])([A-Z])", r"\1 \2", raw).lower()
    return " ".join(re.findall(r"[a-z0-9]+", raw))


def _furniture_reason(tag: Tag, holds_content: set[int]) -> str | None:
    """Why this element is page furniture, or None to keep it.

    `holds_content`: ids of the elements that contain a <main>, <article> or <h1>.
    """
    name = tag.name
    if name in ("header", "form") and (id(tag) in holds_content or _in_article(tag)):
        return None  # an article's own header holds its headline; some sites wrap pages in a form
    if name in _DROP_TAGS:
        return _DROP_TAGS[name]
    if name in _NEVER_BY_ATTR:
        return None
    role = str(tag.get("role") or "").strip().lower()
    if role in _DROP_ROLES:
        return _DROP_ROLES[role]
    words = _attr_words(tag)
    for reason, pattern in _ATTR_RULES:
        if words and pattern.search(words):
            return None if id(tag) in holds_content else reason
    return None


def _in_article(tag: Tag) -> bool:
    return tag.name == "header" and tag.find_parent(["article", "main"]) is not None


def _content_holders(soup: BeautifulSoup) -> set[int]:
    """ids of the main-content markers and every element containing one.

    A furniture-like class on such an element is a layout hint ("has-sidebar"), not furniture.
    """
    holders: set[int] = set()
    for marker in soup.find_all(_CONTENT_MARKERS):
        holders.add(id(marker))
        holders.update(id(parent) for parent in marker.parents)
    return holders


def _newlines(tag: Tag) -> int:
    """Newlines in the element's source text (cheaper than serialising it)."""
    return sum(str(s).count("\n") for s in tag.descendants if isinstance(s, NavigableString))


def _find_furniture(soup: BeautifulSoup) -> tuple[dict[int, int], list[Removal]]:
    """{id: last source line} of the furniture elements (outermost only), and their Removals."""
    skip: dict[int, int] = {}
    removed: list[Removal] = []
    holders = _content_holders(soup)
    stack = [child for child in reversed(soup.contents) if isinstance(child, Tag)]
    while stack:  # iterative: html.parser nests unclosed <p> tags arbitrarily deep
        tag = stack.pop()
        reason = None if tag.name in _SILENT_TAGS else _furniture_reason(tag, holders)
        if reason is None:
            stack.extend(child for child in reversed(tag.contents) if isinstance(child, Tag))
            continue
        start = tag.sourceline or 1
        skip[id(tag)] = start + _newlines(tag)
        text = " ".join(tag.get_text(" ").split())
        if text:
            where = Location("lines", start, skip[id(tag)])
            removed.append(Removal(reason, _shorten(text, REMOVAL_MAX_CHARS), where))
    return skip, removed


def _content_roots(soup: BeautifulSoup, skip: dict[int, int]) -> set[int] | None:
    """ids of <main> (or else the outermost <article>s); None when the page has neither."""

    def kept(tag: Tag) -> bool:
        return not any(id(t) in skip for t in (tag, *tag.parents))

    roots = [t for t in soup.find_all("main") + soup.find_all(role="main") if kept(t)]
    if not roots:
        roots = [t for t in soup.find_all("article") if kept(t) and not t.find_parent("article")]
    return {id(t) for t in roots} or None


class _HtmlBlocks:
    """Walks the tree in source order, collecting block texts and the source lines they span."""

    def __init__(self, skip: dict[int, int], roots: set[int] | None) -> None:
        self.blocks: list[Block] = []
        self.outside: list[Removal] = []
        self._skip, self._roots = skip, roots
        self._cursor = 1  # source line of the text being read
        self._in_root = 0
        self._pre = self._row = 0
        self._cell_pending = False
        self._reset()

    def _reset(self) -> None:
        self._lines = [""]  # the current block, split where <br> was
        self._first: int | None = None
        self._last = 0

    def run(self, root: Tag) -> None:
        stack = [(root, iter(root.contents))]
        while stack:  # iterative for the same reason as _find_furniture
            tag, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                self._leave(tag)
            elif isinstance(child, Tag):
                if self._enter(child):
                    stack.append((child, iter(child.contents)))
            elif isinstance(child, PreformattedString):  # comments, doctype, CDATA
                self._cursor += str(child).count("\n")
            elif isinstance(child, NavigableString):
                self._text(str(child))

    def _enter(self, tag: Tag) -> bool:
        """Handle an opening tag; True to walk its children."""
        self._cursor = tag.sourceline or self._cursor
        if id(tag) in self._skip:
            self._cursor = self._skip[id(tag)]
            return False
        if tag.name in _SILENT_TAGS:
            self._cursor += _newlines(tag)
            return False
        if tag.name == "br":
            self._lines.append("")
            return False
        if tag.name in ("td", "th") and self._row:
            self._cell_pending = True
        elif tag.name == "tr" or (tag.name in _BLOCK_TAGS and not self._row):
            self._flush()
        self._row += tag.name == "tr"
        self._pre += tag.name == "pre"
        self._in_root += self._roots is not None and id(tag) in self._roots
        return True

    def _leave(self, tag: Tag) -> None:
        self._row -= tag.name == "tr"
        self._pre -= tag.name == "pre"
        if tag.name == "tr" or (tag.name in _BLOCK_TAGS and not self._row) or tag.parent is None:
            self._flush()
        self._in_root -= self._roots is not None and id(tag) in self._roots

    def _text(self, text: str) -> None:
        stripped = text.strip()
        if stripped:
            start = self._cursor + text[: len(text) - len(text.lstrip())].count("\n")
            self._first = start if self._first is None else self._first
            self._last = start + stripped.count("\n")
            if self._cell_pending and self._lines[-1].strip():
                self._lines[-1] += " | "
            self._cell_pending = False
        if self._pre:
            head, *rest = text.split("\n")
            self._lines[-1] += head
            self._lines.extend(rest)
        else:
            self._lines[-1] += text
        self._cursor += text.count("\n")

    def _flush(self) -> None:
        lines = (" ".join(line.split()) for line in self._lines)
        text = "\n".join(line for line in lines if line)
        if text and self._first is not None:
            location = Location("lines", self._first, max(self._first, self._last))
            if self._roots is None or self._in_root:
                self.blocks.append(Block(text, location))
            else:
                self.outside.append(Removal("outside main content", text, location))
        self._reset()


def _parse_html(data: bytes) -> Parsed:
    text, encoding, notes = _decoded(data)
    # html.parser, because it records each tag's source line (lxml's builder does not).
    soup = BeautifulSoup(text, "html.parser")
    skip, removed = _find_furniture(soup)
    walker = _HtmlBlocks(skip, _content_roots(soup, skip))
    walker.run(soup)
    title = _html_title(soup) or (title_from(walker.blocks[0].text) if walker.blocks else "")
    return Parsed(walker.blocks, title, removed + walker.outside, encoding, notes)


def _html_title(soup: BeautifulSoup) -> str:
    for tag in (soup.find("title"), soup.find("h1")):
        if tag is not None:
            title = title_from(" ".join(tag.get_text(" ").split()))
            if title:
                return title
    return ""
