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

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from mapping_review.bookkeeping import GuideResult, Progress
from mapping_review.files import write_atomic
from mapping_review.pipeline.fingerprint import (
    RUN_FILE,
    inputs_of,
    library_versions,
    read_run,
    same_inputs,
    stage_outputs,
    stage_versions,
)
from mapping_review.project.layout import Project
from mapping_review.project.settings import Settings, load_settings
from mapping_review.segment.stage import extract_and_segment, segment_corpus

if TYPE_CHECKING:
    from mapping_review.review.state import Tables


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

    @property
    def n_failed_guides(self) -> int:
        """Guides that failed at some stage, each once (every broken manifest entry is one, keyed or not)."""
        return sum(r.failed for r in self.extract) + len({r.key for r in self.segment + self.code if r.failed})


def effective_settings(settings: Settings, *, engine: str | None, nlp_name: str | None,
                       calibrate: bool | None) -> Settings:
    """The project's settings with the command line's overrides."""
    build = settings.build.model_copy(update={k: v for k, v in
                                              {"engine": engine, "nlp": nlp_name, "calibrate": calibrate}.items()
                                              if v is not None})
    return settings.model_copy(update={"build": build})


def build_project(
    project: Project, *, engine: str | None = None, nlp_name: str | None = None, jobs: int | None = None,
    progress: Progress | None = None, calibrate: bool | None = None, force: bool = False, scheduler: str | None = None,
) -> BuildReport:
    """Every stage that is out of date, in order; a build with nothing changed returns at once.

    With ``scheduler`` (a Dask scheduler's address, or ``local``) the guides to extract are extracted,
    segmented and coded on that cluster (:mod:`mapping_review.pipeline.distributed`); the outputs are
    the same.
    """
    settings = effective_settings(load_settings(project.root), engine=engine, nlp_name=nlp_name, calibrate=calibrate)
    previous = read_run(project)
    inputs = inputs_of(project, previous.get("inputs", {}))
    versions = library_versions()
    stamp = {"versions": versions, "stages": stage_versions(settings), "settings": settings.model_dump(mode="json")}
    outputs = [project.root / p for p in previous.get("outputs", [])]
    unchanged = (previous and not previous.get("failed") and same_inputs(previous.get("inputs", {}), inputs)
                 and all(previous.get(k) == v for k, v in stamp.items())
                 and previous.get("stage_outputs") == stage_outputs(project, settings))
    if not force and unchanged and outputs and all(p.exists() for p in outputs):
        return BuildReport(extract=[], segment=[], up_to_date=True)
    report = _stages(project, settings, jobs=jobs, progress=progress, scheduler=scheduler)
    run = {"inputs": inputs, **stamp, "stage_outputs": stage_outputs(project, settings),
           "outputs": sorted(project.relative(p) for p in report.tables),
           # a build that failed for some guide is never "up to date": the next one says why again
           "failed": sorted({r.key for r in report.failures}),
           "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    project.build_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(project.build_dir / RUN_FILE, json.dumps(run, indent=2, sort_keys=True) + "\n")
    return report


def _meanwhile(settings: Settings) -> Callable[[], None]:
    """What this process does while the extraction workers run: load what the last stages need (the
    review and publishing code, and matplotlib warmed up when figures are drawn here, not by the figure
    process)."""
    def prepare() -> None:
        import mapping_review.publish.outputs
        import mapping_review.review.state  # noqa: F401
        from mapping_review.publish.figure_files import drawing_process_running
        from mapping_review.publish.figure_render import warm_up

        if settings.figures and not drawing_process_running():
            warm_up()

    return prepare


def _stages(project: Project, settings: Settings, *, jobs: int | None, progress: Progress | None,
            scheduler: str | None) -> BuildReport:
    if settings.figures:  # first, while this process is small; matplotlib loads there while this one works
        from mapping_review.publish.figure_files import start_drawing_process

        start_drawing_process()
    from mapping_review.coding.stage import CodeAfterSegment, code_corpus

    engine, nlp_name = settings.build.engine, settings.build.nlp
    if scheduler:
        from mapping_review.pipeline.distributed import cluster_extract

        extracted, done, coded_elsewhere = cluster_extract(project, engine=engine, nlp_name=nlp_name,
                                                           scheduler=scheduler, workers=jobs, progress=progress)
        segmented = segment_corpus(project, engine=engine, nlp_name=nlp_name, progress=progress, extracted=extracted,
                                   done=done)
        coded = code_corpus(project, nlp_name=nlp_name, progress=progress, done=coded_elsewhere)
    else:  # fresh documents are segmented and coded in their extraction workers
        coding = CodeAfterSegment(project, nlp_name)
        extracted, segmented = extract_and_segment(project, engine=engine, nlp_name=nlp_name, jobs=jobs,
                                                   progress=progress, then=coding, meanwhile=_meanwhile(settings))
        coded = code_corpus(project, nlp_name=nlp_name, progress=progress, done=coding.done)
    published = publish_review(project, settings)
    return BuildReport(extract=extracted, segment=segmented, code=coded, tables=published.written,
                       warnings=published.warnings, n_disagreements=len(published.tables.open))


@dataclass(frozen=True)
class Published:
    tables: Tables
    written: list[Path]
    warnings: list[str]  # the review's (its decisions and files), then the outputs'


def publish_review(project: Project, settings: Settings) -> Published:
    """The last stages of a build: the review resolved as it stands (calibrated as ``settings`` say) and
    everything derived from it written - tables, sheet, summary, criteria, graph, figures. No PDF is read,
    so ``mapping-review consensus`` runs it alone."""
    from mapping_review.publish.outputs import write_outputs
    from mapping_review.review.state import load_review, resolve_review

    state = load_review(project)
    tables = resolve_review(state, use_calibration=settings.build.calibrate)
    written, warnings = write_outputs(state, tables, settings)
    return Published(tables, written, state.warnings + warnings)
