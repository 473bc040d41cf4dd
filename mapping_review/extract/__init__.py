"""PDF to :class:`Document`: text runs read by an engine, then layout shared by all engines."""

from __future__ import annotations

from pathlib import Path

from mapping_review.extract.document import raw_to_document
from mapping_review.extract.engines import DEFAULT_ENGINE, ENGINES, PageCallback, get_engine
from mapping_review.extract.model import Block, Document, OutlineEntry, Page

# Bump when a change to the layout stages changes their output: cached documents
# made by another version are extracted again.
LAYOUT_VERSION = "layout.v9"

__all__ = [
    "DEFAULT_ENGINE", "ENGINES", "LAYOUT_VERSION", "Block", "Document", "OutlineEntry", "Page",
    "extract_document", "extractor_name",
]


def extractor_name(engine: str) -> str:
    """The versioned name recorded with every extracted document."""
    return f"{engine}+{LAYOUT_VERSION}"


def extract_document(
    path: Path,
    *,
    sha256: str,
    engine: str = DEFAULT_ENGINE,
    password: str | None = None,
    on_page: PageCallback | None = None,
) -> Document:
    """Read ``path`` with ``engine`` and lay it out; raises :class:`GuideError` subclasses."""
    reader = get_engine(engine)
    raw = reader(path, password=password, on_page=on_page)
    return raw_to_document(raw, sha256=sha256, extractor=extractor_name(engine), source=str(path))
