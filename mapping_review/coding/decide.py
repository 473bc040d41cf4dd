"""From segment suggestions to guide-level codes (``source=auto``), and fitting that rule.

The rule, per code (``decision`` in the codebook, or the codebook default):
a guide has the code when at least ``min_evidence`` sentences suggest it, in
at least ``min_sections`` different sections, and the best of them scores at
least ``min_score``. :func:`calibrate` fits these thresholds per code to the
reviewers' guide-level decisions, and reports agreement before and after
with each guide held out in turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mapping_review.coding.codebook import Codebook, DecisionRule
from mapping_review.coding.suggestions import Suggestion

EVIDENCE_GRID = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32)
SECTION_GRID = (1, 2, 3, 5)
SCORE_GRID = (0.0, 0.5, 1.0, 1.25)
MIN_GAIN = 2  # guides a fitted rule must get right beyond the default's before it replaces it


@dataclass(frozen=True)
class Evidence:
    """What the machine found for one guide and code."""

    n_evidence: int = 0
    n_sections: int = 0
    max_score: float = 0.0


def summarise(suggestions: Iterable[Suggestion]) -> dict[tuple[str, str], Evidence]:
    """Evidence per (guide, code)."""
    groups: dict[tuple[str, str], list[Suggestion]] = {}
    for s in suggestions:
        groups.setdefault((s.guide, s.code), []).append(s)
    return {
        key: Evidence(len(items), len({s.section for s in items}), max(s.score for s in items))
        for key, items in groups.items()
    }


def applies(rule: DecisionRule, evidence: Evidence) -> bool:
    return (
        evidence.n_evidence >= rule.min_evidence
        and evidence.n_sections >= rule.min_sections
        and evidence.max_score >= rule.min_score
    )


def auto_codes(
    codebook: Codebook, guides: Sequence[str], evidence: Mapping[tuple[str, str], Evidence],
    *, rules: Mapping[str, DecisionRule] | None = None,
) -> dict[tuple[str, str], bool]:
    """The machine's guide-level decision for every guide x code."""
    rules = rules or {}
    return {
        (g, c.id): applies(rules.get(c.id, c.decision), evidence.get((g, c.id), Evidence()))
        for g in guides
        for c in codebook.codes
    }


def _accuracy(rule: DecisionRule, items: Sequence[tuple[Evidence, bool]]) -> float:
    return sum(applies(rule, e) == truth for e, truth in items) / len(items) if items else 0.0


def fit_rule(items: Sequence[tuple[Evidence, bool]], default: DecisionRule) -> DecisionRule:
    """The thresholds that agree best with ``items`` (evidence, reviewers' answer).

    A rule replaces the default only when it gets at least ``MIN_GAIN`` more
    guides right (with a handful of reviewed guides, smaller gains are noise);
    ties go to the rule closest to the default.
    """
    if not items:
        return default
    margin = MIN_GAIN / len(items)
    base = _accuracy(default, items)
    best, best_key = default, (base + margin - 1e-9, 0.0)
    for n in EVIDENCE_GRID:
        for sections in SECTION_GRID:
            if sections > n:
                continue
            for score in SCORE_GRID:
                rule = DecisionRule(min_evidence=n, min_sections=sections, min_score=score)
                distance = abs(n - default.min_evidence) + abs(sections - default.min_sections)
                key = (_accuracy(rule, items), -distance)
                if key > best_key:
                    best, best_key = rule, key
    return best


@dataclass(frozen=True)
class Calibration:
    rules: dict[str, DecisionRule]
    guides: list[str]
    agreement_before: dict[str, float]  # held-out guide -> share of codes agreeing with reviewers
    agreement_after: dict[str, float]

    @property
    def mean_before(self) -> float:
        return sum(self.agreement_before.values()) / len(self.agreement_before) if self.agreement_before else 0.0

    @property
    def mean_after(self) -> float:
        return sum(self.agreement_after.values()) / len(self.agreement_after) if self.agreement_after else 0.0


def calibrate(
    codebook: Codebook, evidence: Mapping[tuple[str, str], Evidence], truth: Mapping[tuple[str, str], bool],
) -> Calibration:
    """Fit each code's rule to ``truth`` (reviewers' guide-level codes), guide by guide held out."""
    guides = sorted({g for g, _ in truth})
    before: dict[str, float] = {}
    after: dict[str, float] = {}
    for held in guides:
        train = [g for g in guides if g != held]
        hits_before = hits_after = total = 0
        for code in codebook.codes:
            if (held, code.id) not in truth:
                continue
            items = [(evidence.get((g, code.id), Evidence()), truth[(g, code.id)]) for g in train
                     if (g, code.id) in truth]
            rule = fit_rule(items, code.decision) if items else code.decision
            e = evidence.get((held, code.id), Evidence())
            hits_before += applies(code.decision, e) == truth[(held, code.id)]
            hits_after += applies(rule, e) == truth[(held, code.id)]
            total += 1
        if total:
            before[held], after[held] = hits_before / total, hits_after / total
    rules = {}
    for code in codebook.codes:
        items = [(evidence.get((g, code.id), Evidence()), truth[(g, code.id)]) for g in guides if (g, code.id) in truth]
        if items:
            rules[code.id] = fit_rule(items, code.decision)
    return Calibration(rules=rules, guides=guides, agreement_before=before, agreement_after=after)
