"""Where another program's selection is in a guide.

Programs count offsets in the plain text differently: code points (the standard), a Windows line
end as one character or two, or UTF-16 units. The reading of a source is the convention under which
its selections most often start and end at word boundaries. A selection is then found by its text
(exactly where it says, else by its letters and digits nearest to where it says) or, for a PDF area
without text, by the paragraphs its box covers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mapping_review.exchange.reading import QdaSelection
from mapping_review.exchange.text import GuideText, Match

_NAMED = re.compile(r"^(?P<seg>\S+?)(?: \[(?P<start>\d+):(?P<end>\d+)\])?$")


def _utf16_positions(text: str) -> list[int]:
    """For each UTF-16 offset into ``text``, the code point index it stands for (-1 inside a surrogate pair)."""
    out = []
    for i, ch in enumerate(text):
        out += [i, -1] if ord(ch) > 0xFFFF else [i]
    return [*out, len(text)]


def _positions(convention: str, text: str) -> Callable[[int], int]:
    """Their offset -> an index into ``text`` (-1 when it cannot stand at a character's start)."""
    if convention != "UTF-16 units":
        return lambda a: a
    units = _utf16_positions(text)
    return lambda a: units[a] if 0 <= a < len(units) else len(text) if a >= len(units) else -1


@dataclass
class SourceText:
    """A source's plain text read under one offset convention."""

    text: str
    convention: str
    same: bool  # the text is the guide's own representation: offsets are ours
    scale: float  # our length / theirs, to turn their offsets into a position hint
    position: Callable[[int], int]  # their offset -> an index into ``text`` (-1 inside a surrogate pair)

    def _start(self, a: int) -> int:
        """Their start offset as an index into ``text``; inside a surrogate pair, its character's start."""
        at = self.position(a)
        return max(0, at if at >= 0 else self.position(a - 1))

    def _end(self, b: int) -> int:
        """Their end offset as an index into ``text``; inside a surrogate pair, its character's end."""
        at = self.position(b)
        return max(0, at if at >= 0 else self.position(b + 1))

    def text_of(self, sel: QdaSelection) -> str:
        return self.text[self._start(sel.start) : self._end(sel.end)] if sel.start >= 0 else sel.text

    def hint(self, sel: QdaSelection) -> int:
        """Where ``sel`` starts in our text: exactly, when the text is ours (less the Windows line ends
        before it, which ours does not have), else scaled."""
        at = self._start(sel.start)
        return at - self.text.count("\r\n", 0, at) if self.same else int(at * self.scale)

    def page_of(self, sel: QdaSelection, gt: GuideText | None) -> int:
        if gt is None or sel.start < 0:
            return sel.page
        return gt.page_at(self.hint(sel))


def _at_word_boundaries(text: str, piece: str, a: int, b: int) -> bool:
    if not piece.strip():
        return False
    starts = a == 0 or not (text[a - 1 : a].isalnum() and piece[:1].isalnum())
    ends = b >= len(text) or not (text[b : b + 1].isalnum() and piece[-1:].isalnum())
    return starts and ends


def best_reading(theirs: str | None, selections: Sequence[QdaSelection], gt: GuideText | None) -> SourceText | None:
    """The convention that puts most selections on word boundaries (code points when tied)."""
    if theirs is None:
        return None
    ours = gt.text if gt is not None else ""
    variants = [("code points", theirs)]
    if "\r\n" in theirs:
        variants.append(("a line end as one character", theirs.replace("\r\n", "\n")))
    if any(ord(ch) > 0xFFFF for ch in theirs):
        variants.append(("UTF-16 units", theirs))
    texts = [s for s in selections if s.start >= 0]

    def score(variant: tuple[str, str]) -> int:  # every convention judged alike: in code points of its text
        name, text = variant
        pos = _positions(name, text)
        spans = [(pos(s.start), pos(s.end)) for s in texts]
        return sum(a >= 0 and b >= 0 and _at_word_boundaries(text, text[a:b], a, b) for a, b in spans)

    name, text = max(variants, key=lambda v: (score(v), -variants.index(v)))
    same = text.replace("\r\n", "\n") == ours
    return SourceText(text, name, same, len(ours) / max(1, len(text)), _positions(name, text))


def match_selection(sel: QdaSelection, reading: SourceText | None, gt: GuideText) -> Match | None:
    """The segments ``sel`` covers, or None when its text is not in the guide."""
    if sel.start < 0 and not sel.text:
        return _by_box(sel, gt)
    if reading is not None and sel.start >= 0:
        text, hint = reading.text_of(sel), reading.hint(sel)
    else:
        text = sel.text
        hint = gt.page_starts[sel.page - 1] if 0 < sel.page <= len(gt.page_starts) else -1
    span = gt.locate(text, hint)
    if span is None:
        return None
    named = _NAMED.match(sel.name.strip())
    by_id = {s.id: s for s in gt.segments}
    if named and named.group("seg") in by_id:
        seg = by_id[named.group("seg")]
        start, end = (int(named.group("start")), int(named.group("end"))) if named.group("start") else (-1, -1)
        if gt.span_of(seg, start, end) == span:
            return Match((seg,), start, end, page=gt.page_at(span[0]))
    return gt.segments_at(*span, name=named.group("seg") if named else "")


def _by_box(sel: QdaSelection, gt: GuideText) -> Match | None:
    """Paragraphs of the page at least half inside a PDF area (REFI-QDA boxes are in PDF points
    from the bottom left; ours from the top left)."""
    if sel.box is None or not 0 < sel.page <= len(gt.heights):
        return None
    height = gt.heights[sel.page - 1]
    x1, y1, x2, y2 = sel.box
    left, right, top, bottom = min(x1, x2), max(x1, x2), height - max(y1, y2), height - min(y1, y2)
    inside = []
    for seg in gt.segments:
        if seg.kind != "paragraph" or seg.page != sel.page or seg.bbox is None:
            continue
        a, t, b, u = seg.bbox
        overlap = max(0.0, min(b, right) - max(a, left)) * max(0.0, min(u, bottom) - max(t, top))
        if overlap >= 0.5 * max(1.0, (b - a) * (u - t)):
            inside.append(seg)
    return Match(tuple(inside), page=sel.page) if inside else None


def selection_page(sel: QdaSelection, reading: SourceText | None, gt: GuideText | None) -> int | str:
    """The page of a selection: given (PDF areas), known (our own text), or estimated from its position."""
    if sel.page or reading is None or gt is None or sel.start < 0:
        return sel.page
    page = reading.page_of(sel, gt)
    return page if reading.same else f"about {page}"
