"""Reviewers' decisions and sheet quotes as sentence labels for learn and the evidence classifier."""

import csv

import pytest
from click.testing import CliRunner
from conftest import ROOT
from pdfmaker import guide_pages, make_pdf

from mapping_review.cli import main
from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.suggestions import Suggestion, text_hash
from mapping_review.errors import ConfigError
from mapping_review.project.layout import open_project
from mapping_review.review.decisions import Decision, append_decisions, read_decisions
from mapping_review.review.labels import (
    MIN_AUC_GAIN,
    MIN_QUOTE_CHARS,
    decisions_to_labels,
    find_quote,
    learn_evidence_model,
    quotes_to_decisions,
)
from mapping_review.review.state import load_review
from mapping_review.segment.segments import Segment

CODEBOOK = load_codebook(ROOT / "codebook.yaml")


def seg(i, text, guide="g", kind="sentence"):
    return Segment(id=f"{guide}:1:{i}", guide=guide, kind=kind, role="text", page=1, start=0, end_page=1,
                   end=len(text), section=("S",), text=text, bbox=None)


def decide(reviewer, segment, code, value, *, text="", guide="g"):
    return Decision(reviewer=reviewer, time="t", level="segment", guide=guide, code=code, value=value,
                    action="accept" if value else "reject", segment=segment.id, text_hash=text_hash(text or segment.text))


def test_segment_decisions_become_labels_and_consensus_wins():
    a, b = seg(1, "Offer a home visit to every new mother."), seg(2, "The mother felt alone at home.")
    heading = seg(3, "Home visits\n\nOffer them weekly.", kind="section")
    decisions = [decide("alice", a, "location/client_home", True), decide("bob", a, "location/client_home", False),
                 decide("consensus", a, "location/client_home", True), decide("alice", b, "location/client_home", False),
                 decide("alice", heading, "location/client_home", True),
                 decide("alice", seg(4, "x"), "location/client_home", True, text="old text")]  # text changed since
    labels = decisions_to_labels(decisions, {s.id: s for s in (a, b, heading, seg(4, "new text, not the one decided"))})
    got = {(lab.anchor, lab.label, lab.origin) for lab in labels}
    assert got == {("offer a home visit to every new mother", "supports", "reviewer:consensus"),
                   ("the mother felt alone at home", "mentions", "reviewer:alice"),
                   ("home visits", "supports", "reviewer:alice")}


def _project(tmp_path):
    runner = CliRunner()
    root = tmp_path / "review"
    assert runner.invoke(main, ["init", str(root)]).exit_code == 0
    pdf = make_pdf(tmp_path / "guide.pdf", guide_pages())
    assert runner.invoke(main, ["corpus", "add", str(pdf), "--key", "tg1", "-p", str(root)]).exit_code == 0
    built = runner.invoke(main, ["build", str(root), "-q", "--nlp", "blank", "-j", "1"])
    assert built.exit_code == 0, built.output
    return runner, root


def _sheet(path, header_extra, row_extra):
    header = ["Natbib", "Client Centered (e.g. shared decision making)", *header_extra]
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, ["tg1", "Yes", *row_extra]])
    return path


def test_quotes_in_a_sheet_are_recorded_as_evidence(tmp_path):
    runner, root = _project(tmp_path)
    quote = "Consider their preferences when planning care"
    sheet = _sheet(tmp_path / "s.csv", ["Client Centered (e.g. shared decision making) [quote]",
                                        "Care Modality [quote]"], [f"“{quote}”", ""])
    out = runner.invoke(main, ["sheet", "import", str(sheet), "-r", "alice", "-p", str(root)])
    assert out.exit_code == 0, out.output
    assert "1 quote(s) recorded as evidence" in " ".join(out.output.split())
    added = [d for d in read_decisions(root / "reviews") if d.level == "segment"]
    assert len(added) == 1 and added[0].code == "client_centered" and added[0].action == "add"
    assert added[0].segment.startswith("tg1:") and added[0].note == f"quote: {quote}"
    assert "quote" in added[0].origin


def test_a_quote_that_cannot_be_placed_records_nothing(tmp_path):
    runner, root = _project(tmp_path)
    before = read_decisions(root / "reviews")
    missing = _sheet(tmp_path / "m.csv", ["Client Centered (e.g. shared decision making) [quote]"],
                     ["words that appear nowhere in this guide at all"])
    out = runner.invoke(main, ["sheet", "import", str(missing), "-r", "alice", "-p", str(root)])
    assert out.exit_code == 1 and "quote not found in the guide's text" in out.output
    assert "Nothing was imported" in out.output
    needs_label = _sheet(tmp_path / "n.csv", ["Care Modality [quote]"], ["Offer people with depression a choice"])
    out = runner.invoke(main, ["sheet", "import", str(needs_label), "-r", "alice", "-p", str(root)])
    assert out.exit_code == 1 and "start the quote with the sub-value it supports" in out.output
    assert read_decisions(root / "reviews") == before


