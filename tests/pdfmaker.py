"""A tiny PDF writer for test fixtures: text at positions in the standard 14 fonts, and lines.

Each page is a list of ``(x, top, size, text)`` or ``(x, top, size, text, "bold")``
items, with ``top`` measured from the top of a US Letter page, and ``("line", x0, top, x1,
bottom)`` items that draw a straight line (a table rule) between two points.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

WIDTH, HEIGHT = 612, 792
Item = tuple  # (x, top, size, text[, "bold"])


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _content(items: Sequence[Item]) -> bytes:
    ops = []
    for item in items:
        if item[0] == "line":
            _, x0, top, x1, bottom = item
            ops.append(f"0.75 w {x0} {HEIGHT - top} m {x1} {HEIGHT - bottom} l S")
            continue
        x, top, size, text = item[:4]
        font = "F2" if len(item) > 4 and item[4] == "bold" else "F1"
        y = HEIGHT - top - size
        ops.append(f"BT /{font} {size} Tf {x} {y} Td ({_escape(text)}) Tj ET")
    return "\n".join(ops).encode("latin-1")


def make_pdf(path: Path, pages: Sequence[Sequence[Item]]) -> Path:
    """Write a PDF with one content stream per page; returns ``path``."""
    objects: list[bytes] = []
    n_pages = len(pages)
    page_ids = [5 + 2 * i for i in range(n_pages)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    for i, items in enumerate(pages):
        content = _content(items)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {page_ids[i] + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def ruled_table(x: float, top: float, widths: Sequence[float], rows: Sequence[Sequence[str]], *,
                row_height: float = 30, size: float = 10, bold_header: bool = True) -> list[Item]:
    """A table drawn with rules: ``rows`` of cell texts (the first is the header, set in bold);
    a cell's text may hold several lines separated by newlines."""
    items: list[Item] = []
    edges = [x]
    for w in widths:
        edges.append(edges[-1] + w)
    for r, row in enumerate(rows):
        y = top + r * row_height
        for c, text in enumerate(row):
            for k, line in enumerate(text.split("\n")):
                item: Item = (edges[c] + 4, y + 4 + k * (size + 2), size, line)
                items.append((*item, "bold") if r == 0 and bold_header else item)
    bottom = top + len(rows) * row_height
    items += [("line", x, top + r * row_height, edges[-1], top + r * row_height) for r in range(len(rows) + 1)]
    items += [("line", e, top, e, bottom) for e in edges]
    return items


def guide_pages(n_pages: int = 4, *, title: str = "A Test Guideline") -> list[list[Item]]:
    """Pages shaped like a NICE guideline: running header and footer, numbered
    recommendations with bullets, headings, and a word hyphenated across lines."""
    pages: list[list[Item]] = []
    for p in range(1, n_pages + 1):
        items: list[Item] = [
            (40, 30, 10, f"{title} (TG1)"),
            (40, 760, 9, "(c) Test Institute 2024. All rights reserved. Subject to Notice of rights."),
            (500, 760, 9, f"Page {p} of {n_pages}"),
        ]
        if p == 1:
            items += [(40, 80, 20, "1 Recommendations", "bold"), (40, 120, 14, "1.1 Principles of care", "bold")]
        else:
            items += [(40, 100, 14, f"1.{p} Section number {p}", "bold")]
        top = 160
        for r in range(1, 4):
            items += [
                (40, top, 10, f"1.{p}.{r}"),
                (80, top, 11, "Offer people with depression a choice of treat-"),
                (80, top + 14, 11, "ment and discuss the options with them. Consider"),
                (80, top + 28, 11, "their preferences when planning care:"),
                (90, top + 48, 11, "- the risks and benefits of each option"),
                (90, top + 66, 11, "- how the person would like to be involved. [2024]"),
            ]
            top += 110
        pages.append(items)
    return pages
