"""The extract stage over a project: every guide's PDF read and laid out, in worker processes.

Documents are cached by file hash and extractor version (:mod:`mapping_review.extract.cache`), so a
guide is read again only when its file or the extractor changed. A later stage may hand in a hook
(:class:`AfterExtract`) that runs in the same worker on the fresh document, so that the document
is not written, read back and parsed again before that stage can start. While this process prepares
that hook (loading a language pipeline), a process of its own reads the largest guide.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import pypdfium2 as pdfium

from mapping_review.bookkeeping import GuideResult, Progress
from mapping_review.errors import GuideError, MappingReviewError
from mapping_review.extract import DEFAULT_ENGINE, Document, extract_document, extractor_name
from mapping_review.extract.cache import document_summary, load_document, load_summary, save_document
from mapping_review.extract.ocr import OCR_ENGINE, ocr_pdf
from mapping_review.files import file_sha256
from mapping_review.forking import may_have_children, may_start_process
from mapping_review.project.corpus import resolve_file
from mapping_review.project.layout import Project
from mapping_review.project.manifest import Guide, load_manifest


class AfterExtract(Protocol):
    """Work a later stage does on each freshly extracted document, inside the extraction worker."""

    def prepare(self) -> None:
        """Called once in the parent before the workers start (load models here: workers inherit them)."""

    def __call__(self, guide: Guide, doc: Document) -> Any:
        """Run in the worker; the value (small and picklable) is handed to :meth:`collect`."""

    def collect(self, key: str, value: Any) -> None:
        """Called in the parent with each guide's value."""


@dataclass
class _Job:
    guide: Guide
    path: Path
    sha256: str
    n_pages: int


def _summarise(result: GuideResult, summary: dict[str, Any]) -> GuideResult:
    result.n_pages = int(summary["n_pages"])
    result.page_status = {k: list(v) for k, v in summary["page_status"].items()}
    result.warnings = list(summary["warnings"])
    return result


def guide_extractor(engine: str, guide: Guide) -> str:
    """The versioned name of what extracts ``guide``: the engine and layout, and OCR when it is asked for."""
    name = extractor_name(engine)
    return f"{name}+{OCR_ENGINE}" if guide.ocr else name


def _count_pages(path: Path, password: str) -> int:
    try:
        doc = pdfium.PdfDocument(str(path), password=password or None)
    except (pdfium.PdfiumError, OSError):
        return 0
    try:
        return len(doc)
    finally:
        doc.close()


def plan_extraction(project: Project, engine: str) -> tuple[list[GuideResult], list[_Job]]:
    manifest = load_manifest(project.manifest_path)
    results = [GuideResult(key, "failed", message, "manifest") for key, message in manifest.broken_entries]
    jobs: list[_Job] = []
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
        cached = load_summary(project.cache_dir, sha, guide_extractor(engine, guide))
        if cached is not None:
            results.append(_summarise(GuideResult(guide.key, "cached"), cached))
        else:
            jobs.append(_Job(guide, path, sha, _count_pages(path, guide.password)))
    return results, jobs


_page_queue: Any = None


def _init_worker(page_queue: Any) -> None:
    global _page_queue
    _page_queue = page_queue


def _extract_job(job: _Job, engine: str, cache_dir: Path, then: AfterExtract | None) -> tuple[GuideResult, Any]:
    """Run in a worker process; the document goes to the cache, only its summary comes back."""
    def tick(n: int) -> None:
        if _page_queue is not None:
            _page_queue.put(n)

    try:
        doc = _extract(job, engine, cache_dir, tick)
    except GuideError as e:
        return GuideResult(job.guide.key, "failed", f"{job.guide.key}: {e}", e.reason), None
    except MappingReviewError as e:
        return GuideResult(job.guide.key, "failed", f"{job.guide.key}: {e}", "error"), None
    except Exception as e:  # an engine bug must not stop the corpus
        message = f"{job.guide.key}: {job.path}: unexpected {type(e).__name__}: {e}"
        return GuideResult(job.guide.key, "failed", message, "internal"), None
    save_document(cache_dir, doc)
    return _extracted(job, doc, then)


def _extracted(job: _Job, doc: Document, then: AfterExtract | None) -> tuple[GuideResult, Any]:
    """A worker's result for a guide whose document is in the cache: ``then`` run on it, and its summary."""
    value = then(job.guide, doc) if then is not None else None
    return _summarise(GuideResult(job.guide.key, "extracted"), document_summary(doc)), value


def _extract(job: _Job, engine: str, cache_dir: Path, tick: Callable[[int], None]) -> Document:
    password = job.guide.password or None
    if not job.guide.ocr:
        return extract_document(job.path, sha256=job.sha256, engine=engine, password=password, on_page=tick)
    ocr = ocr_pdf(job.path, sha256=job.sha256, cache_dir=cache_dir, password=password)
    doc = extract_document(ocr.pdf, sha256=job.sha256, engine=engine, on_page=tick)
    # the advice to run OCR does not fit a guide that was OCRed: say what OCR left
    warnings = [w for w in doc.warnings if "images with no text layer" not in w]
    left = [p.number for p in doc.pages if p.status == "image-only"]
    if left:
        warnings.insert(0, f"OCR found no text on {len(left)} image page(s) (pages {', '.join(map(str, left))})")
    return replace(doc, extractor=guide_extractor(engine, job.guide), warnings=tuple(warnings))


def extract_guide(guide: Guide, path: Path, *, sha256: str, engine: str, cache_dir: Path,
                  then: AfterExtract | None = None) -> tuple[GuideResult, Any]:
    """Extract one guide into ``cache_dir`` (as a worker of :func:`extract_corpus` does); the result
    and what ``then`` gave."""
    return _extract_job(_Job(guide, path, sha256, 0), engine, cache_dir, then)


