"""The workbench's pages and its small JSON API."""

from __future__ import annotations

import re
import secrets
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, render_template, request, session, url_for

from mapping_review.coding.codebook import Codebook
from mapping_review.errors import ConfigError
from mapping_review.review.agreement import fmt
from mapping_review.review.codefirst import quote_decision
from mapping_review.review.decisions import CONSENSUS, REVIEWER_PATTERN, Decision, check_new_reviewer, latest
from mapping_review.review.progress import review_progress
from mapping_review.review.state import adjudication_of, agreement_by_code
from mapping_review.web.security import int_field, json_object, text_field
from mapping_review.web.store import Store


def code_labels(codebook: Codebook) -> dict[str, str]:
    """Each code as reviewers read it: "Feature: value" for a sub-value, the feature's label otherwise."""
    return {c.id: f"{c.feature_label}: {c.label}" if c.is_sub_value else c.label for c in codebook.codes}


ORIGINS = ("web", "web:code-first", "web:queue")


def short_labels(codebook: Codebook) -> dict[str, str]:
    """Each code in a few words (column heads): the sub-value, or the feature without its explanation."""
    return {c.id: c.label if c.is_sub_value else c.label.split(" (")[0] for c in codebook.codes}


def store() -> Store:
    return current_app.extensions["store"]  # type: ignore[no-any-return]


def mine(decisions: list[Decision]) -> dict[tuple[str, str, str, str], Decision]:
    """The signed-in reviewer's latest decision per (level, guide, code, segment)."""
    return {key: d for (who, key), d in latest(decisions).items() if who == g.reviewer}


def valid_reviewer(name: str) -> bool:
    return bool(REVIEWER_PATTERN.match(name)) and name.casefold() != CONSENSUS and len(name) <= 64


def _safe_next(target: str | None) -> str:
    """A page of this site to return to after login; anything that could lead elsewhere goes home
    (another host, a scheme, a backslash or a control character a browser would drop)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("dashboard")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return url_for("dashboard")
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else url_for("dashboard")


def login() -> Any:
    error = ""
    if request.method == "POST":
        name = request.form.get("reviewer", "").strip()
        if not valid_reviewer(name):
            error = "Use letters, digits, '_', '-' or '.' (and not 'consensus')."
        else:
            try:
                session["reviewer"] = check_new_reviewer(store().project.reviews_dir, name)
            except ConfigError as e:
                error = str(e)
            else:
                # a new token: a page another reviewer left open at this browser can no longer record as this one
                session["csrf"] = secrets.token_urlsafe(32)
                return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error)


def logout() -> Any:
    session.pop("reviewer", None)
    return redirect(url_for("login"))


def dashboard() -> Any:
    """Per guide, how much the reviewer has answered and what is left; for adjudicators, where reviewers
    disagree and how much they agree."""
    state = store().state()
    adjudicator = g.reviewer in adjudication_of(state).settings.adjudicators
    progress = review_progress(state, g.reviewer, adjudicator=adjudicator)
    rows = []
    for guide, p in zip(store().guides(), progress.guides):
        data = store().guide(guide.key)
        rows.append({"guide": guide, "pages": data.doc.n_pages if data.doc else 0, "p": p})
    agreement = None
    if adjudicator:  # figures that change with each answer would tell a coder what the others answered
        by_code, overall, raters = agreement_by_code(state)
        agreement = {"raters": raters, "units": overall.n_units, "percent": fmt(overall.percent),
                     "alpha": fmt(overall.alpha),
                     "weakest": sorted(((c, a.alpha) for c, a in by_code.items() if a.n_units and a.alpha == a.alpha),
                                       key=lambda x: x[1])[:5]} if len(raters) >= 2 else None
    return render_template("dashboard.html", rows=rows, progress=progress, codes=state.codebook.codes,
                           labels=code_labels(state.codebook), short=short_labels(state.codebook), agreement=agreement,
                           adjudicator=adjudicator, done=request.args.get("done"),
                           problems=own_file_problems(state.warnings, g.reviewer))


def own_file_problems(warnings: list[str], reviewer: str) -> list[str]:
    """What the review says about the reviewer's own decision file (a damaged line skipped, a decision on a
    guide or code no longer there). Other reviewers' files are not shown: a skipped line quotes their answers."""
    own = re.compile(rf"(^|[/\\]){re.escape(reviewer)}\.jsonl$")
    return [w for w in warnings if ".jsonl:" in w and own.search(w.split(".jsonl:", 1)[0] + ".jsonl")]


def api_decide() -> Any:
    body = json_object(request.get_json(silent=True))
    key, seg_id, code = text_field(body, "guide"), text_field(body, "segment"), text_field(body, "code")
    action, note = text_field(body, "action"), text_field(body, "note", default="")
    state = store().state()
    if action not in ("accept", "reject", "add") or code not in state.codebook.by_id:
        return {"error": "action must be accept, reject or add, with a code of the codebook"}, 400
    seg = store().segment(key, seg_id)
    if seg is None:
        return {"error": f"no segment {seg_id!r} in {key!r}"}, 404
    start, end = int_field(body, "start", default=-1), int_field(body, "end", default=-1)
    origin = text_field(body, "origin", default="web")
    if origin not in ORIGINS:
        return {"error": "unknown origin"}, 400
    try:
        decision = quote_decision(seg, code, action, reviewer=g.reviewer, note=note, origin=origin, start=start, end=end)
    except ConfigError as e:
        return {"error": str(e)}, 400
    store().record([decision])
    return {"ok": True, "status": "rejected" if action == "reject" else "accepted", "code": code,
            "label": code_labels(state.codebook)[code]}


def codebook_view() -> Any:
    state = store().state()
    used = Counter(s.code for s in state.suggestions)
    # blind: a reviewer sees their own use only; current decisions: an accept later rejected is no use
    mine = Counter(d.code for d in latest(state.decisions).values() if d.value and d.reviewer == g.reviewer)
    return render_template("codebook.html", features=state.codebook.features, codebook=state.codebook, used=used,
                           by_reviewer={g.reviewer: mine})


def register(app: Flask) -> None:
    app.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    app.add_url_rule("/logout", "logout", logout, methods=["POST"])
    app.add_url_rule("/", "dashboard", dashboard)
    app.add_url_rule("/api/decide", "api_decide", api_decide, methods=["POST"])
    app.add_url_rule("/codebook", "codebook_view", codebook_view)
