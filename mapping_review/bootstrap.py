"""Percentile bootstrap intervals: how far a figure moves when the items it is made of are drawn again.

One way of drawing for every interval the package reports: ``resamples`` rows of item indices drawn with
replacement by numpy's default generator seeded with ``seed``, so that an interval depends only on its own
items and seed; the bounds are the ``(1 - level) / 2`` and ``(1 + level) / 2`` percentiles (linear
interpolation) of the statistic over the rows.

- :func:`mean_interval` - the mean of numbers, all rows at once (the evaluation tables' shares);
- :func:`bootstrap_interval` - any statistic of a list of items that may be undefined on a row (a
  precision, a kappa), computed row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")

__all__ = ["bootstrap_interval", "mean_interval", "resample_indices"]


def resample_indices(n: int, *, resamples: int, seed: int) -> np.ndarray:
    """``resamples`` rows of ``n`` indices into ``n`` items, drawn with replacement."""
    return np.random.default_rng(seed).integers(0, n, (resamples, n))


def _bounds(values: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def mean_interval(values: Sequence[float], *, level: float, resamples: int, seed: int) -> tuple[float, float]:
    """The interval of the mean of ``values``; ``(nan, nan)`` without values."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return float("nan"), float("nan")
    means = x[resample_indices(x.size, resamples=resamples, seed=seed)].mean(axis=-1)
    return _bounds(means, level)


def bootstrap_interval(statistic: Callable[[Sequence[T]], float | None], items: Sequence[T], *, level: float = 0.95,
                       resamples: int = 2000, seed: int = 0) -> tuple[float, float] | None:
    """The interval of ``statistic`` over ``items``; rows on which it is undefined (None) are left out.
    None without items, with a level outside (0, 1), or when the statistic is undefined on every row."""
    if not items or not 0 < level < 1:
        return None
    rows = resample_indices(len(items), resamples=resamples, seed=seed)
    values = [v for v in (statistic([items[i] for i in row]) for row in rows.tolist()) if v is not None]
    if not values:
        return None
    return _bounds(np.asarray(values, dtype=float), level)
