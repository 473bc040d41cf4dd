"""Calibration (``calibrate.v2``): one pooled rule and share fitted to reviewers, looser or stricter than the
codebook's; the codebook's stays unless a fit wins by an answer per reviewed guide; per-code rules only when
they win on held-out guides."""

import random

import numpy as np
from conftest import with_leading, without_leading

from mapping_review.coding.calibration import GAIN_PER_GUIDE, MIN_GAIN, calibrate, fit_rule
from mapping_review.coding.codebook import Codebook, DecisionRule, LeadingCodes
from mapping_review.coding.decide import Evidence, applies, auto_codes, leading_codes
from mapping_review.kappa import kappa_of_pairs


def test_fit_keeps_the_default_on_noise_and_moves_on_a_clear_standard():
    default = DecisionRule(min_score=0.7)
    noisy = [(Evidence(1, 1, 0.8, (0.8,)), True), (Evidence(1, 1, 0.75, (0.75,)), False),
             (Evidence(1, 1, 0.2, (0.2,)), False)]
    assert fit_rule(noisy, default) == default
    strict = [(Evidence(1, 1, s, (s,)), s >= 0.9) for s in (0.5, 0.6, 0.72, 0.75, 0.8, 0.85, 0.91, 0.95, 0.97, 0.99)]
    rule = fit_rule(strict, default)
    assert rule != default and all(applies(rule, e) == truth for e, truth in strict)


def _team(codebook, guides, rng, threshold):
    evidence, truth = {}, {}
    for g in guides:
        for code in codebook.codes:
            s = round(rng.random(), 2)
            evidence[(g, code.id)] = Evidence(1, 1, s, (s,))
            truth[(g, code.id)] = s >= threshold
    return evidence, truth


def test_calibration_fits_one_pooled_rule_from_two_guides():
    codebook = without_leading()
    evidence, truth = _team(codebook, ["g0", "g1"], random.Random(3), 0.9)  # a team stricter than the default
    cal = calibrate(codebook, evidence, truth)
    assert cal.pooled is not None and cal.pooled.min_score > codebook.model.decision.min_score
    assert cal.per_code == () and set(cal.rules.values()) == {cal.pooled}
    assert cal.pooled_gain >= MIN_GAIN and set(cal.agreement_before) == {"g0", "g1"}
    # each held out, the other guide alone cannot pass the held-out guard: the build would have kept the
    # codebook's rule, and the held-out figures say so
    assert cal.mean_after == cal.mean_before and cal.held_out_gain == 0
    evidence, truth = _team(codebook, ["g0", "g1", "g2"], random.Random(3), 0.9)  # a third guide: it shows
    cal = calibrate(codebook, evidence, truth)
    assert cal.mean_after > cal.mean_before and cal.held_out_gain > 0


def test_a_code_gets_its_own_rule_only_when_it_wins_on_held_out_guides():
    codebook = without_leading()
    guides = [f"g{i}" for i in range(8)]
    evidence, truth = _team(codebook, guides, random.Random(5), 0.7)
    odd = "modality/video"
    for g in guides:  # the team wants much more for one code
        s = evidence[(g, odd)].max_score
        truth[(g, odd)] = s >= 0.95
        evidence[(g, odd)] = Evidence(1, 1, s, (s,))
    for i, g in enumerate(guides):  # make the odd code's evidence cover the range so the difference shows
        s = 0.72 + 0.035 * i
        evidence[(g, odd)] = Evidence(1, 1, round(s, 3), (round(s, 3),))
        truth[(g, odd)] = s >= 0.95
    cal = calibrate(codebook, evidence, truth)
    assert odd in cal.per_code
    assert cal.rules[odd] != cal.pooled and cal.rules["modality/text"] == cal.pooled


def test_calibration_measures_the_answers_the_build_gives_codes_a_guide_leads_with_included():
    codebook = with_leading(0.4, 0.3)
    guides = ["g0", "g1", "g2"]
    evidence, truth = _team(codebook, guides, random.Random(7), 0.9)
    cal = calibrate(codebook, evidence, truth)
    for g in guides:
        answers = auto_codes(codebook, [g], evidence)
        cells = [(g, c.id) for c in codebook.codes]
        assert cal.agreement_before[g] == sum(answers[k] == truth[k] for k in cells) / len(cells)
    # a code the guide leads with is present whatever the rule, so the fit never sees it
    assert any(leading_codes(codebook, g, evidence) for g in guides)
    assert cal.agreement_before != calibrate(without_leading(), evidence, truth).agreement_before


