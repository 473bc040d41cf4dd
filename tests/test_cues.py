"""Cues for who acts, what kind of sentence it is and where it stands."""

from hypothesis import given
from hypothesis import strategies as st

from mapping_review.coding.cues import CUE_NAMES, sentence_cues


def on(text, section=("Recommendations", "1.2 Assessment"), **kw):
    return {k for k, v in sentence_cues(text, section, **kw).items() if v >= 1}


def test_who_acts():
    assert {"imperative", "helper_acts"} <= on("1.2.3 Offer a home visit within 2 weeks.")
    assert {"imperative", "negation", "helper_acts"} <= on("• Do not offer benzodiazepines for longer than 2 weeks.")
    assert "helper_acts" in on("Practitioners should discuss the options with the person.")
    assert "client_acts" in on("The person may feel hopeless and lose interest in things.")
    assert "first_person" in on("I can't trust anybody.")
    assert "author" in on("This guideline covers care for adults with depression.")
    assert "helper_acts" not in on("The mother felt that nobody listened.")


def test_what_kind_of_sentence():
    assert "question" in on("Have you had thoughts of ending your life?")
    assert "symptom" in on("Symptoms include low mood and loss of interest.")
    assert "cross_reference" in on("For guidance on managing medicines, see the NICE guideline on medicines optimisation.")
    assert {"no_verb", "bullet"} <= on("• Medical or hospital settings")
    assert "exercise" in on("Notice your breathing and close your eyes.")
    assert "numbered" in on("1.4.2 Offer CBT.", role="recommendation")
    assert {"heading", "title"} <= on("Home visits", heading=True)
    assert "meta" in on("It covers care planning and access to services.")
    assert "meta" in on("1.1 This guideline covers adults with depression.")
    assert "meta" not in on("It is important to cover the costs.")
    assert "staff_development" in on("• take part in the monitoring of their practice, for example by supervision.")
    assert "staff_development" in on("Staff should be trained in positive behaviour support.")
    assert "staff_development" not in on("Offer the person a home visit.")


def test_where_it_stands():
    assert "section_case" in on("You sit with her.", ("Chapter 5", "Case scenario 1: Natural disaster"))
    assert "section_research" in on("What is the effect of X?", ("Recommendations for research",))
    assert "section_listing" in on("• Job interview", ("Sample In Vivo Items",))
    assert "section_self_care" in on("Rest and eat well.", ("Chapter 4", "Caring for yourself"))
    assert "section_resources" in on("Read this book.", ("Additional resources and links",))
    carers = ("1.4 Support and interventions for family members and carers",)
    assert "section_others" in on("Provide emotional support.", carers)
    assert "section_others" in on("Provide supervision.", ("Organising care", "Staff training and supervision"))
    assert "section_others" not in on("Offer CBT.", ("1.5 Psychological interventions",))


def test_every_cue_is_named_and_numeric():
    cues = sentence_cues("Anything at all.", ())
    assert tuple(cues) == CUE_NAMES and all(isinstance(v, float) for v in cues.values())


_WORDS = ["Offer", "ASK", "you", "should", "Staff", "must", "the person", "İs", "ıs", "ſhould", "\u212aeep", "evidence",
          "e.g.", "Notice", "see the NICE", "do not", "don't", "What", "is", "feels sad", "café", "Über", "’", "-", ".",
          "sessions", "trained in", "this guideline covers", "download", "%", " ", "  ", "\n"]


@given(st.lists(st.sampled_from(_WORDS), max_size=10), st.sampled_from(["", " ", "1.2 ", "• "]))
def test_caseless_patterns_find_what_ignorecase_finds(words, lead):
    import re

    from mapping_review.coding import cues
    from mapping_review.coding.hygiene import Caseless, lowered

    text = lead + " ".join(words)
    low = lowered(text)
    patterns = [p for p in vars(cues).values() if isinstance(p, Caseless)]
    assert len(patterns) >= 17
    for p in patterns:
        for how in ("search", "match"):
            mine, theirs = getattr(p, how)(text, low), getattr(re.compile(p.pattern, re.IGNORECASE), how)(text)
            assert (mine and mine.span()) == (theirs and theirs.span()), (p.pattern[:40], how, text)


def test_lowered_text_is_refused_where_ignorecase_folds_otherwise():
    import pytest

    from mapping_review.coding.hygiene import Caseless, lowered

    assert lowered("Offer CBT \u212a") == "offer cbt k"
    for odd in ("\u0130", "\u0131", "\u017f"):
        assert lowered(f"Offer {odd}t") is None
    assert Caseless(r"\bsh(ould|all)\b").search("You SHALL", lowered("You SHALL"))
    with pytest.raises(ValueError, match="lower-case ASCII"):
        Caseless(r"\bOffer\b")


def test_short_long_and_title_go_by_the_number_of_words():
    seven, eight = "Offer every new mother a home visit soon.", "Offer every new mother a home visit very soon."
    assert "short" in on(seven) and "short" not in on(eight)
    words = " ".join(["word"] * 34)
    assert "long" not in on(f"Offer {words}.") and "long" in on(f"Offer {words} more.")  # 35 words, then 36
    assert "title" in on("Home visits for new mothers", heading=True)  # five words
    assert "title" not in on("Home visits for new mothers today", heading=True)  # six words


def test_the_client_does_not_act_where_the_helper_does():
    cues = on('Say "I am here to help you."')
    assert {"imperative", "first_person", "helper_acts"} <= cues and "client_acts" not in cues
    assert "client_subject" not in on("The person should be offered a follow-up appointment.")
    assert "helper_acts" in on("Practitioners working in primary care should ask about mood.")


def test_leads_questions_brackets_and_verbs():
    assert "question" in on("Thoughts of ending your life?")
    assert {"imperative", "helper_acts"} <= on("b) Offer a follow-up appointment.")
    assert {"imperative", "helper_acts"} <= on("\uf0b7 Offer a follow-up appointment.")
    assert "no_verb" not in on("Offer CBT.")
    assert "in_brackets" in on("(See the appendix for the form.)")
    assert "first_person" in on("I moved here from İzmir last year.")


def test_a_section_further_out_counts_half_and_a_listing_only_as_the_innermost_heading():
    cues = sentence_cues("Offer CBT.", ("Appendix B", "Worked example"))
    assert cues["section_appendix"] == 0.5 and cues["section_case"] == 1.0
    assert "section_listing" not in on("Offer CBT.", ("Signs of depression", "Offering treatment"))
