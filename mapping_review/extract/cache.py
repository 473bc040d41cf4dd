"""Extracted documents cached by file hash and extractor version."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from mapping_review.extract import Document


def _path(cache_dir: Path, sha256: str, extractor: str) -> Path:
    return cache_dir / "documents" / f"{sha256}.{extractor}.json.gz"


def load_document(cache_dir: Path, sha256: str, extractor: str) -> Document | None:
    """The cached document, or None when there is none (or it is unreadable)."""
    path = _path(cache_dir, sha256, extractor)
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return Document.from_dict(json.load(fh))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_document(cache_dir: Path, doc: Document) -> Path:
    """Write ``doc`` atomically (a crash never leaves a half-written cache entry)."""
    path = _path(cache_dir, doc.sha256, doc.extractor)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    data = json.dumps(doc.to_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")
    with tmp.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(data)
    tmp.replace(path)
    return path
