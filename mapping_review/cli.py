"""The ``mapping-review`` command: thin wrappers over the library.

Each command parses its options, calls one library function and renders
what it returns. Expected failures are library exceptions, printed as
``Error: ...`` with a non-zero exit and no traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from mapping_review import corpus as corpus_lib
from mapping_review import inspect as inspect_lib
from mapping_review import pipeline
from mapping_review.errors import MappingReviewError
from mapping_review.extract import DEFAULT_ENGINE, ENGINES
from mapping_review.project import init_project, open_project

F = TypeVar("F", bound=Callable[..., Any])
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def library_errors(func: F) -> F:
    """Turn library exceptions into ``Error: ...`` and exit status 1."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MappingReviewError as e:
            raise click.ClickException(str(e)) from e
    return wrapper  # type: ignore[return-value]


project_option = click.option(
    "-p", "--project", "project_dir", default=".", show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="The review project folder.",
)
engine_option = click.option(
    "--engine", type=click.Choice(sorted(ENGINES)), default=DEFAULT_ENGINE, show_default=True,
    help="PDF engine that reads characters, fonts and positions.",
)
quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mapping-review")
def main() -> None:
    """Literature mapping reviews of guideline documents.

    Extract guideline PDFs, segment them, and (re)build the review with one command.
    """


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--codebook", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Start from this codebook instead of the paper's.")
@library_errors
def init(directory: Path, codebook: Path | None) -> None:
    """Create a review project in DIRECTORY (codebook.yaml, corpus/, reviews/, build/)."""
    project = init_project(directory, codebook=codebook)
    console.print(f"Created review project in {project.root}")
    console.print(f"Add guides with: mapping-review corpus add GUIDE.pdf --key KEY -p {project.root}")


@main.group()
def corpus() -> None:
    """Add, list and verify the guides of the review."""


@corpus.command("add")
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", required=True, help="Citation key of the guide (letters, digits, _ - .).")
@click.option("--title", default="", help="Title (default: the PDF's own title).")
@click.option("--year", type=int, default=None, help="Year of publication.")
@click.option("--publisher", default="", help="Publisher or issuing body.")
@click.option("--authors", default="", help="Authors, as they should be cited.")
@click.option("--url", default="", help="Official URL of the guide.")
@click.option("--password", default="", help="User password, for PDFs that need one to open.")
@click.option("--link", is_flag=True, help="Record where the PDF is instead of copying it into corpus/.")
@click.option("--replace", is_flag=True, help="Replace an existing guide with the same key.")
@project_option
@library_errors
def corpus_add(pdf: Path, key: str, title: str, year: int | None, publisher: str, authors: str, url: str,
               password: str, link: bool, replace: bool, project_dir: Path) -> None:
    """Add PDF to the corpus as guide KEY, recording its sha256."""
    project = open_project(project_dir)
    guide = corpus_lib.add_guide(project, pdf, key=key, title=title, year=year, publisher=publisher,
                                 authors=authors, url=url, password=password, link=link, replace=replace)
    console.print(f"Added {guide.key}: {guide.title or '(no title)'} [sha256 {guide.sha256[:12]}]")


def _states_table(states: list[corpus_lib.GuideState], built: dict[str, str] | None = None) -> Table:
    table = Table("key", "year", "title", "file", "state", "detail", *(["build"] if built is not None else []))
    for s in states:
        colour = {"ok": "green", "no file": "yellow"}.get(s.state, "red")
        extra = [built.get(s.key, "")] if built is not None else []
        table.add_row(s.key, str(s.year or ""), s.title[:60], s.file, f"[{colour}]{s.state}[/]", s.detail, *extra)
    return table


@corpus.command("list")
@project_option
@library_errors
def corpus_list(project_dir: Path) -> None:
    """Show the guides, their files and whether they have been extracted."""
    project = open_project(project_dir)
    states, manifest = corpus_lib.verify_corpus(project)
    console.print(_states_table(states, pipeline.build_states(project)))
    for problem in manifest.problems:
        err_console.print(f"[red]Error:[/] {problem.message}")


@corpus.command("fetch")
@click.argument("keys", nargs=-1)
@click.option("--force", is_flag=True, help="Download again even when the file is there.")
@project_option
@library_errors
def corpus_fetch(keys: tuple[str, ...], force: bool, project_dir: Path) -> None:
    """Download the guides that have a URL (all, or KEYS), checking they are PDFs and match their sha256."""
    from mapping_review.fetch import fetch_corpus

    project = open_project(project_dir)
    results = fetch_corpus(project, keys=list(keys) or None, force=force)
    for r in results:
        if r.status == "failed":
            err_console.print(f"[red]Error:[/] {r.key}: {r.message}")
        else:
            console.print(f"{r.key}: {r.status} {r.message}")
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise click.ClickException(f"{len(failed)} guide(s) could not be fetched; the others were")


