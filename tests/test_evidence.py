"""The evidence classifier: features, fitting, a JSON model read without scikit-learn, the shipped model."""

import json

import pytest
import yaml
from conftest import ROOT

from mapping_review.coding.decide import rank_evidence
from mapping_review.coding.evidence import (
    MODEL,
    WINDOW,
    EvidenceModel,
    density_of,
    load_model,
    other_features,
    save_model,
    shipped_model,
    text_terms,
    window_words,
)
from mapping_review.coding.evidence_fit import Example, cross_validate, fit_evidence_model, prototypes_of
from mapping_review.coding.suggestions import Suggestion
from mapping_review.errors import ConfigError

POS = ["1.2.{i} Offer a home visit to parents who need more support.",
       "Health visitors should arrange home visits for families in the first year.",
       "Deliver the sessions in the person's home if they prefer.",
       "Consider home visits when the person cannot travel to the clinic."]
NEG = ["Have you been feeling low at home over the last two weeks?",
       "The mother felt lonely at home after the birth.",
       "• Being at home alone",
       "Symptoms include staying at home and loss of interest in going out."]


def sugg(guide, i, text, section=("Recommendations",)):
    start = text.lower().index("home")
    return Suggestion(guide=guide, code="location/client_home", segment=f"{guide}:1:{i}", page=1, section=section,
                      quote=text.replace("{i}", str(i)), match=text[start:start + 4], match_start=start,
                      match_end=start + 4, score=1.0, coder="rules.v2", text_hash="h", weight=1.0)


def examples(guides=("g1", "g2", "g3")):
    out = []
    for guide in guides:
        items = [sugg(guide, i, t) for i, t in enumerate(POS)] + [sugg(guide, 10 + i, t) for i, t in enumerate(NEG)]
        density = density_of(items)
        out += [Example(s, i < len(POS), density) for i, s in enumerate(items)]
    return out


def test_text_terms_are_words_and_pairs():
    assert text_terms("Offer 2 home visits") == ["offer", "#", "home", "visits", "offer #", "# home", "home visits"]


def test_features_carry_the_code_the_match_the_cues_and_the_section():
    s = sugg("g", 1, POS[0], section=("Recommendations", "Home visiting"))
    feats = other_features(s, {"location/client_home": {"home": 2, "visits": 1}}, density_of([s]))
    assert feats["code:location/client_home"] == 1 and feats["m:home"] == 1 and feats["rule_strong"] == 1
    assert feats["cue:imperative"] == 1 and feats["h:visiting"] == 1 and feats["defsim"] > 0
    assert feats["dens_section"] == 0.0


def test_the_words_beside_the_match_are_features_of_their_own_and_of_the_code():
    text = "The local NHS trust board met the staff of the trust last week."
    start = text.index("trust")
    s = Suggestion(guide="g", code="therapist_qualities/trustworthy", segment="g:1:x", page=1, section=(),
                   quote=text, match="trust", match_start=start, match_end=start + 5, score=0.5, coder="rules.v3",
                   text_hash="h", weight=0.5)
    assert window_words(s) == (["the", "local", "nhs"], ["board", "met", "the"]) and WINDOW == 3
    feats = other_features(s)
    assert feats["wb:nhs"] == feats["wa:board"] == feats["wc:therapist_qualities/trustworthy|nhs"] == 0.5
    assert "wb:staff" not in feats and "wa:local" not in feats  # only the words next to the match
    at_start = Suggestion(**{**s.to_dict(), "section": (), "quote": "Trust them.", "match": "Trust",
                             "match_start": 0, "match_end": 5})
    assert window_words(at_start) == ([], ["them"])


def test_a_fitted_model_tells_care_from_a_passing_word_and_round_trips(tmp_path):
    model = fit_evidence_model(examples(), definitions={"location/client_home": {"home": 1, "visit": 1}})
    new_pos = sugg("g9", 1, "Offer home visits to parents with a new baby.")
    new_neg = sugg("g9", 2, "Have you felt alone at home this week?")
    assert model.probability(new_pos) > 0.5 > model.probability(new_neg)
    path = save_model(model, tmp_path / "m.json")
    again = load_model(path)
    for s in (new_pos, new_neg):
        assert again.probability(s) == pytest.approx(model.probability(s), abs=1e-5)
    scored = again.score([new_neg, new_pos])
    assert [s.model for s in scored] == [MODEL, MODEL] and rank_evidence(scored, bar=0.7)[0].segment == new_pos.segment


def test_terms_from_one_guide_only_are_not_learnt():
    ex = examples()
    odd = sugg("g1", 99, "Use the zebra protocol for every home visit.")
    model = fit_evidence_model([*ex, Example(odd, True, density_of([odd]))])
    assert "zebra" not in model.vocabulary and "home" in model.vocabulary


