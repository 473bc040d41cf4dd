"""mapping-review: literature mapping reviews of guideline documents.

The public API is imported from here; heavy parts (spaCy, scikit-learn,
matplotlib) load only when first used.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "Project": "project", "open_project": "project", "init_project": "project",
    "load_manifest": "project.manifest", "load_settings": "project.settings",
    "extract_document": "extract", "document_to_segments": "segment", "load_nlp": "segment.nlp",
    "load_codebook": "coding.codebook", "RuleCoder": "coding.rules", "build_project": "pipeline",
    "load_review": "review", "resolve_review": "review", "agreement_by_code": "review",
    "codings_to_graph": "publish.graph", "guide_similarity": "publish.graph", "code_cooccurrence": "publish.graph",
    "summary_rows": "publish.summary", "present_codes": "publish.summary",
    "criteria_from_summary": "publish.criteria",
    "load_evaluation": "publish.evaluation", "export_items": "publish.exports", "read_results": "publish.results",
    "add_evaluation": "publish.graph", "guides_behind": "publish.graph",
    "heatmap": "publish.figures", "network": "publish.figures", "coverage": "publish.figures",
    "agreement_bars": "publish.figures",
    "cohen_kappa": "review.agreement", "fleiss_kappa": "review.agreement", "krippendorff_alpha": "review.agreement",
    "MappingReviewError": "errors", "ConfigError": "errors", "GuideError": "errors",
}
__all__ = sorted([*_API, "__version__"])


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'mapping_review' has no attribute {name!r}")
    return getattr(import_module(f"mapping_review.{module}"), name)
