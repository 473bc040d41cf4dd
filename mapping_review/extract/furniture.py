"""Running headers, footers and page numbers: found across pages, removed.

A line near the top or bottom edge of a page is furniture when the same
text - digits ignored, so "Page 5 of 113" matches "Page 6 of 113" - stands
near that edge on enough other pages, or when it is only a page number.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from mapping_review.extract.layout import group_rows
from mapping_review.extract.model import RawPage, Run

EDGE_SHARE = 0.12  # of the page height: where headers and footers live
TOP_ROWS, BOTTOM_ROWS = 3, 4  # rows looked at from each edge
MIN_SHARE = 0.3  # of the pages with text that must repeat a line
PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?(?:#+|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))(?:\s*(?:of|/)\s*#*)?$"
    r"|^[-–—]\s*#+\s*[-–—]$"
)
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def _key(row: Sequence[Run]) -> str:
    text = " ".join(r.text for r in row)
    return _SPACE.sub(" ", _DIGITS.sub("#", text.lower())).strip()


def _edge_rows(page: RawPage) -> list[tuple[str, str, list[Run]]]:
    """(edge, key, runs) for the rows near the top and bottom of ``page``."""
    rows = group_rows(page.runs)
    out = []
    for row in rows[:TOP_ROWS]:
        if max(r.bottom for r in row) <= page.height * EDGE_SHARE:
            out.append(("top", _key(row), row))
    for row in rows[len(rows) - BOTTOM_ROWS :] if len(rows) > TOP_ROWS else []:
        if min(r.top for r in row) >= page.height * (1 - EDGE_SHARE):
            out.append(("bottom", _key(row), row))
    return out


def remove_furniture(pages: Sequence[RawPage]) -> list[tuple[RawPage, tuple[str, ...]]]:
    """Each page without its running headers/footers, and the texts removed."""
    edges = [_edge_rows(p) for p in pages]
    counts: Counter[tuple[str, str]] = Counter()
    for rows in edges:
        counts.update({(edge, key) for edge, key, _ in rows})
    n_text = sum(1 for p in pages if p.runs)
    needed = max(2, math.ceil(MIN_SHARE * n_text))
    out = []
    for page, rows in zip(pages, edges):
        drop: set[int] = set()
        removed = []
        for edge, key, row in rows:
            if PAGE_NUMBER.match(key) or (counts[(edge, key)] >= needed and any(c.isalpha() for c in key)):
                drop.update(id(r) for r in row)
                removed.append(" ".join(r.text for r in row))
        runs = tuple(r for r in page.runs if id(r) not in drop)
        out.append((replace(page, runs=runs), tuple(removed)))
    return out
