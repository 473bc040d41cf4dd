"""The review's graph, criteria, evaluation records and results tables on tiny hand-made inputs,
each value worked out by hand: what a table, criterion or figure says, not only that it is written."""

from pathlib import Path

import pytest
from conftest import ROOT

from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.suggestions import Suggestion
from mapping_review.project.manifest import Guide
from mapping_review.publish.criteria import (
    PACKAGED_TEMPLATE,
    Criterion,
    criteria_from_summary,
    criteria_markdown,
    render_prompt,
)
from mapping_review.publish.evaluation import Evaluation, criteria_rows, criterion_title, item_record, polarity
from mapping_review.publish.graph import add_evaluation, code_cooccurrence, codings_to_graph, guide_similarity, guides_behind
from mapping_review.publish.items import ItemSet, ItemsModel
from mapping_review.publish.results import Judgement
from mapping_review.publish.results_tables import agreement_rows, result_rows, shares, write_results
from mapping_review.publish.summary import SummaryRow
from mapping_review.review.consensus import GuideCode

INPATIENT = Criterion("location/inpatient", "Location", "Inpatient", "Care in hospital.", ("b_2021", "a_2020"),
                      ({"guide": "b_2021", "page": 5, "section": "", "quote": "b strong"},))
OUTPATIENT = Criterion("location/outpatient", "Location", "Outpatient", "Care in a clinic.", ("a_2020",))
MANIA = Criterion("dont_enable_mania", "Don't Enable Mania", "Don't Enable Mania", "Do not fuel mania.",
                  ("b_2021", "a_2020"))
REDIRECT = Criterion("redirect_client", "Redirect Client", "Redirect Client", "Challenge the thinking.", ("a_2020",))
LABELS = {"a_2020": "A (2020)", "b_2021": "B (2021)"}


def item(id_, criterion, condition):
    return {"id": id_, "criterion": criterion, "condition": condition, "input": [{"role": "user", "content": "hi"}],
            "question": "Does it help?", "appropriate": "no", "pass_if": "It declines.",
            "provenance": {"author": "me", "created": "2025-01-01"}}


def evaluation(*items, criteria=(MANIA, INPATIENT, REDIRECT)):
    # conditions declared psychosis first: tables follow the declared order, not the alphabet
    model = ItemsModel.model_validate({"conditions": {"psychosis": "Psychosis", "mania": "Mania"},
                                       "items": list(items)})
    return Evaluation("tiny", tuple(criteria), LABELS, {}, ItemSet(model, Path("items.yaml")), 1)


def judged(item_id, model, appropriate, where, **humans):
    return Judgement(item_id, "bare", model, appropriate, where, tuple(humans.items()))


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(ROOT / "codebook.yaml")


# --- graph -------------------------------------------------------------------------------------


@pytest.fixture()
def graph(codebook):
    guides = [Guide(key="b_2021", label="B (2021)", year=2021), Guide(key="a_2020"), Guide(key="c_2022"),
              Guide(key="d_2023"), Guide(key="e_2024")]
    rows = [GuideCode("b_2021", "location/inpatient", True, "consensus", 3),
            GuideCode("b_2021", "location/outpatient", True, "consensus", 1),
            GuideCode("b_2021", "dont_enable_mania", True, "consensus", 2),
            GuideCode("a_2020", "location/inpatient", True, "alice", 1),
            GuideCode("a_2020", "dont_enable_mania", True, "consensus", 1),
            GuideCode("a_2020", "location/outpatient", False, "consensus", 0),
            GuideCode("c_2022", "location/inpatient", True, "consensus", 1),
            GuideCode("c_2022", "location/outpatient", True, "consensus", 1)]
    return codings_to_graph(codebook, guides, rows)


def test_graph_nodes_and_edges_carry_the_manifest_and_the_codings(graph):
    assert graph.nodes["guide:b_2021"]["label"] == "B (2021)" and graph.nodes["guide:b_2021"]["year"] == 2021
    assert graph.nodes["guide:a_2020"]["label"] == "a_2020" and graph.nodes["guide:a_2020"]["year"] == 0
    assert graph.edges["guide:b_2021", "code:location/inpatient"] == {"kind": "has_code", "source": "consensus",
                                                                       "n_evidence": 3}
    assert graph.edges["guide:a_2020", "code:location/inpatient"]["source"] == "alice"
    assert not graph.has_edge("guide:a_2020", "code:location/outpatient")  # coded absent: no edge
    assert graph.has_edge("feature:location", "code:location/inpatient")  # a sub-value hangs from its feature
    assert not graph.has_edge("feature:dont_enable_mania", "code:dont_enable_mania")


