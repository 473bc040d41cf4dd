"""How far the reader sheets of the coding benchmark agree: the reference sheets (``data/coding/split.yaml``,
which the figures are measured against) and the second and third readers' (written blind to them, never
the truth) - Cohen's kappa and the count of present cells on the cells each pair of readers shares,
overall and by guide. Reads only the sheets and the codebook (no corpus).

Usage: python benchmarks/reader_agreement.py
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

from devset import DATA, ROOT, SECOND_SHEETS, load_split, read_reader_sheet

from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.quality import kappa_of

THIRD_SHEETS = (DATA / "reader_sheet_test_third.csv",)

Sheet = Mapping[tuple[str, str], bool]


def load_readers() -> dict[str, dict[tuple[str, str], bool]]:
    """reference, second and third reader: (guide, code) -> present."""
    codebook = load_codebook(ROOT / "codebook.yaml")
    guides = load_split()
    keys = [g.key for g in guides]
    readers: dict[str, dict[tuple[str, str], bool]] = {"reference": {}, "second": {}, "third": {}}
    for sheet in sorted({g.reader_sheet for g in guides if g.reader_sheet}):
        readers["reference"].update(read_reader_sheet(ROOT / sheet, codebook, guides=keys))
    for name, paths in (("second", SECOND_SHEETS), ("third", THIRD_SHEETS)):
        for path in paths:
            readers[name].update(read_reader_sheet(path, codebook, guides=keys))
    return readers


def pair_agreement(a: Sheet, b: Sheet) -> dict[str, tuple[int, int, int, float | None]]:
    """By guide and ``"all"``: cells both answered, present for ``a``, present for ``b``, kappa."""
    shared = sorted(k for k in a if k in b)
    out = {}
    for guide in [*sorted({g for g, _ in shared}), "all"]:
        cells = [k for k in shared if guide in ("all", k[0])]
        out[guide] = (len(cells), sum(a[k] for k in cells), sum(b[k] for k in cells),
                      kappa_of([(a[k], b[k]) for k in cells]))
    return out


def main() -> None:
    readers = load_readers()
    for first, second in combinations(readers, 2):
        figures = pair_agreement(readers[first], readers[second])
        if not figures["all"][0]:
            continue
        print(f"\n== {first} against {second}")
        for guide, (n, p_a, p_b, kappa) in figures.items():
            shown = "-" if kappa is None else f"{kappa:.3f}"
            print(f"{guide:66s} cells {n:4d}  present {p_a:3d} / {p_b:3d}  kappa {shown}")


if __name__ == "__main__":
    main()
