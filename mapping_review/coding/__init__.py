"""Coding: the codebook, the rule coder's suggestions with evidence, the guide-level decision rule and
its calibration, the learnt ranker, and the stage that codes every segmented guide
(``build/codings/``)."""

from __future__ import annotations

from mapping_review.coding.stage import code_corpus, codings_dir, load_suggestions

__all__ = ["code_corpus", "codings_dir", "load_suggestions"]
