"""The shipped review rebuilt from its committed inputs: tables, summary, criteria, graph, figures."""

import csv
import hashlib
import re
import shutil

import networkx as nx
import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT, SHARED, need_corpus

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.coding.codebook import split_cell
from mapping_review.extract import extract_document
from mapping_review.project.layout import open_project


def copy_review(target):
    for rel in ("codebook.yaml", "corpus/manifest.yaml", "reviews/consensus.jsonl"):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, target / rel)
    return open_project(target)


@pytest.fixture()
def review(tmp_path):
    project = copy_review(tmp_path / "review")
    report = pipeline.build_project(project)
    assert not report.failures and not report.up_to_date
    return project


def paper_sheet():
    need_corpus()
    rows = list(csv.reader((SHARED / "reference" / "moore2025_coding_sheet.csv").open(encoding="utf-8")))
    return rows[0], {r[0]: r for r in rows[1:]}


def test_coding_sheet_holds_exactly_the_papers_codes(review):
    header, paper = paper_sheet()
    rows = list(csv.reader((review.build_dir / "tables" / "coding_sheet.csv").open(encoding="utf-8")))
    assert rows[0] == header
    assert {r[0] for r in rows[1:]} == set(paper)
    for row in rows[1:]:
        assert [set(split_cell(c)) for c in row] == [set(split_cell(c)) for c in paper[row[0]]], row[0]


def test_summary_tex_cites_exactly_the_papers_guides(review):
    header, paper = paper_sheet()
    tex = (review.build_dir / "tables" / "summary.tex").read_text()
    feature = None
    checked = 0
    for line in tex.splitlines():
        m = re.match(r"^(.*?) & (.*?) & (.*) \\\\$", line)
        if not m or m.group(1) == "Feature":
            continue
        feature = m.group(1).replace(r"\&", "&") or feature
        value = m.group(2).replace(r"\&", "&")
        cited = set(re.findall(r"\\citep\{([^}]*)\}", m.group(3))[0].split(", ")) if "citep" in m.group(3) else set()
        column = next(i for i, h in enumerate(header) if h == feature)
        expected = {k for k, r in paper.items() if (value in split_cell(r[column]) if value else r[column] == "Yes")}
        assert cited == expected, (feature, value)
        checked += 1
    assert checked == 33


def digests(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "run.json" and "cache" not in p.parts}


def test_two_builds_are_byte_identical_and_a_third_does_nothing(review):
    first = digests(review.build_dir)
    assert {"figures/heatmap.png", "figures/heatmap.svg", "figures/heatmap.pdf", "figures/network.pdf",
            "figures/coverage.svg", "graph/review.graphml", "criteria/prompt.txt"} <= {str(p) for p in first}
    report = pipeline.build_project(review, force=True)
    assert not report.up_to_date
    assert digests(review.build_dir) == first
    stamps = {p: p.stat().st_mtime_ns for p in review.build_dir.rglob("*") if p.is_file()}
    assert pipeline.build_project(review).up_to_date
    assert {p: p.stat().st_mtime_ns for p in review.build_dir.rglob("*") if p.is_file()} == stamps
    run = yaml.safe_load((review.build_dir / "run.json").read_text())
    assert "reviews/consensus.jsonl" in run["inputs"]["files"] and run["versions"]["mapping-review"]


def test_a_changed_reviewer_file_redoes_the_review_but_no_pdf_work(review, monkeypatch):
    from mapping_review.review.decisions import Decision, append_decisions

    append_decisions(review.reviews_dir, [Decision(reviewer="consensus", time="t", level="guide",
                                                   guide="bellack_social_2004", code="dont_enable_mania", value=True)])
    monkeypatch.setitem(extract_document.__globals__, "get_engine", lambda name: pytest.fail("PDF read"))
    report = pipeline.build_project(review)
    assert not report.up_to_date
    rows = {(r["guide"], r["code"]): r for r in csv.DictReader((review.build_dir / "tables" / "guide_codes.csv").open())}
    assert rows[("bellack_social_2004", "dont_enable_mania")]["present"] == "1"
    assert "bellack_social_2004" in (review.build_dir / "tables" / "summary.tex").read_text().split("Mania")[1]


def test_graph_has_guides_codes_hierarchy_and_edges(review):
    G = nx.read_graphml(review.build_dir / "graph" / "review.graphml")
    kinds = [d["kind"] for _, d in G.nodes(data=True)]
    assert (kinds.count("guide"), kinds.count("code"), kinds.count("feature")) == (10, 33, 17)
    has_code = [(u, v, d) for u, v, d in G.edges(data=True) if d["kind"] == "has_code"]
    assert len(has_code) == 211 and all(d["source"] == "consensus" for _, _, d in has_code)
    assert G.has_edge("feature:location", "code:location/inpatient")
    assert G.nodes["guide:foa_exposure_2012"]["year"] == 2012
    assert "Care delivered where the client lives" in G.nodes["code:location/client_home"]["definition"]
    from mapping_review import code_cooccurrence

    co = code_cooccurrence(G)
    pairs = {(r["code_a"], r["code_b"]): int(r["n_guides"])
             for r in csv.DictReader((review.build_dir / "tables" / "cooccurrence.csv").open())}
    assert co["code:location/inpatient"]["code:location/outpatient"]["weight"] == \
        pairs[("location/inpatient", "location/outpatient")] == 9
    similarity = list(csv.DictReader((review.build_dir / "tables" / "guide_similarity.csv").open()))
    present: dict[str, set[str]] = {}
    for r in csv.DictReader((review.build_dir / "tables" / "guide_codes.csv").open()):
        present.setdefault(r["guide"], set()).update([r["code"]] if r["present"] == "1" else [])
    assert len(similarity) == 45
    for r in similarity:
        a, b = present[r["guide_a"]], present[r["guide_b"]]
        assert float(r["jaccard"]) == pytest.approx(len(a & b) / len(a | b), abs=1e-3)


