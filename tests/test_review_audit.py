"""What an adversarial reading of the reviewer-facing code found: a coder learning from an error message
whether others disagree, a worksheet row that made every decision file unreadable, a party recording
the agreed sheet that settles their own disagreement, settlements that do not name who settled them,
and reviewer names that one file system keeps apart and another makes one."""

import json

import pytest
from conftest import ROOT
from test_review_records import d, run

from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.rules import Suggestion, text_hash
from mapping_review.errors import ConfigError, RoleError
from mapping_review.project.settings import ReviewSettings
from mapping_review.review.adjudication import (
    Review,
    adjudicate,
    check_agreed_sheet,
    check_recorder,
    open_items,
    read_adjudications,
    write_disagreements,
)
from mapping_review.review.decisions import append_decisions, check_reviewer, read_decisions, read_reviews
from mapping_review.review.labels import quotes_to_decisions
from mapping_review.review.tables_io import read_table, write_table
from mapping_review.review.worksheet import export_worksheet, read_worksheet
from mapping_review.segment.segments import Segment

CODEBOOK = load_codebook(ROOT / "codebook.yaml")
SEG = Segment(id="g1:2:abc", guide="g1", kind="sentence", role="text", page=2, start=0, end_page=2, end=30,
              section=("Care",), text="Build a trusting relationship.", bbox=None)


# -- blindness: what refusing to settle tells a coder -------------------------------------------------

def _review(decisions, settings=None):
    return Review(CODEBOOK, {"g1": "h", "g2": "h"}, decisions, {}, settings or ReviewSettings(),
                  open_items(decisions, []))


@pytest.mark.parametrize("settings", [ReviewSettings(), ReviewSettings(adjudicators=("carol",))])
def test_a_coder_cannot_learn_from_a_refusal_whether_others_disagree(settings):
    """alice may not settle anything on g1 (she codes it; or she is no adjudicator). Whether bob answered
    an item as she did or not must not change what she is told - else the refusal is bob's answer."""
    decisions = [d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", False),
                 d("alice", "g1", "redirect_client", True), d("bob", "g1", "redirect_client", True),
                 d("bob", "g1", "client_centered", True)]
    review = _review(decisions, settings)
    refusals = []
    for code in ("dont_stigmatize", "redirect_client", "client_centered"):  # open, agreed, answered by bob only
        with pytest.raises(RoleError) as e:
            adjudicate(review, "g1", code, True, by="alice")
        refusals.append(str(e.value))
    assert len(set(refusals)) == 1, refusals
    # someone who may settle is still told that only open disagreements are settled
    by = "carol" if settings.adjudicators else "erin"
    with pytest.raises(ConfigError, match="no open disagreement"):
        adjudicate(review, "g1", "redirect_client", True, by=by)
    assert adjudicate(review, "g1", "dont_stigmatize", True, by=by).settled_by == by


def test_the_cli_refusal_is_the_same_on_open_and_agreed_items(review):
    append_decisions(review.reviews_dir, [
        d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", False),
        d("alice", "g1", "redirect_client", True), d("bob", "g1", "redirect_client", True)])
    outputs = [run("adjudicate", "g1", code, "yes", "-r", "alice", "-p", review.root)
               for code in ("dont_stigmatize", "redirect_client")]
    assert [o.exit_code for o in outputs] == [1, 1]
    assert outputs[0].output == outputs[1].output
    assert not [x for x in read_decisions(review.reviews_dir) if x.reviewer == "consensus"]


# -- adjudication --------------------------------------------------------------------------------------

def test_a_party_may_not_record_the_agreed_sheet_that_settles_their_own_disagreement(review, tmp_path):
    root = review.root
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True),
                                          d("bob", "g1", "dont_stigmatize", False)])
    sheet = tmp_path / "agreed.csv"
    write_table(sheet, ["Natbib", "Don't Stigmatize"], [["g1", "Yes"], ["g2", ""]])
    refused = run("sheet", "import", sheet, "-r", "consensus", "--complete", "--by", "alice", "-p", root)
    assert refused.exit_code == 1 and "alice answered this item" in refused.output, refused.output
    assert "g1" in refused.output and "dont_stigmatize" in refused.output
    assert not [x for x in read_decisions(review.reviews_dir) if x.reviewer == "consensus"]
    # with parties_may_settle the team may record it as alice; a non-party may always
    (root / "review.yaml").write_text("review:\n  parties_may_settle: true\n")
    assert run("sheet", "import", sheet, "-r", "consensus", "--complete", "--by", "alice", "-p", root).exit_code == 0
    (root / "review.yaml").unlink()
    write_table(sheet, ["Natbib", "Don't Stigmatize"], [["g1", "No"], ["g2", ""]])
    ok = run("sheet", "import", sheet, "-r", "consensus", "--complete", "--by", "carol", "-p", root)
    assert ok.exit_code == 0, ok.output


