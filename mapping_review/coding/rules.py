"""The rule coder ``rules.v3``: codebook patterns matched in the coded units of a guide.

The units are sentences and headings (:mod:`units`), after the hygiene rules: private-use glyphs
blanked, fragments, contents lines, licence text and skipped sections left out, repeated passages
kept once. Every suggestion keeps its evidence: the unit's text (quote), the matched words and their
offsets in it, the segment id, page and section, and a score: the weight of the strongest matching
pattern group, raised by a quarter for each further distinct matched term (at most 1.5 times), and
halved for units shorter than six words and for headings that are only a title (weak evidence).
The evidence classifier (:mod:`evidence`) then scores each suggestion as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from spacy.attrs import LOWER
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher

from mapping_review.coding.codebook import Code, Codebook, Patterns
from mapping_review.coding.hygiene import blank_glyphs
from mapping_review.coding.lemmas import LookupLemmas
from mapping_review.coding.suggestions import Suggestion, text_hash
from mapping_review.coding.units import coding_units, is_skipped
from mapping_review.coding.versions import CODER
from mapping_review.segment.segments import Segment

__all__ = ["CODER", "RuleCoder", "Suggestion", "text_hash"]

EXTRA_TERM_BONUS = 0.25  # per further distinct matched term
MAX_BONUS = 1.5  # the score never exceeds this multiple of the weight
SHORT_FRAGMENT = 6  # words: a shorter unit (a list entry, a title) scores half


def _required_words(patterns: Iterable[Sequence[dict[str, Any]]]) -> frozenset[str] | None:
    """Lower-case words one of which every token pattern needs (each pattern's first token that must be
    there and is a given word or one of a list of words); None when a pattern needs no such word. A unit
    holding none of them cannot match: spaCy's Matcher, which makes a Python object of every token it
    looks at, need not run on it."""
    words: set[str] = set()
    for pattern in patterns:
        specs = [{str(k).upper(): v for k, v in spec.items()} for spec in pattern]  # spaCy's keys are any case
        needed = next((w for spec in specs if spec.get("OP", "1") in ("1", "+") and (w := _words_of(spec))), None)
        if needed is None:
            return None
        words |= needed
    return frozenset(words)


def _words_of(spec: dict[str, Any]) -> set[str] | None:
    """The words a token spec (upper-case keys) allows, when it names them; None otherwise."""
    for key in ("LOWER", "ORTH", "TEXT"):
        value = spec.get(key)
        if isinstance(value, str):
            return {value.lower()}
        if isinstance(value, dict) and [str(k).upper() for k in value] == ["IN"]:
            options = next(iter(value.values()))
            if isinstance(options, list) and options and all(isinstance(v, str) for v in options):
                return {v.lower() for v in options}
    return None


def _occurrences(text: str, phrases: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for phrase in phrases:
        for m in re.finditer(r"(?<!\w)" + re.escape(phrase.lower()) + r"(?!\w)", text):
            spans.append((m.start(), m.end()))
    return spans


def _lower_same_length(text: str) -> str:
    """``text`` lower-cased character by character, leaving any character whose lower case is longer."""
    if text.isascii():
        return text.lower()
    lowered = text.lower()
    # the whole text lower-cased is the characters lower-cased one by one unless one grew longer, or a
    # capital sigma ends a word (the whole text gives a final sigma there)
    if len(lowered) == len(text) and "Σ" not in text:
        return lowered
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


@dataclass(frozen=True)
class PatternGroup:
    code: str
    patterns: Patterns


class RuleCoder:
    """Compiled patterns of a codebook; ``code_segments`` returns suggestions."""

    name = CODER

    def __init__(self, codebook: Codebook, nlp: Language) -> None:
        self.codebook = codebook
        self.nlp = nlp
        self.pipes = [p for p in ("lemmatizer", "tagger", "attribute_ruler") if p in nlp.pipe_names]
        self.lookup = LookupLemmas.of(nlp, self.pipes)  # the blank pipeline's lemmas, set by arrays
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.lemma = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.tokens = Matcher(nlp.vocab)
        self.groups: dict[str, PatternGroup] = {}
        for code in codebook.codes:
            for g, p in enumerate(code.patterns):
                name = f"{code.id}#{g}"
                self.groups[name] = PatternGroup(code.id, p)
                if p.phrases:
                    self.lower.add(name, [nlp.make_doc(text) for text in p.phrases])
                # multi-word phrases also match in other inflections ("home visit" finds "home visiting")
                lemmas = [*p.lemmas, *(text for text in p.phrases if " " in text.strip())]
                if lemmas:
                    self.lemma.add(name, list(self._lemmatised(lemmas)))
                if p.tokens:
                    self.tokens.add(name, [list(t) for t in p.tokens])
        self.skip = tuple(s.lower() for s in codebook.model.skip_sections)
        needed = _required_words(t for code in codebook.codes for p in code.patterns for t in p.tokens)
        self.token_words = None if needed is None else frozenset(nlp.vocab.strings.add(w) for w in needed)

    def _lemmatised(self, texts: Sequence[str]) -> Iterable[Any]:
        """Docs of ``texts`` with lemmas. A lookup lemmatizer knows only lower-case forms ("Building" stays
        "Building"), so without a tagger the texts are lower-cased first, keeping every offset: patterns on
        lemmas then match an imperative at the start of a sentence and words in a title-case heading."""
        if "tagger" not in self.pipes:
            texts = [_lower_same_length(t) for t in texts]
        if self.lookup is not None:
            yield from self.lookup.pipe(self.nlp, texts)
            return
        with self.nlp.select_pipes(enable=self.pipes):
            yield from self.nlp.pipe(texts)

    def skipped(self, seg: Segment) -> bool:
        """Segments under references, research recommendations and the like (whole headings) do not count."""
        return is_skipped(seg.section, self.skip)

    def code_segments(self, segments: Sequence[Segment]) -> list[Suggestion]:
        """Suggestions for the coded units of one or more guides, in reading order."""
        by_guide: dict[str, list[Segment]] = {}
        for seg in segments:
            by_guide.setdefault(seg.guide, []).append(seg)
        units = [u for segs in by_guide.values() for u in coding_units(segs, skip=self.skip)]
        # a heading unit's decisions are checked against its section segment's text
        hashes = {seg.id: text_hash(seg.text) for seg in segments if seg.kind == "section"}
        out: list[Suggestion] = []
        for seg, doc in zip(units, self._lemmatised([blank_glyphs(u.text) for u in units])):
            found: dict[str, list[tuple[str, int, int]]] = {}
            for matcher in (m for m in (self.lower, self.lemma, self.tokens) if len(m)):
                if matcher is self.tokens and self.token_words is not None \
                        and self.token_words.isdisjoint(doc.to_array(LOWER).tolist()):
                    continue
                for match_id, start, end in matcher(doc):
                    span = doc[start:end]
                    group = self.nlp.vocab.strings[match_id]
                    found.setdefault(self.groups[group].code, []).append((group, span.start_char, span.end_char))
            lowered = blank_glyphs(seg.text).lower()
            for code_id in sorted(found):
                suggestion = self._suggest(seg, self.codebook.by_id[code_id], found[code_id], lowered,
                                           hashes.get(seg.id) if seg.kind == "heading" else None)
                if suggestion is not None:
                    out.append(suggestion)
        return out

    def _suggest(
        self, seg: Segment, code: Code, matches: list[tuple[str, int, int]], lowered: str, segment_hash: str | None = None,
    ) -> Suggestion | None:
        """The best surviving match of ``code`` in a sentence, or None when context rules it out."""
        if code.context.require_any and not _occurrences(lowered, code.context.require_any):
            return None
        blocked = _occurrences(lowered, code.context.exclude_any)
        kept: list[tuple[float, int, int]] = []
        for name, start, end in matches:
            group = self.groups[name].patterns
            if group.require_any and not _occurrences(lowered, group.require_any):
                continue
            spans = blocked + _occurrences(lowered, group.exclude_any)
            if any(start < b[1] and b[0] < end for b in spans):
                continue
            kept.append((group.weight, start, end))
        if not kept:
            return None
        weight, start, end = max(kept, key=lambda k: (k[0], -k[1]))
        terms = {lowered[a:b] for _, a, b in kept}
        score = min(weight * MAX_BONUS, weight * (1 + EXTRA_TERM_BONUS * (len(terms) - 1)))
        if len(seg.text.split()) < SHORT_FRAGMENT:
            score /= 2
        return Suggestion(
            guide=seg.guide, code=code.id, segment=seg.id, page=seg.page, section=seg.section, quote=seg.text,
            match=seg.text[start:end], match_start=start, match_end=end, score=round(score, 3),
            coder=CODER, text_hash=segment_hash or text_hash(seg.text),
            kind=seg.kind if seg.kind == "heading" else "sentence",
            role=seg.role, weight=weight, n_terms=len(terms),
        )
