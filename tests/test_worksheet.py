import pytest
from conftest import ROOT

from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.rules import Suggestion, text_hash
from mapping_review.errors import ConfigError
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
