"""Shared by the format parsers: the Parsed result, text decoding and titles."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from index.errors import DocumentError
from index.types import Block, Removal

SNIFF_BYTES = 8192  # binary detection looks at the first 8 KiB, like git and file(1)
MAX_CONTROL_SHARE = 0.05  # text has almost none; random bytes have ~11%
TITLE_MAX_CHARS = 120

_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f") + b"\x7f"
_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass
class Parsed:
    """What a format parser found, before load_file adds identity and hash."""

    blocks: list[Block]
    title: str = ""
    removed: list[Removal] = field(default_factory=list)
    encoding: str | None = None
    warnings: list[str] = field(default_factory=list)
    # Files carried inside this one (an e-mail's attachments): (file name, bytes).
    attachments: list[tuple[str, bytes]] = field(default_factory=list)


def _cause(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return _shorten(text, 100)


# --- text decoding -------------------------------------------------------------------


def looks_binary(data: bytes) -> bool:
    """True when `data` is not text: a NUL byte in the first 8 KiB, or over 5% control bytes.

    Tab, newline, carriage return and form feed do not count. UTF-16 text (which is
    full of NULs) is recognised by its byte-order mark.
    """
    if data.startswith(tuple(bom for bom, _ in _UTF16_BOMS)):
        return False
    sample = data[:SNIFF_BYTES]
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > MAX_CONTROL_SHARE * len(sample)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode file bytes to text with "\\n" newlines; returns (text, encoding name).

    A UTF-8 BOM is stripped ("utf-8-sig"); a UTF-16 BOM selects UTF-16. Strict UTF-8 is
    tried first. If it fails, the file is still taken as damaged UTF-8 when it has a UTF-8
    BOM or at least as many well-formed multi-byte characters as invalid bytes: it is decoded
    with U+FFFD replacements as "utf-8 (N invalid bytes replaced)". (Well-formed multi-byte
    sequences almost never occur by chance in 8-bit text, where nearly every non-ASCII byte
    is invalid UTF-8.) Otherwise it is a legacy 8-bit file, decoded as "cp1252", with latin-1
    for the five bytes cp1252 leaves undefined; latin-1 text decodes the same way.
    """
    for bom, codec in _UTF16_BOMS:
        if data.startswith(bom):
            return _unix_newlines(data[len(bom) :].decode(codec, errors="replace")), "utf-16"
    has_bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if has_bom else data
    try:
        return _unix_newlines(body.decode("utf-8")), "utf-8-sig" if has_bom else "utf-8"
    except UnicodeDecodeError:
        pass
    escaped = body.decode("utf-8", errors="surrogateescape")  # invalid bytes -> U+DC80..U+DCFF
    invalid = len(re.findall("[\udc80-\udcff]", escaped))
    well_formed = len(re.findall("[^\x00-\x7f\udc80-\udcff]", escaped))
    if has_bom or well_formed >= invalid:
        text = body.decode("utf-8", errors="replace")
        return _unix_newlines(text), f"utf-8 ({invalid} invalid bytes replaced)"
    return _unix_newlines(_decode_cp1252(body)), "cp1252"


def _decode_cp1252(data: bytes) -> str:
    # surrogateescape marks the bytes cp1252 leaves undefined; latin-1 maps byte n to U+00nn.
    text = data.decode("cp1252", errors="surrogateescape")
    return re.sub("[\udc80-\udcff]", lambda m: chr(ord(m.group()) - 0xDC00), text)


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decoded(data: bytes) -> tuple[str, str, list[str]]:
    """Text, encoding and warnings for a text-type file; raises for binary or blank files."""
    if looks_binary(data):
        raise DocumentError("binary content in a text file (not indexed)")
    text, encoding = decode_text(data)
    if not text.strip():
        raise DocumentError("empty file")
    notes = [] if encoding in ("utf-8", "utf-8-sig", "utf-16") else [f"decoded as {encoding}"]
    return text, encoding, notes


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def title_from(text: str) -> str:
    """The first non-empty line, whitespace-collapsed and cut at a word boundary."""
    for line in text.splitlines():
        if line.strip():
            return _shorten(" ".join(line.split()), TITLE_MAX_CHARS)
    return ""
