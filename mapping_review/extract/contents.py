"""Tables of contents: pages whose lines are mostly entries ending in a page number.

A contents page keeps its entries as blocks of kind ``contents`` (an outline of the guide, not
text to read as sentences); its "Contents" title stays a heading. A page is one when at least
half its lines end in a page number (after dot leaders or a space) and it names itself
"Contents", draws dot leaders, or carries on a contents page; or when nearly all its lines are
such entries with page numbers rising down the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mapping_review.extract.layout import DraftBlock

ENTRY = re.compile(r"(?:(?:\.\s?){2,}|…+|\s)\s*(\d{1,3}|[ivxlc]{1,6})$", re.I)
LEADERS = re.compile(r"(?:\.\s?){4,}|…{2,}")
TITLE = re.compile(r"^(?:table of |section )?contents$", re.I)
MIN_ENTRIES = 4


def _contents_page(blocks: Sequence[DraftBlock], *, after_contents: bool) -> bool:
    lines = [ln.text for b in blocks if not b.cells for ln in b.lines if len(ln.text) > 3]
    entries = [m for text in lines if any(c.isalpha() for c in text) and (m := ENTRY.search(text))]
    if len(entries) < MIN_ENTRIES:
        return False
    named = any(TITLE.match(text.strip()) for text in lines)
    leaders = sum(1 for text in lines if LEADERS.search(text))
    if len(entries) >= 0.5 * len(lines) and (named or leaders >= 3 or after_contents):
        return True
    numbers = [int(m.group(1)) for m in entries if m.group(1).isdigit()]
    rising = sum(1 for a, b in zip(numbers, numbers[1:]) if b >= a)
    return len(entries) >= 0.8 * len(lines) and len(numbers) >= 6 and rising >= 0.8 * (len(numbers) - 1)


def mark_contents(pages: Sequence[Sequence[DraftBlock]]) -> list[tuple[int, int]]:
    """Make the blocks of contents pages ``contents`` blocks; their titles ("Contents") are left
    to be made headings, and returned as (page index, block index) to be made contents if not."""
    titles: list[tuple[int, int]] = []
    last = -2
    for p, blocks in enumerate(pages):
        if not _contents_page(blocks, after_contents=last == p - 1):
            continue
        last = p
        for i, block in enumerate(blocks):
            if block.cells:
                continue
            if TITLE.match(" ".join(ln.text for ln in block.lines).strip()):
                titles.append((p, i))
            else:
                block.kind = "contents"
    return titles