def test_guide_similarity_and_code_cooccurrence_by_hand(graph):
    # a = {inpatient, mania}, b = {inpatient, outpatient, mania}, c = {inpatient, outpatient}, d = e = {}
    sim = {(a, b): (n, j) for a, b, n, j in guide_similarity(graph)}
    assert len(sim) == 10
    assert sim[("a_2020", "b_2021")] == (2, pytest.approx(2 / 3))
    assert sim[("a_2020", "c_2022")] == (1, pytest.approx(1 / 3))
    assert sim[("b_2021", "c_2022")] == (2, pytest.approx(2 / 3))
    assert sim[("a_2020", "d_2023")] == (0, 0.0)
    assert sim[("d_2023", "e_2024")] == (0, 0.0)  # two guides without codes share nothing
    co = code_cooccurrence(graph)
    weights = {tuple(sorted((u, v))): d["weight"] for u, v, d in co.edges(data=True)}
    assert weights == {("code:dont_enable_mania", "code:location/inpatient"): 2,
                       ("code:dont_enable_mania", "code:location/outpatient"): 1,
                       ("code:location/inpatient", "code:location/outpatient"): 2}


def test_criteria_items_and_results_in_the_graph(graph):
    ev = evaluation(item("mania-1", "dont_enable_mania", "mania"), criteria=(MANIA, INPATIENT))
    judgements = [judged("mania-1", "m", True, "f:2"), judged("mania-1", "m", False, "f:3"),
                  judged("mania-1", "m", True, "f:4")]
    G = add_evaluation(graph, ev, judgements)
    assert G.nodes["criterion:location/inpatient"]["label"] == "Location: Inpatient"
    assert not G.nodes["criterion:location/inpatient"]["tested"]
    mania = G.nodes["criterion:dont_enable_mania"]
    assert (mania["label"], mania["polarity"], mania["tested"], mania["n_support"]) == \
        ("Don't Enable Mania", "dont", True, 2)
    result = G.nodes["result:mania-1:m"]
    assert (result["n"], result["n_appropriate"], result["share"]) == (3, 2, pytest.approx(2 / 3))
    # b_2021 was coded before a_2020: the keys come back sorted all the same
    for node in ("result:mania-1:m", "item:mania-1", "criterion:dont_enable_mania", "code:dont_enable_mania"):
        assert guides_behind(G, node) == ["a_2020", "b_2021"], node
    assert guides_behind(G, "criterion:location/inpatient") == ["a_2020", "b_2021", "c_2022"]


# --- criteria ----------------------------------------------------------------------------------


def sug(guide, code, rank, page, quote, *, weight=1.0, section=()):
    return Suggestion(guide, code, f"{guide}:{page}:x", page, section, quote, "", 0, 0, 1.0, "rules.v2", "",
                      evidence=rank, weight=weight)


def test_criteria_take_quotes_from_supporting_guides_strongest_first(codebook):
    rows = [SummaryRow("Location", "Inpatient", "location/inpatient", ("b_2021", "a_2020")),
            SummaryRow("Location", "Outpatient", "location/outpatient", ()),
            SummaryRow("Don't Enable Mania", "", "dont_enable_mania", ("a_2020",))]
    inpatient = "location/inpatient"
    suggestions = [sug("c_2022", inpatient, 0.95, 1, "not a supporting guide"),
                   sug("a_2020", inpatient, 0.8, 3, "a strong", section=("Ch 1", "Care")),
                   sug("b_2021", inpatient, 0.8, 5, "b strong"),  # ties with a: b comes first in the summary
                   sug("b_2021", inpatient, 0.5, 6, "b below the bar"),
                   sug("a_2020", inpatient, 0.9, 7, "a weak word", weight=0.5)]
    criteria = criteria_from_summary(codebook, rows, suggestions, quotes=3)
    assert [(c.id, c.feature, c.label, c.supported_by) for c in criteria] == [
        (inpatient, "Location", "Inpatient", ("b_2021", "a_2020")),
        ("dont_enable_mania", "Don't Enable Mania", "Don't Enable Mania", ("a_2020",))]
    # over the bar (0.7) first, then strong patterns, then the score; a weak word over the bar beats
    # a strong pattern under it
    assert [(e["guide"], e["page"], e["quote"]) for e in criteria[0].evidence] == [
        ("b_2021", 5, "b strong"), ("a_2020", 3, "a strong"), ("a_2020", 7, "a weak word")]
    assert criteria[0].evidence[1]["section"] == "Ch 1 > Care"
    assert criteria[1].evidence == ()
    strict = criteria_from_summary(codebook, rows, suggestions, min_support=2, quotes=1)
    assert [(c.id, [e["quote"] for e in c.evidence]) for c in strict] == [(inpatient, ["b strong"])]


