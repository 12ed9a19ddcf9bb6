"""Strip web and forum furniture and quoted repeats from a RawDocument, keeping exact locations."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from index.load import title_from
from index.types import PARAGRAPH_SEPARATOR, CleanDocument, Location, RawDocument, Removal, Span

CLEANER_VERSION = "1"  # bump whenever clean() output changes: it is part of the index fingerprint

# Tables are data, not web pages: a row that repeats the one above it, or a cell that reads
# "Share" or "Total", is content. Their lines are only normalised.
VERBATIM_KINDS = frozenset({"sheet"})
MIN_REPEAT_WORDS = 8  # shorter repeats (a dateline, "Source: Reuters") may be legitimate
EXPLAIN_TEXT_CHARS = 80

_INVISIBLE = dict.fromkeys(
    map(ord, "\u00ad\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff")
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

_DATE = (
    r"(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}|[a-z]{3,9}\.? \d{1,2},? \d{4}"
    r"|\d{1,2} [a-z]{3,9}\.?,? \d{4}|[a-z]{3,9}\.? \d{4})"
)
_NUMBER = r"\d[\d.,]*[km]?"
_JOINED = r"(joined|member since|registered)"
_COUNTER = (
    r"(posts|messages|reaction score|points|trophy points|runs|likes( received)?|threads"
    r"|replies|solutions|reputation|karma)"
)


def _rule(reason: str, max_words: int, *alternatives: str, flags: int = re.I) -> tuple[str, re.Pattern[str], int]:
    return reason, re.compile("|".join(alternatives), flags), max_words


# Whole-line rules: a line is furniture only if all of it matches and it is short, so a
# sentence that merely mentions "reply" or "share" is kept. (reason, max words, pattern)
_LINE_RULES = (
    _rule(
        "comment form",
        16,
        r"leave a (reply|comment)( to .+?)?( cancel reply)?",
        r"cancel reply",
        r"(post|submit|add) (a )?comment",
        r"your email address will not be published.*",
        r"required fields are marked.*",
        r"save my name,? e-?mail,? and website.*",
        r"notify me of (follow-up comments|new posts).*",
        r"(name|e-?mail|website|comment) ?\*:?",
    ),
    _rule(
        "newsletter prompt",
        16,
        r"(subscribe|sign up)( now| today| here| for free)?[.!]?",
        r"(subscribe|sign up|join|get|enter your e-?mail)\b.*\b(newsletter|mailing list|inbox)\b.*",
    ),
    _rule(
        "share prompt",
        10,
        r"share( this( article| post| story| page)?)?[:.!]?",
        r"share (on|via|to) .+",
        r"click to (share|e-?mail|print).*",
        r"(tweet|pin|e-?mail|print) this( article| post| story)?",
        r"facebook|twitter|linkedin|whatsapp|pinterest|reddit|telegram|copy link",
    ),
    _rule("shortcode", 40, r"\[/?[a-z][a-z0-9_-]*(\s+[^\]]*=[^\]]*)?\s*/?\]", flags=0),
    _rule("forum member details", 6, rf"{_JOINED}:? {_DATE}", rf"{_COUNTER}:? {_NUMBER}"),
    _rule(
        "forum button",
        1,
        r"(reply|like|likes|report|quote|multi-?quote|bookmark|permalink|upvote|downvote|flag|edit|delete)[.!]?",
    ),
    _rule(
        "navigation link",
        4,
        r"back|top|back to top|what['’]s new|home|next|previous|menu",
        r"(show|load|view) more",
        r"read more( »|\.\.\.|…)?",
    ),
    _rule("edit note", 10, r"last edited\b.*"),
    _rule("quote expander", 3, r"click to expand\.*"),
    _rule(
        "related links",
        6,
        r"(similar|related|recommended) (posts|threads|articles|stories)[:.]?",
        r"you (may|might) also like.*",
    ),
    _rule(
        "login prompt",
        20,
        r"you must (be )?(log(ged)? ?in|register(ed)?|sign(ed)? ?in).*",
        r"log in or (register|sign up).*",
    ),
    _rule("advertisement", 2, r"advertisement|sponsored( content)?|ad"),
    _rule("cross-link teaser", 25, r"((also )?read( more| also| next)?|see also|related|recommended) ?: .+"),
    _rule(
        "cookie notice",
        40,
        r".*\b(we|this (web)?site) uses? cookies\b.*",
        r"(accept|reject|manage) (all )?cookies",
        r"cookie (settings|preferences|policy)",
    ),
    _rule(
        "copyright notice", 15, r"(©|\(c\) ?(\d{4}|copyright)|copyright ©? ?\d{4}).*", r".*\ball rights reserved\b.*"
    ),
    _rule("bare URL", 1, r"(https?://|www\.)\S+"),
)

# "name said:" before a quote; dropped only together with the quoted repeat it introduces.
_ATTRIBUTION = re.compile(r"(\S+ ){1,6}(said|wrote)( on .{1,40})?:", re.IGNORECASE)
REPEATED = "repeated paragraph (quoted earlier)"

# Two-line rules: a label line whose value sits alone on the next line.
_PAIR_RULES = (
    ("forum member details", re.compile(_JOINED + ":?", re.I), re.compile(_DATE, re.I)),
    ("forum member details", re.compile(_COUNTER + ":?", re.I), re.compile(_NUMBER, re.I)),
)


@dataclass
class _Line:
    """One non-blank line of the document, normalised, with where it came from."""

    text: str
    location: Location
    block: int  # index of the block it came from
    order: int  # index among the document's lines, to list removals in reading order
    reason: str | None = None  # why it was removed; None while kept

    @property
    def key(self) -> str:
        return "".join(self.text.casefold().split())


def normalise_line(line: str) -> str:
    """NFC, no zero-width or control characters, runs of whitespace as one space, stripped."""
    line = unicodedata.normalize("NFC", line).translate(_INVISIBLE)
    return " ".join(_CONTROL.sub(" ", line).split())


def clean(raw: RawDocument) -> CleanDocument:
    """The document without furniture and repeats; its text is "" when nothing is left."""
    removals: list[tuple[int, Removal]] = []
    lines = _document_lines(raw, removals)
    if raw.kind in VERBATIM_KINDS:
        kept = _segments(lines)
    else:
        _mark_furniture(lines)
        _mark_repeated_lines(lines)
        _mark_attributions(lines)
        kept = _drop_repeated_segments(_segments(lines), removals)
    removals += [(line.order, Removal(line.reason, line.text, line.location)) for line in lines if line.reason]
    removals.sort(key=lambda pair: pair[0])
    text, spans = _assemble(kept)
    return CleanDocument(
        doc_id=raw.doc_id,
        path=raw.path,
        kind=raw.kind,
        title=_title(raw, lines, text),
        content_hash=raw.content_hash,
        text=text,
        spans=tuple(spans),
        removed=tuple(raw.removed) + tuple(removal for _, removal in removals),
        warnings=raw.warnings,
        parent=raw.parent,
    )


def _title(raw: RawDocument, lines: list[_Line], text: str) -> str:
    """The loader's title, unless it was a furniture line ("What's new"): then the first kept line."""
    title = normalise_line(raw.title)
    dropped = {line.text for line in lines if line.reason}
    kept = {line.text for line in lines if not line.reason}
    if text and title in dropped and title not in kept:
        return title_from(text)
    return title


