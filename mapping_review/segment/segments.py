"""A :class:`Document` to segments: sections, paragraphs and sentences with stable ids.

Paragraphs keep list items and numbered recommendations whole: a NICE
recommendation ``1.2.7`` is one paragraph with its bullet list, even across
a page break. Sentences never cross a block boundary (except a sentence
that carries on across a page break). A table row (``role: table_row``, its
header cells attached) is one paragraph and one sentence, carried on across a
page break with `` | ``; entries of a table of contents (``role: contents``)
are paragraphs without sentences. Every segment knows its guide, page,
section path and character span in the page text; a segment that runs onto
a later page has ``end_page`` and ``end`` on that page. Ids are made from the
guide, the page and a digest of the kind and text, so they stay put when
anything else changes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapping_review.bookkeeping import read_jsonl
from mapping_review.extract import Block, Document
from mapping_review.extract.model import shallow_dict

if TYPE_CHECKING:
    from spacy.language import Language

SEGMENTER_VERSION = "segment.v2"
ROLES = ("list_item", "table_row", "contents")  # block kinds that are segment roles of their own
_TAG = re.compile(r"^[\[(][^\])]*[\])]\.?$")  # "[2009, amended 2022]" belongs to the sentence before


@dataclass(frozen=True, slots=True)
class Segment:
    id: str
    guide: str
    kind: str  # section | paragraph | sentence
    role: str  # heading | text | list_item | recommendation | table_row | contents
    page: int
    start: int
    end_page: int
    end: int
    section: tuple[str, ...]
    text: str
    bbox: tuple[float, float, float, float] | None
    boxes: tuple[tuple[int, float, float, float, float], ...] = ()
    parent: str | None = None
    source: str = ""  # "ocr" for text recognised by OCR; empty (and not written) for the PDF's own text
    confidence: float | None = None  # OCR: mean confidence of the recognised words (0-1)

    def to_dict(self) -> dict[str, Any]:
        data = shallow_dict(self)
        data["section"] = list(self.section)
        data["bbox"] = list(self.bbox) if self.bbox else None
        data["boxes"] = [list(b) for b in self.boxes]
        if not self.source:
            del data["source"], data["confidence"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        data = dict(data)
        data["section"] = tuple(data["section"])
        data["bbox"] = tuple(data["bbox"]) if data.get("bbox") else None
        data["boxes"] = tuple(tuple(b) for b in data.get("boxes", ()))
        return cls(**data)


@dataclass
class _Part:
    page: int
    block: Block


@dataclass
class _Group:
    role: str
    parts: list[_Part] = field(default_factory=list)

    def units(self) -> list[list[_Part]]:
        """Runs of parts that sentences may span (a block and its page-break continuation)."""
        units: list[list[_Part]] = []
        for part in self.parts:
            if units and part.block.continues:
                units[-1].append(part)
            else:
                units.append([part])
        return units


def _join(parts: Sequence[_Part]) -> tuple[str, list[tuple[int, int, _Part]]]:
    """Text of ``parts`` and where each part sits in it."""
    pieces, spans, offset = [], [], 0
    for i, part in enumerate(parts):
        if i:
            sep = "\n\n" if not part.block.continues else " | " if part.block.kind == "table_row" \
                else "" if part.block.glued else " "
            pieces.append(sep)
            offset += len(sep)
        spans.append((offset, offset + len(part.block.text), part))
        pieces.append(part.block.text)
        offset += len(part.block.text)
    return "".join(pieces), spans


def _locate(spans: Sequence[tuple[int, int, _Part]], start: int, end: int) -> tuple[int, int, int, int]:
    """(page, start, end_page, end) in page text of the joined-text span ``start:end``."""
    first = next(s for s in spans if s[1] >= start)
    last = next((s for s in reversed(spans) if s[0] < end), spans[-1])
    page_start = first[2].block.start + max(0, start - first[0])
    page_end = last[2].block.start + min(end, last[1]) - last[0]
    return first[2].page, page_start, last[2].page, page_end


def _role(block: Block) -> str:
    if block.kind in ROLES:
        return block.kind
    return "recommendation" if block.number else "text"


def _groups(doc: Document) -> Iterator[_Group]:
    """Headings and paragraph groups in reading order (a heading carried on to the next page is
    one heading)."""
    current: _Group | None = None
    for page in doc.pages:
        for block in page.blocks:
            part = _Part(page.number, block)
            if block.kind == "heading":
                if current is not None and current.role == "heading" and block.continues:
                    current.parts.append(part)
                    continue
                if current:
                    yield current
                current = _Group("heading", [part])
            elif current is not None and current.role == "heading":
                yield current
                current = _Group(_role(block), [part])
            elif current is not None and (
                block.continues or (current.role == "recommendation" and block.kind == "list_item")
            ):
                current.parts.append(part)
            else:
                if current:
                    yield current
                current = _Group(_role(block), [part])
    if current:
        yield current


def document_headings(doc: Document) -> list[tuple[int, str, int]]:
    """(level, text, page it starts on) of each heading of ``doc`` in reading order, grouped and joined as
    the segments group and join them (a heading carried on to the next page is one heading)."""
    return [(g.parts[0].block.level, _join(g.parts)[0], g.parts[0].page) for g in _groups(doc) if g.role == "heading"]


class _Ids:
    """Stable ids: guide, page and a digest of kind and text; repeats get ``~2``, ``~3``."""

    def __init__(self, guide: str) -> None:
        self.guide = guide
        self.seen: dict[str, int] = {}

    def __call__(self, kind: str, page: int, text: str) -> str:
        digest = hashlib.sha1(f"{kind}\x1f{text}".encode()).hexdigest()[:10]
        base = f"{self.guide}:{page}:{digest}"
        n = self.seen.get(base, 0) + 1
        self.seen[base] = n
        return base if n == 1 else f"{base}~{n}"


def _boxes(parts: Sequence[_Part]) -> tuple[tuple[int, float, float, float, float], ...]:
    return tuple((p.page, *p.block.bbox) for p in parts)


def _segment(ids: _Ids, kind: str, role: str, parts: Sequence[_Part], parent: str | None) -> Segment:
    text, spans = _join(parts)
    page, start, end_page, end = _locate(spans, 0, len(text))
    return Segment(
        id=ids(kind, page, text), guide=ids.guide, kind=kind, role=role, page=page, start=start,
        end_page=end_page, end=end, section=parts[0].block.section, text=text,
        bbox=parts[0].block.bbox, boxes=_boxes(parts), parent=parent,
    )


def _sections(groups: Sequence[_Group], ids: _Ids) -> dict[int, Segment]:
    """Section segments: a heading and what follows it up to the next heading."""
    sections: dict[int, Segment] = {}
    for i, group in enumerate(groups):
        if group.role != "heading":
            continue
        parts = list(group.parts)
        for later in groups[i + 1 :]:
            if later.role == "heading":
                break
            parts.extend(later.parts)
        sections[i] = _segment(ids, "section", "heading", parts, None)
    return sections


def _belongs_to_previous(previous: str, text: str) -> bool:
    """Fragments the sentencizer cut off: "[2009]" tags, a lower-case tail, lone punctuation."""
    return (
        previous.endswith(("[", "("))
        or bool(_TAG.match(text))
        or text[:1].islower()
        or not any(c.isalnum() for c in text)
    )


def _sentence_spans(nlp: Language, texts: list[str], *, quick: bool = True) -> list[list[tuple[int, int]]]:
    """Each text's sentences as (start, end) offsets. With ``quick``, a text spaCy's sentencizer would leave
    whole is not run through the pipeline: it starts a sentence only after a token that is one of its
    punctuation marks, so a text with none of them before its last character is one sentence."""
    from mapping_review.segment.nlp import sentence_pipes

    pipes = sentence_pipes(nlp)
    marks: set[str] | None = None
    if quick and pipes == ["sentencizer"]:
        marks = getattr(nlp.get_pipe("sentencizer"), "punct_chars", None)
        if marks is not None and any(len(mark) != 1 for mark in marks):
            marks = None  # a mark of several characters ("...") is found by its token, not a character
    out: list[list[tuple[int, int]]] = []
    rest: list[int] = []
    for i, whole in enumerate(texts):
        text = whole.strip()
        if marks is not None and marks.isdisjoint(text[:-1]):
            start = len(whole) - len(whole.lstrip())
            out.append([(start, start + len(text))] if text else [])
        else:
            out.append([])
            rest.append(i)
    with nlp.select_pipes(enable=pipes):
        # a doc's text is the text it was made from: sliced from that, not joined again from its tokens
        for i, doc in zip(rest, nlp.pipe([texts[i] for i in rest], batch_size=256)):
            whole = texts[i]
            spans = out[i]
            for sent in doc.sents:
                raw = whole[sent.start_char : sent.end_char]
                text = raw.strip()
                if not text:
                    continue
                start = sent.start_char + (len(raw) - len(raw.lstrip()))
                end = start + len(text)
                if spans and _belongs_to_previous(whole[spans[-1][0] : spans[-1][1]], text):
                    spans[-1] = (spans[-1][0], end)
                else:
                    spans.append((start, end))
    return out


def document_to_segments(doc: Document, *, guide: str, nlp: Language) -> list[Segment]:
    """Sections, paragraphs and sentences of ``doc``, in reading order."""
    ids = _Ids(guide)
    groups = list(_groups(doc))
    sections = _sections(groups, ids)
    paragraphs: list[tuple[Segment, list[list[_Part]]]] = []
    section_id: str | None = None
    ordered: list[Segment] = []
    for i, group in enumerate(groups):
        if i in sections:
            section_id = sections[i].id
            ordered.append(sections[i])
            continue
        para = _segment(ids, "paragraph", group.role, group.parts, section_id)
        paragraphs.append((para, group.units()))
        ordered.append(para)
    units = [(para, unit) for para, para_units in paragraphs for unit in para_units if para.role != "contents"]
    rows = [i for i, (para, _) in enumerate(units) if para.role == "table_row"]
    spans = _sentence_spans(nlp, [_join(unit)[0] for para, unit in units if para.role != "table_row"])
    for i in rows:  # a table row is one unit of evidence: never split into sentences
        spans.insert(i, [(0, len(_join(units[i][1])[0]))])
    sentences: dict[str, list[Segment]] = {}
    for (para, unit), unit_spans in zip(units, spans):
        text, where = _join(unit)
        for start, end in unit_spans:
            page, p_start, end_page, p_end = _locate(where, start, end)
            sent_parts = [s[2] for s in where if s[0] < end and s[1] > start]
            sentences.setdefault(para.id, []).append(Segment(
                id=ids("sentence", page, text[start:end]), guide=guide, kind="sentence", role=para.role,
                page=page, start=p_start, end_page=end_page, end=p_end, section=para.section,
                text=text[start:end], bbox=sent_parts[0].block.bbox, boxes=_boxes(sent_parts), parent=para.id,
            ))
    out: list[Segment] = []
    for seg in ordered:
        out.append(seg)
        out.extend(sentences.get(seg.id, ()))
    return out


def segments_to_jsonl(segments: Sequence[Segment]) -> str:
    return "".join(json.dumps(s.to_dict(), ensure_ascii=False, sort_keys=False) + "\n" for s in segments)


def jsonl_to_segments(text: str) -> list[Segment]:
    return [Segment.from_dict(json.loads(line)) for line in text.splitlines() if line.strip()]


def read_segments(path: Path) -> list[Segment]:
    """A guide's ``build/segments/<key>.jsonl``; a damaged line is an error naming file and line."""
    return read_jsonl(path, Segment.from_dict)
