"""The units of text the coder reads: sentences, and headings (which also carry the text of boxes and
flowchart cells that the layout set apart in bold), after the hygiene rules.

A heading unit keeps the id, page and box of its section segment, with the heading line as its text
and ``kind="heading"``. Units under skipped headings (contents, references, research
recommendations ...) are left out, as is text that is not coded (:mod:`hygiene`), and a passage
repeated later in the guide is kept once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mapping_review.coding.hygiene import first_occurrences, heading_name, not_coded, skipped_heading
from mapping_review.coding.labels import Unit
from mapping_review.segment.segments import Segment

UNITS = "units.v1"
CONTENTS = ("contents", "table of contents")


def heading_unit(section: Segment) -> Segment:
    """The heading line of a section segment, as a unit of its own."""
    text = section.text.split("\n\n", 1)[0].strip()
    return replace(section, kind="heading", role="heading", text=text, end_page=section.page,
                   end=section.start + len(text), boxes=section.boxes[:1], parent=None)


def is_skipped(section: Sequence[str], skip: Sequence[str]) -> bool:
    """Under a skipped heading; a contents heading counts only as the nearest one (a mis-levelled
    "Contents" must not swallow the guide)."""
    for depth, heading in enumerate(reversed(section)):
        if skipped_heading(heading, skip) and (depth == 0 or heading_name(heading) not in CONTENTS):
            return True
    return False


def coding_units(segments: Sequence[Segment], *, skip: Sequence[str]) -> list[Segment]:
    """Sentences and headings that are coded, in reading order."""
    candidates: list[Segment] = []
    skipped: dict[tuple[str, ...], bool] = {}  # a guide has far fewer section paths than units
    for seg in segments:
        if seg.kind == "sentence":
            unit = seg
        elif seg.kind == "section":
            unit = heading_unit(seg)
        else:
            continue
        under_skipped = skipped.get(unit.section)
        if under_skipped is None:
            under_skipped = skipped[unit.section] = is_skipped(unit.section, skip)
        if under_skipped or not_coded(unit.text, heading=unit.kind == "heading"):
            continue
        candidates.append(unit)
    keep = first_occurrences([(u.text, u.section) for u in candidates])
    return [u for u, k in zip(candidates, keep) if k]


def label_units(segments: Sequence[Segment]) -> list[Unit]:
    """Every sentence and heading, for finding labelled sentences again (nothing filtered)."""
    out = []
    for seg in segments:
        if seg.kind in ("sentence", "section"):
            unit = heading_unit(seg) if seg.kind == "section" else seg
            out.append(Unit(unit.id, unit.guide, unit.page, unit.end_page, unit.text))
    return out
