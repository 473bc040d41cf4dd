"""Reviewing commands: sheet, worksheet, agreement, adjudicate, consensus, calibrate, learn.
Each parses options, calls the library and prints what it returns."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from mapping_review.cli.common import console, err_console, library_errors, open_for, project_option, warn_unread
from mapping_review.coding.calibration import MIN_GAIN, share_of
from mapping_review.errors import ConfigError
from mapping_review.project.layout import open_project
from mapping_review.project.yamlfile import suggest
from mapping_review.review.adjudication import (
    adjudicate,
    check_agreed_sheet,
    check_recorder,
    read_adjudications,
    settleable,
    write_disagreements,
)
from mapping_review.review.agreement import fmt
from mapping_review.review.decisions import CONSENSUS, append_decisions, recording
from mapping_review.review.labels import sheet_quotes
from mapping_review.review.queue_state import rank_for_review
from mapping_review.review.sheets import export_sheet, read_sheet
from mapping_review.review.state import (
    MIN_CALIBRATION_GUIDES,
    adjudication_of,
    agreement_by_code,
    calibration_of,
    load_review,
    resolve_review,
    segments_by_guide,
    segments_by_id,
    unsettled_cells,
)
from mapping_review.review.tables_io import write_table
from mapping_review.review.worksheet import export_worksheet, read_worksheet

reviewer_option = click.option("-r", "--reviewer", required=True, help="Who is deciding (letters, digits, _ - .).")


@click.group()
def sheet() -> None:
    """The paper-shaped coding sheet: one row per guide, one column per feature."""


force_option = click.option("--force", is_flag=True, help="Overwrite the file if it exists.")


def _not_consensus(reviewer: str, instead: str) -> None:
    if reviewer == CONSENSUS:
        raise ConfigError(f"'{CONSENSUS}' is not a reviewer who codes: {instead}")


def _fresh(path: Path, force: bool) -> Path:
    """Refuse to overwrite a sheet a reviewer may be filling in."""
    if path.exists() and not force:
        raise ConfigError(f"{path} exists (perhaps half filled in); import it first, or pass --force or -o OTHER")
    return path


@sheet.command("export")
@reviewer_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (.csv or .xlsx; default reviews/sheets/REVIEWER.csv).")
@force_option
@project_option
@library_errors
def sheet_export(reviewer: str, output: Path | None, force: bool, project_dir: Path) -> None:
    """Write REVIEWER's blind sheet: their own answers only (empty = undecided), the machine's as a hint."""
    _not_consensus(reviewer, "the agreed answers are in build/tables/coding_sheet.csv")
    project = open_for(project_dir, reviewer)
    state = load_review(project)
    tables = resolve_review(state, use_calibration=False)  # the machine's own answer, never fitted to others'
    path = _fresh(output or project.root / "reviews" / "sheets" / f"{reviewer}.csv", force)
    export_sheet(path, state.codebook, state.keys, reviewer=reviewer, decisions=state.decisions,
                 machine=tables.auto, evidence=state.evidence, unread=state.unread)
    console.print(f"Wrote {escape(str(path))}")


@sheet.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@reviewer_option
@click.option("--complete", is_flag=True,
              help="The sheet is finished: an empty cell means No (as in the paper's own sheet). "
                   "Without it an empty cell is undecided and records nothing.")
@click.option("--by", "settled_by", default="",
              help="With -r consensus: who is recording the agreed sheet (an adjudicator of review.yaml).")
@project_option
@library_errors
def sheet_import(path: Path, reviewer: str, complete: bool, settled_by: str, project_dir: Path) -> None:
    """Record what REVIEWER filled in on a coding sheet (CSV or XLSX) as their decisions (append-only).

    A team's agreed sheet is recorded with -r consensus --by NAME, NAME being allowed to settle.
    """
    project = open_for(project_dir, reviewer)
    with recording(project.reviews_dir):  # checked against the answers it is recorded over
        state = load_review(project)
        review = adjudication_of(state)
        check_recorder(reviewer, settled_by, review.settings)
        result = read_sheet(path, state.codebook, guides=state.guides, reviewer=reviewer, previous=state.decisions,
                            complete=complete, settled_by=settled_by)
        quotes = sheet_quotes(path, state.codebook, project_segments=segments_by_guide(project, state.keys),
                              guides=state.guides, reviewer=reviewer, settled_by=settled_by)
        if reviewer == CONSENSUS:
            check_agreed_sheet(review, result.decisions + quotes.decisions, by=settled_by)
        append_decisions(project.reviews_dir, result.decisions + quotes.decisions)
    console.print(f"{len(result.decisions)} decision(s) recorded for {escape(reviewer)}, "
                  f"{result.unchanged} answer(s) already given, {result.undecided} cell(s) left undecided"
                  + (f"; {quotes.n_quotes} quote(s) recorded as evidence" if quotes.n_quotes else ""))
    if result.kept:
        err_console.print(f"[yellow]Warning:[/] {result.kept} cell(s) were emptied; your earlier answers there stand "
                          "(write No to answer no)")
    if result.superseded:
        err_console.print(f"[yellow]Note:[/] {result.superseded} answer(s) in cells left as exported were given again "
                          "since the export; those later answers stand")
    if result.missing_features:
        err_console.print(f"[yellow]Warning:[/] no column for: {escape(', '.join(result.missing_features))}")


@click.group()
def worksheet() -> None:
    """The segment worksheet: accept or reject suggestions, add codes to segments."""


@worksheet.command("export")
@reviewer_option
@click.option("--guide", "guides", multiple=True, help="Only these guides (repeatable).")
@click.option("--code", "codes", multiple=True, help="Only these codes (repeatable).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most this many rows, most worth deciding first (the learning queue, queue.v1, trained on "
                   "REVIEWER's own decisions).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default reviews/worksheets/REVIEWER.csv).")
@force_option
@project_option
@library_errors
def worksheet_export(reviewer: str, guides: tuple[str, ...], codes: tuple[str, ...], limit: int | None,
                     output: Path | None, force: bool, project_dir: Path) -> None:
    """Write REVIEWER's worksheet of machine suggestions, best first.

    In the decision column write accept (a, yes, y, 1, true) or reject (r, no, n, 0, false, x);
    leave it empty to decide later. add_codes takes further code ids, comma-separated.
    """
    _not_consensus(reviewer, "settle segments with `adjudicate --segment`")
    project = open_for(project_dir, reviewer)
    state = load_review(project)
    for code in codes:
        state.codebook.code(code)
    for guide in guides:
        if guide not in state.guides:
            raise ConfigError(f"unknown guide {guide!r}{suggest(guide, state.keys)}")
    chosen = [s for s in state.suggestions if (not guides or s.guide in guides) and (not codes or s.code in codes)]
    ranked = rank_for_review(chosen, segments=segments_by_id(project, state.keys), decisions=state.decisions,
                             reviewer=reviewer, limit=limit)
    path = _fresh(output or project.root / "reviews" / "worksheets" / f"{reviewer}.csv", force)
    export_worksheet(path, ranked, reviewer=reviewer, decisions=state.decisions)
    console.print(f"Wrote {escape(str(path))} ({len(ranked)} suggestions)")
    warn_unread(state.unread, guides or state.keys)


@worksheet.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@reviewer_option
@project_option
@library_errors
def worksheet_import(path: Path, reviewer: str, project_dir: Path) -> None:
    """Record a filled-in worksheet as REVIEWER's segment decisions (append-only)."""
    _not_consensus(reviewer, "settle segments with `adjudicate --segment`")
    project = open_for(project_dir, reviewer)
    with recording(project.reviews_dir):  # checked against the answers it is recorded over
        state = load_review(project)
        result = read_worksheet(path, state.codebook, segments=segments_by_id(project, state.keys), guides=state.keys,
                                reviewer=reviewer, previous=state.decisions)
        append_decisions(project.reviews_dir, result.decisions)
    console.print(f"{len(result.decisions)} decision(s) recorded for {escape(reviewer)}, "
                  f"{result.unchanged} already recorded, {result.skipped} row(s) left blank")
    if result.superseded:
        err_console.print(f"[yellow]Note:[/] {result.superseded} row(s) left as exported were decided again since the "
                          "export; those later decisions stand")
    for line in result.needs_review:
        err_console.print(f"[yellow]Re-review:[/] {escape(line)}")


