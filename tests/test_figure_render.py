"""Rendering a figure to a file: fonts a journal accepts, lean font subsets, the tight box laid out once."""

import io

import pytest

from mapping_review.publish import figure_files, figure_render


@pytest.fixture()
def fig():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(figure_render.RC):
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.barh([0, 1, 2], [3, 1, 2])
        ax.set_yticks([0, 1, 2], ["Empathy", "Collaboration", "Validation of feelings"], rotation=30)
        ax.set_title("Coverage of codes", fontweight="bold")
        ax.text(2.5, 1, "Hope and trust", ha="left")  # reaches beyond the axes: the box must include it
    yield fig
    plt.close(fig)


def written(fig, fmt):
    out = io.BytesIO()
    figure_render.write_to(fig, out, fmt)
    return out.getvalue()


def embedded_fonts(pdf_bytes):
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf_bytes))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    subsets = {}
    for name, font in fonts.items():
        assert font["/Subtype"] != "/Type3", name  # journals refuse Type 3 fonts
        descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)["/FontDescriptor"]
        subsets[name] = TTFont(io.BytesIO(descriptor.get_object()["/FontFile2"].get_object().get_data()))
    return subsets


def test_pdf_figures_embed_truetype_subsets_without_layout_tables(fig):
    import pypdfium2 as pdfium

    data = written(fig, "pdf")
    subsets = embedded_fonts(data)
    assert any("Bold" in name for name in subsets) and any("Bold" not in name for name in subsets)
    for name, font in subsets.items():
        assert "glyf" in font and "cmap" in font, name  # the outlines are there
        assert not {"GSUB", "GPOS", "GDEF", "kern"} & set(font.keys()), name
    doc = pdfium.PdfDocument(data)
    text = doc[0].get_textpage().get_text_range()
    doc.close()
    for words in ("Coverage of codes", "Validation of feelings", "Hope and trust"):
        assert words in text  # the text is still text


def test_the_font_subset_options_are_left_as_they_were(fig):
    from fontTools import subset

    before = list(subset.Options._drop_tables_default)
    written(fig, "pdf")
    assert subset.Options._drop_tables_default == before
    assert "GPOS" not in subset.Options().drop_tables  # other subsets (not ours) keep their layout tables


def test_the_tight_box_is_laid_out_once_per_figure_and_is_the_tight_box(fig, monkeypatch):
    import matplotlib.pyplot as plt

    with plt.rc_context(figure_render.RC):
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata=figure_render.METADATA["png"], bbox_inches="tight")
    tight = out.getvalue()
    draws = []
    real = type(fig).draw
    monkeypatch.setattr(type(fig), "draw", lambda self, renderer: (draws.append(1), real(self, renderer))[1])
    files = {fmt: written(fig, fmt) for fmt in figure_render.FORMATS}
    assert files["png"] == tight  # the same pixels as matplotlib's own tight box
    assert len(draws) == 1 + len(figure_render.FORMATS)  # the box once, then each format once
    written(fig, "svg")
    assert len(draws) == 2 + len(figure_render.FORMATS)  # a second file of the figure: no new box
    assert len(boxes_of(fig)) == 1


def boxes_of(fig):
    return figure_render._BOXES.get(fig, {})


def test_a_closed_figure_forgets_its_box(tmp_path, fig, monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setattr(figure_files, "fork_is_safe", lambda: False)  # written here, where the boxes are kept
    written(fig, "png")
    assert boxes_of(fig)
    figure_files.save_figure(fig, tmp_path, "one")  # written and closed at once
    assert not boxes_of(fig)
    assert (tmp_path / "one.png").read_bytes().startswith(b"\x89PNG")
    with plt.rc_context(figure_render.RC):
        other, ax = plt.subplots(figsize=(2, 2))
        ax.set_title("Closed when the block ends")
    with figure_files.drawn_together():
        figure_files.save_figure(other, tmp_path, "two")
    assert not boxes_of(other) and (tmp_path / "two.pdf").read_bytes().startswith(b"%PDF")
    before = list(figure_render._BOXES.keys())  # held here: figures other tests left are not collected meanwhile
    figure_render.warm_up()
    assert len(figure_render._BOXES) == len(before)  # nor does warming up keep one


def test_a_resized_figure_gets_a_new_box(fig):
    import matplotlib.pyplot as plt

    written(fig, "png")
    fig.set_size_inches(6, 5)
    with plt.rc_context(figure_render.RC):
        out = io.BytesIO()
        fig.savefig(out, format="png", metadata=figure_render.METADATA["png"], bbox_inches="tight")
    assert written(fig, "png") == out.getvalue()


def test_pdfs_written_in_threads_leave_the_subset_defaults_as_they_were():
    import threading

    from fontTools import subset
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def a_figure():
        fig = Figure(figsize=(3, 2))
        FigureCanvasAgg(fig)
        fig.add_subplot().set_title("Validation of feelings", fontweight="bold")
        return fig

    before = list(subset.Options._drop_tables_default)
    alone = len(written(a_figure(), "pdf"))
    sizes = []

    def write_some(fig):
        for _ in range(6):
            sizes.append(len(written(fig, "pdf")))

    # a figure per thread, made here: matplotlib's settings are global, so a figure is not made while
    # another thread writes one
    threads = [threading.Thread(target=write_some, args=(a_figure(),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert subset.Options._drop_tables_default == before
    assert sizes == [alone] * 24  # every one the same lean PDF as one written alone


def test_the_agreement_figure_says_every_codes_value_a_zero_and_an_undefined_one_included(tmp_path):
    import math

    import pdfplumber
    from conftest import ROOT

    from mapping_review.coding.codebook import load_codebook
    from mapping_review.publish.figures import agreement_bars

    codebook = load_codebook(ROOT / "codebook.yaml")
    codes = [c.id for c in codebook.codes]
    alphas = {codes[0]: 0.0, codes[1]: math.nan, codes[2]: 0.8, codes[3]: -0.25}
    agreement_bars(codebook, alphas, ["alice", "bob"], tmp_path)
    with pdfplumber.open(tmp_path / "agreement.pdf") as pdf:
        text = pdf.pages[0].extract_text()
    assert "0.00" in text and "0.80" in text and "-0.25" in text
    assert "n/a (every answer alike, or too few)" in text
