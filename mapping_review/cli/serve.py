"""``serve``: the reviewer workbench in the browser, on a production WSGI server (waitress)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from mapping_review.cli.common import console, library_errors, project_argument_or_option
from mapping_review.project.layout import open_project


@click.command()
@project_argument_or_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--token", default=None, envvar="MAPPING_REVIEW_TOKEN",
              help="Access token; required to listen on anything but this machine.")
@click.option("--allow-host", "allow_hosts", multiple=True,
              help="Another host name browsers may use to reach the server (repeatable); requests naming any "
                   "other host are refused.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Requests served at once.")
@library_errors
def serve(project_dir: Path, host: str, port: int, token: str | None, allow_hosts: tuple[str, ...],
          threads: int) -> None:
    """Start the reviewer workbench in the browser, over the project's own files."""
    from waitress import serve as run_server

    from mapping_review.web.app import check_binding, create_app

    project = open_project(project_dir)
    check_binding(host, token)
    app = create_app(project, token=token, host=host, allow_hosts=allow_hosts)
    suffix = "/?token=..." if token else "/"
    console.print(f"Reviewer workbench on http://{escape(host)}:{port}{escape(suffix)}  (Ctrl+C stops it)")
    run_server(app, host=host, port=port, threads=threads, ident="mapping-review")