def _document_lines(raw: RawDocument, removals: list[tuple[int, Removal]]) -> list[_Line]:
    """Every non-blank line, located: line i of a "lines" block sits at its start + i."""
    lines: list[_Line] = []
    for number, block in enumerate(raw.blocks):
        parts = block.text.split("\n")
        place = block.location
        per_line = place.kind == "lines" and len(parts) == place.end - place.start + 1
        for i, part in enumerate(parts):
            where = Location("lines", place.start + i, place.start + i) if per_line else place
            text = normalise_line(part)
            if text:
                lines.append(_Line(text, where, number, len(lines)))
            elif part.strip():  # only invisible characters, e.g. a zero-width space
                escaped = part.strip().encode("unicode_escape").decode("ascii")
                removals.append((len(lines), Removal("whitespace-only line", escaped, where)))
    return lines


def _furniture_reason(text: str) -> str | None:
    words = len(text.split())
    for reason, pattern, max_words in _LINE_RULES:
        if words <= max_words and pattern.fullmatch(text):
            return reason
    return None


def _mark_furniture(lines: list[_Line]) -> None:
    for line in lines:
        line.reason = _furniture_reason(line.text)
    for line, following in zip(lines, lines[1:], strict=False):
        if line.reason or following.reason:
            continue
        for reason, label, value in _PAIR_RULES:
            if label.fullmatch(line.text) and value.fullmatch(following.text):
                line.reason = following.reason = reason
                break


