"""Contents pages as an outline, headings that wrap or carry on, date tags, page-break hyphens."""

import pytest
from conftest import need_corpus
from pdfmaker import make_pdf

from mapping_review.extract import extract_document
from mapping_review.segment import document_to_segments
from mapping_review.segment.nlp import load_nlp


def segments_of(doc):
    return document_to_segments(doc, guide="g", nlp=load_nlp("blank"))


def contents_page():
    entries = ["Overview", "Who is it for?", "Recommendations", "1.1 Principles of care", "1.2 Assessment",
               "Terms used in this guideline", "Rationale and impact"]
    items = [(72, 60, 16, "Contents", "bold")]
    items += [(72, 100 + 18 * i, 11, f"{e} {'.' * (60 - len(e))} {5 + 3 * i}") for i, e in enumerate(entries)]
    return items


def text_page(lines, top=100):
    return [(72, top + 16 * i, 11, line) for i, line in enumerate(lines)]


def test_a_contents_page_is_an_outline_without_sentences(tmp_path):
    body = text_page(["1.1 Principles of care", "Offer people with depression a choice of treatment and discuss it.",
                      "Consider their preferences when planning care."])
    pdf = make_pdf(tmp_path / "c.pdf", [contents_page(), body])
    doc = extract_document(pdf, sha256="x")
    kinds = [b.kind for b in doc.pages[0].blocks]
    assert kinds[0] == "heading" and set(kinds[1:]) == {"contents"} and len(kinds) == 8
    segments = segments_of(doc)
    assert not [s for s in segments if s.page == 1 and s.kind == "sentence"]
    assert [s.role for s in segments if s.page == 1 and s.kind == "paragraph"] == ["contents"] * 7
    assert [s for s in segments if s.page == 2 and s.kind == "sentence"]


def test_sections_after_the_contents_pages_are_not_under_contents(tmp_path):
    body = text_page(["This guideline replaces an older one and is reviewed every year by the committee."])
    body += [(72, 160, 13, "Module 1 Getting started", "bold")]
    body += text_page(["Offer people with depression a choice of treatment and discuss it with them."], top=190)
    doc = extract_document(make_pdf(tmp_path / "c.pdf", [contents_page(), body]), sha256="x")
    sections = {b.text: b.section for b in doc.pages[1].blocks}
    assert sections["This guideline replaces an older one and is reviewed every year by the committee."] == ()
    assert sections["Offer people with depression a choice of treatment and discuss it with them."] == (
        "Module 1 Getting started",)
    assert {b.section for b in doc.pages[0].blocks if b.kind == "contents"} == {("Contents",)}  # the entries stay


def test_a_real_guide_without_bookmarks_is_not_sectioned_under_its_contents():
    doc = extract_document(need_corpus("guides", "who_thinking_healthy.pdf"), sha256="x")
    under = [p.number for p in doc.pages for b in p.blocks if "Table of contents" in b.section]
    assert len(under) < 40  # the contents pages' own entries (before: nearly all 2,000 blocks of the guide)
    assert set(under) <= {p.number for p in doc.pages for b in p.blocks if b.kind == "contents"}
    assert any(b.section[:2] == ("Thinking Healthy", "Module 1") for p in doc.pages for b in p.blocks)


def test_a_title_repeated_further_on_is_its_section_again_not_a_subsection(tmp_path):
    first = [(72, 80, 20, "Doing What Matters", "bold"),
             *text_page(["An illustrated guide for people under stress, with exercises to practise every day."], top=120)]
    second = [(72, 80, 15, "DOING WHAT MATTERS", "bold"), (72, 120, 13, "Grounding", "bold")]
    second += text_page(["Notice your feet on the floor and your breath going in and out slowly."], top=150)
    doc = extract_document(make_pdf(tmp_path / "t.pdf", [first, second]), sha256="x")
    sections = {b.text: b.section for p in doc.pages for b in p.blocks}
    assert sections["Notice your feet on the floor and your breath going in and out slowly."] == (
        "Doing What Matters", "Grounding")


def test_a_subsection_the_outline_names_like_its_parent_keeps_its_place():
    doc = extract_document(need_corpus("scale", "nice_head-injury-assessment-and-early-management.pdf"), sha256="x")
    start = "The committee agreed that high specificity"
    paths = [b.section for p in doc.pages for b in p.blocks if b.text.startswith(start)]
    assert paths and all(path[-3:] == ("Post-concussion syndrome", "Why the committee made the recommendation",
                                       "Post-concussion syndrome") for path in paths)


