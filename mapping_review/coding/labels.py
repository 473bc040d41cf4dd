"""Sentence labels: whether a sentence is evidence that a guide addresses a code.

A label says of one sentence and one code that it ``supports`` the code (the
guide addresses it as care), ``mentions`` it only (the topic is there, but in
passing: a question on a form, a symptom, the client's own words, a title),
uses a matched word in a ``wrong_sense``, or is ``boilerplate`` (licence,
publisher, contents, reference lines).

Labels are kept without copying the guide's text: guide key, page, a short
normalised anchor (the first words), a tail (the last words) and a hash of
the normalised sentence. The normalised form keeps letters and digits only,
so a label still finds its sentence after extraction changes spacing,
hyphenation, bullets or ligatures; when the sentence itself changed (a
running header removed from it, a table row that now carries its column
headers) the anchor or the tail still finds it on the same page or the next,
or else most of the anchor's and tail's words in one unit there (a table now
read a row at a time, a sentence split from a heading), and the match is
reported as ``changed``; a label that finds nothing is
``lost`` and reported, never dropped.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from mapping_review.errors import ConfigError
from mapping_review.files import write_atomic

LABELS = ("supports", "mentions", "wrong_sense", "boilerplate")
ANCHOR_WORDS = 8
TAIL_WORDS = 5
MIN_FUZZY_CHARS = 16  # a shorter anchor or tail finds a sentence by its hash only
COLUMNS = ("guide", "page", "code", "label", "anchor", "tail", "hash", "origin", "note")
_WORD = re.compile(r"[^\W_]+")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def words(text: str) -> list[str]:
    """Lower-case words of ``text`` (letters and digits; private-use glyphs, marks and punctuation dropped)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not _PRIVATE_USE.search(folded):  # the common case: no word to drop
        return _WORD.findall(folded)
    return [w for w in _WORD.findall(folded) if not _PRIVATE_USE.search(w)]


def compact(text: str) -> str:
    """The letters and digits of ``text`` run together: the form labels are matched in."""
    return "".join(words(text))


def text_key(text: str) -> str:
    return hashlib.sha1(compact(text).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class SentenceLabel:
    guide: str
    page: int
    code: str
    label: str
    anchor: str
    tail: str
    hash: str
    origin: str = ""  # machine:<coder> for a machine suggestion, reader for a passage a reader found
    note: str = ""

    @property
    def supports(self) -> bool:
        return self.label == "supports"

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.guide, self.page, self.hash, self.code)

    def to_row(self) -> list[str]:
        return [str(getattr(self, f.name)) for f in fields(self)]


def make_label(guide: str, page: int, text: str, code: str, label: str, *, origin: str = "",
               note: str = "") -> SentenceLabel:
    """A label for ``text`` (a sentence of ``guide`` on ``page``)."""
    if label not in LABELS:
        msg = f"label {label!r} is not one of {', '.join(LABELS)}"
        raise ConfigError(msg)
    ws = words(text)
    return SentenceLabel(guide, page, code, label, " ".join(ws[:ANCHOR_WORDS]), " ".join(ws[-TAIL_WORDS:]),
                         text_key(text), origin, note)


def read_labels(path: Path) -> list[SentenceLabel]:
    """The labels in one CSV file; a bad row is an error naming file, row and value."""
    import csv

    try:
        with path.open(encoding="utf-8", newline="") as fh:
            header, *rows = list(csv.reader(fh)) or [[]]
    except (OSError, UnicodeDecodeError) as e:
        msg = f"{path}: cannot read the labels ({e})"
        raise ConfigError(msg) from e
    if tuple(header[: len(COLUMNS)]) != COLUMNS:
        msg = f"{path}: row 1: expected the columns {', '.join(COLUMNS)}, got {', '.join(header)}"
        raise ConfigError(msg)
    out = []
    for number, row in enumerate(rows, start=2):
        if not any(row):
            continue
        values = dict(zip(COLUMNS, row + [""] * (len(COLUMNS) - len(row))))
        if values["label"] not in LABELS:
            msg = f"{path}: row {number}: label {values['label']!r} is not one of {', '.join(LABELS)}"
            raise ConfigError(msg)
        try:
            page = int(values.pop("page"))
        except ValueError:
            msg = f"{path}: row {number}: page {row[1]!r} is not a number"
            raise ConfigError(msg) from None
        out.append(SentenceLabel(page=page, **values))
    return out