def test_calibration_loosens_the_rule_for_a_team_that_reads_more_broadly():
    codebook = without_leading()
    guides = [f"g{i}" for i in range(4)]
    evidence, truth = _team(codebook, guides, random.Random(11), 0.5)  # present from a score of 0.5, not 0.7
    cal = calibrate(codebook, evidence, truth)
    assert cal.pooled is not None and cal.pooled.min_score == 0.5  # the grid's loosest bar, the team's
    assert cal.mean_after > cal.mean_before and cal.replaced and cal.default == codebook.model.decision
    assert cal.truth == truth and cal.kappa_after > cal.kappa_before
    by_codebook = auto_codes(codebook, guides, evidence)
    assert cal.before == by_codebook
    assert cal.kappa_before == kappa_of_pairs([(truth[k], by_codebook[k]) for k in sorted(truth)])
    assert cal.kappa_after == kappa_of_pairs([(truth[k], cal.held_out[k]) for k in sorted(truth)])
    fitted = auto_codes(codebook, guides, evidence, rules=cal.rules)
    assert sum(fitted.values()) > sum(auto_codes(codebook, guides, evidence).values())


def test_weak_evidence_floors_can_go_under_the_codebooks():
    codebook = without_leading()  # decision: min_weak 0.2, min_total 0.6
    default = codebook.model.decision
    guides = [f"g{i}" for i in range(4)]
    evidence, truth = {}, {}
    rng = random.Random(2)
    for g in guides:  # no passage reaches 0.2; the team counts five sections of 0.15-0.19 as enough
        for code in codebook.codes:
            low = round(rng.uniform(0.15, 0.19), 2)
            scores = (low,) * 5 if rng.random() < 0.5 else (low,)
            evidence[(g, code.id)] = Evidence(len(scores), len(scores), low, scores)
            truth[(g, code.id)] = len(scores) == 5
    cal = calibrate(codebook, evidence, truth)
    assert cal.pooled is not None and cal.pooled.min_weak < default.min_weak
    assert cal.pooled.min_total < default.min_total
    assert all(applies(cal.pooled, evidence[k]) == truth[k] for k in truth)
    assert cal.mean_after == 1.0 > cal.mean_before


