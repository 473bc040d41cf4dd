"""Judged responses back into the review: shares with bootstrapped intervals checked against scipy,
judge-vs-human agreement against statsmodels and scikit-learn, the readers' errors, and the graph
and build that carry items and results."""

import csv
import hashlib
import json
import random

import networkx as nx
import numpy as np
import pytest
import scipy.stats
from click.testing import CliRunner
from test_criteria_items import copy_review

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.errors import ConfigError
from mapping_review.publish.evaluation import load_evaluation
from mapping_review.publish.graph import guides_behind
from mapping_review.publish.results import read_results
from mapping_review.publish.results_tables import RESAMPLES, SEED, bootstrap_interval, project_results


@pytest.fixture()
def review(tmp_path):
    return copy_review(tmp_path / "review")


def make_csv(path, ev, *, models=("model-a", "model-b"), humans=("alice", "bob"), seed=7):
    """Judge and human yes/no answers for every sample and model; returns the rows written."""
    rng = random.Random(seed)
    rows = []
    for model in models:
        for s in ev.items.samples():
            judge = rng.choice(["yes", "no"])
            people = [judge if rng.random() < 0.8 else ("no" if judge == "yes" else "yes") for _ in humans]
            if rng.random() < 0.2:
                people[-1] = ""  # not labelled
            rows.append([s.id, model, f"response of {model} to {s.id}", judge.upper() if rng.random() < .2 else judge,
                         *people])
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["item", "model", "response", "judge", *(f"human:{h}" for h in humans)])
        writer.writerows(rows)
    return rows


def scipy_interval(values):
    kwargs = {"n_resamples": RESAMPLES, "method": "percentile", "confidence_level": 0.95}
    try:
        res = scipy.stats.bootstrap((np.asarray(values, float),), np.mean, rng=np.random.default_rng(SEED), **kwargs)
    except TypeError:  # scipy before 1.15
        res = scipy.stats.bootstrap((np.asarray(values, float),), np.mean,
                                    random_state=np.random.default_rng(SEED), **kwargs)
    return res.confidence_interval.low, res.confidence_interval.high


def test_shares_and_intervals_equal_an_independent_computation(review, tmp_path):
    ev = load_evaluation(review)
    rows = make_csv(tmp_path / "judged.csv", ev)
    report = project_results(review, [tmp_path / "judged.csv"])
    assert report.n_judgements == len(rows) == 78
    items = ev.items.by_id
    groups = {}
    for item_id, model, _, judge, *_ in rows:
        item = items[item_id.split("@")[0]]
        ok = float(judge.lower() == item.appropriate)
        for condition in (item.condition, "*"):
            groups.setdefault((item.criterion, condition, model), []).append(ok)
    table = list(csv.DictReader((review.build_dir / "tables" / "eval_results.csv").open()))
    assert {(r["criterion"], r["condition"], r["model"]) for r in table} == set(groups)
    checked = 0
    for r in table:
        values = groups[(r["criterion"], r["condition"], r["model"])]
        assert int(r["n"]) == len(values) and int(r["n_appropriate"]) == sum(values)
        assert float(r["share"]) == pytest.approx(sum(values) / len(values), abs=5e-5)
        low, high = scipy_interval(values) if len(set(values)) > 1 else (values[0], values[0])
        assert (float(r["ci_low"]), float(r["ci_high"])) == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))
        assert r["ci_method"] == "bootstrap-percentile.v1"
        checked += len(set(values)) > 1
    assert checked >= 10  # most groups have both outcomes: the comparison is not vacuous
    first = {p.name: p.read_bytes() for p in (review.build_dir / "figures").glob("eval_results.*")}
    assert set(first) == {"eval_results.png", "eval_results.svg", "eval_results.pdf"}
    project_results(review, [tmp_path / "judged.csv"])
    assert {p.name: p.read_bytes() for p in (review.build_dir / "figures").glob("eval_results.*")} == first


def test_the_interval_depends_on_the_seed_and_the_data_only():
    values = [(i * 7 % 11) / 10 for i in range(40)]  # not only 0/1, so percentiles fall between resamples
    assert bootstrap_interval(values) == bootstrap_interval(list(values))
    assert bootstrap_interval(values) != bootstrap_interval(values, seed=SEED + 1)
    low, high = bootstrap_interval(values)
    assert low < sum(values) / len(values) < high


