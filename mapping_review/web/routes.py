"""The workbench's pages and its small JSON API."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, render_template, request, session, url_for

from mapping_review.coding.suggestions import Suggestion, text_hash
from mapping_review.review.agreement import fmt
from mapping_review.review.decisions import REVIEWER_PATTERN, Decision, latest, now
from mapping_review.review.state import adjudication_of, agreement_by_code
from mapping_review.web.security import int_field, json_object, text_field
from mapping_review.web.store import Store

STATUSES = ("all", "undecided", "accepted", "rejected")
SEARCH_LIMIT = 50


def store() -> Store:
    return current_app.extensions["store"]  # type: ignore[no-any-return]


def mine(decisions: list[Decision]) -> dict[tuple[str, str, str, str], Decision]:
    """The signed-in reviewer's latest decision per (level, guide, code, segment)."""
    return {key: d for (who, key), d in latest(decisions).items() if who == g.reviewer}


def valid_reviewer(name: str) -> bool:
    return bool(REVIEWER_PATTERN.match(name)) and name != "consensus" and len(name) <= 64


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
        if valid_reviewer(name):
            session["reviewer"] = name
            return redirect(_safe_next(request.args.get("next")))
        error = "Use letters, digits, '_', '-' or '.' (and not 'consensus')."
    return render_template("login.html", error=error)


def logout() -> Any:
    session.pop("reviewer", None)
    return redirect(url_for("login"))


def dashboard() -> Any:
    state = store().state()
    own = mine(state.decisions)
    per_guide = Counter(s.guide for s in state.suggestions)
    decided = Counter(d.guide for (level, *_), d in own.items() if level == "segment")
    sheet_done = Counter(d.guide for (level, *_), d in own.items() if level == "guide")
    rows = []
    for guide in store().guides():
        data = store().guide(guide.key)
        rows.append({"guide": guide, "pages": data.doc.n_pages if data.doc else 0, "suggestions": per_guide[guide.key],
                     "decided": decided[guide.key], "sheet": sheet_done[guide.key]})
    agreement = None
    if g.reviewer in adjudication_of(state).settings.adjudicators:  # figures that a coder could probe answers with
        by_code, overall, raters = agreement_by_code(state)
        agreement = {"raters": raters, "units": overall.n_units, "percent": fmt(overall.percent),
                     "alpha": fmt(overall.alpha),
                     "weakest": sorted(((c, a.alpha) for c, a in by_code.items() if a.n_units and a.alpha == a.alpha),
                                       key=lambda x: x[1])[:5]} if len(raters) >= 2 else None
    return render_template("dashboard.html", rows=rows, n_codes=len(state.codebook.codes), agreement=agreement,
                           adjudicator=g.reviewer in adjudication_of(state).settings.adjudicators)


def _status(own: dict[tuple[str, str, str, str], Decision], s: Suggestion) -> str:
    d = own.get(("segment", s.guide, s.code, s.segment))
    if d is None:
        return "undecided"
    return "accepted" if d.value else "rejected"


def guide_view(key: str) -> Any:
    data = store().guide(key)
    state = store().state()
    if data.doc is None:
        return render_template("guide.html", guide=data.guide, doc=None)
    code_filter = request.args.get("code", "")
    status_filter = request.args.get("status", "all")
    if status_filter not in STATUSES or (code_filter and code_filter not in state.codebook.by_id):
        abort(400, "unknown filter")
    own = mine(state.decisions)
    suggestions = [s for s in state.suggestions if s.guide == key and (not code_filter or s.code == code_filter)
                   and (status_filter == "all" or _status(own, s) == status_filter)]
    pages_with = Counter(s.page for s in suggestions)
    number = request.args.get("page", type=int) or (min(pages_with) if pages_with else 1)
    if not 1 <= number <= data.doc.n_pages:
        abort(404)
    page = data.doc.pages[number - 1]
    sentences = [s for s in data.segments if s.kind == "sentence" and s.page <= number <= s.end_page]
    on_page = {seg.id for seg in sentences}
    by_segment: dict[str, list[dict[str, Any]]] = {}
    for s in suggestions:
        if s.segment in on_page:
            by_segment.setdefault(s.segment, []).append({"s": s, "status": _status(own, s),
                                                         "label": state.codebook.by_id[s.code].label})
    added: dict[str, list[tuple[str, Decision]]] = {}
    for (level, guide, code, seg), d in own.items():
        if level == "segment" and guide == key and d.action == "add":
            added.setdefault(seg, []).append((code, d))
    boxes = [{"id": seg.id, "kind": seg.kind, "hit": seg.id in by_segment,
              "boxes": [b for b in seg.boxes if b[0] == number]} for seg in sentences]
    query = request.args.get("q", "").strip()
    hits = []
    if query:
        needle = query.casefold()
        hits = [s for s in data.segments if s.kind == "sentence" and needle in s.text.casefold()][:SEARCH_LIMIT]
    return render_template(
        "guide.html", guide=data.guide, doc=data.doc, page=page, number=number, sentences=sentences,
        by_segment=by_segment, added=added, boxes=boxes, codes=state.codebook.codes, code_filter=code_filter,
        status_filter=status_filter, statuses=STATUSES, pages_with=sorted(pages_with.items()), query=query, hits=hits,
    )


def page_image(key: str, number: int) -> Any:
    png = store().page_png(key, number)
    return current_app.response_class(png, mimetype="image/png",
                                      headers={"Cache-Control": "private, max-age=3600"})


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
    if not (start == end == -1 or 0 <= start < end <= len(seg.text)):
        return {"error": "the span is not inside the segment"}, 400
    decision = Decision(reviewer=g.reviewer, time=now(), level="segment", guide=key, code=code,
                        value=action != "reject", action=action, segment=seg_id, text_hash=text_hash(seg.text),
                        note=note, origin="web", start=start, end=end)
    store().record([decision])
    return {"ok": True, "status": "rejected" if action == "reject" else "accepted", "code": code}


def codebook_view() -> Any:
    state = store().state()
    used = Counter(s.code for s in state.suggestions)
    by_reviewer: dict[str, Counter[str]] = {}
    for d in state.decisions:
        if d.value and d.reviewer == g.reviewer:  # blind: a reviewer sees their own use only
            by_reviewer.setdefault(d.reviewer, Counter())[d.code] += 1
    return render_template("codebook.html", features=state.codebook.features, codebook=state.codebook, used=used,
                           by_reviewer=dict(sorted(by_reviewer.items())))


def register(app: Flask) -> None:
    app.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    app.add_url_rule("/logout", "logout", logout, methods=["POST"])
    app.add_url_rule("/", "dashboard", dashboard)
    app.add_url_rule("/guide/<key>", "guide_view", guide_view)
    app.add_url_rule("/page/<key>/<int:number>.png", "page_image", page_image)
    app.add_url_rule("/api/decide", "api_decide", api_decide, methods=["POST"])
    app.add_url_rule("/codebook", "codebook_view", codebook_view)
