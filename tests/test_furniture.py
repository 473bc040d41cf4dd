from mapping_review.extract.furniture import remove_furniture
from mapping_review.extract.model import RawPage, Run


def page(number, body, *, header="Guideline on care (GL1)", n=6):
    runs = [
        Run(header, 40, 30, 300, 42, 12, False),
        Run(f"Page {number} of {n}", 500, 800, 550, 810, 10, False),
    ]
    runs += [Run(text, 40, 100 + 20 * i, 500, 112 + 20 * i, 12, False) for i, text in enumerate(body)]
    return RawPage(number=number, width=595, height=842, runs=tuple(runs))


def test_running_header_and_page_numbers_are_removed_and_body_kept():
    pages = [page(i, [f"Body text {i}", "Repeated body line"]) for i in range(1, 7)]
    cleaned = remove_furniture(pages)
    for (kept, removed), original in zip(cleaned, pages):
        texts = [r.text for r in kept.runs]
        assert "Guideline on care (GL1)" not in texts
        assert not any(t.startswith("Page ") for t in texts)
        assert f"Body text {original.number}" in texts
        assert "Repeated body line" in texts  # repeated, but not at the page edge
        assert "Guideline on care (GL1)" in removed


def test_a_line_on_one_page_only_is_not_furniture():
    pages = [page(i, ["Body"], header="Chapter heading" if i == 1 else "Running head") for i in range(1, 7)]
    kept, removed = remove_furniture(pages)[0]
    assert "Chapter heading" in [r.text for r in kept.runs]
    assert "Chapter heading" not in removed
