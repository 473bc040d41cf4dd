import json
import multiprocessing

import pytest
from conftest import ROOT

from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.decide import Evidence
from mapping_review.errors import ConfigError
from mapping_review.review.consensus import resolve
from mapping_review.review.decisions import (
    Decision,
    append_decisions,
    guide_level,
    latest,
    read_decisions,
    read_reviews,
)

CODEBOOK = load_codebook(ROOT / "codebook.yaml")


def d(reviewer, guide, code, value, *, level="guide", segment="", action="set", time="2026-01-01T00:00:00Z"):
    return Decision(reviewer=reviewer, time=time, level=level, guide=guide, code=code, value=value, action=action,
                    segment=segment)


def test_precedence_consensus_reviewers_machine():
    decisions = [
        d("alice", "g", "therapeutic_alliance", True), d("bob", "g", "therapeutic_alliance", True),
        d("alice", "g", "dont_stigmatize", True), d("bob", "g", "dont_stigmatize", False),
        d("alice", "g", "redirect_client", True), d("bob", "g", "redirect_client", False),
        d("carol", "g", "redirect_client", True),
        d("alice", "g", "emotional_intelligence", False), d("consensus", "g", "emotional_intelligence", True),
    ]
    auto = {("g", c.id): False for c in CODEBOOK.codes}
    auto[("g", "dont_stigmatize")] = True
    rows, open_ = resolve(CODEBOOK, ["g"], decisions, auto, {("g", "dont_stigmatize"): Evidence(4, 2, 1.0)})
    by = {r.code: r for r in rows}
    assert (by["therapeutic_alliance"].present, by["therapeutic_alliance"].source) == (True, "reviewer:alice+bob")
    assert (by["emotional_intelligence"].present, by["emotional_intelligence"].source) == (True, "consensus")
    assert (by["redirect_client"].present, by["redirect_client"].source) == (True, "reviewer:alice+carol")
    assert (by["dont_stigmatize"].present, by["dont_stigmatize"].source) == (True, "auto")  # a tie: the machine
    assert by["dont_stigmatize"].n_evidence == 4
    assert by["location/inpatient"].source == "auto" and len(rows) == 33
    assert {(o.guide, o.code) for o in open_} == {("g", "dont_stigmatize"), ("g", "redirect_client")}


def test_a_guide_the_machine_has_not_coded_has_no_machine_answer_in_the_table():
    decisions = [d("alice", "u", "dont_stigmatize", True), d("bob", "u", "dont_stigmatize", False),
                 d("alice", "u", "redirect_client", True), d("alice", "g", "dont_stigmatize", True),
                 d("bob", "g", "dont_stigmatize", False)]
    auto = {(g, c.id): False for g in ("g", "u") for c in CODEBOOK.codes}
    rows, open_ = resolve(CODEBOOK, ["g", "u"], decisions, auto, {}, unread={"u"})
    by = {(r.guide, r.code): r for r in rows}
    assert (by[("u", "dont_stigmatize")].present, by[("u", "dont_stigmatize")].source) == (False, "tied")
    assert (by[("u", "redirect_client")].present, by[("u", "redirect_client")].source) == (True, "reviewer:alice")
    assert by[("u", "location/inpatient")].source == "unread"
    assert by[("g", "dont_stigmatize")].source == "auto" and by[("g", "location/inpatient")].source == "auto"
    assert {(o.guide, o.code) for o in open_} == {("g", "dont_stigmatize"), ("u", "dont_stigmatize")}


def test_latest_decision_wins_and_segments_imply_guide_codes():
    decisions = [
        d("alice", "g", "dont_stigmatize", True), d("alice", "g", "dont_stigmatize", False),
        d("alice", "g", "redirect_client", True, level="segment", segment="g:1:a", action="accept"),
    ]
    assert len(latest(decisions)) == 2
    assert guide_level(decisions)["alice"] == {("g", "dont_stigmatize"): False, ("g", "redirect_client"): True}


