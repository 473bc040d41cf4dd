"""Where the extraction-quality benchmark finds lines, running heads, contents pages and columns,
without mapping-review's own layout code: from pdfplumber's words and characters and from regular
expressions over PDFium's content-order text, so that a mistake in the extractor cannot hide
itself in the reference.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"\d+")


def squash(text: str) -> str:
    """Lower-case letters and digits only: what two extractions of the same words share."""
    return _NOT_ALNUM.sub("", text.lower())


def unit_digest(text: str) -> str:
    return hashlib.sha1(squash(text).encode()).hexdigest()[:10]


# ---------------------------------------------------------------- lines (pdfplumber's words)

@dataclass(frozen=True)
class TextLine:
    page: int
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    page_height: float
    size: float = 0.0  # the median size of its characters
    upright: bool = True


def page_lines(page: Any, *, leave_out: Sequence[tuple[float, float, float, float]] = ()) -> list[TextLine]:
    """pdfplumber's words of a page joined into lines: same top, left to right, a gap wider than a
    character's height starting another line (so that a page number beside a running head, or two
    table cells, stay apart). Words inside the ``leave_out`` boxes (tables) are left out."""
    height = float(page.height)
    words = sorted(
        (w for w in page.extract_words(extra_attrs=["size", "upright"])
         if not any(b[0] <= w["x0"] <= b[2] and b[1] <= w["top"] <= b[3] for b in leave_out)),
        key=lambda w: (round(w["top"]), w["x0"]),
    )
    lines: list[list[dict[str, Any]]] = []
    for word in words:
        last = lines[-1][-1] if lines else None
        if last is not None and abs(last["top"] - word["top"]) < 2.0 and word["x0"] - last["x1"] <= word["size"]:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [TextLine(page.page_number, " ".join(w["text"] for w in line), line[0]["x0"], min(w["top"] for w in line),
                     line[-1]["x1"], max(w["bottom"] for w in line), height,
                     statistics.median(w["size"] for w in line), all(w["upright"] for w in line))
            for line in lines]


def column_lines(page: Any) -> list[TextLine]:
    """pdfplumber's words of a page joined into lines within each column (the left edges most words
    start at, at least 100 pt apart: see :func:`column_starts`)."""
    height = float(page.height)
    words = [TextLine(page.page_number, w["text"], w["x0"], w["top"], w["x1"], w["bottom"], height)
             for w in page.extract_words()]
    starts = column_starts(words)

    def column(w: TextLine) -> int:
        return sum(1 for s in starts if w.x0 >= s - 3)

    groups: dict[tuple[int, float], list[TextLine]] = {}
    for word in sorted(words, key=lambda w: w.top):
        key = next(((c, t) for (c, t) in groups if c == column(word) and abs(t - word.top) < 2.0), None)
        groups.setdefault(key or (column(word), word.top), []).append(word)
    out = []
    for group in groups.values():
        group.sort(key=lambda w: w.x0)
        out.append(TextLine(page.page_number, " ".join(w.text for w in group), group[0].x0,
                            min(w.top for w in group), max(w.x1 for w in group), max(w.bottom for w in group), height))
    return sorted(out, key=lambda ln: (ln.top, ln.x0))


def column_starts(lines: list[TextLine]) -> list[float]:
    """The left edges most lines of a page start at, at least 100 pt apart (its columns)."""
    counts = Counter(round(r.x0) for r in lines)
    starts: list[float] = []
    for x, _ in counts.most_common():
        if all(abs(x - s) > 100 for s in starts):
            starts.append(x)
    return sorted(starts[:3])


# ---------------------------------------------------------------- running headers and footers

EDGE = 0.13  # of the page height, top and bottom
MIN_PAGES = 3
MAX_SIZE = 1.3  # of the body text size: running heads are not set larger


def margin_lines(page_lines: list[TextLine], body: float) -> list[TextLine]:
    """The lines near the top or bottom edge that bands of white space (at least a body line high)
    set apart from the body of the page: groups of lines taken from the edge inwards while the
    whole group lies within the edge."""
    out: list[TextLine] = []
    for inward in (sorted(page_lines, key=lambda ln: ln.top), sorted(page_lines, key=lambda ln: -ln.bottom)):
        group: list[TextLine] = []
        for line in [*inward, None]:
            if group and (line is None or _white(group, line) >= body):
                if not all(_in_edge(g) for g in group):
                    break
                out.extend(g for g in group if g not in out)
                group = []
            if line is not None:
                group.append(line)
    return out


def _in_edge(line: TextLine) -> bool:
    return line.bottom <= EDGE * line.page_height or line.top >= (1 - EDGE) * line.page_height


def _white(group: list[TextLine], line: TextLine) -> float:
    if line.top >= group[0].top:  # going down
        return line.top - max(g.bottom for g in group)
    return min(g.top for g in group) - line.bottom


def running_lines(lines: list[list[TextLine]]) -> list[TextLine]:
    """Lines in the top or bottom margin (above or below a band of white space, near the edge),
    upright and not larger than the body text, whose text (digits ignored) stands at the same
    height on at least three pages in a run (a page without it between them does not break the
    run): running headers and footers by position."""
    sizes: Counter[float] = Counter()
    for page_lines in lines:
        for ln in page_lines:
            sizes[round(ln.size * 2) / 2] += len(ln.text)
    body = sizes.most_common(1)[0][0] if sizes else 10.0
    where: dict[tuple[str, int], list[TextLine]] = defaultdict(list)
    for page_lines in lines:
        for line in margin_lines(page_lines, body):
            if not line.upright or line.size > MAX_SIZE * body:
                continue
            key = " ".join(_DIGITS.sub("#", line.text.lower()).split())
            if sum(c.isalpha() for c in key) < 4:
                continue
            where[(key, round(line.top / 4))].append(line)
    out = []
    for found in where.values():
        pages = sorted({ln.page for ln in found})
        if max((len(run) for run in _runs(pages)), default=0) >= MIN_PAGES:
            out.extend(found)
    return sorted(out, key=lambda ln: (ln.page, ln.top))


def _runs(pages: list[int]) -> list[list[int]]:
    """``pages`` cut where two pages or more in a row lack the line."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page - runs[-1][-1] <= 2:
            runs[-1].append(page)
        else:
            runs.append([page])
    return runs


