"""Running heads that change by chapter, lower in the page, and pages left blank on purpose."""

import pytest
from conftest import need_corpus
from pdfmaker import make_pdf

from mapping_review.extract import extract_document
from mapping_review.extract.furniture import remove_furniture
from mapping_review.extract.model import RawPage, Run


def page(number, *, head=None, head_top=90, first_line="", n_body=6):
    """A page with a small running head (size 8) under a banner, and body text in size 12."""
    runs = [Run("A MANUAL FOR HELPERS", 40, 30, 300, 40, 12, True)]
    if head:
        runs.append(Run(head, 40, head_top, 400, head_top + 8, 8, False))
    if first_line:
        runs.append(Run(first_line, 40, 130, 500, 142, 12, False))
    runs += [Run(f"Body line {i} of page {number} says something else", 40, 160 + 20 * i, 500, 172 + 20 * i, 12, False)
             for i in range(n_body)]
    runs.append(Run(str(number), 290, 800, 300, 810, 10, False))
    return RawPage(number=number, width=595, height=842, runs=tuple(runs))


def chapters(n_chapters=6, per_chapter=4):
    return [page(n, head=f"CHAPTER {c} {'ABCDEF'[c - 1] * 5} SKILLS")
            for n, c in enumerate((c for c in range(1, n_chapters + 1) for _ in range(per_chapter)), start=1)]


def test_a_head_that_changes_by_chapter_is_removed():
    cleaned = remove_furniture(chapters())
    for kept, removed in cleaned:
        assert not any(r.text.startswith("CHAPTER") for r in kept.runs)
        assert any(t.startswith("CHAPTER") for t in removed)
        assert sum(r.text.startswith("Body line") for r in kept.runs) == 6


def test_a_head_on_every_other_page_is_removed():
    pages = [page(i, head="CHAPTER 3 CCCCC SKILLS" if i % 2 else None) for i in range(1, 13)]
    pages += [page(i, head="CHAPTER 4 DDDDD" if i % 2 else None) for i in range(13, 25)]
    for kept, _ in remove_furniture(pages):
        assert not any(r.text.startswith("CHAPTER") for r in kept.runs)


def test_lines_repeated_on_pages_far_apart_are_kept():
    # a part title on the first page of each part: the same height, but never on pages in a row
    pages = [page(i, head="Part 1" if i % 8 == 1 else None) for i in range(1, 33)]
    kept = [r.text for p, _ in remove_furniture(pages) for r in p.runs]
    assert kept.count("Part 1") == 4


def test_body_text_starting_pages_at_one_height_is_kept():
    # the same first line on three pages in a row, in the body text's style, where other pages
    # start with other text: content, not a running head
    lines = {5: "Why the committee made the recommendations", 6: "Why the committee made the recommendations",
             7: "Why the committee made the recommendations"}
    pages = [page(i, first_line=lines.get(i, f"A first line of its own on page {i}")) for i in range(1, 21)]
    kept = [r.text for p, _ in remove_furniture(pages) for r in p.runs]
    assert kept.count("Why the committee made the recommendations") == 3


def test_a_small_head_where_body_lines_also_stand_is_kept():
    # repeated small lines at a height that, on most pages, holds body text of its own
    topics = ["apples", "birds", "clouds", "doors", "eggs", "ferns", "gates", "hills", "ink", "jars", "kites", "lamps",
              "moss", "nets", "oars", "pins", "quilts"]
    pages = [page(i, head="Note to the reader" if i in (3, 4, 5) else f"A small line on {topics[i - 1]}", head_top=90)
             for i in range(1, 18)]
    kept = [r.text for p, _ in remove_furniture(pages) for r in p.runs]
    assert kept.count("Note to the reader") == 3


def test_a_page_left_blank_on_purpose_is_blank(tmp_path):
    body = [(72, 100 + 16 * i, 11, f"Line {i} of the text of this page, which has something to say.") for i in range(5)]
    pdf = make_pdf(tmp_path / "blank.pdf", [body, [(200, 400, 12, "This page is intentionally left blank.")], body])
    doc = extract_document(pdf, sha256="x")
    assert doc.pages[1].status == "furniture-only" and not doc.pages[1].blocks
    assert "This page is intentionally left blank." in doc.pages[1].removed
    assert doc.pages[0].blocks and doc.pages[2].blocks


@pytest.mark.parametrize(("guide", "pages", "head"), [
    ("who_problem_management_plus", (35, 37), "CHAPTER 4"),
    ("who_thinking_healthy", (56, 57), "Module 2: THE BABY"),
    ("who_doing_what_matters", (55, 57), "Part 2: UNHOOKING"),
])
def test_chapter_heads_of_real_guides_leave_the_text(guide, pages, head):
    doc = extract_document(need_corpus("guides", f"{guide}.pdf"), sha256="x")
    for number in pages:
        found = doc.pages[number - 1]
        assert any(r.casefold().startswith(head.casefold()) for r in found.removed), (number, found.removed)
        assert head.casefold() not in found.text.casefold()
