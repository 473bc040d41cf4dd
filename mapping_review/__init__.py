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
    "load_manifest": "manifest", "load_codebook": "codebook", "load_settings": "settings",
    "extract_document": "extract", "document_to_segments": "segment", "load_nlp": "nlp",
    "RuleCoder": "rules", "build_project": "pipeline",
    "load_review": "review", "resolve_review": "review", "agreement_by_code": "review",
    "codings_to_graph": "graph", "guide_similarity": "graph", "code_cooccurrence": "graph",
    "summary_rows": "summary", "present_codes": "summary", "criteria_from_summary": "criteria",
    "heatmap": "figures", "network": "figures", "coverage": "figures", "agreement_bars": "figures",
    "cohen_kappa": "agreement", "fleiss_kappa": "agreement", "krippendorff_alpha": "agreement",
    "MappingReviewError": "errors", "ConfigError": "errors", "GuideError": "errors",
}
__all__ = sorted([*_API, "__version__"])


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'mapping_review' has no attribute {name!r}")
    return getattr(import_module(f"mapping_review.{module}"), name)