@click.command("agreement")
@click.option("--level", type=click.Choice(["guide", "segment"]), default="guide", show_default=True,
              help="guide: the guide-level answers (sheets, code-first); segment: accepted and rejected quotes.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the table as CSV.")
@project_option
@library_errors
def agreement_cmd(level: str, output: Path | None, project_dir: Path) -> None:
    """Agreement between reviewers per code and overall, on the items both (all) decided.

    units: items two or more reviewers decided; n a~b: items both a and b decided (Cohen's kappa
    is computed on those only; an undecided item is never taken for No).
    """
    project = open_project(project_dir)
    state = load_review(project)
    by_code, overall, raters = agreement_by_code(state, level=level)
    if len(raters) < 2:
        raise ConfigError(f"agreement needs two or more reviewers with {level}-level decisions; found {raters or 'none'}")
    pairs = list(overall.cohen)
    header = ["code", "units", "percent", *[h for a, b in pairs for h in (f"n {a}~{b}", f"cohen {a}~{b}")],
              "fleiss", "alpha"]
    rows = [[code, a.n_units, fmt(a.percent), *[v for p in pairs for v in (a.n_pairs[p], fmt(a.cohen[p]))],
             fmt(a.fleiss), fmt(a.alpha)] for code, a in [*by_code.items(), ("ALL", overall)]]
    table = Table(*map(escape, header))
    shown = [row for row in rows if row[1] or row[0] == "ALL"]  # a code no two reviewers decided says nothing
    for row in shown:
        table.add_row(*map(str, row))
    console.print(table)
    if len(shown) < len(rows):
        console.print(f"{len(rows) - len(shown)} code(s) that no two reviewers decided at {level} level are not shown"
                      + (f" (they are in {escape(str(output))})" if output else ""))
    if output:
        write_table(output, header, rows)