def test_criteria_follow_the_support_threshold_and_template(review):
    data = yaml.safe_load((review.build_dir / "criteria" / "criteria.yaml").read_text())
    assert len(data["criteria"]) == 33  # every code has at least one supporting guide in the paper
    mania = next(c for c in data["criteria"] if c["id"] == "dont_enable_mania")
    assert mania["supported_by"] == ["department_of_veterans_affairs_vadod_2023-1"] and mania["evidence"] == []
    (review.root / "review.yaml").write_text("criteria:\n  min_support: 5\n")
    pipeline.build_project(review)
    strict = yaml.safe_load((review.build_dir / "criteria" / "criteria.yaml").read_text())
    assert all(c["n_support"] >= 5 for c in strict["criteria"]) and len(strict["criteria"]) < 33
    assert "Don't Enable Mania" not in (review.build_dir / "criteria" / "prompt.txt").read_text()
    (review.root / "templates").mkdir()
    (review.root / "templates" / "criteria_prompt.txt.j2").write_text(
        "{% for f in features %}{{ f.feature | upper }}\n{% endfor %}")
    pipeline.build_project(review)
    assert (review.build_dir / "criteria" / "prompt.txt").read_text().startswith("LOCATION\n")


def test_bad_template_and_settings_are_clear_errors(review):
    (review.root / "templates").mkdir()
    (review.root / "templates" / "criteria_prompt.txt.j2").write_text("ok\n\n{% for f in features %}\n{{ f.feature }\n")
    result = CliRunner().invoke(main, ["build", str(review.root), "-q"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "criteria_prompt.txt.j2:4: template error" in result.output
    (review.root / "templates" / "criteria_prompt.txt.j2").write_text("{{ no_such_thing }}\n")
    result = CliRunner().invoke(main, ["build", str(review.root), "-q"])
    assert result.exit_code == 1 and "criteria_prompt.txt.j2:1: template error" in result.output
    (review.root / "templates" / "criteria_prompt.txt.j2").unlink()
    (review.root / "review.yaml").write_text("criteria:\n  min_suport: 2\n")
    result = CliRunner().invoke(main, ["build", str(review.root), "-q"])
    assert result.exit_code == 1 and "review.yaml:2: unknown setting 'min_suport' (did you mean 'min_support'?)" \
        in " ".join(result.output.split())


def test_unknown_guides_and_codes_in_reviews_are_reported_not_tabled(review):
    from mapping_review.review.decisions import Decision, append_decisions

    append_decisions(review.reviews_dir, [
        Decision(reviewer="alice", time="t", level="guide", guide="not_in_corpus", code="dont_stigmatize", value=True),
        Decision(reviewer="alice", time="t", level="guide", guide="foa_exposure_2012", code="no_such_code", value=True),
    ])
    result = CliRunner().invoke(main, ["build", str(review.root), "-q"])
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    assert "guide 'not_in_corpus' is not in the corpus manifest" in flat
    assert "code 'no_such_code' is not in the codebook" in flat
    rows = list(csv.DictReader((review.build_dir / "tables" / "guide_codes.csv").open()))
    assert len(rows) == 330 and "not_in_corpus" not in {r["guide"] for r in rows}


def test_a_guide_without_codes_and_an_empty_review(tmp_path):
    project = copy_review(tmp_path / "review")
    text = project.manifest_path.read_text() + "  - key: extra_2020\n    title: A guide nobody has coded\n"
    project.manifest_path.write_text(text)
    report = pipeline.build_project(project)
    assert any("guide 'extra_2020' has no code at all (the machine has not read it" in w for w in report.warnings)
    empty = copy_review(tmp_path / "empty")
    empty.manifest_path.write_text("guides:\n")
    (empty.reviews_dir / "consensus.jsonl").unlink()
    report = pipeline.build_project(empty)
    assert any("lists no guides" in w for w in report.warnings)
    assert (empty.build_dir / "tables" / "guide_codes.csv").read_text() == "guide,code,present,source,n_evidence\n"


def test_readme_shows_the_generated_summary_and_figures(review):
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- summary:start (generated: build/tables/summary.md) -->\n")[1].split("<!-- summary:end")[0]
    assert block == (review.build_dir / "tables" / "summary.md").read_text()
    for name in ("heatmap", "coverage"):
        assert f"docs/figures/{name}.png" in readme and (ROOT / "docs" / "figures" / f"{name}.png").stat().st_size > 10000


def test_a_single_adjudicator_not_written_as_a_list_is_explained(review):
    (review.root / "review.yaml").write_text("review:\n  adjudicators: carol\n")
    out = str(review.root / "open.csv")
    result = CliRunner().invoke(main, ["adjudicate", "-r", "carol", "--export", out, "-p", str(review.root)])
    assert result.exit_code == 1
    assert "review.yaml:2: review.adjudicators: must be a list, e.g. [carol]" in result.output
    assert "tuple" not in result.output


def test_a_build_of_guides_without_pdfs_says_what_it_is_built_from(tmp_path):
    project = copy_review(tmp_path / "review")
    result = CliRunner().invoke(main, ["build", str(project.root), "-q"])
    flat = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "10 of 10 guide(s) have no PDF in the corpus yet: the review is built from the reviewers' decisions alone" \
        in flat
    again = CliRunner().invoke(main, ["build", str(project.root), "-q", "--force"])
    assert "have no PDF in the corpus yet" in again.output
