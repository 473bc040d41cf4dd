"""What the workbench reads and writes: the same project files the CLI uses.

Nothing is kept in a database of its own. Reviews are read from
``reviews/*.jsonl`` on every request (they are small and may change under
the app: another reviewer, a CLI import); the machine's outputs are cached
until their files change.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path

from mapping_review.errors import MappingReviewError
from mapping_review.extract import Document
from mapping_review.extract.cache import load_document
from mapping_review.extract.glyphs import Glyphs, page_glyphs
from mapping_review.extract.stage import guide_extractor
from mapping_review.files import file_sha256, replacing
from mapping_review.project.layout import Project
from mapping_review.project.manifest import Guide, load_manifest
from mapping_review.project.settings import load_settings
from mapping_review.review.decisions import Decision, append_decisions, read_reviews
from mapping_review.review.queue import LearningQueue
from mapping_review.review.queue_state import build_queue, refresh
from mapping_review.review.state import ReviewState, load_review, under_current_ids
from mapping_review.segment.segments import Segment, read_segments

RENDER_SCALE = 1.5  # page images: pixels per PDF point


def _stamp(paths: list[Path]) -> tuple[tuple[str, int], ...]:
    return tuple((str(p), p.stat().st_mtime_ns) for p in paths if p.exists())


# PDFium is not thread-safe: every use of it in this process goes through this lock.
PDFIUM_LOCK = threading.Lock()


@dataclass
class GuideData:
    guide: Guide
    doc: Document | None
    segments: list[Segment]
    by_id: dict[str, Segment] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {s.id: s for s in self.segments}


class Store:
    """Project access for the web app, safe to share between request threads."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._lock = threading.Lock()
        self._state: tuple[tuple[tuple[str, int], ...], ReviewState] | None = None
        self._guides: dict[str, tuple[tuple[tuple[str, int], ...], GuideData]] = {}
        self._glyphs: dict[tuple[str, int, str], Glyphs] = {}
        self._queue_locks: dict[str, threading.Lock] = {}
        self._record_locks: dict[str, threading.RLock] = {}
        self._queues: dict[tuple[str, str], tuple[object, LearningQueue]] = {}

    # -- review state (codebook, manifest, suggestions) ------------------------------------
    def _machine_files(self) -> list[Path]:
        p = self.project
        return [p.codebook_path, p.manifest_path, *sorted((p.build_dir / "codings").glob("*.jsonl"))]

    def state(self) -> ReviewState:
        """The review, with the decisions as they are on disk right now."""
        stamp = _stamp(self._machine_files())
        with self._lock:
            if self._state is None or self._state[0] != stamp:
                self._state = (stamp, load_review(self.project))
            cached = self._state[1]
        files = read_reviews(self.project.reviews_dir)
        decisions = [d for d in under_current_ids(files.decisions, cached.codebook)
                     if d.guide in cached.guides and d.code in cached.codebook.by_id]
        return replace(cached, decisions=decisions, warnings=sorted({*cached.warnings, *files.warnings}))

    def guides(self) -> list[Guide]:
        return list(load_manifest(self.project.manifest_path).guides)

    def guide(self, key: str) -> GuideData:
        """A guide's extracted document and segments (None / empty before its first build)."""
        guide = next((g for g in self.guides() if g.key == key), None)
        if guide is None:
            raise MappingReviewError(f"no guide {key!r}")
        seg_path = self.project.segments_dir / f"{key}.jsonl"
        stamp = _stamp([self.project.manifest_path, seg_path])
        with self._lock:
            hit = self._guides.get(key)
            if hit is not None and hit[0] == stamp:
                return hit[1]
        doc = None
        path = guide.path(self.project.corpus_dir)
        if path is not None and path.is_file():
            engine = load_settings(self.project.root).build.engine
            doc = load_document(self.project.cache_dir, guide.sha256 or file_sha256(path), guide_extractor(engine, guide))
        segments = read_segments(seg_path) if seg_path.exists() else []
        data = GuideData(guide, doc, segments)
        with self._lock:
            self._guides[key] = (stamp, data)
        return data

    # -- page images -----------------------------------------------------------------------
    def page_png(self, key: str, number: int) -> bytes:
        """The page drawn as PNG, cached under build/cache/pages/ by file hash."""
        import pypdfium2 as pdfium

        data = self.guide(key)
        path = data.guide.path(self.project.corpus_dir)
        if path is None or not path.is_file() or data.doc is None or not 1 <= number <= data.doc.n_pages:
            raise MappingReviewError(f"no page {number} of {key!r}")
        cache = self.project.cache_dir / "pages" / f"{data.doc.sha256}-{number}-{RENDER_SCALE}.png"
        if cache.exists():
            return cache.read_bytes()
        with PDFIUM_LOCK:
            if cache.exists():  # another request drew it while this one waited
                return cache.read_bytes()
            pdf = pdfium.PdfDocument(str(path), password=data.guide.password or None)
            try:
                image = pdf[number - 1].render(scale=RENDER_SCALE).to_pil()
            finally:
                pdf.close()
            with replacing(cache) as tmp:
                image.save(tmp, format="PNG")
        return cache.read_bytes()

    def glyphs(self, key: str, number: int) -> Glyphs:
        """Where the page's letters are drawn (for marking sentences and words), read once per page of
        each version of the guide's PDF (a guide replaced under the same key is read again)."""
        data = self.guide(key)
        path = data.guide.path(self.project.corpus_dir)
        if path is None or not path.is_file():
            return Glyphs("", ())
        version = data.guide.sha256 or file_sha256(path)
        hit = self._glyphs.get((key, number, version))
        if hit is not None:
            return hit
        with PDFIUM_LOCK:
            glyphs = page_glyphs(path, number, password=data.guide.password or None)
        with self._lock:
            if len(self._glyphs) > 256:
                self._glyphs.clear()
            self._glyphs[(key, number, version)] = glyphs
        return glyphs

    def queue(self, reviewer: str, state: ReviewState, *, strategy: str = "gain") -> LearningQueue:
        """The reviewer's learning queue: built once per set of machine outputs, then taught each new
        decision of theirs incrementally. One request at a time per reviewer updates it.

        The queue goes with the machine outputs of ``state`` (the very list of suggestions it was built
        from, not the files on disk when this is called: a build may finish in between)."""
        with self._lock:
            lock = self._queue_locks.setdefault(reviewer, threading.Lock())
        with lock:
            hit = self._queues.get((reviewer, strategy))
            if hit is None or hit[0] is not state.suggestions:
                queue = build_queue(state.suggestions, state.decisions, reviewer, strategy=strategy)
            else:
                queue = refresh(hit[1], state.decisions, reviewer)
            self._queues[(reviewer, strategy)] = (state.suggestions, queue)
            return queue

    def segment(self, key: str, seg_id: str) -> Segment | None:
        return self.guide(key).by_id.get(seg_id)

    # -- decisions -------------------------------------------------------------------------
    def recording(self, reviewer: str) -> threading.RLock:
        """Hold it across reading a reviewer's answers, checking against them and recording: no other
        request of this workbench records for that reviewer in between (:meth:`record` takes it too)."""
        with self._lock:
            return self._record_locks.setdefault(reviewer, threading.RLock())

    def record(self, decisions: list[Decision]) -> int:
        with ExitStack() as held:
            for reviewer in sorted({d.reviewer for d in decisions}):
                held.enter_context(self.recording(reviewer))
            return append_decisions(self.project.reviews_dir, decisions)