@click.command("adjudicate")
@click.argument("guide", required=False)
@click.argument("code", required=False)
@click.argument("answer", required=False, type=click.Choice(["yes", "no"]))
@reviewer_option
@click.option("--segment", default="", help="Settle this segment's disagreement on CODE (yes = accept).")
@click.option("--note", default="", help="Why (kept with the decision).")
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the open disagreements REVIEWER may settle to this CSV, to settle them there.")
@click.option("--import", "import_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Record the answers filled into an exported disagreements CSV.")
@force_option
@project_option
@library_errors
def adjudicate_cmd(guide: str | None, code: str | None, answer: str | None, reviewer: str, segment: str, note: str,
                   export_path: Path | None, import_path: Path | None, force: bool, project_dir: Path) -> None:
    """Settle disagreements as REVIEWER: GUIDE CODE yes|no [--segment ID], or --export / --import a file.

    Who may settle is set in review.yaml (review.adjudicators; while none are named, anyone who has
    coded nothing in the guide). Settlements are recorded as consensus decisions that name who settled them.
    """
    project = open_for(project_dir, reviewer)
    if export_path:
        state = load_review(project)
        review = adjudication_of(state)
        items, why_not = settleable(reviewer, resolve_review(state).open, review)
        write_disagreements(export_path, items, force=force)
        console.print(f"Wrote {len(items)} disagreement(s) {escape(reviewer)} may settle to {escape(str(export_path))}")
        if why_not:
            err_console.print(f"[yellow]Warning:[/] {escape(why_not)}")
        return
    if not import_path and not (guide and code and answer):
        msg = "give GUIDE CODE yes|no, or --export FILE, or --import FILE"
        raise ConfigError(msg)
    already: list[str] = []
    blank: list[int] = []
    with recording(project.reviews_dir):  # still open when settled: no other settlement in between
        review = adjudication_of(load_review(project))
        if import_path:
            decisions = read_adjudications(import_path, review, by=reviewer, already=already, blank=blank)
        else:
            decisions = [adjudicate(review, guide or "", code or "", answer == "yes", by=reviewer, segment=segment,
                                    note=note)]
        append_decisions(project.reviews_dir, decisions)
    console.print(f"{len(decisions)} consensus decision(s) recorded, settled by {escape(reviewer)}"
                  + (f"; {len(already)} already settled so by {escape(reviewer)} (the file imported before)"
                     if already else "")
                  + (f"; {len(blank)} row(s) without a decision recorded nothing (row {', '.join(map(str, blank))})"
                     if blank else ""))


