"""Fitting the guide-level rule to reviewers' guide-level answers (``calibrate.v2``).

:func:`calibrate` fits one pooled rule across all codes - the thresholds of :class:`DecisionRule` and,
when the codebook sets ``leading``, the share of codes a guide leads with - each guide held out in turn to
report agreement before and after. The grid loosens as well as tightens the codebook's rule: a team that
reads "addresses" more broadly than the codebook's rule gets more codes, a stricter team fewer.

The codebook's rule stays unless a fitted one gets more answers right by at least one per reviewed guide
(and at least ``MIN_GAIN``), and - fitted without each reviewed guide in turn - gets ``MIN_GAIN`` more of
the held-out guides' answers right than the codebook's rule: on a few guides most of a wide grid's gains
are chance, and a gain that shows only on the guides it was fitted to is not one. A code gets a rule of
its own only when that beats the pooled rule on held-out guides by ``MIN_GAIN`` answers. A code whose
feature or sub-value sets its own rule in the codebook keeps it: the pooled rule replaces only the
codebook-wide one, and a fitted rule of the code's own must beat the codebook's rule for that code.

The held-out figures are of the whole procedure: each guide is answered by the rules the build would use
had only the other guides been reviewed, the guard that keeps or moves the pooled rule run without it
too. With two reviewed guides the guard then sees one, which cannot show a held-out gain, so the figures
show none even where the build moves the rule.

Every grid rule's answer for every reviewed cell is worked out once (:class:`_Grid`), and per guide; a fit
on any set of guides is then a sum over them, so that holding each guide out (twice over) costs little.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mapping_review.coding.codebook import Codebook, DecisionRule, LeadingCodes
from mapping_review.coding.decide import Evidence, applies, auto_codes, leading_codes
from mapping_review.kappa import kappa_of_pairs

CALIBRATOR = "calibrate.v2"

SCORE_GRID = (0.5, 0.6, 0.7, 0.8, 0.9)
SECTION_GRID = (2, 3, 5)
WEAK_GRID = (0.1, 0.2, 0.3, 0.4)
TOTAL_GRID = (0.4, 0.5, 0.6, 0.7, 0.85, 0.95)
SHARE_GRID = (0.0, 0.3, 0.4, 0.5, 0.6)  # of the codebook's codes a guide leads with (0: none)
MIN_GAIN = 2  # answers a fitted rule must get right beyond the rule it would replace
GAIN_PER_GUIDE = 1  # ... and, for the pooled rule, at least this many per reviewed guide


@dataclass(frozen=True)
class Calibration:
    rules: dict[str, DecisionRule]
    guides: list[str]
    agreement_before: dict[str, float]  # held-out guide -> share of codes agreeing with reviewers
    agreement_after: dict[str, float]
    pooled: DecisionRule | None = None
    per_code: tuple[str, ...] = ()  # codes whose own rule beat the pooled one on held-out guides
    leading: LeadingCodes | None = None  # the fitted share of codes a guide leads with (None: the codebook sets none)
    held_out: dict[tuple[str, str], bool] = field(default_factory=dict)  # reviewed cells, fitted without their guide
    truth: dict[tuple[str, str], bool] = field(default_factory=dict)  # the reviewers' answers it was fitted to
    before: dict[tuple[str, str], bool] = field(default_factory=dict)  # the codebook rule's answers on those cells
    default: DecisionRule | None = None  # the codebook's rule and share
    default_leading: LeadingCodes | None = None
    code_defaults: dict[str, DecisionRule] = field(default_factory=dict)  # each code's rule in the codebook
    codebook_rules: tuple[str, ...] = ()  # codes keeping the rule the codebook sets on them
    held_out_gain: int = 0  # answers of held-out guides the build's procedure gets right beyond the codebook's rule
    pooled_gain: int = 0  # ... a fitted pooled rule gets right: the pooled rule moves only if this reaches MIN_GAIN
    name: str = CALIBRATOR

    @property
    def mean_before(self) -> float:
        return sum(self.agreement_before.values()) / len(self.agreement_before) if self.agreement_before else 0.0

    @property
    def mean_after(self) -> float:
        return sum(self.agreement_after.values()) / len(self.agreement_after) if self.agreement_after else 0.0

    @property
    def kappa_before(self) -> float:
        """Cohen's kappa of the codebook's rule against the reviewers, on every reviewed cell (nan when undefined)."""
        return kappa_of_pairs([(self.truth[k], self.before[k]) for k in sorted(self.before)])

    @property
    def kappa_after(self) -> float:
        """Cohen's kappa of the fitted rules against the reviewers, each guide held out (nan when undefined)."""
        return kappa_of_pairs([(self.truth[k], self.held_out[k]) for k in sorted(self.held_out)])

    @property
    def replaced(self) -> bool:
        """Whether the fit answers otherwise than the codebook's rules and share anywhere."""
        return (self.pooled != self.default or self.leading != self.default_leading
                or any(r != self.code_defaults.get(c, self.default) for c, r in self.rules.items()))

    def kind_of(self, code: str) -> str:
        """How ``code``'s rule came about: ``own`` (fitted to it), ``codebook`` (set on it in the codebook) or
        ``pooled``."""
        return "own" if code in self.per_code else "codebook" if code in self.codebook_rules else "pooled"


