"""Percentile bootstrap intervals: one way of drawing for the evaluation tables and the coding benchmark."""

import math

import numpy as np
import pytest

from mapping_review.bootstrap import bootstrap_interval, mean_interval, resample_indices
from mapping_review.coding.quality import share


def test_resample_indices_are_drawn_with_replacement_from_every_item_and_depend_on_the_seed():
    rows = resample_indices(5, resamples=400, seed=3)
    assert rows.shape == (400, 5)
    assert set(rows.ravel().tolist()) == {0, 1, 2, 3, 4}  # every item is drawn, and no index beyond them
    assert any(len(set(row)) < 5 for row in rows.tolist())  # with replacement
    assert np.array_equal(rows, resample_indices(5, resamples=400, seed=3))
    assert not np.array_equal(rows, resample_indices(5, resamples=400, seed=4))


def test_the_mean_interval_is_the_general_interval_of_the_mean():
    values = [(i * 7 % 11) / 10 for i in range(40)]
    fast = mean_interval(values, level=0.9, resamples=3000, seed=7)
    slow = bootstrap_interval(lambda xs: sum(xs) / len(xs), values, level=0.9, resamples=3000, seed=7)
    assert slow is not None and fast == pytest.approx(slow, abs=1e-12)
    assert fast != mean_interval(values, level=0.9, resamples=3000, seed=8)
    assert fast[0] < sum(values) / len(values) < fast[1]
    assert all(math.isnan(x) for x in mean_interval([], level=0.95, resamples=10, seed=0))
    assert mean_interval([0.5] * 6, level=0.95, resamples=50, seed=0) == (0.5, 0.5)


def test_bootstrap_interval_of_a_share_matches_the_binomial_spread():
    outcomes = [True] * 300 + [False] * 700
    low, high = bootstrap_interval(share, outcomes, resamples=4000)
    # a share of 0.3 over 1000 items: 0.3 -+ 1.96 * sqrt(0.3 * 0.7 / 1000) = 0.3 -+ 0.0284 (0.0238 at 90%)
    assert abs(low - 0.2716) < 0.002 and abs(high - 0.3284) < 0.002
    assert bootstrap_interval(share, outcomes, resamples=4000) == (low, high)  # the same seed, the same interval
    narrow = bootstrap_interval(share, outcomes, level=0.5)
    assert low < narrow[0] < 0.3 < narrow[1] < high
    few = bootstrap_interval(share, outcomes[::20])
    assert few[0] < low and few[1] > high  # fewer items, a wider interval


def test_bootstrap_interval_takes_the_same_share_of_resamples_off_either_end():
    counter = iter(range(1, 10**6))
    # a statistic that ignores its items: the resamples' values are 1, 2, ... 2001, so the 95% interval
    # leaves out 50 values at either end
    assert bootstrap_interval(lambda items: next(counter), [True], resamples=2001) == pytest.approx((51, 1951), abs=1e-9)


def test_bootstrap_interval_draws_every_item():
    # one true item of five: some resample must draw it
    assert bootstrap_interval(share, [False] * 4 + [True], level=0.99)[1] > 0


def test_bootstrap_interval_leaves_out_undefined_resamples_and_needs_items():
    assert bootstrap_interval(share, []) is None
    assert bootstrap_interval(share, [True], level=1.0) is None
    # a statistic undefined on about half the resamples: the interval is of the others
    odd = bootstrap_interval(lambda items: None if items[0] else float(sum(items)), [True, False], resamples=500)
    assert odd == (0.0, 1.0)
    assert bootstrap_interval(lambda items: None, [True, False]) is None


def test_the_drawing_and_the_percentiles_are_the_documented_ones():
    # rows of item indices from numpy's default generator, bounds by linear interpolation: the evaluation
    # tables' published intervals (bootstrap-percentile.v1) are made so, and must not change unannounced
    values = [(i * 37 % 101) / 7 for i in range(23)]
    rows = np.random.default_rng(11).integers(0, len(values), (700, len(values)))
    means = np.asarray(values)[rows].mean(axis=-1)
    expected = tuple(float(x) for x in np.percentile(means, [5.0, 95.0], method="linear"))
    assert mean_interval(values, level=0.9, resamples=700, seed=11) == pytest.approx(expected, abs=1e-12)
    medians = [float(np.median(np.asarray(values)[row])) for row in rows]
    general = bootstrap_interval(lambda xs: float(np.median(xs)), values, level=0.9, resamples=700, seed=11)
    assert general == pytest.approx(tuple(float(x) for x in np.percentile(medians, [5.0, 95.0])), abs=1e-12)


def test_the_evaluation_tables_pass_their_settings_on():
    from mapping_review.publish.results_tables import BOOTSTRAP, LEVEL, RESAMPLES, SEED
    from mapping_review.publish.results_tables import bootstrap_interval as table_interval

    values = [(i * 7 % 11) / 10 for i in range(40)]
    assert (BOOTSTRAP, LEVEL, RESAMPLES) == ("bootstrap-percentile.v1", 0.95, 10_000)  # what v1 means
    assert table_interval(values) == mean_interval(values, level=LEVEL, resamples=RESAMPLES, seed=SEED)
    assert table_interval(values, level=0.5, resamples=300, seed=4) == mean_interval(
        values, level=0.5, resamples=300, seed=4)


def test_bootstrap_interval_defaults_are_the_documented_ones():
    # level 0.95, 2000 resamples, seed 0: intervals published with the defaults must not move unannounced
    values = [(i * 7 % 11) / 10 for i in range(40)]

    def mean(xs):
        return sum(xs) / len(xs)

    interval = bootstrap_interval(mean, values)
    assert interval == bootstrap_interval(mean, values, level=0.95, resamples=2000, seed=0)
    assert interval != bootstrap_interval(mean, values, level=0.95, resamples=2000, seed=1)
    assert interval != bootstrap_interval(mean, values, level=0.95, resamples=1000, seed=0)


def test_a_level_of_zero_is_no_interval():
    assert bootstrap_interval(share, [True, False], level=0.0) is None


def test_the_mean_interval_of_no_values_warns_of_nothing():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert all(math.isnan(x) for x in mean_interval([], level=0.95, resamples=10, seed=0))
