"""The coding benchmark's figures: precision at k, recall on reader-found passages, Cohen's kappa."""

import random

import pytest
from sklearn.metrics import cohen_kappa_score

from mapping_review.coding.labels import make_label
from mapping_review.coding.quality import (
    cell_errors,
    cohen_kappa,
    first_passage_errors,
    kappa_of,
    precision_at,
    precision_by_score,
    reader_agreement,
    recall_of,
    share,
)
from mapping_review.coding.suggestions import Suggestion


def sugg(seg, code="c", evidence=0.9, guide="g"):
    return Suggestion(guide=guide, code=code, segment=seg, page=1, section=(), quote=seg, match="m", match_start=0,
                      match_end=1, score=1.0, coder="rules.v2", text_hash="h", evidence=evidence)


def test_precision_counts_only_labelled_passages_and_lists_the_others():
    ranked = {("g", "c"): [sugg("a"), sugg("b"), sugg("x")], ("g", "d"): [sugg("e", "d")], ("g", "z"): [sugg("q", "z")]}
    labels = {("g", "a", "c"): make_label("g", 1, "a", "c", "supports"),
              ("g", "b", "c"): make_label("g", 1, "b", "c", "mentions"),
              ("g", "e", "d"): make_label("g", 1, "e", "d", "wrong_sense")}
    present = [("g", "c"), ("g", "d")]  # ("g", "z") is absent: its evidence is not counted
    p1, p3 = precision_at(1, ranked, present, labels), precision_at(3, ranked, present, labels)
    assert p1.by_code["c"].precision == 1.0 and p1.by_code["d"].precision == 0.0 and p1.overall.precision == 0.5
    assert (p3.overall.supports, p3.overall.other, p3.overall.unlabelled) == (1, 2, 1)
    assert p3.unlabelled_items == [("g", "c", "x")] and "z" not in p3.by_code
    assert p1.outcomes == [True, False] and sorted(p3.outcomes) == [False, False, True]


def test_precision_by_score_counts_the_best_passage_of_present_codes_over_each_bar():
    ranked = {("g", "c"): [sugg("a", evidence=0.95), sugg("b", evidence=0.99)], ("g", "d"): [sugg("e", "d", 0.75)],
              ("g", "f"): [sugg("u", "f", 0.85)], ("g", "z"): [sugg("q", "z", 0.99)], ("g", "n"): []}
    labels = {("g", "a", "c"): make_label("g", 1, "a", "c", "supports"),
              ("g", "b", "c"): make_label("g", 1, "b", "c", "mentions"),  # second: never counted at 1
              ("g", "e", "d"): make_label("g", 1, "e", "d", "mentions"),
              ("g", "q", "z"): make_label("g", 1, "q", "z", "mentions")}
    present = [("g", "c"), ("g", "d"), ("g", "f"), ("g", "n")]  # z is absent; n has no passage
    bands = precision_by_score(ranked, present, labels, bars=(0.7, 0.8, 0.9, 0.96))
    assert [b.codes for b in bands] == [3, 2, 1, 0]
    assert [(b.tally.supports, b.tally.other, b.tally.unlabelled) for b in bands] == [
        (1, 1, 1), (1, 0, 1), (1, 0, 0), (0, 0, 0)]
    assert bands[0].tally.precision == 0.5 and bands[2].tally.precision == 1.0 and bands[3].tally.precision is None
    # the bar itself counts
    assert precision_by_score(ranked, [("g", "d")], labels, bars=(0.75,))[0].codes == 1


def test_recall_counts_reader_passages_returned_above_the_floor():
    suggestions = [sugg("a", evidence=0.9), sugg("b", evidence=0.1)]
    targets = [("g", "a", "c"), ("g", "b", "c"), ("g", "m", "c")]
    report = recall_of(suggestions, targets, floor=0.3)
    assert (report.found, report.total) == (1, 3) and report.missing == (("g", "c", "b"), ("g", "c", "m"))
    assert recall_of(suggestions, targets).found == 2
    assert recall_of([], []).recall is None


def test_kappa_agrees_with_scikit_learn():
    rng = random.Random(1)
    keys = [(f"g{i}", f"c{j}") for i in range(5) for j in range(20)]
    truth = {k: rng.random() < 0.4 for k in keys}
    machine = {k: (v if rng.random() < 0.8 else not v) for k, v in truth.items()}
    expected = cohen_kappa_score([truth[k] for k in keys], [machine[k] for k in keys])
    assert abs(cohen_kappa(truth, machine, keys) - expected) < 1e-12
    assert cohen_kappa(truth, truth, keys) == 1.0 and cohen_kappa(truth, machine, []) is None


