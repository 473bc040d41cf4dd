"""Running headers, footers and page numbers: found across pages, removed.

A line near the top or bottom edge of a page is furniture when the same
text - digits ignored, so "Page 5 of 113" matches "Page 6 of 113" - stands
near that edge on enough other pages, or when it is only a page number.
Headers that change by chapter ("CHAPTER 4 PM+ ASSESSMENTS", "Part 2:
UNHOOKING") repeat on fewer pages: a line set apart from the body text in
size or weight is furniture too when it stands at
the same height on three pages in a row or more (every other page will do)
and that height is the place of such lines - most of what stands there on
any page repeats so (body text that happens to start a page at the same
height does not). A form printed on many pages carries a header row of
labels spread across the page with blanks to fill between them ("ID: ...
Date: ..."): a row of two labels or more (each ending in a colon or a
blank of underscores) among the outer rows that stands the same - texts
and styles - at one height on three pages in a row or more is furniture
too, even in the body text's style and where other pages hold their titles
at that height (a heading or a line of prose is one run, and an unruled
table's column headings are no labels: neither matches this). A page that only says it is intentionally left
blank is blank.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from mapping_review.extract.layout import group_rows
from mapping_review.extract.model import RawPage, Run
from mapping_review.extract.textnorm import normalize

EDGE_SHARE, TOP_ROWS, BOTTOM_ROWS = 0.12, 3, 4  # where headers, footers and page numbers live
WIDE_SHARE, WIDE_ROWS = 0.15, 5  # where a chapter's running head may live
MIN_SHARE = 0.3  # of the pages with text that must repeat a line
MIN_PAGES = 3  # pages in a row a line must stand on, at one height, to be a chapter's running head
MAX_SKIP = 1  # pages without it that do not break the row (a head on odd pages only)
RESERVED = 0.6  # share of the lines at that height that repeat so
SLOT = 2.0  # points: heights are compared in steps of this much (and the steps next to it)
MIN_VARIANT = 15  # characters two keys must share for one to be a re-wrapped copy of the other
BLANK = re.compile(
    r"^(?:this\s+page\s+(?:is\s+|has\s+been\s+)?)?(?:intentionally|deliberately)\s+(?:left\s+)?blank\.?$", re.I
)
PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?(?:#+|(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3}))(?:\s*(?:of|/)\s*#*)?$"
    r"|^[-–—]\s*#+\s*[-–—]$"
)
_DIGITS = re.compile(r"\d+")
LEADERS = re.compile(r"(?:\.\s?){4,}\s*$")
_SPACE = re.compile(r"\s+")
FORM_LABEL = re.compile(r"(?::|_{3,})\s*$")  # a form's label ("Date:") or a blank to fill ("____")
What = TypeVar("What")  # what stands at a height: a line's key, or a row's texts and styles


def _key(run: Run) -> str:
    return _SPACE.sub(" ", _DIGITS.sub("#", normalize(run.text).lower())).strip()


def _slot(run: Run) -> int:
    return round(run.top / SLOT)


EdgeRun = tuple[str, str, Run, bool, int]  # edge, key, run, whether it sits where any furniture may, row
RowKey = tuple[str, tuple[tuple[str, tuple[float, bool]], ...], int]  # edge, texts and styles left to right, height


def _edge_runs(page: RawPage) -> list[EdgeRun]:
    """The runs of the rows near the top and bottom of ``page``.

    Runs, not whole rows, are compared: a footer that wraps differently on
    one page, or shares its row with the page number, still matches.
    """
    rows = group_rows(page.runs)
    out: list[EdgeRun] = []
    for i, row in enumerate(rows):
        if WIDE_ROWS <= i < len(rows) - WIDE_ROWS:
            continue
        top, bottom = min(r.top for r in row), max(r.bottom for r in row)
        if i < WIDE_ROWS and bottom <= page.height * WIDE_SHARE:
            edge, near = "top", i < TOP_ROWS and bottom <= page.height * EDGE_SHARE
        elif i >= len(rows) - WIDE_ROWS and top >= page.height * (1 - WIDE_SHARE):
            edge, near = "bottom", i >= len(rows) - BOTTOM_ROWS and top >= page.height * (1 - EDGE_SHARE)
        else:
            continue
        if not any(LEADERS.search(r.text) for r in row):  # a contents entry's page number is no page number
            out.extend((edge, _key(r), r, near, i) for r in row)
    return out


def _style(run: Run) -> tuple[float, bool]:
    return (round(run.size * 2) / 2, run.bold)


def body_style(pages: Sequence[RawPage]) -> tuple[float, bool]:
    """The size and weight most of the document's text is set in."""
    weights: Counter[tuple[float, bool]] = Counter()
    for page in pages:
        for run in page.runs:
            weights[_style(run)] += len(run.text)
    return weights.most_common(1)[0][0] if weights else (10.0, False)


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


