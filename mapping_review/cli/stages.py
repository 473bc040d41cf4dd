"""The stage verbs: ``build`` (every stage that is out of date), and ``extract``, ``segment``,
``code`` and ``inspect`` for one stage at a time."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from mapping_review import pipeline
from mapping_review.cli.common import (
    RichProgress,
    console,
    engine_option,
    err_console,
    extract_summary,
    library_errors,
    project_argument_or_option,
    project_option,
    quiet_option,
    report_results,
    some_failed,
)
from mapping_review.coding.stage import code_corpus
from mapping_review.extract import DEFAULT_ENGINE, ENGINES
from mapping_review.pipeline import BuildReport
from mapping_review.project.layout import open_project
from mapping_review.segment import inspect as inspect_lib


@click.command()
@project_argument_or_option
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default=None,
              help=f"PDF engine (default from review.yaml, else {DEFAULT_ENGINE}).")
@click.option("--nlp", "nlp_name", default=None,
              help="spaCy pipeline: auto (en_core_web_sm if installed, else blank), blank, or a package name "
                   "(default from review.yaml, else auto).")
@click.option("-j", "--jobs", type=int, default=None, help="Parallel extraction processes (default: CPUs).")
@click.option("--no-calibrate", is_flag=True, default=None,
              help="Keep the codebook's guide-level rules even when reviewers exist.")
@click.option("--force", is_flag=True, help="Rebuild the review outputs even when no input changed.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Extract, segment and code on a Dask cluster: a scheduler's address (tcp://host:8786), or "
                   "'local' for a LocalCluster of -j worker processes on this machine.")
@quiet_option
@library_errors
def build(project_dir: Path, engine: str | None, nlp_name: str | None, jobs: int | None, no_calibrate: bool | None,
          force: bool, scheduler: str | None, quiet: bool) -> None:
    """Run every stage that is out of date and write build/ (review.yaml holds the defaults)."""
    project = open_project(project_dir)
    progress = None if quiet else RichProgress()
    report = pipeline.build_project(project, engine=engine, nlp_name=nlp_name, jobs=jobs, progress=progress,
                                    calibrate=None if no_calibrate is None else not no_calibrate, force=force,
                                    scheduler=scheduler)
    if report.up_to_date:
        console.print("Up to date: no input changed since the last build (build/run.json)")
        return
    failures = report_results(report.extract) + report_results(report.segment) + report_results(report.code)
    for warning in report.warnings:
        err_console.print(f"[yellow]Warning:[/] {escape(warning)}")
    extract_summary(report)
    for path in report.tables:
        console.print(f"Wrote {project.relative(path)}")
    if report.n_disagreements:
        err_console.print(f"{report.n_disagreements} open disagreement(s) between reviewers: "
                          "an adjudicator lists them with `mapping-review adjudicate -r NAME --export FILE`")
    if failures:
        raise click.ClickException(some_failed(report.n_failed_guides, len(report.extract)))


@click.command()
@project_argument_or_option
@engine_option
@click.option("-j", "--jobs", type=int, default=None, help="Parallel processes (default: CPUs).")
@quiet_option
@library_errors
def extract(project_dir: Path, engine: str, jobs: int | None, quiet: bool) -> None:
    """Extract text, positions and headings from every guide's PDF (cached by file hash)."""
    project = open_project(project_dir)
    results = pipeline.extract_corpus(project, engine=engine, jobs=jobs, progress=None if quiet else RichProgress())
    failures = report_results(results)
    extract_summary(BuildReport(extract=results, segment=[]))
    if failures:
        raise click.ClickException(some_failed(failures, len(results)))


@click.command()
@project_argument_or_option
@engine_option
@click.option("--nlp", "nlp_name", default="auto", show_default=True, help="spaCy pipeline (see build).")
@quiet_option
@library_errors
def segment(project_dir: Path, engine: str, nlp_name: str, quiet: bool) -> None:
    """Split extracted guides into sections, paragraphs and sentences (build/segments/)."""
    project = open_project(project_dir)
    results = pipeline.segment_corpus(project, engine=engine, nlp_name=nlp_name,
                                      progress=None if quiet else RichProgress())
    failures = report_results(results)
    for r in results:
        if not r.failed:
            console.print(f"{escape(r.key)}: {r.status}, {r.n_segments} segments")
    if failures:
        raise click.ClickException(some_failed(failures, len(results)))


@click.command("inspect")
@click.argument("key")
@click.option("--page", "page_number", type=int, default=None, help="Show the segments of this page.")
@click.option("--text", "show_text", is_flag=True, help="With --page: show the page text and what was removed or left out.")
@engine_option
@project_option
@library_errors
def inspect_cmd(key: str, page_number: int | None, show_text: bool, engine: str, project_dir: Path) -> None:
    """Show what the machine saw: guide KEY's outline, or one page's segments with their ids."""
    project = open_project(project_dir)
    doc = inspect_lib.load_extracted(project, key, engine=engine)
    if page_number is None:
        console.print(f"[bold]{escape(key)}[/]: {doc.n_pages} pages, extracted by {escape(doc.extractor)}")
        for item in inspect_lib.guide_outline(doc):
            console.print(f"{'  ' * (item.level - 1)}{escape(item.title)}  [dim]p. {item.page}[/]")
        return
    page = inspect_lib.page_of(doc, page_number)
    console.print(f"[bold]{escape(key)} page {page.number}[/] ({escape(page.status)})")
    if show_text:
        console.print(page.text, markup=False)
        for removed in page.removed:
            console.print(f"removed header/footer: {removed}", style="dim", markup=False)
        for label in page.labels:
            console.print(f"figure label left out: {label}", style="dim", markup=False)
        return
    for seg in inspect_lib.page_segments(inspect_lib.load_segments(project, key), page_number):
        indent = "  " if seg.kind == "sentence" else ""
        span = f"{seg.page}:{seg.start}-{seg.end_page}:{seg.end}"
        where = escape(" > ".join(seg.section))
        console.print(f"{indent}[cyan]{escape(seg.id)}[/] [dim]{seg.kind}/{seg.role} {span} {where}[/]")
        console.print(f"{indent}  {seg.text}", markup=False)



@click.command("code")
@project_argument_or_option
@click.option("--nlp", "nlp_name", default="auto", show_default=True, help="spaCy pipeline (see build).")
@quiet_option
@library_errors
def code_cmd(project_dir: Path, nlp_name: str, quiet: bool) -> None:
    """Suggest codes for every segmented guide with the rule coder (build/codings/)."""
    project = open_project(project_dir)
    for r in code_corpus(project, nlp_name=nlp_name):
        console.print(f"{escape(r.key)}: {r.status}, {r.n_segments} suggestions")
