"""Headings: which blocks are headings, at which level, and each block's section path.

Three signals, strongest first: the PDF outline (bookmarks) when the file has
one; numbering such as NICE's ``1.2 Assessment``; font size and weight
compared with the body text (weight only when the body text is not bold
itself, as in illustrated guides set in bold). Never headings: table rows,
contents entries, bracketed date tags ("[2003, amended 2014]"), picture
captions ("Picture D"), lines ending like speech ("…", "!"), and art text
drawn a letter or two at a time ("THO FEE UGH", "Da ily Mon itoring"). A
heading that wraps onto the next page is one heading.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence

from mapping_review.extract.contents import TITLE as CONTENTS_TITLE
from mapping_review.extract.layout import NUMBERED, TAG, DraftBlock
from mapping_review.extract.model import OutlineEntry
from mapping_review.extract.textnorm import lexicon

MAX_HEADING_LINES = 4
MAX_HEADING_WORDS = 25
LARGER = 1.12  # a heading's size relative to the body text
NOT_HEADING_KINDS = ("list_item", "table_row", "contents")
CAPTION = re.compile(r"^(?:picture|figure|fig\.|image|illustration|photo|diagram)\s+[\dA-Z]{1,3}\b", re.I)
SPEECH_ENDS = ("…", "...", "!")
SHORT_WORDS = frozenset((
    "a", "i", "an", "as", "at", "be", "by", "do", "go", "he", "if", "in", "is", "it", "me", "my", "no", "of",
    "on", "or", "so", "to", "up", "us", "we", "and", "are", "but", "can", "did", "for", "get", "had", "has",
    "her", "him", "his", "how", "its", "let", "may", "new", "not", "now", "one", "our", "out", "see", "she",
    "the", "too", "two", "use", "was", "way", "who", "why", "yes", "you",
))
_KEY = re.compile(r"[\W_]+")
_LETTERS = re.compile(r"[^\W\d_]+")

Position = tuple[int, int]  # (page index, block index)


def _key(text: str) -> str:
    return _KEY.sub("", text.casefold())


def draft_text(block: DraftBlock) -> str:
    return " ".join(ln.text for ln in block.lines)


def body_style(pages: Sequence[Sequence[DraftBlock]]) -> tuple[float, bool]:
    """The font size and weight most of the text is set in."""
    weights: Counter[tuple[float, bool]] = Counter()
    for blocks in pages:
        for block in blocks:
            for line in block.lines:
                weights[(round(line.size * 2) / 2, line.bold)] += len(line.text)
    return weights.most_common(1)[0][0] if weights else (10.0, False)


def fragmented(text: str) -> bool:
    """Art text drawn a letter or two at a time: words broken into pieces that make a word only
    together ("Da ily", "HEADAC HES"), or nothing but scraps of three letters or fewer that are
    not common short words ("THO FEE UGH AND LIN TS GS")."""
    words = lexicon()
    tokens = _LETTERS.findall(text)
    if len(tokens) < 2:
        return False
    for a, b in zip(tokens, tokens[1:]):
        if (a + b).lower() in words and (a.lower() not in words or b.lower() not in words):
            return True
    scraps = [t for t in tokens if t.lower() not in SHORT_WORDS]
    return len(tokens) >= 4 and all(len(t) <= 3 for t in tokens) and len(scraps) >= 3


def _outline_levels(outline: Sequence[OutlineEntry]) -> list[OutlineEntry]:
    """The outline without a single root that only holds the document title."""
    roots = [e for e in outline if e.level == 1]
    if len(roots) == 1 and len(outline) > 1 and outline[0] is roots[0]:
        return [OutlineEntry(level=e.level - 1, title=e.title, page=e.page) for e in outline[1:]]
    return list(outline)


def _looks_like_heading(block: DraftBlock) -> bool:
    if block.kind in NOT_HEADING_KINDS or len(block.lines) > MAX_HEADING_LINES:
        return False
    text = draft_text(block)
    return (
        len(text.split()) <= MAX_HEADING_WORDS
        and sum(c.isalpha() for c in text) >= 3
        and not text[:1].islower()
        and not text.endswith((".", ",", ";", *SPEECH_ENDS))
        and not TAG.match(text)
        and not CAPTION.match(text)
        and not fragmented(text)
    )


def _matches(block: DraftBlock, title: str) -> bool:
    if len(block.lines) > MAX_HEADING_LINES + 1 or block.kind in NOT_HEADING_KINDS:
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


def outline_headings(pages: Sequence[Sequence[DraftBlock]], outline: Sequence[OutlineEntry]) -> dict[Position, int]:
    """Positions of the heading blocks the PDF's outline (bookmarks) names, and their levels."""
    return _match_outline(pages, _outline_levels(outline))


