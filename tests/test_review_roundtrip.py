"""A reviewer round trip from the CLI, end to end, with two simulated reviewers on real guides."""

import csv
import hashlib
import json
import re

import pytest
from click.testing import CliRunner
from sklearn.metrics import cohen_kappa_score

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.coding.codebook import load_codebook, split_cell
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import init_project, open_project
from mapping_review.review.decisions import read_decisions, segment_labels
from mapping_review.review.state import calibration_of, load_review
from mapping_review.review.tables_io import read_table, write_table

pytestmark = pytest.mark.corpus
GUIDES = ("nice_ng54_mh_learning_disabilities", "nice_cg91_depression_chronic_physical", "who_pfa_field_workers")


def flip(seed: str, share: float) -> bool:
    return int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory, guides_dir):
    root = tmp_path_factory.mktemp("roundtrip") / "review"
    project = init_project(root)
    for key in GUIDES:
        add_guide(project, guides_dir / f"{key}.pdf", key=key, link=True)
    pipeline.build_project(project, nlp_name="blank", jobs=2)
    return project


ADD_CHOICES = ("dont_stigmatize", "redirect_client", "therapeutic_alliance")  # a code to add by hand
SUB_VALUED = ("Location", "Care Modality", "Support Outside of Conversation", "Therapist Qualities",
              "Adherence to Professional Norms", "Methods")


def simulate_sheet(path, reviewer, share):
    """A blind reviewer: answers every feature without sub-values - the machine's hint, flipped now and then."""
    header, rows = read_table(path)
    features = [i for i, h in enumerate(header)
                if i and not h.endswith("[machine]") and h not in (*SUB_VALUED, "exported", "reviewer")]
    for row in rows:
        assert not any(row[i] for i in features), "a fresh blind sheet has no answers"
        for i in features:
            machine = row[header.index(header[i] + " [machine]")].startswith("Yes")
            row[i] = "Yes" if machine != flip(f"{reviewer}{row[0]}{i}", share) else "No"
    write_table(path, header, rows)
    return header, rows, features