def test_learn_needs_enough_labels_and_keeps_the_shipped_classifier_unless_beaten(tmp_path):
    runner, root = _project(tmp_path)
    out = runner.invoke(main, ["learn", "-p", str(root)])
    assert out.exit_code == 1 and "needs 10 accepted and 10 rejected suggestions" in out.output
    # enough labels on two guides: the project classifier is written only when it wins on held-out guides
    segments, suggestions, decisions = {}, [], []
    texts = [("Offer a home visit to the family.", True), ("Have you been at home all week?", False)]
    for guide in ("g1", "g2"):
        for i in range(24):
            text, value = texts[i % 2]
            s = seg(i, f"{text} ({i})", guide=guide)
            segments[s.id] = s
            suggestions.append(Suggestion(guide, "location/client_home", s.id, 1, ("S",), s.text, "home",
                                          s.text.index("home"), s.text.index("home") + 4, 1.0, "rules.v2", "h"))
            decisions.append(decide("alice", s, "location/client_home", value, guide=guide))
    result = learn_evidence_model(CODEBOOK, decisions, segments, suggestions, out=tmp_path / "m.json")
    assert result.n_examples == 48 and result.guides == ("g1", "g2")
    assert result.project_auc is not None and result.shipped_auc is not None
    assert (result.written is not None) == (result.project_auc >= result.shipped_auc + MIN_AUC_GAIN)
    assert (tmp_path / "m.json").exists() == (result.written is not None)


def test_learning_is_blind_to_other_coders_unless_asked():
    import pytest

    from mapping_review.errors import ConfigError
    from mapping_review.review.decisions import learning_decisions

    s = seg(1, "Offer a home visit to the family.")
    alice, bob, agreed = (decide(r, s, "location/client_home", True) for r in ("alice", "bob", "consensus"))
    # two coders: by default only the consensus, whose decisions come after the coding
    chosen, whose = learning_decisions([alice, bob, agreed])
    assert chosen == [agreed] and whose == "the decisions of consensus"
    assert learning_decisions([alice, bob, agreed], sources=("alice",))[0] == [alice]
    assert learning_decisions([alice, bob, agreed], sources=("bob", "consensus"))[0] == [bob, agreed]
    assert learning_decisions([alice, bob, agreed], sources=("all",))[0] == [alice, bob, agreed]
    # one coder: nobody's blindness is at stake
    assert learning_decisions([alice, agreed])[0] == [alice, agreed]
    with pytest.raises(ConfigError, match=r"no reviewer 'carol' has decisions to learn from; choose from all, "
                                          r"consensus, alice, bob"):
        learning_decisions([alice, bob], sources=("carol",))


def test_a_quote_is_placed_in_the_sentence_that_holds_it_or_that_it_holds():
    short, long_ = seg(1, "See p. 4."), seg(2, "Offer a home visit to every new mother after birth.")
    units = [short, long_]
    assert find_quote("home visit to every new", units) == long_  # inside a sentence
    assert find_quote("Offer a home-\nvisit to every new mother after birth. Then call.", units) == long_  # spans it
    assert len("seep4") < MIN_QUOTE_CHARS
    assert find_quote("See p. 4.", units) is None  # too short to place: it could be anywhere
    assert find_quote("See p. 4. Then ask again", units) is None  # a short sentence inside a quote is no match
    assert find_quote("words that are nowhere at all", units) is None


def _quote_sheet(path, header, row):
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["Natbib", *header], row])
    return path


def test_sheet_quotes_name_a_sub_value_a_known_guide_a_feature_and_a_reviewer(tmp_path):
    units = {"g": [seg(1, "Offer a home visit to every new mother after birth.")]}
    place = {"segments": units, "guides": {"g": "h"}}
    ok = _quote_sheet(tmp_path / "ok.csv", ["Location [quote]"], ["g", "Client's home: a home visit to every new mother"])
    got = quotes_to_decisions(ok, CODEBOOK, reviewer="alice", **place)
    assert got.n_quotes == 1 and [(d.guide, d.code, d.segment, d.action) for d in got.decisions] == [
        ("g", "location/client_home", "g:1:1", "add")]
    for name, header, row, message in (
        ("sub", ["Location [quote]"], ["g", "Client's home"], "start the quote with the sub-value"),
        ("guide", ["Location [quote]"], ["x", "Client's home: a home visit to every new mother"], "unknown guide 'x'"),
        ("column", ["Locations [quote]"], ["g", "a home visit to every new mother"], "is not a feature's quote column"),
    ):
        with pytest.raises(ConfigError, match=message):
            quotes_to_decisions(_quote_sheet(tmp_path / f"{name}.csv", header, row), CODEBOOK, reviewer="alice", **place)
    with pytest.raises(ConfigError):
        quotes_to_decisions(ok, CODEBOOK, reviewer="Alice Smith!", **place)


def test_a_decision_flagged_for_review_is_no_label():
    a = seg(1, "Offer a home visit to every new mother.")
    flagged = Decision(reviewer="alice", time="t", level="segment", guide="g", code="location/client_home", value=True,
                       action="accept", segment=a.id, text_hash=text_hash(a.text), needs_review=True)
    assert decisions_to_labels([flagged], {a.id: a}) == []
    assert len(decisions_to_labels([decide("alice", a, "location/client_home", True)], {a.id: a})) == 1


def test_learn_from_the_consensus_alone_says_how_to_learn_from_every_reviewer(tmp_path):
    runner, root = _project(tmp_path)
    hint = "--from all learns from every reviewer's"
    alone = runner.invoke(main, ["learn", "-p", str(root)])  # nobody codes yet: everyone's by default
    assert alone.exit_code == 1 and hint not in " ".join(alone.output.split())
    suggestion = load_review(open_project(root)).suggestions[0]
    append_decisions(root / "reviews", [
        Decision(who, "2025-01-01T10:00:00Z", "segment", "tg1", suggestion.code, True, "accept", suggestion.segment,
                 suggestion.text_hash) for who in ("alice", "bob")])
    two = runner.invoke(main, ["learn", "-p", str(root)])  # two coders: the consensus's alone, which has none
    assert two.exit_code == 1 and hint in " ".join(two.output.split())
    chosen = runner.invoke(main, ["learn", "--from", "consensus", "-p", str(root)])  # asked for: no advice
    assert chosen.exit_code == 1 and hint not in " ".join(chosen.output.split())
