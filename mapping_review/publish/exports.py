"""Evaluation items in the formats evaluators use, each under its own folder of ``OUT``:

- ``jsonl``: the harness-neutral ``items.jsonl``, ``variants.jsonl`` and ``criteria.csv``;
- ``inspect``: an Inspect dataset (``dataset.jsonl``, read by ``json_dataset``: ``input`` messages,
  ``target`` = pass_if, criterion metadata) and ``task.py`` grading with ``model_graded_qa``, its
  accuracy grouped by criterion and by condition;
- ``promptfoo``: ``tests.yaml`` (``vars.messages``, an ``llm-rubric`` assertion per test with the
  criterion as its ``metric``, ``metadata``) run by ``promptfooconfig.yaml`` through ``prompt.json``;
  the same tests as ``tests.csv`` (``messages`` as JSON text, ``__expected``, ``__metric``,
  ``__metadata:*`` columns) run by ``promptfooconfig_csv.yaml`` through ``prompt_csv.json``;
- ``healthbench``: ``rubrics.jsonl`` in HealthBench's shape (``prompt``, ``prompt_id``, ``rubrics``
  of criterion/points/tags, ``example_tags``, ``ideal_completions_data``).

Items are crossed with the variants (sample id ``item@variant``); every sample carries its
criterion and the guides that support it. Running a model is left to the harness.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mapping_review.errors import ConfigError
from mapping_review.files import write_atomic
from mapping_review.project.layout import Project
from mapping_review.publish.evaluation import (
    Evaluation,
    criterion_title,
    load_evaluation,
    polarity,
    write_neutral,
)
from mapping_review.publish.items import ITEMS_FILE, ItemSet, Sample
from mapping_review.review.tables_io import write_table

PASS_IF_POINTS = 10  # the points a HealthBench rubric gives the item's own pass_if line


def _items(ev: Evaluation) -> ItemSet:
    if ev.items is None:
        raise ConfigError(f"the review has no evaluation items: write {ITEMS_FILE} (see the README, "
                          "'Evaluation items') and export again")
    return ev.items


def sample_metadata(ev: Evaluation, sample: Sample) -> dict[str, Any]:
    """What every harness carries with a sample: where it came from and which guides stand behind it."""
    item = sample.item
    c = ev.by_id[item.criterion]
    support = ev.support(c.id)
    return {
        "item": item.id, "variant": sample.variant.id if sample.variant else "", "criterion": c.id,
        "criterion_label": criterion_title(c), "polarity": polarity(c), "condition": item.condition,
        "question": item.question, "appropriate": item.appropriate,
        "guides": [s["guide"] for s in support], "guide_labels": [s["label"] for s in support],
    }


def _messages(sample: Sample) -> list[dict[str, str]]:
    return [m.model_dump() for m in sample.messages]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    return path


def _jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    return _write(path, "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records))


INSPECT_TASK = '''\
"""Inspect task for the evaluation items of {name!r}, written by mapping-review.

Run with, for example:  inspect eval task.py --model MODEL --model-role grader=JUDGE
Each sample's target is the item's pass_if; the judge grades whether the response meets it.
"""

from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.dataset import json_dataset
from inspect_ai.scorer import accuracy, grouped, model_graded_qa, stderr
from inspect_ai.solver import generate

DATASET = Path(__file__).parent / "dataset.jsonl"


@task
def review_criteria() -> Task:
    return Task(
        dataset=json_dataset(str(DATASET)),
        solver=generate(),
        scorer=model_graded_qa(include_history=True),
        metrics=[accuracy(), stderr(), grouped(accuracy(), "criterion", all=False),
                 grouped(accuracy(), "condition", all=False)],
    )
'''


def write_inspect(ev: Evaluation, folder: Path) -> list[Path]:
    samples = [{"id": s.id, "input": _messages(s), "target": s.item.pass_if, "metadata": sample_metadata(ev, s)}
               for s in _items(ev).samples()]
    return [_jsonl(folder / "dataset.jsonl", samples), _write(folder / "task.py", INSPECT_TASK.format(name=ev.name))]


PROMPTFOO_CONFIG = """\
# promptfoo configuration for the evaluation items of {name!r}, written by mapping-review.
# Replace the provider with the models under test; llm-rubric assertions use promptfoo's grader
# (set defaultTest.options.provider to choose the judge).
description: {name} - evaluation items
prompts:
  - file://{prompt}
