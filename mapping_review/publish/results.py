"""Judged responses back from the harness, one :class:`Judgement` per response.

Three kinds of file are read, chosen by their content:

- an Inspect log in JSON (``inspect eval ... --log-format json``, or ``inspect log convert LOG --to json``):
  the model is ``eval.model``, each sample's id is ``item@variant`` and its ``model_graded_qa`` score
  is ``C`` (meets pass_if: appropriate) or ``I``;
- promptfoo's JSON output (``promptfoo eval -o results.json``): ``results.results[]`` with the
  provider's label (else id) as the model, the test's metadata (``item``, ``variant``) and the
  ``llm-rubric`` assertion's ``pass``;
- a CSV with the columns ``item`` (an item id, or ``item@variant``), ``model``, ``response``, ``judge``
  (the judge's yes/no answer to the item's question) and any number of ``human:NAME`` columns (a
  person's yes/no answer; empty when not labelled). An answer is appropriate when it equals the
  item's ``appropriate``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapping_review.errors import ConfigError
from mapping_review.publish.items import ItemSet, split_sample_id

RESULTS_DIR = Path("criteria") / "results"
SUFFIXES = (".json", ".csv", ".eval")
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0"}
JUDGE = "judge"


@dataclass(frozen=True)
class Judgement:
    """One judged response: which item, under which variant, from which model, and whether the judge
    (and any people) found it appropriate. ``where`` names the file and row or sample."""

    item: str
    variant: str
    model: str
    appropriate: bool
    where: str
    humans: tuple[tuple[str, bool], ...] = ()
    response: str = ""

    def ratings(self) -> dict[str, bool]:
        return {JUDGE: self.appropriate, **dict(self.humans)}


@dataclass(frozen=True)
class ResultsRead:
    judgements: list[Judgement]
    files: list[Path]
    warnings: list[str]


def _check_item(items: ItemSet, sample_id: str, where: str) -> tuple[str, str]:
    item, variant = split_sample_id(sample_id)
    if item not in items.by_id:
        from mapping_review.project.yamlfile import suggest

        raise ConfigError(f"{where}: unknown item {item!r}{suggest(item, items.by_id)}; results must come from "
                          f"the items in {items.path}")
    return item, variant


def _inspect_verdict(scores: dict[str, Any], where: str) -> bool | None:
    if not scores:
        return None
    score = scores.get("model_graded_qa") or next(iter(scores.values()))
    value = score.get("value") if isinstance(score, dict) else None
    if value in ("C", 1, 1.0, True):
        return True
    if value in ("I", 0, 0.0, False):
        return False
    raise ConfigError(f"{where}: score {value!r} is not a yes/no verdict (C or I); run the task without "
                      "partial credit")


def read_inspect(path: Path, data: dict[str, Any], items: ItemSet) -> tuple[list[Judgement], list[str]]:
    model = str(data.get("eval", {}).get("model", "")) or "unknown"
    out, warnings = [], []
    for sample in data.get("samples") or []:
        where = f"{path}: sample {sample.get('id')!r} (epoch {sample.get('epoch', 1)})"
        item, variant = _check_item(items, str(sample.get("id", "")), where)
        verdict = _inspect_verdict(sample.get("scores") or {}, where)
        if verdict is None:
            warnings.append(f"{where}: not scored (an error in the run?); left out")
            continue
        response = (sample.get("output") or {}).get("completion", "")
        out.append(Judgement(item, variant, model, verdict, where, response=str(response or "")))
    if not data.get("samples"):
        warnings.append(f"{path}: the Inspect log holds no samples (status {data.get('status')!r})")
    return out, warnings


def _rubric_pass(result: dict[str, Any]) -> bool | None:
    grading = result.get("gradingResult") or {}
    for component in grading.get("componentResults") or []:
        if ((component.get("assertion") or {}).get("type")) == "llm-rubric" and "pass" in component:
            return bool(component["pass"])
    if "pass" in grading:
        return bool(grading["pass"])
    return bool(result["success"]) if "success" in result and not result.get("error") else None


def read_promptfoo(path: Path, data: dict[str, Any], items: ItemSet) -> tuple[list[Judgement], list[str]]:
    summary = data.get("results")
    results = summary.get("results", []) if isinstance(summary, dict) else summary or []
    out, warnings = [], []
    for i, result in enumerate(results):
        meta = {**(result.get("metadata") or {}), **((result.get("testCase") or {}).get("metadata") or {})}
        where = f"{path}: result {i + 1}"
        if "item" not in meta:
            raise ConfigError(f"{where}: no 'item' in the test's metadata; export the tests with "
                              "`mapping-review criteria export --format promptfoo`")
        item, _ = _check_item(items, str(meta["item"]), where)
        verdict = _rubric_pass(result)
        if verdict is None:
            warnings.append(f"{where}: not graded ({result.get('error') or 'no grading result'}); left out")
            continue
        provider = result.get("provider") or {}
        model = str(provider.get("label") or provider.get("id") or "unknown") if isinstance(provider, dict) \
            else str(provider)
        output = (result.get("response") or {}).get("output", "")
        out.append(Judgement(item, str(meta.get("variant", "")), model, verdict, where,
                             response=output if isinstance(output, str) else json.dumps(output)))
    return out, warnings


def _answer(value: str, where: str, column: str) -> bool | None:
    text = value.strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    if not text:
        return None
    raise ConfigError(f"{where}: {column} {value!r} is not a yes/no answer")


def read_results_csv(path: Path, items: ItemSet) -> tuple[list[Judgement], list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in ("item", "model", "response", JUDGE) if c not in header]
        if missing:
            raise ConfigError(f"{path}:1: missing column(s) {', '.join(missing)} (the columns are item, model, "
                              "response, judge and optional human:NAME)")
        humans = [(c, c.split(":", 1)[1].strip() or c) for c in header if c.startswith("human:")]
        out = []
        for row in reader:
            where = f"{path}:{reader.line_num}"
            item_id, variant = _check_item(items, row["item"].strip(), where)
            expected = items.by_id[item_id].appropriate == "yes"
            judge = _answer(row[JUDGE], where, JUDGE)
            if judge is None:
                raise ConfigError(f"{where}: the judge's answer is empty")
            people = [(name, _answer(row[c] or "", where, c)) for c, name in humans]
            out.append(Judgement(item_id, variant, row["model"].strip() or "unknown", judge == expected, where,
                                 tuple((n, a == expected) for n, a in people if a is not None), row["response"]))
    return out, []


def read_results_file(path: Path, items: ItemSet) -> tuple[list[Judgement], list[str]]:
    """The judgements of one results file (Inspect JSON log, promptfoo JSON, or CSV)."""
    if path.suffix.lower() == ".csv":
        return read_results_csv(path, items)
    if path.suffix.lower() == ".eval":
        raise ConfigError(f"{path}: Inspect's .eval logs are compressed; convert it with `inspect log convert "
                          f"{path} --to json --output-dir DIR`, or run with --log-format json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise ConfigError(f"{path}: not a readable JSON file ({e})") from e
    if isinstance(data, dict) and "samples" in data and "eval" in data:
        return read_inspect(path, data, items)
    if isinstance(data, dict) and "results" in data:
        return read_promptfoo(path, data, items)
    raise ConfigError(f"{path}: neither an Inspect log (eval, samples) nor promptfoo output (results)")


def results_files(paths: list[Path]) -> list[Path]:
    """The files to read: each path, or the results files in a folder (sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUFFIXES)
        elif p.is_file():
            out.append(p)
        else:
            raise ConfigError(f"{p}: no such file or folder")
    return out


def read_results(paths: list[Path], items: ItemSet) -> ResultsRead:
    files = results_files(paths)
    judgements, warnings = [], []
    for f in files:
        got, warned = read_results_file(f, items)
        judgements += got
        warnings += warned
    return ResultsRead(judgements, files, warnings)
