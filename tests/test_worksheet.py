import pytest
from conftest import ROOT

from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.rules import Suggestion, text_hash
from mapping_review.errors import ConfigError
from mapping_review.review.decisions import Decision, now
from mapping_review.review.tables_io import read_table, write_table
from mapping_review.review.worksheet import COLUMNS, export_worksheet, read_worksheet
from mapping_review.segment.segments import Segment

CODEBOOK = load_codebook(ROOT / "codebook.yaml")
SEG = Segment(id="g:2:abc", guide="g", kind="sentence", role="text", page=2, start=0, end_page=2, end=30,
              section=("Care",), text="Build a trusting relationship.", bbox=None)


def exported(tmp_path):
    s = Suggestion("g", "therapeutic_alliance", SEG.id, 2, ("Care",), SEG.text, "trusting relationship", 8, 29,
                   1.0, "rules.v1", text_hash(SEG.text))
    path = export_worksheet(tmp_path / "ws.csv", [s], reviewer="alice", decisions=[])
    return read_table(path)


def test_accept_add_and_blank_rows(tmp_path):
    header, rows = exported(tmp_path)
    assert header == list(COLUMNS)
    rows[0][header.index("decision")] = "accept"
    rows[0][header.index("add_codes")] = "therapist_qualities/trustworthy"
    blank = ["g", SEG.id, "", "", "", "", "", "", "", "", "", ""]
    write_table(tmp_path / "ws.csv", header, [*rows, blank])
    result = read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice")
    assert [(d.code, d.action, d.value) for d in result.decisions] == [
        ("therapeutic_alliance", "accept", True), ("therapist_qualities/trustworthy", "add", True)]
    assert result.skipped == 1 and result.needs_review == []


def test_changed_or_vanished_segments_are_flagged_not_dropped(tmp_path):
    header, rows = exported(tmp_path)
    rows[0][header.index("decision")] = "reject"
    write_table(tmp_path / "ws.csv", header, rows)
    result = read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={}, guides=["g"], reviewer="alice")
    (decision,) = result.decisions
    assert decision.needs_review and not decision.value
    assert "no longer exists" in result.needs_review[0] and "row 2" in result.needs_review[0]


@pytest.mark.parametrize(("column", "value", "message"), [
    ("decision", "maybe", "row 2: decision 'maybe' is not accept or reject"),
    ("code", "therapeutic_aliance", "row 2: unknown code 'therapeutic_aliance' (did you mean 'therapeutic_alliance'?)"),
    ("add_codes", "stigma", "row 2: add_codes: unknown code 'stigma'"),
    ("add_codes", "outpatient", "row 2: add_codes: unknown code 'outpatient' ('outpatient' is the label of "
                                "'location/outpatient'; write code ids)"),
    ("add_codes", "Location > Outpatient", "is the label of 'location/outpatient'"),
    ("code", "Don't Stigmatize", "row 2: unknown code \"Don't Stigmatize\" (\"Don't Stigmatize\" is the label of "
                                 "'dont_stigmatize'; write code ids)"),
    ("guide", "h", "row 2: unknown guide 'h'"),
])
def test_bad_rows_name_the_row_and_value(tmp_path, column, value, message):
    header, rows = exported(tmp_path)
    rows[0][header.index("decision")] = "accept"
    rows[0][header.index(column)] = value
    write_table(tmp_path / "ws.csv", header, rows)
    with pytest.raises(ConfigError) as e:
        read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice")
    assert message in str(e.value) and "Nothing was imported" in str(e.value)


def test_duplicate_rows_and_misspelt_columns(tmp_path):
    header, rows = exported(tmp_path)
    rows[0][header.index("decision")] = "accept"
    write_table(tmp_path / "ws.csv", header, [rows[0], rows[0]])
    with pytest.raises(ConfigError, match="row 3: segment 'g:2:abc' and code 'therapeutic_alliance' also on row 2"):
        read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice")
    write_table(tmp_path / "ws.csv", ["guide", "segment", "code", "decison"], [])
    with pytest.raises(ConfigError, match=r"unknown column 'decison' \(did you mean 'decision'\?\)"):
        read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={}, guides=["g"], reviewer="alice")


def test_x_rejects_and_the_note_is_recorded_with_the_decision(tmp_path):
    header, rows = exported(tmp_path)
    rows[0][header.index("decision")] = "x"
    rows[0][header.index("note")] = "about sessions, not the alliance"
    write_table(tmp_path / "ws.csv", header, rows)
    result = read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice")
    assert [(d.action, d.value, d.note, d.origin) for d in result.decisions] == [
        ("reject", False, "about sessions, not the alliance", "worksheet:ws.csv row 2")]


