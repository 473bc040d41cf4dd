"""The rule coder ``rules.v1``: codebook patterns matched in sentence segments.

Every suggestion keeps its evidence: the sentence (quote), the matched words
and their offsets in it, the segment id, page and section, and a score: the
weight of the strongest matching pattern group, raised by a quarter for each
further distinct matched term (at most 1.5 times), and halved for fragments
shorter than six words (list entries, titles), which are weak evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher

from mapping_review.coding.codebook import Code, Codebook, Patterns
from mapping_review.coding.suggestions import CODER, Suggestion, text_hash
from mapping_review.segment.segments import Segment

__all__ = ["CODER", "RuleCoder", "Suggestion", "text_hash"]

EXTRA_TERM_BONUS = 0.25  # per further distinct matched term
MAX_BONUS = 1.5  # the score never exceeds this multiple of the weight
SHORT_FRAGMENT = 6  # words: a shorter sentence (a list entry, a title) scores half


BOILERPLATE = re.compile(r"©|\ball rights reserved\b|\bcopyright\b|\bisbn\b|\bdoi:|https?://", re.IGNORECASE)


def _occurrences(text: str, phrases: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for phrase in phrases:
        for m in re.finditer(r"(?<!\w)" + re.escape(phrase.lower()) + r"(?!\w)", text):
            spans.append((m.start(), m.end()))
    return spans


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
                if p.lemmas:
                    self.lemma.add(name, list(self._lemmatised(p.lemmas)))
                if p.tokens:
                    self.tokens.add(name, [list(t) for t in p.tokens])
        self.skip = tuple(s.lower() for s in codebook.model.skip_sections)

    def _lemmatised(self, texts: Sequence[str]) -> Iterable[Any]:
        pipes = [p for p in ("lemmatizer", "tagger", "attribute_ruler") if p in self.nlp.pipe_names]
        with self.nlp.select_pipes(enable=pipes):
            yield from self.nlp.pipe(texts)

    def skipped(self, seg: Segment) -> bool:
        """Segments under references, research recommendations and the like do not count; a contents
        heading counts only as the nearest one (a mis-levelled "Contents" must not swallow a guide)."""
        for depth, heading in enumerate(reversed(seg.section)):
            name = heading.lower().strip()
            if name.startswith(self.skip) and (depth == 0 or not name.endswith("contents")):
                return True
        return False

    def code_segments(self, segments: Sequence[Segment]) -> list[Suggestion]:
        """Suggestions for the sentence segments of one or more guides, in segment order."""
        sentences = [s for s in segments
                     if s.kind == "sentence" and not self.skipped(s) and not BOILERPLATE.search(s.text)]
        out: list[Suggestion] = []
        for seg, doc in zip(sentences, self._lemmatised([s.text for s in sentences])):
            found: dict[str, list[tuple[str, int, int]]] = {}
            for matcher in (self.lower, self.lemma, self.tokens):
                for match_id, start, end in matcher(doc):
                    span = doc[start:end]
                    group = self.nlp.vocab.strings[match_id]
                    found.setdefault(self.groups[group].code, []).append((group, span.start_char, span.end_char))
            lowered = seg.text.lower()
            for code_id in sorted(found):
                suggestion = self._suggest(seg, self.codebook.by_id[code_id], found[code_id], lowered)
                if suggestion is not None:
                    out.append(suggestion)
        return out

    def _suggest(
        self, seg: Segment, code: Code, matches: list[tuple[str, int, int]], lowered: str
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
            coder=CODER, text_hash=text_hash(seg.text),
        )
