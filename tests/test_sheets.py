import csv
import shutil

import pytest
from conftest import ROOT, SHARED, need_corpus

from mapping_review.coding.codebook import load_codebook, split_cell
from mapping_review.errors import ConfigError
from mapping_review.project.manifest import load_manifest
from mapping_review.review.decisions import Decision, append_decisions, now, read_decisions
from mapping_review.review.sheets import NOT_READ, export_sheet, read_sheet, sheet_rows
from mapping_review.review.tables_io import read_table, write_table

CODEBOOK = load_codebook(ROOT / "codebook.yaml")
GUIDES = {g.key: g.sha256 for g in load_manifest(ROOT / "corpus" / "manifest.yaml").guides}


def paper_sheet():
    need_corpus()
    return SHARED / "reference" / "moore2025_coding_sheet.csv"


def test_the_papers_sheet_imports_as_consensus_and_round_trips(tmp_path):
    result = read_sheet(paper_sheet(), CODEBOOK, guides=GUIDES, reviewer="consensus", previous=[], complete=True)
    assert len(result.decisions) == 10 * 33 and not result.missing_features
    codes = {(d.guide, d.code): d.value for d in result.decisions}
    header, rows = sheet_rows(CODEBOOK, list(GUIDES), codes)
    original = list(csv.reader(paper_sheet().open(encoding="utf-8")))
    assert header == original[0]
    by_key = {r[0]: r for r in original[1:]}
    for row in rows:
        assert [set(split_cell(c)) for c in row] == [set(split_cell(c)) for c in by_key[row[0]]]
    assert codes[("department_of_veterans_affairs_vadod_2023-1", "dont_enable_mania")] is True
    assert sum(codes.values()) == sum(len(split_cell(c)) if c != "Yes" else 1
                                      for r in original[1:] for c in r[1:] if c)


def test_reimporting_the_same_sheet_appends_nothing(tmp_path):
    first = read_sheet(paper_sheet(), CODEBOOK, guides=GUIDES, reviewer="consensus", previous=[], complete=True)
    append_decisions(tmp_path, first.decisions)
    again = read_sheet(paper_sheet(), CODEBOOK, guides=GUIDES, reviewer="consensus",
                       previous=read_decisions(tmp_path), complete=True)
    assert again.decisions == [] and again.unchanged == 330


def edited(tmp_path, edit, name="sheet.csv"):
    header, rows = read_table(paper_sheet())
    header, rows = edit(header, rows)
    return write_table(tmp_path / name, header, rows)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda h, r: (h, [["nice_cg31", *r[0][1:]], *r[1:]]), r"row 2: unknown guide 'nice_cg31'"),
    (lambda h, r: (h, [[r[0][0], "Inpatient, Outpatents", *r[0][2:]], *r[1:]]),
     r"row 2, column 'Location': unknown sub-value 'Outpatents' \(did you mean 'Outpatient'\?\)"),
    (lambda h, r: (["Natbib", "Locaton", *h[2:]], r),
     r"row 1, column 2: unknown column 'Locaton' \(did you mean 'Location'\?\)"),
    (lambda h, r: (h, [*r, r[3]]), r"row 12: guide 'wenzel_cognitive_2009' appears twice \(also row 5\)"),
    (lambda h, r: (h, [[r[0][0], r[0][1], r[0][2], r[0][3], "Maybe", *r[0][5:]], *r[1:]]),
     r"row 2, column 'Importance of Therapeutic Alliance.*'Maybe' is not a value"),
])
def test_bad_sheets_name_file_row_and_value_and_record_nothing(tmp_path, edit, message):
    path = edited(tmp_path, edit)
    with pytest.raises(ConfigError, match=message) as e:
        read_sheet(path, CODEBOOK, guides=GUIDES, reviewer="alice", previous=[])
    assert "sheet.csv" in str(e.value) and "Nothing was imported" in str(e.value)


