"""The learning queue (queue.v1), the queue over a project's review (queue_state) and the review-effort measures,
on small candidate sets whose right answer is known by construction."""

import numpy as np
import pytest

from mapping_review.coding.suggestions import Suggestion
from mapping_review.errors import ConfigError
from mapping_review.review.decisions import Decision
from mapping_review.review.effort import by_code, guide_reads, reads_to_recall, recall_at, replay_queue, wss
from mapping_review.review.queue import Candidate, LearningQueue, guide_gain
from mapping_review.review.queue_state import (
    build_queue,
    candidate_of,
    decisions_in_order,
    queue_view,
    rank_for_review,
    refresh,
    reviewer_labels,
)

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


def keys(ranked):
    return [r.candidate.segment for r in ranked]


def test_a_certain_prior_is_ranked_first_not_divided_by():
    items = [Candidate("g", "c", f"s{i}", "same words here", (), p) for i, p in enumerate([0.0, 1.0, 0.5])]
    q = LearningQueue(strategy="relevance").fit(items)  # a rule score of 1 or more is a prior of 1.0
    p = q.probabilities()
    assert keys(q.ranked()) == ["s1", "s2", "s0"] and 0.0 < p[0] < p[2] < p[1] < 1.0


def test_a_changed_decision_is_counted_once_when_stopping():
    items = cands(HOUSING)
    q = LearningQueue().fit(items)
    q.update({items[0].key: False})
    q.update({items[0].key: True})  # the reviewer changed their mind
    hint = q.stopping("support/housing", window=1)
    assert (hint.decided, hint.supporting, hint.since_last, hint.left) == (1, 1, 0, 5)


def test_each_update_replays_the_earlier_decisions(monkeypatch):
    items = cands(HOUSING) + cands(OTHER, tag="o")
    q = LearningQueue().fit(items, {items[0].key: True, items[6].key: False, items[7].key: False})
    taught = []
    learn = q.model_.partial_fit

    def spy(X, y, **kw):
        taught.append(list(y))
        return learn(X, y, **kw)

    monkeypatch.setattr(q.model_, "partial_fit", spy)
    q.update({items[1].key: True})
    assert taught[-1] == [1, 1, 0, 0]  # the new decision first, then the three earlier ones
    q.replay = 2
    q.update({items[8].key: False})
    assert len(taught[-1]) == 3 and taught[-1][0] == 0  # at most ``replay`` earlier ones


def test_decisions_on_one_code_leave_another_codes_prior_alone():
    a = cands(HOUSING[:3], code="a")
    b = cands(OTHER[:3], code="b", tag="o", prior=0.3)
    q = LearningQueue(prior_strength=1.0).fit(a + b)
    q.update({a[0].key: True, a[1].key: False})
    p = q.probabilities()
    assert np.allclose(p[3:], 0.3) and not np.allclose(p[:3], 0.5)


def test_ranking_leaves_the_probabilities_of_decided_candidates_alone():
    items = cands(HOUSING)
    q = LearningQueue(strategy="relevance").fit(items, {items[0].key: True})
    before = q.probabilities().copy()
    q.ranked()
    assert np.array_equal(q.probabilities(), before)


@pytest.mark.parametrize("strategy", ["gain", "relevance"])
def test_decided_candidates_have_no_priority(strategy):
    items = cands(HOUSING)
    q = LearningQueue(strategy=strategy).fit(items, {items[0].key: True, items[1].key: False})
    prio = q.priorities()
    assert prio[0] == prio[1] == -np.inf and np.isfinite(prio[2:]).all()


def test_a_rejected_quote_leaves_the_guide_code_open():
    a = cands(HOUSING[:3], guide="ga")
    b = cands(HOUSING[3:], guide="gb")
    q = LearningQueue().fit(a + b, {a[0].key: False})
    assert (q.priorities()[1:] > 0).all()  # open: bits plus part of the probability, none less the known penalty
    q.update({a[1].key: True})
    assert q.priorities()[2] < 0 < q.priorities()[3:].min()  # an accept answers ga's question


def test_the_gain_counts_only_the_undecided_others():
    items = cands(HOUSING[:3])
    q = LearningQueue(relevance_weight=0.0).fit(items, {items[2].key: False})
    p = q.probabilities()
    assert q.priorities()[0] == pytest.approx(guide_gain(float(p[0]), float(1 - p[1])))  # a rejected one is absent


def test_the_gain_adds_the_weighted_probability_to_the_bits():
    items = cands(HOUSING[:3], prior=0.3)
    q = LearningQueue(relevance_weight=0.5).fit(items)
    p = q.probabilities()
    bits = guide_gain(float(p[0]), float((1 - p[1]) * (1 - p[2])))
    assert q.priorities()[0] == pytest.approx(bits + 0.5 * p[0])


