"""``mapping-review build``: every stage that is out of date, and ``build/run.json``.

``run.json`` records the hashes of every input (manifest, codebook, settings,
templates, references, reviewers' files, PDFs), the versions of the toolkit
and its libraries, and the settings. When none of that changed and the
outputs are all there, a build does nothing. Otherwise each stage still only
redoes what changed: extraction per PDF hash, segmentation per document,
coding per segments and codebook; the tables, graph, criteria and figures
are cheap and are written again.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from mapping_review.manifest import load_manifest
from mapping_review.pipeline import BuildReport, Progress, extract_corpus, segment_corpus, write_atomic
from mapping_review.project import Project
from mapping_review.settings import SETTINGS_FILE, Settings, load_settings

RUN_FILE = "run.json"
LIBRARIES = ("mapping-review", "pdfplumber", "pypdfium2", "spacy", "scikit-learn", "networkx", "matplotlib",
             "jinja2", "pydantic")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions() -> dict[str, str]:
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
             *sorted(project.reviews_dir.glob("*.jsonl"))]
    return {
        "files": {project.relative(p): _sha(p) for p in files if p.is_file()},
        "pdfs": _pdf_hashes(project, previous.get("pdfs", {})),
    }


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    strip = {k: (v["sha256"] if isinstance(v, dict) else v) for k, v in a.get("pdfs", {}).items()}
    other = {k: (v["sha256"] if isinstance(v, dict) else v) for k, v in b.get("pdfs", {}).items()}
    return a.get("files") == b.get("files") and strip == other


def read_run(project: Project) -> dict[str, Any]:
    try:
        data = json.loads((project.build_dir / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def effective_settings(settings: Settings, *, engine: str | None, nlp_name: str | None,
                       calibrate: bool | None) -> Settings:
    """The project's settings with the command line's overrides."""
    build = settings.build.model_copy(update={k: v for k, v in
                                              {"engine": engine, "nlp": nlp_name, "calibrate": calibrate}.items()
                                              if v is not None})
    return settings.model_copy(update={"build": build})


def run_build(
    project: Project, *, engine: str | None = None, nlp_name: str | None = None, jobs: int | None = None,
    progress: Progress | None = None, calibrate: bool | None = None, force: bool = False,
) -> BuildReport:
    """Build what is out of date; a build with nothing changed returns at once."""
    settings = effective_settings(load_settings(project.root), engine=engine, nlp_name=nlp_name, calibrate=calibrate)
    previous = read_run(project)
    inputs = inputs_of(project, previous.get("inputs", {}))
    versions = _versions()
    stamp = {"versions": versions, "settings": settings.model_dump(mode="json")}
    outputs = [project.root / p for p in previous.get("outputs", [])]
    if (not force and previous and _same(previous.get("inputs", {}), inputs)
            and all(previous.get(k) == v for k, v in stamp.items()) and outputs and all(p.exists() for p in outputs)):
        return BuildReport(extract=[], segment=[], up_to_date=True)
    report = _stages(project, settings, jobs=jobs, progress=progress)
    run = {"inputs": inputs, **stamp,
           "outputs": sorted(project.relative(p) for p in report.tables),
           "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    project.build_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(project.build_dir / RUN_FILE, json.dumps(run, indent=2, sort_keys=True) + "\n")
    return report


def _stages(project: Project, settings: Settings, *, jobs: int | None, progress: Progress | None) -> BuildReport:
    from mapping_review.coding import code_corpus
    from mapping_review.outputs import write_outputs
    from mapping_review.review import load_review, resolve_review, write_tables

    engine, nlp_name = settings.build.engine, settings.build.nlp
    extracted = extract_corpus(project, engine=engine, jobs=jobs, progress=progress)
    segmented = segment_corpus(project, engine=engine, nlp_name=nlp_name, progress=progress, extracted=extracted)
    coded = code_corpus(project, nlp_name=nlp_name, progress=progress)
    state = load_review(project)
    tables = resolve_review(state, use_calibration=settings.build.calibrate)
    written = write_tables(state, tables)
    more, warnings = write_outputs(state, tables, settings)
    return BuildReport(extract=extracted, segment=segmented, code=coded, tables=written + more,
                       warnings=state.warnings + warnings, n_disagreements=len(tables.disagreements))
