"""Reading text from pictures offline with Tesseract, once per picture: results are cached by content.

Tesseract comes from Debian (`apt-get install tesseract-ocr`, or `make install-ocr`) and is
driven through pytesseract; nothing is downloaded at run time. It was chosen by measurement
over rapidocr-onnxruntime (README, "Scanned pages and pictures"; bench/ocr_engines.py).

OCR costs 1-3 s a page on 2 cores, so each picture is read once: the paragraphs found go to
`<ASSISTANT_HOME>/ocr/<sha256 of the picture>.json`, and a re-index of a changed file next to
it, or of a changed e-mail carrying the same scan, reads the cache. Unchanged files are never
loaded at all (index/ingest.py). When Tesseract is missing, each picture fails with one
DocumentError saying how to install it, and `warnings()` says it once for the run.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from index.decode import _cause
from index.errors import DocumentError

if TYPE_CHECKING:
    from PIL.Image import Image

    from index.settings import IndexSettings

ENGINE_MISSING = "OCR engine not installed: apt-get install tesseract-ocr (or make install-ocr)"
DEFAULT_LANGUAGES = "eng"
MAX_SIDE_PX = 3000  # a 12 MP phone photo (4032 px) is scaled down: text stays legible, OCR ~2x faster
MIN_WORD_CONFIDENCE = 30  # Tesseract's 0-100; below this a "word" is mostly a speck or a texture
TIMEOUT_S = 180  # one picture; a stuck Tesseract must not stop the run
CACHE_VERSION = 1


class OcrEngine(Protocol):
    """Something that finds paragraphs of text in a picture."""

    @property
    def name(self) -> str:
        """Engine, version and languages: a cached result records it."""
        ...

    def paragraphs(self, image: Image) -> list[str]:
        """The picture's paragraphs in reading order, lines joined by "\\n"; [] when it has none."""
        ...


@dataclass(frozen=True)
class TesseractEngine:
    """Tesseract through pytesseract: words grouped into lines and paragraphs, specks dropped."""

    version: str
    languages: str = DEFAULT_LANGUAGES

    @property
    def name(self) -> str:
        return f"tesseract {self.version} {self.languages}"

    @classmethod
    def find(cls, languages: str = DEFAULT_LANGUAGES) -> tuple[TesseractEngine | None, str]:
        """The engine, or None and the reason it cannot run (what to install). Asking costs two
        subprocesses (~0.1 s): an indexing run asks once (Ocr.from_settings) and keeps the answer."""
        try:
            import pytesseract

            version = str(pytesseract.get_tesseract_version())
            installed = set(pytesseract.get_languages(config=""))
        except Exception:  # not installed (TesseractNotFoundError), or not runnable
            return None, ENGINE_MISSING
        missing = [lang for lang in languages.split("+") if lang not in installed]
        if missing:
            packages = " ".join(f"tesseract-ocr-{lang}" for lang in missing)
            return None, f"OCR language data missing for {'+'.join(missing)}: apt-get install {packages}"
        return cls(version, languages), ""

    def paragraphs(self, image: Image) -> list[str]:
        import pytesseract

        try:
            data = pytesseract.image_to_data(
                image, lang=self.languages, output_type=pytesseract.Output.DICT, timeout=TIMEOUT_S
            )
        except RuntimeError as exc:  # pytesseract's timeout
            raise DocumentError(f"OCR gave up after {TIMEOUT_S} s on a picture; split or shrink it") from exc
        except pytesseract.TesseractError as exc:
            raise DocumentError(f"OCR failed: {_cause(exc)}") from exc
        return _paragraphs(data)


def _paragraphs(data: dict[str, list[Any]]) -> list[str]:
    """Tesseract's word table as paragraphs: confident words, per (block, paragraph, line)."""
    lines: dict[tuple[int, int], dict[int, list[str]]] = {}
    for i, word in enumerate(data["text"]):
        word = str(word).strip()
        if not word or float(data["conf"][i]) < MIN_WORD_CONFIDENCE:
            continue
        paragraph = (int(data["block_num"][i]), int(data["par_num"][i]))
        lines.setdefault(paragraph, {}).setdefault(int(data["line_num"][i]), []).append(word)
    found = []
    for by_line in lines.values():
        text = "\n".join(" ".join(words) for _, words in sorted(by_line.items()))
        if any(sum(ch.isalnum() for ch in word) >= 2 for word in text.split()):
            found.append(text)
    return found


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _quiet(message: str) -> None:
    pass


@dataclass
class _Tally:
    """Shared by every view of one run's Ocr: pictures that could not be read for lack of an engine."""

    missing: int = 0