def grid_rules(default: DecisionRule) -> list[DecisionRule]:
    """``default`` first, then every rule of the grid (keeping ``default``'s ``min_evidence``)."""
    return [default] + [
        DecisionRule(min_score=score, min_sections=sections, min_weak=weak, min_total=total,
                     min_evidence=default.min_evidence)
        for score in SCORE_GRID for sections in SECTION_GRID for weak in WEAK_GRID for total in TOTAL_GRID
    ]


def _distance(rule: DecisionRule, default: DecisionRule) -> float:
    return (abs(rule.min_score - default.min_score) + abs(rule.min_weak - default.min_weak)
            + abs(rule.min_total - default.min_total) + abs(rule.min_sections - default.min_sections) / 10)


def _best_each(hits: np.ndarray, distance: np.ndarray, need: np.ndarray) -> np.ndarray:
    """For each column of ``hits`` (rules x fits), the rule with the most hits (ties: the smallest distance,
    then the first) if it reaches that column's ``need``, else -1. Distances are rounded first: a step either
    side of the codebook's value is as far, whatever the floats say."""
    top = hits.max(axis=0)
    nearest = np.argmin(np.where(hits == top, np.round(distance, 9)[:, None], np.inf), axis=0)
    return np.where(top >= need, nearest, -1)


def _best(hits: np.ndarray, distance: np.ndarray, need: float) -> int | None:
    """:func:`_best_each` for one fit: the index, or None."""
    chosen = int(_best_each(hits[:, None], distance, np.array([need]))[0])
    return None if chosen < 0 else chosen


def _one_rule(hits: np.ndarray, distance: np.ndarray, base: int) -> int:
    """The rule with the most ``hits`` (ties: the one nearest ``base``); ``base`` unless it gets ``MIN_GAIN``
    more answers right."""
    return int(_one_rule_each(hits[:, None], distance, base)[0])


def _one_rule_each(hits: np.ndarray, distance: np.ndarray, base: int) -> np.ndarray:
    """:func:`_one_rule` for each column of ``hits`` (rules x fits) at once."""
    chosen = _best_each(hits, distance, hits[base] + MIN_GAIN)
    return np.where(chosen < 0, base, chosen)


def fit_rule(items: Sequence[tuple[Evidence, bool]], default: DecisionRule) -> DecisionRule:
    """The grid rule that agrees best with ``items`` (evidence, reviewers' answer); ties go to the rule
    closest to ``default``, and ``default`` stays unless a rule gets ``MIN_GAIN`` more answers right."""
    if not items:
        return default
    rules = grid_rules(default)
    hits = np.array([sum(applies(r, e) == answer for e, answer in items) for r in rules])
    return rules[_one_rule(hits, np.array([_distance(r, default) for r in rules]), 0)]


_Fit = tuple[DecisionRule, "LeadingCodes | None", dict[str, DecisionRule], list[str]]  # pooled, share, rules, own