def find_headings(pages: Sequence[Sequence[DraftBlock]], outline: Sequence[OutlineEntry], *,
                  outlined: dict[Position, int] | None = None) -> dict[Position, int]:
    """Positions of the heading blocks and their levels (1 = top); ``outlined`` is what
    :func:`outline_headings` gave, when it is at hand."""
    entries = _outline_levels(outline)
    levels = dict(outlined) if outlined is not None else _match_outline(pages, entries)
    body, body_bold = body_style(pages)
    styled: dict[Position, tuple[float, bool]] = {}
    for p, blocks in enumerate(pages):
        for i, block in enumerate(blocks):
            if (p, i) in levels or len(block.lines) > MAX_HEADING_LINES:
                continue
            larger = block.size >= body * LARGER
            bold = block.bold and not body_bold and block.size >= body * 0.95
            if (larger or bold) and _looks_like_heading(block):
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


def heading_tails(pages: Sequence[Sequence[DraftBlock]], headings: dict[Position, int]) -> list[Position]:
    """First blocks of pages that carry on a heading ending the page before: the same size and
    weight, a line or two, and a heading that does not end like a sentence or the tail starting
    in lower case. They are made headings of the same level."""
    tails = []
    for p in range(1, len(pages)):
        if not pages[p - 1] or not pages[p]:
            continue
        last = (p - 1, len(pages[p - 1]) - 1)
        head, tail = pages[p - 1][-1], pages[p][0]
        if last not in headings or _style(head) != _style(tail) or len(tail.lines) > 2 or tail.kind != "paragraph":
            continue
        if tail.number or NUMBERED.match(draft_text(tail)):
            continue
        if draft_text(tail)[:1].islower() or not draft_text(head).endswith((".", ":", "?", "!")):
            headings[(p, 0)] = headings[last]
            tails.append((p, 0))
    return tails


def section_paths(
    pages: Sequence[Sequence[DraftBlock]], headings: dict[Position, int], tails: Sequence[Position] = (),
    authored: Collection[Position] = (),
) -> dict[Position, tuple[str, ...]]:
    """The section path (outermost heading first) of every block, in reading order; a heading's
    tail on the next page (``tails``) completes it, also in the path of the heading itself.

    A heading found by its looks whose text is that of a heading already on the path (a title page
    again, a running title read as a heading) starts no section: what follows stays where it was. Headings
    of the PDF's outline (``authored``) are taken as they are: a subsection may share its parent's name."""
    stack: list[tuple[int, str]] = []
    paths: dict[Position, tuple[str, ...]] = {}
    contents_pages = {p for p, blocks in enumerate(pages) if any(b.kind == "contents" for b in blocks)}
    for p, blocks in enumerate(pages):
        for i, block in enumerate(blocks):
            level = headings.get((p, i))
            if p not in contents_pages:  # a "Contents" heading ends with the contents pages: no section under it
                stack = _without_contents(stack)
            if (p, i) in tails and stack:
                stack[-1] = (stack[-1][0], f"{stack[-1][1]} {draft_text(block)}")
                previous = (p - 1, len(pages[p - 1]) - 1)
                paths[previous] = tuple(text for _, text in stack)
            elif level is not None:
                text = draft_text(block)
                same = [k for k, (_, known) in enumerate(stack) if _key(known) == _key(text)]
                if same and (p, i) not in authored:
                    paths[(p, i)] = tuple(known for _, known in stack[: same[0] + 1])
                    continue
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, text))
            paths[(p, i)] = tuple(text for _, text in stack)
    return paths


def _without_contents(stack: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The heading stack up to a "Contents" heading on it, if any."""
    for k, (_, text) in enumerate(stack):
        if CONTENTS_TITLE.match(text.strip()):
            return stack[:k]
    return stack
