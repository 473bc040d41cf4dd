"""A page's runs to the pieces it is read in: tables, and regions of lines in reading order.

Ruled tables are taken out first and read row by row; what the PDF draws together becomes a
unit; figure labels are set aside; reading order (a recursive XY-cut) then moves tables and
units whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mapping_review.extract.model import Line, RawPage
from mapping_review.extract.reading_order import order_regions
from mapping_review.extract.tables import Table
from mapping_review.extract.units import Unit, content_units, split_labels, units_to_lines


@dataclass
class Piece:
    """Lines read one after another (``starts``: the lines that begin a unit), or a table."""

    lines: list[Line] = field(default_factory=list)
    starts: set[int] = field(default_factory=set)
    table: Table | None = None


def page_pieces(page: RawPage, tables: list[Table]) -> tuple[list[Piece], list[str]]:
    """The pieces of ``page`` (whose runs are those outside ``tables``) in reading order, and the
    figure labels left out."""
    units, labels = split_labels(content_units(page.runs), page.shapes, width=page.width, height=page.height)
    atoms: list[Unit | Table] = [*units, *tables]
    pieces: list[Piece] = []
    for region in order_regions(atoms):
        pending: list[Unit] = []
        for atom in sorted(region, key=lambda a: (a.top, a.x0)):
            if isinstance(atom, Table):
                pieces.extend(_lines_piece(pending))
                pending = []
                pieces.append(Piece(table=atom))
            else:
                pending.append(atom)
        pieces.extend(_lines_piece(pending))
    return pieces, [u.text for u in labels]


def _lines_piece(units: list[Unit]) -> list[Piece]:
    if not units:
        return []
    lines, starts = units_to_lines(units)
    return [Piece(lines=lines, starts=starts)] if lines else []