@pytest.mark.parametrize("strategy", ["gain", "relevance"])
def test_ties_keep_the_candidates_order(strategy):
    items = [Candidate("g", "c", f"s{i}", "same words here", (), 0.5) for i in range(4)]
    assert keys(LearningQueue(strategy=strategy).fit(items).ranked()) == ["s0", "s1", "s2", "s3"]


def test_ranked_shows_only_the_chosen_codes_and_guides():
    items = (cands(HOUSING[:2], code="a") + cands(HOUSING[2:4], code="b", tag="b")
             + cands(HOUSING[4:], code="a", guide="g2"))
    q = LearningQueue().fit(items)

    def shown(**chosen):
        return {(r.candidate.guide, r.candidate.code) for r in q.ranked(**chosen)}

    assert shown(codes=["a"]) == {("g1", "a"), ("g2", "a")}
    assert shown(guides=["g2"]) == {("g2", "a")}
    assert shown(codes=["b"], guides=["g1"]) == {("g1", "b")}
    assert len(q.ranked(codes=["a"], limit=3)) == 3


def test_the_stopping_hint_counts_only_its_own_code():
    a = cands(HOUSING, code="a")
    b = cands(OTHER, code="b", tag="o")
    q = LearningQueue().fit(a + b, {a[0].key: True})
    for c in b[:3]:
        q.update({c.key: False})
    hint = q.stopping("a", window=3)
    assert (hint.decided, hint.supporting, hint.since_last, hint.left) == (1, 1, 0, 5) and not hint.may_stop
    assert hint.expected_left == pytest.approx(sum(q.probabilities()[1:6]), abs=0.01)  # the undecided ones only
    assert hint.to_dict()["expected_left"] == hint.expected_left


def test_the_default_strategy_puts_answered_guide_codes_last():
    likely = cands(HOUSING[:3], guide="ga", prior=0.8)
    unlikely = cands(HOUSING[3:], guide="gb", prior=0.3)
    q = LearningQueue().fit(likely + unlikely, settled={("ga", "support/housing")})
    assert [r.candidate.guide for r in q.ranked()] == ["gb"] * 3 + ["ga"] * 3


# -- the queue over a project's review (queue_state) -------------------------------------------------


def suggestions(texts, *, guide="g1", code="support/housing", score=0.5, evidence=-1.0, tag="s"):
    return [Suggestion(guide=guide, code=code, segment=f"{guide}:{tag}{i}", page=1, section=("Housing",), quote=t,
                       match="", match_start=0, match_end=0, score=score, coder="rules.v2", text_hash="h",
                       evidence=evidence) for i, t in enumerate(texts)]


def decided(reviewer, s, value, *, needs_review=False):
    return Decision(reviewer=reviewer, time="2026-01-01T00:00:00Z", level="segment", guide=s.guide, code=s.code,
                    value=value, action="accept" if value else "reject", segment=s.segment, needs_review=needs_review)


def answered(reviewer, guide, code, value):
    return Decision(reviewer=reviewer, time="2026-01-01T00:00:00Z", level="guide", guide=guide, code=code, value=value)


def learnt(queue):
    return {queue.candidates_[i].key: v for i, v in queue.labels_.items()}


def test_a_suggestions_prior_is_the_evidence_probability_else_its_score():
    assert candidate_of(suggestions(["x"], score=0.2, evidence=0.9)[0]).prior == 0.9
    assert candidate_of(suggestions(["x"], score=0.3)[0]).prior == 0.3
    assert candidate_of(suggestions(["x"], score=2.5)[0]).prior == 1.0


def test_the_queue_learns_only_the_reviewers_own_decisions_on_unchanged_text():
    s = suggestions(HOUSING)
    decisions = [decided("bob", s[0], True), decided("alice", s[1], True, needs_review=True),
                 decided("alice", s[2], False)]
    assert learnt(build_queue(s, decisions, "alice")) == {(s[2].segment, s[2].code): False}
    assert reviewer_labels(decisions, "alice") == {(s[2].segment, s[2].code): False}


def test_a_changed_decision_counts_where_it_was_last_made():
    s = suggestions(HOUSING)
    decisions = [decided("alice", s[0], True), decided("alice", s[1], True), decided("alice", s[0], False)]
    assert list(decisions_in_order(decisions, "alice")) == [(s[1].segment, s[1].code), (s[0].segment, s[0].code)]
    assert build_queue(s, decisions, "alice").stopping("support/housing", window=1).since_last == 1


def test_build_queue_uses_the_chosen_strategy():
    q = build_queue(suggestions(HOUSING[:3]), [], "alice", strategy="relevance")
    assert q.strategy == "relevance" and np.allclose(q.priorities(), q.probabilities())