def test_the_same_code_on_two_segments_is_two_decisions_not_a_duplicate(tmp_path):
    other = Segment(id="g:3:def", guide="g", kind="sentence", role="text", page=3, start=0, end_page=3, end=24,
                    section=("Care",), text="Listen to the client too.", bbox=None)
    suggestions = [Suggestion("g", "therapeutic_alliance", s.id, s.page, ("Care",), s.text, "", 0, 0, 1.0, "rules.v1",
                              text_hash(s.text)) for s in (SEG, other)]
    header, rows = read_table(export_worksheet(tmp_path / "ws.csv", suggestions, reviewer="alice", decisions=[]))
    for row, verdict in zip(rows, ("accept", "reject")):
        row[header.index("decision")] = verdict
    write_table(tmp_path / "ws.csv", header, rows)
    result = read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG, other.id: other}, guides=["g"],
                            reviewer="alice")
    assert [(d.segment, d.code, d.value) for d in result.decisions] == [
        (SEG.id, "therapeutic_alliance", True), (other.id, "therapeutic_alliance", False)]


def test_a_worksheet_without_its_code_column_is_refused(tmp_path):
    write_table(tmp_path / "ws.csv", ["guide", "segment", "decision", "add_codes"],
                [["g", SEG.id, "accept", "therapist_qualities/trustworthy"]])
    with pytest.raises(ConfigError, match=r"ws\.csv: row 1: missing column 'code'"):
        read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice")


def on_seg(reviewer, value, time="2020-01-01T00:00:00+00:00", **kw):
    return Decision(reviewer=reviewer, time=time, level="segment", guide="g", code="therapeutic_alliance", value=value,
                    action="accept" if value else "reject", segment=SEG.id, text_hash=text_hash(SEG.text), **kw)


def test_a_worksheet_shows_its_reviewers_own_decisions_only(tmp_path):
    s = Suggestion("g", "therapeutic_alliance", SEG.id, 2, ("Care",), SEG.text, "trusting relationship", 8, 29,
                   1.0, "rules.v1", text_hash(SEG.text))
    others = [on_seg("alice", False, note="alice's reason"), on_seg("bob", True, note="bob's reason")]
    for reviewer, shown in (("carol", ("", "")), ("alice", ("reject", "alice's reason"))):
        header, rows = read_table(export_worksheet(tmp_path / f"{reviewer}.csv", [s], reviewer=reviewer,
                                                   decisions=others))
        assert (rows[0][header.index("decision")], rows[0][header.index("note")]) == shown


def test_another_reviewers_decision_never_stands_for_mine(tmp_path):
    header, rows = exported(tmp_path)
    rows[0][header.index("decision")] = "accept"
    write_table(tmp_path / "ws.csv", header, rows)
    bob = [on_seg("bob", True, time=now())]  # bob accepted the same segment, even after alice's export
    result = read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice",
                            previous=bob)
    assert [(d.reviewer, d.action) for d in result.decisions] == [("alice", "accept")] and result.unchanged == 0


def test_a_segment_is_decided_under_its_own_guide_only(tmp_path):
    header, rows = exported(tmp_path)
    rows[0][header.index("decision")] = "accept"
    rows[0][header.index("guide")] = "h"
    write_table(tmp_path / "ws.csv", header, rows)
    with pytest.raises(ConfigError, match=f"row 2: segment '{SEG.id}' belongs to guide 'g', not 'h'"):
        read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG}, guides=["g", "h"], reviewer="alice")


def test_the_same_answer_on_changed_text_is_recorded_again_for_re_review(tmp_path):
    header, rows = exported(tmp_path)
    rows[0][header.index("decision")] = "accept"
    rows[0][header.index("text_hash")] = "0" * 16  # the text changed since export
    write_table(tmp_path / "ws.csv", header, rows)
    result = read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice",
                            previous=[on_seg("alice", True)])
    (decision,) = result.decisions
    assert decision.needs_review and decision.value and result.unchanged == 0 and "has new text" in result.needs_review[0]
    assert decision.text_hash == "0" * 16  # the hash of the text the reviewer read, not of the new text


def test_a_worksheet_may_change_an_older_decision_but_not_undo_a_newer_one(tmp_path):
    header, rows = exported(tmp_path)
    rows[0][header.index("decision")] = "reject"
    write_table(tmp_path / "ws.csv", header, rows)
    changed = read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice",
                             previous=[on_seg("alice", True)])  # decided before the export
    assert [(d.action, d.value) for d in changed.decisions] == [("reject", False)]
    with pytest.raises(ConfigError, match="after this worksheet was exported"):
        read_worksheet(tmp_path / "ws.csv", CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice",
                       previous=[on_seg("alice", True, time=now())])


def _pinned(tmp_path, decision="", add_codes=""):
    """The worksheet exported at 2025-06-01 (before: 2025-01-01; after: 2025-09-01), filled in as given."""
    header, rows = exported(tmp_path)
    rows[0][header.index("exported")] = "2025-06-01T00:00:00Z"
    rows[0][header.index("decision")] = decision
    rows[0][header.index("add_codes")] = add_codes
    write_table(tmp_path / "ws.csv", header, rows)
    return tmp_path / "ws.csv"


