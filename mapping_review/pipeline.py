"""Stages over a whole project: extract every guide, segment every extracted guide.

One bad guide never stops the corpus: its failure becomes a
:class:`GuideResult` with a one-line reason, and the rest carry on. Work is
skipped when its inputs are unchanged: extraction is cached by file hash and
extractor version, segments by document hash, segmenter and pipeline.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue as queue_module
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from mapping_review.cache import load_document, save_document
from mapping_review.corpus import file_sha256, resolve_file
from mapping_review.errors import GuideError, MappingReviewError
from mapping_review.extract import DEFAULT_ENGINE, Document, extract_document, extractor_name
from mapping_review.manifest import Guide, load_manifest
from mapping_review.project import Project
from mapping_review.segment import SEGMENTER_VERSION, document_to_segments, segments_to_jsonl


class Progress:
    """Progress reports from the library; the CLI draws them, the default ignores them."""

    def start(self, stage: str, *, documents: int, pages: int) -> None:
        """A stage begins with this many documents and pages to do."""

    def pages(self, n: int) -> None:
        """``n`` more pages are done."""

    def document(self, key: str) -> None:
        """One more document is done."""

    def finish(self, stage: str) -> None:
        """The stage is over."""


@dataclass
class GuideResult:
    key: str
    status: str  # extracted | cached | segmented | up to date | no file | failed
    message: str = ""
    reason: str = ""
    n_pages: int = 0
    page_status: dict[str, list[int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    n_segments: int = 0

    @property
    def failed(self) -> bool:
        return self.status == "failed"


@dataclass
class _Job:
    guide: Guide
    path: Path
    sha256: str
    n_pages: int


def _summarise(result: GuideResult, doc: Document) -> GuideResult:
    result.n_pages = doc.n_pages
    pages: dict[str, list[int]] = {}
    for page in doc.pages:
        pages.setdefault(page.status, []).append(page.number)
    result.page_status = pages
    result.warnings = list(doc.warnings)
    return result


def _count_pages(path: Path, password: str) -> int:
    try:
        doc = pdfium.PdfDocument(str(path), password=password or None)
    except (pdfium.PdfiumError, OSError):
        return 0
    try:
        return len(doc)
    finally:
        doc.close()


def _plan(project: Project, engine: str) -> tuple[list[GuideResult], list[_Job]]:
    manifest = load_manifest(project.manifest_path)
    results = [GuideResult(p.key, "failed", p.message, "manifest") for p in manifest.problems]
    jobs: list[_Job] = []
    extractor = extractor_name(engine)
    for guide in manifest.guides:
        if not guide.file:
            results.append(GuideResult(guide.key, "no file", "metadata only; no PDF yet"))
            continue
        try:
            path = resolve_file(project, guide)
        except GuideError as e:
            results.append(GuideResult(guide.key, "failed", str(e), e.reason))
            continue
        sha = guide.sha256 or file_sha256(path)
        cached = load_document(project.cache_dir, sha, extractor)
        if cached is not None:
            results.append(_summarise(GuideResult(guide.key, "cached"), cached))
        else:
            jobs.append(_Job(guide, path, sha, _count_pages(path, guide.password)))
    return results, jobs


_page_queue: Any = None


def _init_worker(page_queue: Any) -> None:
    global _page_queue
    _page_queue = page_queue


def _extract_job(job: _Job, engine: str, cache_dir: Path) -> GuideResult:
    """Run in a worker process; the document goes to the cache, only its summary comes back."""
    def tick(n: int) -> None:
        if _page_queue is not None:
            _page_queue.put(n)

    try:
        doc = extract_document(job.path, sha256=job.sha256, engine=engine, password=job.guide.password or None,
                               on_page=tick)
    except GuideError as e:
        return GuideResult(job.guide.key, "failed", f"{job.guide.key}: {e}", e.reason)
    except MappingReviewError as e:
        return GuideResult(job.guide.key, "failed", f"{job.guide.key}: {e}", "error")
    except Exception as e:  # an engine bug must not stop the corpus
        message = f"{job.guide.key}: {job.path}: unexpected {type(e).__name__}: {e}"
        return GuideResult(job.guide.key, "failed", message, "internal")
    save_document(cache_dir, doc)
    return _summarise(GuideResult(job.guide.key, "extracted"), doc)


def _run_parallel(jobs: list[_Job], engine: str, cache_dir: Path, workers: int, progress: Progress,
                  results: list[GuideResult]) -> None:
    ctx = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
    with ctx.Manager() as manager:
        page_queue = manager.Queue()
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(page_queue,)) as pool:
            # largest documents first, so that no worker is left with a long one at the end
            pending: set[Future[GuideResult]] = {
                pool.submit(_extract_job, job, engine, cache_dir)
                for job in sorted(jobs, key=lambda j: -j.n_pages)
            }
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(page_queue, progress)
                for future in done:
                    results.append(future.result())
                    progress.document(results[-1].key)
            _drain(page_queue, progress)


def _drain(page_queue: Any, progress: Progress) -> None:
    while True:
        try:
            progress.pages(page_queue.get_nowait())
        except queue_module.Empty:
            return


def extract_corpus(
    project: Project, *, engine: str = DEFAULT_ENGINE, jobs: int | None = None, progress: Progress | None = None
) -> list[GuideResult]:
    """Extract every guide whose document is not cached yet; one result per guide."""
    progress = progress or Progress()
    results, todo = _plan(project, engine)
    progress.start("extract", documents=len(todo), pages=sum(j.n_pages for j in todo))
    workers = min(jobs or os.cpu_count() or 1, len(todo))
    if workers > 1:
        _run_parallel(todo, engine, project.cache_dir, workers, progress, results)
    else:
        for job in todo:
            results.append(_extract_job_inline(job, engine, project.cache_dir, progress))
            progress.document(job.guide.key)
    progress.finish("extract")
    return sorted(results, key=lambda r: r.key)


def _extract_job_inline(job: _Job, engine: str, cache_dir: Path, progress: Progress) -> GuideResult:
    class _Ticks:
        def put(self, n: int) -> None:
            progress.pages(n)

    _init_worker(_Ticks())
    try:
        return _extract_job(job, engine, cache_dir)
    finally:
        _init_worker(None)


def save_state(out_dir: Path, state: dict[str, Any], known: set[str]) -> None:
    """Drop the outputs of guides no longer in the manifest, then write ``state.json``."""
    for stale in out_dir.glob("*.jsonl"):
        if stale.stem not in known:
            stale.unlink()
            state.pop(stale.stem, None)
    write_atomic(out_dir / "state.json", json.dumps(state, indent=2, sort_keys=True) + "\n")


def read_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def segment_corpus(
    project: Project, *, engine: str = DEFAULT_ENGINE, nlp_name: str = "auto", progress: Progress | None = None,
    extracted: list[GuideResult] | None = None,
) -> list[GuideResult]:
    """Write ``build/segments/<key>.jsonl`` for every extracted guide that changed."""
    from mapping_review.nlp import load_nlp, pipeline_id, resolve_pipeline_name

    progress = progress or Progress()
    if extracted is None:
        extracted, _ = _plan(project, engine)
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


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


@dataclass
class BuildReport:
    extract: list[GuideResult]
    segment: list[GuideResult]
    code: list[GuideResult] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    n_disagreements: int = 0
    up_to_date: bool = False

    @property
    def failures(self) -> list[GuideResult]:
        return [r for r in self.extract + self.segment + self.code if r.failed]


def build_project(
    project: Project, *, engine: str | None = None, nlp_name: str | None = None, jobs: int | None = None,
    progress: Progress | None = None, calibrate: bool | None = None, force: bool = False,
) -> BuildReport:
    """Every stage that is out of date, in order (see :mod:`mapping_review.build`)."""
    from mapping_review.build import run_build

    return run_build(project, engine=engine, nlp_name=nlp_name, jobs=jobs, progress=progress,
                     calibrate=calibrate, force=force)
