"""Extracted documents cached by file hash and extractor version.

Each document is stored as gzipped JSON (level 1: the cache is written far more often than it is
short of space) with a fixed gzip header, so the same document always gives the same bytes; a
small summary beside it (pages, page states, warnings) lets a build plan its work without reading
every document.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

from mapping_review.extract import Document

GZIP_LEVEL = 1


def _path(cache_dir: Path, sha256: str, extractor: str, suffix: str = "json.gz") -> Path:
    return cache_dir / "documents" / f"{sha256}.{extractor}.{suffix}"


def load_document(cache_dir: Path, sha256: str, extractor: str) -> Document | None:
    """The cached document, or None when there is none (or it is unreadable)."""
    path = _path(cache_dir, sha256, extractor)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return Document.from_dict(json.load(fh))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def document_summary(doc: Document) -> dict[str, Any]:
    """What a build reports about a document without reading it: pages, their states, warnings."""
    pages: dict[str, list[int]] = {}
    for page in doc.pages:
        pages.setdefault(page.status, []).append(page.number)
    return {"n_pages": doc.n_pages, "page_status": pages, "warnings": list(doc.warnings)}


def load_summary(cache_dir: Path, sha256: str, extractor: str) -> dict[str, Any] | None:
    """The summary of a cached document, or None when the document or its summary is missing."""
    if not _path(cache_dir, sha256, extractor).is_file():
        return None
    try:
        data = json.loads(_path(cache_dir, sha256, extractor, "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and {"n_pages", "page_status", "warnings"} <= data.keys() else None


def _write(path: Path, data: bytes, *, compress: bool) -> None:
    tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
    with tmp.open("wb") as raw:
        if compress:  # no file name and no time in the header: equal documents give equal files
            with gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as fh:
                fh.write(data)
        else:
            raw.write(data)
    tmp.replace(path)


def save_document(cache_dir: Path, doc: Document) -> Path:
    """Write ``doc`` and its summary atomically (a crash never leaves a half-written cache entry)."""
    path = _path(cache_dir, doc.sha256, doc.extractor)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(doc.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")
    _write(path, data, compress=True)
    summary = json.dumps(document_summary(doc), sort_keys=True).encode("utf-8")
    _write(_path(cache_dir, doc.sha256, doc.extractor, "summary.json"), summary, compress=False)
    return path
