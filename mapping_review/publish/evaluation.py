"""The review's second half in one place: its criteria, the guides behind each with their best
evidence, and the evaluation items that test them (``criteria/items.yaml``), as harness-neutral
records (``items.jsonl``, ``variants.jsonl``, ``criteria.csv``) every export starts from."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mapping_review.coding.codebook import Codebook
from mapping_review.coding.decide import ranked_by_cell
from mapping_review.coding.suggestions import Suggestion
from mapping_review.files import write_atomic
from mapping_review.project.layout import Project
from mapping_review.project.manifest import load_manifest
from mapping_review.project.settings import Settings, load_settings
from mapping_review.publish.criteria import Criterion, criteria_from_summary
from mapping_review.publish.items import ITEMS_FILE, Item, ItemSet, load_items
from mapping_review.publish.summary import present_codes, summary_rows
from mapping_review.review.state import ReviewState, Tables, load_review, resolve_review
from mapping_review.review.tables_io import write_table

CRITERIA_COLUMNS = ["criterion", "label", "feature", "definition", "polarity", "n_guides", "tested", "n_items",
                    "guide", "guide_label", "page", "quote"]


def polarity(criterion: Criterion) -> str:
    """``dont`` for a criterion that forbids (the paper's "Don't ..." features), else ``do``."""
    words = (criterion.label, criterion.feature)
    return "dont" if criterion.id.startswith("dont_") or any(w.lower().startswith(("don't", "do not"))
                                                             for w in words) else "do"


def criterion_title(criterion: Criterion) -> str:
    """"Don't Enable Mania"; a sub-value is named with its feature: "Location: Inpatient"."""
    return criterion.label if criterion.label == criterion.feature else f"{criterion.feature}: {criterion.label}"


def best_evidence(suggestions: list[Suggestion], codebook: Codebook) -> dict[tuple[str, str], Suggestion]:
    """The best suggestion of each (code, guide) of the codebook: the first of ``rank_evidence`` with the
    code's bar, as ``evidence.csv`` lists them."""
    known = {c.id for c in codebook.codes}
    cells = ranked_by_cell((s for s in suggestions if s.code in known), codebook)
    return {(code, guide): ranked[0] for (guide, code), ranked in sorted(cells.items())}


@dataclass(frozen=True)
class Evaluation:
    """Criteria of a review, the labels of its guides, their best evidence, and the items (if any)."""

    name: str
    criteria: tuple[Criterion, ...]
    labels: Mapping[str, str]
    evidence: Mapping[tuple[str, str], Suggestion]
    items: ItemSet | None
    min_support: int

    @property
    def by_id(self) -> dict[str, Criterion]:
        return {c.id: c for c in self.criteria}

    def support(self, code: str) -> list[dict[str, Any]]:
        """The guides behind a criterion, each with its best quote and page (empty without evidence)."""
        out = []
        for g in self.by_id[code].supported_by:
            s = self.evidence.get((code, g))
            out.append({"guide": g, "label": self.labels.get(g, g), "page": s.page if s else None,
                        "quote": s.quote if s else ""})
        return out

    def tested(self) -> dict[str, list[str]]:
        """Criterion id -> the ids of the items that test it."""
        out: dict[str, list[str]] = {}
        for item in self.items.items if self.items else ():
            out.setdefault(item.criterion, []).append(item.id)
        return out


def evaluation_of(state: ReviewState, tables: Tables, settings: Settings, *, items_path: Path | None = None,
                  with_items: bool = True) -> Evaluation:
    """The criteria from the resolved review and, when ``criteria/items.yaml`` (or ``items_path``)
    exists and ``with_items``, its items validated against them."""
    guides = load_manifest(state.project.manifest_path).guides
    keys = [g.key for g in guides]
    rows = summary_rows(state.codebook, keys, present_codes(tables.rows))
    cfg = settings.criteria
    criteria = criteria_from_summary(state.codebook, rows, state.suggestions, min_support=cfg.min_support,
                                     quotes=cfg.quotes)
    ev = Evaluation(state.codebook.model.name, tuple(criteria), {g.key: g.label or g.key for g in guides},
                    best_evidence(state.suggestions, state.codebook), None, cfg.min_support)
    return with_items_of(ev, state, items_path=items_path) if with_items else ev


def with_items_of(ev: Evaluation, state: ReviewState, *, items_path: Path | None = None) -> Evaluation:
    """``ev`` with the items of ``criteria/items.yaml`` (or ``items_path``) when there are any;
    :class:`ConfigError` when they do not validate."""
    path = items_path or state.project.root / ITEMS_FILE
    if items_path is None and not path.exists():
        return ev
    return replace(ev, items=load_items(path, state.codebook, {c.id for c in ev.criteria}, min_support=ev.min_support))


def load_evaluation(project: Project, *, items_path: Path | None = None) -> Evaluation:
    """The evaluation of a project's review as the build resolves it."""
    settings = load_settings(project.root)
    state = load_review(project)
    tables = resolve_review(state, use_calibration=settings.build.calibrate)
    return evaluation_of(state, tables, settings, items_path=items_path)


def item_record(ev: Evaluation, item: Item) -> dict[str, Any]:
    """One item as a plain record, with its criterion and the guides that support it."""
    c = ev.by_id[item.criterion]
    condition_label = ev.items.condition_label(item.condition) if ev.items else item.condition
    return {
        "id": item.id, "criterion": c.id, "criterion_label": criterion_title(c), "polarity": polarity(c),
        "condition": item.condition, "condition_label": condition_label,
        "input": [m.model_dump() for m in item.input], "question": item.question, "appropriate": item.appropriate,
        "pass_if": item.pass_if, "rubric": [r.model_dump() for r in item.rubric],
        "provenance": item.provenance.model_dump(), "supported_by": ev.support(c.id),
    }


def criteria_rows(ev: Evaluation) -> list[list[object]]:
    """``criteria.csv``: one row per criterion and supporting guide, with that guide's best quote."""
    tested = ev.tested()
    rows: list[list[object]] = []
    for c in ev.criteria:
        head = [c.id, criterion_title(c), c.feature, c.definition, polarity(c), c.n_support,
                int(c.id in tested), len(tested.get(c.id, []))]
        for s in ev.support(c.id):
            rows.append([*head, s["guide"], s["label"], s["page"] or "", s["quote"]])
    return rows


def _jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    write_atomic(path, "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records))
    return path


def write_neutral(ev: Evaluation, folder: Path) -> list[Path]:
    """``criteria.csv`` always; ``items.jsonl`` and ``variants.jsonl`` when the review has items."""
    written = [write_table(folder / "criteria.csv", CRITERIA_COLUMNS, criteria_rows(ev))]
    if ev.items is not None:
        written.append(_jsonl(folder / "items.jsonl", [item_record(ev, i) for i in ev.items.items]))
        written.append(_jsonl(folder / "variants.jsonl", [v.model_dump() for v in ev.items.model.variants]))
    return written
