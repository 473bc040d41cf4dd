"""The ``mapping-review`` command: thin wrappers over the library, one module per group of verbs.

Each command parses its options, calls one library function and renders what it returns. Expected
failures are library exceptions, printed as ``Error: ...`` with a non-zero exit and no traceback.
The verbs are registered here, in one place; no module of this package imports this one.
"""

from __future__ import annotations

import logging

import click

from mapping_review.cli import codefirst, criteria, exchange, project, review, serve, stages


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mapping-review")
def main() -> None:
    """Literature mapping reviews of guideline documents.

    Extract guideline PDFs, segment them, and (re)build the review with one command.
    """
    # bibtexparser logs each entry it cannot parse; the import reports it as its own error, with its line
    logging.getLogger("bibtexparser").setLevel(logging.ERROR)


for command in (
    project.init, project.corpus,
    stages.build, stages.extract, stages.segment, stages.code_cmd, stages.inspect_cmd,
    review.sheet, review.worksheet, review.agreement_cmd, review.adjudicate_cmd, review.consensus_cmd,
    review.calibrate_cmd, review.learn_cmd, codefirst.review_group,
    criteria.criteria,
    serve.serve, exchange.export_group, exchange.import_group,
):
    main.add_command(command)
project.corpus.add_command(exchange.corpus_import)

if __name__ == "__main__":  # pragma: no cover
    main()