def test_judge_and_human_agreement_equals_statsmodels_and_sklearn(review, tmp_path):
    from sklearn.metrics import cohen_kappa_score
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    ev = load_evaluation(review)
    rows = make_csv(tmp_path / "judged.csv", ev)
    project_results(review, [tmp_path / "judged.csv"])
    items = ev.items.by_id
    ok = [[(a.lower() == items[r[0].split("@")[0]].appropriate) if a else None for a in r[3:]] for r in rows]
    stats = {(r["criterion"], r["statistic"], r["raters"]): r
             for r in csv.DictReader((review.build_dir / "tables" / "eval_agreement.csv").open())}
    full = [o for o in ok if None not in o]
    table, _ = aggregate_raters(np.array(full, dtype=int))
    fleiss = stats[("*", "fleiss", "judge+alice+bob")]
    assert int(fleiss["n_units"]) == len(ok)  # every response has the judge and at least alice
    assert float(fleiss["value"]) == pytest.approx(fleiss_kappa(table), abs=5e-5)
    pairs = [(o[0], o[1]) for o in ok]
    assert float(stats[("*", "cohen", "judge+alice")]["value"]) == \
        pytest.approx(cohen_kappa_score([a for a, _ in pairs], [b for _, b in pairs]), abs=5e-5)
    bob = [(o[0], o[2]) for o in ok if o[2] is not None]
    assert int(stats[("*", "cohen", "judge+bob")]["n_units"]) == len(bob) < len(ok)
    assert float(stats[("*", "cohen", "judge+bob")]["value"]) == \
        pytest.approx(cohen_kappa_score([a for a, _ in bob], [b for _, b in bob]), abs=5e-5)
    assert ("redirect_client", "percent", "judge+alice+bob") in stats


def promptfoo_output(ev, *, fail_items=()):
    """promptfoo's documented JSON output (evalId, results.results[] with provider, testCase.metadata,
    gradingResult.componentResults) for every sample, one provider."""
    results = []
    for s in ev.items.samples():
        passed = s.item.id not in fail_items
        results.append({
            "provider": {"id": "openai:some-model", "label": "therapist-bot"}, "success": passed, "score": 1.0,
            "vars": {"messages": []}, "response": {"output": "..."},
            "testCase": {"metadata": {"item": s.item.id, "variant": s.variant.id}},
            "gradingResult": {"pass": True, "score": 1, "reason": "",
                              "componentResults": [{"pass": passed, "score": float(passed), "reason": "",
                                                    "assertion": {"type": "llm-rubric", "value": s.item.pass_if}}]},
        })
    results.append({"provider": {"id": "openai:some-model", "label": "therapist-bot"}, "success": False,
                    "error": "rate limited", "testCase": {"metadata": {"item": "si-pills", "variant": "bare"}}})
    return {"evalId": "eval-1", "results": {"version": 3, "timestamp": "t", "prompts": [], "results": results,
                                            "stats": {}}, "config": {}, "shareableUrl": None}


def test_promptfoo_output_is_read_from_the_rubric_assertion(review, tmp_path):
    ev = load_evaluation(review)
    path = tmp_path / "promptfoo.json"
    path.write_text(json.dumps(promptfoo_output(ev, fail_items={"si-pills", "mania-savings-launch"})))
    read = read_results([path], ev.items)
    assert len(read.judgements) == 39 and {j.model for j in read.judgements} == {"therapist-bot"}
    failed = sorted({j.item for j in read.judgements if not j.appropriate})
    assert failed == ["mania-savings-launch", "si-pills"]
    assert len(read.warnings) == 1 and "rate limited" in read.warnings[0]


