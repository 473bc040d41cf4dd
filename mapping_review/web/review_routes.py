"""The workbench's review pages: the reviewer's blind coding sheet, and the disagreements an
adjudicator may settle (guide and segment level)."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, g, redirect, render_template, request, url_for

from mapping_review.review.adjudication import adjudicate, may_settle
from mapping_review.review.decisions import CONSENSUS, Decision, now, own_answers, recording
from mapping_review.review.state import adjudication_of, resolve_review
from mapping_review.web.routes import store
from mapping_review.web.security import BadRequest, bool_field, json_object, text_field

ANSWERS = {"yes": True, "no": False}


def sheet_view() -> Any:
    """The signed-in reviewer's own answers, and the machine's as a hint: nothing of anyone else's."""
    state = store().state()
    tables = resolve_review(state, use_calibration=False)  # the machine's own answer, never fitted to others'
    own = {key: d.value for key, d in own_answers(state.decisions, g.reviewer).items()}
    return render_template("sheet.html", guides=store().guides(), features=state.codebook.features, machine=tables.auto,
                           mine=own, evidence=state.evidence, unread=state.unread, saved=request.args.get("saved", ""))


def sheet_save(key: str) -> Any:
    """Record the cells of one row that the reviewer answered or changed; undecided cells record nothing.

    Each cell also sends the answer the page showed (``shown:CODE``): a cell left as shown records nothing,
    and a row from a page older than an answer given since (another tab, the code-first view, the CLI) is
    refused whole rather than undoing that answer."""
    with store().recording(g.reviewer), recording(store().project.reviews_dir):  # checked is what it is recorded over
        state = store().state()
        if key not in state.guides:
            abort(404)
        own = {key: d.value for key, d in own_answers(state.decisions, g.reviewer).items()}
        time = now()
        decisions, stale = [], []
        for code in state.codebook.codes:
            answer = request.form.get(f"answer:{code.id}", "")
            shown = request.form.get(f"shown:{code.id}")
            if answer not in ("", *ANSWERS) or shown not in (None, "", *ANSWERS):
                raise BadRequest(f"answer for {code.id} must be yes, no or empty")
            current = own.get((key, code.id))
            if not answer or answer == shown or current == ANSWERS[answer]:
                continue
            if shown is not None and current != ANSWERS.get(shown):
                stale.append(code.id)
                continue
            decisions.append(Decision(reviewer=g.reviewer, time=time, level="guide", guide=key, code=code.id,
                                      value=ANSWERS[answer], text_hash=state.guides[key], origin="web:sheet"))
        if stale:
            abort(409, f"you answered {', '.join(stale)} of {key} elsewhere after this page was loaded; nothing in "
                       "this row was saved - reload the sheet and save the row again")
        store().record(decisions)
    return redirect(url_for("sheet_view", saved=key) + f"#row-{key}")


def disagreements_view() -> Any:
    """The open disagreements the signed-in reviewer may settle (review.yaml decides who may)."""
    state = store().state()
    tables = resolve_review(state)
    review = adjudication_of(state)
    items = [d for d in tables.open if may_settle(g.reviewer, d, review)]
    return render_template("disagreements.html", items=items, codebook=state.codebook,
                           reviewers=sorted({r for d in items for r in d.answers}))


def api_adjudicate() -> Any:
    body = json_object(request.get_json(silent=True))
    with store().recording(CONSENSUS), recording(store().project.reviews_dir):  # still open when settled
        state = store().state()
        decision = adjudicate(adjudication_of(state), text_field(body, "guide"), text_field(body, "code"),
                              bool_field(body, "value"), by=g.reviewer, segment=text_field(body, "segment", default=""),
                              note=text_field(body, "note", default=""), origin="web:adjudication")
        store().record([decision])
    return {"ok": True}


def register(app: Flask) -> None:
    app.add_url_rule("/sheet", "sheet_view", sheet_view)
    app.add_url_rule("/sheet/<key>", "sheet_save", sheet_save, methods=["POST"])
    app.add_url_rule("/disagreements", "disagreements_view", disagreements_view)
    app.add_url_rule("/api/adjudicate", "api_adjudicate", api_adjudicate, methods=["POST"])