def write_labels(path: Path, labels: Iterable[SentenceLabel]) -> Path:
    """Write ``labels`` sorted (guide, page, code, hash); the latest label of a key wins."""
    import csv
    import io

    unique = {lab.key: lab for lab in labels}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for lab in sorted(unique.values(), key=lambda x: (x.guide, x.page, x.code, x.hash)):
        writer.writerow(lab.to_row())
    write_atomic(path, buffer.getvalue())
    return path


@dataclass(frozen=True)
class Unit:
    """A piece of text a label can point at (a sentence, a heading, a table row)."""

    id: str
    guide: str
    page: int
    end_page: int
    text: str


@dataclass(frozen=True)
class LabelMatch:
    label: SentenceLabel
    unit: Unit | None
    status: str  # exact | changed | lost


def _fuzzy(label: SentenceLabel, units: Sequence[Unit], compacted: Sequence[str]) -> Unit | None:
    head = label.anchor.replace(" ", "")
    tail = label.tail.replace(" ", "")
    best: tuple[float, int] | None = None
    for i, unit in enumerate(units):
        if not (unit.page - 1 <= label.page <= unit.end_page + 1):
            continue
        text = compacted[i]
        score = (2.0 if len(head) >= MIN_FUZZY_CHARS and head in text else 0.0)
        score += 1.0 if len(tail) >= MIN_FUZZY_CHARS and tail in text else 0.0
        if not score:
            continue
        score += 0.5 if unit.page == label.page else 0.0
        if best is None or score > best[0]:
            best = (score, i)
    return None if best is None else units[best[1]]


MIN_OVERLAP_WORDS = 4  # an anchor (or tail) with fewer distinct words is not found by overlap
MIN_OVERLAP = 0.8  # share of the anchor's words a unit must hold to be the label's sentence (the tail's: all)


def _overlap(label: SentenceLabel, units: Sequence[Unit], word_sets: Sequence[frozenset[str]]) -> Unit | None:
    """The unit on the label's page (or a neighbour) that holds most of the anchor's words, or all of the
    tail's, in any order: a table now read a row at a time, a sentence split from a heading or from the
    column beside it."""
    head, tail = set(label.anchor.split()), set(label.tail.split())
    best: tuple[float, float, int, int] | None = None
    for i, unit in enumerate(units):
        if not (unit.page - 1 <= label.page <= unit.end_page + 1):
            continue
        shares = [len(part & word_sets[i]) / len(part) for part, need in ((head, MIN_OVERLAP), (tail, 1.0))
                  if len(part) >= MIN_OVERLAP_WORDS and len(part & word_sets[i]) >= need * len(part)]
        if not shares:
            continue
        key = (max(shares), 1.0 if unit.page == label.page else 0.0, -len(word_sets[i]), -i)
        if best is None or key > best:
            best = key
    return None if best is None else units[-best[3]]


def match_labels(labels: Sequence[SentenceLabel], units: Sequence[Unit]) -> list[LabelMatch]:
    """Each label with the unit it now points at: by hash (nearest page), else by anchor or tail."""
    by_guide: dict[str, list[Unit]] = {}
    for unit in units:
        by_guide.setdefault(unit.guide, []).append(unit)
    out = []
    cache: dict[str, tuple[list[str], dict[str, list[Unit]]]] = {}
    word_sets: dict[str, list[frozenset[str]]] = {}
    for label in labels:
        guide_units = by_guide.get(label.guide, [])
        if label.guide not in cache:
            compacted = [compact(u.text) for u in guide_units]
            index: dict[str, list[Unit]] = {}
            for u, c in zip(guide_units, compacted):
                index.setdefault(hashlib.sha1(c.encode("utf-8")).hexdigest()[:12], []).append(u)
            cache[label.guide] = (compacted, index)
        compacted, index = cache[label.guide]
        same = index.get(label.hash, [])
        if same:
            out.append(LabelMatch(label, min(same, key=lambda u: abs(u.page - label.page)), "exact"))
            continue
        found = _fuzzy(label, guide_units, compacted)
        if found is None:
            if label.guide not in word_sets:
                word_sets[label.guide] = [frozenset(words(u.text)) for u in guide_units]
            found = _overlap(label, guide_units, word_sets[label.guide])
        out.append(LabelMatch(label, found, "changed" if found else "lost"))
    return out
