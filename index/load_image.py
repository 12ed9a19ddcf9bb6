"""Read a picture file (PNG, JPEG, WebP, TIFF) by OCR into paragraph blocks; a TIFF's frames are pages."""

from __future__ import annotations

from index.decode import Parsed, title_from
from index.errors import DocumentError
from index.ocr import Ocr, frame_count
from index.types import OCR, Block, Location


def parse_image(data: bytes, ocr: Ocr) -> Parsed:
    """Blocks located "image (OCR)", or "page N (OCR)" for each frame of a multi-page TIFF.

    Raises DocumentError when the picture cannot be decoded, the OCR engine is missing, or
    no text is found in it.
    """
    frames = frame_count(data)
    blocks: list[Block] = []
    for frame in range(frames):
        location = Location("pages", frame + 1, frame + 1, OCR) if frames > 1 else Location("image", 1, 1, OCR)
        where = f"page {frame + 1} of {frames}" if frames > 1 else "picture"
        blocks += [Block(text, location) for text in ocr.read(data, where, frame)]
    if not blocks:
        raise DocumentError("no text found in this picture (OCR)")
    return Parsed(blocks, title_from(blocks[0].text))
