"""Reading order: runs of a page to regions read one after another.

A recursive XY-cut. A region is cut into columns where a vertical strip of
white space separates two sides that are each wide enough to be a column of
text; otherwise it is sliced into horizontal bands, and neighbouring bands
that share a column structure are kept together so that a coincidental
white band across two columns does not interleave them. What cannot be cut
is a leaf, read top to bottom.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

MIN_GUTTER = 0.6  # of the median font size
MIN_COLUMN = 6.0  # of the median font size; and at least MIN_COLUMN_SHARE of the region
MIN_COLUMN_SHARE = 0.15


class Box(Protocol):
    """What reading order needs of a piece of a page: a run, a unit of runs or a table."""

    @property
    def x0(self) -> float: ...
    @property
    def top(self) -> float: ...
    @property
    def x1(self) -> float: ...
    @property
    def bottom(self) -> float: ...
    @property
    def size(self) -> float: ...


B = TypeVar("B", bound=Box)


def _median_size(runs: Sequence[Box]) -> float:
    sizes = sorted(r.size for r in runs)
    return sizes[len(sizes) // 2] if sizes else 10.0


def column_cuts(runs: Sequence[Box]) -> list[float]:
    """x positions where ``runs`` split into columns (empty if none)."""
    if len(runs) < 2:
        return []
    size = _median_size(runs)
    spans = sorted((r.x0, r.x1) for r in runs)
    merged: list[list[float]] = [list(spans[0])]
    for x0, x1 in spans[1:]:
        if x0 <= merged[-1][1] + MIN_GUTTER * size:
            merged[-1][1] = max(merged[-1][1], x1)
        else:
            merged.append([x0, x1])
    if len(merged) < 2:
        return []
    left, right = merged[0][0], merged[-1][1]
    min_width = max(MIN_COLUMN * size, MIN_COLUMN_SHARE * (right - left))
    # merge segments narrower than a column into the neighbour across the smaller gap
    segments = merged
    while len(segments) > 1:
        widths = [s[1] - s[0] for s in segments]
        narrow = min(range(len(segments)), key=lambda i: widths[i])
        if widths[narrow] >= min_width:
            break
        gap_left = segments[narrow][0] - segments[narrow - 1][1] if narrow > 0 else float("inf")
        gap_right = (
            segments[narrow + 1][0] - segments[narrow][1] if narrow + 1 < len(segments) else float("inf")
        )
        other = narrow - 1 if gap_left <= gap_right else narrow + 1
        lo, hi = min(narrow, other), max(narrow, other)
        segments = [*segments[:lo], [segments[lo][0], segments[hi][1]], *segments[hi + 1 :]]
    if len(segments) < 2:
        return []
    return [(a[1] + b[0]) / 2 for a, b in zip(segments, segments[1:])]


def _bands(runs: Sequence[B]) -> list[list[B]]:
    """Slice runs into horizontal bands separated by white space."""
    ordered = sorted(runs, key=lambda r: (r.top, r.x0))
    bands: list[list[B]] = []
    bottom = float("-inf")
    for run in ordered:
        if not bands or run.top >= bottom:
            bands.append([run])
            bottom = run.bottom
        else:
            bands[-1].append(run)
            bottom = max(bottom, run.bottom)
    return bands


def _split_columns(runs: Sequence[B], cuts: list[float]) -> list[list[B]]:
    columns: list[list[B]] = [[] for _ in range(len(cuts) + 1)]
    for run in runs:
        centre = (run.x0 + run.x1) / 2
        columns[sum(1 for c in cuts if centre > c)].append(run)
    return [c for c in columns if c]


def order_regions(runs: Sequence[B]) -> list[list[B]]:
    """Leaf regions of ``runs`` in reading order."""
    if not runs:
        return []
    cuts = column_cuts(runs)
    if cuts:
        return [leaf for column in _split_columns(runs, cuts) for leaf in order_regions(column)]
    groups: list[tuple[list[B], bool]] = []
    for band in _bands(runs):
        band_cut = bool(column_cuts(band))
        if groups:
            group, group_cut = groups[-1]
            union_cut = bool(column_cuts(group + band))
            if union_cut or (not group_cut and not band_cut):
                groups[-1] = (group + band, union_cut)
                continue
        groups.append((list(band), band_cut))
    # a group with columns is smaller than ``runs`` (which has none), so this ends
    leaves: list[list[B]] = []
    for group, group_cut in groups:
        leaves.extend(order_regions(group) if group_cut else [group])
    return leaves
