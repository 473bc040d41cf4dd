"""Engines read a PDF into pages of text runs, fonts and positions.

Two engines are registered under versioned names:

- ``pdfium.v1`` (default) reads characters, boxes and fonts through PDFium
  (pypdfium2, which pdfplumber itself depends on); it is several times faster.
- ``pdfplumber.v1`` reads them through pdfplumber/pdfminer.

Both hand the same kind of characters to :func:`chars_to_runs`, so all the
layout work after them is shared and their outputs can be compared.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from mapping_review.errors import PdfError
from mapping_review.extract.graphics import pdfium_shapes, pdfplumber_shapes
from mapping_review.extract.model import OutlineEntry, RawDocument, RawPage
from mapping_review.extract.runs import Char, chars_to_runs, orientation, upright_chars
from mapping_review.files import open_pdfium

FORCE_BOLD = 1 << 18  # PDF font descriptor flag
BOLD_MARKERS = ("bold", "black", "heavy", "semibold", "demibold")
PageCallback = Callable[[int], None]
# The two calls made per character. They are declared without argument types and given ready-made
# ctypes values (the text page's handle and the box's address as ``c_void_p``, the index as a plain int):
# ctypes then converts nothing, which takes a third off each call. The text object comes back as a plain
# address, which is hashable (styles are kept per text object).
def _untyped(function: Any, restype: Any) -> Callable[..., Any]:
    call: Any = ctypes.CFUNCTYPE(restype)(ctypes.cast(function, ctypes.c_void_p).value or 0)
    call.argtypes = None
    return call  # type: ignore[no-any-return]


_text_object_address = _untyped(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p)
_loose_char_box = _untyped(pdfium_c.FPDFText_GetLooseCharBox, ctypes.c_int)


def is_bold(fontname: str) -> bool:
    name = fontname.lower()
    return any(marker in name for marker in BOLD_MARKERS)


def read_outline(doc: pdfium.PdfDocument) -> tuple[OutlineEntry, ...]:
    """The PDF outline (bookmarks), without the junk word processors leave."""
    entries = []
    for bm in doc.get_toc(max_depth=8):
        title = " ".join(bm.get_title().split())
        if not title or title.startswith("_"):
            continue
        dest = bm.get_dest()
        index = dest.get_index() if dest is not None else None
        page = index + 1 if index is not None and index >= 0 else None
        entries.append(OutlineEntry(level=bm.level + 1, title=title, page=page))
    return tuple(entries)


def _metadata(doc: pdfium.PdfDocument) -> dict[str, str]:
    return {k: v for k, v in doc.get_metadata_dict().items() if v}


class _PdfiumCharReader:
    """Reads the characters of one PDFium text page with few C calls.

    Style (font size, weight, direction) belongs to a text object: it is asked for once per object
    and page, at each word start and size change (as before, so a word keeps the style of the
    object it starts in); everything else about a character is one call for its box.
    """

    def __init__(self) -> None:
        self.rect = (ctypes.c_float * 4)()  # an FS_RECTF: left, top, right, bottom
        self.matrix = pdfium_c.FS_MATRIX()
        self.name = ctypes.create_string_buffer(256)
        self.flags = ctypes.c_int()

    def _style(self, handle: object, index: int) -> tuple[float, bool, int]:
        """Font size (with the text matrix), boldness, and the text's rotation."""
        m = self.matrix
        pdfium_c.FPDFText_GetMatrix(handle, index, ctypes.byref(m))
        rot = orientation(m.a, m.b)
        scale = math.hypot(m.c, m.d) or 1.0
        size = round(pdfium_c.FPDFText_GetFontSize(handle, index) * scale, 2)
        pdfium_c.FPDFText_GetFontInfo(handle, index, self.name, 256, ctypes.byref(self.flags))
        bold = is_bold(self.name.value.decode("latin-1")) or bool(self.flags.value & FORCE_BOLD)
        return size, bold, rot

    def chars(
        self, textpage: pdfium.PdfTextPage, text: str, top_edge: float, left: float
    ) -> tuple[list[Char], list[int]]:
        """Characters with boxes, and the rotation of each."""
        handle = textpage.raw
        address = ctypes.cast(handle, ctypes.c_void_p)
        rect, rect_address = memoryview(self.rect).cast("B").cast("f"), ctypes.c_void_p(ctypes.addressof(self.rect))
        get_box, get_object = _loose_char_box, _text_object_address
        styles: dict[int | None, tuple[float, bool, int]] = {}
        chars: list[Char] = []
        rots: list[int] = []
        last_height, size, bold, rot = -1.0, 0.0, False, 0
        word_start = True
        space: Char = (" ", 0.0, 0.0, 0.0, 0.0, 0.0, False)
        for i, ch in enumerate(text):
            if ch in " \r\n":
                word_start = True
                chars.append((ch, 0.0, 0.0, 0.0, 0.0, 0.0, False) if ch != " " else space)
                rots.append(rot)
                continue
            get_box(address, i, rect_address)
            x0, top, x1, bottom = rect
            height = top - bottom
            if height <= 0 or x1 < x0:  # generated by PDFium (no glyph drawn)
                word_start = True
                chars.append(space)
                rots.append(rot)
                continue
            if word_start or abs(height - last_height) > 0.05 * last_height:
                last_height, word_start = height, False
                obj = get_object(address, i)
                style = styles.get(obj)
                if style is None:
                    style = styles[obj] = self._style(handle, i)
                size, bold, rot = style
            chars.append((ch, x0 - left, top_edge - top, x1 - left, top_edge - bottom, size, bold))
            rots.append(rot)
        return chars, rots


