"""The one place that knows the order of the stages: ``build_project`` runs extract, segment, code,
resolve and publish, each only where its inputs changed, and records ``build/run.json``.

The stage functions are re-exported here, so ``from mapping_review import pipeline`` keeps
giving ``pipeline.build_project``, ``pipeline.extract_corpus`` and ``pipeline.segment_corpus``.
"""

from __future__ import annotations

from mapping_review.bookkeeping import GuideResult, Progress
from mapping_review.extract.stage import extract_corpus
from mapping_review.pipeline.build import BuildReport, build_project
from mapping_review.segment.stage import build_states, extract_and_segment, segment_corpus

__all__ = ["BuildReport", "GuideResult", "Progress", "build_project", "build_states", "extract_and_segment",
           "extract_corpus", "segment_corpus"]
