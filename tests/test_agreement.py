import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss

from mapping_review.kappa import kappa_of_pairs
from mapping_review.review.agreement import (
    agreement,
    cohen_kappa,
    fleiss_kappa,
    fmt,
    krippendorff_alpha,
    percent_agreement,
)


def test_cohen_worked_example():
    # 50 items: both yes 20, a yes/b no 5, a no/b yes 10, both no 15 -> kappa 0.4
    pairs = [(1, 1)] * 20 + [(1, 0)] * 5 + [(0, 1)] * 10 + [(0, 0)] * 15
    ratings = {i: {"a": x, "b": y} for i, (x, y) in enumerate(pairs)}
    assert cohen_kappa(ratings, "a", "b") == pytest.approx(0.4)
    assert percent_agreement(ratings) == pytest.approx(0.7)


def test_fleiss_worked_example():
    # Fleiss (1971) as reproduced in the literature: 10 subjects, 14 raters, 5 categories -> 0.210
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings = {}
    for i, counts in enumerate(table):
        values = [c for c, n in enumerate(counts) for _ in range(n)]
        ratings[i] = {f"r{j}": v for j, v in enumerate(values)}
    assert fleiss_kappa(ratings, [f"r{j}" for j in range(14)]) == pytest.approx(0.210, abs=5e-4)


def test_krippendorff_worked_example_with_missing_data():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal example: alpha = 0.743
    data = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    ratings = {u: {r: v[u] for r, v in data.items() if v[u] is not None} for u in range(12)}
    assert krippendorff_alpha(ratings) == pytest.approx(0.743, abs=5e-4)


def test_undefined_values_are_nan():
    same = {i: {"a": 1, "b": 1} for i in range(5)}
    assert math.isnan(cohen_kappa(same, "a", "b"))
    assert math.isnan(krippendorff_alpha({}))


matrices = st.integers(2, 4).flatmap(
    lambda k: st.lists(st.lists(st.integers(0, 2), min_size=k, max_size=k), min_size=4, max_size=30)
)


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_against_independent_implementations(rows):
    raters = [f"r{i}" for i in range(len(rows[0]))]
    ratings = {u: dict(zip(raters, row)) for u, row in enumerate(rows)}
    a = [r[0] for r in rows]
    b = [r[1] for r in rows]
    ours = cohen_kappa(ratings, "r0", "r1")
    theirs = cohen_kappa_score(a, b) if len(set(a) | set(b)) > 1 else float("nan")
    assert (math.isnan(ours) and math.isnan(theirs)) or ours == pytest.approx(theirs, abs=1e-9)
    table, _ = aggregate_raters(np.array(rows))
    with np.errstate(divide="ignore", invalid="ignore"):
        sm = sm_fleiss(table)
    ours_f = fleiss_kappa(ratings, raters)
    assert (math.isnan(ours_f) and not np.isfinite(sm)) or ours_f == pytest.approx(sm, abs=1e-9)
    rel = np.array(rows, dtype=float).T
    if len(set(np.ravel(rows))) > 1:
        assert krippendorff_alpha(ratings) == pytest.approx(
            krippendorff.alpha(reliability_data=rel, level_of_measurement="nominal"), abs=1e-9)


def test_alpha_with_missing_matches_the_krippendorff_package():
    rel = np.array([[1, 0, np.nan, 1, 0, 1], [1, 1, 0, np.nan, 0, 1], [np.nan, 1, 0, 1, 0, 0]])
    ratings = {u: {f"r{r}": rel[r, u] for r in range(3) if not np.isnan(rel[r, u])} for u in range(6)}
    expected = krippendorff.alpha(reliability_data=rel, level_of_measurement="nominal")
    assert krippendorff_alpha(ratings) == pytest.approx(expected, abs=1e-9)


def test_percent_agreement_counts_only_units_two_raters_rated():
    ratings = {"u1": {"a": 1, "b": 0}, "u2": {"a": 1}, "u3": {"b": 0}}
    assert percent_agreement(ratings) == 0.0
    assert math.isnan(percent_agreement({"u1": {"a": 1}}))
    assert math.isnan(percent_agreement({}))


def test_cohen_kappa_leaves_out_units_one_of_the_pair_did_not_rate():
    pairs = [(1, 1), (1, 0), (0, 0), (0, 0), (1, 1)]
    ratings = {i: {"a": x, "b": y} for i, (x, y) in enumerate(pairs)}
    ratings[9] = {"a": 1, "c": 0}  # b did not rate unit 9: not a No of b's
    assert cohen_kappa(ratings, "a", "b") == pytest.approx(cohen_kappa_score(*zip(*pairs)))


def test_cohen_kappa_of_raters_without_a_shared_unit_is_nan():
    # no unit both raters rated: kappa is undefined, not zero agreement
    assert math.isnan(kappa_of_pairs([]))
    ratings = {"u1": {"a": 1}, "u2": {"b": 0}, "u3": {"a": 0, "c": 1}}
    assert math.isnan(cohen_kappa(ratings, "a", "b"))
    assert math.isnan(agreement(ratings, ["a", "b", "c"]).cohen[("a", "b")])


def test_fleiss_kappa_of_one_rater_is_nan():
    assert math.isnan(fleiss_kappa({"u1": {"a": 1}, "u2": {"a": 0}}, ["a"]))


def test_agreement_of_chosen_raters_ignores_the_others():
    ratings = {"u1": {"a": 1, "b": 1, "c": 0}, "u2": {"a": 0, "b": 0, "c": 1}, "u3": {"a": 1, "c": 1},
               "u4": {"b": 1, "c": 0}}
    two = agreement(ratings, ["a", "b"])
    assert (two.n_units, two.percent, two.n_pairs) == (2, 1.0, {("a", "b"): 2})
    assert math.isnan(two.fleiss)  # two raters: Cohen's kappa, not Fleiss'
    three = agreement(ratings, ["a", "b", "c"])
    assert three.n_units == 4 and three.n_pairs == {("a", "b"): 2, ("a", "c"): 3, ("b", "c"): 3}
    assert three.percent == pytest.approx(1 / 4)


def test_fmt():
    assert (fmt(0.4), fmt(-0.12345), fmt(float("nan"))) == ("0.400", "-0.123", "n/a")
