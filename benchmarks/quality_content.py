"""What the extraction-quality benchmark checks text against: the rows of ruled tables (pdfplumber's
table finder), words hyphenated at line ends (PDFium's content-order text and the form the
document or corpus writes mid-line) and the labelled sample of illustrated pages.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
from quality_truth import MIN_PAGES, squash

# ---------------------------------------------------------------- tables (pdfplumber's finder)

@dataclass(frozen=True)
class TableRow:
    page: int
    cells: tuple[str, ...]  # non-empty cells, left to right
    header: tuple[str, ...]  # the table's first row


def ruled_table_rows(path: Path) -> tuple[list[TableRow], int]:
    """Rows of the ruled tables pdfplumber finds (its default lines strategy), without each table's
    first row (its header); and the number of tables."""
    rows: list[TableRow] = []
    n_tables = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            if not (page.rects or page.lines or page.curves):
                page.close()
                continue
            for table in page.find_tables():
                cells = [[c or "" for c in row] for row in table.extract()]
                if len(cells) < 2 or len(cells[0]) < 2:
                    continue
                n_tables += 1
                header = tuple(c for c in cells[0] if squash(c))
                for row in cells[1:]:
                    kept = tuple(c for c in row if squash(c))
                    if len(kept) >= 2:
                        rows.append(TableRow(page.page_number, kept, header))
            page.close()
    return rows, n_tables


def find_cells(cells: list[str], text: str, *, ordered: bool) -> tuple[int, int] | None:
    """Where the squashed ``cells`` sit in the squashed ``text``: (start, end) of the stretch that
    holds them all (in the given order when ``ordered``), or None."""
    keys = [squash(c) for c in cells]
    if ordered:
        pos, start = 0, None
        for key in keys:
            found = text.find(key, pos)
            if found < 0:
                return None
            start = found if start is None else start
            pos = found + len(key)
        return (start or 0, pos)
    spots = []
    for key in keys:
        found = text.find(key)
        if found < 0:
            return None
        spots.append((found, found + len(key)))
    return min(s for s, _ in spots), max(e for _, e in spots)


def row_kept(row: TableRow, units: list[str], *, ordered: bool) -> bool:
    """The row's cells stand in one unit, in one stretch holding nothing but the cells and the
    table's header cells (a row written "Header: cell | ..." is whole)."""
    allowed = sum(len(squash(c)) for c in row.cells) + sum(len(squash(h)) for h in row.header)
    for unit in units:
        span = find_cells(list(row.cells), unit, ordered=ordered)
        if span is not None and span[1] - span[0] <= allowed + 2 * len(row.cells):
            return True
    return False


# ---------------------------------------------------------------- hyphens at line ends

_SPLIT = re.compile(r"([A-Za-z]+)(?:[\ufffe\u0002]|-[ \t]*\r?\n)[ \t]*([a-z]+)")
_WORDS = re.compile(r"[a-z]+(?:-[a-z]+)*")


@dataclass(frozen=True)
class Split:
    page: int
    left: str
    right: str
    truth: str  # "closed", "hyphen" or "open" (kept with a space: "first- and second-line")


def hyphen_splits(page_texts: list[str], usage: Counter[str]) -> list[Split]:
    """Words hyphenated at a line end (or a page end), with the form the document itself uses
    mid-line, or the whole corpus (``usage``) when the document uses neither; splits whose closed
    and hyphenated forms are equally (un)used are left out."""
    own = midline_usage(page_texts)
    out = []
    repeated: Counter[tuple[str, str]] = Counter()
    for text in page_texts:
        repeated.update({(m.group(1), m.group(2)) for m in _SPLIT.finditer(text)})
    for index, text in enumerate(page_texts):
        tail = text.rstrip()
        following = page_texts[index + 1].lstrip() if index + 1 < len(page_texts) else ""
        candidates = [(m.group(1), m.group(2)) for m in _SPLIT.finditer(text)]
        end = re.search(r"([A-Za-z]+)[-\ufffe]$", tail)
        start = re.match(r"([a-z]+)", following)
        if end and start:
            candidates.append((end.group(1), start.group(1)))
        for left, right in candidates:
            if repeated[(left, right)] >= MIN_PAGES:
                continue  # a running header or footer
            if right in ("and", "or"):
                out.append(Split(index + 1, left, right, "open"))
                continue
            closed, hyphen = own[(left + right).lower()], own[f"{left}-{right}".lower()]
            if not closed and not hyphen:
                closed, hyphen = usage[(left + right).lower()], usage[f"{left}-{right}".lower()]
            if closed != hyphen:
                out.append(Split(index + 1, left, right, "closed" if closed > hyphen else "hyphen"))
    return out


def midline_usage(page_texts: list[str]) -> Counter[str]:
    """How often each word (hyphenated compounds whole) is written inside a line."""
    usage: Counter[str] = Counter()
    for text in page_texts:
        for line in text.splitlines():
            usage.update(_WORDS.findall(line.lower().rstrip("-\ufffe ")))
    return usage


def hyphen_form(split: Split, text: str) -> str | None:
    """The form ``text`` gives the split word: closed, hyphen, open ("first- and") or spaced
    ("neuro- oncology"); None when it is not there."""
    left, right = re.escape(split.left), re.escape(split.right)
    forms = (("open", rf"\b{left}- {right}\b"), ("hyphen", rf"\b{left}-{right}"), ("closed", rf"\b{left}{right}"),
             ("spaced", rf"\b{left}-\s+{right}\b"))
    for name, pattern in forms:
        if re.search(pattern, text):
            return "open" if name == "spaced" and split.truth == "open" else name
    return None


# ---------------------------------------------------------------- the labelled sample of illustrated pages

@dataclass(frozen=True)
class Unit:
    guide: str
    page: int
    kind: str  # bubble, box, caption, paragraph, list or label
    first: str  # the unit's first words
    last: str  # its last words
    length: int  # squashed characters
    digest: str  # unit_digest of its text


def read_units(path: Path) -> list[Unit]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [Unit(r["guide"], int(r["page"]), r["kind"], r["first"], r["last"], int(r["length"]), r["digest"])
                for r in csv.DictReader(fh)]


def unit_intact(unit: Unit, text: str) -> bool:
    """The unit's words stand in ``text`` (squashed) as one unbroken stretch."""
    head = squash(unit.first)
    pos = text.find(head)
    while pos >= 0:
        stretch = text[pos : pos + unit.length]
        if hashlib.sha1(stretch.encode()).hexdigest()[:10] == unit.digest:
            return True
        pos = text.find(head, pos + 1)
    return False
