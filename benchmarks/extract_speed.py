"""Cold extraction+segmentation pages/s against a plain pdfplumber loop in the same run, the warm
(cached) rebuild time, and a full build.

Usage: python benchmarks/extract_speed.py [FOLDER] [--engine pdfium.v1] [--jobs N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pdfplumber

from mapping_review import pipeline
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import init_project

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "guides"


def plain_pdfplumber(files: list[Path]) -> tuple[int, float]:
    start, pages = time.perf_counter(), 0
    for path in files:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                pages += 1
    return pages, time.perf_counter() - start


def _extract_and_segment(project: object, engine: str, jobs: int | None) -> list[pipeline.GuideResult]:
    extracted = pipeline.extract_corpus(project, engine=engine, jobs=jobs)  # type: ignore[arg-type]
    pipeline.segment_corpus(project, engine=engine, nlp_name="blank", extracted=extracted)  # type: ignore[arg-type]
    return extracted


def ours(files: list[Path], *, engine: str, jobs: int | None) -> tuple[int, float, float, float, float]:
    """Pages; cold extraction+segmentation; the same warm; a full build; a full build with nothing changed."""
    with tempfile.TemporaryDirectory() as tmp:
        project = init_project(Path(tmp) / "review")
        for path in files:
            add_guide(project, path, key=path.stem, link=True)
        start = time.perf_counter()
        extracted = _extract_and_segment(project, engine, jobs)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        _extract_and_segment(project, engine, jobs)
        warm = time.perf_counter() - start
        start = time.perf_counter()
        pipeline.build_project(project, engine=engine, nlp_name="blank", jobs=jobs)
        full = time.perf_counter() - start
        start = time.perf_counter()
        assert pipeline.build_project(project, engine=engine, nlp_name="blank", jobs=jobs).up_to_date
        noop = time.perf_counter() - start
    return sum(r.n_pages for r in extracted), cold, warm, full, noop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--engine", default="pdfium.v1")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    files = sorted(args.folder.glob("*.pdf"))
    n_base, t_base = plain_pdfplumber(files)
    n_ours, cold, warm, full, noop = ours(files, engine=args.engine, jobs=args.jobs)
    print(f"{len(files)} files, {n_base} pages")
    print(f"plain pdfplumber extract_text: {t_base:8.2f} s  {n_base / t_base:8.1f} pages/s")
    print(f"mapping-review cold ({args.engine}): {cold:8.2f} s  {n_ours / cold:8.1f} pages/s "
          f"(extraction + layout + segmentation)")
    print(f"ratio (ours / pdfplumber): {(n_ours / cold) / (n_base / t_base):.1f}x")
    print(f"warm extraction+segmentation: {warm:8.3f} s (cached by file hash: no PDF is read)")
    print(f"then a full build (coding, tables, graph, criteria, figures): {full:8.2f} s")
    print(f"and a build with nothing changed: {noop:8.3f} s (build/run.json)")


if __name__ == "__main__":
    main()
