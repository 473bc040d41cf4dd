"""The labelled guides of the coding benchmark: split, segments, sentence labels and reader sheets.

``load_devset()`` builds (or reuses) a review project in ``build/devset/`` whose corpus links the
guides listed in ``data/coding/split.yaml`` from ``../shared/corpus``, extracts and segments them
with the project's own pipeline, and returns everything the benchmark and the trainer need.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mapping_review import pipeline  # noqa: E402
from mapping_review.coding.codebook import Codebook, load_codebook, split_cell  # noqa: E402
from mapping_review.coding.labels import SentenceLabel, read_labels  # noqa: E402
from mapping_review.project.corpus import add_guide  # noqa: E402
from mapping_review.project.layout import init_project, open_project  # noqa: E402
from mapping_review.project.manifest import load_manifest  # noqa: E402
from mapping_review.segment.segments import Segment, jsonl_to_segments  # noqa: E402

DATA = ROOT / "data" / "coding"
SPLIT = DATA / "split.yaml"
# second readers' sheets, written blind to the reader sheets, the labels and the machine: they measure how
# far two careful readers agree, beside the machine's agreement; the figures are never measured against them
SECOND_SHEETS = (DATA / "reader_sheet_dev_second.csv", DATA / "reader_sheet_test_second.csv")
CORPUS = ROOT.parent / "shared" / "corpus"
BUILD = ROOT / "build" / "devset"


@dataclass(frozen=True)
class SplitGuide:
    key: str
    file: str
    part: str  # dev | train | test
    family: str
    reader_sheet: str  # "" for a training guide that is not a probe


@dataclass
class Devset:
    codebook: Codebook
    guides: list[SplitGuide]
    segments: dict[str, list[Segment]] = field(default_factory=dict)
    labels: dict[str, list[SentenceLabel]] = field(default_factory=dict)
    truth: dict[tuple[str, str], bool] = field(default_factory=dict)  # reader sheets: (guide, code) -> present
    second: dict[tuple[str, str], bool] = field(default_factory=dict)  # second, blind readers' sheets (never truth)

    def keys(self, part: str | None = None) -> list[str]:
        """The guides of ``part`` (all when None); ``probe``: the training guides that have a reader sheet."""
        if part == "probe":
            return [g.key for g in self.guides if g.part == "train" and g.reader_sheet]
        return [g.key for g in self.guides if part in (None, g.part)]

    def training_keys(self, *, training_guides: bool = False) -> list[str]:
        """The guides whose sentence labels train the evidence classifier: the development part, and with
        ``training_guides`` the training guides too (labels only, never measured). Never a test guide."""
        return [g.key for g in self.guides if g.part == "dev" or (training_guides and g.part == "train")]


def load_split(path: Path = SPLIT) -> list[SplitGuide]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [SplitGuide(g["key"], g["file"], g["part"], g.get("family", ""), g.get("reader_sheet", ""))
            for g in data["guides"]]


def read_reader_sheet(path: Path, codebook: Codebook, *, guides: Iterable[str] | None = None,
                      ) -> dict[tuple[str, str], bool]:
    """A paper-shaped sheet as (guide, code) -> present, for every code of every row. A column, cell or
    guide (when ``guides`` are given) that the codebook or the split does not know stops the benchmark."""
    with path.open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    by_label = {f.label: f for f in codebook.features}
    unknown = [name for name in header[1:] if name not in by_label]
    if unknown:
        msg = f"{path}: row 1: unknown column(s) {', '.join(map(repr, unknown))}; the codebook's features are the columns"
        raise SystemExit(msg)
    known = None if guides is None else set(guides)
    out: dict[tuple[str, str], bool] = {}
    for number, row in enumerate(rows, start=2):
        guide = row[0] if row else ""
        if len(row) != len(header):
            msg = f"{path}: row {number}: {len(row)} cells where the header has {len(header)}"
            raise SystemExit(msg)
        if known is not None and guide not in known:
            msg = f"{path}: row {number}: guide {guide!r} is not in data/coding/split.yaml"
            raise SystemExit(msg)
        for name, cell in zip(header[1:], row[1:]):
            feature = by_label[name]
            value = cell.strip().casefold()
            if feature.codes:
                chosen = {c.casefold() for c in split_cell(cell)} - {"no"}
                labels = {c.label.casefold() for c in feature.codes}
                if chosen - labels:
                    msg = f"{path}: row {number}, column {name!r}: unknown value(s) {sorted(chosen - labels)}"
                    raise SystemExit(msg)
                for c in feature.codes:
                    out[(guide, f"{feature.id}/{c.id}")] = c.label.casefold() in chosen
            else:
                if value not in ("yes", "no", ""):
                    msg = f"{path}: row {number}, column {name!r}: {cell!r} is not Yes, No or empty"
                    raise SystemExit(msg)
                out[(guide, feature.id)] = value == "yes"
    return out


def load_devset(*, build: Path = BUILD, corpus: Path = CORPUS, nlp_name: str = "blank", jobs: int | None = 2,
                codebook_path: Path = ROOT / "codebook.yaml") -> Devset:
    """Split, segments (extracted and segmented by the project's pipeline), labels and reader sheets."""
    guides = load_split()
    missing = [g.file for g in guides if not (corpus / g.file).exists()]
    if missing:
        msg = f"the shared corpus is missing {len(missing)} labelled guide(s) under {corpus}: {', '.join(missing)}"
        raise SystemExit(msg)
    project = open_project(build) if (build / "corpus" / "manifest.yaml").exists() else init_project(build)
    known = {g.key for g in load_manifest(project.manifest_path).guides}
    for g in guides:
        if g.key not in known:
            add_guide(project, corpus / g.file, key=g.key, link=True)
    extracted = pipeline.extract_corpus(project, jobs=jobs)
    pipeline.segment_corpus(project, nlp_name=nlp_name, extracted=extracted)
    codebook = load_codebook(codebook_path)
    devset = Devset(codebook=codebook, guides=guides)
    for g in guides:
        devset.segments[g.key] = jsonl_to_segments((project.segments_dir / f"{g.key}.jsonl").read_text(encoding="utf-8"))
        path = DATA / "labels" / f"{g.key}.csv"
        devset.labels[g.key] = read_labels(path) if path.exists() else []
    keys = [g.key for g in guides]
    for sheet in sorted({g.reader_sheet for g in guides if g.reader_sheet}):
        devset.truth.update(read_reader_sheet(ROOT / sheet, codebook, guides=keys))
    for path in SECOND_SHEETS:
        devset.second.update(read_reader_sheet(path, codebook, guides=keys))
    return devset
