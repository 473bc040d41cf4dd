"""``review``: code-first review and the learning queue from the command line - the same library
functions the workbench's code-first and queue views call."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from mapping_review.cli.common import console, library_errors, open_for, project_option, warn_unread
from mapping_review.cli.review import reviewer_option
from mapping_review.errors import ConfigError
from mapping_review.review.codefirst import (
    TOP,
    answer_decisions,
    code_first,
    find_segment,
    next_undecided,
    quote_decision,
)
from mapping_review.review.decisions import append_decisions
from mapping_review.review.progress import review_progress
from mapping_review.review.queue import STRATEGIES
from mapping_review.review.queue_state import STOP_WINDOW, build_queue, queue_view
from mapping_review.review.state import ReviewState, adjudication_of, load_review, segments_by_id

ANSWER_WORDS = {True: "present", False: "absent", None: "undecided"}


@click.group("review")
def review_group() -> None:
    """Code-first review: per guide and code, the machine's answer and best evidence, your answer."""


@review_group.command("codes")
@click.argument("guide")
@reviewer_option
@click.option("--top", type=click.IntRange(min=0), default=TOP, show_default=True, help="Quotes shown per code.")
@project_option
@library_errors
def codes_cmd(guide: str, reviewer: str, top: int, project_dir: Path) -> None:
    """Every code of GUIDE: the machine's answer, REVIEWER's own answer and the best evidence (blind)."""
    state = load_review(open_for(project_dir, reviewer))
    view = code_first(state, guide, reviewer, top=top)
    console.print(f"{escape(guide)}: {view.n_decided} of {len(view.rows)} codes answered by {escape(reviewer)}")
    for row in view.rows:
        mark = ANSWER_WORDS[row.answer] + ("" if row.explicit or row.answer is None else " (an accepted quote)")
        console.print(f"\n[bold]{escape(row.code)}[/] - {escape(row.label)}: you: {mark}; "
                      f"machine: {row.machine_words} ({row.n_evidence} suggestion(s))")
        for q in row.quotes:
            console.print(f"  {escape(f'[{q.status}]')} p. {q.page} {escape(q.segment)} evidence {q.evidence:g}: "
                          f"{escape(q.text[:200])}")


@review_group.command("answer")
@click.argument("guide")
@click.argument("code")
@click.argument("answer", type=click.Choice(["present", "absent", "undecided", "yes", "no"]))
@reviewer_option
@click.option("--note", default="", help="Why (kept with the decision).")
@project_option
@library_errors
def answer_cmd(guide: str, code: str, answer: str, reviewer: str, note: str, project_dir: Path) -> None:
    """Record REVIEWER's guide-level answer for GUIDE and CODE: present (yes), absent (no), or undecided
    (records nothing)."""
    project = open_for(project_dir, reviewer)
    state = load_review(project)
    decisions = answer_decisions(state, guide, code, answer, reviewer=reviewer, note=note, origin="cli:review")
    append_decisions(project.reviews_dir, decisions)
    console.print(f"{len(decisions)} decision(s) recorded for {escape(reviewer)}")
    _print_next(state, reviewer, (guide, code))


@review_group.command("quote")
@click.argument("guide")
@click.argument("segment")
@click.argument("code")
@click.argument("action", type=click.Choice(["accept", "reject"]))
@reviewer_option
@click.option("--note", default="", help="Why (kept with the decision).")
@project_option
@library_errors
def quote_cmd(guide: str, segment: str, code: str, action: str, reviewer: str, note: str, project_dir: Path) -> None:
    """Accept or reject SEGMENT as evidence of CODE in GUIDE."""
    project = open_for(project_dir, reviewer)
    state = load_review(project)
    state.codebook.code(code)
    seg = find_segment(segments_by_id(project, [guide]) if guide in state.guides else {}, guide, segment)
    append_decisions(project.reviews_dir, [quote_decision(seg, code, action, reviewer=reviewer, note=note,
                                                          origin="cli:review")])
    console.print(f"{action}ed {escape(segment)} for {escape(code)} ({escape(reviewer)})")


