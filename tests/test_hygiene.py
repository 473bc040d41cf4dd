"""What is not coded, or is coded once: by what the text is, not by which guide it comes from."""

import re

from hypothesis import given
from hypothesis import strategies as st

from mapping_review.coding.hygiene import (
    blank_glyphs,
    first_occurrences,
    heading_name,
    is_boilerplate,
    not_coded,
    skipped_heading,
)

SKIP = ("references", "contents", "recommendations for research", "why the committee made the recommendations")


def test_private_use_glyphs_are_blanked_keeping_offsets():
    text = "\uf0b7 Offer a home visit \uf0fc within a week."
    clean = blank_glyphs(text)
    assert len(clean) == len(text) and "\uf0b7" not in clean and clean[2:7] == "Offer"
    assert not_coded("\uf0a7 \uf0a8") == "number or symbols only"


def test_numbers_fragments_and_blank_pages_are_not_coded():
    assert not_coded("12") == "number or symbols only"
    assert not_coded("1.2.3") == "number or symbols only"
    assert not_coded("• Stress increases.") == "fragment"
    assert not_coded("Job interview") == "fragment"
    assert not_coded("This page is intentionally left blank.") == "blank page notice"
    assert not_coded("Offer a home visit to every new mother.") is None
    # a heading of two words is a title, still coded (as weak evidence); one word is a bare topic
    assert not_coded("Home visits", heading=True) is None
    assert not_coded("Thought", heading=True) == "fragment"


def test_contents_lines_are_not_coded():
    assert not_coded("1.4 Interventions for behaviour that challenges ..................................... 17") == \
        "contents line"
    assert not_coded("3.5 People who likely need special attention 30") == "contents line"
    assert not_coded("Chapter 4 Caring for yourself and your colleagues 37") == "contents line"
    # an ordinary sentence that ends with a number is not a contents line
    assert not_coded("Offer this if the person is younger than 18") is None
    assert not_coded("If the person is under 18") is None


def test_boilerplate_is_recognised_by_what_it_is():
    for text in ["© World Health Organization 2015. All rights reserved.",
                 "This work is available under the Creative Commons Attribution-NonCommercial-ShareAlike licence.",
                 "Errors and omissions excepted, the names of proprietary products are distinguished by capitals.",
                 "1 Vision Drive, Burwood East, Victoria (email: someone@example.org, tel: +61-3-9287-2233)",
                 "Requests for permission to reproduce or translate WHO publications should be addressed to WHO Press.",
                 "Hobfoll, S, Watson, P, et al. (2007) Five essential elements of immediate mass trauma intervention.",
                 "Traumatology, 22(4), 314–321 (2016)."]:
        assert is_boilerplate(text), text
        assert not_coded(text) in ("boilerplate", "fragment")
    for text in ["Discuss the risks and benefits of treatment with the person.",
                 "Give the mother a copy of the calendar to keep at home.",
                 "The evidence shows that CBT reduces symptoms."]:
        assert not is_boilerplate(text), text


def test_headings_are_skipped_by_the_whole_heading_not_by_a_prefix():
    assert skipped_heading("References", SKIP)
    assert skipped_heading("7 References 55", SKIP)
    assert skipped_heading("Recommendations for research", SKIP)
    assert skipped_heading("Why the committee made the recommendation", SKIP)  # singular of a plural entry
    assert skipped_heading("Why the committee made the recommendations", SKIP)
    assert not skipped_heading("References to community services", SKIP)
    assert not skipped_heading("Contents of the care plan", SKIP)
    assert heading_name("Appendix A: Resources & links iii") == "resources and links"


def test_a_repeated_passage_is_kept_once_outside_the_appendix():
    items = [("Appendix D: Ask about suicide [2009]", ("Appendices", "Appendix D")),
             ("Ask directly about thoughts of suicide.", ("Appendix D",)),
             ("Ask directly about thoughts of suicide.", ("Chapter 4", "Assessing risk")),
             ("Ask directly about thoughts  of suicide. [2009, amended 2022]", ("Chapter 9",)),
             ("Offer a follow-up.", ("Chapter 4",))]
    assert first_occurrences(items) == [True, False, True, False, True]


