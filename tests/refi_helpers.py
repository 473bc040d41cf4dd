"""Helpers for the REFI-QDA tests: schema checks against the shared reference copies, archive
rewriting, and decisions made on a built project."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from mapping_review.coding.stage import load_suggestions
from mapping_review.review.decisions import Decision, append_decisions
from mapping_review.review.state import segments_by_id

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "refi-qda"


def need_reference(*parts: str) -> Path:
    path = REFERENCE.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the shared REFI-QDA reference is missing: {path}")
        pytest.skip(f"the shared REFI-QDA reference is missing: {path}")
    return path


def assert_valid(xml: bytes, schema_name: str) -> None:
    checker = etree.XMLSchema(etree.parse(str(need_reference(schema_name))))
    root = etree.fromstring(xml)
    assert checker.validate(root), [f"{e.line}: {e.message}" for e in checker.error_log][:5]


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def without_timestamp(qde: bytes) -> bytes:
    return re.sub(rb'(<Project [^>]*?) creationDateTime="[^"]*"', rb"\1", qde, count=1)


def make_decisions(project, *, n_suggestions: int = 30) -> list[Decision]:
    """Accepts, rejects (some with notes), added codes on spans, guide-level answers and a consensus."""
    suggestions = load_suggestions(project)
    assert suggestions, "the project has no machine suggestions to decide on"
    segments = segments_by_id(project, sorted({s.guide for s in suggestions}))
    out = []
    for i, s in enumerate(suggestions[:n_suggestions]):
        out.append(Decision("alice", f"2025-01-{1 + i % 9:02d}T10:00:00Z", "segment", s.guide, s.code, i % 3 != 0,
                            "reject" if i % 3 == 0 else "accept", s.segment, s.text_hash,
                            note="not about care" if i % 6 == 0 else "", origin="test"))
    sentences = [seg for seg in segments.values() if seg.kind == "sentence" and len(seg.text) > 60]
    for seg in sentences[:4]:
        out.append(Decision("bob", "2025-02-01T09:00:00Z", "segment", seg.guide, "client_centered", True, "add",
                            seg.id, "", start=4, end=40, note="the words that matter", origin="test"))
    paragraph = next(seg for seg in segments.values() if seg.kind == "paragraph")
    out.append(Decision("bob", "2025-02-01T09:30:00Z", "segment", paragraph.guide, "methods/case_management", True,
                        "add", paragraph.id, "", origin="test"))
    guides = sorted({s.guide for s in suggestions})
    for g in guides[:2]:
        for code, value in (("location/inpatient", True), ("location/outpatient", False), ("dont_stigmatize", True)):
            out.append(Decision("carol", "2025-03-01T10:00:00Z", "guide", g, code, value, "set", origin="test"))
    out.append(Decision("consensus", "2025-03-02T10:00:00Z", "guide", guides[0], "therapeutic_alliance", False, "set",
                        origin="adjudication"))
    append_decisions(project.reviews_dir, out)
    return out


def current(project) -> list[tuple]:
    from mapping_review.review.decisions import latest, read_decisions

    return sorted((d.reviewer, d.level, d.guide, d.code, d.segment, d.value, d.action, d.start, d.end, d.note)
                  for d in latest(read_decisions(project.reviews_dir)).values())
