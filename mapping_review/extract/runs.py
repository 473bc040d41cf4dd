"""Characters to runs: the one place that looks at single characters.

A *char* here is ``(text, x0, top, x1, bottom, size, bold)`` in content-stream
order. A run continues while characters follow each other on one baseline;
a gap of a fifth of the font size becomes a word space, a gap of more than
one em (or a step back, or a new baseline) starts a new run. Engines that do
not report spaces (pdfplumber) and engines that generate them (PDFium) end up
with the same runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from mapping_review.extract.model import Run

Char = tuple[str, float, float, float, float, float, bool]

WORD_GAP = 0.2  # of the font size: wider gaps are word spaces
RUN_GAP = 1.0  # wider gaps start a new run
BASELINE_SHIFT = 0.45  # of the font size: a larger jump is a new line


def orientation(a: float, b: float) -> int:
    """Rotation of text (0, 90, 180 or 270 degrees) from its matrix's first column."""
    return round(math.degrees(math.atan2(b, a)) / 90) % 4 * 90


def upright_chars(
    chars: list[Char], rots: list[int], width: float, height: float
) -> tuple[list[Char], int, float, float]:
    """The characters of the page's main text direction, turned upright.

    ``rots`` holds the rotation of each character. Returns the characters, the rotation they had,
    and the width and height of the turned page. Text in other directions (a rotated margin stamp)
    is left out of the reading flow.
    """
    if not chars:
        return [], 0, width, height
    directions = set(rots)
    if directions == {0}:  # nearly every page: nothing to sort or turn
        return chars, 0, width, height
    buckets: dict[int, list[Char]] = {}
    for ch, rot in zip(chars, rots):
        buckets.setdefault(rot, []).append(ch)
    rot = max(buckets, key=lambda r: (sum(1 for c in buckets[r] if not c[0].isspace()), r == 0))
    chars = buckets[rot]
    if rot == 0:
        return chars, 0, width, height
    turned = [(c[0], *turn_box((c[1], c[2], c[3], c[4]), rot, width, height), c[5], c[6]) for c in chars]
    w, h = (height, width) if rot in (90, 270) else (width, height)
    return turned, rot, w, h


Box = tuple[float, float, float, float]


def turn_box(box: Box, rot: int, width: float, height: float) -> Box:
    """A page box (x0, top, x1, bottom) in the frame where text turned by ``rot`` reads upright."""
    x0, top, x1, bottom = box
    if rot == 90:
        return (height - bottom, x0, height - top, x1)
    if rot == 270:
        return (top, width - x1, bottom, width - x0)
    if rot == 180:
        return (width - x1, height - bottom, width - x0, height - top)
    return box


def unturn_box(box: Box, rot: int, width: float, height: float) -> Box:
    """The inverse of :func:`turn_box` (``width``/``height`` of the original page)."""
    x0, top, x1, bottom = box
    if rot == 90:
        return (top, height - x1, bottom, height - x0)
    if rot == 270:
        return (width - bottom, x0, width - top, x1)
    if rot == 180:
        return (width - x1, height - bottom, width - x0, height - top)
    return box


def chars_to_runs(chars: Iterable[Char]) -> list[Run]:
    """Group characters (content-stream order) into runs of text.

    One loop with the run being built in local variables: this is the hottest loop of extraction
    (it sees every character of every page).
    """
    runs: list[Run] = []
    parts: list[str] = []
    x0 = top = x1 = bottom = last_x0 = best = 0.0
    sizes: dict[float, int] = {}
    n_bold = n_chars = 0
    space = False
    for text, c_x0, c_top, c_x1, c_bottom, c_size, c_bold in chars:
        if text in ("\r", "\n"):
            if parts:
                runs.append(_run(parts, x0, top, x1, bottom, best, n_bold, n_chars))
                parts = []
            continue
        if text.isspace():
            space = True
            continue
        size = c_size if c_size > 1.0 else 1.0
        if parts:
            gap = c_x0 - x1
            if (
                abs(c_bottom - bottom) <= BASELINE_SHIFT * (size if size > best else best)
                # a ligature's second letter shares the first one's box: not a step back
                and (-0.3 * size <= gap or c_x0 >= last_x0 - 0.1 * size) and gap <= RUN_GAP * size
            ):
                if space or gap > WORD_GAP * size:
                    parts.append(" ")
                space = False
                parts.append(text)
                last_x0 = c_x0
                if c_x1 > x1:
                    x1 = c_x1
                if c_top < top:
                    top = c_top
                if c_bottom > bottom:
                    bottom = c_bottom
                count = sizes[c_size] = sizes.get(c_size, 0) + 1
                most = sizes[best]
                if count > most or (count == most and c_size > best):
                    best = c_size
                n_bold += c_bold
                n_chars += 1
                continue
            runs.append(_run(parts, x0, top, x1, bottom, best, n_bold, n_chars))
        parts = [text]
        x0, top, x1, bottom, last_x0 = c_x0, c_top, c_x1, c_bottom, c_x0
        sizes = {c_size: 1}
        best = c_size  # the size most characters have (ties: the larger)
        n_bold, n_chars, space = int(c_bold), 1, False
    if parts:
        runs.append(_run(parts, x0, top, x1, bottom, best, n_bold, n_chars))
    return runs


def _run(parts: list[str], x0: float, top: float, x1: float, bottom: float, best: float, n_bold: int,
         n_chars: int) -> Run:
    return Run(text="".join(parts), x0=round(x0, 2), top=round(top, 2), x1=round(x1, 2), bottom=round(bottom, 2),
               size=round(best, 2), bold=n_bold * 2 > n_chars)
