"""Segmentation: an extracted :class:`~mapping_review.extract.Document` to sections, paragraphs and
sentences with stable ids (``segments``), the spaCy pipeline that finds sentences (``nlp``), the
stage over a project (``stage``) and the readers of what the machine saw (``inspect``)."""

from __future__ import annotations

from mapping_review.segment.segments import (
    SEGMENTER_VERSION,
    Segment,
    document_to_segments,
    jsonl_to_segments,
    segments_to_jsonl,
)

__all__ = ["SEGMENTER_VERSION", "Segment", "document_to_segments", "jsonl_to_segments", "segments_to_jsonl"]
