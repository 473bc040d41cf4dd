"""Lemmas for the rule coder, set a whole document at a time where spaCy's lookup lemmatizer would set them
one token at a time.

With the ``blank`` pipeline the lemmatizer is spaCy's in ``lookup`` mode: each token's text is looked up
in the ``lemma_lookup`` table and kept as it is when missing. :class:`LookupLemmas` gives the same lemmas
(a test compares them) from the document's array of token texts, remembering each text's lemma, and
writes them back as one array: the coder then makes no Python call per token. Any other lemmatizer (a
rule lemmatizer after a tagger, in a trained pipeline) runs as spaCy's component.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


class LookupLemmas:
    """Sets the lemmas of a tokenised document as ``nlp``'s lookup lemmatizer would."""

    def __init__(self, nlp: Language) -> None:
        self.strings = nlp.vocab.strings
        lemmatizer: Any = nlp.get_pipe("lemmatizer")
        self.table = lemmatizer.lookups.get_table("lemma_lookup")
        self.known: dict[int, int] = {}  # a token text's hash -> its lemma's hash

    @classmethod
    def of(cls, nlp: Language, pipes: Sequence[str]) -> LookupLemmas | None:
        """One for ``nlp`` when ``pipes`` (what would run after the tokenizer) are a lookup lemmatizer alone."""
        if list(pipes) != ["lemmatizer"] or getattr(nlp.get_pipe("lemmatizer"), "mode", None) != "lookup":
            return None
        try:
            return cls(nlp)
        except (KeyError, ValueError):  # no lookup table: spaCy's component reports it
            return None

    def _learn(self, orth: int) -> int:
        """The lemma of a token text not met before, remembered."""
        text = self.strings[orth]
        lemma: int = self.strings.add(self.table.get(text, text))
        self.known[orth] = lemma
        return lemma

    def __call__(self, doc: Doc) -> Doc:
        import numpy
        from spacy.attrs import LEMMA, ORTH

        if len(doc):
            known, learn = self.known, self._learn
            lemmas = [known.get(orth) or learn(orth) for orth in doc.to_array(ORTH).tolist()]
            array: Any = numpy.array(lemmas, dtype="uint64").reshape(-1, 1)
            doc.from_array([LEMMA], array)
        return doc

    def pipe(self, nlp: Language, texts: Iterable[str]) -> Iterator[Any]:
        """``texts`` tokenised by ``nlp``, with lemmas."""
        tokenizer: Any = nlp.tokenizer
        for doc in tokenizer.pipe(texts):
            yield self(doc)
