"""Evaluation items (criteria/items.yaml) on the shipped review: validation with file:line, and the
exports in each harness's documented shape (Inspect loads and runs its dataset offline)."""

import csv
import importlib.util
import json
import shutil

import pytest
import yaml
from click.testing import CliRunner
from conftest import ROOT

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.errors import ConfigError
from mapping_review.project.layout import open_project
from mapping_review.publish.evaluation import load_evaluation
from mapping_review.publish.exports import export_items

SHIPPED_ITEMS = ROOT / "criteria" / "items.yaml"


def copy_review(target, *, items=True):
    rels = ["codebook.yaml", "corpus/manifest.yaml", "reviews/consensus.jsonl"]
    for rel in rels + (["criteria/items.yaml"] if items else []):
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / rel, target / rel)
    return open_project(target)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    project = copy_review(tmp_path_factory.mktemp("shipped") / "review")
    return project, load_evaluation(project)


def supporters(project):
    data = yaml.safe_load((project.build_dir / "criteria" / "criteria.yaml").read_text())
    return {c["id"]: c["supported_by"] for c in data["criteria"]}


def test_the_shipped_items_test_the_dont_and_redirect_criteria(shipped):
    _, ev = shipped
    items = ev.items.items
    tested = {i.criterion for i in items}
    assert tested == {"dont_stigmatize", "dont_collude_with_delusions", "dont_enable_suicidal_ideation",
                      "dont_reinforce_hallucinations", "dont_enable_mania", "redirect_client"}
    assert {"suicidal_ideation", "delusions", "hallucinations", "mania", "ocd"} <= {i.condition for i in items}
    assert any(len(i.input) > 1 for i in items)  # a multi-turn item
    assert {i.appropriate for i in items} == {"yes", "no"}
    assert len(ev.items.samples()) == len(items) * len(ev.items.model.variants) == 39
    mid = next(s for s in ev.items.samples() if s.id == "si-pills@mid_session")
    assert [m.role for m in mid.messages] == ["system", "user", "assistant", "user"]
    assert mid.messages[-1] == mid.item.input[-1]


BAD = """\
version: 1
conditions:
  mania: Mania
variants:
  - id: plain
  - id: plain
items:
  - id: a-1
    criterion: dont_enable_mani
    condition: mania
    input: [{role: user, content: "hi"}]
    question: Does it help?
    appropriate: no
    pass_if: It does not help.
    provenance: {author: me, created: 2025-01-01}
  - id: a-1
    criterion: dont_enable_mania
    condition: manic
    input: [{role: user, content: "hi"}, {role: assistant, content: "hello"}]
    question: Does it help
    appropriate: "no"
    pass_if: Does it help?
    provenance: {author: me, created: 2025-01-01}
"""


def test_bad_items_are_reported_with_file_and_line(shipped, tmp_path):
    project, _ = shipped
    path = tmp_path / "items.yaml"
    path.write_text(BAD)
    with pytest.raises(ConfigError) as e:
        load_evaluation(project, items_path=path)
    lines = str(e.value).splitlines()
    assert f"{path}:9: unknown code 'dont_enable_mani' (did you mean 'dont_enable_mania'?)" in lines
    assert f"{path}:16: duplicate item id 'a-1' (first at line 8)" in lines
    assert any(ln.startswith(f"{path}:18: unknown condition 'manic'") for ln in lines)
    assert any(ln.startswith(f"{path}:19: the last input message must be the user's") for ln in lines)
    assert any(ln.startswith(f"{path}:20: the judge question must be a yes/no question") for ln in lines)
    assert any(ln.startswith(f"{path}:22: pass_if states what an appropriate response does") for ln in lines)
    assert f"{path}:6: duplicate variant id 'plain' (first at line 5)" in lines
    assert len(lines) == 7


def test_schema_errors_name_the_line_and_the_key(shipped, tmp_path):
    project, _ = shipped
    path = tmp_path / "items.yaml"
    path.write_text(BAD.replace("    appropriate: no\n", "    appropriate: maybe\n    pass_iff: x\n"))
    with pytest.raises(ConfigError) as e:
        load_evaluation(project, items_path=path)
    text = str(e.value)
    assert f"{path}:13: appropriate:" in text and "'maybe'" in text
    assert f"{path}:14: unknown key 'pass_iff' (did you mean 'pass_if'?)" in text


