"""A raw document (runs per page) to a :class:`Document` of located, sectioned blocks."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Sequence
from dataclasses import replace

from mapping_review.errors import GuideError
from mapping_review.extract.contents import mark_contents
from mapping_review.extract.furniture import remove_furniture
from mapping_review.extract.headings import find_headings, heading_tails, outline_headings, section_paths
from mapping_review.extract.layout import DraftBlock, line_gap, lines_to_blocks
from mapping_review.extract.model import Block, Document, Page, RawDocument, RawPage
from mapping_review.extract.regions import Piece, page_pieces
from mapping_review.extract.runs import unturn_box
from mapping_review.extract.tables import Table, find_tables, link_tables
from mapping_review.extract.textnorm import HYPHEN_END, LOWER_START, hyphen_join, join_lines, vocabulary

MIN_PAGE_CHARS = 20  # fewer characters than this: the page has no text layer
OCR_PRODUCERS = ("paper capture", "ocrmypdf", "tesseract", "abbyy", "omnipage", "readiris")
BLOCK_SEPARATOR = "\n\n"
TERMINAL = (".", "!", "?", ":", ";", "]", ")", "”", '"')


def _page_status(raw: RawPage, kept: RawPage, tables: Sequence[Table]) -> str:
    if sum(len(r.text) for r in raw.runs) < MIN_PAGE_CHARS:
        return "image-only" if raw.n_images else "blank"
    if not kept.runs and not tables:
        return "furniture-only"
    return "text"


def _warnings(raw: RawDocument, statuses: Sequence[str]) -> list[str]:
    out = []
    image_only = [i + 1 for i, s in enumerate(statuses) if s == "image-only"]
    if image_only:
        pages = ", ".join(map(str, image_only[:20])) + (" ..." if len(image_only) > 20 else "")
        out.append(
            f"{len(image_only)} of {raw.n_pages} pages are images with no text layer (pages {pages}); "
            "OCR them (e.g. `ocrmypdf --skip-text in.pdf out.pdf`) to include their text"
        )
    producer = " ".join(raw.metadata.get(k, "") for k in ("Producer", "Creator")).lower()
    if any(p.invisible_text for p in raw.pages) or any(tool in producer for tool in OCR_PRODUCERS):
        out.append("the text layer comes from OCR (invisible text over page images); expect recognition errors")
    return out


def _page_box(draft: DraftBlock, raw: RawPage) -> tuple[float, float, float, float]:
    """The block's box on the page as drawn (undoing the turn of rotated text)."""
    width, height = (raw.height, raw.width) if raw.rotation in (90, 270) else (raw.width, raw.height)
    x0, top, x1, bottom = unturn_box(draft.bbox, raw.rotation, width, height)
    return (round(x0, 2), round(top, 2), round(x1, 2), round(bottom, 2))


def table_blocks(table: Table) -> list[DraftBlock]:
    """One draft block per row of ``table``, each cell with its header text; a table with no row
    on this page but its header gives the header as a row."""
    rows = table.rows or ((table.header if not table.header_repeated else ()),)
    out = []
    for i, row in enumerate(rows):
        if not row:
            continue
        cells = [(table.label(c) if table.rows else "", list(c.lines)) for c in row]
        out.append(DraftBlock(
            lines=[ln for _, lines in cells for ln in lines], kind="table_row", cells=cells,
            continues=table.continues and i == 0,
        ))
    return out


def _draft_text(draft: DraftBlock, vocab: Collection[str]) -> str:
    if not draft.cells:
        return join_lines([ln.text for ln in draft.lines], vocab=vocab)
    parts = []
    for label, lines in draft.cells:
        text = join_lines([ln.text for ln in lines], vocab=vocab)
        parts.append(f"{label}: {text}" if label else text)
    return " | ".join(parts)


def _mend_page_breaks(drafts: Sequence[Sequence[DraftBlock]], headings: dict[tuple[int, int], int],
                      vocab: Collection[str]) -> None:
    """A word hyphenated at the foot of a page and carried on at the top of the next ("neuro-" /
    "oncology"): the next page's block is glued to it, without a space, and the hyphen dropped
    when the word was only broken (see :func:`hyphen_join`)."""
    for p in range(1, len(drafts)):
        if not drafts[p - 1] or not drafts[p]:
            continue
        last, first = drafts[p - 1][-1], drafts[p][0]
        if (p - 1, len(drafts[p - 1]) - 1) in headings or (p, 0) in headings or last.cells or first.cells:
            continue
        head = HYPHEN_END.search(last.lines[-1].text[-64:])
        tail = LOWER_START.match(first.lines[0].text)
        if not (head and tail):
            continue
        join = hyphen_join(head.group(1), tail.group(1), vocab=vocab)
        if join == "":
            last.lines[-1] = replace(last.lines[-1], text=last.lines[-1].text[:-1])
        if join != "- ":
            first.glued = first.continues = True