def _stricter_team(codebook, guides, n_between):
    """Scores far from every bar, but for ``n_between`` cells at 0.75 that the team says are absent."""
    evidence, truth = {}, {}
    codes = [c.id for c in codebook.codes]
    between = {(guides[k % len(guides)], codes[k // len(guides)]) for k in range(n_between)}  # spread over guides
    for i, (g, code) in enumerate((g, c) for g in guides for c in codes):
        s = 0.75 if (g, code) in between else (0.95 if i % 3 else 0.05)
        evidence[(g, code)] = Evidence(1, 1, s, (s,))
        truth[(g, code)] = s >= 0.8
    return evidence, truth


def test_the_pooled_rule_must_win_an_answer_per_reviewed_guide():
    codebook = without_leading()
    default = codebook.model.decision
    guides = [f"g{i}" for i in range(6)]
    # a stricter bar (0.8) would get five more answers right: more than MIN_GAIN, fewer than one a guide
    evidence, truth = _stricter_team(codebook, guides, len(guides) - 1)
    assert len(guides) - 1 > MIN_GAIN
    kept = calibrate(codebook, evidence, truth)
    assert kept.pooled == default
    # all five cells are one code's, which wins a rule of its own on held-out guides: that alone replaces
    assert kept.per_code == (codebook.codes[0].id,) and kept.replaced
    # one a guide: the fit moves
    evidence, truth = _stricter_team(codebook, guides, GAIN_PER_GUIDE * len(guides))
    assert calibrate(codebook, evidence, truth).pooled.min_score == 0.8


def test_the_share_of_codes_a_guide_leads_with_is_fitted():
    codebook = with_leading(0.4, 0.3)
    codes = [c.id for c in codebook.codes]
    guides = [f"g{i}" for i in range(4)]
    evidence, truth = {}, {}
    rng = random.Random(9)
    for g in guides:  # one passage each, all under every bar: only leading decides; the team reads 60%
        scores = rng.sample([round(0.31 + i * 0.005, 3) for i in range(len(codes))], len(codes))
        for code, s in zip(codes, scores):
            evidence[(g, code)] = Evidence(1, 1, s, (s,))
        top = sorted(codes, key=lambda c: -evidence[(g, c)].max_score)[: round(0.6 * len(codes))]
        for code in codes:
            truth[(g, code)] = code in top
    cal = calibrate(codebook, evidence, truth)
    assert cal.leading == LeadingCodes(share=0.6, min_score=0.3)  # the codebook's floor kept
    assert cal.held_out == truth  # each guide answered by the share fitted on the others
    assert cal.mean_after == 1.0 > cal.mean_before
    assert all(leading_codes(codebook, g, evidence, leading=cal.leading) == {c for c in codes if truth[(g, c)]}
               for g in guides)
    # the build answers with the fitted share
    assert auto_codes(codebook, guides, evidence, rules=cal.rules, leading=cal.leading) == truth
    # a share of 0 leads with no code
    assert not any(auto_codes(codebook, guides, evidence, leading=LeadingCodes(share=0.0, min_score=0.3)).values())


def test_without_leading_in_the_codebook_none_is_fitted():
    codebook = without_leading()
    evidence, truth = _team(codebook, ["g0", "g1", "g2"], random.Random(3), 0.5)
    assert calibrate(codebook, evidence, truth).leading is None


def test_the_review_tables_answer_unreviewed_guides_with_the_fitted_share(tmp_path):
    from mapping_review.coding.suggestions import Suggestion
    from mapping_review.project.layout import init_project
    from mapping_review.review.decisions import Decision
    from mapping_review.review.state import ReviewState, resolve_review, write_tables

    codebook = with_leading(0.4, 0.3)
    codes = [c.id for c in codebook.codes]
    reviewed, fresh = [f"g{i}" for i in range(4)], "new"
    evidence, decisions, suggestions = {}, [], []
    rng = random.Random(9)
    for g in [*reviewed, fresh]:  # one passage per code, under every bar: the share alone decides
        for code, s in zip(codes, rng.sample([round(0.31 + i * 0.005, 3) for i in range(len(codes))], len(codes))):
            evidence[(g, code)] = Evidence(1, 1, s, (s,))
            suggestions.append(Suggestion(guide=g, code=code, segment=f"{g}:1:{code}", page=1, section=("A",),
                                          quote="q", match="q", match_start=0, match_end=1, score=1.0,
                                          coder="rules.v3", text_hash="h", evidence=s))
        top = sorted(codes, key=lambda c: -evidence[(g, c)].max_score)[: round(0.6 * len(codes))]
        if g in reviewed:  # the team reads 60% of the codes into every guide
            decisions += [Decision(reviewer="alice", time="2026-01-01T00:00:00Z", level="guide", guide=g, code=c,
                                   value=c in top, action="set") for c in codes]
    state = ReviewState(project=init_project(tmp_path / "review"), codebook=codebook,
                        guides=dict.fromkeys([*reviewed, fresh], ""), decisions=decisions, suggestions=suggestions,
                        evidence=evidence)
    tables = resolve_review(state)
    assert tables.calibration is not None and tables.calibration.leading.share == 0.6
    fitted = {r.code for r in tables.rows if r.guide == fresh and r.present}
    assert {r.source for r in tables.rows if r.guide == fresh} == {"auto"}
    assert fitted == set(top) and len(fitted) == round(0.6 * len(codes))
    uncalibrated = resolve_review(state, use_calibration=False)
    assert len({r.code for r in uncalibrated.rows if r.guide == fresh and r.present}) == round(0.4 * len(codes))
    write_tables(state, tables)
    rows = (state.project.build_dir / "tables" / "calibration.csv").read_text().splitlines()
    assert rows[0].endswith("leading_share,leading_min_score") and rows[1].endswith(",0.6,0.3")


def test_a_step_either_side_of_the_codebooks_value_is_as_far():
    from mapping_review.coding.calibration import _best

    # 0.4 - 0.3 and 0.5 - 0.4 differ in the last bits of a float; equally good and equally far: the first wins
    looser, stricter = abs(0.5 - 0.4), abs(0.3 - 0.4)
    assert looser != stricter
    assert _best(np.array([5, 5]), np.array([looser, stricter]), need=5) == 0
    assert _best(np.array([5, 5]), np.array([stricter, looser]), need=5) == 0
    assert _best(np.array([4, 5]), np.array([0.0, 0.3]), need=5) == 1  # more hits beat a smaller distance
    assert _best(np.array([4, 4]), np.array([0.0, 0.3]), need=5) is None  # short of the gain: no fit


def test_a_codes_own_rule_is_judged_on_guides_it_was_not_fitted_on():
    codebook = without_leading()
    for seed in (0, 3, 4):  # answers that follow the codebook's bar, a quarter of them flipped at random
        rng = random.Random(seed)
        evidence, truth = {}, {}
        for i in range(8):
            for code in codebook.codes:
                s = round(rng.random(), 2)
                evidence[(f"g{i}", code.id)] = Evidence(1, 1, s, (s,))
                truth[(f"g{i}", code.id)] = (s >= 0.7) != (rng.random() < 0.25)
        # a rule fitted to each code's noise gets more right on the guides it saw, never on the others
        cal = calibrate(codebook, evidence, truth)
        assert cal.per_code == () and cal.replaced == (cal.pooled != codebook.model.decision)


def test_a_held_out_guides_answers_never_depend_on_its_own_reviewers():
    codebook = without_leading()
    guides = [f"g{i}" for i in range(6)]
    for seed in (0, 1, 3):
        rng = random.Random(seed)
        evidence, truth = {}, {}
        for g in guides:  # a broader team than the codebook, with a few answers flipped
            for code in codebook.codes:
                s = round(rng.random(), 2)
                evidence[(g, code.id)] = Evidence(1, 1, s, (s,))
                truth[(g, code.id)] = (s >= 0.5) != (rng.random() < 0.1)
        held_out = calibrate(codebook, evidence, truth).held_out
        for g in guides:  # the reviewers of g say the opposite of everything: g's held-out answers stay
            flipped = {k: v != (k[0] == g) for k, v in truth.items()}
            again = calibrate(codebook, evidence, flipped).held_out
            assert {k: v for k, v in again.items() if k[0] == g} == {k: v for k, v in held_out.items() if k[0] == g}


def test_answers_reviewers_gave_differently_wait_to_be_settled(tmp_path):
    from mapping_review.coding.suggestions import Suggestion
    from mapping_review.project.layout import init_project
    from mapping_review.review.decisions import Decision
    from mapping_review.review.state import ReviewState, unsettled_cells

    codebook = without_leading()
    codes = [c.id for c in codebook.codes]

    def answer(who, guide, code, value):
        return Decision(reviewer=who, time="2026-01-01T00:00:00Z", level="guide", guide=guide, code=code,
                        value=value, action="set")

    decisions = [answer("alice", "g", c, True) for c in codes[:6]] + [answer("bob", "g", c, i < 3)
                                                                    for i, c in enumerate(codes[:6])]
    decisions += [answer("alice", "u", codes[0], True), answer("bob", "u", codes[0], False)]  # u: not coded
    decisions += [answer("consensus", "g", codes[5], False)]  # settled by a consensus
    seen = [Suggestion(guide="g", code=codes[0], segment="g:1:x", page=1, section=("A",), quote="q", match="q",
                       match_start=0, match_end=1, score=1.0, coder="rules.v3", text_hash="h", evidence=0.9)]
    state = ReviewState(project=init_project(tmp_path / "review"), codebook=codebook,
                        guides=dict.fromkeys(["g", "u"], ""), decisions=decisions, suggestions=seen, evidence={})
    assert unsettled_cells(state) == 2  # codes 3 and 4 of g; code 5 has a consensus, u has no machine evidence


def test_an_undefined_kappa_reads_n_a():
    import math

    from mapping_review.coding.calibration import Calibration
    from mapping_review.review.agreement import fmt

    cell = {("g", "a"): True}  # one answer, the same on every side: kappa is undefined
    cal = Calibration(rules={}, guides=["g"], agreement_before={"g": 1.0}, agreement_after={"g": 1.0},
                      held_out=cell, truth=cell, before=cell)
    assert math.isnan(cal.kappa_before) and math.isnan(cal.kappa_after)
    assert fmt(cal.kappa_before) == "n/a"


def _one(s):
    return Evidence(1, 1, s, (s,))


def _clear_team(codebook, guides):
    """Every score far from every bar (0.95 present, 0.05 absent): no rule answers better than another."""
    evidence, truth = {}, {}
    for i, g in enumerate(guides):
        for j, code in enumerate(codebook.codes):
            s = 0.95 if (i + j) % 2 else 0.05
            evidence[(g, code.id)], truth[(g, code.id)] = _one(s), s >= 0.9
    return evidence, truth


def test_a_fit_moves_on_two_more_answers_and_keeps_every_setting_the_answers_do_not_touch():
    default = DecisionRule(min_score=0.7, min_sections=5, min_weak=0.4, min_total=0.95, min_evidence=2)
    # present from 0.8: the codebook's 0.7 gets 0.75 and 0.78 wrong, a bar of 0.8 all five right
    items = [(Evidence(2, 1, s, (s,)), s >= 0.8) for s in (0.05, 0.75, 0.78, 0.85, 0.95)]
    assert fit_rule(items, default) == default.model_copy(update={"min_score": 0.8})
    assert fit_rule(items[:2] + items[3:], default) == default  # one answer more is not enough


def test_the_pooled_rule_moves_on_six_guides_with_six_answers_more():
    codebook = without_leading()
    guides = [f"g{i}" for i in range(6)]
    evidence, truth = _stricter_team(codebook, guides, 6)
    assert calibrate(codebook, evidence, truth).pooled.min_score == 0.8


def test_one_answer_on_one_guide_never_moves_the_rule_for_the_guide_held_out():
    codebook = without_leading()
    codes = [c.id for c in codebook.codes]
    evidence, truth = _clear_team(codebook, ["g0", "g1"])
    for g, code in (("g0", codes[0]), ("g1", codes[1])):  # one passage of 0.75 each that the team calls absent
        evidence[(g, code)], truth[(g, code)] = _one(0.75), False
    cal = calibrate(codebook, evidence, truth)
    # fitted on the other guide alone, one answer more is short of two: the codebook's answer stays
    assert cal.held_out[("g0", codes[0])] and cal.held_out[("g1", codes[1])]
    # so on both guides together the fit's two answers more show on none held out: the codebook's rule stays
    assert cal.pooled_gain == 0 and cal.pooled == codebook.model.decision and not cal.replaced
    evidence[("g1", codes[2])], truth[("g1", codes[2])] = _one(0.75), False  # g1 now has two such answers
    cal = calibrate(codebook, evidence, truth)
    assert cal.pooled_gain == 1 and cal.pooled == codebook.model.decision  # g0 held out gains one: short of two
    evidence[("g0", codes[2])], truth[("g0", codes[2])] = _one(0.75), False
    cal = calibrate(codebook, evidence, truth)
    assert cal.pooled_gain == 4 and cal.pooled.min_score == 0.8 and cal.replaced


def test_a_code_gets_its_own_rule_on_exactly_two_held_out_answers_and_fitted_on_every_guide():
    codebook = without_leading()
    code = codebook.codes[0].id
    evidence, truth = _clear_team(codebook, ["g0", "g1", "g2", "g3"])
    for g, s in (("g0", 0.75), ("g2", 0.75), ("g3", 0.85)):  # the team calls them absent
        evidence[(g, code)], truth[(g, code)] = _one(s), False
    cal = calibrate(codebook, evidence, truth)
    assert cal.pooled == codebook.model.decision  # three answers more over four guides: short of one a guide
    # each held out: g0 and g2 answered right by a bar of 0.9 fitted on the others; g3's 0.85 is not (on g0 and
    # g2 alone 0.8 does as well and is nearer); g1 has nothing to gain: two answers, enough
    assert cal.per_code == (code,)
    assert cal.rules[code] == codebook.model.decision.model_copy(update={"min_score": 0.9})  # right on all four


def test_a_codes_own_rule_moves_from_the_pooled_rule_only_as_far_as_its_answers_call_for():
    codebook = without_leading()
    code = codebook.codes[0].id
    guides = [f"g{i}" for i in range(6)]
    evidence, truth = _team(codebook, guides, random.Random(1), 0.5)  # a broader team: the pooled bar is 0.5
    for i, g in enumerate(guides):  # ... but for one code, where 0.55 is not enough
        s = 0.55 if i < 4 else 0.95
        evidence[(g, code)], truth[(g, code)] = _one(s), s >= 0.7
    cal = calibrate(codebook, evidence, truth)
    assert cal.pooled.min_score == 0.5 and cal.per_code == (code,)
    assert cal.rules[code] == cal.pooled.model_copy(update={"min_score": 0.6})  # 0.6 to 0.9 all do: the nearest


def test_a_code_a_guide_leads_with_gets_no_rule_of_its_own_from_those_cells():
    codebook = with_leading(0.1, 0.4)  # the 3 best-scoring codes of a guide, from 0.4
    codes = [c.id for c in codebook.codes]
    evidence, truth = {}, {}
    for g in [f"g{i}" for i in range(4)]:  # codes 1 and 2 strong, code 0 at 0.5: led with, and the team agrees
        for j, code in enumerate(codes):
            evidence[(g, code)], truth[(g, code)] = _one(0.95 if j in (1, 2) else 0.5 if j == 0 else 0.05), j < 3
    cal = calibrate(codebook, evidence, truth)
    assert cal.mean_before == 1.0 == cal.mean_after
    assert cal.per_code == () and not cal.replaced


def test_a_fitted_share_moves_no_further_from_the_codebooks_than_the_answers_call_for():
    codebook = with_leading(0.4, 0.4)  # 13 of the 33 codes
    guides = ["g0", "g1", "g2"]
    evidence, truth = {}, {}
    for g in guides:  # ten codes strong, three more between 0.4 and the bar that the team calls absent
        for j, code in enumerate(c.id for c in codebook.codes):
            evidence[(g, code)], truth[(g, code)] = _one(0.9 if j < 10 else 0.5 if j < 13 else 0.05), j < 10
    cal = calibrate(codebook, evidence, truth)
    # leading with none or with 10 of 33 (share 0.3) are as right: 0.3 is nearer the codebook's 0.4
    assert cal.leading == LeadingCodes(share=0.3, min_score=0.4)
    assert cal.pooled == codebook.model.decision and cal.replaced  # a new share alone replaces the codebook's


def test_answers_a_codes_own_rule_loses_on_held_out_guides_count_against_it():
    codebook = without_leading()
    code = codebook.codes[0].id
    evidence, truth = _clear_team(codebook, [f"g{i}" for i in range(5)])
    for g, s, present in (("g0", 0.75, False), ("g1", 0.75, False), ("g2", 0.85, False), ("g3", 0.85, False),
                          ("g4", 0.85, True)):
        evidence[(g, code)], truth[(g, code)] = _one(s), present
    cal = calibrate(codebook, evidence, truth)
    # each held out: a bar of 0.9 fitted on the others gets g0 and g1 right but g4 wrong; for g2 and g3 the
    # others call for 0.8, no better on them than the codebook's 0.7: one answer more in all, short of two
    assert cal.pooled == codebook.model.decision and cal.per_code == ()


def _with_feature_rule(feature_id: str, rule: DecisionRule):
    """The shipped codebook (no codes a guide leads with) with ``rule`` set on one feature."""
    model = without_leading().model
    features = tuple(f.model_copy(update={"decision": rule}) if f.id == feature_id else f for f in model.features)
    return Codebook(model.model_copy(update={"features": features}))


def test_a_rule_the_codebook_sets_on_a_feature_is_what_calibration_starts_from():
    """The codebook-wide bar is 0.7, the feature's own 0.9; evidence of 0.8 that the team calls absent is
    answered right by the feature's rule, so nothing is fitted and nothing replaced (it was judged by the
    codebook-wide rule: agreement 1.0 -> 0.5 and the build told the rule was replaced)."""
    strict = DecisionRule(min_score=0.9, min_sections=2, min_weak=0.2, min_total=0.6)
    codebook = _with_feature_rule("modality", strict)
    owned = [c.id for c in codebook.codes if c.feature == "modality"]
    assert owned and all(codebook.by_id[c].own_rule for c in owned) and not codebook.codes[0].own_rule
    evidence, truth = _clear_team(codebook, ["g0", "g1", "g2"])
    for g in ("g0", "g1", "g2"):
        evidence[(g, owned[0])], truth[(g, owned[0])] = _one(0.8), False
    cal = calibrate(codebook, evidence, truth)
    assert cal.mean_before == 1.0 == cal.mean_after and not cal.replaced
    assert all(cal.rules[c] == strict and cal.kind_of(c) == "codebook" for c in owned)
    assert cal.kind_of(codebook.codes[0].id) == "pooled" and cal.rules[codebook.codes[0].id] == cal.pooled


def test_a_moved_pooled_rule_leaves_a_codes_own_rule_be():
    loose = DecisionRule(min_score=0.5, min_sections=2, min_weak=0.2, min_total=0.6)
    codebook = _with_feature_rule("modality", loose)
    owned = {c.id for c in codebook.codes if c.feature == "modality"}
    guides = [f"g{i}" for i in range(6)]
    evidence, truth = _stricter_team(codebook, guides, 6)  # the pooled bar moves to 0.8 (see above)
    for g in guides:  # ... while the team reads the feature's codes as loosely as its own rule
        for c in owned:
            evidence[(g, c)], truth[(g, c)] = _one(0.6), True
    cal = calibrate(codebook, evidence, truth)
    assert cal.pooled.min_score == 0.8 and cal.replaced
    assert all(cal.rules[c] == loose for c in owned) and cal.per_code == ()
    assert all(cal.held_out[(g, c)] for g in guides for c in owned)  # 0.6 stays present, held out too


def test_a_codes_fitted_rule_must_beat_its_own_rule_and_moves_from_it():
    strict = DecisionRule(min_score=0.9, min_sections=2, min_weak=0.2, min_total=0.6)
    codebook = _with_feature_rule("modality", strict)
    code = next(c.id for c in codebook.codes if c.feature == "modality")
    guides = [f"g{i}" for i in range(4)]
    evidence, truth = _clear_team(codebook, guides)
    for g in guides:  # the team calls 0.8 present for this code: its own bar of 0.9 gets all four wrong
        evidence[(g, code)], truth[(g, code)] = _one(0.8), True
    cal = calibrate(codebook, evidence, truth)
    assert cal.per_code == (code,) and cal.kind_of(code) == "own"
    assert cal.rules[code] == strict.model_copy(update={"min_score": 0.8})  # 0.5-0.8 all do: the nearest to 0.9
    # the report names the codes that keep the codebook's rule: the feature's others, not the one fitted
    owned = {c.id for c in codebook.codes if c.feature == "modality"}
    assert set(cal.codebook_rules) == owned - {code} and len(owned) > 1
    assert cal.mean_after == 1.0 > cal.mean_before and cal.replaced


def test_the_calibration_table_says_which_rule_each_code_has(tmp_path):
    from mapping_review.coding.suggestions import Suggestion
    from mapping_review.project.layout import init_project
    from mapping_review.review.decisions import Decision
    from mapping_review.review.state import ReviewState, resolve_review, write_tables

    strict = DecisionRule(min_score=0.9, min_sections=2, min_weak=0.2, min_total=0.6)
    codebook = _with_feature_rule("modality", strict)
    fitted, kept = [c.id for c in codebook.codes if c.feature == "modality"][:2]
    guides = [f"g{i}" for i in range(4)]
    evidence, truth = _clear_team(codebook, guides)
    for g in guides:
        evidence[(g, fitted)], truth[(g, fitted)] = _one(0.8), True
    decisions = [Decision("alice", "2026-01-01T00:00:00Z", "guide", g, c, v) for (g, c), v in truth.items()]
    coded = [Suggestion(guide=g, code=fitted, segment=f"{g}:1:a", page=1, section=("A",), quote="q", match="q",
                        match_start=0, match_end=1, score=1.0, coder="rules.v3", text_hash="h", evidence=0.8)
             for g in guides]  # the guides have machine evidence
    state = ReviewState(project=init_project(tmp_path / "review"), codebook=codebook, guides=dict.fromkeys(guides, ""),
                        decisions=decisions, suggestions=coded, evidence=evidence)
    write_tables(state, resolve_review(state))
    rows = (state.project.build_dir / "tables" / "calibration.csv").read_text().splitlines()
    kinds = {row.split(",")[0]: row.split(",")[1] for row in rows[1:]}
    assert (kinds[fitted], kinds[kept], kinds[codebook.codes[0].id]) == ("own", "codebook", "pooled")


def test_a_codes_fitted_rule_keeps_the_minimum_of_passages_its_own_rule_sets():
    strict = DecisionRule(min_score=0.9, min_sections=2, min_weak=0.2, min_total=0.6, min_evidence=2)
    codebook = _with_feature_rule("modality", strict)
    code = next(c.id for c in codebook.codes if c.feature == "modality")
    guides = [f"g{i}" for i in range(8)]
    evidence, truth = _clear_team(codebook, guides)
    for i, g in enumerate(guides):  # two passages at 0.8: present; one passage, however strong: absent (as the feature says)
        evidence[(g, code)] = Evidence(2, 1, 0.8, (0.8,)) if i < 6 else _one(0.95)
        truth[(g, code)] = i < 6
    cal = calibrate(codebook, evidence, truth)
    assert code in cal.per_code and cal.rules[code].min_score == 0.8
    assert cal.rules[code].min_evidence == 2
    assert not cal.held_out[("g6", code)] and not cal.held_out[("g7", code)]


def test_a_held_out_gain_of_exactly_min_gain_replaces_the_pooled_rule():
    """Held out in turn, the fit gains exactly MIN_GAIN answers (g1 and g2 one each): enough, so the pooled rule moves."""
    codebook = without_leading()
    codes = [c.id for c in codebook.codes]
    guides = ["g0", "g1", "g2", "g3"]
    evidence, truth = _clear_team(codebook, guides)
    for g, code in (("g0", codes[0]), ("g0", codes[1]), ("g1", codes[2]), ("g2", codes[3])):
        evidence[(g, code)], truth[(g, code)] = _one(0.75), False  # the team calls 0.75 absent
    cal = calibrate(codebook, evidence, truth)
    assert cal.pooled_gain == MIN_GAIN
    assert cal.pooled.min_score == 0.8 and cal.replaced


def test_held_out_figures_describe_the_rules_the_build_uses_when_the_pooled_rule_is_kept():
    codebook = without_leading()
    codes = [c.id for c in codebook.codes]
    rng = random.Random(137)  # a team near one bar with 15% noise and one code of its own
    n = rng.choice([3, 4, 5, 6])
    guides = [f"g{i}" for i in range(n)]
    threshold = rng.choice([0.6, 0.75, 0.8, 0.9])
    odd, odd_threshold = rng.choice(codes), rng.choice([0.5, 0.95])
    evidence, truth = {}, {}
    for g in guides:
        for c in codes:
            s = round(rng.random(), 2)
            evidence[(g, c)] = Evidence(1, 1, s, (s,))
            t = threshold if c != odd else odd_threshold
            truth[(g, c)] = (s >= t) if rng.random() > 0.15 else (s < t)
    cal = calibrate(codebook, evidence, truth)
    # the pooled rule is kept (held out, a fitted pooled rule lost answers), yet a code's own rule is adopted:
    # the build answers otherwise than the codebook
    assert cal.pooled == codebook.model.decision and cal.per_code and cal.replaced
    assert cal.pooled_gain < 0
    # each guide is answered by what the build would use had only the other guides been reviewed
    gain, after = 0, {}
    for held in guides:
        without = calibrate(codebook, evidence, {k: v for k, v in truth.items() if k[0] != held})
        fitted = auto_codes(codebook, [held], evidence, rules=without.rules, leading=without.leading)
        default = auto_codes(codebook, [held], evidence)
        assert {c: cal.held_out[(held, c)] for c in codes} == {c: fitted[(held, c)] for c in codes}
        gain += sum((fitted[(held, c)] == truth[(held, c)]) - (default[(held, c)] == truth[(held, c)]) for c in codes)
        after[held] = sum(fitted[(held, c)] == truth[(held, c)] for c in codes) / len(codes)
    assert cal.held_out_gain == gain != cal.pooled_gain and cal.agreement_after == after
    assert cal.kappa_after == kappa_of_pairs([(truth[k], cal.held_out[k]) for k in sorted(truth)])


def test_each_held_out_guide_is_answered_by_the_whole_procedure_run_without_it():
    """The guard that keeps or moves the pooled rule is part of the procedure: a guide held out must not
    have taken part in that choice (folds that share the full fit's choice leak the held-out guide)."""
    for seed, codebook in enumerate([without_leading(), with_leading(0.3, 0.6)] * 2):
        codes = [c.id for c in codebook.codes]
        rng = random.Random(seed)
        guides = [f"g{i}" for i in range(rng.choice([3, 4]))]
        evidence, truth = {}, {}
        bar = rng.choice([0.5, 0.8, 0.9])
        for g in guides:
            for c in codes:
                s = round(rng.random(), 2)
                evidence[(g, c)] = Evidence(rng.choice([1, 2, 3]), 1, s, (s,))
                truth[(g, c)] = (s >= bar) != (rng.random() < 0.2)
        cal = calibrate(codebook, evidence, truth)
        for held in guides:
            without = calibrate(codebook, evidence, {k: v for k, v in truth.items() if k[0] != held})
            fitted = auto_codes(codebook, [held], evidence, rules=without.rules, leading=without.leading)
            assert {c: cal.held_out[(held, c)] for c in codes} == {c: fitted[(held, c)] for c in codes}


def test_a_step_either_side_is_as_far_for_a_codes_own_rule_too():
    from mapping_review.coding.calibration import _one_rule, _one_rule_each

    # the per-code choice breaks ties as the pooled one does: distances rounded, then the first rule
    looser, stricter = abs(0.5 - 0.4), abs(0.3 - 0.4)
    assert looser != stricter
    hits = np.array([5, 5, 1])  # the last is the rule to beat
    assert _one_rule(hits, np.array([looser, stricter, 0.0]), 2) == 0
    assert _one_rule(hits, np.array([stricter, looser, 0.0]), 2) == 0
    assert _one_rule(np.array([5, 5, 4]), np.array([looser, stricter, 0.0]), 2) == 2  # one more: the base stays
    assert list(_one_rule_each(np.array([[5, 1], [5, 6], [1, 1]]), np.array([looser, stricter, 0.0]), 2)) == [0, 1]


def _noisy_team(codebook, guides, rng, odd_share=0.1):
    """Several passages a cell, a bar for the team and another for a few codes, 15% of answers flipped."""
    evidence, truth = {}, {}
    codes = [c.id for c in codebook.codes]
    odd = set(rng.sample(codes, max(1, int(odd_share * len(codes)))))
    bar, odd_bar = rng.choice([0.6, 0.8, 0.9]), rng.choice([0.5, 0.95])
    for g in guides:
        for c in codes:
            scores = tuple(sorted((round(rng.random(), 2) for _ in range(rng.choice([1, 2, 3]))), reverse=True))
            evidence[(g, c)] = Evidence(len(scores), len(scores), scores[0], scores)
            truth[(g, c)] = (scores[0] >= (odd_bar if c in odd else bar)) != (rng.random() < 0.15)
    return evidence, truth


def test_a_codes_own_rule_is_the_one_fitted_on_every_reviewed_guide():
    """Held out, a code's own rule must win; the rule it then gets is fitted to all its reviewed answers
    (:func:`fit_rule` from the pooled rule), not one of the held-out fits."""
    codebook = without_leading()
    seen = 0
    for seed in (10, 13, 25, 33):  # seeds where a fit without the first guide chooses another rule
        rng = random.Random(seed)
        guides = [f"g{i}" for i in range(rng.choice([4, 5, 6]))]
        evidence, truth = _noisy_team(codebook, guides, rng, odd_share=0.3)
        cal = calibrate(codebook, evidence, truth)
        for code in cal.per_code:
            items = [(evidence[k], truth[k]) for k in sorted(truth) if k[1] == code]
            assert cal.rules[code] == fit_rule(items, cal.pooled), (seed, code)
            seen += 1
    assert seen >= 3


def test_a_grids_fit_does_not_depend_on_the_fits_made_on_it_before():
    """A grid caches each code's counts; a fit on any guides, whatever was fitted before on the same grid,
    is the fit of a fresh grid (shares that differ between folds included)."""
    from mapping_review.coding.calibration import _Grid

    for seed in (0, 1, 12):  # 12: two fits with the same pooled rule lead with different shares
        rng = random.Random(seed)
        codebook = with_leading(rng.choice([0.3, 0.5]), rng.choice([0.3, 0.6]))
        guides = [f"g{i}" for i in range(rng.choice([4, 5]))]
        evidence, truth = _noisy_team(codebook, guides, rng, odd_share=0.3)
        shared = _Grid(codebook, evidence, truth)
        for guides_fitted in [guides, *([g for g in guides if g != held] for held in guides)]:
            for codebook_pooled in (True, False):
                fresh = _Grid(codebook, evidence, truth).fit(codebook, guides_fitted, codebook_pooled=codebook_pooled)
                assert shared.fit(codebook, guides_fitted, codebook_pooled=codebook_pooled) == fresh, seed


def test_a_guide_answered_only_on_codes_not_in_the_codebook_has_no_held_out_figures():
    """As before the nested procedure: such a guide is skipped, not divided by its zero codes."""
    codebook = without_leading()
    evidence, truth = _team(codebook, ["g0", "g1", "g2"], random.Random(3), 0.9)
    truth = {k: v for k, v in truth.items() if k[0] != "g2"}
    truth[("g2", "a_code_since_removed")] = True
    cal = calibrate(codebook, evidence, truth)
    assert set(cal.agreement_before) == set(cal.agreement_after) == {"g0", "g1"}
    assert not any(k[0] == "g2" for k in cal.held_out)


def test_a_section_more_is_a_smaller_step_than_a_higher_combined_bar():
    default = DecisionRule(min_score=0.7, min_sections=2, min_weak=0.2, min_total=0.6)
    # two sections of 0.6 (combined 0.84) that the team calls absent: a third section required, or a combined
    # bar of 0.85, gets both right; a section counts a tenth of a score step, so the nearer fix is the section
    two_weak = Evidence(2, 2, 0.6, (0.6, 0.6))
    items = [(two_weak, False), (two_weak, False), (_one(0.95), True), (_one(0.05), False)]
    assert fit_rule(items, default) == default.model_copy(update={"min_sections": 3})
