"""The learning queue (queue.v1) and the review-effort measures, on small candidate sets whose right answer
is known by construction."""

import numpy as np
import pytest

from mapping_review.errors import ConfigError
from mapping_review.review.effort import by_code, guide_reads, reads_to_recall, recall_at, replay_queue, wss
from mapping_review.review.queue import Candidate, LearningQueue, guide_gain

HOUSING = ["Offer help to find stable housing and a home.", "Support the person to keep their housing.",
           "Help with housing applications and tenancy.", "Ask about housing needs and homelessness.",
           "Refer to housing support services.", "Discuss housing and accommodation options."]
OTHER = ["The committee looked at the evidence from trials.", "This guideline was published in 2016.",
         "Table 3 lists the studies that were included.", "Prevalence figures are given in the appendix.",
         "The review protocol is in the evidence report.", "Economic modelling was not done for this question."]


def cands(texts, code="support/housing", guide="g1", prior=0.5, tag="s"):
    return [Candidate(guide, code, f"{guide}:{tag}{i}", t, ("Housing",), prior) for i, t in enumerate(texts)]


def test_before_any_decision_the_prior_ranks():
    items = [Candidate("g", "c", f"s{i}", "same words here", (), p) for i, p in enumerate([0.2, 0.9, 0.5])]
    q = LearningQueue(strategy="relevance").fit(items)
    assert [r.candidate.segment for r in q.ranked()] == ["s1", "s2", "s0"]


def test_decisions_teach_the_queue_which_sentences_support():
    items = cands(HOUSING) + cands(OTHER, tag="o")
    q = LearningQueue(strategy="relevance", prior_strength=1.0).fit(items)
    before = q.probabilities().copy()
    labels = {c.key: True for c in items[:3]} | {c.key: False for c in items[6:9]}
    q.update(labels)
    after = q.probabilities()
    rest_housing, rest_other = [3, 4, 5], [9, 10, 11]
    assert min(after[rest_housing]) > max(after[rest_other])  # learnt from the words alone (equal priors)
    assert np.allclose(before, 0.5) and not np.allclose(after, before)
    ranked = [r.candidate.segment for r in q.ranked()]
    assert set(ranked[:3]) == {items[i].segment for i in rest_housing}
    assert all(c.key not in {r.candidate.key for r in q.ranked()} for c in items[:3])  # decided ones leave


def test_the_same_decision_again_teaches_nothing_new():
    items = cands(HOUSING)
    q = LearningQueue().fit(items, {items[0].key: True})
    coef = q.model_.coef_.copy()
    q.update({items[0].key: True, ("unknown", "c"): False})
    assert np.array_equal(coef, q.model_.coef_) and len(q.labels_) == 1


def test_gain_puts_guide_codes_whose_answer_is_known_last():
    a = cands(HOUSING[:3], guide="ga", prior=0.6)
    b = cands(HOUSING[3:], guide="gb", prior=0.3)
    q = LearningQueue(strategy="gain").fit(a + b)
    assert q.ranked()[0].candidate.guide == "ga"  # the likelier evidence first while both are open
    q.update({a[0].key: True})  # an accepted quote answers ga's question
    order = [r.candidate.guide for r in q.ranked()]
    assert order == ["gb", "gb", "gb", "ga", "ga"]
    q2 = LearningQueue(strategy="gain").fit(a + b, settled={("gb", "support/housing")})  # a sheet answer
    assert [r.candidate.guide for r in q2.ranked()][:3] == ["ga", "ga", "ga"]


def test_gain_is_the_information_about_the_guide_level_answer():
    items = cands(HOUSING[:3], prior=0.5)
    q = LearningQueue(strategy="gain", relevance_weight=0.0).fit(items)
    p = q.probabilities()
    others = (1 - p[1]) * (1 - p[2])
    assert q.priorities()[0] == pytest.approx(guide_gain(float(p[0]), float(others)))
    assert guide_gain(1.0, 0.5) == pytest.approx(0.0)  # a certain yes: the answer is known already
    assert guide_gain(0.0, 0.5) == pytest.approx(0.0)  # a certain no tells nothing
    assert guide_gain(0.5, 1.0) == pytest.approx(1.0)  # the only candidate, even odds: one bit


def test_stopping_hint_after_a_run_without_support():
    items = cands(HOUSING) + cands(OTHER, tag="o")
    q = LearningQueue().fit(items)
    q.update({items[0].key: True})
    for c in items[6:10]:
        q.update({c.key: False})
    hint = q.stopping("support/housing", window=4)
    assert (hint.decided, hint.supporting, hint.since_last, hint.left) == (5, 1, 4, 7)
    assert hint.may_stop and "no supporting sentence in the last 4 shown" in hint.message()
    assert not q.stopping("support/housing", window=5).may_stop
    q.update({items[1].key: True})
    assert q.stopping("support/housing", window=4).since_last == 0


def test_limits_and_strategies_are_checked():
    q = LearningQueue().fit(cands(HOUSING))
    with pytest.raises(ConfigError, match="limit must be 1 or more"):
        q.ranked(limit=0)
    assert len(q.ranked(limit=2)) == 2
    with pytest.raises(ConfigError, match="strategy"):
        LearningQueue(strategy="random").fit(cands(HOUSING))


def test_reads_to_recall_and_work_saved():
    relevant = [True, False, True, False]
    assert reads_to_recall(relevant, 0.95) == 3 and reads_to_recall(relevant, 0.5) == 1
    assert wss(relevant) == pytest.approx((4 - 3) / 4 - 0.05)
    assert wss([True, True, False, False, False]) == pytest.approx(3 / 5 - 0.05)
    assert wss([False, False, False, True]) == pytest.approx(-0.05)  # reading everything saves nothing
    assert recall_at(relevant, 0.25) == 0.5 and recall_at(relevant, 1.0) == 1.0
    with pytest.raises(ConfigError):
        reads_to_recall([False, False], 0.95)


def test_guide_reads_counts_until_each_guide_code_has_a_supporting_sentence():
    order = cands(["a", "b"], guide="g1") + cands(["c", "d"], guide="g2")
    truth = {order[0].key: True, order[1].key: True, order[2].key: False, order[3].key: True}
    assert guide_reads(order, truth, 1.0) == 4 and guide_reads(order, truth, 0.5) == 1


def test_a_replayed_reviewer_reads_every_candidate_once_and_finds_support_early():
    items = cands(HOUSING) + cands(OTHER, tag="o")
    truth = {c.key: c.text in HOUSING for c in items}
    replay = replay_queue(items, truth, make_queue=lambda: LearningQueue(strategy="relevance", prior_strength=1.0))
    assert sorted(c.key for c in replay.order) == sorted(truth)
    found = by_code(replay.order, truth)["support/housing"]
    assert sum(found[:8]) >= 5  # the words learnt from the first decisions lift the other housing sentences


def test_stop_at_follows_the_hint():
    from mapping_review.review.effort import stop_at

    assert stop_at([True, False, False, True, False, False, False], 3) == 7
    assert stop_at([False, False, False, True], 3) == 3  # three read, none supporting
    assert stop_at([True, False, False], 3) == 3
    assert stop_at([True, True], 3) == 2  # never: everything read


def test_an_empty_queue_has_nothing_to_show():
    q = LearningQueue().fit([])
    assert q.ranked() == [] and q.next() is None
    assert q.stopping("support/housing", window=3).message() == "every candidate decided"