@click.command("consensus")
@project_option
@library_errors
def consensus_cmd(project_dir: Path) -> None:
    """Resolve every guide x code (consensus > reviewers > machine) and write what follows from it: the
    tables, the sheet, the summary, the criteria, the graph and the figures (a build's outputs, without
    reading any PDF)."""
    from mapping_review.pipeline.build import publish_review
    from mapping_review.project.settings import load_settings

    project = open_project(project_dir)
    published = publish_review(project, load_settings(project.root))  # as the build resolves and writes it
    tables = published.tables
    folders = sorted({project.relative(path.parent) for path in published.written})
    if published.written:
        console.print(f"Wrote {len(published.written)} file(s) in {', '.join(folders)}")
    for line in published.warnings:  # as a build says them
        err_console.print(f"[yellow]Warning:[/] {escape(line)}")
    sources: dict[str, int] = {}
    for r in tables.rows:
        kind = r.source.split(":")[0]
        sources[kind] = sources.get(kind, 0) + 1
    console.print(", ".join(f"{n} from {k}" for k, n in sorted(sources.items())))
    if tables.open:
        err_console.print(f"{len(tables.open)} open disagreement(s): an adjudicator lists them with "
                          "`mapping-review adjudicate -r NAME --export FILE`")


@click.command("calibrate")
@project_option
@library_errors
def calibrate_cmd(project_dir: Path) -> None:
    """Fit one pooled guide-level rule to the reviewers (a code's own rule only where it wins on held-out
    guides); report agreement before and after, each guide held out in turn."""
    project = open_project(project_dir)
    state = load_review(project)
    cal = calibration_of(state)
    if cal is None:
        msg = f"calibration needs reviewer decisions on at least {MIN_CALIBRATION_GUIDES} guides that have machine evidence"
        raise ConfigError(msg)
    unsettled = unsettled_cells(state)
    console.print(f"Fitted to the {len(cal.truth)} guide x code answers the reviewers settled (a consensus, or every "
                  "reviewer alike)" + (f"; {unsettled} answered differently are left out until settled" if unsettled
                                       else "") + ". Each guide held out in turn, the machine's agreement with them:")
    table = Table("held-out guide", "answers", "agreement before", "agreement after")
    answers = {g: sum(k[0] == g for k in cal.truth) for g in cal.agreement_before}
    for guide in sorted(cal.agreement_before):
        table.add_row(guide, str(answers[guide]), f"{cal.agreement_before[guide]:.3f}",
                      f"{cal.agreement_after[guide]:.3f}")
    table.add_row("mean of guides", str(sum(answers.values())), f"{cal.mean_before:.3f}", f"{cal.mean_after:.3f}")
    table.add_row("Cohen's kappa", fmt(cal.kappa_before), fmt(cal.kappa_after))
    console.print(table)
    if len(cal.agreement_before) < 3:
        console.print("Each guide is answered by what the build would use had only the others been reviewed: with "
                      "two guides that is one, on which a fitted pooled rule cannot pass its held-out check, so "
                      "'after' shows no gain from it; a third reviewed guide lets it show.")
    why = (f"fitted without each guide in turn, a pooled rule got {cal.pooled_gain} more of that guide's answers "
           f"right; it needs {MIN_GAIN}") if cal.pooled_gain < MIN_GAIN else ""
    verdict = (("the build now answers with it" + (f" (the codebook's pooled rule stays: {why})" if why else ""))
               if cal.replaced else "the codebook's rule and share stay: no fit got enough more answers right"
               + (f" ({why})" if why else ""))
    console.print(f"Pooled rule ({cal.name}): {cal.pooled}; codes a guide leads with: {share_of(cal.leading)}; "
                  f"codes with a fitted rule of their own: {', '.join(cal.per_code) or 'none'}"
                  + (f"; keeping the rule the codebook sets on them: {', '.join(cal.codebook_rules)}"
                     if cal.codebook_rules else "") + f"; {verdict}"
                  + (f" (the codebook's: {cal.default}; codes a guide leads with: {share_of(cal.default_leading)})"
                     if cal.replaced else ""))


