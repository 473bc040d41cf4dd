"""Reading and writing the tables reviewers edit: CSV (UTF-8, header row) or XLSX.

Text that a spreadsheet would run as a formula (a quote from a PDF starting with ``=``, ``+``,
``-`` or ``@``) is written as text: in CSV behind a ``'`` that reading takes off again, in XLSX as
a string cell. What comes back on import is what was exported. Files are written atomically.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path

from mapping_review.errors import ConfigError
from mapping_review.files import replacing

Row = list[str]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def _risky(text: str) -> bool:
    bare = text.lstrip("'")
    return bare.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(bare)


def neutralise(text: str) -> str:
    """``text`` as a CSV cell no spreadsheet runs: a formula-like start gets a ``'`` in front (and so
    does text that already starts with quotes before one, so that :func:`restore` is exact); a
    number such as ``-0.5`` stays a number."""
    return "'" + text if _risky(text) else text


def restore(cell: str) -> str:
    """The text :func:`neutralise` was given."""
    return cell[1:] if cell.startswith("'") and _risky(cell) else cell


def read_table(path: Path) -> tuple[Row, list[Row]]:
    """Header and rows of a CSV or XLSX file; empty and unreadable files are errors."""
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        rows = _read_xlsx(path)
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as e:
            raise ConfigError(f"{path}: not UTF-8 text; save the sheet as CSV UTF-8") from e
        rows = [[restore(cell) for cell in row] for row in csv.reader(io.StringIO(text))]
    rows = [[cell.strip() for cell in row] for row in rows]
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows or not any(rows[0]):
        raise ConfigError(f"{path}: the file is empty; export a sheet first and fill it in")
    header, body = rows[0], rows[1:]
    width = len(header)
    return header, [row + [""] * (width - len(row)) for row in body]


def _read_xlsx(path: Path) -> list[Row]:
    try:
        import openpyxl
    except ImportError as e:  # pragma: no cover - openpyxl is a dependency
        msg = "reading XLSX needs openpyxl: pip install openpyxl"
        raise ConfigError(msg) from e
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds
        raise ConfigError(f"{path}: not a readable XLSX workbook ({type(e).__name__})") from e
    sheet = book.worksheets[0]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def write_table(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """Write CSV (or XLSX by suffix) deterministically and atomically; rows are written as given."""
    with replacing(path) as tmp:
        if path.suffix.lower() == ".xlsx":
            _write_xlsx(tmp, header, rows, name=path.name)
        else:  # row by row to the file: a table of every suggestion is never held again as one string
            with tmp.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh, lineterminator="\n")
                writer.writerow([neutralise(str(h)) for h in header])
                writer.writerows([neutralise(v) if isinstance(v, str) else v for v in row] for row in rows)
    return path


def _write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]], *, name: str) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for r, values in enumerate([list(header), *rows], start=1):
        for c, value in enumerate(values, start=1):
            try:
                cell = sheet.cell(row=r, column=c, value="" if value is None else value)
            except ValueError as e:  # openpyxl refuses control characters
                msg = f"{name}: row {r}, column {c}: {e}; export as .csv instead"
                raise ConfigError(msg) from e
            if isinstance(value, str):
                cell.data_type = "s"  # text stays text: never a formula
    book.save(path)
