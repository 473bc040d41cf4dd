"""Progress that means something: per guide and code, whether the reviewer has decided it; how much is
left; and where reviewers disagree.

Coding is blind: a coder is never told that another reviewer answered an item differently (on a yes/no
item that tells the other answer, and invites changing one's own before the disagreement is counted and
settled). Disagreements - which items, and the answers - are shown to the adjudicators named in
``review.yaml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mapping_review.review.codefirst import own_segment_decisions, reviewer_answers
from mapping_review.review.decisions import CONSENSUS, Decision, guide_level
from mapping_review.review.state import ReviewState


@dataclass(frozen=True)
class GuideProgress:
    guide: str
    decided: int  # codes the reviewer answered (a sheet cell or an accepted quote)
    n_codes: int
    quotes_decided: int  # suggestions the reviewer accepted or rejected
    n_suggestions: int
    undecided: tuple[str, ...]  # the codes still to answer, in codebook order

    @property
    def left(self) -> int:
        return self.n_codes - self.decided


@dataclass(frozen=True)
class Conflict:
    """An item the reviewer answered that another reviewer answered differently."""

    guide: str
    code: str
    answers: dict[str, bool]


@dataclass(frozen=True)
class Progress:
    reviewer: str
    guides: list[GuideProgress]
    conflicts: list[Conflict] = field(default_factory=list)  # on items the reviewer answered
    hidden_conflicts: int = 0  # disagreements between others on items this reviewer has not answered
    decided_cells: frozenset[tuple[str, str]] = frozenset()

    @property
    def decided(self) -> int:
        return sum(g.decided for g in self.guides)

    @property
    def total(self) -> int:
        return sum(g.n_codes for g in self.guides)

    @property
    def left(self) -> int:
        return self.total - self.decided


def disagreements(decisions: Sequence[Decision]) -> dict[tuple[str, str], dict[str, bool]]:
    """Guide-level items that two or more reviewers answered differently and no consensus has settled."""
    answers = guide_level(decisions)
    settled = answers.pop(CONSENSUS, {})
    per_item: dict[tuple[str, str], dict[str, bool]] = {}
    for reviewer, given in answers.items():
        for key, value in given.items():
            per_item.setdefault(key, {})[reviewer] = value
    return {k: v for k, v in sorted(per_item.items()) if len(set(v.values())) > 1 and k not in settled}


def review_progress(state: ReviewState, reviewer: str, *, adjudicator: bool = False) -> Progress:
    """``reviewer``'s progress over every guide and code, and - for an ``adjudicator`` only - the
    disagreements, on items they answered and (as a count) on the others."""
    answers, _ = reviewer_answers(state.decisions, reviewer)
    own = own_segment_decisions(state.decisions, reviewer)
    suggested: dict[str, set[tuple[str, str]]] = {}
    for s in state.suggestions:
        suggested.setdefault(s.guide, set()).add((s.segment, s.code))
    rows = []
    for guide in state.keys:
        undecided = tuple(c.id for c in state.codebook.codes if (guide, c.id) not in answers)
        keys = suggested.get(guide, set())
        rows.append(GuideProgress(guide, len(state.codebook.codes) - len(undecided), len(state.codebook.codes),
                                  sum(k in own for k in keys), len(keys), undecided))
    conflicts, hidden = [], 0
    for (guide, code), given in (disagreements(state.decisions) if adjudicator else {}).items():
        if reviewer in given:
            conflicts.append(Conflict(guide, code, given))
        else:
            hidden += 1
    return Progress(reviewer, rows, conflicts, hidden, frozenset(answers))
