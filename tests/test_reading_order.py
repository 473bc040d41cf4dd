from mapping_review.extract.layout import runs_to_lines
from mapping_review.extract.model import Run
from mapping_review.extract.reading_order import column_cuts, order_regions


def run(text, x0, top, x1, size=9.0):
    return Run(text=text, x0=x0, top=top, x1=x1, bottom=top + size, size=size, bold=False)


def three_columns(n_lines=12):
    runs = [run("Title across the whole page", 45, 30, 560, 14)]
    for col, x0 in enumerate((45, 222, 399)):
        for i in range(n_lines):
            runs.append(run(f"c{col}l{i}", x0, 60 + 10 * i, x0 + 168))
    runs.append(run("Footer across the page", 45, 740, 560))
    return runs


def test_three_columns_read_column_by_column():
    regions = order_regions(three_columns())
    text = [ln.text for region in regions for ln in runs_to_lines(region)]
    assert text[0] == "Title across the whole page"
    assert text[1:13] == [f"c0l{i}" for i in range(12)]
    assert text[13:25] == [f"c1l{i}" for i in range(12)]
    assert text[25:37] == [f"c2l{i}" for i in range(12)]
    assert text[-1] == "Footer across the page"


def test_coincident_white_band_does_not_interleave_columns():
    runs = [r for r in three_columns() if not r.text.endswith("l5")]  # a gap at the same height in all columns
    text = [ln.text for region in order_regions(runs) for ln in runs_to_lines(region)]
    assert text.index("c0l11") < text.index("c1l0")
    assert text.index("c1l11") < text.index("c2l0")


def test_narrow_number_column_is_not_a_column():
    runs = []
    for i in range(5):
        top = 100 + 40 * i
        runs.append(run(f"1.2.{i}", 40, top + 1, 61, 10))
        runs.append(run(f"recommendation {i} text", 81, top, 540, 12))
    assert column_cuts(runs) == []
    lines = [ln.text for region in order_regions(runs) for ln in runs_to_lines(region)]
    assert lines == [f"1.2.{i} recommendation {i} text" for i in range(5)]


def test_single_line_is_never_split():
    runs = [run("left part", 40, 100, 200), run("right part", 212, 100, 400)]
    assert len(runs_to_lines(runs)) == 1
