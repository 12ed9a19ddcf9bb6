"""Read e-mail (.eml, .mbox): headers and body as blocks located by message and date, attachments as files.

The headers people search by (From, To, Cc, Date, Subject, and the attachments' names) make the
first block. The body is the plain-text part when there is one, else the HTML part read with
the web-page rules (index/load_html.py). Quoted earlier messages are dropped, as the forum
cleaner drops quoted posts, and kept as removals for `index --explain`: "> " lines with the
"On ... wrote:" line above them, and everything below an Outlook "-----Original Message-----"
or "From: ... Sent: ..." header. Attachments are returned as (name, bytes) for index/load.py
to read as documents of their own ("thread.eml#report.pdf").
"""

from __future__ import annotations

import email
import email.policy
import mimetypes
import re
from email.message import EmailMessage, Message
from pathlib import PurePosixPath

from index.clean import _ATTRIBUTION
from index.decode import Parsed, _decoded, _shorten, title_from
from index.errors import DocumentError
from index.types import Block, Location, Removal

HEADERS = ("From", "To", "Cc", "Date", "Subject")
QUOTED = "quoted earlier message"
REMOVAL_MAX_CHARS = 300
# "On Sat, 2 Mar 2024 at 10:15, Bob Smith <bob@example.com> wrote:" (clients wrap it over two lines)
_REPLY_HEADER = re.compile(r"(On|Am|Le|El|Il) .{4,240}(wrote|schrieb|a écrit|escribió|ha scritto) ?:", re.I | re.S)
_OUTLOOK_SEPARATOR = re.compile(r"-{2,} ?(Original Message|Ursprüngliche Nachricht) ?-{2,}", re.I)
_FORWARD = re.compile(r"(fwd?|wg|tr) ?:", re.I)  # a forward's quoted message is its content: kept
_OUTLOOK_HEADER = re.compile(r"From: .+\n(Sent|Date): .+", re.I)
_QUOTE_TAGS = ("blockquote", "div.gmail_quote", "div.moz-cite-prefix", "div#divRplyFwdMsg", "div#appendonsend")


def _message(data: bytes) -> EmailMessage:
    _decoded(data)  # raises for binary junk or an empty file, like any text file
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # the default policy builds EmailMessage
    if not any(_header(message, name) for name in HEADERS):
        raise DocumentError("not an e-mail message: no From, To, Date or Subject header")
    return message


def _date(message: EmailMessage) -> str:
    """The message's date as YYYY-MM-DD; "" when it has none or an unreadable one."""
    try:
        header = message.get("Date")
        when = getattr(header, "datetime", None)
    except (TypeError, ValueError):  # a malformed Date header
        return ""
    return when.date().isoformat() if when is not None else ""


def _header(message: EmailMessage, name: str) -> str:
    try:
        return " ".join(str(message.get(name, "")).split())
    except (TypeError, ValueError):  # an undecodable header costs only itself
        return ""


# --- the body ------------------------------------------------------------------------------


def _body_text(message: EmailMessage) -> tuple[str, bool]:
    """(text, is_html) of the body: the plain part preferred."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", False
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return str(content), part.get_content_type() == "text/html"


def _without_html_quotes(html: str) -> tuple[str, list[str]]:
    """The HTML without the elements mail clients wrap quoted messages in; and their texts."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    quoted = []
    for selector in _QUOTE_TAGS:
        for tag in soup.select(selector):
            quoted.append(" ".join(tag.get_text(" ").split()))
            tag.decompose()
    return str(soup), [text for text in quoted if text]


def _html_paragraphs(html: str, where: Location) -> tuple[list[str], list[Removal]]:
    from index.load_html import _parse_html

    kept, quoted = _without_html_quotes(html)
    parsed = _parse_html(kept.encode("utf-8"))
    removed = [Removal(r.reason, r.text, where) for r in parsed.removed]
    removed += [Removal(QUOTED, _shorten(text, REMOVAL_MAX_CHARS), where) for text in quoted]
    return [block.text for block in parsed.blocks], removed


def split_quoted(text: str, forwarded: bool = False) -> tuple[str, str]:
    """(the new text, the quoted earlier messages) of a plain-text body; a forward keeps the
    message it forwards below an Outlook header."""
    separator = _OUTLOOK_SEPARATOR.search(text) or (None if forwarded else _OUTLOOK_HEADER.search(text))
    tail = ""
    if separator:
        text, tail = text[: separator.start()], text[separator.start() :]
    kept: list[str] = []
    quoted: list[str] = []
    for line in text.split("\n"):
        (quoted if line.lstrip().startswith(">") else kept).append(line)
    kept_text = "\n".join(kept).rstrip()
    attribution = _trailing_attribution(kept_text) if quoted or tail else None
    if attribution is not None:
        quoted.insert(0, kept_text[attribution:].strip())
        kept_text = kept_text[:attribution].rstrip()
    return kept_text, "\n".join([*quoted, tail]).strip()