def test_empty_sheet_is_an_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(ConfigError, match=r"empty.csv: the file is empty"):
        read_sheet(path, CODEBOOK, guides=GUIDES, reviewer="alice", previous=[])


def test_xlsx_sheet_imports_like_csv(tmp_path):
    header, rows = read_table(paper_sheet())
    xlsx = write_table(tmp_path / "sheet.xlsx", header, rows)
    from_xlsx = read_sheet(xlsx, CODEBOOK, guides=GUIDES, reviewer="alice", previous=[])
    from_csv = read_sheet(shutil.copy(paper_sheet(), tmp_path / "s.csv"), CODEBOOK, guides=GUIDES, reviewer="alice",
                          previous=[])
    assert {(d.guide, d.code, d.value) for d in from_xlsx.decisions} == \
           {(d.guide, d.code, d.value) for d in from_csv.decisions}


def answer(guide, code, value, time="2020-01-01T00:00:00+00:00"):
    return Decision(reviewer="alice", time=time, level="guide", guide=guide, code=code, value=value, action="set")


def test_an_exported_sheet_shows_what_the_reviewer_decided_and_which_guides_are_not_read(tmp_path):
    mine = [answer("g1", "location/inpatient", False),
            *(answer("g2", f"location/{c}", False) for c in ("inpatient", "outpatient", "client_home"))]
    path = export_sheet(tmp_path / "alice.csv", CODEBOOK, ["g1", "g2"], reviewer="alice", decisions=mine, machine={},
                        evidence={}, unread=("g2",))
    header, rows = read_table(path)
    col = {h: i for i, h in enumerate(header)}
    assert [r[col["Location"]] for r in rows] == ["", "No"]  # one sub-value answered No is not the feature's No
    assert rows[0][col["Location [machine]"]].startswith("No (evidence: Inpatient: 0")
    assert rows[1][col["Location [machine]"]] == NOT_READ


def test_a_feature_in_two_columns_is_refused(tmp_path):
    path = write_table(tmp_path / "sheet.csv", ["Natbib", "Location", "location"], [["g1", "Inpatient", "Outpatient"]])
    with pytest.raises(ConfigError, match=r"row 1, column 3: column 'location' appears twice"):
        read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="alice", previous=[])


def test_a_sub_value_called_none_is_that_sub_value_not_no(tmp_path):
    book = tmp_path / "codebook.yaml"
    book.write_text("name: t\nversion: '1'\nfeatures:\n  - id: side_effects\n    label: Side effects\n"
                    "    definition: Side effects the guide names.\n    codes:\n"
                    "      - {id: none, label: None, definition: No side effects.}\n"
                    "      - {id: mild, label: Mild, definition: Mild ones.}\n")
    path = write_table(tmp_path / "sheet.csv", ["Natbib", "Side effects"], [["g1", "None"], ["g2", "No"]])
    result = read_sheet(path, load_codebook(book), guides={"g1": "h", "g2": "h"}, reviewer="alice", previous=[])
    assert {(x.guide, x.code): x.value for x in result.decisions} == {
        ("g1", "side_effects/none"): True, ("g1", "side_effects/mild"): False,
        ("g2", "side_effects/none"): False, ("g2", "side_effects/mild"): False}


def test_a_sheet_may_repeat_an_answer_given_after_it_was_exported_but_not_undo_it(tmp_path):
    path = export_sheet(tmp_path / "alice.csv", CODEBOOK, ["g1"], reviewer="alice", decisions=[], machine={},
                        evidence={})
    later = [answer("g1", "location/inpatient", True, time=now())]  # answered elsewhere since the export
    header, rows = read_table(path)
    rows[0][header.index("Location")] = "Inpatient, Outpatient"
    write_table(path, header, rows)
    result = read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="alice", previous=later)
    assert {(x.code, x.value) for x in result.decisions} == {("location/outpatient", True),
                                                             ("location/client_home", False)}
    rows[0][header.index("Location")] = "Outpatient"
    write_table(path, header, rows)
    with pytest.raises(ConfigError, match="you answered location/inpatient again at"):
        read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="alice", previous=later)