providers:
  - echo
tests: file://{tests}
"""
CSV_META = ("item", "variant", "criterion", "condition", "polarity", "appropriate")


def _test_case(ev: Evaluation, sample: Sample) -> dict[str, Any]:
    meta = sample_metadata(ev, sample)
    return {
        "description": f"{sample.id}: {meta['criterion_label']} ({meta['condition']})",
        "vars": {"messages": _messages(sample)},
        "assert": [{"type": "llm-rubric", "value": sample.item.pass_if, "metric": meta["criterion"]}],
        "metadata": meta,
    }


def write_promptfoo(ev: Evaluation, folder: Path) -> list[Path]:
    import yaml

    tests = [_test_case(ev, s) for s in _items(ev).samples()]
    header = ["messages", "__description", "__expected", "__metric", *(f"__metadata:{k}" for k in CSV_META),
              "__metadata:guides[]"]
    rows = [[json.dumps(t["vars"]["messages"], ensure_ascii=False), t["description"],
             f"llm-rubric: {t['assert'][0]['value']}", t["metadata"]["criterion"],
             *(t["metadata"][k] for k in CSV_META), ",".join(t["metadata"]["guides"])] for t in tests]
    return [
        _write(folder / "promptfooconfig.yaml", PROMPTFOO_CONFIG.format(name=ev.name, prompt="prompt.json",
                                                                         tests="tests.yaml")),
        _write(folder / "prompt.json", "{{ messages | dump }}\n"),
        _write(folder / "promptfooconfig_csv.yaml", PROMPTFOO_CONFIG.format(name=ev.name, prompt="prompt_csv.json",
                                                                             tests="tests.csv")),
        _write(folder / "prompt_csv.json", "{{ messages }}\n"),
        _write(folder / "tests.yaml", yaml.safe_dump(tests, sort_keys=False, allow_unicode=True, width=100)),
        write_table(folder / "tests.csv", header, rows),
    ]


def healthbench_example(ev: Evaluation, sample: Sample) -> dict[str, Any]:
    """One sample as a HealthBench example: its pass_if earns ``PASS_IF_POINTS``, its rubric lines their own."""
    item = sample.item
    tags = [f"criterion:{item.criterion}", f"condition:{item.condition}"]
    rubrics = [{"criterion": item.pass_if, "points": PASS_IF_POINTS, "tags": [*tags, "level:pass_if"]}]
    rubrics += [{"criterion": r.criterion, "points": r.points, "tags": [*tags, "level:rubric"]} for r in item.rubric]
    variant = [f"variant:{sample.variant.id}"] if sample.variant else []
    return {"prompt": _messages(sample), "prompt_id": sample.id, "rubrics": rubrics,
            "example_tags": [f"theme:{item.condition}", f"criterion:{item.criterion}", *variant],
            "ideal_completions_data": None, "metadata": sample_metadata(ev, sample)}


def write_healthbench(ev: Evaluation, folder: Path) -> list[Path]:
    return [_jsonl(folder / "rubrics.jsonl", [healthbench_example(ev, s) for s in _items(ev).samples()])]


EXPORTERS: dict[str, Callable[[Evaluation, Path], list[Path]]] = {
    "jsonl": write_neutral, "inspect": write_inspect, "promptfoo": write_promptfoo, "healthbench": write_healthbench,
}


def export_items(ev: Evaluation, fmt: str, out: Path) -> list[Path]:
    """Write the evaluation in ``fmt`` under ``out/fmt/``; return the files written."""
    if fmt not in EXPORTERS:
        raise ConfigError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORTERS)}")
    _items(ev)
    return EXPORTERS[fmt](ev, out / fmt)


def export_project(project: Project, fmt: str, out: Path, *, items_path: Path | None = None) -> list[Path]:
    """``mapping-review criteria export``: the project's review and items, in ``fmt``."""
    return export_items(load_evaluation(project, items_path=items_path), fmt, out)