def test_kappa_of_pairs_is_the_kappa_of_the_sheet():
    rng = random.Random(2)
    keys = [(f"g{i}", f"c{j}") for i in range(3) for j in range(10)]
    truth = {k: rng.random() < 0.5 for k in keys}
    machine = {k: rng.random() < 0.5 for k in keys}
    assert kappa_of([(truth[k], machine[k]) for k in keys]) == cohen_kappa(truth, machine, keys)
    assert kappa_of([(True, True), (True, True)]) == 1.0 and kappa_of([]) is None


def test_cell_errors_say_why_each_cell_is_answered_otherwise():
    ranked = {("g", "judged"): [sugg("j1", "judged"), sugg("j2", "judged")],   # missed: j2 supports
              ("g", "unlab"): [sugg("u1", "unlab")],                           # missed: only a mention
              ("g", "weakx"): [sugg("w1", "weakx")],                           # extra, decided on weak evidence
              ("g", "strongx"): [sugg("s1", "strongx")],                       # extra, strong, labelled supports
              ("g", "hit"): [sugg("h1", "hit")]}                               # right: present both ways
    labels = {("g", "j1", "judged"): make_label("g", 1, "j1", "judged", "mentions"),
              ("g", "j2", "judged"): make_label("g", 1, "j2", "judged", "supports"),
              ("g", "u1", "unlab"): make_label("g", 1, "u1", "unlab", "mentions"),
              ("g", "s1", "strongx"): make_label("g", 1, "s1", "strongx", "supports"),
              ("g", "h1", "hit"): make_label("g", 1, "h1", "hit", "supports")}
    truth = {("g", "judged"): True, ("g", "unlab"): True, ("g", "unfound"): True, ("g", "weakx"): False,
             ("g", "strongx"): False, ("g", "hit"): True, ("g", "none"): False}
    machine = {("g", "weakx"): True, ("g", "strongx"): True, ("g", "hit"): True}
    e = cell_errors(truth, machine, ranked, labels, weak=[("g", "weakx")])
    assert (e.missed_judged, e.missed_unlabelled, e.missed_unfound) == (1, 1, 1)
    assert (e.extra_weak, e.extra_strong, e.extra_supported) == (1, 1, 1)
    # the perfect judge says present for judged, strongx and hit, absent for the rest
    judge = {k: k[1] in ("judged", "strongx", "hit") for k in truth}
    assert e.ceiling == cohen_kappa(truth, judge, list(truth))
    assert 0 < e.ceiling < 1
    # a label of another guide or code does not count as support
    assert cell_errors(truth, machine, ranked, {("h", "j2", "judged"): labels[("g", "j2", "judged")],
                                                 ("g", "j2", "other"): labels[("g", "j2", "judged")]},
                       weak=[]).missed_judged == 0
    right = cell_errors(truth, truth, ranked, labels)
    assert (right.missed_judged, right.missed_unlabelled, right.missed_unfound, right.extra_weak,
            right.extra_strong) == (0, 0, 0, 0, 0)


def test_a_second_reader_is_compared_on_the_cells_both_readers_answered():
    rng = random.Random(4)
    keys = [(f"g{i}", f"c{j}") for i in range(4) for j in range(12)]
    first = {k: rng.random() < 0.5 for k in keys}
    second = {k: (v if rng.random() < 0.8 else not v) for k, v in first.items() if k[0] != "g3"}  # g3 unread
    machine = {k: (v if rng.random() < 0.7 else not v) for k, v in first.items()}
    r = reader_agreement(first, second, machine, keys)
    both = [k for k in keys if k[0] != "g3"]
    assert r.cells == len(both) == 36
    assert r.readers == cohen_kappa(first, second, both)
    assert r.machine_first == cohen_kappa(first, machine, both) != cohen_kappa(first, machine, keys)
    assert r.machine_second == cohen_kappa(second, machine, both)
    agreed = [k for k in both if first[k] == second[k]]
    assert r.agreed == len(agreed) < 36 and r.machine_agreed == cohen_kappa(first, machine, agreed)
    assert reader_agreement(first, {}, machine, keys).cells == 0


