"""Marking a sentence and its matched words where they are drawn: glyph boxes read from a real (made) PDF,
text found by its letters across line breaks and hyphens, the nearest copy of repeated text, padding."""

from pdfmaker import make_pdf

from mapping_review.extract.glyphs import find_text, line_rects, page_glyphs, text_rects
from mapping_review.web.page_view import pieces, search_spans

PAGE = [
    (80, 100, 11, "Offer people a choice of treat-"),
    (80, 114, 11, "ment and discuss the options."),
    (80, 300, 11, "Offer people a choice of treat-"),
    (80, 314, 11, "ment and discuss the options."),
]
SENTENCE = "Offer people a choice of treatment and discuss the options."


def test_a_sentence_across_lines_is_found_and_marked_line_by_line(tmp_path):
    glyphs = page_glyphs(make_pdf(tmp_path / "g.pdf", [PAGE]), 1)
    lines, words = text_rects(glyphs, SENTENCE, near=(80, 300, 300, 330), part=(15, 21))  # "choice"
    assert len(lines) == 2
    assert 295 < lines[0][1] < 305 and lines[1][1] > lines[0][3] - 5  # the second copy, the one near the box
    assert lines[0][0] < 80 and lines[0][1] < 300  # padded beyond the glyphs
    assert len(words) == 1 and lines[0][0] < words[0][0] < words[0][2] < lines[0][2]
    first, _ = text_rects(glyphs, SENTENCE, near=(80, 100, 300, 130))
    assert first[0][1] < 110  # the first copy when the box is there
    assert text_rects(glyphs, "Nothing like this is on the page.") == ([], [])


def test_find_text_ignores_spacing_case_and_hyphens(tmp_path):
    glyphs = page_glyphs(make_pdf(tmp_path / "g.pdf", [PAGE]), 1)
    span = find_text(glyphs, "TREATMENT and  discuss")
    assert span is not None and span[1] - span[0] == len("treatmentanddiscuss")
    assert find_text(glyphs, "   ") is None


def test_line_rects_pad_every_side():
    boxes = [(10.0, 20.0, 15.0, 30.0), (15.0, 21.0, 20.0, 30.0), (10.0, 40.0, 14.0, 50.0)]
    assert line_rects(boxes, pad=2) == [(8.0, 18.0, 22.0, 32.0), (8.0, 38.0, 16.0, 52.0)]


def test_pieces_mark_words_without_losing_text():
    text = "Offer housing and help with housing."
    parts = pieces(text, [*search_spans(text, "HOUSING"), (0, 5, "match")])
    assert "".join(t for t, _ in parts) == text
    assert [t for t, cls in parts if cls] == ["Offer", "housing", "housing"]
    assert [cls for _, cls in parts if cls] == ["match", "search", "search"]
