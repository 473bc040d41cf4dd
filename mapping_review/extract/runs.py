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


class _RunBuilder:
    __slots__ = ("best", "bottom", "last_x0", "n_bold", "n_chars", "parts", "sizes", "space", "top", "x0", "x1")

    def __init__(self, ch: Char) -> None:
        self.parts = [ch[0]]
        self.x0, self.top, self.x1, self.bottom = ch[1], ch[2], ch[3], ch[4]
        self.last_x0 = ch[1]
        self.sizes = {ch[5]: 1}
        self.best = ch[5]  # the size most characters have (ties: the larger)
        self.n_bold = int(ch[6])
        self.n_chars = 1
        self.space = False

    def accepts(self, ch: Char) -> bool:
        size = ch[5] if ch[5] > 1.0 else 1.0
        if abs(ch[4] - self.bottom) > BASELINE_SHIFT * (size if size > self.best else self.best):
            return False
        gap = ch[1] - self.x1
        # a ligature's second letter shares the first one's box: not a step back
        return (-0.3 * size <= gap or ch[1] >= self.last_x0 - 0.1 * size) and gap <= RUN_GAP * size

    def add(self, ch: Char) -> None:
        size = ch[5] if ch[5] > 1.0 else 1.0
        if self.space or ch[1] - self.x1 > WORD_GAP * size:
            self.parts.append(" ")
        self.space = False
        self.parts.append(ch[0])
        self.last_x0 = ch[1]
        if ch[3] > self.x1:
            self.x1 = ch[3]
        if ch[2] < self.top:
            self.top = ch[2]
        if ch[4] > self.bottom:
            self.bottom = ch[4]
        count = self.sizes[ch[5]] = self.sizes.get(ch[5], 0) + 1
        best = self.sizes[self.best]
        if count > best or (count == best and ch[5] > self.best):
            self.best = ch[5]
        self.n_bold += int(ch[6])
        self.n_chars += 1

    def build(self) -> Run:
        return Run(
            text="".join(self.parts),
            x0=round(self.x0, 2),
            top=round(self.top, 2),
            x1=round(self.x1, 2),
            bottom=round(self.bottom, 2),
            size=round(self.best, 2),
            bold=self.n_bold * 2 > self.n_chars,
        )


def orientation(a: float, b: float) -> int:
    """Rotation of text (0, 90, 180 or 270 degrees) from its matrix's first column."""
    return round(math.degrees(math.atan2(b, a)) / 90) % 4 * 90


def upright_chars(
    items: Iterable[tuple[Char, int]], width: float, height: float
) -> tuple[list[Char], int, float, float]:
    """The characters of the page's main text direction, turned upright.

    Returns the characters, the rotation they had, and the width and height
    of the turned page. Text in other directions (a rotated margin stamp) is
    left out of the reading flow.
    """
    buckets: dict[int, list[Char]] = {}
    for ch, rot in items:
        buckets.setdefault(rot, []).append(ch)
    if not buckets:
        return [], 0, width, height
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
    """Group characters (content-stream order) into runs of text."""
    runs: list[Run] = []
    current: _RunBuilder | None = None
    for ch in chars:
        text = ch[0]
        if text in ("\r", "\n"):
            if current is not None:
                runs.append(current.build())
                current = None
            continue
        if text.isspace():
            if current is not None:
                current.space = True
            continue
        if current is not None and current.accepts(ch):
            current.add(ch)
            continue
        if current is not None:
            runs.append(current.build())
        current = _RunBuilder(ch)
    if current is not None:
        runs.append(current.build())
    return runs
