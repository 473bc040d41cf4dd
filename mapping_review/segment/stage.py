"""The segment stage over a project: ``build/segments/<key>.jsonl`` for every extracted guide.

Segments are redone only when the document, the segmenter or the spaCy pipeline changed.
"""

from __future__ import annotations

from pathlib import Path

from mapping_review.bookkeeping import GuideResult, Progress, read_state, save_state
from mapping_review.extract import DEFAULT_ENGINE, extractor_name
from mapping_review.extract.cache import load_document
from mapping_review.extract.stage import plan_extraction
from mapping_review.files import file_sha256, write_atomic
from mapping_review.project.layout import Project
from mapping_review.project.manifest import load_manifest
from mapping_review.segment.segments import SEGMENTER_VERSION, document_to_segments, segments_to_jsonl


def segment_corpus(
    project: Project, *, engine: str = DEFAULT_ENGINE, nlp_name: str = "auto", progress: Progress | None = None,
    extracted: list[GuideResult] | None = None,
) -> list[GuideResult]:
    """Write ``build/segments/<key>.jsonl`` for every extracted guide that changed."""
    from mapping_review.segment.nlp import load_nlp, pipeline_id, resolve_pipeline_name

    progress = progress or Progress()
    if extracted is None:
        extracted, _ = plan_extraction(project, engine)
    ready = [r for r in extracted if r.status in ("extracted", "cached")]
    manifest = load_manifest(project.manifest_path)
    out_dir = project.segments_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    state = read_state(out_dir / "state.json")
    extractor = extractor_name(engine)
    wanted_nlp = resolve_pipeline_name(nlp_name)
    results: list[GuideResult] = []
    todo = []
    for result in ready:
        guide = manifest.get(result.key)
        if guide is None:
            continue
        sha = guide.sha256 or file_sha256(guide.path(project.corpus_dir) or Path())
        stamp = {"sha256": sha, "extractor": extractor, "segmenter": SEGMENTER_VERSION}
        previous = state.get(guide.key, {})
        if (out_dir / f"{guide.key}.jsonl").exists() and all(previous.get(k) == v for k, v in stamp.items()) \
                and previous.get("nlp_request") == wanted_nlp:
            results.append(GuideResult(guide.key, "up to date", n_segments=int(previous.get("n_segments", 0))))
        else:
            todo.append((guide, sha, stamp))
    progress.start("segment", documents=len(todo), pages=0)
    if todo:
        nlp = load_nlp(nlp_name)
    for guide, sha, stamp in todo:
        doc = load_document(project.cache_dir, sha, extractor)
        if doc is None:
            results.append(GuideResult(guide.key, "failed", f"{guide.key}: extracted document is missing", "cache"))
            continue
        segments = document_to_segments(doc, guide=guide.key, nlp=nlp)
        write_atomic(out_dir / f"{guide.key}.jsonl", segments_to_jsonl(segments))
        state[guide.key] = {**stamp, "nlp": pipeline_id(nlp), "nlp_request": wanted_nlp,
                            "n_segments": str(len(segments))}
        results.append(GuideResult(guide.key, "segmented", n_segments=len(segments)))
        progress.document(guide.key)
    save_state(out_dir, state, {g.key for g in manifest.guides})
    progress.finish("segment")
    return sorted(results, key=lambda r: r.key)


def build_states(project: Project) -> dict[str, str]:
    """Per guide, how far the last build got with its current file: ``N segments`` or ``not built``."""
    state = read_state(project.segments_dir / "state.json")
    out = {}
    for guide in load_manifest(project.manifest_path).guides:
        seen = state.get(guide.key, {})
        current = bool(guide.sha256) and seen.get("sha256") == guide.sha256
        out[guide.key] = f"{seen.get('n_segments', 0)} segments" if current else "not built"
    return out