def _finish_blocks(
    drafts: Sequence[Sequence[DraftBlock]], headings: dict[tuple[int, int], int], tails: list[tuple[int, int]],
    vocab: Collection[str], raw_pages: Sequence[RawPage], authored: Collection[tuple[int, int]] = (),
) -> list[list[Block]]:
    paths = section_paths(drafts, headings, tails, authored)
    pages: list[list[Block]] = []
    for p, blocks in enumerate(drafts):
        out: list[Block] = []
        offset = 0
        for i, draft in enumerate(blocks):
            text = _draft_text(draft, vocab)
            level = headings.get((p, i), 0)
            if out:
                offset += len(BLOCK_SEPARATOR)
            out.append(Block(
                kind="heading" if level else draft.kind,
                text=text, bbox=_page_box(draft, raw_pages[p]), size=draft.size, bold=draft.bold,
                n_lines=len(draft.lines), level=level, section=paths[(p, i)],
                start=offset, end=offset + len(text), number=draft.number, continues=draft.continues,
                glued=draft.glued,
            ))
            offset += len(text)
        pages.append(out)
    _mark_continuations(pages)
    return pages


def _mark_continuations(pages: list[list[Block]]) -> None:
    """Flag a page's first block when it carries on the previous page's last sentence."""
    previous: Block | None = None
    for blocks in pages:
        if blocks and previous is not None:
            first = blocks[0]
            if (
                "table_row" not in (first.kind, previous.kind)
                and first.kind != "heading" and previous.kind != "heading"
                and not previous.text.endswith(TERMINAL) and first.text[:1].islower()
            ):
                blocks[0] = replace(first, continues=True)
        if blocks:
            previous = blocks[-1]


def _rejoin_broken_words(blocks: list[DraftBlock]) -> list[DraftBlock]:
    """A paragraph that a picture interrupts in the middle of a hyphenated word ("psycho-" ...
    "logical health") is one paragraph again."""
    out: list[DraftBlock] = []
    for block in blocks:
        last = out[-1] if out else None
        if last is not None and last.kind == block.kind == "paragraph" and not last.cells and not block.cells \
                and not block.number and last.lines[-1].text.endswith("-") and HYPHEN_END.search(last.lines[-1].text[-64:]) \
                and LOWER_START.match(block.lines[0].text):
            last.lines.extend(block.lines)
        else:
            out.append(block)
    return out


def _piece_blocks(piece: Piece, leading: float) -> list[DraftBlock]:
    if piece.table is not None:
        return table_blocks(piece.table)
    return lines_to_blocks(piece.lines, leading=leading, starts=piece.starts)


def raw_to_document(raw: RawDocument, *, sha256: str, extractor: str, source: str = "") -> Document:
    """Reading order, furniture removal, paragraphs, headings and text of a whole document."""
    found = [find_tables(page.runs, page.shapes) for page in raw.pages]
    tables = link_tables([t for t, _ in found])
    cleaned = remove_furniture([replace(page, runs=tuple(rest)) for page, (_, rest) in zip(raw.pages, found)])
    laid = [page_pieces(page, page_tables) for (page, _), page_tables in zip(cleaned, tables)]
    pieces = [p for p, _ in laid]
    gaps = [g for page in pieces for piece in page for g in line_gap(piece.lines)]
    leading = statistics.median(gaps) if gaps else 2.0
    drafts: list[list[DraftBlock]] = [
        _rejoin_broken_words([b for piece in page for b in _piece_blocks(piece, leading)]) for page in pieces
    ]
    titles = mark_contents(drafts)
    authored = outline_headings(drafts, raw.outline)
    headings = find_headings(drafts, raw.outline, outlined=authored)
    for p, i in titles:
        if (p, i) not in headings:
            drafts[p][i].kind = "contents"
    tails = heading_tails(drafts, headings)
    for p, i in tails:
        drafts[p][i].continues = True
    vocab = vocabulary(ln.text for page in drafts for draft in page for ln in draft.lines)
    _mend_page_breaks(drafts, headings, vocab)
    blocks = _finish_blocks(drafts, headings, tails, vocab, raw.pages, authored)
    statuses = [_page_status(rp, kept, t) for rp, (kept, _), t in zip(raw.pages, cleaned, tables)]
    if raw.n_pages and all(s in ("image-only", "blank") for s in statuses):
        n_chars = sum(len(r.text) for p in raw.pages for r in p.runs)
        raise GuideError(
            f"{source or 'document'}: image-only scan with no text layer ({n_chars} characters on "
            f"{raw.n_pages} page{'s' if raw.n_pages != 1 else ''}); set `ocr: true` in its manifest entry (or add it "
            "with `corpus add --ocr`) to "
            "recognise its text, or run OCR first (e.g. `ocrmypdf in.pdf out.pdf`) and add the OCRed file",
            reason="no-text-layer",
        )
    pages = tuple(
        Page(
            number=rp.number, status=status, rotation=rp.rotation,
            width=round(rp.height if rp.rotation in (90, 270) else rp.width, 2),
            height=round(rp.width if rp.rotation in (90, 270) else rp.height, 2),
            text=BLOCK_SEPARATOR.join(b.text for b in page_blocks) if status == "text" else "",
            blocks=tuple(page_blocks) if status == "text" else (),
            removed=removed, labels=tuple(labels),
        )
        for rp, (_, removed), status, page_blocks, (_, labels) in zip(raw.pages, cleaned, statuses, blocks, laid)
    )
    return Document(
        sha256=sha256, extractor=extractor, n_pages=raw.n_pages, pages=pages,
        outline=raw.outline, warnings=tuple(_warnings(raw, statuses)),
    )
