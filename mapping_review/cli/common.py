"""What every command shares: the consoles, the options every verb takes, the turning of library
errors into ``Error: ...`` lines, and the progress bars the library reports through."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichBars
from rich.table import Table

from mapping_review.bookkeeping import GuideResult, Progress, first_few
from mapping_review.errors import MappingReviewError
from mapping_review.extract import DEFAULT_ENGINE, ENGINES
from mapping_review.pipeline import BuildReport
from mapping_review.project.layout import Project, open_project
from mapping_review.review.decisions import check_new_reviewer

F = TypeVar("F", bound=Callable[..., Any])

def _pipe_width() -> int | None:
    """None (the terminal's width) in a terminal; in a pipe or a file, room for a table's whole rows: rich
    would otherwise cut them at 80 columns, and a reader piping ``review codes`` into ``grep`` or a file
    would lose the ends of its sentences."""
    if (sys.stdout is not None and sys.stdout.isatty()) or os.environ.get("COLUMNS"):
        return None
    return 100_000


console = Console(highlight=False, width=_pipe_width())
err_console = Console(stderr=True, highlight=False, soft_wrap=True)  # an Error: line stays one line in a log or pipe


def open_for(project_dir: Path, reviewer: str) -> Project:
    """The project, once ``reviewer`` is a name its reviews/ keeps apart from every other (``Alice`` where
    ``alice`` codes is refused here, not after a sheet exported under it has been filled in)."""
    project = open_project(project_dir)
    check_new_reviewer(project.reviews_dir, reviewer)
    return project


def library_errors(func: F) -> F:
    """Turn library exceptions into ``Error: ...`` and exit status 1."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MappingReviewError as e:
            raise click.ClickException(str(e)) from e
        except OSError as e:  # a folder that does not exist, a full disk, a file another program holds
            where = f"{e.filename}: " if e.filename else ""
            raise click.ClickException(f"{where}{e.strerror or e}") from e
    return wrapper  # type: ignore[return-value]


project_option = click.option(
    "-p", "--project", "project_dir", default=".", show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="The review project folder.",
)


def project_argument_or_option(func: F) -> F:
    """``[PROJECT]`` as a positional argument (as these verbs always took it) or ``-p/--project``."""
    @functools.wraps(func)
    def wrapper(*args: Any, project_arg: Path | None, project_opt: Path | None, **kwargs: Any) -> Any:
        if project_arg is not None and project_opt is not None and project_arg != project_opt:
            msg = f"the project is given twice ({project_arg} and -p {project_opt}); give it once"
            raise click.UsageError(msg)
        return func(*args, project_dir=project_arg or project_opt or Path(), **kwargs)

    folder = click.Path(file_okay=False, path_type=Path)
    wrapper = click.option("-p", "--project", "project_opt", default=None, type=folder,
                           help="The review project folder (default: .).")(wrapper)
    return click.argument("project_arg", required=False, metavar="[PROJECT]", type=folder)(wrapper)  # type: ignore[return-value]


engine_option = click.option(
    "--engine", type=click.Choice(sorted(ENGINES)), default=DEFAULT_ENGINE, show_default=True,
    help="PDF engine that reads characters, fonts and positions.",
)
quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress bars.")



class RichProgress(Progress):
    """Progress bars per stage: documents and pages."""

    def __init__(self) -> None:
        self.bars = RichBars(TextColumn("{task.description:>18}"), BarColumn(), MofNCompleteColumn(),
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


def warn_unread(unread: Collection[str], chosen: Collection[str]) -> None:
    """Say which of the ``chosen`` guides the machine has not coded, so an empty list is not read as
    "nothing to review"."""
    missing = sorted(set(chosen) & set(unread))
    if missing:
        shown = first_few(missing)
        err_console.print(f"[yellow]Warning:[/] {len(missing)} of {len(chosen)} guide(s) are not coded yet (no PDF, "
                          f"or its build failed), so no suggestions: {escape(shown)}. Add the PDFs of those without "
                          "one (corpus add, or corpus fetch for those with a URL) and build; the build says why any "
                          "failed.")


def some_failed(failed: int, total: int) -> str:
    """How many of ``total`` guides failed ("1 of 3 guides failed", "all 2 guides failed", "the guide
    failed"); what became of each is its own line above."""
    if failed >= total:
        return "the guide failed" if total == 1 else f"all {total} guides failed"
    return f"{failed} of {total} guides failed"


def report_results(results: list[GuideResult]) -> int:
    """Print per-guide outcomes; return the number of failures."""
    failures = 0
    for r in results:
        if r.failed:
            failures += 1
            err_console.print(f"[red]Error:[/] {escape(r.message)}")
            continue
        for warning in r.warnings:
            err_console.print(f"[yellow]Warning:[/] {escape(r.key)}: {escape(warning)}")
    return failures


def extract_summary(report: BuildReport) -> None:
    table = Table("guide", "extract", "pages", "pages with text", "other pages", "segments")
    seg = {r.key: r for r in report.segment}
    for r in report.extract:
        other = ", ".join(f"{len(v)} {k}" for k, v in sorted(r.page_status.items()) if k != "text")
        s = seg.get(r.key)
        table.add_row(escape(r.key), r.status if not r.failed else f"[red]failed ({r.reason})[/]", str(r.n_pages or ""),
                      str(len(r.page_status.get("text", [])) or ""), other, str(s.n_segments) if s else "")
    console.print(table)
    no_file = sum(r.status == "no file" for r in report.extract)
    if no_file:
        console.print(f"{no_file} of {len(report.extract)} guide(s) have no PDF in the corpus yet: the review is built "
                      "from the reviewers' decisions alone for them; add a PDF with `mapping-review corpus add PDF "
                      "--key KEY --replace` for the machine to read it")
