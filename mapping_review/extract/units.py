"""What the PDF keeps together: runs drawn one after another as lines of one paragraph, bubble or
box become a unit that reading order moves whole; figure labels are taken out of the text.

A run joins the unit of the run drawn just before it when it is that run's next line (just
below, overlapping it, aligned left, centred or right, in the same size) or carries on its line
after a small gap. Illustrated guides draw each bubble and caption this way, so a unit is read
whole even where the white space between pictures would cut it apart.

A figure label is a unit that names a picture rather than saying something: a picture number
("21C") on a page with pictures, or a few words without an end mark standing on a picture
("HEADACHES", "VALUES").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from mapping_review.extract.layout import TAG, runs_to_lines
from mapping_review.extract.model import Line, Run, Shape

SAME_SIZE = 0.15  # relative size difference within a unit
LINE_GAP = 0.8  # of the font size: the white space between two lines of one unit at most
ALIGN = 2.5  # of the font size: left edges (hanging indents included) this close are aligned
CENTRE = 1.5  # of the font size: centres this close are aligned
WORD_GAP = 2.0  # of the font size: a run this close after another on its line carries it on
LABEL = re.compile(r"^\d{1,3}[A-Z]{1,2}$")
MARKER = re.compile(r"^(?:[\d.]+|[•◦▪●■►▸–—*»›-]|\(?[a-zA-Z0-9]{1,3}[.)])$")  # numbers and bullets
ART_WORDS, ART_CHARS = 3, 30  # at most this many words / characters in a label standing on a picture
ENDS_SENTENCE = (".", "!", "?", "…", ":", ";", '"', "”", "’")
FIGURE_SHARE = 0.5  # a picture larger than this share of the page is a background


@dataclass(frozen=True, slots=True)
class Unit:
    runs: tuple[Run, ...]
    x0: float
    top: float
    x1: float
    bottom: float
    size: float

    @property
    def text(self) -> str:
        return " ".join(r.text for r in self.runs)


def _unit(runs: Sequence[Run]) -> Unit:
    sizes: Counter[float] = Counter()
    for run in runs:
        sizes[run.size] += len(run.text)
    return Unit(
        runs=tuple(runs), x0=min(r.x0 for r in runs), top=min(r.top for r in runs),
        x1=max(r.x1 for r in runs), bottom=max(r.bottom for r in runs), size=sizes.most_common(1)[0][0],
    )


def _carries_on(a: Run, b: Run, x0: float) -> bool:
    """``b``, drawn right after ``a``, is the next line of the line that ``a`` ends (and that starts
    at ``x0``), or the rest of that line."""
    size = max(a.size, b.size)
    if abs(a.size - b.size) > SAME_SIZE * size:
        return False
    if abs(b.bottom - a.bottom) <= 0.3 * size:
        return 0 <= b.x0 - a.x1 <= WORD_GAP * size
    below = b.bottom > a.bottom + 0.5 * size and b.top - a.bottom <= LINE_GAP * size
    overlap = min(a.x1, b.x1) > max(x0, b.x0)
    aligned = (
        abs(b.x0 - x0) <= ALIGN * size
        or abs((b.x0 + b.x1) - (x0 + a.x1)) / 2 <= CENTRE * size
        or abs(b.x1 - a.x1) <= size
    )
    return below and overlap and aligned


def content_units(runs: Sequence[Run]) -> list[Unit]:
    """The runs (in the order the PDF draws them) grouped into units."""
    groups: list[list[Run]] = []
    line_x0 = 0.0  # where the line the last run ends starts (a bullet drawn apart from its text)
    for run in runs:
        if groups and _carries_on(groups[-1][-1], run, line_x0):
            if abs(run.bottom - groups[-1][-1].bottom) > 0.3 * run.size:
                line_x0 = run.x0
            groups[-1].append(run)
        else:
            groups.append([run])
            line_x0 = run.x0
    return [_unit(g) for g in groups]


def _inside(unit: Unit, boxes: Sequence[Shape]) -> bool:
    cx, cy = (unit.x0 + unit.x1) / 2, (unit.top + unit.bottom) / 2
    return any(b.x0 <= cx <= b.x1 and b.top <= cy <= b.bottom for b in boxes)


def split_labels(
    units: Sequence[Unit], shapes: Sequence[Shape], *, width: float, height: float
) -> tuple[list[Unit], list[Unit]]:
    """(units of running text, figure labels) of a page."""
    limit = FIGURE_SHARE * width * height
    figures = [s for s in shapes if s.kind in ("image", "outline") and (s.x1 - s.x0) * (s.bottom - s.top) < limit]
    if not figures:
        return list(units), []
    images = [s for s in figures if s.kind == "image"]
    text: list[Unit] = []
    labels: list[Unit] = []
    for unit in units:
        words = unit.text.split()
        numbered = all(LABEL.match(w) for w in words)
        on_picture = (
            len(words) <= ART_WORDS and len(unit.text) <= ART_CHARS
            and not unit.text.endswith(ENDS_SENTENCE) and _inside(unit, images)
        )
        (labels if numbered or on_picture else text).append(unit)
    return text, labels


def units_to_lines(units: Sequence[Unit]) -> tuple[list[Line], set[int]]:
    """Lines of the units of one region, each unit's lines kept together, units in order of their
    tops; and the indices of the lines that start a unit. A number, bullet or date tag on the same
    row as a line of a longer unit, just beside it (a recommendation number), joins that line."""
    one_line = [_one_line(u) for u in units]
    long_units = [list(u.runs) for u, single in zip(units, one_line) if not single]
    loose: list[Run] = []
    for unit, single in zip(units, one_line):
        if not single:
            continue
        marker = MARKER.match(unit.text) or TAG.match(unit.text)
        home = next((g for g in long_units if any(_beside(unit, r) for r in g)), None) if marker else None
        if home is not None:
            home.extend(unit.runs)
        else:
            loose.extend(unit.runs)
    groups = [runs_to_lines(g) for g in long_units] + [[ln] for ln in runs_to_lines(loose)]
    groups.sort(key=lambda g: (g[0].top, g[0].x0))
    lines: list[Line] = []
    starts: set[int] = set()
    for group in groups:
        starts.add(len(lines))
        lines.extend(group)
    return lines, starts


def _one_line(unit: Unit) -> bool:
    """All the unit's runs share one row (overlap the first run by half the smaller height)."""
    first = unit.runs[0]
    return all(
        min(first.bottom, r.bottom) - max(first.top, r.top) >= 0.5 * min(first.height, r.height) for r in unit.runs
    )


def _beside(unit: Unit, run: Run) -> bool:
    overlap = min(unit.bottom, run.bottom) - max(unit.top, run.top)
    if overlap < 0.5 * min(unit.bottom - unit.top, run.bottom - run.top):
        return False
    gap = max(run.x0 - unit.x1, unit.x0 - run.x1)
    return gap <= 3 * max(unit.size, run.size)
