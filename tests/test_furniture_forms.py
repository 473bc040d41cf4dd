"""A form's header row ("ID: ... Date: ...") printed on many pages is furniture; its content is not."""

from conftest import need_corpus
from pdfmaker import make_pdf

from mapping_review.extract import extract_document
from mapping_review.extract.furniture import remove_furniture
from mapping_review.extract.model import RawPage, Run

BODY = [(72, 120 + 16 * i, 11, f"Line {i} of this page explains one more thing about the exercise.") for i in range(6)]


def handout(title):
    """A handout page: its own title at the top, in a larger size."""
    return [(150, 40, 16, title), *BODY]


def form(title, *labels, header=(("ID:", 72), ("Date:", 360))):
    """A blank form: a header row of labels with blanks between them, in the body text's size and
    at the height where handouts have their titles, then the form's title and its fields."""
    return [*((x, 40, 11, text) for text, x in header), (200, 80, 14, title),
            *((72, 300 + 60 * i, 11, label) for i, label in enumerate(labels)), *BODY]


TOPICS = ["Breathing", "Reactions", "Sleep", "Anger", "Grief", "Trust", "Safety", "Memory", "Support", "Habits",
          "Worry", "Work", "Family", "Friends", "Exercise", "Food", "Rest", "Goals"]


def test_a_form_header_on_pages_in_a_row_is_removed_and_the_form_kept(tmp_path):
    # six forms in two stretches of a 24-page guide: too few pages for a header repeated on most
    # pages, and handouts put their titles at the header's height
    forms = {3: form("Assessment Summary", "Brief case demographics:", "Plan:"), 4: form("Symptom Ratings", "Notes:"),
             11: form("Exposure Hierarchy", "Targeted activities:"), 12: form("Homework Recording Form", "Final rating:"),
             13: form("Weekly Worksheet", "Other:"), 14: form("Session Checklist", "Comments:")}
    topics = iter(TOPICS)
    pages = [forms.get(n) or handout(f"About {next(topics)}") for n in range(1, 25)]
    doc = extract_document(make_pdf(tmp_path / "forms.pdf", pages), sha256="x")
    for number in forms:
        page = doc.pages[number - 1]
        assert "ID:" not in page.text and "Date:" not in page.text, (number, page.text)
        assert {"ID:", "Date:"} <= set(page.removed), (number, page.removed)
    text = "\n".join(p.text for p in doc.pages)
    for kept in ("Assessment Summary", "Brief case demographics:", "Plan:", "Homework Recording Form", "Final rating:",
                 "Session Checklist", "Comments:", *(f"About {topic}" for topic in TOPICS)):
        assert kept in text, kept
    assert text.count("explains one more thing") == 6 * len(pages)


def test_a_form_header_on_two_pages_only_is_kept(tmp_path):
    pages = [handout("Rationale for the Treatment"), form("Assessment Summary", "Plan:"), form("Symptom Ratings", "Notes:"),
             *(handout(f"About {topic}") for topic in TOPICS[:9])]
    doc = extract_document(make_pdf(tmp_path / "two.pdf", pages), sha256="x")
    for number in (2, 3):
        assert "ID:" in doc.pages[number - 1].text and "Date:" in doc.pages[number - 1].text


def row_page(number, left, right):
    """A page whose first row holds two runs, in the body text's style, above body text."""
    runs = [Run(left, 40, 40, 120, 51, 11, False), Run(right, 360, 40, 420, 51, 11, False)]
    runs += [Run(f"Body line {i} of page {number} says something else", 40, 120 + 16 * i, 500, 131 + 16 * i, 11, False)
             for i in range(8)]
    return RawPage(number=number, width=612, height=792, runs=tuple(runs))


def test_rows_that_change_from_page_to_page_are_kept():
    # two runs side by side at the top of every page, but other words on each page: content
    words = ["apples", "birds", "clouds", "doors", "eggs", "ferns"]
    pages = [row_page(i, f"Step on {w}", f"Goal: {w[::-1]}") for i, w in enumerate(words, start=1)]
    cleaned = remove_furniture(pages)
    for (kept, removed), w in zip(cleaned, words):
        assert {r.text for r in kept.runs} >= {f"Step on {w}", f"Goal: {w[::-1]}"}
        assert not removed


PARTS = "ABCDEFGHIJKLMNOP"


def sixteen_pages(left, right, rows_on):
    """Sixteen pages: the row ``left | right`` at the top of the pages ``rows_on``, another row of two runs
    (other words on each page) at that height on the others."""
    return [row_page(i, left, right) if i in rows_on else row_page(i, f"Part {PARTS[i - 1]}", f"Aims of {PARTS[i - 1]}")
            for i in range(1, 17)]


def test_the_same_row_on_pages_in_a_row_is_removed_from_each():
    # on four pages of sixteen (a header on most pages would be removed anyway); on the others
    # another row of two runs stands at that height
    for kept, removed in remove_furniture(sixteen_pages("Name:", "Session:", range(6, 10))):
        texts = {r.text for r in kept.runs}
        if 6 <= kept.number <= 9:
            assert not {"Name:", "Session:"} & texts
            assert set(removed) == {"Name:", "Session:"}
        else:
            assert f"Part {PARTS[kept.number - 1]}" in texts and not removed
        assert sum(t.startswith("Body line") for t in texts) == 8


def test_the_header_of_the_real_blank_forms_leaves_the_text():
    # the CDP handouts' blank forms carry "ID: ... Date: ..." at the height where handouts put
    # their titles; the forms' titles and field labels stay
    doc = extract_document(need_corpus("guides", "cdp_prolonged_exposure_handouts.pdf"), sha256="x")
    for number, title in ((36, "Initial Assessment Summary"), (37, "Psychometric Summary"),
                          (44, "In Vivo Exposure Hierarchy"), (45, "In Vivo Exposure Homework Recording Form"),
                          (46, "PE Homework: Session 2"), (47, "Imaginal Exposure Worksheet")):
        page = doc.pages[number - 1]
        assert {"ID:", "Date:"} <= set(page.removed), (number, page.removed)
        assert "Date:" not in page.text.splitlines()[:2] and not page.text.startswith("ID:"), (number, page.text[:80])
        assert title in page.text, (number, title)
    assert "Brief case demographics:" in doc.pages[35].text
    for number, title in ((38, "Rationale for Prolonged Exposure (PE) Treatment"), (40, "Relaxed Breathing"),
                          (42, "Common Reactions to Trauma")):  # titles at the same height on the pages between
        assert doc.pages[number - 1].text.startswith(title), (number, doc.pages[number - 1].text[:80])


def test_the_column_headings_of_an_unruled_table_over_pages_in_a_row_are_kept():
    # a table without rules continued over three pages of sixteen repeats its column headings at the
    # top of each, in the body style: content (the only copy of the headings), not a form's labels
    for kept, removed in remove_furniture(sixteen_pages("Medicine", "Usual dose", range(6, 9))):
        if 6 <= kept.number <= 8:
            assert {"Medicine", "Usual dose"} <= {r.text for r in kept.runs}, kept.number
            assert not removed


def test_a_row_of_labels_with_blanks_to_fill_is_a_form_header_too():
    for kept, removed in remove_furniture(sixteen_pages("Name ________", "Date ________", range(6, 9))):
        assert set(removed) == ({"Name ________", "Date ________"} if 6 <= kept.number <= 8 else set()), kept.number
