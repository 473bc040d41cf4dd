"""Sentences: a text spaCy's sentencizer would leave whole is not run through the pipeline."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping_review.segment.nlp import load_nlp
from mapping_review.segment.segments import _sentence_spans

_PIECES = ["Offer", "CBT", ".", "?", "!", "…", " ", "  ", "e.g.", "1.2", "(see", "below)", "\n", "“", "”", "–",
           "ok;", "U.K."]


@pytest.fixture(scope="module")
def nlp():
    return load_nlp("blank", sentences_only=True)


@given(words=st.lists(st.sampled_from(_PIECES), max_size=9), sep=st.sampled_from(["", " "]))
def test_texts_left_whole_without_the_pipeline_are_the_sentences_spacy_finds(nlp, words, sep):
    texts = [sep.join(words), " " + sep.join(words) + " \n"]
    assert _sentence_spans(nlp, texts) == _sentence_spans(nlp, texts, quick=False)


def test_a_text_with_a_mark_inside_is_split_and_one_without_is_kept_whole(nlp):
    texts = ["  Offer CBT. Review it in 2 weeks.", "  Offer CBT to the person.  ", "   ", "Offer CBT"]
    assert _sentence_spans(nlp, texts) == [[(2, 12), (13, 34)], [(2, 26)], [], [(0, 9)]]


def test_a_sentencizer_with_marks_of_several_characters_runs_on_every_text():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer", config={"punct_chars": ["...", "\n\n", "!", "?", "."]})
    texts = ["Offer CBT\n\nReview it in 2 weeks", "Offer CBT"]
    assert _sentence_spans(nlp, texts) == _sentence_spans(nlp, texts, quick=False) == [[(0, 9), (11, 31)], [(0, 9)]]