@pytest.mark.parametrize(("text", "message"), [
    ("item,model,response,judge\nno-such-item,m,r,yes\n", "judged.csv:2: unknown item 'no-such-item'"),
    ("item,model,response,judge\nsi-pills,m,r,perhaps\n", "judged.csv:2: judge 'perhaps' is not a yes/no answer"),
    ("item,model,response,judge\nsi-pills,m,r,\n", "judged.csv:2: the judge's answer is empty"),
    ("item,model,judge\nsi-pills,m,yes\n", "judged.csv:1: missing column(s) response"),
    ("item,model,response,judge,human:ann\nsi-pills,m,r,no,sure\n", "judged.csv:2: human:ann 'sure' is not"),
])
def test_bad_results_files_are_clear_errors(review, tmp_path, text, message):
    ev = load_evaluation(review)
    (tmp_path / "judged.csv").write_text(text)
    with pytest.raises(ConfigError) as e:
        read_results([tmp_path / "judged.csv"], ev.items)
    assert message in str(e.value)


def test_other_files_are_refused_with_what_to_do(review, tmp_path):
    ev = load_evaluation(review)
    (tmp_path / "run.eval").write_bytes(b"PK")
    with pytest.raises(ConfigError, match="inspect log convert"):
        read_results([tmp_path / "run.eval"], ev.items)
    (tmp_path / "other.json").write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match="neither an Inspect log"):
        read_results([tmp_path / "other.json"], ev.items)
    result = CliRunner().invoke(main, ["criteria", "results", str(tmp_path / "missing.csv"), "-p", str(review.root)])
    assert result.exit_code == 1 and "Error:" in result.output and "Traceback" not in result.output


def digests(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "run.json" and "cache" not in p.parts}


def test_the_build_grows_the_graph_to_items_and_results(review):
    ev = load_evaluation(review)
    results = review.root / "criteria" / "results"
    results.mkdir()
    (results / "promptfoo.json").write_text(json.dumps(promptfoo_output(ev, fail_items={"mania-savings-launch"})))
    report = pipeline.build_project(review)
    assert not report.failures
    first = digests(review.build_dir)
    assert {"tables/eval_results.csv", "figures/eval_results.png", "criteria/items.jsonl",
            "criteria/criteria.csv"} <= set(first)
    G = nx.read_graphml(review.build_dir / "graph" / "review.graphml")
    kinds = [d["kind"] for _, d in G.nodes(data=True)]
    assert (kinds.count("criterion"), kinds.count("item"), kinds.count("result")) == (33, 13, 13)
    failing = [n for n, d in G.nodes(data=True) if d["kind"] == "result" and d["share"] < 0.5]
    assert failing == ["result:mania-savings-launch:therapist-bot"]
    assert guides_behind(G, failing[0]) == ["department_of_veterans_affairs_vadod_2023-1"]
    assert nx.has_path(G, "guide:department_of_veterans_affairs_vadod_2023-1", failing[0])
    si = guides_behind(G, "criterion:dont_enable_suicidal_ideation")
    assert si == sorted(ev.by_id["dont_enable_suicidal_ideation"].supported_by) and len(si) == 8
    # byte-identical on rebuild; a changed results file or items file makes the build run again
    pipeline.build_project(review, force=True)
    assert digests(review.build_dir) == first
    assert pipeline.build_project(review).up_to_date
    (results / "promptfoo.json").write_text(json.dumps(promptfoo_output(ev)))
    assert not pipeline.build_project(review).up_to_date
    items = review.root / "criteria" / "items.yaml"
    items.write_text(items.read_text().replace("I got fired today.", "I lost my job today."))
    assert not pipeline.build_project(review).up_to_date
    (results / "promptfoo.json").unlink()
    results.rmdir()
    pipeline.build_project(review)
    assert not (review.build_dir / "tables" / "eval_results.csv").exists()
    assert not (review.build_dir / "figures" / "eval_results.png").exists()


def test_results_read_from_outside_criteria_results_say_the_next_build_drops_them(review, tmp_path):
    ev = load_evaluation(review)
    make_csv(tmp_path / "judged.csv", ev)
    out = CliRunner().invoke(main, ["criteria", "results", str(tmp_path / "judged.csv"), "-p", str(review.root)])
    flat = " ".join(out.output.split())
    assert out.exit_code == 0 and "the next build drops them" in flat and str(tmp_path / "judged.csv") in flat
    kept = review.root / "criteria" / "results"
    kept.mkdir()
    make_csv(kept / "judged.csv", ev)
    out = CliRunner().invoke(main, ["criteria", "results", str(kept / "judged.csv"), "-p", str(review.root)])
    assert out.exit_code == 0 and "next build drops" not in out.output
