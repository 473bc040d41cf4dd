"""Extraction and segmentation checked on the real guides in ../shared/corpus."""

import re
from collections import defaultdict

import pdfplumber
import pypdfium2 as pdfium
import pytest

from mapping_review import pipeline
from mapping_review.extract import extract_document
from mapping_review.segment.inspect import guide_outline, load_extracted, load_segments

pytestmark = pytest.mark.corpus
FOOTER = re.compile(r"All rights reserved|Notice of rights|Page \d+ of \d+|\bPage \d+ of\b")


def squash(text):
    return re.sub(r"[^a-z0-9]", "", text.lower())


def pdfium_page_texts(path):
    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def test_every_page_with_text_has_segments(guides_build, guides_dir):
    project, report = guides_build
    assert not report.failures
    covered_total = 0
    for pdf in sorted(guides_dir.glob("*.pdf")):
        doc = load_extracted(project, pdf.stem)
        covered = defaultdict(int)
        for seg in load_segments(project, pdf.stem):
            for box in seg.boxes:
                covered[box[0]] += 1
        for number, raw in enumerate(pdfium_page_texts(pdf), start=1):
            page = doc.pages[number - 1]
            if len("".join(raw.split())) >= 20:
                assert covered[number] or page.status == "furniture-only", (pdf.stem, number, page.status)
            if page.status in ("image-only", "blank"):
                assert not covered[number] and len("".join(raw.split())) < 20, (pdf.stem, number)
        covered_total += len(covered)
    assert covered_total >= 770  # of 788 pages; the rest are blank or images


def test_nice_recommendations_sit_in_their_numbered_sections(guides_build):
    project, _ = guides_build
    checked = 0
    for key in ("nice_ng222_depression_adults", "nice_cg91_depression_chronic_physical",
                "nice_ng54_mh_learning_disabilities"):
        for seg in load_segments(project, key):
            if seg.kind != "paragraph" or seg.role != "recommendation":
                continue
            number = seg.text.split()[0]
            if not re.fullmatch(r"1\.\d+\.\d+", number) or "Recommendations" not in seg.section:
                continue
            chapter = ".".join(number.split(".")[:2])
            numbered = [s for s in seg.section if re.match(r"\d+\.\d+ ", s)]
            assert numbered and numbered[-1].startswith(chapter + " "), (key, seg.page, number, seg.section)
            checked += 1
    assert checked > 150
    ng222 = {s.text.split()[0]: s for s in load_segments(project, "nice_ng222_depression_adults")
             if s.kind == "paragraph" and s.role == "recommendation"}
    assert ng222["1.2.8"].section == ("Recommendations", "1.2 Recognition and assessment",
                                      "Risk assessment and management")
    assert ng222["1.2.8"].page == 11
    assert "• arrange help appropriate to the level of need" in ng222["1.2.8"].text  # bullets stay whole


def test_the_outline_shows_a_heading_carried_on_to_the_next_page_once(guides_build):
    project, _ = guides_build
    outline = guide_outline(load_extracted(project, "nice_ng54_mh_learning_disabilities"))
    title = "1.4 Support and interventions for family members and carers"
    assert [(item.title, item.page) for item in outline if item.title.startswith("1.4 ")] == [(title, 12)]
    assert "and carers" not in [item.title for item in outline]
    # as the segments' section paths have it
    assert any(title in seg.section for seg in load_segments(project, "nice_ng54_mh_learning_disabilities"))


def test_no_running_header_or_footer_reaches_a_segment(guides_build, guides_dir):
    project, _ = guides_build
    for pdf in sorted(guides_dir.glob("*.pdf")):
        doc = load_extracted(project, pdf.stem)
        removed = {p.number: set(p.removed) for p in doc.pages}
        for seg in load_segments(project, pdf.stem):
            if pdf.stem.startswith("nice_"):
                assert not FOOTER.search(seg.text), (pdf.stem, seg.id, seg.text[:100])
                assert "(NG222)" not in seg.text and "(NG54)" not in seg.text and "(CG91)" not in seg.text
            if seg.kind == "paragraph":
                assert seg.text not in removed[seg.page], (pdf.stem, seg.id)
    nice_pages = [p for p in load_extracted(project, "nice_ng222_depression_adults").pages if p.status == "text"]
    assert sum(1 for p in nice_pages if any("Page" in r for r in p.removed)) >= 100


