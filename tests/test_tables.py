"""Ruled tables: found from the page's rules, read a row at a time with their header cells."""

import pytest
from conftest import need_corpus
from pdfmaker import make_pdf, ruled_table

from mapping_review.extract import extract_document
from mapping_review.extract.model import Shape
from mapping_review.extract.tables import cells_to_tables, edges_to_intersections, intersections_to_cells, shapes_to_edges
from mapping_review.segment import document_to_segments
from mapping_review.segment.nlp import load_nlp

ROWS = [
    ["Treatment", "How is this delivered?", "Key features"],
    ["Guided self-help", "in person, by telephone,\nor online", "structured"],
    ["Group CBT", "in groups of 8", "10 sessions"],
]


def table_page(rows=ROWS, *, bold_header=True):
    items = [(40, 60, 14, "A small guide", "bold"), (40, 90, 11, "Some text before the table.")]
    items += ruled_table(40, 120, [120, 200, 200], rows, bold_header=bold_header)
    items += [(40, 140 + 30 * len(rows), 11, "Some text after the table.")]
    return items


def grid(xs, ys):
    """Rules of a grid with column edges ``xs`` and row edges ``ys``."""
    return [Shape("rule", xs[0], y - 0.4, xs[-1], y + 0.4) for y in ys] + \
           [Shape("rule", x - 0.4, ys[0], x + 0.4, ys[-1]) for x in xs]


def test_a_grid_of_rules_makes_one_cell_per_box():
    horizontal, vertical = shapes_to_edges(grid([0, 100, 250], [0, 20, 50, 80]))
    cells = intersections_to_cells(edges_to_intersections(horizontal, vertical), horizontal, vertical)
    assert sorted(cells) == [(0, y0, 100, y1) for y0, y1 in ((0, 20), (20, 50), (50, 80))] + \
                            [(100, y0, 250, y1) for y0, y1 in ((0, 20), (20, 50), (50, 80))]
    assert len(cells_to_tables(cells)) == 1


def test_a_missing_rule_merges_cells_and_apart_grids_are_two_tables():
    shapes = [s for s in grid([0, 100, 250], [0, 20, 50]) if not 90 < s.x0 < 110]
    shapes += [Shape("rule", 100 - 0.4, 0, 100 + 0.4, 20)]  # the middle rule only in the first row
    shapes += grid([0, 100, 250], [300, 320, 350])
    horizontal, vertical = shapes_to_edges(shapes)
    cells = intersections_to_cells(edges_to_intersections(horizontal, vertical), horizontal, vertical)
    tables = cells_to_tables(cells)
    assert len(tables) == 2
    assert (0, 20, 250, 50) in tables[0]  # the second row is one cell across both columns


@pytest.mark.parametrize("engine", ["pdfium.v1", "pdfplumber.v1"])
def test_each_row_is_one_block_with_its_header_cells(tmp_path, engine):
    pdf = make_pdf(tmp_path / "table.pdf", [table_page()])
    blocks = extract_document(pdf, sha256="x", engine=engine).pages[0].blocks
    assert [b.kind for b in blocks] == ["heading", "paragraph", "table_row", "table_row", "paragraph"]
    assert blocks[2].text == ("Treatment: Guided self-help | How is this delivered?: in person, by telephone, or online"
                              " | Key features: structured")
    assert blocks[3].text == "Treatment: Group CBT | How is this delivered?: in groups of 8 | Key features: 10 sessions"
    assert all(b.section == ("A small guide",) for b in blocks[1:])  # header cells are no headings


def test_without_a_bold_header_rows_stand_alone(tmp_path):
    pdf = make_pdf(tmp_path / "table.pdf", [table_page(bold_header=False)])
    rows = [b.text for b in extract_document(pdf, sha256="x").pages[0].blocks if b.kind == "table_row"]
    assert rows[0] == "Treatment | How is this delivered? | Key features"
    assert rows[1] == "Guided self-help | in person, by telephone, or online | structured"


def test_a_header_cell_that_says_nothing_labels_nothing(tmp_path):
    rows = [["-", *ROWS[0][1:]], *ROWS[1:]]
    pdf = make_pdf(tmp_path / "table.pdf", [table_page(rows)])
    row = next(b.text for b in extract_document(pdf, sha256="x").pages[0].blocks if b.kind == "table_row")
    assert row.startswith("Guided self-help | How is this delivered?: in person")


def test_text_without_rules_is_no_table(tmp_path):
    items = [(40 + 150 * c, 100 + 20 * r, 10, f"cell {r}{c}") for r in range(3) for c in range(3)]
    pdf = make_pdf(tmp_path / "plain.pdf", [items])
    assert not any(b.kind == "table_row" for b in extract_document(pdf, sha256="x").pages[0].blocks)


def test_a_row_is_one_paragraph_and_one_sentence(tmp_path):
    pdf = make_pdf(tmp_path / "table.pdf", [table_page()])
    segments = document_to_segments(extract_document(pdf, sha256="x"), guide="t", nlp=load_nlp("blank"))
    rows = [s for s in segments if s.role == "table_row"]
    assert [s.kind for s in rows] == ["paragraph", "sentence", "paragraph", "sentence"]
    assert rows[0].text == rows[1].text and rows[1].parent == rows[0].id


@pytest.fixture(scope="module")
def ng222():
    path = need_corpus("guides", "nice_ng222_depression_adults.pdf")
    doc = extract_document(path, sha256="x")
    return doc, document_to_segments(doc, guide="ng222", nlp=load_nlp("blank"))


def test_nice_row_label_and_cells_stay_together(ng222):
    doc, _ = ng222
    rows = [b for b in doc.pages[30].blocks if b.kind == "table_row"]
    assert len(rows) == 1
    assert rows[0].text.startswith("Treatment: Guided self-help | How is this delivered?: • Printed or digital materials")
    assert "These can be delivered in person, by telephone, or online." in rows[0].text
    assert " | Key features: • Focuses on how thoughts" in rows[0].text
    assert " | Other things to think about: • May suit people" in rows[0].text


def test_nice_table_headers_are_never_headings(ng222):
    doc, _ = ng222
    headings = {b.text for p in doc.pages for b in p.blocks if b.kind == "heading"}
    assert not headings & {"Treatment", "How is this delivered?", "Key features", "Other things to think about",
                           "Treatment How is this delivered?"}


def test_nice_row_split_across_pages_carries_on(ng222):
    doc, segments = ng222
    first = doc.pages[31].blocks[0]
    assert first.kind == "table_row" and first.continues
    assert first.text.startswith("Other things to think about: • Less capacity")
    row = next(s for s in segments if s.kind == "paragraph" and s.role == "table_row" and s.page == 31)
    assert row.end_page == 32
    assert "digital formats. | Other things to think about: • Less capacity for individual adaptations" in row.text
    sentences = [s for s in segments if s.parent == row.id]
    assert len(sentences) == 1 and sentences[0].text == row.text


def test_multi_line_cells_do_not_interleave():
    path = need_corpus("scale", "nice_brain-tumours-primary-and-brain-metastases-in-over-16s.pdf")
    doc = extract_document(path, sha256="x")
    rows = [b.text for p in doc.pages for b in p.blocks if b.kind == "table_row"]
    assert len(rows) >= 40
    for row in rows:
        cells = row.split(" | ")
        assert len(cells) >= 2 and all(cells), row
