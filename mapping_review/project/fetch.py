"""``corpus fetch``: download the guides that have a URL, checking what arrives.

A download is kept only when it is a PDF (not the HTML page many sites
return instead) and, when the manifest records a sha256, only when it
matches. The file is written atomically; the manifest entry gains ``file``
and, when it had none, ``sha256``.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mapping_review.project.layout import Project
from mapping_review.project.manifest import Guide, load_manifest
from mapping_review.project.manifest_edit import set_guide_fields

USER_AGENT = "mapping-review (guideline corpus fetch)"
TIMEOUT = 60  # seconds
CHUNK = 1 << 16


@dataclass(frozen=True)
class FetchResult:
    key: str
    status: str  # fetched | present | skipped | failed
    message: str = ""


def _download(url: str, target: Path) -> str:
    """Stream ``url`` to a temporary file beside ``target``; return its sha256."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    tmp = target.with_name(target.name + f".part{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response, tmp.open("wb") as out:
            for chunk in iter(lambda: response.read(CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def fetch_guide(project: Project, guide: Guide, *, force: bool = False) -> FetchResult:
    """Download one guide; failures come back as a result, never as an exception."""
    if not guide.url:
        return FetchResult(guide.key, "skipped", "no url in the manifest")
    file = guide.file or f"{guide.key}.pdf"  # a subfolder in `file:` is kept
    target = project.corpus_dir / file
    if target.exists() and not force:
        return FetchResult(guide.key, "present", f"{target} exists")
    tmp = target.with_name(target.name + f".part{os.getpid()}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        sha = _download(guide.url, target)
    except urllib.error.HTTPError as e:
        return FetchResult(guide.key, "failed", f"{guide.url}: download failed (HTTP {e.code} {e.reason})")
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        return FetchResult(guide.key, "failed", f"{guide.url}: download failed ({reason})")
    head = tmp.read_bytes()[:1024]
    if b"%PDF-" not in head:
        tmp.unlink()
        kind = "an HTML page" if b"<html" in head.lower() or b"<!doctype html" in head.lower() else "not a PDF"
        return FetchResult(guide.key, "failed",
                           f"{guide.url} returned {kind}; open it in a browser, save the PDF and `corpus add` it")
    if guide.sha256 and sha != guide.sha256:
        tmp.unlink()
        return FetchResult(guide.key, "failed", f"{guide.url}: sha256 is {sha[:12]}, the manifest records "
                                                f"{guide.sha256[:12]}; the publisher may have changed the file")
    tmp.replace(target)
    set_guide_fields(project.manifest_path, guide.key, file=file, sha256=sha)
    return FetchResult(guide.key, "fetched", f"{file} ({sha[:12]})")


def fetch_corpus(project: Project, *, keys: list[str] | None = None, force: bool = False) -> list[FetchResult]:
    manifest = load_manifest(project.manifest_path)
    chosen = [g for g in manifest.guides if keys is None or g.key in keys]
    missing = sorted(set(keys or []) - {g.key for g in chosen})
    results = [FetchResult(k, "failed", f"no guide {k!r} in the manifest") for k in missing]
    return results + [fetch_guide(project, g, force=force) for g in chosen]