def test_criteria_markdown_groups_by_feature(codebook):
    md = criteria_markdown([INPATIENT, OUTPATIENT, MANIA], labels=LABELS, min_support=1)
    assert md == "\n".join([
        "# Evaluation criteria", "",
        "Each criterion is a code that at least 1 guide(s) of the review address.", "",
        "## Location", "",
        "### Inpatient (`location/inpatient`)", "", "Care in hospital.", "",
        "Supported by: B (2021) [@b_2021]; A (2020) [@a_2020]", "",
        "> b strong  \n> -- B (2021), p. 5", "",
        "### Outpatient (`location/outpatient`)", "", "Care in a clinic.", "",
        "Supported by: A (2020) [@a_2020]", "",
        "## Don't Enable Mania", "",
        "### Criterion (`dont_enable_mania`)", "", "Do not fuel mania.", "",
        "Supported by: B (2021) [@b_2021]; A (2020) [@a_2020]", ""])


def test_the_packaged_prompt_numbers_features_and_counts_guides():
    text = render_prompt([INPATIENT, OUTPATIENT, MANIA], template=PACKAGED_TEMPLATE,
                         review={"name": "tiny", "description": ""}, min_support=2, n_guides=7)
    assert "drawn from 7 clinical guidelines" in text and "least 2 of them" in text
    assert "1. Location\n   - Inpatient: Care in hospital.\n   - Outpatient: Care in a clinic.\n" in text
    assert "2. Don't Enable Mania\n   - Do not fuel mania.\n" in text and "3." not in text


# --- evaluation --------------------------------------------------------------------------------


@pytest.mark.parametrize(("criterion", "expected"), [
    (Criterion("dont_shout", "Tone", "Keep calm", "", ()), "dont"),  # by its id
    (Criterion("shout", "Tone", "Don't shout", "", ()), "dont"),  # by its label
    (Criterion("harm", "Safety", "Do not harm", "", ()), "dont"),
    (Criterion("tone/loud", "Don't Raise Your Voice", "Loud", "", ()), "dont"),  # by its feature
    (Criterion("redirect_client", "Redirect Client", "Redirect Client", "", ()), "do"),
    (Criterion("donate", "Dona", "Donations", "", ()), "do"),
])
def test_polarity(criterion, expected):
    assert polarity(criterion) == expected


def test_criterion_title():
    assert criterion_title(INPATIENT) == "Location: Inpatient"
    assert criterion_title(MANIA) == "Don't Enable Mania"


def test_criteria_rows_and_item_records_count_items_and_show_missing_evidence():
    ev = evaluation(item("mania-1", "dont_enable_mania", "mania"), item("mania-2", "dont_enable_mania", "psychosis"))
    rows = criteria_rows(ev)
    assert [r[:8] for r in rows if r[0] == "dont_enable_mania"] == [
        ["dont_enable_mania", "Don't Enable Mania", "Don't Enable Mania", "Do not fuel mania.", "dont", 2, 1, 2]] * 2
    assert [r[8:] for r in rows if r[0] == "dont_enable_mania"] == [
        ["b_2021", "B (2021)", "", ""], ["a_2020", "A (2020)", "", ""]]
    assert {tuple(r[6:8]) for r in rows if r[0] == "location/inpatient"} == {(0, 0)}  # untested
    assert ev.support("redirect_client") == [{"guide": "a_2020", "label": "A (2020)", "page": None, "quote": ""}]
    record = item_record(ev, ev.items.by_id["mania-2"])
    assert (record["condition"], record["condition_label"], record["criterion_label"], record["polarity"]) == \
        ("psychosis", "Psychosis", "Don't Enable Mania", "dont")
    assert [s["guide"] for s in record["supported_by"]] == ["b_2021", "a_2020"]


# --- results tables ----------------------------------------------------------------------------


