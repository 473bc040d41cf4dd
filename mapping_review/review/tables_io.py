"""Reading and writing the tables reviewers edit: CSV (UTF-8, header row) or XLSX."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from mapping_review.errors import ConfigError

Row = list[str]


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
        rows = list(csv.reader(io.StringIO(text)))
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
    """Write CSV (or XLSX by suffix) deterministically; rows are written as given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        sheet.append(list(header))
        for row in rows:
            sheet.append(["" if v is None else v for v in row])
        book.save(path)
        return path
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path
