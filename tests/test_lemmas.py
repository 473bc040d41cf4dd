"""The rule coder's lemmas, set by arrays, are spaCy's lookup lemmatizer's."""

from __future__ import annotations

import pytest

from mapping_review.coding.lemmas import LookupLemmas
from mapping_review.segment.nlp import load_nlp

TEXTS = [
    "Offer guided self-help; she was offering sessions and visits.",
    "the children were building better relationships, didn't they?",
    "", "   ", "Unknownword zzqx 1.2.3 — “quoted” ideas", "BUILDING Buildings built",
    "i've been feeling worse: mothers' groups, feet, mice and better-known women",
]


def _spacy_lemmas(nlp, text):
    with nlp.select_pipes(enable=["lemmatizer"]):
        return [t.lemma_ for t in nlp(text)]


@pytest.fixture(scope="module")
def nlp():
    return load_nlp("blank")


def test_same_lemmas_as_spacy_lookup_lemmatizer(nlp):
    lookup = LookupLemmas.of(nlp, ["lemmatizer"])
    assert lookup is not None
    docs = list(lookup.pipe(nlp, TEXTS + TEXTS))  # the second time from what it remembered
    for text, doc in zip(TEXTS + TEXTS, docs):
        assert [t.text for t in doc] == [t.text for t in nlp.make_doc(text)]
        assert [t.lemma_ for t in doc] == _spacy_lemmas(nlp, text)
    # the table is really used: inflected forms get other lemmas
    assert [t.lemma_ for t in docs[0]][:5] == ["Offer", "guide", "self", "-", "help"]  # case kept, as spaCy does
    assert "child" in [t.lemma_ for t in docs[1]]


def test_only_for_a_lookup_lemmatizer_alone(nlp):
    assert LookupLemmas.of(nlp, ["lemmatizer", "tagger"]) is None
    assert LookupLemmas.of(load_nlp("blank", sentences_only=True), []) is None
