"""Compare the offline OCR engines on rendered scans: character accuracy and seconds per page.

Run: .venv/bin/python -m bench.ocr_engines
Engines measured when importable: Tesseract through pytesseract (Debian's `tesseract-ocr`, the one
the product uses) and `rapidocr-onnxruntime` (PP-OCRv4 ONNX models inside its wheel; install it
in a scratch venv to compare: it pulls opencv-python and shapely). Accuracy is 1 - edit distance /
reference length on whitespace-collapsed text; a dropped space counts as one error.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

from PIL import Image

from tests.ocr_fixtures import (
    FORM_LINES,
    LETTER_LINES,
    WHITEBOARD_LINES,
    photographed,
    render_page,
    scanned,
)

Engine = Callable[[Image.Image], str]


def fixtures() -> dict[str, tuple[Image.Image, str]]:
    """name -> (picture, the text on it)."""
    return {
        "clean letter page": (render_page(LETTER_LINES), "\n".join(LETTER_LINES)),
        "scanned letter page": (scanned(render_page(LETTER_LINES), seed=1), "\n".join(LETTER_LINES)),
        "scanned form page": (scanned(render_page(FORM_LINES), seed=2), "\n".join(FORM_LINES)),
        "whiteboard photo": (photographed(WHITEBOARD_LINES, seed=3), "\n".join(WHITEBOARD_LINES)),
    }


def tesseract() -> Engine | None:
    try:
        import pytesseract

        pytesseract.get_tesseract_version()
    except Exception:
        return None
    return lambda image: pytesseract.image_to_string(image, lang="eng", config="--psm 3")


def rapidocr() -> Engine | None:
    try:
        from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-not-found]
    except ImportError:
        return None
    engine = RapidOCR()

    def read(image: Image.Image) -> str:
        import numpy as np

        result, _ = engine(np.asarray(image.convert("RGB")))
        return "\n".join(text for _box, text, _score in result or [])

    return read


def accuracy(reference: str, found: str) -> float:
    """1 - Levenshtein distance / len(reference), on whitespace-collapsed text (floored at 0)."""
    a, b = " ".join(reference.split()), " ".join(found.split())
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return max(0.0, 1 - previous[-1] / max(1, len(a)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="runs per picture; the fastest counts")
    args = parser.parse_args()
    engines = {"tesseract": tesseract(), "rapidocr": rapidocr()}
    print(f"cores: {os.cpu_count()}")
    for name, engine in engines.items():
        if engine is None:
            print(f"{name}: not installed")
            continue
        engine(render_page(["warm up"]))  # model loading is not per page
        total_acc, total_s = 0.0, 0.0
        for label, (image, reference) in fixtures().items():
            seconds = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                text = engine(image)
                seconds.append(time.perf_counter() - started)
            acc = accuracy(reference, text)
            total_acc, total_s = total_acc + acc, total_s + min(seconds)
            print(f"{name:10} {label:20} {image.width}x{image.height}  accuracy {acc:6.1%}  {min(seconds):5.2f} s")
        count = len(fixtures())
        print(f"{name:10} {'mean':20} {'':9}  accuracy {total_acc / count:6.1%}  {total_s / count:5.2f} s/page")


if __name__ == "__main__":
    main()
