"""Rendering one figure to a file: the house settings (fonts, resolution, no dates in the files), the tight
bounding box laid out once per figure, and lean font subsets in PDFs. Which files are written when, and by
which process, is :mod:`figure_files`'s business."""

from __future__ import annotations

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


def write_to(fig: Any, target: Any, fmt: str) -> None:
    from fontTools import subset
    from fontTools.ttLib.tables import otBase

    # Font subsets in PDFs are built by HarfBuzz when uharfbuzz is installed and in pure Python
    # otherwise, with other bytes; always the latter, so the files do not depend on what else is installed.
    otBase.have_uharfbuzz = False
    dropped = subset.Options._drop_tables_default
    import matplotlib.pyplot as plt

    with plt.rc_context(RC):  # the files may be written after the figure's own ``rc_context`` has ended
        box = _tight_box(fig)
        try:
            subset.Options._drop_tables_default = [*dropped, *(t for t in _LAYOUT_TABLES if t not in dropped)]
            fig.savefig(target, format=fmt, metadata=METADATA[fmt], bbox_inches=box)
        finally:
            subset.Options._drop_tables_default = dropped


_BOXES: dict[int, tuple[Any, Any]] = {}  # id(figure) -> (figure, its tight box), in this process


def _tight_box(fig: Any) -> Any:
    """The figure's tight bounding box (inches, padded as ``bbox_inches="tight"`` pads it), laid out once
    at the PNG's resolution for every format of the figure written by this process (asked for
    ``"tight"``, each format lays the whole figure out once more only to find it); ``"tight"`` where the
    canvas cannot give a renderer."""
    import matplotlib.pyplot as plt

    known = _BOXES.get(id(fig))
    if known is not None and known[0] is fig:
        return known[1]
    get_renderer = getattr(getattr(fig, "canvas", None), "get_renderer", None)
    if get_renderer is None:
        return "tight"
    dpi = fig.dpi
    try:
        fig.dpi = plt.rcParams["savefig.dpi"]
        renderer = get_renderer()
        with renderer._draw_disabled():
            fig.draw(renderer)
        box = fig.get_tightbbox(renderer).padded(plt.rcParams["savefig.pad_inches"])
    finally:
        fig.dpi = dpi
    _BOXES[id(fig)] = (fig, box)  # until the figure is closed
    return box


def forget_box(fig: Any) -> None:
    """Forget a closed figure's box."""
    _BOXES.pop(id(fig), None)


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