def test_who_recorded_a_sheet_is_named_for_the_consensus_only():
    check_recorder("consensus", "carol", ReviewSettings())
    with pytest.raises(ConfigError, match="--by goes with -r consensus only"):  # alice's answers are not settlements
        check_recorder("alice", "carol", ReviewSettings())


def test_an_agreed_sheet_without_disagreements_is_recorded_by_anyone_allowed(review, tmp_path):
    sheet = tmp_path / "agreed.csv"
    write_table(sheet, ["Natbib", "Don't Stigmatize"], [["g1", "Yes"], ["g2", ""]])
    ok = run("sheet", "import", sheet, "-r", "consensus", "--complete", "--by", "alice", "-p", review.root)
    assert ok.exit_code == 0, ok.output  # the paper's own sheet: nobody else has answered anything


def test_quotes_of_an_agreed_sheet_name_who_recorded_them(tmp_path):
    sheet = tmp_path / "agreed.csv"
    label = next(f.label for f in CODEBOOK.features if f.id == "therapeutic_alliance")
    write_table(sheet, ["Natbib", label, label + " [quote]"], [["g1", "Yes", "a trusting relationship"]])
    result = quotes_to_decisions(sheet, CODEBOOK, segments={"g1": [SEG]}, guides={"g1": "h"}, reviewer="consensus",
                                 settled_by="carol")
    assert result.decisions and {x.settled_by for x in result.decisions} == {"carol"}
    mine = quotes_to_decisions(sheet, CODEBOOK, segments={"g1": [SEG]}, guides={"g1": "h"}, reviewer="alice")
    assert {x.settled_by for x in mine.decisions} == {""}


