"""Ruled tables: cells found from the lines and boxes a page draws, read a row at a time.

As in pdfplumber's table finder, the page's rules and box edges are snapped and joined
(``shapes_to_edges``), their crossings found (``edges_to_intersections``), the smallest boxes
closed on all four sides made cells (``intersections_to_cells``) and cells that touch grouped
into tables (``cells_to_tables``). Text runs go to the cell holding their centre. The first row
is the header when it is set in bold or repeats the header of the table it continues on the
previous page; every other row is read as one unit with its header cells attached
("Treatment: Guided self-help | How is this delivered?: ...").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from mapping_review.extract.layout import runs_to_lines
from mapping_review.extract.model import Line, Run, Shape

TOL = 3.0  # points: edges this close are one edge, and meet when they come this close
MIN_EDGE = 6.0  # points: shorter edges are ticks, not borders
MATCH = 3.0  # points: column edges of a table continued on the next page

Edge = tuple[float, float, float]  # position across, start, end along
Box = tuple[float, float, float, float]  # x0, top, x1, bottom


@dataclass(frozen=True, slots=True)
class Cell:
    box: Box
    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        return " ".join(ln.text for ln in self.lines)


@dataclass(frozen=True, slots=True)
class Table:
    """A ruled table of one page: rows of cells (left to right, empty cells left out), the header
    text over each column edge, and whether its first row carries on the previous page's last row."""

    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    columns: tuple[float, ...]  # left edges of the columns
    rows: tuple[tuple[Cell, ...], ...]
    header: tuple[Cell, ...] = ()
    continues: bool = False
    header_repeated: bool = False  # the page repeats the header of the previous page's table

    def label(self, cell: Cell) -> str:
        """The header text over ``cell`` (the header cell it overlaps most), or "" (also when that
        header says nothing: a dash)."""
        best, overlap = "", 0.0
        for head in self.header:
            shared = min(head.box[2], cell.box[2]) - max(head.box[0], cell.box[0])
            if shared > overlap:
                best, overlap = head.text.rstrip(":"), shared
        return best if any(c.isalnum() for c in best) else ""


def _snap(edges: list[Edge]) -> list[Edge]:
    """Edges at (nearly) the same position snapped to one position and joined where they overlap."""
    out: list[Edge] = []
    cluster: list[Edge] = []
    for edge in sorted(edges):
        if cluster and edge[0] - cluster[0][0] > TOL:
            out.extend(_join(cluster))
            cluster = []
        cluster.append(edge)
    if cluster:
        out.extend(_join(cluster))
    return [e for e in out if e[2] - e[1] >= MIN_EDGE]


def _join(cluster: list[Edge]) -> list[Edge]:
    pos = sum(e[0] for e in cluster) / len(cluster)
    joined: list[list[float]] = []
    for _, start, end in sorted(cluster, key=lambda e: e[1]):
        if joined and start <= joined[-1][1] + TOL:
            joined[-1][1] = max(joined[-1][1], end)
        else:
            joined.append([start, end])
    return [(round(pos, 2), s, e) for s, e in joined]


def shapes_to_edges(shapes: Sequence[Shape]) -> tuple[list[Edge], list[Edge]]:
    """Horizontal edges ``(y, x0, x1)`` and vertical edges ``(x, top, bottom)`` of the page's rules
    and boxes."""
    horizontal: list[Edge] = []
    vertical: list[Edge] = []
    for s in shapes:
        if s.kind == "rule":
            if s.bottom - s.top <= s.x1 - s.x0:
                horizontal.append(((s.top + s.bottom) / 2, s.x0, s.x1))
            else:
                vertical.append(((s.x0 + s.x1) / 2, s.top, s.bottom))
        elif s.kind == "rect":
            horizontal += [(s.top, s.x0, s.x1), (s.bottom, s.x0, s.x1)]
            vertical += [(s.x0, s.top, s.bottom), (s.x1, s.top, s.bottom)]
    return _snap(horizontal), _snap(vertical)


def _covers(edges: list[tuple[float, float]], start: float, end: float) -> bool:
    return any(s - TOL <= start and end <= e + TOL for s, e in edges)


def edges_to_intersections(horizontal: list[Edge], vertical: list[Edge]) -> set[tuple[float, float]]:
    """Points ``(x, y)`` where a vertical edge meets a horizontal one."""
    points = set()
    for x, top, bottom in vertical:
        for y, x0, x1 in horizontal:
            if x0 - TOL <= x <= x1 + TOL and top - TOL <= y <= bottom + TOL:
                points.add((x, y))
    return points


def intersections_to_cells(points: set[tuple[float, float]], horizontal: list[Edge], vertical: list[Edge]) -> list[Box]:
    """The smallest boxes whose four corners are intersections joined by edges."""
    by_y: dict[float, list[tuple[float, float]]] = defaultdict(list)
    by_x: dict[float, list[tuple[float, float]]] = defaultdict(list)
    for y, x0, x1 in horizontal:
        by_y[y].append((x0, x1))
    for x, top, bottom in vertical:
        by_x[x].append((top, bottom))
    column_points: dict[float, list[float]] = defaultdict(list)
    row_points: dict[float, list[float]] = defaultdict(list)
    for x, y in sorted(points):
        column_points[x].append(y)
        row_points[y].append(x)
    cells = []
    for x, y in sorted(points):
        below = [by for by in column_points[x] if by > y and _covers(by_x[x], y, by)]
        right = [rx for rx in row_points[y] if rx > x and _covers(by_y[y], x, rx)]
        cell = next(
            ((x, y, rx, by) for by in below for rx in right
             if (rx, by) in points and _covers(by_x[rx], y, by) and _covers(by_y[by], x, rx)),
            None,
        )
        if cell is not None:
            cells.append(cell)
    return cells