class _Grid:
    """Every grid rule's answer, and every grid share's led codes, for every reviewed cell."""

    def __init__(self, codebook: Codebook, evidence: Mapping[tuple[str, str], Evidence],
                 truth: Mapping[tuple[str, str], bool]) -> None:
        default = codebook.model.decision
        self.rules = grid_rules(default)
        self.cells = sorted(truth)
        self.truth = np.array([truth[k] for k in self.cells], dtype=bool)
        self.guide = np.array([g for g, _ in self.cells])
        self.code = np.array([c for _, c in self.cells])
        self.evidence = [evidence.get(k, Evidence()) for k in self.cells]
        raw = np.array([[applies(r, e) for e in self.evidence] for r in self.rules], dtype=bool)
        self.own = {c.id: c.decision for c in codebook.codes if c.own_rule}  # rules the codebook sets on codes
        kept = np.array([c in self.own for _, c in self.cells], dtype=bool)
        own_answers = np.array([c in self.own and applies(self.own[c], e) for (_, c), e in zip(self.cells, self.evidence)],
                               dtype=bool)
        self.answers = np.where(kept[None, :], own_answers[None, :], raw)  # a pooled rule leaves codes' own rules be
        self.own_right = own_answers == self.truth
        self.raw_right = raw == self.truth  # each grid rule's answers, for a rule fitted to one code
        self.rule_distance = np.array([_distance(r, default) for r in self.rules])
        own = codebook.model.leading
        self.leadings: list[LeadingCodes | None] = [own]
        if own is not None:
            self.leadings += [LeadingCodes(share=share, min_score=own.min_score) for share in SHARE_GRID
                              if share != own.share]
        self.guides = sorted(set(self.guide.tolist()))
        self.at = {g: i for i, g in enumerate(self.guides)}
        self.by_guide = np.eye(len(self.guides), dtype=int)[[self.at[g] for g in self.guide]]  # cells x guides
        self.led = []
        for leading in self.leadings:
            sets = {g: leading_codes(codebook, g, evidence, leading=leading) for g in self.guides} if leading else {}
            self.led.append(np.array([c in sets.get(g, ()) for g, c in self.cells], dtype=bool))
        share_distance = np.array([0.0 if x is None or own is None else abs(x.share - own.share) for x in self.leadings])
        self.distance = share_distance[:, None] + self.rule_distance[None, :]  # (share, rule) from the codebook's
        right_led = [(self.answers | led) == self.truth for led in self.led]  # ... with the led cells present
        self.right_led = [right.astype(int) @ self.by_guide for right in right_led]  # per leading: rules x guides
        self._code_cache: dict[tuple[str, int, int], tuple[list[DecisionRule], np.ndarray, np.ndarray, np.ndarray]] = {}

    def pooled(self, guides: Sequence[str]) -> tuple[int, int]:
        """(rule, leading) indices fitted on ``guides``; (0, 0) - the codebook's - unless a fit gets
        ``GAIN_PER_GUIDE`` more answers right per guide (at least ``MIN_GAIN``)."""
        columns = self._columns(guides)
        hits = np.stack([right[:, columns].sum(axis=1) for right in self.right_led])
        need = hits[0, 0] + max(MIN_GAIN, GAIN_PER_GUIDE * len(guides))
        chosen = _best(hits.ravel(), self.distance.ravel(), need)
        return (0, 0) if chosen is None else (chosen % len(self.rules), chosen // len(self.rules))

    def _columns(self, guides: Sequence[str]) -> np.ndarray:
        return np.array([self.at[g] for g in guides if g in self.at], dtype=int)

    def _code(self, code: str, pooled: int, leading: int
              ) -> tuple[list[DecisionRule], np.ndarray, np.ndarray, np.ndarray]:
        """The rules a code's own fit chooses from - the grid, then the rule it must beat (last) -, how many
        of each guide's cells of the code each gets right (rules x guides), its distance from the rule it must
        beat and each guide's number of cells. A rule the codebook sets on the code keeps its minimum of
        passages; cells a guide leads with are left out (present whatever the rule). Worked out once: every
        fold fit asks again."""
        key = (code, pooled, leading)
        if key not in self._code_cache:
            own = self.own.get(code)
            if own is None:
                candidates = [*self.rules, self.rules[pooled]]
                right = np.vstack([self.raw_right, self.raw_right[pooled]])
            else:
                grid = [r.model_copy(update={"min_evidence": own.min_evidence}) for r in self.rules]
                mine = np.flatnonzero(self.code == code)
                right = np.zeros((len(grid) + 1, len(self.cells)), dtype=bool)
                right[:-1, mine] = np.array([[applies(r, self.evidence[i]) for i in mine] for r in grid],
                                            dtype=bool).reshape(len(grid), len(mine)) == self.truth[mine]
                right[-1] = self.own_right
                candidates = [*grid, own]
            usable = (self.code == code) & ~self.led[leading]
            distance = np.array([_distance(r, candidates[-1]) for r in candidates])
            self._code_cache[key] = (candidates, (right & usable).astype(int) @ self.by_guide, distance,
                                     usable.astype(int) @ self.by_guide)
        return self._code_cache[key]

    def fit(self, codebook: Codebook, guides: Sequence[str], *, codebook_pooled: bool = False) -> _Fit:
        """The pooled rule and share (the codebook's with ``codebook_pooled``), and per-code rules where each
        beats the pooled rule on held-out guides (cells a guide leads with left out of a code's fit: they are
        present whatever the rule)."""
        pooled, leading = (0, 0) if codebook_pooled else self.pooled(guides)
        columns = self._columns(guides)
        rules = {c.id: self.own.get(c.id, self.rules[pooled]) for c in codebook.codes}
        own: list[str] = []
        for code in codebook.codes:
            candidates, right, distance, cells = self._code(code.id, pooled, leading)
            if not cells[columns].any():
                continue
            on_held = right[:, columns]  # each guide held out in turn (one without cells of the code gains nothing)
            total = on_held.sum(axis=1)  # every rule's right answers for the code on all of guides
            base = len(candidates) - 1
            chosen = _one_rule_each(total[:, None] - on_held, distance, base)
            gain = int(on_held[chosen, np.arange(len(columns))].sum() - on_held[base].sum())
            if gain >= MIN_GAIN:
                rules[code.id] = candidates[_one_rule(total, distance, base)]
                own.append(code.id)
        return self.rules[pooled], self.leadings[leading], rules, own


def _answers(codebook: Codebook, held: str, evidence: Mapping[tuple[str, str], Evidence], fit: _Fit,
             codes: Sequence[str]) -> dict[str, bool]:
    _, leading, rules, _ = fit
    fitted = auto_codes(codebook, [held], evidence, rules=rules, leading=leading)
    return {c: fitted[(held, c)] for c in codes}


def _build_fit(grid: _Grid, codebook: Codebook, evidence: Mapping[tuple[str, str], Evidence],
               truth: Mapping[tuple[str, str], bool], guides: Sequence[str], default: Mapping[tuple[str, str], bool],
               ) -> tuple[_Fit, int]:
    """The rules the build answers with when ``guides`` are reviewed, and the held-out gain of a fitted
    pooled rule over the codebook's answers (``default``) on them (the pooled rule moves only if it reaches
    ``MIN_GAIN``)."""
    gain = 0
    for held in guides:
        codes = [c.id for c in codebook.codes if (held, c.id) in truth]
        fitted = _answers(codebook, held, evidence, grid.fit(codebook, [g for g in guides if g != held]), codes)
        gain += sum(int(fitted[c] == truth[(held, c)]) - int(default[(held, c)] == truth[(held, c)]) for c in codes)
    return grid.fit(codebook, guides, codebook_pooled=gain < MIN_GAIN), gain


def calibrate(
    codebook: Codebook, evidence: Mapping[tuple[str, str], Evidence], truth: Mapping[tuple[str, str], bool],
) -> Calibration:
    """Fit the rule to ``truth`` (reviewers' guide-level codes); agreement before and after, each guide held out.

    A held-out guide is answered by the rules the build would use had the other guides alone been
    reviewed - the whole procedure, the pooled rule's held-out guard included, run without it."""
    grid = _Grid(codebook, evidence, truth)
    guides = sorted({g for g, _ in truth})
    before: dict[str, float] = {}
    after: dict[str, float] = {}
    held_out: dict[tuple[str, str], bool] = {}
    codebook_answers: dict[tuple[str, str], bool] = {}
    gain = 0
    default = auto_codes(codebook, guides, evidence)  # the codebook's answers: each guide's on its own
    for held in guides:
        codes = [c.id for c in codebook.codes if (held, c.id) in truth]
        if not codes:  # answered only on codes the codebook no longer has
            continue
        others = [g for g in guides if g != held]
        fitted = _answers(codebook, held, evidence, _build_fit(grid, codebook, evidence, truth, others, default)[0],
                          codes)
        right_before = sum(default[(held, c)] == truth[(held, c)] for c in codes)
        right_after = sum(fitted[c] == truth[(held, c)] for c in codes)
        before[held], after[held] = right_before / len(codes), right_after / len(codes)
        gain += right_after - right_before
        held_out.update({(held, c): fitted[c] for c in codes})
        codebook_answers.update({(held, c): default[(held, c)] for c in codes})
    (pooled, leading, rules, own), pooled_gain = _build_fit(grid, codebook, evidence, truth, guides, default)
    return Calibration(rules=rules, guides=guides, agreement_before=before, agreement_after=after, pooled=pooled,
                       per_code=tuple(own), leading=leading, held_out=held_out, truth=dict(truth),
                       before=codebook_answers, default=codebook.model.decision, default_leading=codebook.model.leading,
                       code_defaults={c.id: c.decision for c in codebook.codes},
                       codebook_rules=tuple(c for c in grid.own if c not in own), held_out_gain=gain,
                       pooled_gain=pooled_gain)


def share_of(leading: LeadingCodes | None) -> str:
    """How a calibration's share reads in a report."""
    return "none set" if leading is None else f"{leading.share:g} of the codes (from a score of {leading.min_score:g})"

