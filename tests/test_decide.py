import random

from conftest import ROOT

from mapping_review.coding.codebook import DecisionRule
from mapping_review.coding.decide import Evidence, applies, calibrate, fit_rule, summarise
from mapping_review.coding.rules import Suggestion


def sugg(guide, code, section, score):
    return Suggestion(guide=guide, code=code, segment=f"{guide}:{section}:{score}", page=1, section=(section,),
                      quote="q", match="q", match_start=0, match_end=1, score=score, coder="rules.v1", text_hash="h")


def test_summarise_and_apply():
    ev = summarise([sugg("g", "c", "A", 0.5), sugg("g", "c", "B", 1.0), sugg("g", "c", "B", 0.5)])
    assert ev[("g", "c")] == Evidence(n_evidence=3, n_sections=2, max_score=1.0)
    assert applies(DecisionRule(min_evidence=3, min_sections=2, min_score=1.0), ev[("g", "c")])
    assert not applies(DecisionRule(min_evidence=4), ev[("g", "c")])
    assert not applies(DecisionRule(min_score=1.25), ev[("g", "c")])


def test_fit_keeps_the_default_on_noise_and_moves_on_a_clear_standard():
    default = DecisionRule(min_evidence=2, min_score=1.0)
    noisy = [(Evidence(3, 1, 1.0), True), (Evidence(4, 1, 1.0), False), (Evidence(5, 2, 1.0), True)]
    assert fit_rule(noisy, default) == default
    strict = [(Evidence(n, 2, 1.0), n >= 10) for n in (2, 3, 4, 6, 8, 12, 15, 20, 30, 40)]
    rule = fit_rule(strict, default)
    assert all(applies(rule, e) == truth for e, truth in strict)


def test_calibration_follows_a_stricter_team_on_held_out_guides():
    from mapping_review.coding.codebook import load_codebook

    codebook = load_codebook(ROOT / "codebook.yaml")
    rng = random.Random(7)
    guides = [f"g{i}" for i in range(10)]
    evidence, truth = {}, {}
    for g in guides:
        for code in codebook.codes:
            n = rng.choice([0, 1, 2, 3, 5, 8, 13, 21, 34])
            evidence[(g, code.id)] = Evidence(n, min(n, 3), 1.0 if n else 0.0)
            truth[(g, code.id)] = n >= 8  # this team needs much more than a mention
    cal = calibrate(codebook, evidence, truth)
    assert cal.mean_after > cal.mean_before + 0.2
    assert cal.mean_after > 0.88
    assert set(cal.agreement_before) == set(guides)
