"""Reviewing: reviewers' append-only decisions (``decisions``), the coding sheet and the segment
worksheet, agreement between reviewers, consensus and adjudication, and the resolved review state
with its tables (``state``)."""

from __future__ import annotations

from mapping_review.review.state import ReviewState, agreement_by_code, load_review, resolve_review, write_tables

__all__ = ["ReviewState", "agreement_by_code", "load_review", "resolve_review", "write_tables"]
