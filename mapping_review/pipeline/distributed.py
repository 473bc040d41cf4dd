"""Extraction, segmentation and coding per guide on a Dask distributed cluster.

``build --scheduler ADDRESS`` sends one task per guide that needs extracting to the scheduler at
ADDRESS (``local`` starts a ``LocalCluster`` of worker processes on this machine). A task runs the
same functions as a local build, in a scratch folder of its worker, and sends back the files it
made (the cached document, OCR, segments, codings); the client writes them where a local build
would, so the outputs are the same byte for byte. A worker reads the PDF from its path when every
worker can read that file (same size), and is sent the PDF's bytes with the task otherwise.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mapping_review.bookkeeping import GuideResult, Progress
from mapping_review.coding.stage import Coded
from mapping_review.errors import MappingReviewError
from mapping_review.extract.stage import extract_guide, plan_extraction
from mapping_review.project.layout import Project
from mapping_review.project.manifest import Guide
from mapping_review.segment.stage import SegmentAfterExtract

LOCAL = "local"
CONNECT_TIMEOUT = 20  # seconds to reach a scheduler
_CODERS: dict[tuple[str, str], Any] = {}  # per worker process: the rule coder of a codebook and pipeline
_MODELS: dict[str, Any] = {}  # per worker process: the project's evidence classifiers, by digest


def _coder(codebook_text: str, nlp_name: str, folder: Path) -> Any:
    from mapping_review.coding.codebook import load_codebook
    from mapping_review.coding.rules import RuleCoder
    from mapping_review.segment.nlp import load_nlp

    key = (hashlib.sha256(codebook_text.encode("utf-8")).hexdigest(), nlp_name)
    if key not in _CODERS:
        path = folder / "codebook.yaml"
        path.write_text(codebook_text, encoding="utf-8")
        _CODERS[key] = RuleCoder(load_codebook(path), load_nlp(nlp_name))
    return _CODERS[key]


def _model(spec: dict[str, Any]) -> tuple[Any, str]:
    """The classifier a task scores with: the project's own (sent with the task), or the one shipped with
    the worker's copy of the package (whose digest tells the client whether it is the client's)."""
    from mapping_review.coding.evidence import EvidenceModel, shipped_model
    from mapping_review.coding.stage import shipped_model_digest

    digest, data = spec["model"]
    if data is None:
        model = shipped_model()
        return model, shipped_model_digest(model)
    if digest not in _MODELS:
        _MODELS[digest] = EvidenceModel.from_dict(data)
    return _MODELS[digest], digest


def guide_task(spec: dict[str, Any]) -> dict[str, Any]:
    """Run on a worker: extract, segment and code one guide in a scratch folder; return what it made."""
    from mapping_review.coding.stage import code_and_score

    guide = Guide.model_validate(spec["guide"])
    with tempfile.TemporaryDirectory(prefix="mapping-review-") as tmp:
        root = Path(tmp)
        path = Path(spec["path"])
        if spec["pdf"] is not None:
            path = root / "input.pdf"
            path.write_bytes(spec["pdf"])
        hook = SegmentAfterExtract(root / "segments", root / "cache", spec["nlp_name"], spec["wanted_nlp"])
        hook.prepare()
        result, value = extract_guide(guide, path, sha256=spec["sha256"], engine=spec["engine"],
                                      cache_dir=root / "cache", then=hook)
        entry = value[0] if value is not None else None  # the guide's segments state (then's value is None)
        segments = codings = None
        if entry is not None:
            segments = (root / "segments" / f"{guide.key}.jsonl").read_text(encoding="utf-8")
            codings = code_and_score(_coder(spec["codebook"], spec["nlp_name"], root), *_model(spec), segments)
        cache = root / "cache"
        files = {p.relative_to(cache).as_posix(): p.read_bytes() for p in sorted(cache.rglob("*"))
                 if p.is_file() and "work-" not in p.parent.name}
    return {"result": result, "entry": entry, "segments": segments, "codings": codings, "files": files}


def _readable(items: list[tuple[str, int]]) -> list[bool]:
    """Run on every worker: which of these (path, size) it can read."""
    out = []
    for path, size in items:
        try:
            out.append(Path(path).stat().st_size == size and os.access(path, os.R_OK))
        except OSError:
            out.append(False)
    return out


@contextmanager
def connect(scheduler: str, *, workers: int | None = None) -> Iterator[Any]:
    """A Dask client of the scheduler at ``scheduler``, or of a new ``LocalCluster`` for ``local``."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as e:
        msg = "--scheduler needs Dask distributed: pip install 'distributed'"
        raise MappingReviewError(msg) from e
    if scheduler == LOCAL:
        with LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as e:
        msg = (f"cannot reach the Dask scheduler at {scheduler!r} ({e}); start one (`dask scheduler`, then "
               "`dask worker ADDRESS` on each machine) or use --scheduler local")
        raise MappingReviewError(msg) from e
    with client:
        yield client


