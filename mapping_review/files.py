"""Files on disk, for every stage: atomic writes, content hashes, and the checks a file must pass
before it is opened as a PDF."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from mapping_review.errors import PdfError


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so readers never see half of it."""
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_pdf_file(path: Path) -> None:
    """Raise :class:`PdfError` when ``path`` is missing, empty or not a PDF."""
    if not path.exists():
        raise PdfError(f"{path}: file not found", reason="missing")
    if not path.is_file():
        raise PdfError(f"{path}: is not a file", reason="missing")
    size = path.stat().st_size
    if size == 0:
        raise PdfError(f"{path}: empty file (0 bytes); download it again", reason="empty")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        lowered = head.lstrip().lower()
        if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")) or b"<html" in lowered:
            msg = f"{path}: not a PDF but an HTML page saved as .pdf; download the PDF itself"
        else:
            msg = f"{path}: not a PDF (no %PDF- header in the first 1024 bytes)"
        raise PdfError(msg, reason="not-a-pdf")