def test_an_item_for_a_criterion_no_guide_supports_is_refused(tmp_path):
    project = copy_review(tmp_path / "review")
    (project.root / "review.yaml").write_text("criteria:\n  min_support: 2\n")  # mania has one guide
    with pytest.raises(ConfigError) as e:
        load_evaluation(project)
    message = str(e.value)
    assert "items.yaml:" in message and "'dont_enable_mania' is not a criterion of this review" in message
    stale = project.build_dir / "criteria" / "items.jsonl"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}\n")  # from an earlier build whose items were valid
    result = CliRunner().invoke(main, ["build", str(project.root), "-q"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "'dont_enable_mania' is not a criterion" in " ".join(result.output.split())
    # the items are refused, but what does not need them is written: tables, graph, criteria and figures
    out = project.build_dir
    for rel in ("tables/summary.md", "graph/review.graphml", "criteria/criteria.yaml", "figures/heatmap.png"):
        assert (out / rel).is_file(), rel
    assert "dont_enable_mania" not in supporters(project)  # the criteria of this review, written all the same
    assert not stale.exists()  # no item file left from the earlier items
    assert "(the tables, graph, criteria and figures were written; the items were not)" in result.output
    again = CliRunner().invoke(main, ["build", str(project.root), "-q"])
    assert again.exit_code == 1  # not taken as up to date: the items are checked again
    # with figures turned off, the message does not claim any were written
    (project.root / "review.yaml").write_text("criteria:\n  min_support: 2\nfigures: false\n")
    off = CliRunner().invoke(main, ["build", str(project.root), "-q"])
    assert off.exit_code == 1 and "(the tables, graph and criteria were written; the items were not)" in off.output


def test_jsonl_export_carries_the_supporting_guides_and_criteria_csv(shipped, tmp_path):
    project, ev = shipped
    pipeline.build_project(project)
    support = supporters(project)
    export_items(ev, "jsonl", tmp_path)
    records = [json.loads(line) for line in (tmp_path / "jsonl" / "items.jsonl").read_text().splitlines()]
    assert [r["id"] for r in records] == [i.id for i in ev.items.items]
    for r in records:
        assert [s["guide"] for s in r["supported_by"]] == support[r["criterion"]] != []
        assert r["polarity"] == ("do" if r["criterion"] == "redirect_client" else "dont")
    rows = list(csv.DictReader((tmp_path / "jsonl" / "criteria.csv").open()))
    assert len({r["criterion"] for r in rows}) == 33
    assert sum(len(v) for v in support.values()) == len(rows)  # one row per criterion and supporting guide
    mania = [r for r in rows if r["criterion"] == "dont_enable_mania"]
    assert [(r["guide"], r["polarity"], r["tested"], r["n_items"]) for r in mania] == \
        [("department_of_veterans_affairs_vadod_2023-1", "dont", "1", "1")]
    assert {r["tested"] for r in rows if r["criterion"] == "location/inpatient"} == {"0"}
    assert (project.build_dir / "criteria" / "criteria.csv").read_bytes() == \
        (tmp_path / "jsonl" / "criteria.csv").read_bytes()


def test_best_evidence_quote_and_page_per_supporting_guide(shipped):
    from mapping_review.coding.codebook import load_codebook
    from mapping_review.coding.suggestions import Suggestion
    from mapping_review.publish.evaluation import Evaluation, best_evidence

    _, ev = shipped

    def sug(guide, score, page, quote, weight=1.0):
        return Suggestion(guide, "dont_enable_mania", f"{guide}:{page}:x", page, (), quote, "", 0, 0, 1.0, "rules.v2", "",
                          evidence=score, weight=weight)
    mania_guide = "department_of_veterans_affairs_vadod_2023-1"
    codebook = load_codebook(ROOT / "codebook.yaml")
    # ranked by the evidence classifier's probability; ties go to the passage read first
    best = best_evidence([sug(mania_guide, 0.4, 9, "weaker"), sug(mania_guide, 0.9, 40, "strongest"),
                          sug(mania_guide, 0.9, 41, "later page")], codebook)
    with_evidence = Evaluation(ev.name, ev.criteria, ev.labels, best, ev.items, ev.min_support)
    assert with_evidence.support("dont_enable_mania") == [
        {"guide": mania_guide, "label": "VA/DoD bipolar (2023)", "page": 40, "quote": "strongest"}]
    # below the code's bar (0.7), a passage matched by a strong phrase comes before a higher-scoring weak word
    best = best_evidence([sug(mania_guide, 0.6, 9, "weak word", weight=0.5), sug(mania_guide, 0.4, 40, "phrase")],
                         codebook)
    assert best[("dont_enable_mania", mania_guide)].quote == "phrase"


def test_inspect_dataset_loads_and_the_task_runs_offline(shipped, tmp_path):
    inspect_ai = pytest.importorskip("inspect_ai")
    from inspect_ai.dataset import json_dataset
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    project, ev = shipped
    pipeline.build_project(project)
    support = supporters(project)
    files = export_items(ev, "inspect", tmp_path)
    assert [p.name for p in files] == ["dataset.jsonl", "task.py"]
    dataset = json_dataset(str(tmp_path / "inspect" / "dataset.jsonl"))
    samples = {s.id: s for s in dataset}
    assert len(samples) == 39
    for sample_ in ev.items.samples():
        s = samples[sample_.id]
        assert s.target == sample_.item.pass_if
        assert [m.role for m in s.input] == [m.role for m in sample_.messages]
        assert s.input[-1].text == sample_.item.input[-1].content
        assert s.metadata["criterion"] == sample_.item.criterion and s.metadata["item"] == sample_.item.id
        assert s.metadata["guides"] == support[sample_.item.criterion]

    def out(text):
        o = ModelOutput.from_content(model="mockllm/model", content=text)
        o.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)  # no tokenizer download
        return o

    def grade(messages, *args):  # a judge that passes two thirds, depending on the sample
        return out("GRADE: I" if sum(map(ord, messages[-1].text)) % 3 == 0 else "GRADE: C")

    spec = importlib.util.spec_from_file_location("exported_inspect_task", tmp_path / "inspect" / "task.py")
    exported = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exported)
    logs = inspect_ai.eval(exported.review_criteria(), display="none", log_dir=str(tmp_path / "logs"),
                           log_format="json", model=get_model("mockllm/model", custom_outputs=lambda *a: out("ok")),
                           model_roles={"grader": get_model("mockllm/model", custom_outputs=grade)})
    assert logs[0].status == "success", logs[0].error
    metrics = {k: v.value for s in logs[0].results.scores for k, v in s.metrics.items()}
    # the log goes back through `criteria results`: its shares per criterion are Inspect's own accuracy
    result = CliRunner().invoke(main, ["criteria", "results", str(tmp_path / "logs"), "-p", str(project.root)])
    assert result.exit_code == 0, result.output
    rows = [r for r in csv.DictReader((project.build_dir / "tables" / "eval_results.csv").open())
            if r["condition"] == "*"]
    assert {r["criterion"] for r in rows} == {i.criterion for i in ev.items.items}
    for r in rows:
        assert r["model"] == "mockllm/model"
        assert float(r["share"]) == pytest.approx(metrics[r["criterion"]], abs=1e-4)
    assert 0 < sum(int(r["n_appropriate"]) for r in rows) < 39


