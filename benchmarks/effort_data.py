"""The candidates of the review-effort benchmark: every labelled sentence and code of one part of the
split, with the machine's view of it (rule score, evidence score) and its place in the guide.

Evidence scores are never in-sample: test guides are scored by the shipped classifier (fitted on the
development guides only); each development guide by a classifier fitted on the other development guides.
A labelled sentence the rule coder does not suggest for that code gets rule score 0 and evidence score
``UNSUGGESTED`` (the machine would not show it: it comes after everything it does suggest).
"""

from __future__ import annotations

from dataclasses import dataclass

from coding_quality import label_index, scored
from devset import Devset

from mapping_review.coding.rules import RuleCoder
from mapping_review.coding.suggestions import Suggestion
from mapping_review.coding.units import label_units
from mapping_review.review.queue import Candidate, Key

UNSUGGESTED = 0.01
CODED: dict[str, list[Suggestion]] = {}  # the rule coder's suggestions per guide, made once per run


def coded(devset: Devset, coder: RuleCoder) -> dict[str, list[Suggestion]]:
    """The rule coder's suggestions for every labelled guide (coded once)."""
    for key in devset.keys(None):
        if key not in CODED:
            CODED[key] = coder.code_segments(devset.segments[key])
    return CODED


@dataclass(frozen=True)
class Item:
    candidate: Candidate
    supports: bool
    position: tuple[int, int]  # (guide in split order, unit in reading order)
    rule_score: float


def part_items(devset: Devset, part: str, coder: RuleCoder) -> list[Item]:
    """The labelled candidates of ``part`` (``dev`` or ``test``), in document order."""
    keys = devset.keys(part)
    index, _ = label_index(devset, keys)
    by_guide = scored(devset, coded(devset, coder), part, rules_only=False)
    suggestion: dict[tuple[str, str, str], Suggestion] = {
        (s.guide, s.segment, s.code): s for k in keys for s in by_guide[k]}
    items = []
    for g, key in enumerate(keys):
        units = label_units(devset.segments[key])
        position = {u.id: i for i, u in enumerate(units)}
        text = {u.id: u.text for u in units}
        section = {s.id: s.section for s in devset.segments[key]}
        for (guide, unit, code), label in index.items():
            if guide != key:
                continue
            s = suggestion.get((guide, unit, code))
            prior = s.rank if s is not None else UNSUGGESTED
            c = Candidate(guide, code, unit, text[unit], section.get(unit, ()), prior)
            items.append(Item(c, label.supports, (g, position[unit]), s.score if s is not None else 0.0))
    items.sort(key=lambda it: (it.position, it.candidate.code))
    return items


def truth_of(items: list[Item]) -> dict[Key, bool]:
    return {it.candidate.key: it.supports for it in items}
