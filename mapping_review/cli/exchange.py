"""Exchange with other tools: ``corpus import`` (reference libraries), ``export qdpx|qdc`` and
``import qdpx|qdc`` (REFI-QDA). Each parses options, calls the library and prints its report."""

from __future__ import annotations

from pathlib import Path

import click

from mapping_review.cli.common import console, err_console, library_errors, project_option
from mapping_review.exchange.export import export_qdc, export_qdpx
from mapping_review.exchange.importer import QdaImport, import_qdc, import_qdpx
from mapping_review.project.layout import open_project
from mapping_review.project.library import import_library


@click.command("import")
@click.argument("library", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--files", "files_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder holding the attachments (default: the library file's folder).")
@click.option("--update", is_flag=True, help="Refresh guides already in the manifest from the library.")
@click.option("--link", is_flag=True, help="Record where each PDF is instead of copying it into corpus/.")
@project_option
@library_errors
def corpus_import(library: Path, files_dir: Path | None, update: bool, link: bool, project_dir: Path) -> None:
    """Add the entries of a BibTeX, RIS or CSL-JSON LIBRARY as guides, with their PDFs."""
    project = open_project(project_dir)
    result = import_library(project, library, files_dir=files_dir, update=update, link=link)
    for key in result.added:
        console.print(f"Added {key}")
    for key in result.metadata_only:
        console.print(f"Added {key} (metadata only, no PDF)")
    for key in result.updated:
        console.print(f"Updated {key}")
    for line in result.notices:
        err_console.print(f"[yellow]Warning:[/] {line}")
    for line in result.errors:
        err_console.print(f"[red]Error:[/] {line}")
    done = len(result.added) + len(result.metadata_only) + len(result.updated)
    console.print(f"{done} guide(s) from {result.kind} library {library.name}"
                  + (f"; references in {result.references}" if result.references else ""))
    if result.errors:
        n = len(result.errors)
        raise click.ClickException(f"{n} {'entry was' if n == 1 else 'entries were'} not imported")


@click.group("export")
def export_group() -> None:
    """Write the review for QDA programs (REFI-QDA)."""


@export_group.command("qdpx")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--suggestions", is_flag=True, help="Also export the machine's suggestions, as its own codings.")
@project_option
@library_errors
def export_qdpx_cmd(out: Path, suggestions: bool, project_dir: Path) -> None:
    """Write the codebook, guides, codings and guide-level answers as a REFI-QDA project OUT."""
    result = export_qdpx(open_project(project_dir), out, suggestions=suggestions)
    for line in result.notes:
        err_console.print(f"[yellow]Warning:[/] {line}")
    console.print(f"Wrote {out}: {len(result.sources)} source(s), {result.codings} coding(s), "
                  f"{len(result.users)} user(s); {len(result.pdf_only)} guide(s) as their PDF only (no text yet); "
                  f"{len(result.cases_only)} guide(s) without PDF or text as cases only")


@export_group.command("qdc")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@project_option
@library_errors
def export_qdc_cmd(out: Path, project_dir: Path) -> None:
    """Write the codebook alone as a REFI-QDA codebook OUT."""
    export_qdc(open_project(project_dir), out)
    console.print(f"Wrote {out}")


@click.group("import")
def import_group() -> None:
    """Bring in codebooks and codings from QDA programs (REFI-QDA)."""


draft_option = click.option("--draft", type=click.Path(dir_okay=False, path_type=Path), default=None,
                            help="Also write the imported codebook as a draft codebook.yaml to this file.")


def _report(result: QdaImport, *, recorded: bool, codings: bool = True) -> None:
    console.print(f"{result.path.name} ({result.origin or 'unknown program'}): {result.n_codes} code(s), "
                  f"{len(result.mapped)} mapped onto codebook.yaml, {len(result.unmapped)} not")
    for name in result.unmapped:
        err_console.print(f"[yellow]Not mapped:[/] {name}")
    for name, reviewer in sorted(result.reviewers.items()):
        console.print(f"User {name!r} -> reviewer {reviewer}")
    for source, key in sorted(result.sources.items()):
        console.print(f"Source {source!r} -> guide {key}")
    for line in result.warnings:
        err_console.print(f"[yellow]Warning:[/] {line}")
    for line in result.unmatched:
        err_console.print(f"[yellow]Not recorded:[/] {line}")
    for line in result.merged:
        err_console.print(f"[yellow]Recorded as one:[/] {line}")
    if result.draft:
        console.print(f"Wrote the draft codebook {result.draft}")
    if not codings:
        return
    verb = "recorded" if recorded else "would be recorded (dry run)"
    by_reviewer: dict[str, int] = {}
    for d in result.decisions:
        by_reviewer[d.reviewer] = by_reviewer.get(d.reviewer, 0) + 1
    counts = f" ({', '.join(f'{r} {n}' for r, n in sorted(by_reviewer.items()))})" if by_reviewer else ""
    console.print(f"{len(result.decisions)} decision(s) {verb}{counts}; {result.unchanged} unchanged; "
                  f"{len(result.unmatched) + result.left_out} coding(s) not recorded")


@import_group.command("qdpx")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@draft_option
@click.option("--dry-run", is_flag=True, help="Report what would be recorded; write nothing to reviews/.")
@click.option("--by", "settled_by", default="",
              help="Who records the file's consensus codings for the team (allowed to settle by review.yaml); "
                   "without it they are left out.")
@click.option("--untimed-wins", is_flag=True,
              help="Where the file says not when a coding was made (QualCoder writes no times) and it differs from "
                   "the reviewer's current decision, record the file's answer (default: keep the current one and "
                   "list the difference).")
@project_option
@library_errors
def import_qdpx_cmd(path: Path, draft: Path | None, dry_run: bool, settled_by: str, untimed_wins: bool,
                    project_dir: Path) -> None:
    """Record the codings of a REFI-QDA project PATH as its coders' decisions."""
    result = import_qdpx(open_project(project_dir), path, draft=draft, dry_run=dry_run, settled_by=settled_by,
                         untimed_wins=untimed_wins)
    _report(result, recorded=not dry_run)


@import_group.command("qdc")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@draft_option
@project_option
@library_errors
def import_qdc_cmd(path: Path, draft: Path | None, project_dir: Path) -> None:
    """Map a REFI-QDA codebook PATH onto codebook.yaml (and write it as a draft with --draft)."""
    result = import_qdc(open_project(project_dir), path, draft=draft)
    _report(result, recorded=False, codings=False)
