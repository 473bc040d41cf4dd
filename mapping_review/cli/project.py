"""``init`` and ``corpus add|remove|list|fetch|verify``: the project and its guides."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from mapping_review.cli.common import console, err_console, library_errors, project_option, some_failed
from mapping_review.coding.codebook import codebook_from_located
from mapping_review.project import corpus as corpus_lib
from mapping_review.project.layout import init_project, open_project
from mapping_review.project.yamlfile import load_yaml
from mapping_review.segment.stage import build_states


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--codebook", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="Start from this codebook instead of the paper's.")
@library_errors
def init(directory: Path, codebook: Path | None) -> None:
    """Create a review project in DIRECTORY (codebook.yaml, corpus/, reviews/, build/)."""
    if codebook is not None:
        codebook_from_located(load_yaml(codebook))  # a broken codebook is reported now, not at the first build
    project = init_project(directory, codebook=codebook)
    console.print(f"Created review project in {escape(str(project.root))}")
    console.print(f"Add guides with: mapping-review corpus add GUIDE.pdf --key KEY -p {escape(str(project.root))}")


@click.group()
def corpus() -> None:
    """Add, remove, list and verify the guides of the review."""


@corpus.command("add")
@click.argument("pdf", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", required=True, help="Citation key of the guide (letters, digits, _ - .).")
@click.option("--title", default="", help="Title (default: the PDF's own title).")
@click.option("--year", type=int, default=None, help="Year of publication.")
@click.option("--publisher", default="", help="Publisher or issuing body.")
@click.option("--authors", default="", help="Authors, as they should be cited.")
@click.option("--url", default="", help="Official URL of the guide.")
@click.option("--doi", default="", help="DOI of the guide (10.xxxx/...).")
@click.option("--password", default="", help="User password, for PDFs that need one to open.")
@click.option("--link", is_flag=True, help="Record where the PDF is instead of copying it into corpus/.")
@click.option("--replace", is_flag=True, help="Replace an existing guide with the same key.")
@click.option("--ocr/--no-ocr", default=None,
              help="Recognise the text of pages that are only images (OCRmyPDF with Tesseract) when building.")
@project_option
@library_errors
def corpus_add(pdf: Path, key: str, title: str, year: int | None, publisher: str, authors: str, url: str,
               doi: str, password: str, link: bool, replace: bool, ocr: bool | None, project_dir: Path) -> None:
    """Add PDF to the corpus as guide KEY, recording its sha256."""
    project = open_project(project_dir)
    guide = corpus_lib.add_guide(project, pdf, key=key, title=title, year=year, publisher=publisher,
                                 authors=authors, url=url, doi=doi, password=password, link=link, replace=replace,
                                 ocr=ocr)
    console.print(f"Added {escape(guide.key)}: {escape(guide.title or '(no title)')} \\[sha256 {guide.sha256[:12]}]")
    missing = [name for name, value in (("title", guide.title), ("year", guide.year)) if not value]
    if missing:
        err_console.print(f"[yellow]Warning:[/] no {' or '.join(missing)} for {escape(guide.key)}: the review's "
                          f"references cite it by its key alone; give {', '.join('--' + m for m in missing)} "
                          f"(corpus add PDF --key {escape(guide.key)} --replace ...)")


@corpus.command("remove")
@click.argument("key")
@project_option
@library_errors
def corpus_remove(key: str, project_dir: Path) -> None:
    """Take guide KEY out of the review. Its PDF is left where it is, and reviewers' decisions on it stay in
    reviews/ (left out of the tables until the guide is added again)."""
    from mapping_review.review.decisions import read_decisions

    project = open_project(project_dir)
    file = corpus_lib.remove_guide(project, key)
    console.print(f"Removed {escape(key)} from {escape(project.relative(project.manifest_path))}"
                  + (f"; its file {escape(file)} is left where it is (a guide added again under this key and "
                     "copied into corpus/ takes its place)" if file else ""))
    kept = sum(d.guide == key for d in read_decisions(project.reviews_dir))
    if kept:
        err_console.print(f"[yellow]Warning:[/] {kept} decision(s) on {escape(key)} stay in reviews/; "
                          f"builds leave them out of the tables until it is added again (corpus add PDF --key "
                          f"{escape(key)})")


def _states_table(states: list[corpus_lib.GuideState], built: dict[str, str] | None = None) -> Table:
    table = Table("key", "year", "title", "file", "state", "detail", *(["build"] if built is not None else []))
    for s in states:
        colour = {"ok": "green", "no file": "yellow"}.get(s.state, "red")
        extra = [built.get(s.key, "")] if built is not None else []
        table.add_row(*map(escape, (s.key, str(s.year or ""), s.title, s.file)), f"[{colour}]{s.state}[/]",
                      escape(s.detail), *map(escape, extra))
    return table


@corpus.command("list")
@project_option
@library_errors
def corpus_list(project_dir: Path) -> None:
    """Show the guides, their files and whether they have been extracted."""
    project = open_project(project_dir)
    states, manifest = corpus_lib.verify_corpus(project)
    console.print(_states_table(states, build_states(project)))
    for problem in manifest.problems:
        err_console.print(f"[red]Error:[/] {escape(problem.message)}")


@corpus.command("fetch")
@click.argument("keys", nargs=-1)
@click.option("--force", is_flag=True, help="Download again even when the file is there.")
@project_option
@library_errors
def corpus_fetch(keys: tuple[str, ...], force: bool, project_dir: Path) -> None:
    """Download the guides that have a URL (all, or KEYS), checking they are PDFs and match their sha256."""
    from mapping_review.project.fetch import fetch_corpus

    project = open_project(project_dir)
    results = fetch_corpus(project, keys=list(keys) or None, force=force)
    for r in results:
        if r.status == "failed":
            err_console.print(f"[red]Error:[/] {escape(r.key)}: {escape(r.message)}")
        else:
            console.print(f"{escape(r.key)}: {r.status} {escape(r.message)}")
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise click.ClickException(some_failed(len(failed), len(results)))


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
        err_console.print(f"[red]Error:[/] {escape(problem.message)}")
    if bad or manifest.problems:
        raise click.ClickException(f"{len(bad) + len(manifest.problems)} guide(s) failed verification")
    verified = [s for s in states if s.state == "ok"]
    unpinned = [s.key for s in states if s.state == "unpinned"]
    if unpinned:
        err_console.print(f"[yellow]Warning:[/] no sha256 recorded, so not verified: {escape(', '.join(unpinned))}; "
                          "record one with `corpus add FILE --key KEY --replace`")
    if not verified:
        msg = (f"nothing was verified: none of the {len(states)} guide(s) has a file with a recorded sha256 "
               "(add the PDFs with `mapping-review corpus add` or `corpus fetch`)")
        raise click.ClickException(msg)
    unchecked = len(states) - len(verified) - len(unpinned)
    console.print(f"{len(verified)} guide(s) verified" + (f", {len(unpinned)} without a recorded sha256" if unpinned else "")
                  + f", {unchecked} without a file to check")
