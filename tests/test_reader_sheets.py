"""The coding benchmark's reader sheets: read strictly, and compared pair by pair (benchmarks/reader_agreement.py)."""

import csv

import pytest
from conftest import ROOT

from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.quality import kappa_of
from mapping_review.review.sheets import sheet_rows

CODEBOOK = load_codebook(ROOT / "codebook.yaml")


@pytest.fixture()
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import devset
    import reader_agreement

    return devset, reader_agreement


def write(path, header, rows):
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def test_a_sheet_reads_every_code_of_every_row(bench, tmp_path):
    devset, _ = bench
    codes = {("g1", "location/inpatient"): True, ("g1", "therapeutic_alliance"): True, ("g2", "support/housing"): True}
    header, rows = sheet_rows(CODEBOOK, ["g1", "g2"], codes)
    read = devset.read_reader_sheet(write(tmp_path / "s.csv", header, rows), CODEBOOK, guides=["g1", "g2"])
    assert len(read) == 2 * len(CODEBOOK.codes) and {k for k, v in read.items() if v} == set(codes)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda h, r: (["Natbib", "Locaton", *h[2:]], r), r"row 1: unknown column\(s\) 'Locaton'"),
    (lambda h, r: (h, [r[0][:-1]]), r"row 2: 17 cells where the header has 18"),
    (lambda h, r: (h, [["nope", *r[0][1:]]]), r"row 2: guide 'nope' is not in data/coding/split.yaml"),
    (lambda h, r: (h, [[r[0][0], "Inpatient, Outpatents", *r[0][2:]]]), r"row 2, column 'Location': unknown value"),
    (lambda h, r: (h, [[*r[0][:4], "Maybe", *r[0][5:]]]), r"row 2, column 'Importance of Therapeutic.*'Maybe' is not"),
])
def test_a_sheet_the_codebook_or_split_does_not_know_stops_the_benchmark(bench, tmp_path, edit, message):
    devset, _ = bench
    header, rows = sheet_rows(CODEBOOK, ["g1"], {("g1", "therapeutic_alliance"): True})
    header, rows = edit(header, rows)
    with pytest.raises(SystemExit, match=message):
        devset.read_reader_sheet(write(tmp_path / "s.csv", header, rows), CODEBOOK, guides=["g1"])


def test_pairs_are_compared_on_the_cells_both_readers_answered(bench):
    _, agreement = bench
    a = {("g1", "x"): True, ("g1", "y"): False, ("g1", "z"): True, ("g2", "x"): True, ("g2", "y"): False}
    b = {("g1", "x"): True, ("g1", "y"): True, ("g1", "z"): True, ("g3", "x"): False}
    figures = agreement.pair_agreement(a, b)
    assert set(figures) == {"g1", "all"}  # g2 and g3: one reader each
    assert figures["all"] == (3, 2, 3, kappa_of([(True, True), (False, True), (True, True)]))


def test_the_shipped_sheets_load_and_the_second_readers_cover_whole_guides(bench):
    _, agreement = bench
    readers = agreement.load_readers()
    n_codes = len(CODEBOOK.codes)
    for name in ("second", "third"):
        guides = {g for g, _ in readers[name]}
        assert guides and len(readers[name]) == n_codes * len(guides)
        assert all((g, c.id) in readers["reference"] for g in guides for c in CODEBOOK.codes)
    assert {g for g, _ in readers["third"]} <= {g for g, _ in readers["second"]}