def test_segment_pages_and_spans_match_where_the_text_is(guides_build, guides_dir):
    project, _ = guides_build
    for pdf in sorted(guides_dir.glob("*.pdf")):
        raw = [squash(t) for t in pdfium_page_texts(pdf)]
        doc = load_extracted(project, pdf.stem)
        sentences = [s for s in load_segments(project, pdf.stem) if s.kind == "sentence" and len(s.text) > 40]
        assert sentences
        for seg in sentences[:: max(1, len(sentences) // 40)]:
            # the sentence's words are on the pages it names (illustrated pages may order them differently)
            words = {squash(w) for w in seg.text.split() if len(squash(w)) > 3}
            found = sum(1 for w in words if w in "".join(raw[seg.page - 1 : seg.end_page]))
            assert found >= 0.8 * len(words), (pdf.stem, seg.page, seg.text[:80])
            if seg.page == seg.end_page:
                assert doc.pages[seg.page - 1].text[seg.start:seg.end] == seg.text


def test_segments_have_the_contract_fields_and_unique_ids(guides_build, guides_dir):
    project, _ = guides_build
    text = (project.segments_dir / "nice_cg91_depression_chronic_physical.jsonl").read_text()
    import json

    rows = [json.loads(line) for line in text.splitlines()]
    for row in rows:
        assert {"id", "guide", "page", "section", "kind", "start", "end", "bbox", "text"} <= row.keys()
        assert row["guide"] == "nice_cg91_depression_chronic_physical" and row["page"] >= 1
    assert len({r["id"] for r in rows}) == len(rows)
    assert {r["kind"] for r in rows} == {"section", "paragraph", "sentence"}


def test_federal_register_comes_out_column_by_column(hard_dir):
    path = hard_dir / "pdfplumber_federal_register_3col.pdf"
    doc = extract_document(path, sha256="x")
    sentence = ("Investigation of the accident has been completed by the Indonesian authorities "
                "(Komite Nasional Keselamatan Transportasi (KNKT)) with assistance from the National "
                "Transportation Safety Board (NTSB)")
    assert sentence in doc.pages[1].text
    with pdfplumber.open(path) as pdf:  # the naive reading mixes the columns line by line
        assert sentence not in " ".join(pdf.pages[1].extract_text().split())
    page1 = doc.pages[0].text
    assert page1.index("SUMMARY: The FAA proposes") < page1.index("Examining the AD Docket") < page1.index("Background")
    assert not any("VerDate" in b.text for p in doc.pages for b in p.blocks)


def test_engines_agree_on_a_real_guide(guides_dir):
    path = guides_dir / "nice_ng54_mh_learning_disabilities.pdf"
    fast = extract_document(path, sha256="x", engine="pdfium.v1")
    plumber = extract_document(path, sha256="x", engine="pdfplumber.v1")
    same = sum(1 for a, b in zip(fast.pages, plumber.pages) if squash(a.text) == squash(b.text))
    assert same >= 0.9 * fast.n_pages
    assert [b.text for b in fast.pages[5].blocks if b.kind == "heading"] == \
           [b.text for b in plumber.pages[5].blocks if b.kind == "heading"]


def test_second_build_does_no_pdf_work(guides_build, monkeypatch):
    project, _ = guides_build

    def no_pdf(*args, **kwargs):
        raise AssertionError("the PDF was read again")

    monkeypatch.setitem(extract_document.__globals__, "get_engine", lambda name: no_pdf)
    assert pipeline.build_project(project, nlp_name="blank", jobs=1).up_to_date
    report = pipeline.build_project(project, nlp_name="blank", jobs=1, force=True)
    assert {r.status for r in report.extract} == {"cached"}
    assert {r.status for r in report.segment} == {"up to date"}