@dataclass(frozen=True)
class Ocr:
    """OCR for one indexing run: an engine (None when missing), a cache folder, a progress line."""

    engine: OcrEngine | None
    cache: Path | None = None  # None: no caching (a one-off `index --explain`)
    missing_reason: str = ENGINE_MISSING
    notify: Callable[[str], None] = _stderr
    source: str = ""  # the file being read, for progress lines
    tally: _Tally = field(default_factory=_Tally)

    @classmethod
    def from_settings(cls, settings: IndexSettings) -> Ocr:
        engine, reason = TesseractEngine.find(settings.ocr_languages)
        return cls(engine, settings.home / "ocr", reason or ENGINE_MISSING)

    @classmethod
    def uncached(cls, languages: str = DEFAULT_LANGUAGES) -> Ocr:
        """No cache and no progress lines: for reading one file outside an indexing run."""
        engine, reason = TesseractEngine.find(languages)
        return cls(engine, None, reason or ENGINE_MISSING, notify=_quiet)

    def about(self, source: str) -> Ocr:
        """The same OCR, naming `source` in its progress lines."""
        return Ocr(self.engine, self.cache, self.missing_reason, self.notify, source, self.tally)

    def read(self, data: bytes, where: str, frame: int = 0) -> list[str]:
        """The paragraphs in the picture `data` (an image file's bytes; `frame` of a multi-page
        TIFF), from the cache when it was read before.

        Raises DocumentError when the engine is missing or the picture cannot be decoded.
        """
        key = hashlib.sha256(data).hexdigest() + (f"-{frame}" if frame else "")
        cached = self._cached(key)
        if cached is not None:
            return cached
        if self.engine is None:
            self.tally.missing += 1
            raise DocumentError(self.missing_reason)
        started = time.perf_counter()
        found = self.engine.paragraphs(prepare_image(data, frame))
        seconds = time.perf_counter() - started
        words = sum(len(p.split()) for p in found)
        self.notify(f"OCR {self.source} {where}: {words} words in {seconds:.1f} s")
        self._store(key, found)
        return found

    def warnings(self) -> list[str]:
        """One line for the run when pictures were left unread for lack of an engine."""
        if not self.tally.missing:
            return []
        return [f"{self.missing_reason} ({self.tally.missing} pictures or scanned pages not read)"]

    def _cached(self, key: str) -> list[str] | None:
        if self.cache is None:
            return None
        try:
            body = json.loads((self.cache / f"{key}.json").read_text())
        except (OSError, ValueError):
            return None
        usable = self.engine is None or body.get("engine") == self.engine.name
        if body.get("version") != CACHE_VERSION or not usable:
            return None
        paragraphs = body.get("paragraphs")
        return [str(p) for p in paragraphs] if isinstance(paragraphs, list) else None

    def _store(self, key: str, paragraphs: list[str]) -> None:
        if self.cache is None or self.engine is None:
            return
        body = {"version": CACHE_VERSION, "engine": self.engine.name, "paragraphs": paragraphs}
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            tmp = self.cache / f".{key}.tmp"
            tmp.write_text(json.dumps(body))
            tmp.replace(self.cache / f"{key}.json")
        except OSError:
            pass  # a read-only home only costs a second OCR next time


def frame_count(data: bytes) -> int:
    """How many pages a picture file has (a TIFF can hold several); raises DocumentError."""
    image = _open(data)
    return int(getattr(image, "n_frames", 1))


def prepare_image(data: bytes, frame: int = 0) -> Image:
    """The picture as Tesseract reads it best: upright (EXIF), greyscale on white, at most
    MAX_SIDE_PX on its longer side. Raises DocumentError for a file Pillow cannot decode."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    image = _open(data)
    try:
        image.seek(frame)
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            image = PILImage.new("RGBA", rgba.size, "white")
            image.alpha_composite(rgba)
        image = image.convert("L")
    except Exception as exc:  # truncated data, an odd mode
        raise DocumentError(f"picture could not be decoded: {_cause(exc)}") from exc
    if max(image.size) > MAX_SIDE_PX:
        image.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX))
    return image


def _open(data: bytes) -> Image:
    import io

    from PIL import Image as PILImage

    try:
        image = PILImage.open(io.BytesIO(data))
        image.load()
    except PILImage.DecompressionBombError as exc:
        raise DocumentError("picture too large to read (over 178 million pixels); scale it down") from exc
    except Exception as exc:  # UnidentifiedImageError, truncated files, unsupported codecs
        raise DocumentError(f"not a readable picture: {_cause(exc)}") from exc
    return image