def test_cross_validation_holds_each_guide_out():
    held, reports = cross_validate(examples())
    assert [r.guide for r in reports] == ["g1", "g2", "g3"]
    assert len(held) == len(examples()) and all(r.auc is not None and r.auc > 0.5 for r in reports)


def test_cross_validation_holds_a_family_of_sibling_guides_out_together():
    family = {"g1": "a", "g2": "a", "g3": "b", "g4": "b"}
    ex = [Example(e.suggestion, e.label, e.density, family[e.suggestion.guide])
          for e in examples(("g1", "g2", "g3", "g4"))]
    held, reports = cross_validate(ex)
    assert [r.guide for r in reports] == ["a", "b"] and [r.n_positive for r in reports] == [8, 8]
    assert len(held) == len(ex)


def test_a_damaged_model_file_is_reported(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"name": MODEL}), encoding="utf-8")
    with pytest.raises(ConfigError, match="not an evidence model"):
        load_model(path)


def test_the_shipped_model_is_small_versioned_and_never_trained_on_the_test_part():
    path = ROOT / "mapping_review" / "coding" / "models" / f"{MODEL}.json"
    assert path.stat().st_size < 1_000_000
    model = shipped_model()
    assert isinstance(model, EvidenceModel) and model.name == MODEL == "evidence-clf.v8"
    split = yaml.safe_load((ROOT / "data" / "coding" / "split.yaml").read_text())["guides"]
    learnt = sorted(g["key"] for g in split if g["part"] in ("dev", "train"))
    assert sorted(model.meta["trained_on"]) == learnt  # every guide's labels but the test part's
    assert model.meta["coder"] == "rules.v3" and model.meta["n_items"] > 2000
    assert sum(bool(p.supports and p.others) for p in model.prototypes.values()) > 25  # codes with both kinds


def test_a_codes_prototypes_tell_its_supporting_sentences_from_its_mentions():
    model = fit_evidence_model(examples())
    prototype = model.prototypes["location/client_home"]
    like_support = prototype.features(model.text_vector("Offer home visits to families who need support."))
    like_mention = prototype.features(model.text_vector("Have you been feeling lonely at home this week?"))
    assert like_support["proto_pos"] > like_mention["proto_pos"]
    assert like_support["proto_diff"] > 0 > like_mention["proto_diff"]
    assert model.coef.get("proto_diff", 0.0) > 0  # the fit learnt to trust it


def test_a_training_items_prototype_features_come_from_the_other_sources(monkeypatch):
    import mapping_review.coding.evidence_fit as fit

    seen = []
    real = fit.prototypes_of
    monkeypatch.setattr(fit, "prototypes_of", lambda items, model, vectors=None: (
        seen.append({e.source for e in items}), real(items, model, vectors))[1])
    fit.fit_evidence_model(examples())
    # one set of centroids without each source (for its own items), then one of all (for new guides)
    assert seen == [{"g2", "g3"}, {"g1", "g3"}, {"g1", "g2"}, {"g1", "g2", "g3"}]


def test_a_model_without_prototypes_still_loads_and_scores(tmp_path):
    model = fit_evidence_model(examples())
    data = model.to_dict()
    data.pop("prototypes")  # as in a model of an earlier version
    older = EvidenceModel.from_dict(data)
    s = sugg("g9", 1, "Offer home visits to parents with a new baby.")
    assert older.prototypes == {} and 0 < older.probability(s) < 1
    assert older.probability(s) != pytest.approx(model.probability(s), abs=1e-6)  # the prototypes count
    assert prototypes_of([], model) == {}


def test_the_order_of_the_features_does_not_depend_on_string_hashing():
    # the order of the features is the order their weights are added in: a set's order would change the
    # scores' last digits from one process to the next
    import os
    import subprocess
    import sys

    program = (
        "from mapping_review.coding.evidence import other_features\n"
        "from mapping_review.coding.suggestions import Suggestion\n"
        "s = Suggestion(guide='g', code='alliance', segment='g:1:1', page=1,\n"
        "    section=('Care of people with depression', 'Working with families and carers of people'),\n"
        "    quote='Practitioners should build a trusting therapeutic relationship with families, carers and '\n"
        "          'advocates, and review progress with each person regularly during treatment sessions.',\n"
        "    match='therapeutic relationship', match_start=45, match_end=69, score=1.0, coder='rules.v3',\n"
        "    text_hash='x')\n"
        "print(list(other_features(s)))\n"
    )
    orders = {subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3", "4")}
    assert len(orders) == 1 and "cw:alliance|trusting" in next(iter(orders))