def test_every_strong_licence_alternative_has_a_literal_the_quick_check_looks_for():
    from mapping_review.coding import hygiene

    literals = hygiene._LICENCE_STRONG_WORDS.pattern.split("|")
    for alternative in hygiene._LICENCE_STRONG.pattern.split("|"):
        assert any(lit in alternative for lit in literals), alternative


# the boilerplate test as it was before the quick checks (one contact pattern, the reference first)
_OLD_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.]+|\bhttps?://|\bwww\.[\w-]+\.|\b(tel|fax|telephone|phone)\s*[:.]?\s*\+?\d", re.IGNORECASE)


def _old_is_boilerplate(text):
    from mapping_review.coding import hygiene

    if hygiene._LICENCE_STRONG.search(text) or _OLD_CONTACT.search(text):
        return True
    if len(hygiene._LICENCE_WEAK.ignore_case.findall(text)) >= 2:
        return True
    return bool(hygiene._REFERENCE.search(text) and hygiene._YEAR.search(text))


_PIECES = ["©", "(C) 2019", "(c)2020", "All Rights Reserved", "ıSBN 978", "ISSN", "CC BY-NC-SA", "cc by",
           "Creative Commons", "without warranty", "e-mail: help@who.int", "a@b", "@", "https://x.org",
           "WWW.nice.org.uk", "Tel: +44 20", "fax 0123", "phone", "hotel", "Smith et al. (2019)", "Journal",
           "12(3), 45-67", "2019", "doi", "licence", "permission", "reproduced", "Offer CBT", "to the person", " ",
           ".", "ſ", "K"]


@given(st.lists(st.sampled_from(_PIECES), max_size=8))
def test_the_quick_checks_leave_the_boilerplate_test_as_it_was(pieces):
    text = " ".join(pieces)
    assert is_boilerplate(text) == _old_is_boilerplate(text)


def test_a_caseless_pattern_may_hold_symbols_but_no_other_letters_than_lower_case_ascii():
    import pytest

    from mapping_review.coding.hygiene import Caseless, lowered

    text = "© WHO 2013. Some Rights Reserved – CC BY"
    assert Caseless(r"©|rights reserved\b").count(text, lowered(text)) == 2
    for bad in (r"\bcafé\b", r"\bWHO\b", "a\u0345"):  # U+0345 is no letter but has an upper case
        with pytest.raises(ValueError, match="lower-case ASCII letters"):
            Caseless(bad)


def test_the_whole_private_use_area_is_blanked():
    text = "\ue000 Offer a visit \uf8ff"
    assert blank_glyphs(text) == "  Offer a visit  "


def test_a_three_word_sentence_and_single_letters_are_fragments():
    assert not_coded("Ask about sleep.") == "fragment"  # fewer than four words
    assert not_coded("See a, b, c and d.") == "fragment"  # a single letter is no word
    assert not_coded("a) b) c) d)") == "number or symbols only"


def test_a_deliberately_blank_page_is_not_coded():
    assert not_coded("This page has been deliberately left blank.") == "blank page notice"


def test_short_leaders_bulleted_entries_and_three_digit_pages_are_contents_lines():
    assert not_coded("Assessing the risk of suicide .... 42") == "contents line"
    assert not_coded("7.2 Working with families and carers 104") == "contents line"
    assert not_coded("• 1.4 Interventions for behaviour that challenges 17") == "contents line"


def test_a_heading_loses_a_dash_after_its_numbering_and_matches_singular_or_plural():
    assert heading_name("Module 3 – Problem solving") == "problem solving"
    assert skipped_heading("Recommendation for research", SKIP)  # plural inside the skip entry


def test_a_passage_only_in_appendices_is_kept_where_it_first_appears():
    items = [("Ask directly about thoughts of suicide.", ("Appendix A",)),
             ("Ask directly about thoughts of suicide.", ("Appendix B",))]
    assert first_occurrences(items) == [True, False]


def test_an_annex_or_an_appendix_anywhere_on_the_path_is_an_appendix():
    text = "Ask directly about thoughts of suicide."
    for section in [("Annex 2",), ("Appendix D", "Assessing risk")]:
        assert first_occurrences([(text, section), (text, ("Chapter 4",))]) == [False, True], section