def test_promptfoo_tests_have_the_documented_fields(shipped, tmp_path):
    _, ev = shipped
    export_items(ev, "promptfoo", tmp_path)
    folder = tmp_path / "promptfoo"
    config = yaml.safe_load((folder / "promptfooconfig.yaml").read_text())
    assert set(config) <= {"description", "prompts", "providers", "tests", "defaultTest"}
    assert config["prompts"] == ["file://prompt.json"] and config["tests"] == "file://tests.yaml"
    assert (folder / "prompt.json").read_text() == "{{ messages | dump }}\n"
    tests = yaml.safe_load((folder / "tests.yaml").read_text())
    documented = {"description", "vars", "provider", "assert", "threshold", "metadata", "options"}
    by_id = {s.id: s for s in ev.items.samples()}
    assert len(tests) == 39
    for t in tests:
        assert set(t) <= documented
        sample_ = by_id[t["description"].split(":")[0]]
        assert t["vars"]["messages"] == [m.model_dump() for m in sample_.messages]
        assert t["assert"] == [{"type": "llm-rubric", "value": sample_.item.pass_if, "metric": sample_.item.criterion}]
        assert t["metadata"]["item"] == sample_.item.id and t["metadata"]["guides"]
    rows = list(csv.DictReader((folder / "tests.csv").open()))
    assert len(rows) == 39
    for row, t in zip(rows, tests):
        assert json.loads(row["messages"]) == t["vars"]["messages"]
        assert row["__expected"] == f"llm-rubric: {t['assert'][0]['value']}"
        assert row["__metadata:criterion"] == t["metadata"]["criterion"] == row["__metric"]
        assert row["__metadata:guides[]"].split(",") == t["metadata"]["guides"]
    csv_config = yaml.safe_load((folder / "promptfooconfig_csv.yaml").read_text())
    assert csv_config["tests"] == "file://tests.csv" and csv_config["prompts"] == ["file://prompt_csv.json"]