@click.command("learn")
@project_option
@click.option("--from", "sources", multiple=True, metavar="REVIEWER",
              help="Learn from these reviewers' decisions (repeat it; 'consensus', or 'all' for everyone's). "
                   "Default: the consensus's when two or more reviewers code, so that no coder sees another's "
                   "decisions in the evidence scores; else everyone's.")
@library_errors
def learn_cmd(project_dir: Path, sources: tuple[str, ...]) -> None:
    """Learn from reviewers' segment decisions and quotes: tfidf-logreg.v1 per code (cross-validated precision
    and recall), and the evidence classifier, kept only when it beats the shipped one on held-out guides."""
    from mapping_review.coding.learn import SuggestionRanker
    from mapping_review.coding.stage import project_model_path
    from mapping_review.review.decisions import learning_decisions, segment_labels
    from mapping_review.review.labels import learn_evidence_model

    project = open_project(project_dir)
    state = load_review(project)
    decisions, whose = learning_decisions(state.decisions, sources=sources)
    segments = segments_by_id(project, state.keys)
    ranker = SuggestionRanker().fit(segments, segment_labels(decisions))
    evidence = learn_evidence_model(state.codebook, decisions, segments, state.suggestions,
                                    out=project_model_path(project))
    console.print(f"Learning from {escape(whose)} ({sum(d.level == 'segment' for d in decisions)} segment decisions)")
    if not ranker.report_ and evidence.project_auc is None:
        msg = (f"no code has 5 accepted and 5 rejected segments yet in {whose}, and the evidence classifier "
               f"{evidence.reason}" + ("" if sources or whose != f"the decisions of {CONSENSUS}" else
                                      "; by default, with two or more coders, only the consensus's decisions are "
                                      "learnt from (settled disagreements): --from all learns from every "
                                      "reviewer's, whose evidence scores then show coders each other's reading"))
        raise ConfigError(msg)
    rows = [[r.code, r.n_positive, r.n_negative, f"{r.precision:.3f}", f"{r.recall:.3f}"] for r in ranker.report_]
    header = ["code", "positives", "negatives", "precision", "recall"]
    write_table(project.build_dir / "tables" / "model_report.csv", header, rows)
    table = Table(*header)
    for row in rows:
        table.add_row(*map(str, row))
    console.print(table)
    aucs = ", ".join(f"{name} {value:.3f}" for name, value in
                     (("shipped", evidence.shipped_auc), ("yours", evidence.project_auc)) if value is not None)
    console.print(f"Evidence classifier: {evidence.n_examples} labelled suggestions on {len(evidence.guides)} guide(s)"
                  + (f"; held-out AUC {aucs}" if aucs else "") + f"; {evidence.reason}"
                  + (f" ({project.relative(evidence.written)}; the next build codes with it)" if evidence.written else ""))
