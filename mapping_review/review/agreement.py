"""Agreement between reviewers: percent agreement, Cohen's and Fleiss' kappa, Krippendorff's alpha.

Ratings are ``{unit: {rater: value}}``; a rater who did not rate a unit is
simply absent (missing data). Cohen's kappa uses the units both raters rated,
Fleiss' kappa the units every rater rated, Krippendorff's alpha (nominal)
every unit with at least two ratings. Undefined values (one category only,
too few units) are ``nan``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from mapping_review.kappa import kappa_of_pairs

Ratings = Mapping[Any, Mapping[str, Any]]
NAN = float("nan")


def percent_agreement(ratings: Ratings) -> float:
    """Share of units with two or more ratings on which all ratings agree."""
    units = [set(r.values()) for r in ratings.values() if len(r) >= 2]
    return sum(len(u) == 1 for u in units) / len(units) if units else NAN


def cohen_kappa(ratings: Ratings, a: str, b: str) -> float:
    """Cohen's kappa of raters ``a`` and ``b`` over the units both rated."""
    return kappa_of_pairs([(r[a], r[b]) for r in ratings.values() if a in r and b in r])


def fleiss_kappa(ratings: Ratings, raters: Sequence[str]) -> float:
    """Fleiss' kappa over the units rated by every one of ``raters``."""
    units = [[r[x] for x in raters] for r in ratings.values() if all(x in r for x in raters)]
    m, n = len(raters), len(units)
    if n == 0 or m < 2:
        return NAN
    totals: Counter[Hashable] = Counter()
    p_bar = 0.0
    for values in units:
        counts = Counter(values)
        totals.update(counts)
        p_bar += (sum(c * c for c in counts.values()) - m) / (m * (m - 1))
    p_bar /= n
    p_e = sum((c / (n * m)) ** 2 for c in totals.values())
    return (p_bar - p_e) / (1 - p_e) if p_e < 1 else NAN


def krippendorff_alpha(ratings: Ratings) -> float:
    """Krippendorff's alpha for nominal data, with missing ratings."""
    coincidences: dict[tuple[Hashable, Hashable], float] = {}
    for r in ratings.values():
        values = list(r.values())
        m = len(values)
        if m < 2:
            continue
        for x, y in combinations(range(m), 2):
            for pair in ((values[x], values[y]), (values[y], values[x])):
                coincidences[pair] = coincidences.get(pair, 0.0) + 1 / (m - 1)
    n_c: dict[Hashable, float] = {}
    for (c, _), w in coincidences.items():
        n_c[c] = n_c.get(c, 0.0) + w
    n = sum(n_c.values())
    if n <= 1:
        return NAN
    observed = sum(w for (c, k), w in coincidences.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k) / (n - 1)
    return 1 - observed / expected if expected > 0 else NAN


@dataclass(frozen=True)
class Agreement:
    """Agreement on one set of units (a code, or all codes pooled)."""

    n_units: int  # units two or more raters rated
    percent: float
    cohen: dict[tuple[str, str], float]
    fleiss: float
    alpha: float
    n_pairs: dict[tuple[str, str], int] = field(default_factory=dict)  # units both raters of a pair rated


def agreement(ratings: Ratings, raters: Sequence[str]) -> Agreement:
    rated = {u: {k: v for k, v in r.items() if k in raters} for u, r in ratings.items()}
    rated = {u: r for u, r in rated.items() if len(r) >= 2}
    return Agreement(
        n_units=len(rated),
        percent=percent_agreement(rated),
        cohen={(a, b): cohen_kappa(rated, a, b) for a, b in combinations(sorted(raters), 2)},
        fleiss=fleiss_kappa(rated, sorted(raters)) if len(raters) > 2 else NAN,
        alpha=krippendorff_alpha(rated),
        n_pairs={(a, b): sum(a in r and b in r for r in rated.values()) for a, b in combinations(sorted(raters), 2)},
    )


def fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"
