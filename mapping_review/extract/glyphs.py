"""Where each character of a page is drawn (PDFium's loose character boxes), and finding a piece of
extracted text among them - so that a sentence, or the words matched in it, can be marked on the page
image itself rather than the whole paragraph around it.

Text is found by its letters and digits only (NFKC, case-folded), which survive what extraction does to
spacing, hyphenation, ligatures and line ends. Boxes are in page coordinates: points from the top-left
of the media box, the coordinates of blocks and segments. Pages whose text runs in another direction
give no glyphs (callers fall back to the paragraph's box).
"""

from __future__ import annotations

import ctypes
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass(frozen=True)
class Glyphs:
    """The page's letters and digits in drawing order (``letters``) and each one's box."""

    letters: str
    boxes: tuple[Box, ...]


def _letters(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def page_glyphs(path: Path, number: int, *, password: str | None = None) -> Glyphs:
    """The letters and digits drawn on page ``number`` (1-based) and their boxes. Not thread-safe: PDFium
    must be used by one thread at a time."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pdfium.PdfDocument(str(path), password=password or None)
    try:
        page = pdf[number - 1]
        left, _, _, top = page.get_mediabox()
        if page.get_rotation():
            return Glyphs("", ())
        textpage = page.get_textpage()
        try:
            n = textpage.count_chars()
            text = textpage.get_text_range(0, n) if n else ""
            text = (text + " " * n)[:n]
            rect = pdfium_c.FS_RECTF()
            letters, boxes = [], []
            for i, ch in enumerate(text):
                folded = _letters(ch)
                if not folded:
                    continue
                pdfium_c.FPDFText_GetLooseCharBox(textpage.raw, i, ctypes.byref(rect))
                if rect.top <= rect.bottom or rect.right < rect.left:
                    continue
                box = (rect.left - left, top - rect.top, rect.right - left, top - rect.bottom)
                for letter in folded:
                    letters.append(letter)
                    boxes.append(box)
        finally:
            textpage.close()
    finally:
        pdf.close()
    return Glyphs("".join(letters), tuple(boxes))


def _centre_distance(boxes: Sequence[Box], near: Box) -> float:
    x = sum((b[0] + b[2]) / 2 for b in boxes) / len(boxes)
    y = sum((b[1] + b[3]) / 2 for b in boxes) / len(boxes)
    return abs(x - (near[0] + near[2]) / 2) + abs(y - (near[1] + near[3]) / 2)


def find_text(glyphs: Glyphs, text: str, *, near: Box | None = None) -> tuple[int, int] | None:
    """Where ``text`` is drawn: the range of glyph letters, the occurrence nearest ``near`` when it is drawn
    more than once; None when its letters are not all on the page."""
    key = _letters(text)
    if not key:
        return None
    hits, at = [], glyphs.letters.find(key)
    while at >= 0:
        hits.append(at)
        at = glyphs.letters.find(key, at + 1)
    if not hits:
        return None
    if near is not None and len(hits) > 1:
        hits.sort(key=lambda h: _centre_distance(glyphs.boxes[h:h + len(key)], near))
    return hits[0], hits[0] + len(key)


def line_rects(boxes: Sequence[Box], *, pad: float = 1.5) -> list[Box]:
    """Character boxes merged into one rectangle per line (a new line where a box starts left of the last
    one or does not overlap it vertically), each grown by ``pad`` points so that an outline drawn on its
    edge never covers a glyph."""
    rects: list[list[float]] = []
    for x0, top, x1, bottom in boxes:
        last = rects[-1] if rects else None
        same_line = last is not None and x0 >= last[0] - 1 and top < last[3] and bottom > last[1]
        if last is not None and same_line:
            last[1], last[2], last[3] = min(last[1], top), max(last[2], x1), max(last[3], bottom)
        else:
            rects.append([x0, top, x1, bottom])
    return [(r[0] - pad, r[1] - pad, r[2] + pad, r[3] + pad) for r in rects]


def text_rects(glyphs: Glyphs, text: str, *, near: Box | None = None, part: tuple[int, int] | None = None,
               pad: float = 1.5) -> tuple[list[Box], list[Box]]:
    """The line rectangles of ``text`` on the page, and of its characters ``part`` (start, end offsets in
    ``text``, e.g. the matched words); empty lists when it cannot be placed."""
    span = find_text(glyphs, text, near=near)
    if span is None:
        return [], []
    whole = line_rects(glyphs.boxes[span[0]:span[1]], pad=pad)
    if part is None or not 0 <= part[0] < part[1] <= len(text):
        return whole, []
    start = span[0] + len(_letters(text[:part[0]]))
    end = span[0] + len(_letters(text[:part[1]]))
    return whole, line_rects(glyphs.boxes[start:end], pad=pad / 2) if end > start else []
