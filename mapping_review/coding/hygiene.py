"""Text that is not coded, or is coded once: what a unit of text *is*, not which guide it is from.

- symbol-font bullets and check boxes (Unicode private-use glyphs) are blanked before matching,
  keeping every offset;
- number-only lines, fragments of fewer than ``MIN_WORDS`` words, "this page intentionally left
  blank", table-of-contents lines, licence and copyright text, contact details and reference-list
  entries are not coded;
- headings are skipped by whole heading (numbering and page numbers aside), never by prefix;
- a passage repeated later in the guide (an appendix that reprints a session, a pocket guide that
  repeats the ethics list) is coded once, where it first appears outside an appendix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from mapping_review.coding.labels import compact


def ci(*parts: str) -> re.Pattern[str]:
    """A case-insensitive pattern from the concatenated ``parts``."""
    return re.compile("".join(parts), re.IGNORECASE)


# The characters that ``re.IGNORECASE`` matches with an ASCII letter other than by lower-casing them
# (dotless i, long s), or that lower-case to two characters (dotted capital I).
_FOLDED_OTHERWISE = ("\u0130", "\u0131", "\u017f")


def lowered(text: str) -> str | None:
    """``text`` lower-cased, where a lower-case pattern finds in it what the pattern with ``re.IGNORECASE``
    finds in ``text`` (at the same offsets); None where it may not."""
    return None if any(c in text for c in _FOLDED_OTHERWISE) else text.lower()


def _caseless(c: str) -> bool:
    """A character with no other case (a symbol such as the copyright sign or a dash)."""
    return c.lower() == c.upper() == c.casefold() == c


class Caseless:
    """A case-insensitive pattern (lower-case ASCII letters, other characters without case) searched in
    the :func:`lowered` text where there is one - the same answers, at about a third of the cost of
    ``re.IGNORECASE`` - and with the flag where there is not."""

    def __init__(self, *parts: str) -> None:
        pattern = "".join(parts)
        if pattern != pattern.lower() or any(not c.isascii() and not _caseless(c) for c in pattern):
            msg = f"a caseless pattern is written in lower-case ASCII letters: {pattern[:60]!r}"
            raise ValueError(msg)
        self.pattern = pattern
        self.lower_case = re.compile(pattern)
        self.ignore_case = re.compile(pattern, re.IGNORECASE)

    def search(self, text: str, low: str | None) -> re.Match[str] | None:
        """Search ``text``, whose :func:`lowered` form is ``low``."""
        return self.lower_case.search(low) if low is not None else self.ignore_case.search(text)

    def match(self, text: str, low: str | None) -> re.Match[str] | None:
        return self.lower_case.match(low) if low is not None else self.ignore_case.match(text)

    def count(self, text: str, low: str | None) -> int:
        """How many times it occurs in ``text`` (without overlaps)."""
        return len(self.lower_case.findall(low) if low is not None else self.ignore_case.findall(text))


MIN_WORDS = 4  # body text shorter than this is a fragment (a list stub, a label, a number)
MIN_HEADING_WORDS = 2  # a heading of one word is a bare topic name

_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
_BULLETS = re.compile(r"^[\s•·●○◦▪■□☐☑✓✔➢➤►»«\-–—－*◇◆]+")
_WORD = re.compile(r"[^\W\d_]{2,}")
_BLANK_PAGE = Caseless(r"\bpage\b.{0,20}\b(intentionally|deliberately)\b.{0,10}\b(left )?blank\b")
_TOC = ci(
    r"(\.\s?){4,}\s*[\divxlc]+\s*$"  # dotted leaders to a page number
    r"|^\s*((chapter|part|section|module|appendix)\s+[\dA-Z]{1,3}|\d{1,2}([.:]\d{1,2})*)[.:]?\s+[^.!?]{3,90}?\s\d{1,3}\s*$",
)
_LICENCE_STRONG = ci(
    r"©|\(c\)\s*\d{4}|\ball rights reserved\b|\bcreative commons\b|\bisbn\b|\bissn\b|\bwithout warranty\b"
    r"|\bomissions excepted\b|\bproprietary products\b|\bnotice of rights\b|\bcc by(-nc)?(-sa)?\b",
)
_LICENCE_WEAK = Caseless(
    r"\b(licen[cs]e[ds]?|copyright|reproduc(e|ed|tion)|translat(e|ion)|endorse[sd]?|disclaimer|publisher|"
    r"non-?commercial|adapt the work|distribut(e|ed|ion)|permission)\b",
)
# A literal of every alternative of _LICENCE_STRONG, matched alike: where none is, that cannot match, so
# it is only run where one is (most sentences have none, and it is slow to rule out)
_LICENCE_STRONG_WORDS = Caseless(
    r"©|\(c\)|all rights reserved|creative commons|isbn|issn|without warranty|omissions excepted"
    r"|proprietary products|notice of rights|cc by",
)
_EMAIL = Caseless(r"[\w.+-]+@[\w-]+\.[\w.]+")  # tried only where there is an "@" (at every word it backtracks)
_CONTACT = Caseless(r"\bhttps?://|\bwww\.[\w-]+\.|\b(tel|fax|telephone|phone)\s*[:.]?\s*\+?\d")
_REFERENCE = ci(
    r"\bet al\b\.?|\[online\]|\b(journal|proceedings|press|publishing|university press)\b|\b\d{1,4}\s?[:(]\s?\d+"
    r"[–-]\d+\b|\b\d+\s?\(\d+\),?\s?\d+[–-]\d+|\bdoi\b|\bvol\.\s?\d",
)
_YEAR = re.compile(r"\(?\b(19|20)\d{2}[a-z]?\)?")
_NUMBERING = re.compile(
    r"^\s*(?:(?i:chapter|part|section|module|appendix|step|box|table)\s+[\dA-Z]{1,3}[.:)]?|\d{1,3}(?:[.:]\d+)*[.:)]?"
    r"|[A-Z][.)])\s+"
)
_TRAILING_PAGE = ci(r"\s+([ivxlc]+|\d{1,3})\s*$")


def blank_glyphs(text: str) -> str:
    """``text`` with private-use glyphs (symbol-font bullets, check boxes) replaced by spaces."""
    return _PRIVATE_USE.sub(" ", text)


def n_words(text: str) -> int:
    return len(_WORD.findall(blank_glyphs(text)))


def is_boilerplate(text: str) -> bool:
    """Licence, copyright, publisher and contact text, and reference-list entries."""
    return _boilerplate(text, lowered(text))


def _boilerplate(text: str, low: str | None) -> bool:
    """:func:`is_boilerplate`, with the :func:`lowered` text at hand."""
    if _LICENCE_STRONG_WORDS.search(text, low) and _LICENCE_STRONG.search(text):
        return True
    if ("@" in text and _EMAIL.search(text, low)) or _CONTACT.search(text, low):
        return True
    if _LICENCE_WEAK.count(text, low) >= 2:
        return True
    return bool(_YEAR.search(text) and _REFERENCE.search(text))  # few sentences have a year: it goes first


def not_coded(text: str, *, heading: bool = False) -> str | None:
    """Why a unit of text is not coded (a short reason), or None when it is coded."""
    clean = _BULLETS.sub("", blank_glyphs(text)).strip()
    words = n_words(clean)
    if not words:
        return "number or symbols only"
    if words < (MIN_HEADING_WORDS if heading else MIN_WORDS):
        return "fragment"
    low = lowered(clean)
    if _BLANK_PAGE.search(clean, low):
        return "blank page notice"
    if _TOC.search(clean):
        return "contents line"
    if _boilerplate(clean, low):
        return "boilerplate"
    return None


def heading_name(heading: str) -> str:
    """A heading without its numbering, page number and case: ``"2.1 References 55"`` -> ``"references"``."""
    name = _NUMBERING.sub("", blank_glyphs(heading).strip())
    name = _TRAILING_PAGE.sub("", name)
    name = name.replace("&", " and ")
    return " ".join(name.lower().strip(" :.-–").split())


_PLURAL = re.compile(r"s\b")


def _singular(name: str) -> str:
    return _PLURAL.sub("", name)


@lru_cache(maxsize=64)
def _singular_names(skip: tuple[str, ...]) -> frozenset[str]:
    return frozenset(_singular(entry) for entry in skip)


def skipped_heading(heading: str, skip: Iterable[str]) -> bool:
    """Whether ``heading`` is one of the skip-list headings, matched as a whole heading (singular or plural)."""
    return _singular(heading_name(heading)) in _singular_names(tuple(skip))


_APPENDIX = ci(r"^\s*(appendix|appendices|annex|pocket guide|summary)\b")


def in_appendix(section: Sequence[str]) -> bool:
    return any(_APPENDIX.match(h) for h in section)


def first_occurrences(items: Sequence[tuple[str, Sequence[str]]]) -> list[bool]:
    """For ``(text, section)`` items in reading order, which ones are kept: the first occurrence of each
    passage outside an appendix (or the first of all when it only appears in appendices)."""
    keys = [compact(re.sub(r"\[[^\]]*\]", "", text)) for text, _ in items]
    chosen: dict[str, int] = {}
    for i, (key, (_, section)) in enumerate(zip(keys, items)):
        if key not in chosen or (in_appendix(items[chosen[key]][1]) and not in_appendix(section)):
            chosen[key] = i
    kept = set(chosen.values())
    return [i in kept for i in range(len(items))]
