"""Rendering one figure to a file: the house settings (fonts, resolution, no dates in the files), the tight
bounding box laid out once per figure, and lean font subsets in PDFs. Which files are written when, and by
which process, is :mod:`figure_files`'s business."""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator
from typing import Any

FORMATS = ("png", "svg", "pdf")
METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None, "ModDate": None},
}
RC: dict[Any, Any] = {
    "font.family": "DejaVu Sans", "font.size": 8, "svg.hashsalt": "mapping-review", "svg.fonttype": "path",
    "pdf.fonttype": 42, "figure.dpi": 100, "savefig.dpi": 150, "axes.spines.top": False, "axes.spines.right": False,
}


# Tables a PDF's font subsets leave out besides fontTools' own: a PDF places every glyph itself, so no
# viewer reads the OpenType layout tables, and reading them is most of what a subset costs.
_LAYOUT_TABLES = ["GSUB", "GPOS", "GDEF", "kern"]


# One figure file at a time per process: matplotlib's fonts are shared objects (two threads rendering at
# once lay text out with each other's state: other bytes), and a PDF changes fontTools' defaults.
_RENDERING = threading.Lock()


def write_to(fig: Any, target: Any, fmt: str) -> None:
    """Write ``fig`` as ``fmt`` to ``target`` (a path or a binary file). The figure is not to change between
    the formats written of it: its box is laid out for the first."""
    from fontTools.ttLib.tables import otBase

    # Font subsets in PDFs are built by HarfBuzz when uharfbuzz is installed and in pure Python
    # otherwise, with other bytes; always the latter, so the files do not depend on what else is installed.
    otBase.have_uharfbuzz = False
    import matplotlib.pyplot as plt

    with _RENDERING, plt.rc_context(RC):  # the files may be written after the figure's own ``rc_context`` ended
        box = _tight_box(fig)
        with _lean_subsets() if fmt == "pdf" else contextlib.nullcontext():
            fig.savefig(target, format=fmt, metadata=METADATA[fmt], bbox_inches=box)


@contextlib.contextmanager
def _lean_subsets() -> Iterator[None]:
    """Inside, fontTools' subsets leave out the OpenType layout tables too (called holding ``_RENDERING``)."""
    from fontTools import subset

    dropped = subset.Options._drop_tables_default
    subset.Options._drop_tables_default = [*dropped, *(t for t in _LAYOUT_TABLES if t not in dropped)]
    try:
        yield
    finally:
        subset.Options._drop_tables_default = dropped


# figure -> (size, dpi) -> its box: kept while the figure lives (a resized figure gets a new box)
_BOXES: weakref.WeakKeyDictionary[Any, dict[tuple[float, ...], Any]] = weakref.WeakKeyDictionary()


def _tight_box(fig: Any) -> Any:
    """The figure's tight bounding box (inches, padded as ``bbox_inches="tight"`` pads it), laid out once
    at the PNG's resolution for every format of the figure written by this process (asked for
    ``"tight"``, each format lays the whole figure out once more only to find it); ``"tight"`` where the
    canvas cannot give a renderer."""
    import matplotlib.pyplot as plt

    get_renderer = getattr(getattr(fig, "canvas", None), "get_renderer", None)
    if get_renderer is None:
        return "tight"
    key = (*(float(x) for x in fig.get_size_inches()), float(fig.dpi))
    known = _BOXES.setdefault(fig, {})
    if key in known:
        return known[key]
    dpi = fig.dpi
    try:
        fig.dpi = plt.rcParams["savefig.dpi"]
        renderer = get_renderer()
        with renderer._draw_disabled():
            fig.draw(renderer)
        box = fig.get_tightbbox(renderer).padded(plt.rcParams["savefig.pad_inches"])
    finally:
        fig.dpi = dpi
    known[key] = box
    return box


def forget_box(fig: Any) -> None:
    """Forget a closed figure's boxes now (they go with the figure anyway)."""
    _BOXES.pop(fig, None)


def warm_up() -> None:
    """Import matplotlib and write a small figure in every format, so that fonts, backends and encoders
    are loaded before the figures are due."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(1, 1))
        ax.set_title("Aa")
        ax.text(0.5, 0.5, "Aa", fontweight="bold")
        for fmt in FORMATS:
            write_to(fig, io.BytesIO(), fmt)
        plt.close(fig)
        forget_box(fig)
