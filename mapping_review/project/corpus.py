"""Adding guides to the corpus, listing them and verifying their files."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

from mapping_review.errors import GuideError, ManifestError
from mapping_review.files import check_pdf_file, file_sha256
from mapping_review.project.layout import Project
from mapping_review.project.manifest import Guide, Manifest, append_guide, load_manifest, update_guide


def _pdf_title(path: Path, password: str | None) -> str:
    try:
        doc = pdfium.PdfDocument(str(path), password=password)
    except pdfium.PdfiumError:
        return ""
    try:
        return " ".join(doc.get_metadata_value("Title").split())
    finally:
        doc.close()


def add_guide(
    project: Project,
    pdf: Path,
    *,
    key: str,
    title: str = "",
    year: int | None = None,
    publisher: str = "",
    authors: str = "",
    url: str = "",
    password: str = "",
    link: bool = False,
    replace: bool = False,
    ocr: bool | None = None,
) -> Guide:
    """Record ``pdf`` as guide ``key``: copy it into ``corpus/`` (or link to it) and pin its sha256.

    ``ocr=True`` has the build recognise the text of the pages that are only images; None keeps
    what a replaced entry had.
    """
    check_pdf_file(pdf)
    manifest = load_manifest(project.manifest_path)
    existing = manifest.get(key)
    clash = existing is not None or any(p.key == key for p in manifest.problems)
    if clash and not replace:
        line = manifest.lines.get(key, "?")
        msg = f"{project.manifest_path}:{line}: guide {key!r} already exists; pass --replace to replace it"
        raise ManifestError(msg)
    if link:
        file = _link_target(project, pdf)
    else:
        file = f"{key}.pdf"
        target = project.corpus_dir / file
        if not (target.exists() and target.resolve() == pdf.resolve()):
            shutil.copyfile(pdf, target)
    guide = Guide.model_validate({
        "key": key,
        "label": existing.label if existing else "",
        "title": title or (existing.title if existing else "") or _pdf_title(pdf, password or None),
        "year": year if year is not None else (existing.year if existing else None),
        "publisher": publisher or (existing.publisher if existing else ""),
        "authors": authors or (existing.authors if existing else ""),
        "url": url or (existing.url if existing else ""),
        "file": file,
        "sha256": file_sha256(pdf),
        "password": password or (existing.password if existing else ""),
        "ocr": ocr if ocr is not None else (existing.ocr if existing else False),
    })
    if existing is not None:
        update_guide(project.manifest_path, guide)
    else:
        append_guide(project.manifest_path, guide)
    return guide


def _link_target(project: Project, pdf: Path) -> str:
    """The manifest's ``file`` for a linked PDF: relative to ``corpus/``, so that a
    project moved together with its PDFs keeps working; absolute across drives."""
    try:
        return os.path.relpath(pdf.resolve(), project.corpus_dir.resolve())
    except ValueError:
        return str(pdf.resolve())


@dataclass(frozen=True)
class GuideState:
    """A guide's file state: ``ok``, ``no file``, ``missing``, ``changed`` or ``unpinned``."""

    key: str
    title: str
    year: int | None
    file: str
    state: str
    detail: str = ""


def file_state(project: Project, guide: Guide) -> GuideState:
    path = guide.path(project.corpus_dir)
    if path is None:
        return GuideState(guide.key, guide.title, guide.year, "", "no file", "metadata only; add the PDF")
    if not path.is_file():
        return GuideState(guide.key, guide.title, guide.year, guide.file, "missing", f"{path} not found")
    actual = file_sha256(path)
    if not guide.sha256:
        return GuideState(guide.key, guide.title, guide.year, guide.file, "unpinned", f"sha256 {actual}")
    if actual != guide.sha256:
        detail = f"sha256 is {actual[:12]}, manifest says {guide.sha256[:12]}"
        return GuideState(guide.key, guide.title, guide.year, guide.file, "changed", detail)
    return GuideState(guide.key, guide.title, guide.year, guide.file, "ok")


def verify_corpus(project: Project) -> tuple[list[GuideState], Manifest]:
    """Check every guide's file against its recorded hash."""
    manifest = load_manifest(project.manifest_path)
    return [file_state(project, g) for g in manifest.guides], manifest


def resolve_file(project: Project, guide: Guide) -> Path:
    """The guide's PDF, checked against the manifest's hash; raises :class:`GuideError`."""
    state = file_state(project, guide)
    if state.state == "missing":
        msg = f"{guide.key}: file not found: {project.corpus_dir / guide.file}; add it or fix `file:` in the manifest"
        raise GuideError(msg, reason="missing")
    if state.state == "changed":
        msg = (
            f"{guide.key}: {project.corpus_dir / guide.file} has changed since it was added ({state.detail}); "
            f"if the new file is right, run `mapping-review corpus add FILE --key {guide.key} --replace`"
        )
        raise GuideError(msg, reason="changed")
    path = guide.path(project.corpus_dir)
    assert path is not None
    return path