def _run_parallel(jobs: list[_Job], engine: str, cache_dir: Path, workers: int, progress: Progress,
                  results: list[GuideResult], then: AfterExtract | None, meanwhile: Callable[[], None] | None,
                  ahead: _ReadAhead | None = None) -> None:
    ctx = multiprocessing.get_context("spawn" if os.name == "nt" else "fork")
    page_queue = ctx.SimpleQueue()  # a pipe the workers inherit: a page costs a write, not a call to a server
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                                 initargs=(page_queue,)) as pool:
            # largest documents first, so that no worker is left with a long one at the end
            pending: set[Future[tuple[GuideResult, Any]]] = {
                pool.submit(_extract_job, job, engine, cache_dir, then)
                for job in sorted(jobs, key=lambda j: -j.n_pages) if ahead is None or job is not ahead.job
            }
            if meanwhile is not None:
                _quietly(meanwhile)
            while pending or ahead is not None:
                if ahead is not None and not ahead.process.is_alive():
                    pending.add(pool.submit(_after_read_ahead, ahead.job, engine, cache_dir, then))
                    ahead = None
                if not pending and ahead is not None:
                    ahead.process.join(0.2)
                    continue
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(page_queue, progress)
                for future in done:
                    _collect(future.result(), results, then)
                    progress.document(results[-1].key)
            _drain(page_queue, progress)
    finally:
        page_queue.close()


@dataclass
class _ReadAhead:
    """The largest guide read by a process of its own while this one prepares the workers' later stages
    (loading a language pipeline keeps one core busy for most of a second: this puts the other to use)."""

    job: _Job
    process: Any  # multiprocessing.Process

    @classmethod
    def start(cls, jobs: list[_Job], engine: str, cache_dir: Path) -> _ReadAhead | None:
        """Where forking is safe (no other thread runs); not for a guide to OCR (a long job, run by a
        program a stopped read-ahead would leave behind)."""
        readable = [j for j in jobs if not j.guide.ocr]
        if not readable or not may_start_process():
            return None
        job = max(readable, key=lambda j: j.n_pages)
        process = multiprocessing.get_context("fork").Process(target=_read_ahead, args=(job, engine, cache_dir),
                                                              name="read-ahead")
        try:
            process.start()
        except (OSError, AssertionError):  # no process to spare: a worker reads it
            return None
        return cls(job, process)

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()


def _read_ahead(job: _Job, engine: str, cache_dir: Path) -> None:
    """In its own process: the document to the cache (a worker reads it again if this fails)."""
    with contextlib.suppress(Exception):  # the worker reports why it cannot be read
        save_document(cache_dir, _extract(job, engine, cache_dir, lambda n: None))


def _after_read_ahead(job: _Job, engine: str, cache_dir: Path, then: AfterExtract | None) -> tuple[GuideResult, Any]:
    """In a worker: what :func:`_extract_job` does after reading, on the document read ahead (the whole job
    when it was not read)."""
    doc = load_document(cache_dir, job.sha256, guide_extractor(engine, job.guide))
    if doc is None:
        return _extract_job(job, engine, cache_dir, then)
    if _page_queue is not None:
        _page_queue.put(doc.n_pages)
    return _extracted(job, doc, then)


def _quietly(work: Callable[[], None]) -> None:
    """Work done here while the workers run, to save time later: if it fails, it is done (and its
    error reported) where it is needed."""
    with contextlib.suppress(Exception):  # nothing is lost: the later stage does it again and reports it
        work()


def _collect(outcome: tuple[GuideResult, Any], results: list[GuideResult], then: AfterExtract | None) -> None:
    result, value = outcome
    results.append(result)
    if then is not None and not result.failed:
        then.collect(result.key, value)


def _drain(page_queue: Any, progress: Progress) -> None:
    while not page_queue.empty():
        progress.pages(page_queue.get())


def extract_corpus(
    project: Project, *, engine: str = DEFAULT_ENGINE, jobs: int | None = None, progress: Progress | None = None,
    then: AfterExtract | None = None, meanwhile: Callable[[], None] | None = None,
) -> list[GuideResult]:
    """Extract every guide whose document is not cached yet; one result per guide.

    ``then`` runs on each freshly extracted document in the worker that made it; ``meanwhile`` runs
    here while worker processes extract (preparing a later stage).
    """
    progress = progress or Progress()
    results, todo = plan_extraction(project, engine)
    # a daemonic process (a Pool's worker) may start no worker processes: it extracts the guides itself
    workers = min(jobs or os.cpu_count() or 1, len(todo)) if may_have_children() else 1
    ahead = _ReadAhead.start(todo, engine, project.cache_dir) if workers > 1 and then is not None else None
    progress.start("extract", documents=len(todo), pages=sum(j.n_pages for j in todo))
    try:
        if todo and then is not None:
            then.prepare()
        if workers > 1:
            _run_parallel(todo, engine, project.cache_dir, workers, progress, results, then, meanwhile, ahead)
    finally:
        if ahead is not None:
            ahead.stop()
    if workers <= 1:
        for job in todo:
            _collect(_extract_job_inline(job, engine, project.cache_dir, progress, then), results, then)
            progress.document(job.guide.key)
    progress.finish("extract")
    return sorted(results, key=lambda r: r.key)


def _extract_job_inline(job: _Job, engine: str, cache_dir: Path, progress: Progress,
                        then: AfterExtract | None) -> tuple[GuideResult, Any]:
    class _Ticks:
        def put(self, n: int) -> None:
            progress.pages(n)

    _init_worker(_Ticks())
    try:
        return _extract_job(job, engine, cache_dir, then)
    finally:
        _init_worker(None)
