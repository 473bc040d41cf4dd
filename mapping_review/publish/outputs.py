"""Everything authors publish, written from the resolved review: the paper-shaped sheet, the
summary (Markdown and LaTeX), coverage and co-occurrence, references, the graph, the evaluation
criteria, and the figures; with ``criteria/items.yaml`` also the evaluation items, and with judged
responses in ``criteria/results/`` the share of appropriate responses."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mapping_review.bookkeeping import first_few
from mapping_review.errors import ConfigError
from mapping_review.files import write_atomic
from mapping_review.project.manifest import load_manifest
from mapping_review.project.settings import Settings
from mapping_review.publish.criteria import PACKAGED_TEMPLATE, TEMPLATE_NAME, criteria_markdown, render_prompt
from mapping_review.publish.evaluation import Evaluation, evaluation_of, with_items_of, write_neutral
from mapping_review.publish.results import RESULTS_DIR, Judgement, read_results
from mapping_review.publish.summary import (
    cooccurrence_rows,
    coverage_rows,
    present_codes,
    references,
    summary_latex,
    summary_markdown,
    summary_rows,
)
from mapping_review.review.consensus import UNREAD
from mapping_review.review.sheets import sheet_rows
from mapping_review.review.state import ReviewState, Tables, agreement_by_code, write_tables
from mapping_review.review.tables_io import write_table


def _write(path: Path, text: str) -> Path:
    write_atomic(path, text)
    return path


def write_outputs(state: ReviewState, tables: Tables, settings: Settings) -> tuple[list[Path], list[str]]:
    """Write the review's tables, graph, criteria and figures; return the files and any warnings.

    With a figure process running, the figures go first: it draws them while this process writes the
    rest. Without one, they are drawn here last, so that a figure that fails leaves the rest written."""
    from mapping_review.publish.figure_files import drawing_process_running, finish_figures

    manifest = load_manifest(state.project.manifest_path)
    if not manifest.guides and manifest.problems:  # every entry has a problem: keep the outputs of the last build
        n = len(manifest.broken_entries)
        return [], [f"no guide of {state.project.manifest_path} can be used ({n} entr{'y' if n == 1 else 'ies'} "
                    "with a problem, above): the review outputs were left as they were"]
    guides = list(manifest.guides)
    keys = [g.key for g in guides]
    codes = present_codes(tables.rows)
    rows = summary_rows(state.codebook, keys, codes)
    labels = {g.key: g.label or g.key for g in guides}
    figures_wanted = bool(keys) and settings.figures
    ahead = figures_wanted and drawing_process_running()
    drawn: list[Path] = []
    try:
        if ahead:
            drawn = _figures(state, tables, keys, labels, rows, state.project.build_dir)
        written, warnings, items_error = _write_rest(state, tables, settings, guides, codes, rows)
    except BaseException:
        with contextlib.suppress(Exception):  # the first error is the one to report
            finish_figures()
        raise
    finish_figures()
    if figures_wanted and not ahead:
        drawn = _figures(state, tables, keys, labels, rows, state.project.build_dir)
        finish_figures()
    if items_error is not None:
        what = "tables, graph, criteria and figures" if figures_wanted else "tables, graph and criteria"
        msg = f"{items_error}\n(the {what} were written; the items were not)"
        raise ConfigError(msg) from items_error
    return written + drawn, warnings


def _unread_cells(tables: Tables) -> list[tuple[str, str]]:
    """(guide, code) of the cells nobody answered of guides the machine has not read, in order."""
    return sorted((r.guide, r.code) for r in tables.rows if r.source == UNREAD)


def _write_rest(state: ReviewState, tables: Tables, settings: Settings, guides: list,  # type: ignore[type-arg]
                codes: Any, rows: list) -> tuple[list[Path], list[str], ConfigError | None]:  # type: ignore[type-arg]
    """Everything but the figures; a bad items file is returned, to be raised once the figures are there."""
    project = state.project
    keys = [g.key for g in guides]
    labels = {g.key: g.label or g.key for g in guides}
    out, warnings = project.build_dir, []
    header, sheet = sheet_rows(state.codebook, keys, codes, unanswered=set(_unread_cells(tables)))
    written = [
        *write_tables(state, tables),
        write_table(out / "tables" / "coding_sheet.csv", header, sheet),
        _write(out / "tables" / "summary.md", summary_markdown(rows, labels=labels)),
        _write(out / "tables" / "summary.tex", summary_latex(rows)),
        write_table(out / "tables" / "coverage.csv", ["code", "feature", "value", "n_guides", "share"],
                    coverage_rows(rows, len(keys))),
        write_table(out / "tables" / "cooccurrence.csv", ["code_a", "code_b", "n_guides"],
                    cooccurrence_rows(state.codebook, keys, codes)),
    ]
    bib_path = project.root / "references.bib"
    bib, missing = references(guides, bib_path.read_text(encoding="utf-8") if bib_path.exists() else None)
    written.append(_write(out / "tables" / "references.bib", bib))
    if missing:  # one line, however many: it is said at every build until the .bib has them
        them = "one" if len(missing) == 1 else "them"
        warnings.append(f"{bib_path}: no entry for {first_few([repr(k) for k in missing])}; made {them} from the "
                        "manifest (add entries to the .bib to cite them as you want)")
    for key in keys:
        if not any(codes.get((key, c.id)) for c in state.codebook.codes):
            why = ("the machine has not read it (no PDF, or its build failed) and no reviewer has coded it; its "
                   "cells say 'not read'") if key in state.unread else "no evidence and no reviewer decision"
            warnings.append(f"guide {key!r} has no code at all ({why})")
    ev, items_error = evaluation_of(state, tables, settings, with_items=False), None
    try:
        ev = with_items_of(ev, state)
    except ConfigError as e:  # the tables, graph, criteria and figures do not need the items: write them first
        items_error = e
    judgements, more = _results(state, ev, settings, out)
    written += more
    written += _graph(state, tables, guides, ev, judgements, out)
    written += _criteria(state, ev, settings, labels, len(keys), out)
    if not keys:
        warnings.append(f"{project.manifest_path} lists no guides: the tables are empty and no figure is drawn")
    return written, warnings, items_error


def _results(state: ReviewState, ev: Evaluation, settings: Settings, out: Path) -> tuple[list[Judgement], list[Path]]:
    """The judged responses in ``criteria/results/`` (when the review has items), and their tables."""
    from mapping_review.publish.results_tables import write_results

    folder = state.project.root / RESULTS_DIR
    if ev.items is None or not folder.is_dir():
        _remove(out / "tables" / "eval_results.csv", out / "tables" / "eval_agreement.csv",
                *(out / "figures" / f"eval_results.{fmt}" for fmt in ("png", "svg", "pdf")))
        return [], []
    read = read_results([folder], ev.items)
    return read.judgements, write_results(ev, read.judgements, out, figures=settings.figures).files


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _graph(state: ReviewState, tables: Tables, guides: list, ev: Evaluation,  # type: ignore[type-arg]
           judgements: list[Judgement], out: Path) -> list[Path]:
    from mapping_review.publish.graph import add_evaluation, codings_to_graph, guide_similarity, write_graph

    G = add_evaluation(codings_to_graph(state.codebook, guides, tables.rows), ev, judgements)
    similarity = [[a, b, n, f"{j:.4f}"] for a, b, n, j in guide_similarity(G)]
    return [*write_graph(G, out / "graph"),
            write_table(out / "tables" / "guide_similarity.csv", ["guide_a", "guide_b", "shared_codes", "jaccard"],
                        similarity)]


def _criteria(state: ReviewState, ev: Evaluation, settings: Settings, labels: dict[str, str], n_guides: int,
              out: Path) -> list[Path]:
    import yaml

    cfg = settings.criteria
    criteria = ev.criteria
    template = state.project.root / "templates" / TEMPLATE_NAME
    review = {"name": state.codebook.model.name, "description": settings.description or state.codebook.model.description}
    prompt = render_prompt(criteria, template=template if template.exists() else PACKAGED_TEMPLATE, review=review,
                           min_support=cfg.min_support, n_guides=n_guides)
    document = {"name": state.codebook.model.name, "min_support": cfg.min_support, "n_guides": n_guides,
                "criteria": [c.to_dict() for c in criteria]}
    folder = out / "criteria"
    if ev.items is None:
        _remove(folder / "items.jsonl", folder / "variants.jsonl")
    return [
        _write(folder / "criteria.yaml", yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)),
        _write(folder / "criteria.md", criteria_markdown(criteria, labels=labels, min_support=cfg.min_support)),
        _write(folder / "prompt.txt", prompt),
        *write_neutral(ev, folder),
    ]


def _figures(state: ReviewState, tables: Tables, keys: list[str], labels: dict[str, str], rows: list,  # type: ignore[type-arg]
             out: Path) -> list[Path]:
    from mapping_review.publish import figures

    folder = out / "figures"
    state_path = state.project.cache_dir / "figures.json"
    book = state.codebook.model.model_dump(mode="json")
    present = sorted((r.guide, r.code, r.source) for r in tables.rows if r.present)

    def figure(name: str, data: Any, draw: Callable[..., list[Path]], *args: Any) -> list[Path]:
        return figures.redraw(folder, state_path, name, [book, data], draw, *args)

    by_code, _, raters = agreement_by_code(state)
    with figures.drawn_together(wait=False):  # write_outputs waits for them
        written = figure("heatmap", [keys, labels, present, _unread_cells(tables)], figures.heatmap, state.codebook,
                         keys, labels, tables.rows, folder)
        written += figure("network", [keys, labels, [p[:2] for p in present]], figures.network, state.codebook,
                          keys, labels, tables.rows, folder)
        counts = {r.code: len(r.guides) for r in rows}
        written += figure("coverage", [len(keys), counts], figures.coverage, state.codebook, len(keys), counts,
                          folder)
        if len(raters) >= 2:
            alphas = {c: a.alpha for c, a in by_code.items()}
            written += figure("agreement", [alphas, raters], figures.agreement_bars, state.codebook, alphas, raters,
                              folder)
    if len(raters) < 2:
        for fmt in figures.FORMATS:
            (folder / f"agreement.{fmt}").unlink(missing_ok=True)
    return written