def test_an_emptied_cell_keeps_the_answer_and_is_counted_apart_from_undecided_ones(tmp_path):
    mine = [answer("g1", "dont_stigmatize", True)]
    path = export_sheet(tmp_path / "alice.csv", CODEBOOK, ["g1", "g2"], reviewer="alice", decisions=mine, machine={},
                        evidence={})
    header, rows = read_table(path)
    rows[0][header.index("Don't Stigmatize")] = ""
    write_table(path, header, rows)
    result = read_sheet(path, CODEBOOK, guides={"g1": "h", "g2": "h"}, reviewer="alice", previous=mine)
    assert (result.decisions, result.kept, result.undecided) == ([], 1, 2 * len(CODEBOOK.features) - 1)


def test_complete_sheet_empty_cell_records_the_no_of_sub_values_not_answered_since(tmp_path):
    path = export_sheet(tmp_path / "alice.csv", CODEBOOK, ["g1"], reviewer="alice", decisions=[], machine={},
                        evidence={})
    header, rows = read_table(path)
    rows[0][header.index("exported")] = "2025-06-01T00:00:00Z"  # Location empty: nothing answered then
    write_table(path, header, rows)
    later = [answer("g1", "location/inpatient", True, time="2025-09-01T00:00:00Z")]  # answered elsewhere since
    try:
        result = read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="alice", previous=later, complete=True)
    except ConfigError:
        return  # refusing the sheet (it would answer Inpatient No) is fine too
    recorded = {(x.code, x.value) for x in result.decisions}
    assert {("location/outpatient", False), ("location/client_home", False)} <= recorded, (recorded, result.superseded)


def test_the_machine_column_of_a_guide_not_read_still_says_why(tmp_path):
    path = export_sheet(tmp_path / "alice.csv", CODEBOOK, ["g2"], reviewer="alice", decisions=[], machine={},
                        evidence={}, unread=("g2",))
    header, rows = read_table(path)
    assert rows[0][header.index("Location [machine]")] == "not read (the guide is not coded yet)"


def test_another_reviewers_sheet_taken_over_is_not_left_as_exported_for_its_new_owner(tmp_path):
    bobs = [Decision(reviewer="bob", time="2025-01-01T00:00:00Z", level="guide", guide="g1", code="dont_stigmatize",
                     value=True, action="set")]
    path = export_sheet(tmp_path / "bob.csv", CODEBOOK, ["g1"], reviewer="bob", decisions=bobs, machine={}, evidence={})
    header, rows = read_table(path)
    rows[0][header.index("exported")] = "2025-06-01T00:00:00Z"
    rows[0][header.index("reviewer")] = ""  # as the refusal says: the answers are now alice's
    write_table(path, header, rows)
    alices = [answer("g1", "dont_stigmatize", True, time="2025-01-01T00:00:00Z"),
              answer("g1", "dont_stigmatize", False, time="2025-09-01T00:00:00Z")]  # she changed her mind since
    # the sheet's Yes is Bob's answer taken over, not a cell Alice left as she had it: it would undo her later No
    with pytest.raises(ConfigError, match="after this sheet was exported"):
        read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="alice", previous=[*bobs, *alices])


def _location_sheet(tmp_path, cell):
    location = next(f for f in CODEBOOK.features if f.id == "location")
    return write_table(tmp_path / "agreed.csv", ["Natbib", location.label], [["g1", cell]]), location


@pytest.mark.parametrize("complete", [True, False])
def test_a_partly_read_cell_answers_the_sub_values_it_does_not_list_as_not_read(tmp_path, complete):
    path, _ = _location_sheet(tmp_path, "Inpatient; not read: Outpatient")
    result = read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="consensus", previous=[], complete=complete)
    assert {d.code: d.value for d in result.decisions} == {"location/inpatient": True, "location/client_home": False}
    path, _ = _location_sheet(tmp_path, "NOT READ: Outpatient, Client's home")  # none present of the rest
    result = read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="consensus", previous=[], complete=complete)
    assert {d.code: d.value for d in result.decisions} == {"location/inpatient": False}


