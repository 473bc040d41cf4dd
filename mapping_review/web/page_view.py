"""The guide view: one page of a guide - its image with the suggested sentences and matched words marked
where they are drawn, coloured by the reviewer's own decision - beside the page's sentences with each
suggestion, the codes the reviewer added (with the words they marked) and their notes."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import abort, current_app, render_template, request

from mapping_review.coding.suggestions import Suggestion
from mapping_review.extract.glyphs import Box, text_rects
from mapping_review.review.decisions import Decision
from mapping_review.segment.segments import Segment
from mapping_review.web.routes import code_labels, mine, store

STATUSES = ("all", "undecided", "accepted", "rejected")
SEARCH_LIMIT = 50
RANK = {"rejected": 0, "undecided": 1, "accepted": 2}  # a sentence with several codes shows its strongest state


def _status(own: dict[tuple[str, str, str, str], Decision], s: Suggestion) -> str:
    d = own.get(("segment", s.guide, s.code, s.segment))
    if d is None:
        return "undecided"
    return "accepted" if d.value else "rejected"


def pieces(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str]]:
    """``text`` cut at the given (start, end, class) spans - for marking words safely in a template (each
    piece is escaped there); overlapping spans: the first wins."""
    out: list[tuple[str, str]] = []
    at = 0
    for start, end, cls in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            out.append((text[at:start], ""))
        out.append((text[start:end], cls))
        at = end
    if at < len(text):
        out.append((text[at:], ""))
    return out


def search_spans(text: str, query: str) -> list[tuple[int, int, str]]:
    if not query:
        return []
    folded, needle = text.casefold(), query.casefold()
    spans, at = [], folded.find(needle)
    while at >= 0 and len(folded) == len(text):
        spans.append((at, at + len(needle), "search"))
        at = folded.find(needle, at + len(needle))
    return spans


def _marks(key: str, number: int, seg: Segment, items: list[dict[str, Any]], added: list[tuple[str, Decision]],
           page: Any) -> list[dict[str, Any]]:
    """Rectangles (in % of the page) for the sentence and its matched words, coloured by decision; the
    paragraph's own box when the sentence cannot be placed on the image."""
    states = [i["status"] for i in items] + ["accepted" for _ in added]
    if not states:
        return []
    state = max(states, key=RANK.__getitem__)
    near = next((tuple(b[1:]) for b in seg.boxes if b[0] == number), None)
    part = None
    if items:
        first = items[0]["s"]
        part = (first.match_start, first.match_end)
    elif added and 0 <= added[0][1].start < added[0][1].end:
        part = (added[0][1].start, added[0][1].end)
    lines, words = text_rects(store().glyphs(key, number), seg.text, near=near, part=part)  # type: ignore[arg-type]
    placed = bool(lines)
    if not lines and near is not None:
        lines = [near]  # type: ignore[list-item]

    def pct(box: Box, cls: str) -> dict[str, Any]:
        x0, top, x1, bottom = box
        return {"segment": seg.id, "cls": cls, "left": 100 * x0 / page.width, "top": 100 * top / page.height,
                "width": 100 * (x1 - x0) / page.width, "height": 100 * (bottom - top) / page.height}

    kind = "mark" if placed else "mark para"
    return [pct(b, f"{kind} {state}") for b in lines] + [pct(b, f"word {state}") for b in words]


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
    labels = code_labels(state.codebook)
    suggestions = [s for s in state.suggestions if s.guide == key and (not code_filter or s.code == code_filter)
                   and (status_filter == "all" or _status(own, s) == status_filter)]
    pages_with = Counter(s.page for s in suggestions)
    focus = data.by_id.get(request.args.get("seg", ""))
    default = focus.page if focus else (min(pages_with) if pages_with else 1)
    number = request.args.get("page", type=int) or default
    if not 1 <= number <= data.doc.n_pages:
        abort(404)
    page = data.doc.pages[number - 1]
    sentences = [s for s in data.segments if s.kind == "sentence" and s.page <= number <= s.end_page]
    on_page = {seg.id for seg in sentences}
    by_segment: dict[str, list[dict[str, Any]]] = {}
    for s in suggestions:
        if s.segment in on_page:
            d = own.get(("segment", s.guide, s.code, s.segment))
            by_segment.setdefault(s.segment, []).append({"s": s, "status": _status(own, s), "label": labels[s.code],
                                                         "note": d.note if d else ""})
    added: dict[str, list[tuple[str, Decision]]] = {}
    for (level, guide, code, seg_id), d in own.items():
        if level == "segment" and guide == key and d.action == "add":
            added.setdefault(seg_id, []).append((code, d))
    query = request.args.get("q", "").strip()
    texts = {}
    for seg in sentences:
        spans = [(i["s"].match_start, i["s"].match_end, f"match {i['status']}") for i in by_segment.get(seg.id, [])]
        spans += [(d.start, d.end, "span") for _, d in added.get(seg.id, []) if 0 <= d.start < d.end]
        texts[seg.id] = pieces(seg.text, search_spans(seg.text, query) + spans)
    marks = [m for seg in sentences
             for m in _marks(key, number, seg, by_segment.get(seg.id, []), added.get(seg.id, []), page)]
    boxes = [{"id": seg.id, "boxes": [b for b in seg.boxes if b[0] == number]} for seg in sentences]
    hits = []
    if query:
        needle = query.casefold()
        hits = [(s, pieces(s.text, search_spans(s.text, query))) for s in data.segments
                if s.kind == "sentence" and needle in s.text.casefold()][:SEARCH_LIMIT]
    return render_template(
        "guide.html", guide=data.guide, doc=data.doc, page=page, number=number, sentences=sentences,
        by_segment=by_segment, added=added, boxes=boxes, marks=marks, texts=texts, codes=state.codebook.codes,
        labels=labels, code_filter=code_filter, status_filter=status_filter, statuses=STATUSES,
        pages_with=sorted(pages_with.items()), query=query, hits=hits, focus=focus.id if focus else "",
    )


def page_image(key: str, number: int) -> Any:
    png = store().page_png(key, number)
    return current_app.response_class(png, mimetype="image/png",
                                      headers={"Cache-Control": "private, max-age=3600"})