def _trailing_attribution(text: str) -> int | None:
    """Where an "On ... wrote:" (or "name wrote:") ending `text` starts, if it does."""
    paragraphs = text.rsplit("\n\n", 1)
    last = paragraphs[-1]
    start = len(text) - len(last)
    flat = " ".join(last.split())
    if _REPLY_HEADER.fullmatch(flat) or _ATTRIBUTION.fullmatch(flat):
        return start
    return None


def _plain_paragraphs(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"\n[ \t]*\n", text) if part.strip()]


# --- attachments ---------------------------------------------------------------------------


def _attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """(unique file name, bytes) of each attachment; an attached e-mail becomes "<name>.eml"."""
    found: list[tuple[str, bytes]] = []
    taken: set[str] = set()
    for n, part in enumerate(message.iter_attachments(), start=1):
        payload = _payload(part)
        if not payload:
            continue
        name = _unique(_file_name(part, n), taken)
        taken.add(name)
        found.append((name, payload))
    return found


def _payload(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        return inner[0].as_bytes() if isinstance(inner, list) and inner and isinstance(inner[0], Message) else b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _file_name(part: Message, n: int) -> str:
    """The attachment's own name without folders; '#' is our id separator, so it goes."""
    name = PurePosixPath((part.get_filename() or "").replace("\\", "/")).name.replace("#", "_").strip()
    if part.get_content_type() == "message/rfc822" and not name.lower().endswith(".eml"):
        return f"{name or f'message-{n}'}.eml"
    if not name:
        return f"attachment-{n}{mimetypes.guess_extension(part.get_content_type()) or ''}"
    return name


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    candidate, copy = name, 1
    while candidate in taken:
        copy += 1
        candidate = f"{stem} ({copy}).{suffix}" if suffix else f"{stem} ({copy})"
    return candidate


# --- the message -------------------------------------------------------------------------------


def parse_eml(data: bytes) -> Parsed:
    """Blocks located "message of 2024-03-02": the headers, then the body's paragraphs.

    Raises DocumentError for a file that is not an e-mail message.
    """
    return _parse_message(_message(data), 1)


def _parse_message(message: EmailMessage, number: int) -> Parsed:
    where = Location("message", number, number, _date(message))
    attachments = _attachments(message)
    headers = [f"{name}: {_header(message, name)}" for name in HEADERS if _header(message, name)]
    if attachments:
        headers.append("Attachments: " + ", ".join(name for name, _ in attachments))
    body, is_html = _body_text(message)
    if is_html:
        paragraphs, removed = _html_paragraphs(body, where)
        body = "\n\n".join(paragraphs)
    else:
        removed = []
    kept, quoted = split_quoted(body, forwarded=bool(_FORWARD.match(_header(message, "Subject"))))
    if quoted:
        removed.append(Removal(QUOTED, _shorten(" ".join(quoted.split()), REMOVAL_MAX_CHARS), where))
    blocks = [Block("\n".join(headers), where)] + [Block(p, where) for p in _plain_paragraphs(kept)]
    title = title_from(_header(message, "Subject")) or title_from(kept)
    return Parsed(blocks, title, removed, attachments=attachments)


# --- mailboxes ---------------------------------------------------------------------------------

_FROM_LINE = re.compile(rb"^From [^\n]*\n", re.M)  # each message of an mbox starts with one


def parse_mbox(data: bytes) -> Parsed:
    """Every message of a Unix mailbox (.mbox), numbered in file order: blocks located
    "message 3 of 2024-03-02", attachments named "3/report.pdf" (ids "box.mbox#3/report.pdf").
    A message that cannot be read is a warning; raises DocumentError when none can."""
    _decoded(data)
    starts = [
        m.start() for m in _FROM_LINE.finditer(data) if m.start() == 0 or data[m.start() - 1 : m.start()] == b"\n"
    ]
    if not starts or data[: starts[0]].strip():
        raise DocumentError('not a mailbox: it does not start with a "From " line; save the messages as .eml')
    parsed = Parsed([])
    for number, (start, end) in enumerate(zip(starts, [*starts[1:], len(data)], strict=True), start=1):
        raw = _FROM_LINE.sub(b"", data[start:end], count=1).replace(b"\n>From ", b"\nFrom ")
        try:
            one = _parse_message(_message(raw), number)
        except DocumentError as exc:
            parsed.warnings.append(f"message {number} not indexed: {exc}")
            continue
        parsed.blocks += one.blocks
        parsed.removed += one.removed
        parsed.attachments += [(f"{number}/{name}", payload) for name, payload in one.attachments]
    if not parsed.blocks:
        raise DocumentError("no readable message in this mailbox")
    return parsed
