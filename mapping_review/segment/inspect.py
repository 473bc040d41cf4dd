"""Looking at what the machine saw: a guide's outline, a page's segments."""

from __future__ import annotations

from dataclasses import dataclass

from mapping_review.errors import MappingReviewError
from mapping_review.extract import DEFAULT_ENGINE, Document, Page
from mapping_review.extract.cache import load_document
from mapping_review.extract.stage import guide_extractor
from mapping_review.files import file_sha256
from mapping_review.project.corpus import resolve_file
from mapping_review.project.layout import Project
from mapping_review.project.manifest import load_manifest
from mapping_review.segment.segments import Segment, document_headings, read_segments


@dataclass(frozen=True)
class OutlineItem:
    level: int
    title: str
    page: int


def load_extracted(project: Project, key: str, *, engine: str = DEFAULT_ENGINE) -> Document:
    """The extracted document of guide ``key``; raises with advice when there is none."""
    manifest = load_manifest(project.manifest_path)
    guide = manifest.get(key)
    if guide is None:
        known = ", ".join(g.key for g in manifest.guides) or "none"
        raise MappingReviewError(f"no guide {key!r} in {project.manifest_path} (guides: {known})")
    if not guide.file:
        raise MappingReviewError(f"guide {key!r} has no PDF yet; add it with `mapping-review corpus add`")
    path = resolve_file(project, guide)
    doc = load_document(project.cache_dir, guide.sha256 or file_sha256(path), guide_extractor(engine, guide))
    if doc is None:
        raise MappingReviewError(f"guide {key!r} is not extracted yet; run `mapping-review build`")
    return doc


def load_segments(project: Project, key: str) -> list[Segment]:
    path = project.segments_dir / f"{key}.jsonl"
    if not path.exists():
        raise MappingReviewError(f"{path} does not exist; run `mapping-review build`")
    return read_segments(path)


def guide_outline(doc: Document) -> list[OutlineItem]:
    """The headings found in the guide, in reading order; a heading carried on to the next page is one
    heading, at the page it starts on (as the segments' section paths have it)."""
    return [OutlineItem(level=level, title=title, page=page) for level, title, page in document_headings(doc)]


def page_of(doc: Document, number: int) -> Page:
    if not 1 <= number <= doc.n_pages:
        raise MappingReviewError(f"page {number} is out of range: the guide has {doc.n_pages} pages")
    return doc.pages[number - 1]


def page_segments(
    segments: list[Segment], number: int, *, kinds: tuple[str, ...] = ("paragraph", "sentence")
) -> list[Segment]:
    """Segments that start on page ``number`` or run onto it."""
    return [s for s in segments if s.kind in kinds and s.page <= number <= s.end_page]