def test_numbered_text_is_no_contents_page(tmp_path):
    lines = [f"1.{i} A recommendation numbered like a section and ending in a number {i}" for i in range(1, 8)]
    doc = extract_document(make_pdf(tmp_path / "n.pdf", [text_page(lines)]), sha256="x")
    assert "contents" not in {b.kind for b in doc.pages[0].blocks}


@pytest.mark.parametrize(("folder", "guide", "pages"), [
    ("guides", "nice_ng222_depression_adults", (3, 4)), ("guides", "who_pfa_field_workers", (7,)),
    ("guides", "who_problem_management_plus", (9,)),
])
def test_contents_pages_of_real_guides_give_no_sentences(folder, guide, pages):
    doc = extract_document(need_corpus(folder, f"{guide}.pdf"), sha256="x")
    for number in pages:
        kinds = [b.kind for b in doc.pages[number - 1].blocks]
        assert kinds.count("contents") >= 0.8 * len(kinds), (number, kinds)
    assert not [s for s in segments_of(doc) if s.kind == "sentence" and s.page in pages]


def test_a_date_tag_ends_its_recommendation_and_is_no_heading(tmp_path):
    items = text_page(["1.2.3 Offer people a choice of treatment and discuss the options with"])
    items += [(72, 116, 11, "them and their family. "), (200, 116, 11, "[2003, amended 2014]", "bold")]
    items += text_page(["1.2.4 Consider their preferences when planning care."], top=150)
    doc = extract_document(make_pdf(tmp_path / "t.pdf", [items]), sha256="x")
    blocks = doc.pages[0].blocks
    assert [b.kind for b in blocks] == ["paragraph", "paragraph"]
    assert blocks[0].text.endswith("their family. [2003, amended 2014]")


def test_a_word_hyphenated_at_a_page_break_is_rejoined(tmp_path):
    first = text_page([f"Line {i} of a long paragraph about treatment and care that goes on," for i in range(3)]
                      + ["and at the foot of the page it speaks of neuro-"], top=640)
    second = text_page(["oncology services and of treat-", "ment in them."])
    doc = extract_document(make_pdf(tmp_path / "p.pdf", [first, second]), sha256="x")
    sentences = [s.text for s in segments_of(doc) if s.kind == "sentence"]
    assert any("speaks of neuro-oncology services and of treatment in them." in s for s in sentences), sentences
    assert doc.pages[1].blocks[0].glued


def test_a_word_split_at_a_page_break_loses_its_hyphen(tmp_path):
    first = text_page(["A long paragraph about the care of people who need psychological treat-"], top=700)
    second = text_page(["ment and support, as the committee agreed when it met."])
    doc = extract_document(make_pdf(tmp_path / "p.pdf", [first, second]), sha256="x")
    assert any("psychological treatment and support," in s.text for s in segments_of(doc) if s.kind == "sentence")


@pytest.fixture(scope="module")
def head_injury():
    path = need_corpus("scale", "nice_head-injury-assessment-and-early-management.pdf")
    doc = extract_document(path, sha256="x")
    return doc, segments_of(doc)


def test_a_heading_carried_on_to_the_next_page_is_one_heading(head_injury):
    doc, segments = head_injury
    title = "1.2 Pre-hospital assessment, advice and referral to hospital"
    assert doc.pages[6].blocks[1].section[-1] == title  # the first recommendation under it
    assert doc.pages[5].blocks[-1].section[-1] == title  # the heading's own path
    section = next(s for s in segments if s.kind == "section" and s.text.startswith("1.2 Pre-hospital"))
    assert section.text.startswith(title + "\n\n1.2.1") and (section.page, section.end_page) == (6, 7)


def test_date_tags_of_real_recommendations_are_no_headings(head_injury):
    doc, _ = head_injury
    headings = [b.text for p in doc.pages for b in p.blocks if b.kind == "heading"]
    assert not [h for h in headings if h.startswith("[")]
    assert not [b for p in doc.pages for b in p.blocks if b.text == "[2023]"]


def test_a_hyphen_at_a_real_page_break_is_rejoined():
    path = need_corpus("scale", "nice_brain-tumours-primary-and-brain-metastases-in-over-16s.pdf")
    text = " ".join(s.text for s in segments_of(extract_document(path, sha256="x")) if s.kind == "sentence")
    assert "neuro- oncology" not in text
    assert "neuro-oncology" in text
