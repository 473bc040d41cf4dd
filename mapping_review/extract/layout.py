"""Runs to lines, lines to draft blocks (paragraphs and list items)."""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, field

from mapping_review.extract.model import Line, Run
from mapping_review.extract.textnorm import normalize

BULLET = re.compile(
    r"^(?:[•◦▪▫●○■□►▸‣⁃–—\-*✓✔➢➤◆◇❖→»›]\s*|\(?(?:\d{1,2}|[a-zA-Z]|[ivxIVX]{1,4})[.)]\s+)(?=\S)"
)
NUMBERED = re.compile(r"^((?:\d{1,2}\.){1,4}\d{1,3})\.?\s+(?=[A-Z])")
TERMINAL = (".", "!", "?", ":", ";", ".”", ".\"", ".)", "]")
TAG = re.compile(r"^\[(?:\d{4}|new|amended|updated)[^\]]*\]?\.?$", re.I)  # "[2003, amended 2014]", also wrapped


def group_rows(runs: Sequence[Run]) -> list[list[Run]]:
    """Runs that overlap vertically, top to bottom, each row left to right."""
    rows: list[list[Run]] = []
    for run in sorted(runs, key=lambda r: (r.top + r.bottom) / 2):
        if rows:
            row = rows[-1]
            top, bottom = min(r.top for r in row), max(r.bottom for r in row)
            overlap = min(bottom, run.bottom) - max(top, run.top)
            if overlap >= 0.5 * min(run.height, bottom - top):
                row.append(run)
                continue
        rows.append([run])
    for row in rows:
        row.sort(key=lambda r: r.x0)
    return rows


def runs_to_lines(runs: Sequence[Run]) -> list[Line]:
    """Lines of text: rows of runs joined left to right."""
    lines = []
    for row in group_rows(runs):
        text = normalize(" ".join(r.text for r in row))
        if not text:
            continue
        n_chars = sum(len(r.text) for r in row)
        main = max(row, key=lambda r: len(r.text))
        lines.append(Line(
            text=text,
            x0=min(r.x0 for r in row), top=min(r.top for r in row),
            x1=max(r.x1 for r in row), bottom=max(r.bottom for r in row),
            size=main.size,
            bold=sum(len(r.text) for r in row if r.bold) * 2 > n_chars,
        ))
    return lines


@dataclass
class DraftBlock:
    """A block whose lines are not yet joined into text. A table row has ``cells``: each cell's
    header text and lines."""

    lines: list[Line] = field(default_factory=list)
    kind: str = "paragraph"
    number: str = ""
    cells: list[tuple[str, list[Line]]] = field(default_factory=list)
    continues: bool = False
    glued: bool = False  # carries on a word broken at the page break

    @property
    def size(self) -> float:
        return max(self.lines, key=lambda ln: len(ln.text)).size

    @property
    def bold(self) -> bool:
        return sum(len(ln.text) for ln in self.lines if ln.bold) * 2 > sum(len(ln.text) for ln in self.lines)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return (
            round(min(ln.x0 for ln in self.lines), 2), round(min(ln.top for ln in self.lines), 2),
            round(max(ln.x1 for ln in self.lines), 2), round(max(ln.bottom for ln in self.lines), 2),
        )


def line_gap(lines: Sequence[Line]) -> list[float]:
    """Vertical gaps between consecutive lines of one size (for the body leading)."""
    gaps = []
    for a, b in zip(lines, lines[1:]):
        if abs(a.size - b.size) < 0.5:
            gap = b.top - a.bottom
            if -a.size < gap < 2 * a.size:
                gaps.append(gap)
    return gaps


def _starts_block(
    prev: Line, cur: Line, block: DraftBlock, *, leading: float, left: float, right: float, new_unit: bool
) -> bool:
    size = max(prev.size, cur.size)
    if new_unit and (cur.top < prev.bottom - 0.3 * size or min(cur.x1, prev.x1) <= max(cur.x0, prev.x0)):
        return True  # another unit beside the last one, not below it
    if TAG.match(cur.text) and cur.top - prev.bottom <= leading + size:
        return False  # a date tag, bold or not, ends the recommendation it follows
    if cur.top - prev.bottom > leading + 0.45 * size:
        return True
    ended = prev.text.endswith(TERMINAL)
    if abs(cur.size - prev.size) > max(1.0, 0.12 * size) or cur.bold != prev.bold:
        return ended or not cur.text[:1].islower()
    if centred([*block.lines, cur]):
        return False  # a centred caption or bubble: its line breaks are not paragraph breaks
    if BULLET.match(cur.text) or NUMBERED.match(cur.text):
        return True
    if ended and block.kind == "paragraph" and cur.x0 - prev.x0 >= 0.5 * size and prev.x0 - left < 0.5 * size:
        return True  # first-line indent after a finished sentence
    short = prev.x1 < right - 0.25 * (right - left)
    return ended and short and (cur.text[:1].isupper() or cur.text[:1].isdigit())


def centred(lines: Sequence[Line]) -> bool:
    """Lines of centred text: the same middle, different left edges."""
    size = max(ln.size for ln in lines)
    middles = [(ln.x0 + ln.x1) / 2 for ln in lines]
    lefts = [ln.x0 for ln in lines]
    return max(middles) - min(middles) <= 0.5 * size and max(lefts) - min(lefts) > 0.25 * size


def lines_to_blocks(lines: Sequence[Line], *, leading: float, starts: Set[int] = frozenset()) -> list[DraftBlock]:
    """Split the lines of one region (in reading order) into paragraphs and list items; ``starts``
    are the lines that begin a unit the PDF draws apart."""
    if not lines:
        return []
    left, right = min(ln.x0 for ln in lines), max(ln.x1 for ln in lines)
    blocks: list[DraftBlock] = []
    for i, line in enumerate(lines):
        if not blocks or _starts_block(blocks[-1].lines[-1], line, blocks[-1], leading=leading, left=left, right=right,
                                       new_unit=i in starts):
            blocks.append(_new_block(line))
        else:
            blocks[-1].lines.append(line)
    return blocks


def _new_block(line: Line) -> DraftBlock:
    numbered = NUMBERED.match(line.text)
    if numbered:
        return DraftBlock(lines=[line], kind="paragraph", number=numbered.group(1))
    if BULLET.match(line.text):
        return DraftBlock(lines=[line], kind="list_item")
    return DraftBlock(lines=[line])
