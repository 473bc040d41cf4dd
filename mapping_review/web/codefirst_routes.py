"""The workbench's code-first view and learning queue: thin layers over ``review.codefirst``,
``review.queue_state`` and ``review.progress`` (the same functions the ``review`` verbs call)."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, g, redirect, render_template, request, url_for

from mapping_review.errors import ConfigError
from mapping_review.review.codefirst import answer_decisions, code_first, next_undecided
from mapping_review.review.queue import STRATEGIES
from mapping_review.review.queue_state import STOP_WINDOW, queue_view
from mapping_review.web.routes import code_labels, store
from mapping_review.web.security import BadRequest, json_object, text_field

QUEUE_LIMIT = 20


def review_view(key: str) -> Any:
    """Every code of one guide, with the machine's answer, the best quotes and the reviewer's own answer."""
    state = store().state()
    if key not in state.guides:
        abort(404)
    view = code_first(state, key, g.reviewer)
    guides = state.keys
    return render_template("review.html", view=view, guide=store().guide(key).guide, focus=request.args.get("code", ""),
                           position=guides.index(key) + 1, n_guides=len(guides))


def review_next() -> Any:
    """To the reviewer's next undecided guide and code (after ``?after=GUIDE/CODE``), across guides."""
    state = store().state()
    guide, _, code = request.args.get("after", "").partition("/")
    cell = next_undecided(state, g.reviewer, after=(guide, code) if code else None)
    if cell is None:
        return redirect(url_for("dashboard", done=1))
    return redirect(url_for("review_view", key=cell[0], code=cell[1]))


def api_answer() -> Any:
    """Record a guide-level answer (present / absent; undecided records nothing) and say what is next."""
    body = json_object(request.get_json(silent=True))
    guide, code = text_field(body, "guide"), text_field(body, "code")
    answer, note = text_field(body, "answer"), text_field(body, "note", default="")
    state = store().state()
    try:
        decisions = answer_decisions(state, guide, code, answer, reviewer=g.reviewer, note=note, origin="web:code-first")
    except ConfigError as e:
        raise BadRequest(str(e)) from e
    store().record(decisions)
    after = store().state()
    cell = next_undecided(after, g.reviewer, after=(guide, code))
    return {"ok": True, "recorded": len(decisions), "answer": answer,
            "next": None if cell is None else {"guide": cell[0], "code": cell[1],
                                               "url": url_for("review_view", key=cell[0], code=cell[1])}}


def _queue_data(strategy: str, code: str) -> dict[str, Any]:
    if strategy not in STRATEGIES:
        abort(400, "unknown strategy")
    state = store().state()
    if code and code not in state.codebook.by_id:
        abort(400, "unknown code")
    queue = store().queue(g.reviewer, state, strategy=strategy)
    view = queue_view(queue, limit=QUEUE_LIMIT, codes=[code] if code else None, window=STOP_WINDOW)
    labels = code_labels(state.codebook)
    items = [{"guide": r.candidate.guide, "code": r.candidate.code, "label": labels[r.candidate.code],
              "segment": r.candidate.segment, "text": r.candidate.text, "section": " > ".join(r.candidate.section),
              "probability": r.probability, "priority": r.priority,
              "url": url_for("guide_view", key=r.candidate.guide, seg=r.candidate.segment, code=r.candidate.code)
              + f"#{r.candidate.segment}"} for r in view.items]
    hints = [dict(h.to_dict(), label=labels[h.code]) for h in view.hints if h.decided]
    return {"items": items, "hints": hints, "decided": view.n_decided, "candidates": view.n_candidates,
            "strategy": strategy, "code": code}


def queue_page() -> Any:
    data = _queue_data(request.args.get("strategy", "gain"), request.args.get("code", ""))
    state = store().state()
    return render_template("queue.html", data=data, strategies=STRATEGIES, codes=state.codebook.codes,
                           labels=code_labels(state.codebook))


def api_queue() -> Any:
    return _queue_data(request.args.get("strategy", "gain"), request.args.get("code", ""))


def register(app: Flask) -> None:
    app.add_url_rule("/review/<key>", "review_view", review_view)
    app.add_url_rule("/next", "review_next", review_next)
    app.add_url_rule("/api/answer", "api_answer", api_answer, methods=["POST"])
    app.add_url_rule("/queue", "queue_page", queue_page)
    app.add_url_rule("/api/queue", "api_queue", api_queue)