@review_group.command("next")
@reviewer_option
@click.option("--after", default=None, metavar="GUIDE/CODE", help="Start after this guide and code.")
@project_option
@library_errors
def next_cmd(reviewer: str, after: str | None, project_dir: Path) -> None:
    """The next guide and code REVIEWER has not answered."""
    state = load_review(open_for(project_dir, reviewer))
    where = None
    if after:
        guide, _, code = after.partition("/")
        if not code:
            raise ConfigError(f"--after takes GUIDE/CODE, not {after!r}")
        where = (guide, code)
    _print_next(state, reviewer, where)


def _print_next(state: ReviewState, reviewer: str, after: tuple[str, str] | None) -> None:
    cell = next_undecided(state, reviewer, after=after)
    console.print(f"Next unanswered: none - {escape(reviewer)} has answered every guide and code." if cell is None
                  else f"Next: {escape(cell[0])} {escape(cell[1])}")


@review_group.command("queue")
@reviewer_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="How many suggestions to list.")
@click.option("--code", "codes", multiple=True, help="Only these codes (repeatable).")
@click.option("--guide", "guides", multiple=True, help="Only these guides (repeatable).")
@click.option("--strategy", type=click.Choice(STRATEGIES), default="gain", show_default=True,
              help="gain: what teaches most about the guide-level answers; relevance: most likely evidence first.")
@click.option("--window", type=click.IntRange(min=1), default=STOP_WINDOW, show_default=True,
              help="Stopping hint: no supporting sentence in the last N shown.")
@project_option
@library_errors
def queue_cmd(reviewer: str, limit: int, codes: tuple[str, ...], guides: tuple[str, ...], strategy: str, window: int,
              project_dir: Path) -> None:
    """The suggestions most worth REVIEWER's decision next, across all guides (the learning queue)."""
    state = load_review(open_for(project_dir, reviewer))
    for code in codes:
        state.codebook.code(code)
    queue = build_queue(state.suggestions, state.decisions, reviewer, strategy=strategy)
    view = queue_view(queue, limit=limit, codes=codes or None, guides=guides or None, window=window)
    table = Table("guide", "code", "segment", "p", "priority", "sentence")
    for r in view.items:
        c = r.candidate
        table.add_row(escape(c.guide), escape(c.code), escape(c.segment), f"{r.probability:.2f}", f"{r.priority:.2f}",
                      escape(c.text[:120]))
    console.print(table)
    console.print(f"{view.n_decided} of {view.n_candidates} suggestions decided by {escape(reviewer)}")
    warn_unread(state.unread, guides or state.keys)
    for hint in view.hints:
        if hint.decided:
            console.print(f"{escape(hint.code)}: {hint.supporting} of {hint.decided} supported; {escape(hint.message())}")


@review_group.command("progress")
@reviewer_option
@project_option
@library_errors
def progress_cmd(reviewer: str, project_dir: Path) -> None:
    """How much REVIEWER has answered per guide, how much is left, and where they disagree with others."""
    state = load_review(open_for(project_dir, reviewer))
    adjudicator = reviewer in adjudication_of(state).settings.adjudicators
    progress = review_progress(state, reviewer, adjudicator=adjudicator)
    table = Table("guide", "codes answered", "left", "quotes decided")
    for g in progress.guides:
        table.add_row(escape(g.guide), f"{g.decided} / {g.n_codes}", str(g.left), f"{g.quotes_decided} / {g.n_suggestions}")
    console.print(table)
    console.print(f"{progress.decided} of {progress.total} guide-code answers given; {progress.left} left")
    for c in progress.conflicts:
        who = ", ".join(f"{r}={'yes' if v else 'no'}" for r, v in sorted(c.answers.items()))
        console.print(f"Disagreement on {escape(c.guide)} {escape(c.code)}: {escape(who)}")
    if adjudicator and progress.hidden_conflicts:
        console.print(f"{progress.hidden_conflicts} more disagreement(s) between other reviewers on items you have not "
                      "answered")