def _mark_repeated_lines(lines: list[_Line]) -> None:
    """Drop a line equal to the kept line before it, or a long line seen anywhere earlier."""
    seen: set[str] = set()
    previous = None
    for line in lines:
        if line.reason:
            continue
        if line.key == previous:
            line.reason = "repeated line"
        elif line.key in seen and len(line.text.split()) >= MIN_REPEAT_WORDS:
            line.reason = REPEATED
        else:
            seen.add(line.key)
            previous = line.key


def _mark_attributions(lines: list[_Line]) -> None:
    for line, following in zip(lines, lines[1:], strict=False):
        if not line.reason and following.reason == REPEATED and _ATTRIBUTION.fullmatch(line.text):
            line.reason = "quote attribution"


def _segments(lines: list[_Line]) -> list[list[_Line]]:
    """Runs of kept lines from one block; a removed line splits a block so locations stay exact."""
    segments: list[list[_Line]] = []
    current: list[_Line] = []
    for line in lines:
        if line.reason or (current and current[-1].block != line.block):
            if current:
                segments.append(current)
            current = []
        if not line.reason:
            current.append(line)
    if current:
        segments.append(current)
    return segments


def _drop_repeated_segments(segments: list[list[_Line]], removals: list[tuple[int, Removal]]) -> list[list[_Line]]:
    """Drop a multi-line paragraph already seen (a reply quoting an earlier post)."""
    seen: set[str] = set()
    kept = []
    for segment in segments:
        quoted = _quoted_start(segment, seen)
        if quoted is None:
            seen.add(_key(segment))
            kept.append(segment)
            continue
        if quoted:
            segment[0].reason = "quote attribution"
        text = "\n".join(line.text for line in segment[quoted:])
        place = _union(line.location for line in segment[quoted:])
        removals.append((segment[quoted].order, Removal(REPEATED, text, place)))
    return kept


def _quoted_start(segment: list[_Line], seen: set[str]) -> int | None:
    """Where a repeat of an earlier paragraph starts in `segment` (after a "said:" line), or None."""
    starts = (0, 1) if _ATTRIBUTION.fullmatch(segment[0].text) else (0,)
    for start in starts:
        rest = segment[start:]
        words = sum(len(line.text.split()) for line in rest)
        if len(rest) > 1 and words >= MIN_REPEAT_WORDS and _key(rest) in seen:
            return start
    return None


def _key(segment: list[_Line]) -> str:
    return "".join(line.key for line in segment)


def _union(locations: Iterable[Location]) -> Location:
    found = None
    for location in locations:
        found = location if found is None else found.union(location)
    assert found is not None, "a segment always has at least one line"
    return found


def _assemble(segments: list[list[_Line]]) -> tuple[str, list[Span]]:
    parts: list[str] = []
    spans: list[Span] = []
    offset = 0
    for segment in segments:
        text = "\n".join(line.text for line in segment)
        spans.append(Span(offset, offset + len(text), _union(line.location for line in segment)))
        parts.append(text)
        offset += len(text) + len(PARAGRAPH_SEPARATOR)
    return PARAGRAPH_SEPARATOR.join(parts), spans


def explain(doc: CleanDocument) -> str:
    """A readable report of what cleaning (and loading) removed, grouped by reason."""
    kept = f"kept {len(doc.spans)} paragraphs ({len(doc.text)} characters)"
    header = [f"{doc.title} ({doc.doc_id})", kept if doc.text else "nothing left after cleaning"]
    if not doc.removed:
        return "\n".join([*header, "nothing removed"])
    groups: dict[str, list[Removal]] = {}
    for removal in doc.removed:
        groups.setdefault(removal.reason, []).append(removal)
    lines = [*header, f"removed {len(doc.removed)} items:"]
    for reason, items in groups.items():
        lines.append(f"  {reason} ({len(items)}):")
        lines += [f"    {_where(item)}: {_short(item.text)}" for item in items]
    return "\n".join(lines)


def _where(removal: Removal) -> str:
    return removal.location.label() if removal.location else "(no location)"


def _short(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= EXPLAIN_TEXT_CHARS:
        return flat or '""'
    return flat[: EXPLAIN_TEXT_CHARS - 1].rstrip() + "…"
