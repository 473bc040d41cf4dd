"""What a page draws besides text: ruling lines, rectangles, other outlines and images.

Table rules and cell borders come out as ``rule`` (a thin line, or the edges of a thin filled
rectangle as Word and InDesign draw them) and ``rect`` (a box of at most a handful of straight
sides, whose four edges can be cell borders); larger outlines (speech bubbles, rounded boxes, line
art) are ``outline``; pictures are ``image``. Only bounding boxes are read, one C call or two per
object, so that pages with a great deal of line art stay cheap.
"""

from __future__ import annotations

import ctypes
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from mapping_review.extract.model import Shape
from mapping_review.extract.runs import turn_box

THIN = 2.5  # points: a path no thicker than this is a line
MIN_RULE = 4.0  # points: a shorter line is a tick or a dot
MAX_RECT_SEGMENTS = 6  # move, four sides, close
PAGE_SHARE = 0.9  # a box this much of the page in both directions is a background
MAX_DEPTH = 3  # form XObjects looked into


def classify(
    x0: float, top: float, x1: float, bottom: float, *, n_segments: int, width: float, height: float
) -> str | None:
    """The kind of a path with this bounding box and number of segments, or None to ignore it."""
    w, h = x1 - x0, bottom - top
    if w >= PAGE_SHARE * width and h >= PAGE_SHARE * height:
        return None
    if (h <= THIN and w >= MIN_RULE) or (w <= THIN and h >= MIN_RULE):
        return "rule"
    if w <= THIN or h <= THIN:
        return None
    return "rect" if n_segments <= MAX_RECT_SEGMENTS else "outline"


def _plain(func: Any, restype: Any, *argtypes: Any) -> Any:
    """``func`` taking and returning plain pointers: ctypes then skips building typed pointer objects,
    which is most of the cost of a call when a page holds hundreds of objects."""
    return ctypes.cast(func, ctypes.CFUNCTYPE(restype, *argtypes))


_VOID, _INT, _FLOAT_P = ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)
_COUNT = _plain(pdfium_c.FPDFPage_CountObjects, _INT, _VOID)
_GET = _plain(pdfium_c.FPDFPage_GetObject, _VOID, _VOID, _INT)
_FORM_COUNT = _plain(pdfium_c.FPDFFormObj_CountObjects, _INT, _VOID)
_FORM_GET = _plain(pdfium_c.FPDFFormObj_GetObject, _VOID, _VOID, ctypes.c_ulong)
_TYPE = _plain(pdfium_c.FPDFPageObj_GetType, _INT, _VOID)
_BOUNDS = _plain(pdfium_c.FPDFPageObj_GetBounds, _INT, _VOID, _FLOAT_P, _FLOAT_P, _FLOAT_P, _FLOAT_P)
_SEGMENTS = _plain(pdfium_c.FPDFPath_CountSegments, _INT, _VOID)
_PATH, _IMAGE, _FORM = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE, pdfium_c.FPDF_PAGEOBJ_FORM


def pdfium_shapes(page: pdfium.PdfPage, *, rotation: int = 0) -> tuple[Shape, ...]:
    """The shapes of a PDFium page in top-left page coordinates, turned like its text by ``rotation``."""
    left, bottom, right, top_edge = page.get_mediabox()
    width, height = right - left, top_edge - bottom
    values = [ctypes.c_float() for _ in range(4)]
    refs = [ctypes.byref(v) for v in values]
    out = []
    page_raw = ctypes.cast(page.raw, _VOID).value
    stack: list[tuple[int | None, int]] = [(None, 0)]
    while stack:
        form, depth = stack.pop()
        count = _FORM_COUNT(form) if form else _COUNT(page_raw)
        for i in range(count):
            obj = _FORM_GET(form, i) if form else _GET(page_raw, i)
            kind = _TYPE(obj)
            if kind == _FORM and depth < MAX_DEPTH:
                stack.append((obj, depth + 1))
                continue
            if kind != _PATH and kind != _IMAGE:
                continue
            _BOUNDS(obj, *refs)
            x0, y0, x1, y1 = (v.value for v in values)
            box = (x0 - left, top_edge - y1, x1 - left, top_edge - y0)
            name = "image" if kind == _IMAGE else classify(*box, n_segments=_SEGMENTS(obj), width=width, height=height)
            if name is not None:
                out.append(_shape(name, box, rotation, width, height))
    return tuple(out)


def pdfplumber_shapes(page: Any, *, rotation: int = 0) -> tuple[Shape, ...]:
    """The same from a pdfplumber page (its rects, lines, curves and images)."""
    width, height = float(page.width), float(page.height)
    out = []
    for obj in [*page.rects, *page.lines, *page.curves]:
        box = (float(obj["x0"]), float(obj["top"]), float(obj["x1"]), float(obj["bottom"]))
        n_segments = 5 if obj["object_type"] == "rect" else len(obj.get("pts") or ()) or 2
        name = classify(*box, n_segments=n_segments, width=width, height=height)
        if name is not None:
            out.append(_shape(name, box, rotation, width, height))
    for obj in page.images:
        box = (float(obj["x0"]), float(obj["top"]), float(obj["x1"]), float(obj["bottom"]))
        out.append(_shape("image", box, rotation, width, height))
    return tuple(out)


def _shape(kind: str, box: tuple[float, float, float, float], rotation: int, width: float, height: float) -> Shape:
    x0, top, x1, bottom = turn_box(box, rotation, width, height) if rotation else box
    return Shape(kind, round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2))