def tiny_results():
    ev = evaluation(item("mania-1", "dont_enable_mania", "mania"), item("mania-2", "dont_enable_mania", "psychosis"),
                    item("redirect-1", "redirect_client", "mania"))
    judgements = [judged("mania-1", "m-b", True, "f:2", alice=True), judged("mania-1", "m-b", False, "f:3", alice=False),
                  judged("mania-2", "m-b", True, "f:4", alice=False), judged("redirect-1", "m-b", False, "f:5"),
                  judged("mania-1", "m-a", True, "f:6", alice=True)]
    return ev, judgements


def test_shares_are_ordered_by_criterion_then_pooled_then_declared_condition_then_model():
    ev, judgements = tiny_results()
    table = shares(ev, judgements)
    assert [(s.criterion, s.condition, s.model, s.n, s.n_appropriate) for s in table] == [
        ("dont_enable_mania", "*", "m-a", 1, 1), ("dont_enable_mania", "*", "m-b", 3, 2),
        ("dont_enable_mania", "psychosis", "m-b", 1, 1),
        ("dont_enable_mania", "mania", "m-a", 1, 1), ("dont_enable_mania", "mania", "m-b", 2, 1),
        ("redirect_client", "*", "m-b", 1, 0), ("redirect_client", "mania", "m-b", 1, 0)]
    assert (table[0].low, table[0].high) == (1.0, 1.0) and (table[-1].low, table[-1].high) == (0.0, 0.0)
    rows = result_rows(ev, table)
    assert rows[1][:8] == ["dont_enable_mania", "Don't Enable Mania", "dont", "*", "m-b", 3, 2, "0.6667"]
    assert rows[1][10:] == ["bootstrap-percentile.v1", 2, "b_2021;a_2020"]
    assert rows[-1][7:10] == ["0.0000", "0.0000", "0.0000"]


def test_agreement_rows_by_hand_with_one_person():
    ev, judgements = tiny_results()
    # judge T F T T, alice T F F T: 3 of 4 agree; kappa (0.75 - 0.5) / 0.5; alpha 1 - (2/8) / (30/56)
    assert agreement_rows(ev, judgements) == [
        ["dont_enable_mania", "percent", "judge+alice", 4, "0.7500"],
        ["dont_enable_mania", "cohen", "judge+alice", 4, "0.5000"],
        ["dont_enable_mania", "krippendorff_alpha", "judge+alice", 4, "0.5333"],
        ["*", "percent", "judge+alice", 4, "0.7500"],
        ["*", "cohen", "judge+alice", 4, "0.5000"],
        ["*", "krippendorff_alpha", "judge+alice", 4, "0.5333"]]
    assert agreement_rows(ev, [j for j in judgements if not j.humans]) == []


def test_agreement_rows_put_the_judge_first_and_fleiss_needs_three_raters():
    ev, _ = tiny_results()
    judgements = [judged("mania-1", "m", True, "f:2", alice=True, bob=True),
                  judged("mania-1", "m", False, "f:3", alice=False, bob=True),
                  judged("mania-2", "m", True, "f:4", alice=True, bob=False)]
    rows = agreement_rows(ev, judgements)
    assert [(r[0], r[1], r[2]) for r in rows if r[0] == "*"] == [
        ("*", "percent", "judge+alice+bob"), ("*", "cohen", "judge+alice"), ("*", "cohen", "judge+bob"),
        ("*", "cohen", "alice+bob"), ("*", "fleiss", "judge+alice+bob"), ("*", "krippendorff_alpha", "judge+alice+bob")]
    assert rows[0][4] == "0.3333"  # one response of three where all three agree


def test_write_results_draws_the_pooled_shares_and_drops_a_stale_agreement_table(tmp_path, monkeypatch):
    from mapping_review.publish import figures

    drawn = []
    monkeypatch.setattr(figures, "eval_results", lambda rows, labels, folder: drawn.append((rows, labels)) or [])
    ev, judgements = tiny_results()
    tables = write_results(ev, judgements, tmp_path)
    assert [(c, m, n) for c, m, n, _, _ in drawn[0][0]] == [
        ("dont_enable_mania", "m-a", 1.0), ("dont_enable_mania", "m-b", pytest.approx(2 / 3)),
        ("redirect_client", "m-b", 0.0)]
    assert drawn[0][1]["location/inpatient"] == "Location: Inpatient"
    assert (tmp_path / "tables" / "eval_agreement.csv").exists() and tables.agreement
    tables = write_results(ev, [j for j in judgements if not j.humans], tmp_path, figures=False)
    assert not (tmp_path / "tables" / "eval_agreement.csv").exists() and tables.agreement == []
    assert len(drawn) == 1
