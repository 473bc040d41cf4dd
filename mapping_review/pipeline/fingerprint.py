"""What a build depends on, recorded in ``build/run.json``: the hashes of its inputs (manifest,
codebook, settings, templates, references, reviewers' files, PDFs), the versions of the toolkit,
its libraries and every machine stage, the settings, and which stage outputs exist. When none of
that changed and the outputs are all there, a build does nothing."""

from __future__ import annotations

import contextlib
import hashlib
import json
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from mapping_review.coding.versions import CODER, DECIDER, EVIDENCE_MODEL, RANKER
from mapping_review.extract import extractor_name
from mapping_review.extract.ocr import OCR_ENGINE
from mapping_review.project.layout import Project
from mapping_review.project.manifest import load_manifest
from mapping_review.project.settings import SETTINGS_FILE, Settings
from mapping_review.segment.nlp import resolve_pipeline_name
from mapping_review.segment.segments import SEGMENTER_VERSION

RUN_FILE = "run.json"
LIBRARIES = ("mapping-review", "pdfplumber", "pypdfium2", "spacy", "spacy-lookups-data", "scikit-learn",
             "networkx", "matplotlib", "jinja2", "pydantic", "ocrmypdf", "distributed")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def _pdf_hashes(project: Project, previous: dict[str, Any]) -> dict[str, Any]:
    """sha256 of every guide file, reusing the last run's value when size and mtime are unchanged."""
    out: dict[str, Any] = {}
    for guide in load_manifest(project.manifest_path).guides:
        path = guide.path(project.corpus_dir)
        if path is None or not path.is_file():
            out[guide.key] = None
            continue
        stat = path.stat()
        seen = previous.get(guide.key) or {}
        if seen.get("size") == stat.st_size and seen.get("mtime_ns") == stat.st_mtime_ns:
            out[guide.key] = seen
        else:
            out[guide.key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": _sha(path)}
    return out


def inputs_of(project: Project, previous: dict[str, Any]) -> dict[str, Any]:
    """What a build depends on, hashed."""
    files = [project.manifest_path, project.codebook_path, project.root / SETTINGS_FILE,
             project.root / "references.bib", *sorted((project.root / "templates").glob("*")),
             *sorted(project.reviews_dir.glob("*.jsonl")),
             *sorted((project.root / "criteria").rglob("*")),  # evaluation items and judged results
             *sorted((project.build_dir / "models").glob("*.json"))]  # the evidence classifier `learn` kept
    return {
        "files": {project.relative(p): _sha(p) for p in files if p.is_file()},
        "pdfs": _pdf_hashes(project, previous.get("pdfs", {})),
    }


def stage_versions(settings: Settings) -> dict[str, str]:
    """The versioned name of every machine stage a build with ``settings`` runs (a trained spaCy
    pipeline with its installed version: an upgrade changes sentences)."""
    nlp = resolve_pipeline_name(settings.build.nlp)
    if nlp != "blank":
        with contextlib.suppress(metadata.PackageNotFoundError):
            nlp = f"{nlp}=={metadata.version(nlp)}"
    return {"extractor": extractor_name(settings.build.engine), "segmenter": SEGMENTER_VERSION, "nlp": nlp,
            "coder": CODER, "ranker": RANKER,
            "evidence": f"{EVIDENCE_MODEL}@{_shipped_model_digest()}", "decider": DECIDER}


def _shipped_model_digest() -> str:
    """A digest of the evidence classifier shipped with the package (retraining it changes the build)."""
    from importlib import resources

    path = resources.files("mapping_review.coding").joinpath("models", f"{EVIDENCE_MODEL}.json")
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "none"


def stage_outputs(project: Project, settings: Settings) -> dict[str, Any]:
    """Which stage outputs exist (name and size): a deleted or truncated one makes the build run.
    Documents count only as the build's own extractor made them."""
    def listing(folder: Path, *patterns: str) -> dict[str, int]:
        found = sorted({p for pattern in patterns for p in folder.glob(pattern)}) if folder.is_dir() else []
        return {p.name: p.stat().st_size for p in found}

    name = extractor_name(settings.build.engine)
    return {
        "documents": listing(project.cache_dir / "documents", f"*.{name}.json.gz", f"*.{name}+{OCR_ENGINE}.json.gz"),
        "segments": listing(project.segments_dir, "*.json*"),
        "codings": listing(project.build_dir / "codings", "*.json*"),
    }


def same_inputs(a: dict[str, Any], b: dict[str, Any]) -> bool:
    strip = {k: (v["sha256"] if isinstance(v, dict) else v) for k, v in a.get("pdfs", {}).items()}
    other = {k: (v["sha256"] if isinstance(v, dict) else v) for k, v in b.get("pdfs", {}).items()}
    return a.get("files") == b.get("files") and strip == other


def read_run(project: Project) -> dict[str, Any]:
    try:
        data = json.loads((project.build_dir / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
