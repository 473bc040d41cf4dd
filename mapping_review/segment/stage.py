"""The segment stage over a project: ``build/segments/<key>.jsonl`` for every extracted guide.

Segments are redone only when the document, the segmenter or the spaCy pipeline changed. When a
guide is extracted in the same build, its segments are made in the extraction worker, straight
from the fresh document (:func:`extract_and_segment`); the spaCy pipeline is loaded once, before
the workers fork.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mapping_review.bookkeeping import GuideResult, Progress, read_state, save_state
from mapping_review.extract import DEFAULT_ENGINE, Document
from mapping_review.extract.cache import load_document
from mapping_review.extract.ocr import load_ocr, words_confidence
from mapping_review.extract.stage import extract_corpus, guide_extractor, plan_extraction
from mapping_review.files import file_sha256, write_atomic
from mapping_review.project.layout import Project
from mapping_review.project.manifest import Guide, load_manifest
from mapping_review.segment.segments import SEGMENTER_VERSION, Segment, document_to_segments, segments_to_jsonl

if TYPE_CHECKING:
    from spacy.language import Language

_NLP: dict[str, Language] = {}  # loaded in the parent before the workers fork; they inherit it


def _segmenter(nlp_name: str, *, lean: bool = True) -> Language:
    """The pipeline that segments: the sentence-splitting one, or (``lean=False``, when the guides are coded
    next) the whole pipeline the coder uses, loaded once for both (segmenting runs only its sentence parts,
    so the sentences are the same)."""
    from mapping_review.segment.nlp import load_nlp

    if nlp_name not in _NLP:
        _NLP[nlp_name] = load_nlp(nlp_name, sentences_only=lean)
    return _NLP[nlp_name]


def _stamp(sha: str, extractor: str) -> dict[str, str]:
    return {"sha256": sha, "extractor": extractor, "segmenter": SEGMENTER_VERSION}


def mark_ocr(segments: list[Segment], cache_dir: Path, sha256: str) -> list[Segment]:
    """Segments on OCRed pages marked ``source: ocr``, with the mean confidence of the words in them."""
    ocr = load_ocr(cache_dir, sha256)
    if ocr is None or not ocr.pages:
        return segments
    return [
        replace(seg, source="ocr", confidence=words_confidence(ocr, seg.boxes))
        if any(int(box[0]) in ocr.pages for box in seg.boxes) else seg
        for seg in segments
    ]


def _write_segments(doc: Document, guide: Guide, out_dir: Path, cache_dir: Path, nlp_name: str,
                    wanted_nlp: str) -> tuple[dict[str, str], str, list[Segment]]:
    """Segment ``doc`` into ``out_dir/<key>.jsonl``; the guide's new entry of ``state.json``, the text and
    the segments."""
    from mapping_review.segment.nlp import pipeline_id

    nlp = _segmenter(nlp_name)
    segments = document_to_segments(doc, guide=guide.key, nlp=nlp)
    if guide.ocr:
        segments = mark_ocr(segments, cache_dir, doc.sha256)
    text = segments_to_jsonl(segments)
    write_atomic(out_dir / f"{guide.key}.jsonl", text)
    return {**_stamp(doc.sha256, doc.extractor), "nlp": pipeline_id(nlp), "nlp_request": wanted_nlp,
            "n_segments": str(len(segments))}, text, segments


class AfterSegment(Protocol):
    """Work a later stage does on each fresh guide's segments, in the worker that made them."""

    def prepare(self) -> None:
        """Called once in the parent before the workers start."""

    def __call__(self, guide: Guide, segments_text: str, segments: Sequence[Segment]) -> Any:
        """Run in the worker with the text of ``build/segments/<key>.jsonl`` and its segments; the value goes
        to :meth:`collect`."""

    def collect(self, key: str, value: Any) -> None:
        """Called in the parent with each guide's value."""


