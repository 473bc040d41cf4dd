"""Headings: which blocks are headings, at which level, and each block's section path.

Three signals, strongest first: the PDF outline (bookmarks) when the file has
one; numbering such as NICE's ``1.2 Assessment``; font size and weight
compared with the body text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from mapping_review.extract.layout import NUMBERED, DraftBlock
from mapping_review.extract.model import OutlineEntry

MAX_HEADING_LINES = 3
MAX_HEADING_WORDS = 25
LARGER = 1.12  # a heading's size relative to the body text
_KEY = re.compile(r"[\W_]+")

Position = tuple[int, int]  # (page index, block index)


def _key(text: str) -> str:
    return _KEY.sub("", text.casefold())


def draft_text(block: DraftBlock) -> str:
    return " ".join(ln.text for ln in block.lines)


def body_size(pages: Sequence[Sequence[DraftBlock]]) -> float:
    """The font size most of the text is set in."""
    weights: Counter[float] = Counter()
    for blocks in pages:
        for block in blocks:
            for line in block.lines:
                weights[round(line.size * 2) / 2] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def _outline_levels(outline: Sequence[OutlineEntry]) -> list[OutlineEntry]:
    """The outline without a single root that only holds the document title."""
    roots = [e for e in outline if e.level == 1]
    if len(roots) == 1 and len(outline) > 1 and outline[0] is roots[0]:
        return [OutlineEntry(level=e.level - 1, title=e.title, page=e.page) for e in outline[1:]]
    return list(outline)


def _looks_like_heading(block: DraftBlock) -> bool:
    text = draft_text(block)
    return (
        block.kind not in ("list_item", "table_row")
        and len(block.lines) <= MAX_HEADING_LINES
        and len(text.split()) <= MAX_HEADING_WORDS
        and sum(c.isalpha() for c in text) >= 3
        and not text[:1].islower()
        and not text.endswith((".", ",", ";"))
    )


def _matches(block: DraftBlock, title: str) -> bool:
    if len(block.lines) > MAX_HEADING_LINES + 1 or block.kind == "table_row":
        return False
    key = _key(draft_text(block))
    return key == title or (len(key) >= 8 and title.startswith(key)) or (len(title) >= 8 and key.startswith(title))


def _match_outline(
    pages: Sequence[Sequence[DraftBlock]], outline: Sequence[OutlineEntry]
) -> dict[Position, int]:
    """Blocks that carry an outline entry's title on its page (or the next)."""
    found: dict[Position, int] = {}
    for entry in outline:
        title = _key(entry.title)
        if entry.page is None or not title:
            continue
        candidates = (
            (p, i)
            for p in (entry.page - 1, entry.page)
            if 0 <= p < len(pages)
            for i, block in enumerate(pages[p])
            if (p, i) not in found and _matches(block, title)
        )
        hit = next(candidates, None)
        if hit is not None:
            found[hit] = entry.level
    return found


def _style(block: DraftBlock) -> tuple[float, bool]:
    return (round(block.size * 2) / 2, block.bold)


def find_headings(pages: Sequence[Sequence[DraftBlock]], outline: Sequence[OutlineEntry]) -> dict[Position, int]:
    """Positions of the heading blocks and their levels (1 = top)."""
    entries = _outline_levels(outline)
    levels = _match_outline(pages, entries)
    body = body_size(pages)
    styled: dict[Position, tuple[float, bool]] = {}
    for p, blocks in enumerate(pages):
        for i, block in enumerate(blocks):
            if (p, i) in levels or not _looks_like_heading(block):
                continue
            larger = block.size >= body * LARGER
            bold = block.bold and block.size >= body * 0.95
            if larger or bold:
                styled[(p, i)] = _style(block)
    ranks = {s: r for r, s in enumerate(sorted(set(styled.values()), key=lambda s: (-s[0], not s[1])))}
    base = max((e.level for e in entries), default=0)
    for pos, style in styled.items():
        number = NUMBERED.match(draft_text(pages[pos[0]][pos[1]]) + " ")
        if number and not entries:
            levels[pos] = number.group(1).count(".") + 1
        else:
            levels[pos] = base + min(ranks[style], 5) + 1
    return levels


def section_paths(
    pages: Sequence[Sequence[DraftBlock]], headings: dict[Position, int]
) -> dict[Position, tuple[str, ...]]:
    """The section path (outermost heading first) of every block, in reading order."""
    stack: list[tuple[int, str]] = []
    paths: dict[Position, tuple[str, ...]] = {}
    for p, blocks in enumerate(pages):
        for i, block in enumerate(blocks):
            level = headings.get((p, i))
            if level is not None:
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, draft_text(block)))
            paths[(p, i)] = tuple(text for _, text in stack)
    return paths
