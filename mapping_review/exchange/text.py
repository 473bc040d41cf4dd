"""A guide's plain-text representation for REFI-QDA, and finding a selection's segments in it.

The representation is the extracted pages' text joined by a blank line; a segment's span in it is
its page span moved by the page's offset. A selection from another program is found by its text -
exactly where it says, else by its letters and digits alone (so line breaks, hyphenation and
spacing do not matter), nearest to where it says - and then mapped to the segments it covers.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from mapping_review.extract import Document
from mapping_review.extract.cache import load_document
from mapping_review.extract.stage import guide_extractor
from mapping_review.project.layout import Project
from mapping_review.project.manifest import Guide
from mapping_review.segment.segments import Segment, jsonl_to_segments

PAGE_BREAK = "\n\n"
MIN_SKELETON = 8  # letters and digits a selection needs before it is searched for loosely
KIND_ORDER = {"sentence": 0, "paragraph": 1, "section": 2}


def _skeleton(text: str) -> tuple[str, list[int]]:
    """Letters and digits of ``text``, case folded, with each one's offset in ``text``."""
    chars, where = [], []
    for i, ch in enumerate(text):
        if ch.isalnum():
            folded = ch.casefold()
            chars.append(folded)
            where.extend([i] * len(folded))
    return "".join(chars), where


@dataclass(frozen=True)
class Match:
    """Segments a selection covers: whole segments, or one segment and a span of its text."""

    segments: tuple[Segment, ...]
    start: int = -1
    end: int = -1
    page: int = 0


@dataclass
class GuideText:
    key: str
    text: str
    page_starts: list[int]
    segments: list[Segment]
    heights: list[float] = field(default_factory=list)  # page heights, for PDF areas
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, doc: Document, segments: Sequence[Segment]) -> GuideText:
        starts, pieces, offset = [], [], 0
        for i, page in enumerate(doc.pages):
            if i:
                pieces.append(PAGE_BREAK)
                offset += len(PAGE_BREAK)
            starts.append(offset)
            pieces.append(page.text)
            offset += len(page.text)
        gt = cls(key, "".join(pieces), starts, list(segments), [p.height for p in doc.pages])
        for seg in segments:
            gt.spans[seg.id] = (starts[seg.page - 1] + seg.start, starts[seg.end_page - 1] + seg.end)
        return gt

    def page_at(self, offset: int) -> int:
        return max(1, bisect.bisect_right(self.page_starts, offset))

    @cached_property
    def skeleton(self) -> tuple[str, list[int]]:
        return _skeleton(self.text)

    def span_of(self, seg: Segment, start: int = -1, end: int = -1) -> tuple[int, int]:
        """Where a segment (or a span of its text) is in the representation."""
        a, b = self.spans[seg.id]
        if start < 0:
            return a, b
        if seg.page == seg.end_page:
            return a + start, a + end
        part = seg.text[start:end]
        found = self.text.find(part, a, b)
        return (found, found + len(part)) if found >= 0 else (a, b)

    def locate(self, text: str, hint: int) -> tuple[int, int] | None:
        """Where ``text`` is: exactly at ``hint``, else its letters and digits nearest to ``hint``."""
        if hint >= 0 and self.text[hint : hint + len(text)] == text and text.strip():
            return hint, hint + len(text)
        wanted, _ = _skeleton(text)
        if len(wanted) < MIN_SKELETON:
            return None
        skeleton, where = self.skeleton
        hits, at = [], skeleton.find(wanted)
        while at >= 0:
            hits.append(at)
            at = skeleton.find(wanted, at + 1)
        if not hits:
            return None
        best = min(hits, key=lambda h: abs(where[h] - hint))
        return where[best], where[best + len(wanted) - 1] + 1

    def segments_at(self, start: int, end: int, *, name: str = "") -> Match | None:
        """The segments a located span covers: a segment with exactly this span (the one named
        ``name`` first, else the smallest kind), else the sentences it mostly covers, else the
        sentence it lies in (with the span in that sentence's text)."""
        page = self.page_at(start)
        exact = [s for s in self.segments if self.spans[s.id] == (start, end)]
        if exact:
            exact.sort(key=lambda s: (s.id != name, KIND_ORDER.get(s.kind, 3)))
            return Match((exact[0],), page=page)
        sentences = [s for s in self.segments if s.kind == "sentence" and self._overlap(s, start, end) > 0]
        mostly = [s for s in sentences if self._overlap(s, start, end) >= 0.5 * self._length(s)]
        if mostly:
            return Match(tuple(mostly), page=page)
        holder = next((s for s in sentences if self.spans[s.id][0] <= start and end <= self.spans[s.id][1]), None)
        if holder is None or holder.page != holder.end_page:
            return None
        a = self.spans[holder.id][0]
        return Match((holder,), start - a, end - a, page=page)

    def _overlap(self, seg: Segment, start: int, end: int) -> int:
        a, b = self.spans[seg.id]
        return max(0, min(b, end) - max(a, start))

    def _length(self, seg: Segment) -> int:
        a, b = self.spans[seg.id]
        return max(1, b - a)


def load_guide_text(project: Project, guide: Guide, *, engine: str) -> GuideText | None:
    """The representation of a guide that has been extracted and segmented (None otherwise)."""
    seg_path = project.segments_dir / f"{guide.key}.jsonl"
    if not guide.sha256 or not seg_path.exists():
        return None
    doc = load_document(project.cache_dir, guide.sha256, guide_extractor(engine, guide))  # OCR'd text, if it was
    if doc is None:
        return None
    return GuideText.of(guide.key, doc, jsonl_to_segments(seg_path.read_text(encoding="utf-8")))