@dataclass
class SegmentAfterExtract:
    """Segments a freshly extracted document inside its extraction worker (then runs ``then`` there)."""

    out_dir: Path
    cache_dir: Path
    nlp_name: str
    wanted_nlp: str
    then: AfterSegment | None = None
    done: dict[str, dict[str, str]] = field(default_factory=dict)

    def prepare(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        _segmenter(self.nlp_name, lean=self.then is None)
        if self.then is not None:
            self.then.prepare()

    def __call__(self, guide: Guide, doc: Document) -> tuple[dict[str, str], Any] | None:
        try:
            entry, text, segments = _write_segments(doc, guide, self.out_dir, self.cache_dir, self.nlp_name,
                                                    self.wanted_nlp)
            return entry, (self.then(guide, text, segments) if self.then is not None else None)
        except Exception:  # the stages try again in the parent and report it there
            return None

    def collect(self, key: str, value: Any) -> None:
        if value is not None:
            self.done[key] = value[0]
            if self.then is not None and value[1] is not None:
                self.then.collect(key, value[1])


def extract_and_segment(
    project: Project, *, engine: str = DEFAULT_ENGINE, nlp_name: str = "auto", jobs: int | None = None,
    progress: Progress | None = None, then: AfterSegment | None = None, meanwhile: Callable[[], None] | None = None,
) -> tuple[list[GuideResult], list[GuideResult]]:
    """Extract what is not cached and segment what changed, fresh documents in their workers (where
    ``then`` runs on their segments; ``meanwhile`` runs here while they work)."""
    from mapping_review.segment.nlp import resolve_pipeline_name

    hook = SegmentAfterExtract(project.segments_dir, project.cache_dir, nlp_name, resolve_pipeline_name(nlp_name),
                               then)
    extracted = extract_corpus(project, engine=engine, jobs=jobs, progress=progress, then=hook, meanwhile=meanwhile)
    segmented = segment_corpus(project, engine=engine, nlp_name=nlp_name, progress=progress, extracted=extracted,
                               done=hook.done)
    return extracted, segmented


def segment_corpus(
    project: Project, *, engine: str = DEFAULT_ENGINE, nlp_name: str = "auto", progress: Progress | None = None,
    extracted: list[GuideResult] | None = None, done: dict[str, dict[str, str]] | None = None,
) -> list[GuideResult]:
    """Write ``build/segments/<key>.jsonl`` for every extracted guide that changed.

    ``done`` holds the state entries of guides already segmented in the extraction workers.
    """
    from mapping_review.segment.nlp import resolve_pipeline_name

    progress = progress or Progress()
    if extracted is None:
        extracted, _ = plan_extraction(project, engine)
    ready = [r for r in extracted if r.status in ("extracted", "cached")]
    manifest = load_manifest(project.manifest_path)
    out_dir = project.segments_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    state = read_state(out_dir / "state.json")
    wanted_nlp = resolve_pipeline_name(nlp_name)
    results: list[GuideResult] = []
    todo = []
    for result in ready:
        guide = manifest.get(result.key)
        if guide is None:
            continue
        sha = guide.sha256 or file_sha256(guide.path(project.corpus_dir) or Path())
        extractor = guide_extractor(engine, guide)
        entry = (done or {}).get(guide.key)
        if entry is not None and entry.get("sha256") == sha and entry.get("extractor") == extractor:
            state[guide.key] = entry
            results.append(GuideResult(guide.key, "segmented", n_segments=int(entry["n_segments"])))
            continue
        previous = state.get(guide.key, {})
        if (out_dir / f"{guide.key}.jsonl").exists() and all(previous.get(k) == v for k, v in
                                                            _stamp(sha, extractor).items()) \
                and previous.get("nlp_request") == wanted_nlp:
            results.append(GuideResult(guide.key, "up to date", n_segments=int(previous.get("n_segments", 0))))
        else:
            todo.append((guide, sha, extractor))
    progress.start("segment", documents=len(todo), pages=0)
    for guide, sha, extractor in todo:
        doc = load_document(project.cache_dir, sha, extractor)
        if doc is None:
            results.append(GuideResult(guide.key, "failed", f"{guide.key}: extracted document is missing", "cache"))
            continue
        state[guide.key], _, _ = _write_segments(doc, guide, out_dir, project.cache_dir, nlp_name, wanted_nlp)
        results.append(GuideResult(guide.key, "segmented", n_segments=int(state[guide.key]["n_segments"])))
        progress.document(guide.key)
    save_state(out_dir, state, manifest.kept_keys)
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
