"""Tables of contents: pages whose lines are mostly entries ending in a page number.

A contents page keeps its entries as blocks of kind ``contents`` (an outline of the guide, not
text to read as sentences); its "Contents" title stays a heading. A page is one when at least
half its lines end in a page number (after dot leaders or a space) and it names itself
"Contents", draws dot leaders, or carries on a contents page; or when nearly all its lines are
short entries with page numbers rising down the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mapping_review.extract.layout import DraftBlock

ENTRY = re.compile(r"(?:(?:\.\s?){2,}|…+|\s)\s*(\d{1,3}|[ivxlc]{1,6})$", re.I)
ENDINGS = frozenset("0123456789ivxlcIVXLC")  # what an entry's last character can be
LEADERS = re.compile(r"(?:\.\s?){4,}|…{2,}")
TITLE = re.compile(r"^(?:table of |section )?contents$", re.I)
MIN_ENTRIES = 4
MAX_ENTRY_WORDS = 12  # on average, for entries without leaders: a line of text is longer


def _contents_page(blocks: Sequence[DraftBlock], *, after_contents: bool) -> bool:
    lines = [ln.text for b in blocks if not b.cells for ln in b.lines if len(ln.text) > 3]
    entries = [m for text in lines if text[-1] in ENDINGS and any(c.isalpha() for c in text) and (m := ENTRY.search(text))]
    if len(entries) < MIN_ENTRIES:
        return False
    named = any(TITLE.match(text.strip()) for text in lines)
    leaders = sum(1 for text in lines if LEADERS.search(text))
    if len(entries) >= 0.5 * len(lines) and (named or leaders >= 3 or after_contents):
        return True
    numbers = [int(m.group(1)) for m in entries if m.group(1).isdigit()]
    rising = sum(1 for a, b in zip(numbers, numbers[1:]) if b >= a)
    short = sum(len(m.string.split()) for m in entries) <= MAX_ENTRY_WORDS * len(entries)
    return short and len(entries) >= 0.8 * len(lines) and len(numbers) >= 6 and rising >= 0.8 * (len(numbers) - 1)


def mark_contents(pages: Sequence[list[DraftBlock]]) -> list[tuple[int, int]]:
    """Make each line of a contents page a ``contents`` block (an entry of the outline); titles
    ("Contents") are left to be made headings, and returned as (page index, block index) to be
    made contents if not."""
    titles: list[tuple[int, int]] = []
    last = -2
    for p, blocks in enumerate(pages):
        if not _contents_page(blocks, after_contents=last == p - 1):
            continue
        last = p
        entries: list[DraftBlock] = []
        for block in blocks:
            if block.cells:
                entries.append(block)
            elif TITLE.match(" ".join(ln.text for ln in block.lines).strip()):
                titles.append((p, len(entries)))
                entries.append(block)
            else:
                entries.extend(DraftBlock(lines=[line], kind="contents") for line in block.lines)
        blocks[:] = entries
    return titles
