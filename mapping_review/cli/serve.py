"""``serve``: the reviewer workbench in the browser."""

from __future__ import annotations

from pathlib import Path

import click

from mapping_review.cli.common import console, library_errors
from mapping_review.project.layout import open_project


@click.command()
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
