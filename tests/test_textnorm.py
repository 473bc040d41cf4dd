from hypothesis import given
from hypothesis import strategies as st

from mapping_review.extract.textnorm import join_lines, normalize, vocabulary


def test_ligatures_and_odd_spaces_are_normalised():
    assert normalize("\ufb01rst \ufb02ow e\ufb03cient") == "first flow efficient"
    assert normalize("a\u00a0b\u2009c\u200bd  e\t f") == "a b cd e f"


def test_pdfium_line_end_hyphen_marker_becomes_a_hyphen():
    assert normalize("terms-and\ufffeconditions") == "terms-and-conditions"


def test_word_broken_at_line_end_is_rejoined():
    vocab = vocabulary(["treatment options"])
    assert join_lines(["a choice of treat-", "ment and care"], vocab=vocab) == "a choice of treatment and care"


def test_real_compound_keeps_its_hyphen():
    vocab = vocabulary(["risk of self-harm is high"])
    assert join_lines(["assess the risk of self-", "harm today"], vocab=vocab) == "assess the risk of self-harm today"


def test_split_word_of_the_lexicon_is_closed_up_without_the_document():
    assert join_lines(["offer treat-", "ment"], vocab=set()) == "offer treatment"


def test_unknown_closed_form_keeps_its_hyphen():
    # "evidencebased" is no word of the document nor of the lexicon
    assert join_lines(["an evidence-", "based approach"], vocab=set()) == "an evidence-based approach"
    assert join_lines(["over-the-", "counter drugs"], vocab=set()) == "over-the-counter drugs"
    assert join_lines(["people at-", "risk of harm"], vocab={"at", "risk"}) == "people at-risk of harm"


def test_closed_form_the_document_uses_wins():
    assert join_lines(["psycho-", "education helps"], vocab=set()) == "psycho-education helps"
    assert join_lines(["psycho-", "education helps"], vocab={"psychoeducation"}) == "psychoeducation helps"


def test_hyphen_before_and_or_or_stays_open():
    assert join_lines(["first-", "and second-line"], vocab=set()) == "first- and second-line"
    assert join_lines(["short-", "or long-term"], vocab={"shortor"}) == "short- or long-term"


def test_hyphen_before_capital_or_digit_is_kept():
    assert join_lines(["COVID-", "19 care"], vocab=set()) == "COVID-19 care"


def test_lines_join_with_one_space():
    assert join_lines(["one line", "two line"], vocab=set()) == "one line two line"


@given(st.text())
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once