@corpus.command("verify")
@project_option
@library_errors
def corpus_verify(project_dir: Path) -> None:
    """Check every guide's file against the sha256 recorded in the manifest."""
    project = open_project(project_dir)
    states, manifest = corpus_lib.verify_corpus(project)
    console.print(_states_table(states))
    bad = [s for s in states if s.state in ("missing", "changed")]
    for problem in manifest.problems:
        err_console.print(f"[red]Error:[/] {problem.message}")
    if bad or manifest.problems:
        raise click.ClickException(f"{len(bad) + len(manifest.problems)} guide(s) failed verification")
    console.print(f"{len(states)} guide(s) verified")


class _RichProgress(pipeline.Progress):
    """Progress bars per stage: documents and pages."""

    def __init__(self) -> None:
        self.bars = Progress(TextColumn("{task.description:>18}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=err_console, transient=False)
        self.doc_task: TaskID | None = None
        self.page_task: TaskID | None = None

    def start(self, stage: str, *, documents: int, pages: int) -> None:
        if not documents:
            return
        self.bars.start()
        self.doc_task = self.bars.add_task(f"{stage}: documents", total=documents)
        self.page_task = self.bars.add_task(f"{stage}: pages", total=pages) if pages else None

    def pages(self, n: int) -> None:
        if self.page_task is not None:
            self.bars.advance(self.page_task, n)

    def document(self, key: str) -> None:
        if self.doc_task is not None:
            self.bars.advance(self.doc_task, 1)

    def finish(self, stage: str) -> None:
        self.bars.stop()
        self.doc_task = self.page_task = None


def _report(results: list[pipeline.GuideResult]) -> int:
    """Print per-guide outcomes; return the number of failures."""
    failures = 0
    for r in results:
        if r.failed:
            failures += 1
            err_console.print(f"[red]Error:[/] {r.message}")
            continue
        for warning in r.warnings:
            err_console.print(f"[yellow]Warning:[/] {r.key}: {warning}")
    return failures


def _summary(report: pipeline.BuildReport) -> None:
    table = Table("guide", "extract", "pages", "pages with text", "other pages", "segments")
    seg = {r.key: r for r in report.segment}
    for r in report.extract:
        other = ", ".join(f"{len(v)} {k}" for k, v in sorted(r.page_status.items()) if k != "text")
        s = seg.get(r.key)
        table.add_row(r.key, r.status if not r.failed else f"[red]failed ({r.reason})[/]", str(r.n_pages or ""),
                      str(len(r.page_status.get("text", [])) or ""), other, str(s.n_segments) if s else "")
    console.print(table)


@main.command()
@click.argument("project_dir", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--engine", type=click.Choice(sorted(ENGINES)), default=None,
              help=f"PDF engine (default from review.yaml, else {DEFAULT_ENGINE}).")
@click.option("--nlp", "nlp_name", default=None,
              help="spaCy pipeline: auto (en_core_web_sm if installed, else blank), blank, or a package name "
                   "(default from review.yaml, else auto).")
@click.option("-j", "--jobs", type=int, default=None, help="Parallel extraction processes (default: CPUs).")
@click.option("--no-calibrate", is_flag=True, default=None,
              help="Keep the codebook's guide-level rules even when reviewers exist.")
@click.option("--force", is_flag=True, help="Rebuild the review outputs even when no input changed.")
@quiet_option
@library_errors
def build(project_dir: Path, engine: str | None, nlp_name: str | None, jobs: int | None, no_calibrate: bool | None,
          force: bool, quiet: bool) -> None:
    """Run every stage that is out of date and write build/ (review.yaml holds the defaults)."""
    project = open_project(project_dir)
    progress = None if quiet else _RichProgress()
    report = pipeline.build_project(project, engine=engine, nlp_name=nlp_name, jobs=jobs, progress=progress,
                                    calibrate=None if no_calibrate is None else not no_calibrate, force=force)
    if report.up_to_date:
        console.print("Up to date: no input changed since the last build (build/run.json)")
        return
    failures = _report(report.extract) + _report(report.segment) + _report(report.code)
    for warning in report.warnings:
        err_console.print(f"[yellow]Warning:[/] {warning}")
    _summary(report)
    for path in report.tables:
        console.print(f"Wrote {project.relative(path)}")
    if report.n_disagreements:
        err_console.print(f"{report.n_disagreements} open disagreement(s) between reviewers: "
                          "`mapping-review adjudicate --export FILE` lists them")
    if failures:
        raise click.ClickException(f"{failures} guide(s) failed; the others were built")


@main.command()
@click.argument("project_dir", default=".", type=click.Path(file_okay=False, path_type=Path))
@engine_option
@click.option("-j", "--jobs", type=int, default=None, help="Parallel processes (default: CPUs).")
@quiet_option
@library_errors
def extract(project_dir: Path, engine: str, jobs: int | None, quiet: bool) -> None:
    """Extract text, positions and headings from every guide's PDF (cached by file hash)."""
    project = open_project(project_dir)
    results = pipeline.extract_corpus(project, engine=engine, jobs=jobs, progress=None if quiet else _RichProgress())
    failures = _report(results)
    _summary(pipeline.BuildReport(extract=results, segment=[]))
    if failures:
        raise click.ClickException(f"{failures} guide(s) failed; the others were extracted")


@main.command()
@click.argument("project_dir", default=".", type=click.Path(file_okay=False, path_type=Path))
@engine_option
@click.option("--nlp", "nlp_name", default="auto", show_default=True, help="spaCy pipeline (see build).")
@quiet_option
@library_errors
def segment(project_dir: Path, engine: str, nlp_name: str, quiet: bool) -> None:
    """Split extracted guides into sections, paragraphs and sentences (build/segments/)."""
    project = open_project(project_dir)
    results = pipeline.segment_corpus(project, engine=engine, nlp_name=nlp_name,
                                      progress=None if quiet else _RichProgress())
    failures = _report(results)
    for r in results:
        if not r.failed:
            console.print(f"{r.key}: {r.status}, {r.n_segments} segments")
    if failures:
        raise click.ClickException(f"{failures} guide(s) failed")


@main.command("inspect")
@click.argument("key")
@click.option("--page", "page_number", type=int, default=None, help="Show the segments of this page.")
@click.option("--text", "show_text", is_flag=True, help="With --page: show the page text and what was removed.")
@engine_option
@project_option
@library_errors
def inspect_cmd(key: str, page_number: int | None, show_text: bool, engine: str, project_dir: Path) -> None:
    """Show what the machine saw: guide KEY's outline, or one page's segments with their ids."""
    project = open_project(project_dir)
    doc = inspect_lib.load_extracted(project, key, engine=engine)
    if page_number is None:
        console.print(f"[bold]{key}[/]: {doc.n_pages} pages, extracted by {doc.extractor}")
        for item in inspect_lib.guide_outline(doc):
            console.print(f"{'  ' * (item.level - 1)}{item.title}  [dim]p. {item.page}[/]")
        return
    page = inspect_lib.page_of(doc, page_number)
    console.print(f"[bold]{key} page {page.number}[/] ({page.status})")
    if show_text:
        console.print(page.text, markup=False)
        for removed in page.removed:
            console.print(f"[dim]removed header/footer: {removed}[/]", markup=True)
        return
    for seg in inspect_lib.page_segments(inspect_lib.load_segments(project, key), page_number):
        indent = "  " if seg.kind == "sentence" else ""
        span = f"{seg.page}:{seg.start}-{seg.end_page}:{seg.end}"
        console.print(f"{indent}[cyan]{seg.id}[/] [dim]{seg.kind}/{seg.role} {span} {' > '.join(seg.section)}[/]")
        console.print(f"{indent}  {seg.text}", markup=False)


@main.command()
@click.argument("project_dir", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port to listen on.")
@click.option("--token", default=None, envvar="MAPPING_REVIEW_TOKEN",
              help="Access token; required to listen on anything but this machine.")
@library_errors
def serve(project_dir: Path, host: str, port: int, token: str | None) -> None:
    """Start the reviewer workbench in the browser, over the project's own files."""
    from werkzeug.serving import run_simple

    from mapping_review.web.app import check_binding, create_app

    project = open_project(project_dir)
    check_binding(host, token)
    app = create_app(project, token=token)
    suffix = f"/?token={token}" if token else "/"
    console.print(f"Reviewer workbench on http://{host}:{port}{suffix}  (Ctrl+C stops it)")
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


from mapping_review import cli_review  # noqa: E402,F401  (registers the coding and review commands)

if __name__ == "__main__":  # pragma: no cover
    main()