def test_reviewer_files_are_append_only_and_damage_is_reported(tmp_path):
    append_decisions(tmp_path, [d("alice", "g", "dont_stigmatize", True)])
    append_decisions(tmp_path, [d("alice", "g", "dont_stigmatize", False)])
    assert [x.value for x in read_decisions(tmp_path)] == [True, False]
    with (tmp_path / "alice.jsonl").open("a") as fh:
        fh.write("{not json\n")
    append_decisions(tmp_path, [d("alice", "g", "redirect_client", True)])
    files = read_reviews(tmp_path)  # the damaged line is reported and skipped; the rest is read
    assert [x.code for x in files.decisions] == ["dont_stigmatize", "dont_stigmatize", "redirect_client"]
    assert len(files.warnings) == 1 and "alice.jsonl:3: a damaged line was skipped" in files.warnings[0]
    assert "{not json" in (tmp_path / "alice.jsonl").read_text()  # and it stays in the file


def test_bad_reviewer_name_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="reviewer name"):
        append_decisions(tmp_path, [d("../etc", "g", "dont_stigmatize", True)])


def _writer(args):
    folder, reviewer, n = args
    for i in range(n):
        append_decisions(folder, [d(reviewer, "g", "dont_stigmatize", bool(i % 2), time=f"t{i}")])


def test_concurrent_appends_lose_nothing(tmp_path):
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_writer, [(tmp_path, "alice", 200), (tmp_path, "alice", 200), (tmp_path, "bob", 200),
                           (tmp_path, "alice", 200)])
    lines = (tmp_path / "alice.jsonl").read_text().splitlines()
    assert len(lines) == 600 and all(json.loads(line)["reviewer"] == "alice" for line in lines)
    assert len(read_decisions(tmp_path)) == 800


def test_a_majority_no_decides_and_the_disagreement_keeps_the_machines_answer():
    decisions = [d("alice", "g", "dont_stigmatize", True), d("bob", "g", "dont_stigmatize", False),
                 d("carol", "g", "dont_stigmatize", False)]
    auto = {("g", c.id): False for c in CODEBOOK.codes}
    auto[("g", "dont_stigmatize")] = True
    rows, open_ = resolve(CODEBOOK, ["g"], decisions, auto, {})
    by = {r.code: r for r in rows}
    assert (by["dont_stigmatize"].present, by["dont_stigmatize"].source) == (False, "reviewer:bob+carol")
    assert [(o.code, o.answers, o.machine) for o in open_] == [
        ("dont_stigmatize", {"alice": True, "bob": False, "carol": False}, True)]


def test_a_passage_settled_as_not_showing_a_code_no_longer_makes_the_guide_address_it():
    """Bob's one accepted passage made the guide present for him; once the passage is settled as not showing
    the code, nothing of his says the guide addresses it - but another accepted passage still does."""
    bob = d("bob", "g", "redirect_client", True, level="segment", segment="g:1:a", action="accept")
    alice = d("alice", "g", "redirect_client", False, level="segment", segment="g:1:a", action="reject")
    settled = d("consensus", "g", "redirect_client", False, level="segment", segment="g:1:a", action="reject")
    assert guide_level([bob, alice])["bob"] == {("g", "redirect_client"): True}
    assert "bob" not in guide_level([bob, alice, settled])
    yes = d("consensus", "g", "redirect_client", True, level="segment", segment="g:1:a", action="accept")
    assert guide_level([bob, alice, settled, yes])["bob"] == {("g", "redirect_client"): True}  # settled again: yes
    other = d("bob", "g", "redirect_client", True, level="segment", segment="g:2:b", action="accept")
    assert guide_level([bob, other, alice, settled])["bob"] == {("g", "redirect_client"): True}
    elsewhere = d("consensus", "h", "redirect_client", False, level="segment", segment="g:1:a", action="reject")
    assert guide_level([bob, alice, elsewhere])["bob"] == {("g", "redirect_client"): True}  # another guide's item
