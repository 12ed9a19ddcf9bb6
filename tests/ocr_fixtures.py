"""Pictures of text for OCR tests and the OCR benchmark: a clean page, a scan, a phone photo, a PDF of scans."""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Debian's fonts-dejavu-core; Pillow's own bundled font when it is missing.
FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PAGE_DPI = 150  # a "scanned" letter page: 8.5 x 11 in at 150 dpi = 1275 x 1650 px
LETTER = (int(8.5 * PAGE_DPI), 11 * PAGE_DPI)
BODY_PX = 25  # ~12 pt at 150 dpi
MARGIN_PX = 110


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if FONT_PATH.exists():
        return ImageFont.truetype(str(FONT_PATH), size)
    return ImageFont.load_default(size=size)


def render_page(lines: list[str], size: tuple[int, int] = LETTER, text_px: int = BODY_PX) -> Image.Image:
    """A white page with `lines` of black text from the top-left margin (greyscale)."""
    page = Image.new("L", size, 255)
    draw = ImageDraw.Draw(page)
    face = font(text_px)
    y = MARGIN_PX
    for line in lines:
        if line:
            draw.text((MARGIN_PX, y), line, fill=20, font=face)
        y += int(text_px * 1.6)
    return page


def scanned(page: Image.Image, seed: int = 0) -> Image.Image:
    """What a cheap office scanner makes of `page`: grey paper, a slight skew, speckles, JPEG."""
    rng = random.Random(seed)
    paper = page.point(lambda v: int(v * 0.88) + 12)  # grey-ish paper, ink not quite black
    paper = paper.rotate(rng.uniform(-0.8, 0.8), resample=Image.Resampling.BICUBIC, fillcolor=235, expand=False)
    draw = ImageDraw.Draw(paper)
    for _ in range(paper.width * paper.height // 4000):  # dust
        x, y = rng.randrange(paper.width), rng.randrange(paper.height)
        draw.point((x, y), fill=rng.randrange(60, 200))
    paper = paper.filter(ImageFilter.GaussianBlur(0.6))
    return _jpeg_round_trip(paper, quality=70)


def photographed(lines: list[str], seed: int = 0) -> Image.Image:
    """A phone photo of a whiteboard: large text, uneven light, a tilt, soft focus (RGB)."""
    rng = random.Random(seed)
    board = render_page(lines, size=(1400, 120 + 90 * len(lines)), text_px=48).convert("RGB")
    light = Image.linear_gradient("L").resize(board.size).point(lambda v: 200 + v // 5)
    board = Image.composite(board, Image.new("RGB", board.size, (150, 150, 140)), light)
    board = board.rotate(rng.uniform(-2.5, 2.5), resample=Image.Resampling.BICUBIC, fillcolor=(120, 120, 110))
    board = board.filter(ImageFilter.GaussianBlur(1.1))
    return _jpeg_round_trip(board, quality=60)


def blank_photo(size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A picture with no text at all: a sky-to-grass gradient with a few blobs."""
    sky = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(sky)
    for i in range(5):
        x = 80 + 140 * i
        draw.ellipse((x, 350, x + 90, 440), fill=(40 + 30 * i, 120, 60))
    return sky


def _jpeg_round_trip(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).copy()


def image_bytes(image: Image.Image, fmt: str) -> bytes:
    """`image` saved as PNG, JPEG, WEBP or TIFF."""
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def image_pdf(pages: list[Image.Image]) -> bytes:
    """A PDF whose pages are only pictures (no text layer), as a scanner writes it."""
    buffer = io.BytesIO()
    rgb = [page.convert("RGB") for page in pages]
    rgb[0].save(buffer, "PDF", resolution=PAGE_DPI, save_all=True, append_images=rgb[1:])
    return buffer.getvalue()


LETTER_LINES = [
    "Harbour Street Housing Association",
    "14 Quay Road, Port Ellis",
    "",
    "Dear Ms Okafor,",
    "",
    "Thank you for your letter of 3 February about the damp in",
    "flat 12B. Our surveyor, Mr Daniel Reyes, inspected the flat",
    "on 19 February and found a leaking gutter above the kitchen.",
    "The repair is booked for 11 March and will cost the tenant",
    "nothing. We will also replace the bathroom extractor fan.",
    "",
    "If the damp returns after the repair, please call our repairs",
    "line on 0161 555 0199 and quote reference HS-4471.",
    "",
    "Yours sincerely,",
    "Priya Natarajan, Tenancy Services Manager",
]

FORM_LINES = [
    "Vehicle inspection form",
    "Registration: KX19 ODL",
    "Odometer reading at inspection was 48,213 km",
    "Brake pads front: 4 mm (replace soon)",
    "Tyre pressure: 2.3 bar all round",
    "Inspector: Tomasz Wilk",
    "Next inspection due: 30 September 2025",
]

WHITEBOARD_LINES = [
    "Sprint 14 retro",
    "Keep: pairing on the billing bugs",
    "Stop: deploys on Friday",
    "Try: a demo every Thursday",
    "Owner for flaky tests: Amara",
]