def _longest_run(pages: set[int]) -> int:
    """The most pages in a row (a page or two may be skipped between them) of ``pages``."""
    best = count = 0
    last = -10
    for page in sorted(pages):
        count = count + 1 if page - last <= MAX_SKIP + 1 else 1
        best, last = max(best, count), page
    return best


def _near_pages(pages_at: Mapping[tuple[str, What, int], set[int]], slot: tuple[str, What, int]) -> set[int]:
    """The pages where ``slot`` (edge, what, height) stands at its height or a step above or below."""
    edge, what, height = slot
    return set().union(*(pages_at.get((edge, what, h), set()) for h in (height - 1, height, height + 1)))


def _chapter_heads(edges: Sequence[list[EdgeRun]], body: tuple[float, bool]) -> set[tuple[str, str, int]]:
    """(edge, key, height) of lines not in the body text's style that stand at one height on
    MIN_PAGES pages in a row or more, where that height holds such repeated lines on most pages
    that have anything there."""
    pages_at: dict[tuple[str, str, int], set[int]] = defaultdict(set)
    for index, runs in enumerate(edges):
        for edge, key, run, _, _ in runs:
            if _style(run) != body:
                pages_at[(edge, key, _slot(run))].add(index)
    repeated = {slot for slot in pages_at
                if _longest_run(_near_pages(pages_at, slot)) >= MIN_PAGES and any(map(str.isalpha, slot[1]))}
    near: Counter[tuple[str, int]] = Counter()
    near_repeated: Counter[tuple[str, int]] = Counter()
    for (edge, key, height), found in pages_at.items():
        for h in (height - 1, height, height + 1):
            near[(edge, h)] += len(found)
            near_repeated[(edge, h)] += len(found) if (edge, key, height) in repeated else 0
    return {s for s in repeated if near_repeated[(s[0], s[2])] >= RESERVED * near[(s[0], s[2])]}


def _row_keys(runs: Sequence[EdgeRun]) -> dict[int, RowKey]:
    """The outer rows of two runs or more, each a form's label or blank, on a page, by row number: their
    edge, texts and styles (left to right) and height. A table's column headings are no labels: kept."""
    rows: dict[int, list[EdgeRun]] = defaultdict(list)
    for item in runs:
        if item[3]:
            rows[item[4]].append(item)
    return {
        row: (items[0][0], tuple((normalize(r.text), _style(r)) for _, _, r, _, _ in items),
              round(min(r.top for _, _, r, _, _ in items) / SLOT))
        for row, items in rows.items() if len(items) >= 2 and all(FORM_LABEL.search(r.text) for _, _, r, _, _ in items)
    }


def _form_rows(row_keys: Sequence[dict[int, RowKey]]) -> set[RowKey]:
    """Outer rows of two runs or more that stand the same, texts and styles, at one height on
    MIN_PAGES pages in a row or more: the header (or footer) rows of a form printed on many pages."""
    pages_at: dict[RowKey, set[int]] = defaultdict(set)
    for index, keys in enumerate(row_keys):
        for key in keys.values():
            pages_at[key].add(index)
    return {
        key for key in pages_at
        if any(c.isalpha() for text, _ in key[1] for c in text) and _longest_run(_near_pages(pages_at, key)) >= MIN_PAGES
    }


def remove_furniture(pages: Sequence[RawPage]) -> list[tuple[RawPage, tuple[str, ...]]]:
    """Each page without its running headers/footers, and the texts removed."""
    edges = [_edge_runs(p) for p in pages]
    counts: Counter[tuple[str, str]] = Counter()
    for runs in edges:
        counts.update({(edge, key) for edge, key, _, near, _ in runs if near})
    n_text = sum(1 for p in pages if p.runs)
    needed = max(2, math.ceil(MIN_SHARE * n_text))
    repeated = {(edge, key) for (edge, key), n in counts.items() if n >= needed and any(map(str.isalpha, key))}
    heads = _chapter_heads(edges, body_style(pages))
    row_keys = [_row_keys(runs) for runs in edges]
    forms = _form_rows(row_keys)
    out = []
    for page, runs, keys in zip(pages, edges, row_keys):
        form_rows = {row for row, key in keys.items() if key in forms}
        drop = [
            run for edge, key, run, near, row in runs
            if (near and (PAGE_NUMBER.match(key) or (edge, key) in repeated or _wrapped_variant(edge, key, repeated)))
            or (edge, key, _slot(run)) in heads or row in form_rows
        ]
        ids = {id(r) for r in drop}
        kept = tuple(r for r in page.runs if id(r) not in ids)
        if kept and BLANK.match(" ".join(normalize(r.text) for r in kept)):
            drop, kept = [*drop, *kept], ()
        out.append((replace(page, runs=kept), tuple(normalize(r.text) for r in drop)))
    return out