@pytest.mark.parametrize(("cell", "message"), [
    ("Inpatient; not read: Outpatent", "unknown sub-value 'Outpatent' after 'not read:'"),
    ("Inpatient; not read:", "lists no sub-value"),
    ("Inpatient, Outpatient; not read: Outpatient", "location/outpatient is both present and not read"),
    ("Inpatiant; not read: Outpatient", "unknown sub-value 'Inpatiant'"),
])
def test_a_bad_partly_read_cell_is_refused_with_what_is_wrong(tmp_path, cell, message):
    path, _ = _location_sheet(tmp_path, cell)
    with pytest.raises(ConfigError, match="row 2") as caught:
        read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="consensus", previous=[], complete=True)
    assert message in str(caught.value)


def _relabelled(labels):
    """The shipped codebook with the location feature's sub-values called ``labels``."""
    from mapping_review.coding.codebook import Codebook

    model = CODEBOOK.model
    features = tuple(
        f.model_copy(update={"codes": tuple(c.model_copy(update={"label": label}) for c, label in zip(f.codes, labels))})
        if f.id == "location" else f for f in model.features)
    return Codebook(model.model_copy(update={"features": features}))


@pytest.mark.parametrize("labels", [
    None,  # the shipped codebook's
    ("Inpatient", "Cannot read", "Client's home"),  # a label holding the words 'not read'
    ("None", "Outpatient", "Home; family"),  # a sub-value called None; a label holding the separator
    ("Straße", "Outpatient", "Client's home"),  # a label whose casefold is longer than the label
])
def test_a_resolved_cell_reads_back_whatever_the_sub_values_are_called(tmp_path, labels):
    """Each sub-value present, absent or unanswered, in every combination: the sheet says exactly that."""
    import itertools

    codebook = CODEBOOK if labels is None else _relabelled(labels)
    location = next(f for f in codebook.features if f.id == "location")
    codes = [f"location/{c.id}" for c in location.codes]
    for states in itertools.product(["yes", "no", "unread"], repeat=len(codes)):
        present = {("g1", c): s == "yes" for c, s in zip(codes, states)}
        unanswered = {("g1", c) for c, s in zip(codes, states) if s == "unread"}
        header, rows = sheet_rows(codebook, ["g1"], present, unanswered=unanswered)
        cell = rows[0][header.index(location.label)]
        path = write_table(tmp_path / "agreed.csv", ["Natbib", location.label], [["g1", cell]])
        result = read_sheet(path, codebook, guides={"g1": "h"}, reviewer="consensus", previous=[], complete=True)
        expected = {c: s == "yes" for c, s in zip(codes, states) if s != "unread"}
        assert {d.code: d.value for d in result.decisions} == expected, cell


def test_the_resolved_sheet_lists_the_sub_values_present_then_those_not_read():
    present = {("g1", "location/inpatient"): True, ("g1", "location/outpatient"): False,
               ("g1", "location/client_home"): False}
    header, rows = sheet_rows(CODEBOOK, ["g1", "g2"], present,
                              unanswered={("g1", "location/outpatient"), ("g2", "location/inpatient")})
    location = next(f for f in CODEBOOK.features if f.id == "location")
    column = header.index(location.label)
    assert [r[column] for r in rows] == ["Inpatient; not read: Outpatient", "not read: Inpatient"]


def test_the_sub_values_not_read_are_matched_whatever_their_case(tmp_path):
    path, _ = _location_sheet(tmp_path, "inpatient; Not Read: outpatient, CLIENT'S HOME")
    result = read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="consensus", previous=[], complete=True)
    assert {d.code: d.value for d in result.decisions} == {"location/inpatient": True}


