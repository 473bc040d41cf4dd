"""Evaluation verbs: ``criteria export`` writes the review's items for a harness, ``criteria results``
reads the judged responses back. Each parses options, calls the library and prints what it returns."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from mapping_review.cli.common import console, err_console, library_errors, project_option
from mapping_review.project.layout import open_project
from mapping_review.publish.exports import EXPORTERS, export_project
from mapping_review.publish.results import RESULTS_DIR
from mapping_review.publish.results_tables import ALL, project_results

items_option = click.option("--items", "items_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                            help="The items file (default criteria/items.yaml).")


@click.group()
def criteria() -> None:
    """Evaluation items for the review's criteria: export them, read judged responses back."""


@criteria.command("export")
@click.option("--format", "fmt", type=click.Choice(list(EXPORTERS)), required=True,
              help="jsonl (harness-neutral), inspect, promptfoo or healthbench.")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@items_option
@project_option
@library_errors
def export_cmd(fmt: str, out: Path, items_path: Path | None, project_dir: Path) -> None:
    """Write the items, each with the guides behind its criterion, under OUT/FORMAT/."""
    project = open_project(project_dir)
    for path in export_project(project, fmt, out, items_path=items_path):
        console.print(f"Wrote {path}")


@criteria.command("results")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@items_option
@project_option
@library_errors
def results_cmd(results: tuple[Path, ...], items_path: Path | None, project_dir: Path) -> None:
    """Read judged responses (Inspect JSON logs, promptfoo JSON output, CSV; files or folders) and write
    build/tables/eval_results.csv and build/figures/eval_results.*."""
    project = open_project(project_dir)
    report = project_results(project, list(results), items_path=items_path)
    for warning in report.warnings:
        err_console.print(f"[yellow]Warning:[/] {warning}")
    table = Table("criterion", "model", "n", "appropriate", "95% interval")
    for s in report.tables.shares:
        if s.condition == ALL:
            table.add_row(s.criterion, s.model, str(s.n), f"{s.share:.0%}", f"{s.low:.0%} - {s.high:.0%}")
    console.print(table)
    for row in report.tables.agreement:
        if row[0] == ALL and row[1] in ("fleiss", "cohen"):
            console.print(f"Judge and people ({row[2]}, {row[3]} responses): {row[1]} kappa {row[4] or 'n/a'}")
    console.print(f"{report.n_judgements} judged response(s) from {len(report.files_read)} file(s)")
    for path in report.tables.files:
        console.print(f"Wrote {project.relative(path)}")
    kept = (project.root / RESULTS_DIR).resolve()
    outside = [p for p in results if not p.resolve().is_relative_to(kept)]
    if outside:
        err_console.print(f"[yellow]Note:[/] a build makes these tables from {RESULTS_DIR}/ alone, and "
                          f"{', '.join(map(str, outside))} is not there: the next build drops them. Copy it there to "
                          f"keep them (cp FILE {RESULTS_DIR}/).")