def _pdfium_page(page: pdfium.PdfPage, number: int, reader: _PdfiumCharReader) -> RawPage:
    left, bottom, right, top = page.get_mediabox()
    textpage = page.get_textpage()
    try:
        n = textpage.count_chars()
        text = textpage.get_text_range(0, n) if n else ""
        if len(text) != n:  # PDFium returns one UTF-16 unit per char; pad surrogates away
            text = (text + " " * n)[:n]
        chars, rots = reader.chars(textpage, text, top, left)
        chars, rotation, width, height = upright_chars(chars, rots, right - left, top - bottom)
        runs = tuple(chars_to_runs(chars))
        invisible = False
        if n:
            obj = pdfium_c.FPDFText_GetTextObject(textpage.raw, 0)
            if obj:
                mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj)
                invisible = mode == pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE
        n_images = 0
        if sum(len(r.text) for r in runs) < 20:
            n_images = sum(1 for _ in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=2))
    finally:
        textpage.close()
    return RawPage(
        number=number, width=width, height=height, runs=runs, n_images=n_images,
        invisible_text=invisible, rotation=rotation, shapes=pdfium_shapes(page, rotation=rotation),
    )


def read_pdfium(path: Path, *, password: str | None = None, on_page: PageCallback | None = None) -> RawDocument:
    doc = open_pdfium(path, password=password)
    try:
        reader = _PdfiumCharReader()
        pages = []
        for index in range(len(doc)):
            page = doc[index]
            try:
                pages.append(_pdfium_page(page, index + 1, reader))
            except pdfium.PdfiumError as e:
                raise PdfError(f"{path}: page {index + 1} cannot be read ({e})", reason="malformed") from e
            finally:
                page.close()
            if on_page is not None:
                on_page(1)
        return RawDocument(n_pages=len(doc), pages=tuple(pages), outline=read_outline(doc), metadata=_metadata(doc))
    finally:
        doc.close()


def read_pdfplumber(path: Path, *, password: str | None = None, on_page: PageCallback | None = None) -> RawDocument:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    # PDFium also reads the outline and tells encrypted or broken files apart cleanly.
    fdoc = open_pdfium(path, password=password)
    try:
        outline, metadata = read_outline(fdoc), _metadata(fdoc)
    finally:
        fdoc.close()
    pages = []
    try:
        with pdfplumber.open(path, password=password or "") as pdf:
            for page in pdf.pages:
                chars: list[Char] = [
                    (c["text"], c["x0"], c["top"], c["x1"], c["bottom"], c["size"], is_bold(c["fontname"]))
                    for c in page.chars
                ]
                rots = [orientation(c["matrix"][0], c["matrix"][1]) for c in page.chars]
                chars, rotation, width, height = upright_chars(chars, rots, float(page.width), float(page.height))
                runs = tuple(chars_to_runs(chars))
                n_images = len(page.images) if sum(len(r.text) for r in runs) < 20 else 0
                pages.append(RawPage(
                    number=page.page_number, width=width, height=height, runs=runs, n_images=n_images,
                    rotation=rotation, shapes=pdfplumber_shapes(page, rotation=rotation),
                ))
                page.close()
                if on_page is not None:
                    on_page(1)
    except (PDFPasswordIncorrect, PDFSyntaxError) as e:
        raise PdfError(f"{path}: pdfplumber cannot read it ({type(e).__name__})", reason="malformed") from e
    return RawDocument(n_pages=len(pages), pages=tuple(pages), outline=outline, metadata=metadata)


Reader = Callable[..., RawDocument]
ENGINES: dict[str, Reader] = {"pdfium.v1": read_pdfium, "pdfplumber.v1": read_pdfplumber}
DEFAULT_ENGINE = "pdfium.v1"


def get_engine(name: str) -> Reader:
    try:
        return ENGINES[name]
    except KeyError:
        known = ", ".join(sorted(ENGINES))
        raise PdfError(f"unknown extraction engine {name!r}; choose one of {known}", reason="config") from None