@pytest.mark.parametrize("complete", [True, False])
@pytest.mark.parametrize("cell", ["not read", "Not Read", " NOT READ "])
def test_not_read_alone_answers_nothing_whatever_its_case(tmp_path, cell, complete):
    path, _ = _location_sheet(tmp_path, cell)
    result = read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="consensus", previous=[], complete=complete)
    assert result.decisions == [] and result.undecided == 1


def test_a_feature_without_sub_values_has_no_partly_read_cell(tmp_path):
    feature = next(f for f in CODEBOOK.features if not f.codes)
    path = write_table(tmp_path / "agreed.csv", ["Natbib", feature.label], [["g1", f"not read: {feature.label}"]])
    with pytest.raises(ConfigError, match="is not a value for this feature"):
        read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="consensus", previous=[], complete=True)


def test_a_cell_changed_from_an_answer_given_before_the_export_records_the_new_answer(tmp_path):
    mine = [answer("g1", "dont_stigmatize", True)]
    path = export_sheet(tmp_path / "alice.csv", CODEBOOK, ["g1"], reviewer="alice", decisions=mine, machine={},
                        evidence={})
    header, rows = read_table(path)
    assert rows[0][header.index("Don't Stigmatize")] == "Yes"
    rows[0][header.index("Don't Stigmatize")] = "No"  # she changed her mind on the sheet
    write_table(path, header, rows)
    result = read_sheet(path, CODEBOOK, guides={"g1": "hash-of-g1"}, reviewer="alice", previous=mine)
    assert [(x.guide, x.code, x.value, x.text_hash, x.origin) for x in result.decisions] == [
        ("g1", "dont_stigmatize", False, "hash-of-g1", "sheet:alice.csv row 2")]


def test_a_no_to_a_feature_without_sub_values_is_exported_as_no_and_reimports_as_nothing_new(tmp_path):
    mine = [answer("g1", "dont_stigmatize", False)]
    path = export_sheet(tmp_path / "alice.csv", CODEBOOK, ["g1"], reviewer="alice", decisions=mine, machine={},
                        evidence={})
    header, rows = read_table(path)
    assert rows[0][header.index("Don't Stigmatize")] == "No"  # an answer, not an empty (undecided) cell
    result = read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="alice", previous=mine)
    assert (result.decisions, result.unchanged) == ([], 1)


def test_a_cell_left_as_exported_under_answers_given_since_records_nothing_and_counts_them(tmp_path):
    before = [answer("g1", f"location/{c}", False, time="2025-01-01T00:00:00Z")
              for c in ("inpatient", "outpatient", "client_home")]
    path = export_sheet(tmp_path / "alice.csv", CODEBOOK, ["g1"], reviewer="alice", decisions=before, machine={},
                        evidence={})
    header, rows = read_table(path)
    assert rows[0][header.index("Location")] == "No"
    rows[0][header.index("exported")] = "2025-06-01T00:00:00Z"
    write_table(path, header, rows)
    since = [answer("g1", "location/inpatient", True, time="2025-09-01T00:00:00Z")]  # answered elsewhere since
    result = read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="alice", previous=[*before, *since])
    assert (result.decisions, result.superseded) == ([], 3)


def test_a_sheet_without_its_key_column_first_is_refused(tmp_path):
    path = write_table(tmp_path / "sheet.csv", ["Guide", "Location"], [["g1", "Inpatient"]])
    with pytest.raises(ConfigError, match=r"sheet.csv: row 1, column 1: expected a key column named 'Natbib'"):
        read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="alice", previous=[])


def test_a_sheet_is_never_imported_under_the_consensus_name_written_otherwise(tmp_path):
    path = write_table(tmp_path / "sheet.csv", ["Natbib", "Location"], [["g1", "Inpatient"]])
    with pytest.raises(ConfigError, match="the consensus's name written otherwise"):
        read_sheet(path, CODEBOOK, guides={"g1": "h"}, reviewer="Consensus", previous=[])
