"""Write small real PDFs (Helvetica text, one content stream per page) for tests."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfReader, PdfWriter

LINE_HEIGHT = 14  # points; 11 pt text with a little leading
TOP_OF_PAGE = 750  # points from the bottom of a US Letter page (792 pt tall)


def write_pdf(path: Path, pages: list[str], encrypt_password: str | None = None) -> Path:
    """Write a PDF with one page per string; each "\\n" starts a new text line.

    An empty line in a page string leaves a blank line on the page. With
    `encrypt_password` the file is encrypted (RC4, so pypdf needs no crypto library).
    Returns `path`.
    """
    data = pdf_bytes(pages)
    if encrypt_password is not None:
        data = _encrypt(data, encrypt_password)
    path.write_bytes(data)
    return path


def pdf_bytes(pages: list[str]) -> bytes:
    """The bytes of an unencrypted PDF showing `pages` (see `write_pdf`)."""
    page_count = len(pages)
    # Object numbers: 1 catalog, 2 page tree, 3 font, then a page and its content per page.
    page_ids = [4 + 2 * i for i in range(page_count)]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % i for i in page_ids) + b"] /Count %d >>" % page_count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for page_id, text in zip(page_ids, pages, strict=False):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1)
        )
        objects.append(_stream(_content(text)))
    return _assemble(objects)


def _content(text: str) -> bytes:
    """A content stream drawing each line of `text` below the previous one."""
    ops = [b"BT", b"/F1 11 Tf", b"%d TL" % LINE_HEIGHT, b"72 %d Td" % TOP_OF_PAGE]
    for line in text.split("\n"):
        if line:
            ops.append(b"(" + _escape(line) + b") Tj")
        ops.append(b"T*")
    ops.append(b"ET")
    return b"\n".join(ops)


def _escape(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def _assemble(objects: list[bytes]) -> bytes:
    """Number the objects from 1 and add the cross-reference table and trailer."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref_at = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return out.getvalue()


def _encrypt(data: bytes, password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
