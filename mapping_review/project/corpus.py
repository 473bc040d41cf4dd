"""Adding guides to the corpus, listing them and verifying their files."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from mapping_review.errors import GuideError, ManifestError, PdfError
from mapping_review.files import check_pdf_file, file_sha256, open_pdfium, replacing
from mapping_review.project.layout import Project
from mapping_review.project.manifest import Guide, Manifest, describe_problem, load_manifest
from mapping_review.project.manifest_edit import append_unlocked, manifest_lock, remove_entry, update_unlocked


def pdf_problem(path: Path, password: str | None) -> str | None:
    """What stops PDFium from opening ``path`` (with ``password``), or None."""
    try:
        open_pdfium(path, password=password).close()
    except PdfError as e:
        return str(e)
    return None


def _pdf_title(path: Path, password: str | None, *, kept: bool = False) -> str:
    """The PDF's own title; :class:`PdfError` when PDFium cannot open it (so that a locked or broken file
    is refused when it is added, not found out at the next build). ``kept``: the password is the one the
    manifest entry already has."""
    try:
        doc = open_pdfium(path, password=password)
    except PdfError as e:
        if e.reason != "password" or "security handler" in str(e):
            raise
        if kept:
            what = "the password its manifest entry has is wrong for it"
        else:
            what = "the password given is wrong" if password else "it needs a user password"
        raise PdfError(f"{path}: {what}; add it again with its password (--password)", reason="password") from e
    try:
        title = " ".join(doc.get_metadata_value("Title").split())
    finally:
        doc.close()
    return "" if _FILE_NAME_TITLE.search(title) else title  # "Microsoft Word - x.docx" names a file, not a guide


_FILE_NAME_TITLE = re.compile(r"^Microsoft (Word|PowerPoint) - |\.(docx?|pptx?|pdf|indd|odt|rtf)$", re.IGNORECASE)


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
    doi: str = "",
    password: str = "",
    link: bool = False,
    replace: bool = False,
    ocr: bool | None = None,
    readable: bool = True,
) -> Guide:
    """Record ``pdf`` as guide ``key``: copy it into ``corpus/`` (or link to it) and pin its sha256.

    Everything is checked before anything is written: a bad key, a clash, a file that is not a PDF or
    one PDFium cannot open (locked without its password, broken) leaves the corpus as it was, and a
    copy made for a manifest write that fails is removed.

    ``ocr=True`` has the build recognise the text of the pages that are only images; None keeps
    what a replaced entry had. ``readable=False`` records a PDF PDFium cannot open all the same (a
    library import keeps its entry; the build reports the file until it is fixed).
    """
    check_pdf_file(pdf)
    sha256 = file_sha256(pdf)
    with manifest_lock(project.manifest_path):
        manifest = load_manifest(project.manifest_path)
        existing = manifest.get(key)
        broken = next((p for p in manifest.problems if p.key == key), None)
        if broken is not None:
            msg = f"{broken.message}; fix that entry by hand (or remove it), then add the guide again"
            raise ManifestError(msg)
        if existing is not None and not replace:
            line = manifest.lines.get(key, "?")
            msg = f"{project.manifest_path}:{line}: guide {key!r} already exists; pass --replace to replace it"
            raise ManifestError(msg)
        guide = _guide(project, pdf, existing, sha256=sha256, key=key, title=title, year=year, publisher=publisher,
                       authors=authors, url=url, doi=doi, password=password, link=link, ocr=ocr, readable=readable)
        _copy_and_record(project, pdf, guide, link=link, replace=existing is not None)
    return guide


def _guide(project: Project, pdf: Path, existing: Guide | None, *, sha256: str, key: str, title: str, readable: bool,
           year: int | None, publisher: str, authors: str, url: str, doi: str, password: str, link: bool,
           ocr: bool | None) -> Guide:
    """The manifest entry for ``pdf``: the given facts, else the existing entry's, else the PDF's title."""
    kept = not password and bool(existing and existing.password)
    password = password or (existing.password if existing else "")
    try:
        own_title = _pdf_title(pdf, password or None, kept=kept)
    except PdfError:
        if readable:
            raise
        own_title = ""  # recorded all the same; the build reports the file
    fields = {
        "key": key,
        "label": existing.label if existing else "",
        "title": title or (existing.title if existing else "") or own_title,
        "year": year if year is not None else (existing.year if existing else None),
        "publisher": publisher or (existing.publisher if existing else ""),
        "authors": authors or (existing.authors if existing else ""),
        "url": url or (existing.url if existing else ""),
        "doi": doi or (existing.doi if existing else ""),
        "file": _link_target(project, pdf) if link else f"{key}.pdf",
        "sha256": sha256,
        "password": password,
        "ocr": ocr if ocr is not None else (existing.ocr if existing else False),
    }
    try:
        return Guide.model_validate(fields)
    except ValidationError as e:
        problems = "; ".join(describe_problem(err, list(Guide.model_fields))[1] for err in e.errors())
        raise ManifestError(f"guide {key!r}: {problems}; nothing was added") from e


def _copy_and_record(project: Project, pdf: Path, guide: Guide, *, link: bool, replace: bool) -> None:
    """Copy the PDF into ``corpus/`` (unless linked) and write the entry; a failed write puts the corpus
    back as it was. The caller holds the manifest lock."""
    target = project.corpus_dir / guide.file
    copied = not link and not (target.exists() and target.resolve() == pdf.resolve())
    previous = target.read_bytes() if copied and target.exists() else None
    if copied:
        with replacing(target) as tmp:
            shutil.copyfile(pdf, tmp)
    try:
        (update_unlocked if replace else append_unlocked)(project.manifest_path, guide)
    except BaseException:
        if copied and previous is None:
            target.unlink(missing_ok=True)
        elif copied and previous is not None:
            target.write_bytes(previous)
        raise


def _link_target(project: Project, pdf: Path) -> str:
    """The manifest's ``file`` for a linked PDF: relative to ``corpus/``, so that a project moved together
    with its PDFs keeps working - through the folders as given (a symlinked ``shared/`` stays a link) when
    that path reaches the same file, else through the real folders; absolute across drives."""
    with contextlib.suppress(ValueError):  # on another drive as given (a substituted drive on Windows)
        logical = os.path.relpath(pdf.absolute(), project.corpus_dir.absolute())
        if (project.corpus_dir / logical).exists() and (project.corpus_dir / logical).samefile(pdf):
            return logical
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
        return GuideState(guide.key, guide.title, guide.year, guide.file, "missing", f"{path} not found{_relink(guide)}")
    actual = file_sha256(path)
    if not guide.sha256:
        return GuideState(guide.key, guide.title, guide.year, guide.file, "unpinned", f"sha256 {actual}")
    if actual != guide.sha256:
        detail = f"sha256 is {actual[:12]}, manifest says {guide.sha256[:12]}"
        return GuideState(guide.key, guide.title, guide.year, guide.file, "changed", detail)
    return GuideState(guide.key, guide.title, guide.year, guide.file, "ok")


def _relink(guide: Guide) -> str:
    """For a PDF linked from outside ``corpus/``: how to link it again after the project or the PDF moved."""
    outside = Path(guide.file).is_absolute() or Path(guide.file).parts[:1] == ("..",)
    return (f" (linked from outside corpus/, by a path relative to it: if the project or the PDF moved, link it "
            f"again with `corpus add PDF --key {guide.key} --link --replace`)") if outside else ""


def remove_guide(project: Project, key: str) -> str:
    """Take guide ``key`` out of the manifest; returns its file as the manifest named it ("" when none).
    The PDF stays where it is, and decisions on the guide stay in ``reviews/``: builds leave them out of
    the tables (and say so) until the guide is added again."""
    guide = load_manifest(project.manifest_path).get(key)
    remove_entry(project.manifest_path, key)
    return guide.file if guide is not None else ""


def verify_corpus(project: Project) -> tuple[list[GuideState], Manifest]:
    """Check every guide's file against its recorded hash."""
    manifest = load_manifest(project.manifest_path)
    return [file_state(project, g) for g in manifest.guides], manifest


def resolve_file(project: Project, guide: Guide) -> Path:
    """The guide's PDF, checked against the manifest's hash; raises :class:`GuideError`."""
    state = file_state(project, guide)
    if state.state == "missing":
        msg = (f"{guide.key}: file not found: {project.corpus_dir / guide.file}; add it or fix `file:` in the manifest"
               f"{_relink(guide)}")
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