def test_a_row_answered_in_the_worksheet_over_no_exported_decision_never_passes_for_left_as_exported(tmp_path):
    """Nothing was decided at export; alice accepted since; the worksheet row she filled in with reject would undo it."""
    path = _pinned(tmp_path, decision="reject")
    with pytest.raises(ConfigError, match="after this worksheet was exported"):
        read_worksheet(path, CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice",
                       previous=[on_seg("alice", True, time="2025-09-01T00:00:00Z")])


@pytest.mark.parametrize("decision", ["", "accept"])  # the row's own code left undecided, or decided
def test_a_code_added_in_the_worksheet_over_a_later_rejection_is_refused_not_taken_as_left_as_exported(tmp_path,
                                                                                                      decision):
    code = "therapist_qualities/trustworthy"
    at_export = Decision(reviewer="alice", time="2025-01-01T00:00:00Z", level="segment", guide="g", code=code,
                         value=True, action="add", segment=SEG.id, text_hash=text_hash(SEG.text))
    since = Decision(reviewer="alice", time="2025-09-01T00:00:00Z", level="segment", guide="g", code=code,
                     value=False, action="reject", segment=SEG.id, text_hash=text_hash(SEG.text))
    path = _pinned(tmp_path, decision=decision, add_codes=code)  # add_codes is exported empty: typing a code is an edit
    with pytest.raises(ConfigError, match="after this worksheet was exported"):
        result = read_worksheet(path, CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice",
                                previous=[at_export, since])
        print("not refused:", result.decisions, "superseded", result.superseded)


def test_another_reviewers_worksheet_taken_over_is_not_left_as_exported_for_its_new_owner(tmp_path):
    s = Suggestion("g", "therapeutic_alliance", SEG.id, 2, ("Care",), SEG.text, "trusting relationship", 8, 29,
                   1.0, "rules.v1", text_hash(SEG.text))
    bobs = [on_seg("bob", True, time="2025-01-01T00:00:00Z")]
    path = export_worksheet(tmp_path / "ws.csv", [s], reviewer="bob", decisions=bobs)  # bob's accept filled in
    header, rows = read_table(path)
    rows[0][header.index("exported")] = "2025-06-01T00:00:00Z"
    rows[0][header.index("reviewer")] = ""  # as the refusal says: the decisions are now alice's
    write_table(path, header, rows)
    alices = [on_seg("alice", True, time="2025-01-01T00:00:00Z"), on_seg("alice", False, time="2025-09-01T00:00:00Z")]
    with pytest.raises(ConfigError, match="after this worksheet was exported"):
        read_worksheet(path, CODEBOOK, segments={SEG.id: SEG}, guides=["g"], reviewer="alice", previous=[*bobs, *alices])


# --- review C (renamed_from) --------------------------------------------------------------------------------


def _renamed_codebook(tmp_path):
    text = (ROOT / "codebook.yaml").read_text(encoding="utf-8").replace(
        "  - id: therapeutic_alliance\n", "  - id: therapeutic_alliance\n    renamed_from: [rapport]\n", 1)
    (tmp_path / "codebook.yaml").write_text(text, encoding="utf-8")
    return load_codebook(tmp_path / "codebook.yaml")


def test_a_worksheet_exported_before_a_code_was_renamed_imports_under_its_id_now(tmp_path):
    """Decisions under a code's earlier id count for it (renamed_from); a worksheet handed out before the rename
    and filled in after it was refused: "unknown code 'rapport'", with no word of the id it has now."""
    codebook = _renamed_codebook(tmp_path)
    header, rows = exported(tmp_path)
    rows[0][header.index("decision")] = "accept"
    rows[0][header.index("code")] = "rapport"
    write_table(tmp_path / "ws.csv", header, rows)
    result = read_worksheet(tmp_path / "ws.csv", codebook, segments={SEG.id: SEG}, guides=["g"], reviewer="alice")
    assert [(d.code, d.value) for d in result.decisions] == [("therapeutic_alliance", True)]


def test_a_code_label_shared_by_two_codes_is_not_said_to_be_the_first_ones_alone(tmp_path):
    """_which_code keeps the first code with a label: "Other" under two features is named as one of them."""
    text = ("name: t\nfeatures:\n"
            "  - id: place\n    label: Place\n    definition: Where.\n    codes:\n"
            "      - id: other\n        label: Other\n        definition: Elsewhere.\n"
            "  - id: who\n    label: Who\n    definition: By whom.\n    codes:\n"
            "      - id: other\n        label: Other\n        definition: Someone else.\n")
    (tmp_path / "codebook.yaml").write_text(text, encoding="utf-8")
    from mapping_review.review.worksheet import _which_code

    hint = _which_code("Other", load_codebook(tmp_path / "codebook.yaml"))
    assert "'who/other'" in hint and "'place/other'" in hint