def test_first_passage_errors_say_why_a_best_passage_is_not_evidence():
    ranked = {("g", "right"): [sugg("r1", "right"), sugg("r2", "right")],           # best passage supports
              ("g", "lower"): [sugg("l1", "lower"), sugg("l2", "lower"), sugg("l3", "lower")],  # l3 supports
              ("g", "lowabs"): [sugg("x1", "lowabs"), sugg("x2", "lowabs")],        # x2 supports; sheet: absent
              ("g", "absent1"): [sugg("a1", "absent1")],                            # a mention; sheet: absent
              ("g", "absent2"): [sugg("b1", "absent2")],                            # a mention; sheet: absent
              ("g", "present"): [sugg("p1", "present")],                            # boilerplate; sheet: present
              ("g", "unlab"): [sugg("u1", "unlab"), sugg("u2", "unlab")],           # best passage unlabelled
              ("g", "quiet"): [sugg("q1", "quiet")]}                                # not present
    kinds = {("r1", "right"): "supports", ("r2", "right"): "supports", ("l1", "lower"): "wrong_sense",
             ("l3", "lower"): "supports", ("x1", "lowabs"): "mentions", ("x2", "lowabs"): "supports",
             ("a1", "absent1"): "mentions", ("a9", "absent1"): "supports",  # a9: labelled, but not a candidate
             ("b1", "absent2"): "mentions", ("p1", "present"): "boilerplate", ("u2", "unlab"): "supports",
             ("q1", "quiet"): "mentions"}
    labels = {("g", unit, code): make_label("g", 1, unit, code, kind) for (unit, code), kind in kinds.items()}
    truth = {("g", "right"): True, ("g", "lower"): True, ("g", "lowabs"): False, ("g", "absent1"): False,
             ("g", "absent2"): False, ("g", "present"): True}
    present = [("g", "right"), ("g", "lower"), ("g", "lowabs"), ("g", "absent1"), ("g", "absent2"),
               ("g", "present"), ("g", "unlab"), ("g", "gone")]  # gone: present, with no candidate at all
    e = first_passage_errors(ranked, present, labels, truth)
    assert (e.labelled, e.lower, e.none_absent, e.none_other) == (6, 2, 2, 1)
    assert e.labelled == precision_at(1, ranked, present, labels).overall.labelled
    assert e.ceiling == 3 / 6  # right, and the two lower ones once their supporting passage is shown first
    # a supporting label of another code or guide is not a supporting candidate of this one
    other = {**labels, ("g", "l3", "lower"): make_label("g", 1, "l3", "lower", "mentions"),
             ("g", "l3", "right"): make_label("g", 1, "l3", "right", "supports"),
             ("h", "l3", "lower"): make_label("h", 1, "l3", "lower", "supports")}
    assert first_passage_errors(ranked, present, other, truth).lower == 1
    # a cell the sheet does not answer is not counted as absent
    assert first_passage_errors(ranked, present, labels, {}).none_absent == 0
    assert first_passage_errors({}, [], labels, truth).ceiling is None


def test_only_a_supports_label_counts_as_support():
    # one present code per label kind, each with one labelled passage: only "supports" is support, so
    # precision at 1 is 1 of 4 and each of mentions, wrong_sense and boilerplate scores 0 of 1
    kinds = ("supports", "mentions", "wrong_sense", "boilerplate")
    ranked = {("g", kind): [sugg(f"u-{kind}", kind)] for kind in kinds}
    labels = {("g", f"u-{kind}", kind): make_label("g", 1, f"u-{kind}", kind, kind) for kind in kinds}
    p1 = precision_at(1, ranked, list(ranked), labels)
    assert (p1.overall.supports, p1.overall.other, p1.overall.unlabelled) == (1, 3, 0)
    assert p1.overall.precision == 0.25
    assert {kind: p1.by_code[kind].precision for kind in kinds} == {
        "supports": 1.0, "mentions": 0.0, "wrong_sense": 0.0, "boilerplate": 0.0}
    assert p1.outcomes == [False, False, True, False]  # in the order of the sorted present codes


def test_precision_by_score_reports_the_bars_0_7_0_8_0_9_by_default():
    # best passages at 0.65, 0.7, 0.8 and 0.9: at least 0.7 are three of them, at least 0.8 two, at least 0.9 one
    ranked = {("g", f"c{i}"): [sugg(f"u{i}", f"c{i}", evidence)] for i, evidence in enumerate((0.65, 0.7, 0.8, 0.9))}
    bands = precision_by_score(ranked, list(ranked), {})
    assert [(b.bar, b.codes, b.tally.unlabelled) for b in bands] == [(0.7, 3, 3), (0.8, 2, 2), (0.9, 1, 1)]


def test_recall_counts_a_target_only_when_that_passage_is_returned_for_that_guide_and_code():
    target = [("g", "a", "c")]
    # a passage scoring exactly the floor is returned
    assert recall_of([sugg("a", evidence=0.5)], target, floor=0.5).found == 1
    # the same unit returned for another code, or a unit of the same id in another guide, is not the target
    assert recall_of([sugg("a", code="d")], target).missing == (("g", "c", "a"),)
    assert recall_of([sugg("a", guide="h")], target).missing == (("g", "c", "a"),)
    # a target listed twice is one target: 1 of the 2 distinct targets is returned
    report = recall_of([sugg("a")], [("g", "a", "c"), ("g", "a", "c"), ("g", "b", "c")])
    assert (report.found, report.total, report.recall) == (1, 2, 0.5)


