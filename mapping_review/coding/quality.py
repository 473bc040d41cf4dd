"""How good the machine's coding is against labels: evidence precision at k, evidence recall on passages
a reader found, and guide-level agreement (Cohen's kappa) with a reader's sheet.

- **Precision at k**: for every guide and code the machine says is present, its k best-ranked
  evidence passages; the share of them a reader labelled ``supports``. A passage without a label is
  counted apart (``unlabelled``), never guessed.
- **Recall**: of the passages a reader labelled ``supports`` that the rule coder had missed when they
  were labelled (``origin=reader``), the share the machine now returns as evidence (scoring at least
  ``floor``).
- **Kappa**: the machine's guide x code answers against the reader's sheet.
- **Precision by score**: precision at 1 of the present codes whose best passage scores at least each of
  a few bars, and how many codes that is: what a reviewer who trusts only quotes above a bar gets.
- **Where precision at 1 is lost** (:func:`first_passage_errors`): a supporting passage ranked lower, or
  none among the candidates; and precision at 1 under a perfect order of the candidates.
- **Intervals**: a percentile bootstrap (:func:`mapping_review.bootstrap.bootstrap_interval`) over the
  items a figure is made of (the present codes' best passages, the guide x code cells), so that a
  difference of a code or two can be read against how much the figure moves by chance. Items of one
  guide are not independent, so for a new guide the true uncertainty is wider still.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from mapping_review.coding.labels import SentenceLabel
from mapping_review.coding.suggestions import Suggestion
from mapping_review.kappa import kappa_of_pairs

LabelIndex = Mapping[tuple[str, str, str], SentenceLabel]  # (guide, unit id, code) -> label


@dataclass
class Tally:
    supports: int = 0
    other: int = 0
    unlabelled: int = 0

    @property
    def labelled(self) -> int:
        return self.supports + self.other

    @property
    def precision(self) -> float | None:
        return self.supports / self.labelled if self.labelled else None

    def add(self, label: SentenceLabel | None) -> None:
        if label is None:
            self.unlabelled += 1
        elif label.supports:
            self.supports += 1
        else:
            self.other += 1


@dataclass
class PrecisionReport:
    k: int
    by_code: dict[str, Tally] = field(default_factory=dict)
    unlabelled_items: list[tuple[str, str, str]] = field(default_factory=list)  # (guide, code, unit id)
    outcomes: list[bool] = field(default_factory=list)  # each labelled passage: supports or not, in order

    @property
    def overall(self) -> Tally:
        total = Tally()
        for t in self.by_code.values():
            total.supports += t.supports
            total.other += t.other
            total.unlabelled += t.unlabelled
        return total


def precision_at(k: int, ranked: Mapping[tuple[str, str], Sequence[Suggestion]], present: Iterable[tuple[str, str]],
                 labels: LabelIndex) -> PrecisionReport:
    """Precision of the ``k`` best passages of every present (guide, code)."""
    report = PrecisionReport(k)
    for guide, code in sorted(present):
        tally = report.by_code.setdefault(code, Tally())
        for s in list(ranked.get((guide, code), ()))[:k]:
            label = labels.get((guide, s.segment, code))
            tally.add(label)
            if label is None:
                report.unlabelled_items.append((guide, code, s.segment))
            else:
                report.outcomes.append(label.supports)
    return report


SCORE_BARS = (0.7, 0.8, 0.9)  # evidence scores at which precision at 1 is reported apart


@dataclass(frozen=True)
class ScoreBand:
    bar: float
    tally: Tally  # the best passages of the present codes whose best passage scores at least ``bar``
    codes: int  # how many present codes that is


def precision_by_score(ranked: Mapping[tuple[str, str], Sequence[Suggestion]], present: Iterable[tuple[str, str]],
                       labels: LabelIndex, *, bars: Sequence[float] = SCORE_BARS) -> list[ScoreBand]:
    """Precision at 1 of the present codes whose best passage scores at least each of ``bars``."""
    best = [items[0] for key in sorted(present) if (items := list(ranked.get(key, ())))]
    bands = []
    for bar in bars:
        tally = Tally()
        shown = [s for s in best if s.rank >= bar]
        for s in shown:
            tally.add(labels.get((s.guide, s.segment, s.code)))
        bands.append(ScoreBand(bar, tally, len(shown)))
    return bands

@dataclass(frozen=True)
class RecallReport:
    found: int
    total: int
    missing: tuple[tuple[str, str, str], ...]  # (guide, code, unit id) still not returned

    @property
    def recall(self) -> float | None:
        return self.found / self.total if self.total else None


def recall_of(suggestions: Iterable[Suggestion], targets: Iterable[tuple[str, str, str]], *,
              floor: float = 0.0) -> RecallReport:
    """Which of ``targets`` (guide, unit id, code) the machine returns as evidence scoring at least ``floor``."""
    returned = {(s.guide, s.segment, s.code) for s in suggestions if s.rank >= floor}
    wanted = sorted(set(targets))
    missing = tuple((g, c, u) for g, u, c in wanted if (g, u, c) not in returned)
    return RecallReport(len(wanted) - len(missing), len(wanted), missing)


def cohen_kappa(truth: Mapping[tuple[str, str], bool], machine: Mapping[tuple[str, str], bool],
                keys: Iterable[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two binary raters over ``keys``; None when undefined (no keys)."""
    return kappa_of([(truth[k], machine.get(k, False)) for k in keys if k in truth])