def cluster_extract(project: Project, *, engine: str, nlp_name: str, scheduler: str, workers: int | None = None,
                    progress: Progress | None = None, send_pdfs: bool | None = None,
                    ) -> tuple[list[GuideResult], dict[str, dict[str, str]], dict[str, Coded]]:
    """Extract, segment and code on the cluster every guide whose document is not cached.

    ``send_pdfs``: True sends every PDF with its task, False never does, None (default) sends those
    that some worker cannot read at their path.

    Returns the extraction results (every guide, as :func:`extract_corpus` does), and per guide done
    on the cluster its segments' state entry and its codings (for ``segment_corpus`` and ``code_corpus``,
    which record them); the files are written into ``build/`` already.
    """
    from mapping_review.segment.nlp import resolve_pipeline_name

    progress = progress or Progress()
    results, todo = plan_extraction(project, engine)
    progress.start("extract", documents=len(todo), pages=sum(j.n_pages for j in todo))
    segmented: dict[str, dict[str, str]] = {}
    coded: dict[str, Coded] = {}
    if todo:
        with connect(scheduler, workers=workers) as client:
            items = [(str(job.path.resolve()), job.path.stat().st_size) for job in todo]
            if send_pdfs is None:
                seen = list(client.run(_readable, items).values())
                shared = [bool(seen) and all(flags[i] for flags in seen) for i in range(len(todo))]
            else:
                shared = [not send_pdfs] * len(todo)
            base = {"engine": engine, "nlp_name": nlp_name, "wanted_nlp": resolve_pipeline_name(nlp_name),
                    "codebook": project.codebook_path.read_text(encoding="utf-8"), "model": _project_model(project)}
            order = sorted(range(len(todo)), key=lambda i: -todo[i].n_pages)
            futures = {
                client.submit(guide_task, {**base, "guide": todo[i].guide.model_dump(), "sha256": todo[i].sha256,
                                           "path": items[i][0],
                                           "pdf": None if shared[i] else todo[i].path.read_bytes()},
                              pure=False): todo[i]
                for i in order
            }
            from dask.distributed import as_completed

            for future in as_completed(futures):
                job = futures[future]
                try:
                    out = future.result()
                except Exception as e:  # a worker lost or a task broken: that guide fails, the rest go on
                    msg = f"{job.guide.key}: the cluster task failed: {type(e).__name__}: {e}"
                    results.append(GuideResult(job.guide.key, "failed", msg, "cluster"))
                    continue
                _store(project, job.guide.key, out, segmented, coded)
                results.append(out["result"])
                progress.pages(out["result"].n_pages)
                progress.document(job.guide.key)
    progress.finish("extract")
    return sorted(results, key=lambda r: r.key), segmented, coded


def _project_model(project: Project) -> tuple[str, dict[str, Any] | None]:
    """The project's own classifier for the tasks (its digest and data), or none: the shipped one."""
    from mapping_review.coding.stage import evidence_model, project_model_path

    if not project_model_path(project).exists():
        return "", None
    model, digest = evidence_model(project)
    return digest, model.to_dict() if model is not None else None


def _store(project: Project, key: str, out: dict[str, Any], segmented: dict[str, dict[str, str]],
           coded: dict[str, Coded]) -> None:
    from mapping_review.files import write_atomic

    for name, data in out["files"].items():
        target = project.cache_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
        tmp.write_bytes(data)
        tmp.replace(target)
    if out["entry"] is None or out["segments"] is None:
        return
    project.segments_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(project.segments_dir / f"{key}.jsonl", out["segments"])
    segmented[key] = out["entry"]
    if out["codings"] is not None:
        coded[key] = out["codings"]