def test_one_item_settled_twice_in_a_file_is_refused(tmp_path):
    decisions = [d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", False)]
    review = _review(decisions)
    path = write_disagreements(tmp_path / "open.csv", list(review.open.values()))
    header, rows = read_table(path)
    col = header.index("decision")
    rows = [[*rows[0][:col], "yes", *rows[0][col + 1:]], [*rows[0][:col], "no", *rows[0][col + 1:]]]
    write_table(path, header, rows)
    with pytest.raises(ConfigError, match=r"row 3: .*also on row 2") as e:
        read_adjudications(path, review, by="carol")
    assert "Nothing was recorded" in str(e.value)



@pytest.mark.parametrize(("answer", "value"), [("yes", True), ("Accept", True), ("n", False), ("reject", False)])
def test_a_settlement_records_the_answer_written_in_the_disagreements_file(tmp_path, answer, value):
    decisions = [d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", False)]
    review = _review(decisions)
    path = write_disagreements(tmp_path / "open.csv", list(review.open.values()))
    header, rows = read_table(path)
    assert rows[0][header.index("answers")] == "alice=yes; bob=no"  # what the adjudicator settles between
    rows[0][header.index("decision")], rows[0][header.index("note")] = answer, "talked it over"
    write_table(path, header, rows)
    (settled,) = read_adjudications(path, review, by="carol")
    assert (settled.reviewer, settled.value, settled.settled_by, settled.note, settled.origin) == (
        "consensus", value, "carol", "talked it over", "adjudication:open.csv row 2")


def test_a_decision_that_is_not_yes_or_no_is_refused_naming_its_row(tmp_path):
    review = _review([d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", False)])
    path = write_disagreements(tmp_path / "open.csv", list(review.open.values()))
    header, rows = read_table(path)
    rows[0][header.index("decision")] = "maybe"
    write_table(path, header, rows)
    with pytest.raises(ConfigError, match="row 2: decision 'maybe' is not yes or no") as e:
        read_adjudications(path, review, by="carol")
    assert "Nothing was recorded" in str(e.value)


def test_a_settlement_on_an_unknown_guide_is_refused_by_name():
    review = _review([d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", False)])
    with pytest.raises(ConfigError, match="unknown guide 'g3'"):
        adjudicate(review, "g3", "dont_stigmatize", True, by="erin")


def test_an_agreed_sheet_is_refused_only_on_the_open_disagreements_its_recorder_took_part_in():
    decisions = [d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", False),
                 d("alice", "g2", "redirect_client", True)]
    review = _review(decisions)
    check_agreed_sheet(review, [d("consensus", "g2", "redirect_client", True, settled_by="alice")], by="alice")
    with pytest.raises(RoleError, match="alice answered this item"):
        check_agreed_sheet(review, [d("consensus", "g1", "dont_stigmatize", True, settled_by="alice")], by="alice")


def test_a_settled_guide_level_item_is_no_longer_open():
    decisions = [d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", False),
                 d("consensus", "g1", "dont_stigmatize", True, settled_by="carol")]
    review = _review(decisions)
    assert review.open == {}
    with pytest.raises(ConfigError, match="no open disagreement"):
        adjudicate(review, "g1", "dont_stigmatize", False, by="erin")  # settled once, never overwritten


def test_someone_who_codes_only_another_guide_may_settle_this_one():
    decisions = [d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", False),
                 d("erin", "g2", "redirect_client", True)]
    settled = adjudicate(_review(decisions), "g1", "dont_stigmatize", True, by="erin")
    assert (settled.guide, settled.code, settled.settled_by) == ("g1", "dont_stigmatize", "erin")
    with pytest.raises(RoleError, match="erin answered"):
        adjudicate(_review(decisions), "g2", "redirect_client", True, by="erin")  # her own guide: she is a party


def test_a_segment_both_reviewers_accepted_is_not_open():
    seg = {"level": "segment", "segment": SEG.id, "action": "accept"}
    decisions = [d("alice", "g1", "therapeutic_alliance", True, **seg), d("bob", "g1", "therapeutic_alliance", True, **seg)]
    assert open_items(decisions, []) == {}


def test_a_segment_settlement_carries_the_segments_hash_and_names_the_right_guide():
    seg = {"level": "segment", "segment": SEG.id}
    decisions = [d("alice", "g1", "therapeutic_alliance", True, action="accept", **seg),
                 d("bob", "g1", "therapeutic_alliance", False, action="reject", **seg)]
    review = Review(CODEBOOK, {"g1": "guide-hash", "g2": "guide-hash-2"}, decisions,
                    {SEG.id: ("g1", "segment-hash")}, ReviewSettings(), open_items(decisions, []))
    settled = adjudicate(review, "g1", "therapeutic_alliance", True, by="erin", segment=SEG.id)
    assert (settled.level, settled.segment, settled.action, settled.text_hash) == (
        "segment", SEG.id, "accept", "segment-hash")
    with pytest.raises(ConfigError, match=f"no segment '{SEG.id}' in guide 'g2'"):
        adjudicate(review, "g2", "therapeutic_alliance", True, by="erin", segment=SEG.id)
    rejected = adjudicate(review, "g1", "therapeutic_alliance", False, by="erin", segment=SEG.id)
    assert (rejected.value, rejected.action) == (False, "reject")


# -- decisions that could be lost ----------------------------------------------------------------------

def test_a_worksheet_row_without_a_segment_is_refused_not_recorded_unreadably(tmp_path, review):
    s = Suggestion("g1", "therapeutic_alliance", SEG.id, 2, ("Care",), SEG.text, "trusting relationship", 8, 29,
                   1.0, "rules.v1", text_hash(SEG.text))
    path = export_worksheet(tmp_path / "ws.csv", [s], reviewer="alice", decisions=[])
    header, rows = read_table(path)
    rows[0][header.index("decision")] = "accept"
    own_row = ["g1", "", "", "", "", "", "", "", "", "", "therapeutic_alliance", "", ""]
    write_table(path, header, [*rows, own_row])
    with pytest.raises(ConfigError, match="row 3: no segment") as e:
        read_worksheet(path, CODEBOOK, segments={SEG.id: SEG}, guides=["g1"], reviewer="alice")
    assert "Nothing was imported" in str(e.value)
    # what used to happen: the row was recorded, and then no decision of anyone could be read
    append_decisions(review.reviews_dir, [d("bob", "g1", "dont_stigmatize", True)])
    assert len(read_reviews(review.reviews_dir).decisions) == 1


def test_reviewer_names_that_differ_only_in_case_are_one_reviewer_refused(tmp_path):
    append_decisions(tmp_path, [d("alice", "g1", "dont_stigmatize", True)])
    with pytest.raises(ConfigError, match="'alice'"):
        append_decisions(tmp_path, [d("Alice", "g1", "dont_stigmatize", False)])
    assert [x.reviewer for x in read_decisions(tmp_path)] == ["alice"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alice.jsonl"]
    append_decisions(tmp_path, [d("alice", "g1", "redirect_client", False)])  # the name as it is stays fine
    for name in ("Consensus", "CONSENSUS"):
        with pytest.raises(ConfigError, match="consensus"):
            check_reviewer(name)
    assert check_reviewer("consensus") == "consensus"


def test_a_decision_file_is_appended_as_written(tmp_path):
    """The case check reads the folder; it must not change what is written or where."""
    append_decisions(tmp_path, [d("bob", "g1", "dont_stigmatize", True), d("carol", "g1", "dont_stigmatize", False)])
    assert [json.loads(x)["reviewer"] for x in (tmp_path / "bob.jsonl").read_text().splitlines()] == ["bob"]
    assert len(read_decisions(tmp_path)) == 2


def test_a_sheet_or_worksheet_is_never_imported_as_another_reviewers(review, tmp_path):
    root = review.root
    sheet = tmp_path / "alice.csv"
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True)])
    assert run("sheet", "export", "-r", "alice", "-o", sheet, "-p", root).exit_code == 0
    header, rows = read_table(sheet)
    assert header[-1] == "reviewer" and {row[-1] for row in rows} == {"alice"}
    wrong = run("sheet", "import", sheet, "-r", "bob", "-p", root)  # alice's Yes would become bob's
    assert wrong.exit_code == 1 and "this is alice's sheet, not bob's" in wrong.output, wrong.output
    flat = " ".join(wrong.output.split())
    assert flat.count("this is alice's sheet") == 1  # one line for all of her rows
    assert f"rows {', '.join(str(n) for n in range(2, len(rows) + 2))}: this is alice's sheet" in flat
    assert {x.reviewer for x in read_decisions(review.reviews_dir)} == {"alice"}
    assert run("sheet", "import", sheet, "-r", "alice", "-p", root).exit_code == 0
    for row in rows:
        row[-1] = ""  # the team makes it theirs
    write_table(sheet, header, rows)
    assert run("sheet", "import", sheet, "-r", "bob", "-p", root).exit_code == 0
    assert {(x.reviewer, x.value) for x in read_decisions(review.reviews_dir)} == {("alice", True), ("bob", True)}

    s = Suggestion("g1", "therapeutic_alliance", SEG.id, 2, ("Care",), SEG.text, "trusting relationship", 8, 29,
                   1.0, "rules.v1", text_hash(SEG.text))
    done = [d("alice", "g1", "therapeutic_alliance", True, level="segment", segment=SEG.id, action="accept")]
    path = export_worksheet(tmp_path / "ws.csv", [s], reviewer="alice", decisions=done)
    with pytest.raises(ConfigError, match="this is alice's worksheet, not bob's"):
        read_worksheet(path, CODEBOOK, segments={SEG.id: SEG}, guides=["g1"], reviewer="bob", previous=done)
    mine = read_worksheet(path, CODEBOOK, segments={SEG.id: SEG}, guides=["g1"], reviewer="alice", previous=done)
    assert mine.decisions == [] and mine.unchanged == 1


def test_case_twins_in_one_append_and_a_trailing_newline_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="differ only in letter case"):
        append_decisions(tmp_path, [d("Jane_Doe", "g1", "dont_stigmatize", True),
                                    d("jane_doe", "g1", "dont_stigmatize", False)])
    assert not list(tmp_path.glob("*.jsonl"))  # nothing was written, not even the first
    with pytest.raises(ConfigError, match="may only use"):
        check_reviewer("alice\n")  # would be a reviewer of its own, shown as alice
