"""From scored evidence to guide-level codes (``source=auto``), and fitting that rule (``decide.v5``).

Each suggestion carries an evidence score in [0, 1] (the evidence classifier's probability; the rule
score when there is no classifier). The rule (``decision`` in the codebook, or its default):

- **one strong passage**: the best evidence scores at least ``min_score``; or
- **weak evidence that accumulates**: passages scoring at least ``min_weak`` in at least
  ``min_sections`` different sections, whose combined score ``1 - prod(1 - best score of each section)``
  reaches ``min_total``. A passage repeated in an appendix counts once (the coder keeps it once).

- **a code the guide leads with** (new in ``decide.v5``, when the codebook sets ``leading``): its best
  passage scores at least ``leading.min_score`` and it is among the ``leading.share`` of the codebook's
  codes whose best passages score highest in that guide. Evidence scores run lower on a guide unlike
  those the classifier learnt from, so a fixed bar misses codes there; the codes a guide has most
  evidence for are still the ones it most likely addresses.

A present code says how it was decided (:func:`strength`): ``strong`` when a passage reaches
``min_score`` - that passage is shown first as the evidence - or ``weak`` when only weak evidence adds
up or the guide leads with it, in which case no passage reaches the bar and the code is marked "weak
evidence only" (on the
development part the best passage of such a code supports it about half the time, against more than
eight in ten for a strong code).

Which passage is shown first (:func:`evidence_key`, new in ``decide.v4``): one that reaches the bar before
one that does not; within each, one matched by an unambiguous phrase of the code (a pattern group of
weight 1) before one matched only by a word with other senses; then the evidence score. The classifier
scores a passing use of an ambiguous word high now and then; a phrase that names the code's subject
is less often beside the point.

:mod:`calibration` fits the rule, and the share of codes a guide leads with, to reviewers' answers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from mapping_review.coding.codebook import Codebook, DecisionRule, LeadingCodes
from mapping_review.coding.suggestions import Suggestion
from mapping_review.coding.versions import DECIDER

__all__ = ["DECIDER", "STRENGTHS", "Evidence", "applies", "auto_codes", "combined", "evidence_key",
           "guide_strengths", "leading_codes", "rank_evidence", "ranked_by_cell", "strength", "summarise"]

STRENGTHS = ("strong", "weak")  # how a present code was decided; "" when absent


@dataclass(frozen=True)
class Evidence:
    """What the machine found for one guide and code."""

    n_evidence: int = 0
    n_sections: int = 0
    max_score: float = 0.0
    section_scores: tuple[float, ...] = field(default=(), compare=False)  # best score per section, best first


def summarise(suggestions: Iterable[Suggestion]) -> dict[tuple[str, str], Evidence]:
    """Evidence per (guide, code)."""
    groups: dict[tuple[str, str], list[Suggestion]] = {}
    for s in suggestions:
        groups.setdefault((s.guide, s.code), []).append(s)
    out = {}
    for key, items in groups.items():
        best: dict[tuple[str, ...], float] = {}
        for s in items:
            best[s.section] = max(best.get(s.section, 0.0), s.rank)
        scores = tuple(sorted(best.values(), reverse=True))
        out[key] = Evidence(len(items), len(best), round(max(scores), 4), scores)
    return out


def combined(scores: Iterable[float]) -> float:
    """``1 - prod(1 - s)``: the chance that at least one passage is real evidence, were they independent."""
    return 1.0 - math.prod(1.0 - min(max(s, 0.0), 1.0) for s in scores)


def applies(rule: DecisionRule, evidence: Evidence) -> bool:
    if evidence.n_evidence < rule.min_evidence:
        return False
    if evidence.max_score >= rule.min_score:
        return True
    weak = [s for s in evidence.section_scores if s >= rule.min_weak]
    return len(weak) >= rule.min_sections and combined(weak) >= rule.min_total


def strength(rule: DecisionRule, evidence: Evidence) -> str:
    """``strong`` when one passage decides the code present, ``weak`` when only weak evidence adding up
    across sections does (no passage to show as evidence on its own), ``""`` when the code is absent."""
    if not applies(rule, evidence):
        return ""
    return "strong" if evidence.max_score >= rule.min_score else "weak"


def evidence_key(s: Suggestion, *, bar: float) -> tuple[bool, bool, float]:
    """Sort key, best evidence first: reaching ``bar`` (the code's ``min_score``), matched by a strong
    pattern group, then the evidence score."""
    return (s.rank < bar, s.weight < 1.0, -s.rank)


def rank_evidence(suggestions: Sequence[Suggestion], *, bar: float) -> list[Suggestion]:
    """The suggestions of one code, best evidence first (:func:`evidence_key`), then by rule score and
    reading order."""
    order = {id(s): i for i, s in enumerate(suggestions)}
    return sorted(suggestions, key=lambda s: (*evidence_key(s, bar=bar), -s.score, order[id(s)]))


def ranked_by_cell(suggestions: Iterable[Suggestion], codebook: Codebook) -> dict[tuple[str, str], list[Suggestion]]:
    """(guide, code) -> its suggestions, best evidence first (:func:`rank_evidence` with the code's bar)."""
    cells: dict[tuple[str, str], list[Suggestion]] = {}
    for s in suggestions:
        cells.setdefault((s.guide, s.code), []).append(s)
    bars = {c.id: c.decision.min_score for c in codebook.codes}
    return {key: rank_evidence(items, bar=bars[key[1]]) for key, items in cells.items()}


def leading_codes(codebook: Codebook, guide: str, evidence: Mapping[tuple[str, str], Evidence], *,
                  leading: LeadingCodes | None = None) -> set[str]:
    """The codes ``guide`` leads with (``leading``, else ``codebook.model.leading``; none when neither is
    set): among the codebook's ``share`` whose best passages score highest in the guide (ties in codebook
    order), those with a passage scoring at least its ``min_score``."""
    leading = leading if leading is not None else codebook.model.leading
    if leading is None:
        return set()
    found = {c.id: evidence.get((guide, c.id), Evidence()) for c in codebook.codes}
    ranked = sorted(found, key=lambda code: -found[code].max_score)  # a stable sort: ties stay in codebook order
    top = ranked[: math.floor(leading.share * len(ranked) + 0.5)]  # half-way rounds up, whatever the count
    return {code for code in top if found[code].n_evidence and found[code].max_score >= leading.min_score}


def guide_strengths(
    codebook: Codebook, guides: Sequence[str], evidence: Mapping[tuple[str, str], Evidence],
    *, rules: Mapping[str, DecisionRule] | None = None, leading: LeadingCodes | None = None,
) -> dict[tuple[str, str], str]:
    """How the machine decides every guide x code (:data:`STRENGTHS`, ``""`` when absent): by the code's
    rule (``rules`` override a code's own), else ``weak`` when the guide leads with it (``leading``
    overrides the codebook's share)."""
    rules = rules or {}
    out = {}
    for g in guides:
        leads = leading_codes(codebook, g, evidence, leading=leading)
        for c in codebook.codes:
            decided = strength(rules.get(c.id, c.decision), evidence.get((g, c.id), Evidence()))
            out[(g, c.id)] = decided or ("weak" if c.id in leads else "")
    return out


def auto_codes(
    codebook: Codebook, guides: Sequence[str], evidence: Mapping[tuple[str, str], Evidence],
    *, rules: Mapping[str, DecisionRule] | None = None, leading: LeadingCodes | None = None,
) -> dict[tuple[str, str], bool]:
    """The machine's guide-level decision for every guide x code."""
    return {key: bool(how) for key, how in
            guide_strengths(codebook, guides, evidence, rules=rules, leading=leading).items()}
