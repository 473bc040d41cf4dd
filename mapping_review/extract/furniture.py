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
from mapping_review.extract.textnorm import normalize

EDGE_SHARE = 0.12  # of the page height: where headers and footers live
TOP_ROWS, BOTTOM_ROWS = 3, 4  # rows looked at from each edge
MIN_SHARE = 0.3  # of the pages with text that must repeat a line
MIN_VARIANT = 15  # characters two keys must share for one to be a re-wrapped copy of the other
PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?(?:#+|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))(?:\s*(?:of|/)\s*#*)?$"
    r"|^[-–—]\s*#+\s*[-–—]$"
)
_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def _key(run: Run) -> str:
    return _SPACE.sub(" ", _DIGITS.sub("#", normalize(run.text).lower())).strip()


def _edge_runs(page: RawPage) -> list[tuple[str, str, Run]]:
    """(edge, key, run) for the runs of the rows near the top and bottom of ``page``.

    Runs, not whole rows, are compared: a footer that wraps differently on
    one page, or shares its row with the page number, still matches.
    """
    rows = group_rows(page.runs)
    out: list[tuple[str, str, Run]] = []
    for i, row in enumerate(rows):
        if i < TOP_ROWS and max(r.bottom for r in row) <= page.height * EDGE_SHARE:
            out.extend(("top", _key(r), r) for r in row)
        elif i >= len(rows) - BOTTOM_ROWS and min(r.top for r in row) >= page.height * (1 - EDGE_SHARE):
            out.extend(("bottom", _key(r), r) for r in row)
    return out


def _wrapped_variant(edge: str, key: str, repeated: set[tuple[str, str]]) -> bool:
    """A repeated line that wraps at another word on this page (a longer page number
    pushes "terms-and-" onto the next line): one key starts or ends the other."""
    if len(key) < MIN_VARIANT:
        return False
    for other_edge, other in repeated:
        if other_edge != edge or len(other) < MIN_VARIANT:
            continue
        if other.startswith(key) or key.startswith(other) or other.endswith(key) or key.endswith(other):
            return True
    return False


def remove_furniture(pages: Sequence[RawPage]) -> list[tuple[RawPage, tuple[str, ...]]]:
    """Each page without its running headers/footers, and the texts removed."""
    edges = [_edge_runs(p) for p in pages]
    counts: Counter[tuple[str, str]] = Counter()
    for runs in edges:
        counts.update({(edge, key) for edge, key, _ in runs})
    n_text = sum(1 for p in pages if p.runs)
    needed = max(2, math.ceil(MIN_SHARE * n_text))
    repeated = {(edge, key) for (edge, key), n in counts.items() if n >= needed and any(map(str.isalpha, key))}
    out = []
    for page, runs in zip(pages, edges):
        drop = [
            run for edge, key, run in runs
            if PAGE_NUMBER.match(key) or (edge, key) in repeated or _wrapped_variant(edge, key, repeated)
        ]
        ids = {id(r) for r in drop}
        kept = tuple(r for r in page.runs if id(r) not in ids)
        out.append((replace(page, runs=kept), tuple(normalize(r.text) for r in drop)))
    return out