def kappa_of(pairs: Sequence[tuple[bool, bool]]) -> float | None:
    """Cohen's kappa of (first rater, second rater) answers; None when there are none, 1.0 when both
    raters give one and the same answer throughout (a bootstrap draw can)."""
    if not pairs:
        return None
    kappa = kappa_of_pairs(pairs)
    return 1.0 if math.isnan(kappa) else kappa


def share(outcomes: Sequence[bool]) -> float | None:
    """The share of true outcomes; None when there are none."""
    return sum(outcomes) / len(outcomes) if outcomes else None


@dataclass(frozen=True)
class CellErrors:
    """Where the machine's guide-level answers differ from the reader's sheet, and why.

    Misses (the reader says present, the machine absent) are split by what the rule coder found: a
    candidate labelled ``supports`` that the evidence score left under the bar (judging failed), only
    candidates that are unlabelled or labelled otherwise, or no candidate at all (finding failed).
    Extra codes (the machine says present, the reader absent) are split by how they were decided, and
    counted apart when one of their candidates is labelled ``supports`` (the sentence labels and the
    sheet disagree). ``ceiling`` is the kappa of a perfect judge of the candidates: a code present
    exactly when one of its candidates is labelled ``supports``.
    """

    missed_judged: int
    missed_unlabelled: int
    missed_unfound: int
    extra_weak: int
    extra_strong: int
    extra_supported: int
    ceiling: float | None


def _has_support(key: tuple[str, str], items: Iterable[Suggestion], labels: LabelIndex) -> bool:
    """Whether one of ``items`` (candidates of the (guide, code) ``key``) is labelled ``supports`` for that code."""
    return any((label := labels.get((key[0], s.segment, key[1]))) is not None and label.supports for s in items)


def cell_errors(truth: Mapping[tuple[str, str], bool], machine: Mapping[tuple[str, str], bool],
                ranked: Mapping[tuple[str, str], Sequence[Suggestion]], labels: LabelIndex, *,
                weak: Iterable[tuple[str, str]] = ()) -> CellErrors:
    """The anatomy of the (guide, code) cells of ``truth`` that ``machine`` answers otherwise; ``weak``:
    the present cells decided on weak evidence only."""
    weak = set(weak)
    supported = {key: _has_support(key, ranked.get(key, ()), labels) for key in truth}
    missed = [key for key, value in truth.items() if value and not machine.get(key, False)]
    extra = [key for key, value in truth.items() if not value and machine.get(key, False)]
    return CellErrors(
        missed_judged=sum(supported[k] for k in missed),
        missed_unlabelled=sum(not supported[k] and bool(ranked.get(k)) for k in missed),
        missed_unfound=sum(not ranked.get(k) for k in missed),
        extra_weak=sum(k in weak for k in extra),
        extra_strong=sum(k not in weak for k in extra),
        extra_supported=sum(supported[k] for k in extra),
        ceiling=cohen_kappa(truth, supported, sorted(truth)),
    )


@dataclass(frozen=True)
class FirstPassageErrors:
    """Why the best passage of a present code is not evidence, among the present codes whose best passage
    is labelled: a candidate labelled ``supports`` is ranked lower (ordering failed), or none of its
    candidates is, split by the reader sheet's answer for the cell (absent: the code should not have been
    present; present or not on the sheet: the supporting passage is unlabelled or was not found).
    ``ceiling`` is precision at 1 with a perfect order of each present code's candidates: a labelled
    supporting candidate shown first wherever there is one, over the same present codes (those whose best
    passage is labelled today)."""

    labelled: int  # present codes whose best passage is labelled
    lower: int
    none_absent: int
    none_other: int
    ceiling: float | None


def first_passage_errors(ranked: Mapping[tuple[str, str], Sequence[Suggestion]], present: Iterable[tuple[str, str]],
                         labels: LabelIndex, truth: Mapping[tuple[str, str], bool]) -> FirstPassageErrors:
    """The anatomy of precision at 1's misses (:class:`FirstPassageErrors`)."""
    labelled = right = lower = none_absent = 0
    for key in sorted(present):
        items = list(ranked.get(key, ()))
        first = labels.get((key[0], items[0].segment, key[1])) if items else None
        if first is None:
            continue
        labelled += 1
        if first.supports:
            right += 1
        elif _has_support(key, items, labels):
            lower += 1
        elif truth.get(key) is False:
            none_absent += 1
    return FirstPassageErrors(labelled, lower, none_absent, labelled - right - lower - none_absent,
                              (right + lower) / labelled if labelled else None)


@dataclass(frozen=True)
class ReaderAgreement:
    """How a second, blind reader's sheet compares with the reader sheet the figures are measured
    against, and the machine with each: what a kappa of the machine means beside two people's."""

    cells: int
    readers: float | None  # kappa of the two readers
    machine_first: float | None  # the machine against the reader sheet, on these cells
    machine_second: float | None  # the machine against the second reader
    agreed: int  # cells both readers answer alike
    machine_agreed: float | None  # the machine against them on those cells


def reader_agreement(first: Mapping[tuple[str, str], bool], second: Mapping[tuple[str, str], bool],
                     machine: Mapping[tuple[str, str], bool], keys: Iterable[tuple[str, str]]) -> ReaderAgreement:
    """Agreement over the ``keys`` that both readers answered (a missing machine answer is absent)."""
    cells = sorted(k for k in keys if k in first and k in second)
    agreed = [k for k in cells if first[k] == second[k]]
    return ReaderAgreement(
        cells=len(cells),
        readers=cohen_kappa(first, second, cells),
        machine_first=cohen_kappa(first, machine, cells),
        machine_second=cohen_kappa(second, machine, cells),
        agreed=len(agreed),
        machine_agreed=cohen_kappa(first, machine, agreed),
    )