def cells_to_tables(cells: list[Box]) -> list[list[Box]]:
    """Cells that share a corner, grouped into tables (top to bottom)."""
    parent = list(range(len(cells)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    corners: dict[tuple[float, float], int] = {}
    for i, (x0, top, x1, bottom) in enumerate(cells):
        for corner in ((x0, top), (x1, top), (x0, bottom), (x1, bottom)):
            if corner in corners:
                parent[find(i)] = find(corners[corner])
            else:
                corners[corner] = i
    groups: dict[int, list[Box]] = defaultdict(list)
    for i, cell in enumerate(cells):
        groups[find(i)].append(cell)
    return sorted(groups.values(), key=lambda g: min(c[1] for c in g))


def _fill(boxes: list[Box], runs: Sequence[Run]) -> tuple[list[Cell], list[Run]]:
    """The cells with the runs whose centre each holds, and the runs inside none."""
    inside: dict[int, list[Run]] = defaultdict(list)
    rest = []
    x0, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    for run in runs:
        cx, cy = (run.x0 + run.x1) / 2, (run.top + run.bottom) / 2
        if not (x0 <= cx <= x1 and top <= cy <= bottom):
            rest.append(run)
            continue
        hit = next((i for i, b in enumerate(boxes) if b[0] <= cx <= b[2] and b[1] <= cy <= b[3]), None)
        if hit is None:
            rest.append(run)
        else:
            inside[hit].append(run)
    return [Cell(box, tuple(runs_to_lines(inside.get(i, [])))) for i, box in enumerate(boxes)], rest


def _bold(cells: Sequence[Cell]) -> bool:
    chars = [(len(ln.text), ln.bold) for c in cells for ln in c.lines]
    return bool(chars) and sum(n for n, bold in chars if bold) * 2 > sum(n for n, _ in chars)


def _build(boxes: list[Box], runs: Sequence[Run]) -> tuple[Table | None, list[Run]]:
    cells, rest = _fill(boxes, runs)
    filled = [c for c in cells if c.lines]
    columns = sorted({c.box[0] for c in cells})
    if len(filled) < 2 or len({c.box[0] for c in filled}) < 2:
        return None, list(runs)
    rows: dict[float, list[Cell]] = defaultdict(list)
    for cell in filled:
        rows[cell.box[1]].append(cell)
    ordered = [tuple(sorted(rows[top], key=lambda c: c.box[0])) for top in sorted(rows)]
    header: tuple[Cell, ...] = ()
    if len(ordered) > 1 and _bold(ordered[0]) and not _bold([c for row in ordered[1:] for c in row]):
        header, ordered = ordered[0], ordered[1:]
    sizes = sorted(ln.size for c in filled for ln in c.lines)
    table = Table(
        x0=min(b[0] for b in boxes), top=min(b[1] for b in boxes), x1=max(b[2] for b in boxes),
        bottom=max(b[3] for b in boxes), size=sizes[len(sizes) // 2], columns=tuple(columns),
        rows=tuple(ordered), header=header,
    )
    return table, rest


def find_tables(runs: Sequence[Run], shapes: Sequence[Shape]) -> tuple[list[Table], list[Run]]:
    """The ruled tables of a page (top to bottom) and the runs outside them."""
    if not any(s.kind in ("rule", "rect") for s in shapes):
        return [], list(runs)
    horizontal, vertical = shapes_to_edges(shapes)
    if len(horizontal) < 2 or len(vertical) < 2:
        return [], list(runs)
    cells = intersections_to_cells(edges_to_intersections(horizontal, vertical), horizontal, vertical)
    tables = []
    rest = list(runs)
    for boxes in cells_to_tables(cells):
        table, rest = _build(boxes, rest)
        if table is not None:
            tables.append(table)
    return tables, rest


def _same_columns(a: Table, b: Table) -> bool:
    return len(a.columns) == len(b.columns) and all(abs(x - y) <= MATCH for x, y in zip(a.columns, b.columns))


def link_tables(pages: Sequence[list[Table]]) -> list[list[Table]]:
    """Tables that carry on a table of the previous page: the header repeated on the new page is
    dropped (the previous header stands over the rows), a missing header is taken from the previous
    page, and a first row whose first column is empty carries on the previous page's last row."""
    out: list[list[Table]] = []
    previous: Table | None = None
    for tables in pages:
        linked = list(tables)
        if linked and previous is not None and _same_columns(previous, linked[0]):
            linked[0] = _carry_on(previous, linked[0])
        out.append(linked)
        previous = linked[-1] if linked else None
    return out


def _carry_on(previous: Table, table: Table) -> Table:
    rows = list(table.rows)
    repeated = False
    if previous.header and rows and [c.text for c in rows[0]] == [c.text for c in previous.header]:
        rows, repeated = rows[1:], True
    header = table.header or previous.header
    repeated = repeated or (bool(table.header) and [c.text for c in table.header] == [c.text for c in previous.header])
    continues = bool(rows) and rows[0][0].box[0] - table.columns[0] > MATCH
    return replace(table, rows=tuple(rows), header=header, continues=continues, header_repeated=repeated)