def test_round_trip(reviewed, tmp_path):
    root = reviewed.root
    a_sheet, b_sheet = tmp_path / "alice.csv", tmp_path / "bob.xlsx"
    assert run("sheet", "export", "-r", "alice", "-o", a_sheet, "-p", root).exit_code == 0
    assert run("sheet", "export", "-r", "bob", "-o", b_sheet, "-p", root).exit_code == 0
    header, a_rows, cols = simulate_sheet(a_sheet, "alice", 0.15)
    _, b_rows, _ = simulate_sheet(b_sheet, "bob", 0.15)
    assert "[machine]" in header[-3] and header[-2:] == ["exported", "reviewer"]
    for reviewer, sheet in (("alice", a_sheet), ("bob", b_sheet)):
        out = run("sheet", "import", sheet, "-r", reviewer, "-p", root)
        assert out.exit_code == 0 and "33 decision(s) recorded" in out.output, out.output
    # a third reviewer's hint is the machine's own rule, never fitted to alice's and bob's answers
    from mapping_review.coding.decide import auto_codes

    state = load_review(reviewed)
    machine = auto_codes(state.codebook, state.keys, state.evidence)
    erin = tmp_path / "erin.csv"
    assert run("sheet", "export", "-r", "erin", "-o", erin, "-p", root).exit_code == 0
    e_header, e_rows = read_table(erin)
    for row in e_rows:
        for i in cols:
            hint = row[e_header.index(e_header[i] + " [machine]")]
            assert hint.startswith("Yes" if machine[(row[0], state.codebook.features[i - 1].id)] else "No")
    alice_file = root / "reviews" / "alice.jsonl"
    n_alice = len(alice_file.read_text().splitlines())

    # a bad sheet changes nothing
    bad = tmp_path / "bad.csv"
    write_table(bad, header, [["not_a_guide", *a_rows[0][1:]], *a_rows[1:]])
    out = run("sheet", "import", bad, "-r", "alice", "-p", root)
    assert out.exit_code == 1 and "row 2: unknown guide 'not_a_guide'" in out.output
    assert len(alice_file.read_text().splitlines()) == n_alice

    # guide-level agreement equals scikit-learn's kappa on the same cells
    agree = run("agreement", "-o", tmp_path / "agreement.csv", "-p", root)
    assert agree.exit_code == 0
    table = {r["code"]: r for r in csv.DictReader((tmp_path / "agreement.csv").open())}
    a_cells = [r[i] == "Yes" for r in a_rows for i in cols]
    b_cells = [r[i] == "Yes" for r in b_rows for i in cols]
    differing = sum(x != y for x, y in zip(a_cells, b_cells))
    assert differing > 0
    yes_no = [(row_a[i] == "Yes", row_b[i] == "Yes") for row_a, row_b in zip(a_rows, b_rows)
              for i in cols if header[i].startswith("Importance of Therapeutic")]
    reported = table["therapeutic_alliance"]["cohen alice~bob"]
    reported_value = float("nan") if reported == "n/a" else float(reported)
    assert reported_value == pytest.approx(cohen_kappa_score(*zip(*yes_no)), abs=1e-3, nan_ok=True)

    # worksheet: alice accepts strong suggestions, bob the even ones; alice adds a code
    for reviewer in ("alice", "bob"):
        path = tmp_path / f"{reviewer}-ws.csv"
        assert run("worksheet", "export", "-r", reviewer, "--limit", "300", "-o", path, "-p", root).exit_code == 0
        ws_header, ws_rows = read_table(path)
        col = {n: i for i, n in enumerate(ws_header)}
        for row in ws_rows:
            if reviewer == "alice":
                row[col["decision"]] = "accept" if float(row[col["score"]]) >= 1 else "reject"
            else:
                row[col["decision"]] = "a" if flip(row[col["segment"]] + row[col["code"]], 0.5) else "r"
        suggested_here = {row[col["code"]] for row in ws_rows if row[col["segment"]] == ws_rows[0][col["segment"]]}
        added_code = next(c for c in ADD_CHOICES if c not in suggested_here)
        ws_rows[0][col["add_codes"]] = added_code
        ws_rows[1][col["text_hash"]] = "0" * 16  # the text changed since export
        write_table(path, ws_header, ws_rows)
        out = run("worksheet", "import", path, "-r", reviewer, "-p", root)
        assert out.exit_code == 0, out.output
        said = " ".join(out.output.split())  # the console wraps long lines where the text happens to fall
        assert "Re-review:" in said and "flagged for re-review" in said
    flagged = [json.loads(x) for x in (root / "reviews" / "bob.jsonl").read_text().splitlines()]
    assert sum(d["needs_review"] for d in flagged) == 1
    assert any(d["action"] == "add" and d["code"] in ADD_CHOICES for d in flagged)
    seg_agree = run("agreement", "--level", "segment", "-o", tmp_path / "segment-agreement.csv", "-p", root)
    assert seg_agree.exit_code == 0
    seg_table = list(csv.DictReader((tmp_path / "segment-agreement.csv").open()))
    unused = [r["code"] for r in seg_table if r["units"] == "0"]
    assert len(seg_table) == len(load_codebook(root / "codebook.yaml").codes) + 1  # the file keeps every code
    assert unused and all(f"{code} " not in seg_agree.output for code in unused)  # the terminal, what was decided
    assert f"{len(unused)} code(s) that no two reviewers decided at segment level are not shown" in \
        " ".join(seg_agree.output.split())
    again = run("worksheet", "export", "-r", "bob", "-o", tmp_path / "bob-ws.csv", "-p", root)
    assert again.exit_code == 1 and "exists (perhaps half filled in)" in again.output
    built = run("build", root, "-q", "--nlp", "blank", "-j", "1")
    assert built.exit_code == 0 and "review it again (the decision is kept)" in built.output
    assert all((root / "build" / "figures" / f"agreement.{fmt}").stat().st_size > 1000 for fmt in ("png", "svg", "pdf"))

    # adjudicate every open disagreement through the file, then resolve
    dis = tmp_path / "disagreements.csv"
    assert run("adjudicate", "-r", "carol", "--export", dis, "-p", root).exit_code == 0
    d_header, d_rows = read_table(dis)
    assert len(d_rows) >= differing
    col = {n: i for i, n in enumerate(d_header)}
    assert {"guide", "segment"} <= {row[col["level"]] for row in d_rows}  # both levels can be settled
    # one guide-level disagreement is settled on the command line, the rest through the file
    first = next(row for row in d_rows if row[col["level"]] == "guide")
    by_hand = (first[col["guide"]], first[col["code"]])
    assert run("adjudicate", *by_hand, "no", "--note", "agreed in meeting", "-r", "carol", "-p", root).exit_code == 0
    again = run("adjudicate", *by_hand, "yes", "-r", "carol", "-p", root)
    assert again.exit_code == 1 and "no open disagreement" in again.output  # settled once
    for row in d_rows:  # guide level: yes; segment level: half and half
        segment_answer = "yes" if flip(row[col["segment"]] + row[col["code"]], 0.5) else "no"
        row[col["decision"]] = "yes" if row[col["level"]] == "guide" else segment_answer
    first[col["decision"]] = ""
    write_table(dis, d_header, d_rows)
    out = run("adjudicate", "-r", "carol", "--import", dis, "-p", root)
    assert out.exit_code == 0 and f"{len(d_rows) - 1} consensus decision(s) recorded" in out.output
    blank_row = next(i for i, row in enumerate(d_rows, start=2) if row is first)  # settled by hand, left blank
    assert f"1 row(s) without a decision recorded nothing (row {blank_row})" in " ".join(out.output.split())
    sheet_before = read_table(root / "build" / "tables" / "coding_sheet.csv")
    out = run("consensus", "-p", root)
    assert out.exit_code == 0 and "build/tables" in out.output and "build/figures" in out.output, out.output
    rows = list(csv.DictReader((root / "build" / "tables" / "guide_codes.csv").open()))
    assert len(rows) == 3 * 33
    by_key = {(r["guide"], r["code"]): r for r in rows}
    for row in d_rows:
        if row[col["level"]] != "guide":
            continue
        settled = by_key[(row[col["guide"]], row[col["code"]])]
        assert settled["source"] == "consensus" and settled["present"] == ("0" if row is first else "1")
    # the paper-shaped sheet (and the rest of a build's outputs) follow the consensus, not the last build
    codebook = load_codebook(root / "codebook.yaml")

    def sheet_says(table, guide, code):
        feature = next(f for f in codebook.features if code in (f.id, *(f"{f.id}/{c.id}" for c in f.codes)))
        cell = {r[0]: r for r in table[1]}[guide][table[0].index(feature.label)]
        label = next((c.label for c in feature.codes if f"{feature.id}/{c.id}" == code), "Yes")
        return label in split_cell(cell)

    after = read_table(root / "build" / "tables" / "coding_sheet.csv")
    settled_cells = [(row[col["guide"]], row[col["code"]], row is not first) for row in d_rows
                     if row[col["level"]] == "guide"]
    assert all(sheet_says(after, g, c) == answer for g, c, answer in settled_cells)
    assert any(sheet_says(sheet_before, g, c) != answer for g, c, answer in settled_cells)  # the sheet moved
    assert {r["source"] for r in rows} <= {"consensus", "reviewer:alice+bob", "reviewer:alice", "reviewer:bob", "auto"}
    assert "reviewer:alice+bob" in {r["source"] for r in rows}
    evidence = list(csv.DictReader((root / "build" / "tables" / "evidence.csv").open()))
    assert list(evidence[0]) == ["guide", "code", "segment_id", "page", "section", "quote", "source", "score",
            "decisions"]
    added = [e for e in evidence if e["source"] == "reviewer:alice" and e["code"] in ADD_CHOICES]
    assert added and all(e["page"] and e["quote"] for e in added)  # an added code carries its page and quote
    assert any("alice=accepted" in e["decisions"] and "bob=rejected" in e["decisions"] for e in evidence)

    # calibration and the learnt ranker report
    cal = run("calibrate", "-p", root)
    assert cal.exit_code == 0 and "mean of guides" in cal.output and "answers" in cal.output
    fitted = calibration_of(load_review(open_project(root)))
    flat = " ".join(cal.output.split())
    assert f"Fitted to the {len(fitted.truth)} guide x code answers the reviewers settled" in flat
    for guide in fitted.agreement_before:  # each held-out guide's row shows how many of its answers were settled
        n = sum(k[0] == guide for k in fitted.truth)
        assert re.search(rf"{re.escape(guide)}\s*\S\s*{n}\s*\S\s*{fitted.agreement_before[guide]:.3f}", flat), flat
    assert re.search(rf"mean of guides\s*\S\s*{len(fitted.truth)}\s*\S", flat), flat
    assert "Cohen's kappa" in flat and "nan" not in flat and ("the build now answers with it" in flat) == fitted.replaced
    assert (f"a pooled rule got {fitted.pooled_gain} more of that guide's answers right; it needs 2" in flat) == \
        (fitted.pooled_gain < 2)
    assert ("a third reviewed guide lets it show" in flat) == (len(fitted.agreement_before) == 2)
    blind = run("learn", "-p", root)  # two coders: the consensus's decisions alone, by default
    assert "Learning from the decisions of consensus" in blind.output
    learn = run("learn", "--from", "all", "-p", root)
    assert learn.exit_code == 0, learn.output
    assert "Learning from every reviewer's and the consensus's decisions" in learn.output
    report = list(csv.DictReader((root / "build" / "tables" / "model_report.csv").open()))
    labels = segment_labels(read_decisions(root / "reviews"))
    counts = {}
    for (_, code), value in labels.items():
        counts.setdefault(code, [0, 0])[0 if value else 1] += 1
    learnable = {c for c, (pos, neg) in counts.items() if min(pos, neg) >= 5}
    assert report and {r["code"] for r in report} == learnable
    assert all([int(r["positives"]), int(r["negatives"])] == counts[r["code"]] for r in report)
