"""The units the coder reads and labels point at: headings as units of their own, skipped sections,
repeated passages."""

from mapping_review.coding.units import coding_units, heading_unit, is_skipped, label_units
from mapping_review.segment.segments import Segment

SKIP = ("references", "contents")


def seg(text, *, kind="sentence", section=("1 Care",), page=3, end_page=None, n=0, start=0, boxes=()):
    return Segment(id=f"g:{page}:{n}", guide="g", kind=kind, role="heading" if kind == "section" else "text",
                   page=page, start=start, end_page=end_page or page, end=start + len(text), section=section,
                   text=text, bbox=None, boxes=boxes)


def test_a_heading_unit_is_the_heading_line_of_its_section_only():
    section = seg("Home visits\n\nOffer home visits to every new mother.", kind="section", page=4, end_page=5,
                  start=120, boxes=((4, 10.0, 20.0, 200.0, 32.0), (4, 10.0, 40.0, 300.0, 52.0)))
    unit = heading_unit(section)
    assert (unit.id, unit.kind, unit.role, unit.text) == ("g:4:0", "heading", "heading", "Home visits")
    assert (unit.page, unit.start, unit.end_page, unit.end) == (4, 120, 4, 120 + len("Home visits"))
    assert unit.boxes == ((4, 10.0, 20.0, 200.0, 32.0),)  # the heading's box, not the body's


def test_a_contents_heading_skips_only_what_sits_directly_under_it():
    assert is_skipped(("1 Care", "Contents"), SKIP)
    assert is_skipped(("References", "Books"), SKIP)  # any other skipped heading skips its whole subtree
    # a "Contents" heading the layout put a level too high must not swallow the chapters after it
    assert not is_skipped(("Contents", "1 Care"), SKIP)
    assert not is_skipped(("Contents", "1 Care", "1.1 Home visits"), SKIP)


def test_a_passage_repeated_in_the_body_after_an_appendix_is_kept_in_the_body():
    text = "Ask the person directly about thoughts of suicide at each session."
    units = coding_units([seg(text, section=("Appendix A",), page=2, n=1), seg(text, section=("4 Care",), n=2)],
                         skip=SKIP)
    assert [u.id for u in units] == ["g:3:2"]


def test_label_units_keep_the_pages_a_sentence_runs_over():
    units = label_units([seg("Offer a home visit within a week of the birth.", page=4, end_page=5)])
    assert [(u.id, u.page, u.end_page) for u in units] == [("g:4:0", 4, 5)]
