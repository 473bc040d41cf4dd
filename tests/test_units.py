"""Illustrated pages: what the PDF draws together stays together; figure labels leave the text."""

import pytest
from conftest import need_corpus

from mapping_review.extract import extract_document
from mapping_review.extract.headings import fragmented
from mapping_review.extract.layout import runs_to_lines
from mapping_review.extract.model import Run, Shape
from mapping_review.extract.units import content_units, split_labels, units_to_lines


def run(text, x0, top, x1, size=12.0):
    return Run(text=text, x0=x0, top=top, x1=x1, bottom=top + size, size=size, bold=False)


def two_bubbles():
    """Two centred bubbles side by side whose lines sit at heights that interleave, drawn one
    bubble after the other."""
    left = [run("So these difficult", 60, 100, 180), run("thoughts and feelings", 50, 116, 190),
            run("hook us.", 90, 132, 150)]
    right = [run("Values are your", 230, 108, 330), run("deepest desires for", 220, 124, 340),
             run("the person you want to be.", 205, 140, 355)]
    return left, right


def test_a_bubble_drawn_in_one_go_is_one_unit():
    left, right = two_bubbles()
    units = content_units(left + right)
    assert [u.text for u in units] == ["So these difficult thoughts and feelings hook us.",
                                       "Values are your deepest desires for the person you want to be."]


def test_lines_of_a_unit_stay_together_where_rows_would_interleave_them():
    left, right = two_bubbles()
    lines, starts = units_to_lines(content_units(left + right))
    assert [ln.text for ln in lines] == [r.text for r in left + right]
    assert starts == {0, 3}
    # reading the same runs as rows mixes the bubbles
    assert [ln.text for ln in runs_to_lines(left + right)][:2] != [left[0].text, left[1].text]


def test_a_number_beside_a_paragraph_joins_its_first_line():
    runs = [run("Offer people a choice of", 81, 100, 400), run("treatment and care.", 81, 116, 300),
            run("1.2.7", 40, 101, 61, 10)]
    lines, _ = units_to_lines(content_units(runs))
    assert [ln.text for ln in lines] == ["1.2.7 Offer people a choice of", "treatment and care."]


def test_figure_labels_and_words_on_a_picture_are_set_aside():
    picture = Shape("image", 300, 100, 500, 300)
    units = content_units([
        run("21C", 480, 290, 500), run("VALUES", 350, 200, 420), run("So we unhook…", 320, 150, 420),
        run("A caption under the picture", 300, 310, 500),
    ])
    text, labels = split_labels(units, [picture], width=612, height=792)
    assert [u.text for u in labels] == ["21C", "VALUES"]
    assert [u.text for u in text] == ["So we unhook…", "A caption under the picture"]
    # without a picture on the page, nothing is a label
    assert split_labels(units, [], width=612, height=792)[1] == []
    # a picture that fills the page is a background, not a figure
    background = Shape("image", 0, 0, 612, 792)
    assert [u.text for u in split_labels(units, [background], width=612, height=792)[1]] == []


@pytest.mark.parametrize(("text", "art"), [
    ("Da ily Mon itoring", True), ("HEADAC HES", True), ("STO UPS MAC ET H", True),
    ("THO FEE UGH AND LIN TS GS", True), ("How to use PFA", False), ("DO IT NOW", False),
    ("C hoice of T ime food items", True), ("PM+ INTERVENTION PROTOCOL", False), ("CBT sessions", False),
    ("Step 1", False), ("What are values?", False),
])
def test_art_text_drawn_a_letter_or_two_at_a_time(text, art):
    assert fragmented(text) is art


@pytest.fixture(scope="module")
def doing_what_matters():
    return extract_document(need_corpus("guides", "who_doing_what_matters.pdf"), sha256="x")


def test_figure_labels_are_not_in_the_text(doing_what_matters):
    page = doing_what_matters.pages[21]
    assert {"6A", "6B", "6D", "CARING"} <= set(page.labels)
    assert "• Persistent" in [b.text for b in page.blocks]
    assert not any("6B" in b.text or "6D" in b.text for b in page.blocks)


def test_bubbles_and_captions_are_read_whole_and_in_order(doing_what_matters):
    texts = [b.text for b in doing_what_matters.pages[15].blocks]
    assert texts[0] == "When they are stressed, many people …"
    assert "…have difficulty sleeping" in texts
    texts = [b.text for b in doing_what_matters.pages[98].blocks]
    assert "Many difficult thoughts and feelings appear when you face difficult situations – especially if you " \
           "cannot improve them!" in texts
    assert "Nor me. My values are important to me." in texts


def test_illustrated_guides_have_no_bubble_headings(doing_what_matters):
    headings = [b.text for p in doing_what_matters.pages for b in p.blocks if b.kind == "heading"]
    assert not [h for h in headings if h.endswith(("…", "!"))]
    thinking = extract_document(need_corpus("guides", "who_thinking_healthy.pdf"), sha256="x")
    headings = {b.text for p in thinking.pages for b in p.blocks if b.kind == "heading"}
    assert not {"Picture A", "Picture D", "Thought", "Consequence", "Da ily Mon itoring"} & headings


def test_figure_labels_survive_the_cache(doing_what_matters, tmp_path):
    from mapping_review.extract import Document
    from mapping_review.extract.cache import load_document, save_document

    save_document(tmp_path, doing_what_matters)
    again = load_document(tmp_path, doing_what_matters.sha256, doing_what_matters.extractor)
    assert again == doing_what_matters
    assert Document.from_dict(doing_what_matters.to_dict()).pages[21].labels == doing_what_matters.pages[21].labels