def test_healthbench_rubrics_have_healthbench_shape(shipped, tmp_path):
    _, ev = shipped
    export_items(ev, "healthbench", tmp_path)
    examples = [json.loads(line) for line in (tmp_path / "healthbench" / "rubrics.jsonl").read_text().splitlines()]
    assert len({e["prompt_id"] for e in examples}) == len(examples) == 39
    pills = next(e for e in examples if e["prompt_id"] == "si-pills@bare")
    assert [(r["criterion"][:20], r["points"]) for r in pills["rubrics"]] == [
        ("The response gives n", 10), ("States a number of p", -10), ("Asks directly and ki", 6),
        ("Offers a crisis line", 4)]
    for e in examples:
        assert all(set(m) == {"role", "content"} for m in e["prompt"]) and e["prompt"][-1]["role"] == "user"
        assert e["ideal_completions_data"] is None and all(isinstance(t, str) for t in e["example_tags"])
        for r in e["rubrics"]:
            assert set(r) == {"criterion", "points", "tags"} and isinstance(r["points"], int) and r["points"]
        # HealthBench scores achieved / total positive points: there must be positive points
        assert sum(r["points"] for r in e["rubrics"] if r["points"] > 0) > 0


def test_exports_are_byte_identical_and_the_cli_reports_errors(shipped, tmp_path):
    project, _ = shipped
    runner = CliRunner()
    for fmt in ("jsonl", "inspect", "promptfoo", "healthbench"):
        first = runner.invoke(main, ["criteria", "export", "--format", fmt, str(tmp_path / "a"), "-p", str(project.root)])
        assert first.exit_code == 0, first.output
        runner.invoke(main, ["criteria", "export", "--format", fmt, str(tmp_path / "b"), "-p", str(project.root)])
        for path in (tmp_path / "a" / fmt).iterdir():
            assert path.read_bytes() == (tmp_path / "b" / fmt / path.name).read_bytes(), path
    bare = copy_review(tmp_path / "bare", items=False)
    result = runner.invoke(main, ["criteria", "export", "--format", "inspect", str(tmp_path / "c"), "-p", str(bare.root)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Error: the review has no evaluation items: write criteria/items.yaml" in result.output


@pytest.mark.corpus
def test_criteria_csv_quotes_each_real_guides_strongest_evidence(guides_build):
    project, _ = guides_build
    # evidence.csv lists each guide's evidence for a code best first, as the machine shows it
    best = {}
    for r in csv.DictReader((project.build_dir / "tables" / "evidence.csv").open()):
        if r["score"]:
            best.setdefault((r["code"], r["guide"]), (None, r["page"], r["quote"]))
    rows = list(csv.DictReader((project.build_dir / "criteria" / "criteria.csv").open()))
    quoted = [r for r in rows if r["quote"]]
    assert len(quoted) >= 50 and len({r["guide"] for r in quoted}) == 8
    assert all(r["quote"] for r in rows if (r["criterion"], r["guide"]) in best)
    for r in quoted:
        _, page, quote = best[(r["criterion"], r["guide"])]
        assert (r["page"], r["quote"]) == (page, quote)
    # the criteria's own quotes: each guide's first is the one evidence.csv lists first
    criteria = yaml.safe_load((project.build_dir / "criteria" / "criteria.yaml").read_text())
    firsts = 0
    for c in criteria["criteria"]:
        seen = set()
        for e in c["evidence"]:
            if e["guide"] not in seen:
                seen.add(e["guide"])
                firsts += 1
                assert (str(e["page"]), e["quote"]) == best[(c["id"], e["guide"])][1:], (c["id"], e["guide"])
    assert firsts >= 20
