"""The machine's guide-level codes and evidence on the real shared guides, against a careful
reader's coding of them (tests/data/shared_guides_reader_sheet.csv)."""

import csv
from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score

from mapping_review.coding.decide import Evidence, leading_codes
from mapping_review.review.sheets import read_sheet
from mapping_review.review.state import load_review

pytestmark = pytest.mark.corpus
READER = Path(__file__).parent / "data" / "shared_guides_reader_sheet.csv"


def test_guide_codes_table_covers_every_guide_and_code(guides_build):
    project, _ = guides_build
    rows = list(csv.DictReader((project.build_dir / "tables" / "guide_codes.csv").open()))
    assert len(rows) == 8 * 33
    assert set(rows[0]) == {"guide", "code", "present", "source", "n_evidence"}
    assert {r["source"] for r in rows} == {"auto"}


def test_machine_agrees_with_a_careful_reader(guides_build):
    project, _ = guides_build
    state = load_review(project)
    reader = read_sheet(READER, state.codebook, guides=state.guides, reviewer="reader", previous=[], complete=True)
    truth = {(d.guide, d.code): d.value for d in reader.decisions}
    machine = {(r["guide"], r["code"]): r["present"] == "1"
               for r in csv.DictReader((project.build_dir / "tables" / "guide_codes.csv").open())}
    keys = sorted(truth)
    kappa = cohen_kappa_score([truth[k] for k in keys], [machine[k] for k in keys])
    assert len(keys) == 8 * 33
    # these guides are in the development part: the evidence classifier was trained on them, so this is a
    # floor against breakage, not a measure of quality (benchmarks/coding_quality.py measures the test part)
    assert kappa >= 0.7, kappa


def test_every_machine_code_has_evidence_a_reviewer_can_check(guides_build):
    project, _ = guides_build
    codebook = load_review(project).codebook
    evidence = list(csv.DictReader((project.build_dir / "tables" / "evidence.csv").open()))
    by_key = {}
    for row in evidence:
        by_key.setdefault((row["guide"], row["code"]), []).append(row)
    present = [r for r in csv.DictReader((project.build_dir / "tables" / "guide_codes.csv").open())
               if r["present"] == "1"]
    assert len(present) > 100
    best = {key: Evidence(len(rows), 1, max(float(x["score"]) for x in rows)) for key, rows in by_key.items()}
    leads = {g: leading_codes(codebook, g, best) for g in {r["guide"] for r in present}}
    assert sum(map(len, leads.values())) > 0
    for r in present:
        rows = by_key[(r["guide"], r["code"])]
        rule = codebook.by_id[r["code"]].decision
        scores = [float(x["score"]) for x in rows]
        assert len(rows) == int(r["n_evidence"]) >= rule.min_evidence
        # best evidence first: every passage reaching the bar before those under it (within each, a strong
        # phrase's match first, then by score: the match's weight is not in the table; tests/test_decide.py)
        over = sum(x >= rule.min_score for x in scores)
        assert all(x >= rule.min_score for x in scores[:over]) and all(x < rule.min_score for x in scores[over:])
        # one passage reaches the bar, weak ones add up, or the guide leads with the code (decide.v5)
        assert (scores[0] >= rule.min_score or sum(s >= rule.min_weak for s in scores) >= rule.min_sections
                or r["code"] in leads[r["guide"]]), r
        assert all(x["quote"] and x["page"] and x["segment_id"].startswith(r["guide"] + ":") for x in rows)
        assert all(x["source"] == "rules.v3+evidence-clf.v8" and 0 <= float(x["score"]) <= 1 for x in rows)
    quotes = [row["quote"] for row in evidence]
    assert not any("All rights reserved" in q or "intentionally left blank" in q.lower() for q in quotes)
    assert not any(any(0xE000 <= ord(ch) <= 0xF8FF for ch in q) and len(q.split()) < 4 for q in quotes)
    assert not any(q.rstrip().endswith("....") or q.count(". . .") for q in quotes)  # contents lines
    per_code_quote = [(row["guide"], row["code"], row["quote"]) for row in evidence]
    assert len(per_code_quote) - len(set(per_code_quote)) < 0.01 * len(per_code_quote)  # repeats are coded once
