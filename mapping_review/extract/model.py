"""Plain data exchanged by the extraction stages.

Coordinates are PDF points with the origin at the top-left of the page
(``top`` grows downwards), as in pdfplumber.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def shallow_dict(obj: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, without the deep copy of ``dataclasses.asdict`` (several
    times faster; tuples stay tuples, which JSON writes as lists)."""
    cls = type(obj)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(obj))
    return {name: getattr(obj, name) for name in names}


@dataclass(frozen=True, slots=True)
class Run:
    """A horizontal run of text in one font size, as drawn in the PDF.

    Engines turn characters into runs; everything after works on runs only.
    """

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True, slots=True)
class Shape:
    """Something drawn on the page: ``rule`` (a thin line), ``rect`` (a box with straight sides),
    ``outline`` (any other drawn shape: bubbles, rounded boxes, line art) or ``image``."""

    kind: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True, slots=True)
class RawPage:
    """What an engine read off one page."""

    number: int  # 1-based
    width: float
    height: float
    runs: tuple[Run, ...]
    n_images: int = 0
    invisible_text: bool = False  # text drawn invisibly: an OCR layer under a scan
    rotation: int = 0  # the page's text was turned by this much; width/height are of the turned page
    shapes: tuple[Shape, ...] = ()  # in the same (turned) coordinates as the runs


@dataclass(frozen=True, slots=True)
class OutlineEntry:
    level: int  # 1 = top
    title: str
    page: int | None  # 1-based


@dataclass(frozen=True, slots=True)
class RawDocument:
    n_pages: int
    pages: tuple[RawPage, ...]
    outline: tuple[OutlineEntry, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool

    @property
    def bbox(self) -> BBox:
        return (self.x0, self.top, self.x1, self.bottom)


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph-like unit of a page in reading order.

    ``kind`` is ``heading``, ``paragraph``, ``list_item``, ``table_row`` (a table row with its
    header cells: "Header: cell | Header: cell") or ``contents`` (an entry of a table of contents); ``level`` is the
    heading level (1 = top) or 0; ``section`` the headings above it, outermost
    first (a heading's own path ends with itself). ``start``/``end`` index the
    page text. ``continues`` marks a block that carries on the last block of
    the previous page; ``glued`` one that carries on its last word too ("neuro-" / "oncology"),
    to be joined without a space.
    """

    kind: str
    text: str
    bbox: BBox
    size: float
    bold: bool
    n_lines: int
    level: int = 0
    section: tuple[str, ...] = ()
    start: int = 0
    end: int = 0
    number: str = ""  # recommendation/section number such as "1.2.7"
    continues: bool = False
    glued: bool = False

    def to_dict(self) -> dict[str, Any]:
        return shallow_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Block:
        data = dict(data)
        data["bbox"] = tuple(data["bbox"])
        data["section"] = tuple(data["section"])
        data.setdefault("glued", False)
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Page:
    """A page after extraction. ``status`` is ``text``, ``image-only``,
    ``blank`` or ``furniture-only`` (nothing left once running headers and
    footers are removed)."""

    number: int
    width: float
    height: float
    status: str
    text: str
    blocks: tuple[Block, ...]
    removed: tuple[str, ...] = ()  # running headers, footers, page numbers
    rotation: int = 0  # direction of the page's text in degrees; boxes are in page coordinates
    labels: tuple[str, ...] = ()  # figure labels left out of the text ("21C", words drawn on a picture)

    def to_dict(self) -> dict[str, Any]:
        data = shallow_dict(self)
        data["blocks"] = [b.to_dict() for b in self.blocks]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Page:
        data = dict(data)
        data["blocks"] = tuple(Block.from_dict(b) for b in data["blocks"])
        data["removed"] = tuple(data["removed"])
        data["labels"] = tuple(data.get("labels", ()))
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Document:
    """A guide's extracted text: pages with located, sectioned blocks."""

    sha256: str
    extractor: str
    n_pages: int
    pages: tuple[Page, ...]
    outline: tuple[OutlineEntry, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "extractor": self.extractor,
            "n_pages": self.n_pages,
            "outline": [shallow_dict(o) for o in self.outline],
            "warnings": list(self.warnings),
            "pages": [p.to_dict() for p in self.pages],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        return cls(
            sha256=data["sha256"],
            extractor=data["extractor"],
            n_pages=data["n_pages"],
            outline=tuple(OutlineEntry(**o) for o in data["outline"]),
            warnings=tuple(data["warnings"]),
            pages=tuple(Page.from_dict(p) for p in data["pages"]),
        )