def leaked(line: TextLine, raw_page_text: str, output_page_text: str) -> bool:
    """A running line is left in the output when the output page holds its words as often as the
    whole PDF page does (the line itself included)."""
    key = squash(line.text)
    return bool(key) and output_page_text.count(key) >= max(1, raw_page_text.count(key))


# ---------------------------------------------------------------- contents pages

_CONTENTS_LINE = re.compile(r"(?:(?:\.\s?){3,}|…{2,}|\s)\s*(\d{1,3}|[ivx]{1,5})\s*$")
_LEADERS = re.compile(r"(?:\.\s?){5,}|…{3,}")


def contents_pages(page_texts: list[str]) -> list[int]:
    """Pages (1-based) that are tables of contents: half their lines or more end in a page number
    and the page names itself "contents" or draws dot leaders; or nearly all lines end in page
    numbers that rise down the page."""
    out = []
    for number, text in enumerate(page_texts, start=1):
        lines = [ln.strip() for ln in text.splitlines() if len(ln.strip()) > 3]
        if len(lines) < 5:
            continue
        found = [m for ln in lines if any(c.isalpha() for c in ln) and (m := _CONTENTS_LINE.search(ln))]
        numbers = [int(m.group(1)) for m in found if m.group(1).isdigit()]
        rising = sum(1 for a, b in zip(numbers, numbers[1:]) if b >= a)
        leaders = sum(1 for ln in lines if _LEADERS.search(ln))
        named = "contents" in text.lower()[:300]
        if (len(found) >= 0.5 * len(lines) and (named or leaders >= 3)) or \
                (len(found) >= 0.8 * len(lines) and len(numbers) >= 8 and rising >= 0.8 * (len(numbers) - 1)):
            out.append(number)
    return out


# ---------------------------------------------------------------- column order

def column_pairs(lines: list[list[TextLine]]) -> list[tuple[int, str, str, int]]:
    """Consecutive lines of each column of a three-column page, and each column's last line with the
    next column's first: (page, earlier, later, characters allowed between them) as squashed text.
    Lines wider than a column are left out (titles and tables); short lines are not judged but
    allowed between the two lines of a pair."""
    pairs = []
    for page_lines in lines:
        starts = column_starts(page_lines)
        if len(starts) < 3:
            continue
        columns: list[list[TextLine]] = [[] for _ in starts]
        width = starts[1] - starts[0]
        for line in page_lines:
            if line.x1 - line.x0 <= width:
                columns[max(0, sum(1 for s in starts if line.x0 >= s - 3) - 1)].append(line)
        flat = [squash(ln.text) for column in columns for ln in sorted(column, key=lambda ln: ln.top)]
        judged = [i for i, text in enumerate(flat) if len(text) >= 12]
        for i, j in zip(judged, judged[1:]):
            between = sum(len(t) for t in flat[i + 1 : j])
            pairs.append((page_lines[0].page, flat[i], flat[j], between + 3))
    return pairs


def pair_in_order(earlier: str, later: str, slack: int, text: str) -> bool | None:
    """True when ``later`` follows ``earlier`` in ``text`` with at most ``slack`` characters between;
    None when either is missing or repeated."""
    if text.count(earlier) != 1 or text.count(later) != 1:
        return None
    gap = text.index(later) - (text.index(earlier) + len(earlier))
    return 0 <= gap <= slack