def test_build_queue_puts_the_reviewers_own_answered_guide_codes_last():
    s = suggestions(HOUSING[:3], guide="ga", score=0.8) + suggestions(HOUSING[3:], guide="gb", score=0.3)
    decisions = [answered("alice", "ga", "support/housing", True), answered("bob", "gb", "support/housing", True)]
    q = build_queue(s, decisions, "alice")
    assert [r.candidate.guide for r in q.ranked()] == ["gb"] * 3 + ["ga"] * 3  # bob's answer settles nothing


def test_refresh_teaches_the_decisions_and_answers_made_since():
    s = suggestions(HOUSING[:3], guide="ga") + suggestions(HOUSING[3:], guide="gb")
    q = build_queue(s, [], "alice")
    made = [decided("alice", s[0], False), decided("bob", s[1], True), answered("alice", "gb", "support/housing", True)]
    q = refresh(q, made, "alice")
    assert learnt(q) == {(s[0].segment, s[0].code): False} and q.settled_ == {("gb", "support/housing")}
    q = refresh(q, [*made, decided("alice", s[0], True)], "alice")  # changed her mind
    assert learnt(q) == {(s[0].segment, s[0].code): True}


def test_queue_view_gives_hints_for_the_chosen_codes_only():
    q = LearningQueue().fit(cands(HOUSING, code="a") + cands(OTHER, code="b", tag="o"))
    view = queue_view(q, limit=2, codes=["b"])
    assert [h.code for h in view.hints] == ["b"] and [r.candidate.code for r in view.items] == ["b", "b"]
    assert (view.n_candidates, view.n_decided) == (12, 0)
    assert [h.code for h in queue_view(q).hints] == ["a", "b"]


def test_rank_for_review_puts_decided_ones_last_without_a_segment_map():
    s = suggestions(HOUSING)
    top = rank_for_review(s, segments={}, decisions=[], reviewer="alice")[0]
    after = rank_for_review(s, segments={}, decisions=[decided("alice", top, False)], reviewer="alice")
    assert after[-1] is top and after[0] is not top


def test_rank_for_review_lists_decided_ones_likeliest_first():
    s = suggestions(HOUSING)
    decisions = [decided("alice", s[1], False), decided("alice", s[4], True)]  # equal scores: the words decide
    ranked = rank_for_review(s, segments={}, decisions=decisions, reviewer="alice")
    assert ranked[-2:] == [s[4], s[1]]


def test_an_updated_queue_and_a_rebuilt_one_agree_on_a_changed_decision():
    # The workbench updates its queue; `review queue` rebuilds it: both must give the same stopping hint.
    s = suggestions(HOUSING)
    made = [decided("alice", s[0], True), decided("alice", s[1], True), decided("alice", s[0], False)]
    rebuilt = build_queue(s, made, "alice").stopping("support/housing", window=1)
    updated = refresh(build_queue(s, made[:2], "alice"), made, "alice").stopping("support/housing", window=1)
    counts = [(h.decided, h.supporting, h.since_last, h.left) for h in (rebuilt, updated)]
    assert counts[0] == counts[1] == (2, 1, 1, 4)  # the last decision made is the reject of s[0]


def test_a_later_decision_flagged_for_review_leaves_the_sentence_undecided():
    s = suggestions(HOUSING)
    made = [decided("alice", s[0], True), decided("alice", s[0], False, needs_review=True), decided("alice", s[1], True)]
    assert list(decisions_in_order(made, "alice")) == [(s[1].segment, s[1].code)]
    assert build_queue(s, made, "alice").labels_ == {1: True}
    assert rank_for_review(s, segments={}, decisions=made, reviewer="alice")[-1] is s[1]


def test_refresh_unlearns_a_decision_later_flagged_for_review():
    s = suggestions(HOUSING)
    made = [decided("alice", s[0], True), decided("alice", s[1], True)]
    queue = build_queue(s, made, "alice")
    flagged = [*made, decided("alice", s[0], True, needs_review=True)]
    again = refresh(queue, flagged, "alice")
    assert again.labels_ == {1: True}
    assert np.allclose(again.probabilities(), build_queue(s, flagged, "alice").probabilities())


def test_get_params_gives_an_unfitted_queue_with_every_parameter():
    q = LearningQueue(strategy="relevance", prior_strength=3.0, alpha=0.01, relevance_weight=0.5, known_penalty=0.2,
                      replay=7, random_state=4)
    twin = LearningQueue(**q.get_params())
    assert twin.get_params() == q.get_params()
    assert q.get_params() == {"strategy": "relevance", "prior_strength": 3.0, "alpha": 0.01, "relevance_weight": 0.5,
                              "known_penalty": 0.2, "replay": 7, "random_state": 4}
    assert not hasattr(twin, "labels_")