def test_kappa_reads_a_missing_machine_answer_as_absent_and_leaves_out_cells_the_sheet_does_not_answer():
    truth = {("g", "k1"): True, ("g", "k2"): True, ("g", "k3"): False, ("g", "k4"): False, ("g", "k5"): False}
    machine = {("g", "k1"): True, ("g", "k3"): False, ("g", "k4"): False, ("g", "k6"): True}  # k2, k5 unanswered
    # by hand: pairs (T,T) (T,F) (F,F) (F,F) (F,F); observed 4/5; the sheet says present 2 of 5, the machine
    # 1 of 5, so expected = (2*1 + 3*4) / 25 = 14/25 and kappa = (20/25 - 14/25) / (1 - 14/25) = 6/11
    # (reading k2 and k5 as present would give 8/13)
    assert cohen_kappa(truth, machine, sorted(truth)) == pytest.approx(6 / 11)
    # k6 is not on the sheet: left out, not read as absent (which would give 1/4)
    assert cohen_kappa(truth, machine, [*sorted(truth), ("g", "k6")]) == pytest.approx(6 / 11)


def test_share_is_the_share_of_true_outcomes():
    assert share([True, False, False, True]) == 0.5
    assert share([True, True, True]) == 1.0
    assert share([]) is None


def test_cell_errors_count_extra_codes_by_their_own_evidence_only():
    ranked = {("g", "m1"): [sugg("a1", "m1")], ("g", "m2"): [sugg("a2", "m2")], ("g", "xw"): [sugg("b1", "xw")],
              ("g", "ok"): [sugg("c1", "ok")], ("g", "xs"): [sugg("d1", "xs")]}
    kinds = {("a1", "m1"): "supports", ("a2", "m2"): "supports", ("b1", "xw"): "mentions", ("c1", "ok"): "supports",
             ("d1", "xs"): "supports"}
    labels = {("g", unit, code): make_label("g", 1, unit, code, kind) for (unit, code), kind in kinds.items()}
    truth = {("g", "m1"): True, ("g", "m2"): True, ("g", "xw"): False, ("g", "ok"): True, ("g", "xs"): False}
    machine = {("g", "xw"): True, ("g", "ok"): True, ("g", "xs"): True}
    # missed: m1 and m2, both with a supporting candidate; extra: xw (weak, a mention) and xs (strong, supports);
    # ok is weak but right, so it is no extra code
    e = cell_errors(truth, machine, ranked, labels, weak=[("g", "xw"), ("g", "ok")])
    assert (e.missed_judged, e.missed_unlabelled, e.missed_unfound) == (2, 0, 0)
    assert (e.extra_weak, e.extra_strong, e.extra_supported) == (1, 1, 1)


def test_a_supporting_candidate_ranked_anywhere_below_the_first_counts_as_ranked_lower():
    # five candidates: the first a mention, the fifth supports -> ordering failed, and a perfect order
    # would show the fifth first: precision at 1 of 1 of 1
    ranked = {("g", "c"): [sugg(f"u{i}") for i in range(1, 6)]}
    labels = {("g", "u1", "c"): make_label("g", 1, "u1", "c", "mentions"),
              ("g", "u5", "c"): make_label("g", 1, "u5", "c", "supports")}
    e = first_passage_errors(ranked, [("g", "c")], labels, {("g", "c"): True})
    assert (e.labelled, e.lower, e.none_absent, e.none_other, e.ceiling) == (1, 1, 0, 0, 1.0)


def test_a_second_reader_is_compared_only_on_cells_the_first_reader_answered_too():
    first = {("g", "a"): True, ("g", "b"): False, ("g", "c"): True, ("g", "d"): False}
    second = {**first, ("g", "e"): True, ("g", "f"): False}  # e and f: answered by the second reader only
    r = reader_agreement(first, second, first, sorted(second))
    assert (r.cells, r.agreed) == (4, 4) and r.readers == 1.0


def test_a_second_reader_is_compared_with_the_machine_reading_a_missing_machine_answer_as_absent():
    first = {("g", "a"): True, ("g", "b"): True, ("g", "c"): False, ("g", "d"): False}
    second = dict(first)
    machine = {("g", "a"): True, ("g", "c"): False, ("g", "d"): False}  # no answer for b: absent
    # by hand: pairs (T,T) (T,F) (F,F) (F,F); observed 3/4, expected (2*1 + 2*3) / 16 = 1/2, kappa 1/2
    # (leaving b out instead would give 1.0)
    r = reader_agreement(first, second, machine, sorted(first))
    assert r.machine_first == pytest.approx(0.5) and r.machine_second == pytest.approx(0.5)
