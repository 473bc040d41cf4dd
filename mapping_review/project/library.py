"""A corpus from a reference manager's library: each entry becomes a guide.

Entries with a PDF attachment are added exactly as ``corpus add`` adds a PDF (copied or linked,
hashed); entries without one are recorded as metadata. Several PDFs, duplicates (same DOI, or same
title and year), key clashes with guides already in the manifest and unreadable attachments are
reported one per line; a guide already in the manifest changes only with ``update=True``. The
library's own BibTeX entries go to the project's ``references.bib``, which the build's
``references.bib`` reuses.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

from mapping_review.errors import MappingReviewError, PdfError
from mapping_review.files import check_pdf_file, write_atomic
from mapping_review.project.corpus import add_guide, pdf_problem
from mapping_review.project.layout import Project
from mapping_review.project.library_formats import LibraryEntry, normalise_doi, normalise_title, read_library
from mapping_review.project.manifest import KEY_PATTERN, Guide, load_manifest
from mapping_review.project.manifest_edit import append_guide, update_guide

REFERENCES = "references.bib"


@dataclass
class LibraryImport:
    """What an import did: keys added (with a PDF, or as metadata only), updated, and one line
    per entry that was skipped (``errors``) or needs a look (``notices``)."""

    library: Path
    kind: str
    added: list[str] = field(default_factory=list)
    metadata_only: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    references: Path | None = None


def _absolute(path: Path) -> Path:
    """``path`` made absolute with ``..`` removed, symbolic links left as they are."""
    return Path(os.path.normpath(path.absolute()))


def resolve_attachment(written: str, *, library: Path, files_dir: Path | None) -> Path:
    """The file an attachment names, which must lie inside the library's folder (or ``files_dir``);
    raises :class:`PdfError` naming the entry's path otherwise."""
    root = _absolute(files_dir or library.parent)
    if written.startswith("internal-pdf://"):  # EndNote: relative to <Library>.Data/PDF/
        base = files_dir or library.parent / f"{library.stem}.Data" / "PDF"
        root = _absolute(base)
        candidate = root / unquote(written.removeprefix("internal-pdf://"))
    elif written.startswith("file:"):  # Mendeley and others: a file URL
        path = unquote(urlparse(written).path)
        candidate = Path(path[1:] if re.match(r"^/[A-Za-z]:", path) else path)
    else:
        candidate = Path(written)
    if not candidate.is_absolute():
        candidate = root / candidate
    candidate = Path(os.path.normpath(candidate))
    inside = candidate == root or root in candidate.parents
    if not inside and files_dir is not None and (root / candidate.name).is_file():
        candidate, inside = root / candidate.name, True  # a library moved from another machine
    if not inside:
        msg = f"attachment {written!r} is outside the library folder {root}; pass --files DIR for the folder that holds it"
        raise PdfError(msg, reason="outside")
    if not candidate.exists():
        raise PdfError(f"attachment {written!r} not found (looked for {candidate})", reason="missing")
    check_pdf_file(candidate)
    return candidate


@dataclass
class _Seen:
    """Works already in the manifest or earlier in the library, by DOI and by title + year."""

    by_doi: dict[str, str] = field(default_factory=dict)
    by_title: dict[tuple[str, int | None], str] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)

    def add(self, key: str, doi: str, title: str, year: int | None) -> None:
        self.keys.add(key)
        if doi:
            self.by_doi.setdefault(normalise_doi(doi), key)
        if title:
            self.by_title.setdefault((normalise_title(title), year), key)

    def same_work(self, entry: LibraryEntry) -> tuple[str, str] | None:
        """(key, why) of a work this entry duplicates."""
        if entry.doi and entry.doi in self.by_doi:
            return self.by_doi[entry.doi], f"same DOI {entry.doi}"
        title = (normalise_title(entry.title), entry.year)
        if entry.title and title in self.by_title:
            return self.by_title[title], "same title and year"
        return None


def import_library(
    project: Project, library: Path, *, files_dir: Path | None = None, update: bool = False, link: bool = False,
) -> LibraryImport:
    """Add every entry of ``library`` to the corpus; see the module's docstring."""
    entries, problems, kind = read_library(library)
    result = LibraryImport(library=library, kind=kind, errors=list(problems))
    manifest = load_manifest(project.manifest_path)
    existing = {g.key: g for g in manifest.guides}
    in_manifest, in_library = _Seen(), _Seen()
    for g in manifest.guides:
        in_manifest.add(g.key, g.doi, g.title, g.year)
    own: dict[str, str] = {}
    for entry in entries:
        where = f"{library}:{entry.line}" if entry.line else str(library)
        entry = _unique_key(entry, in_library, existing)
        earlier = in_library.same_work(entry)
        if earlier:
            result.notices.append(f"{where}: {entry.key!r} duplicates {earlier[0]!r} in the library ({earlier[1]}); skipped")
            continue
        in_library.add(entry.key, entry.doi, entry.title, entry.year)
        if not re.match(KEY_PATTERN, entry.key):
            result.errors.append(f"{where}: citation key {entry.key!r} may only use letters, digits, '_', '-' and '.'; "
                                 "rename it in the library; skipped")
            continue
        twin = in_manifest.same_work(entry)
        if twin and twin[0] != entry.key:
            result.notices.append(f"{where}: {entry.key!r} is already in the manifest as {twin[0]!r} ({twin[1]}); skipped")
            continue
        if entry.key in existing and not update:
            old = existing[entry.key]
            same = twin is not None or not old.title
            what = "is already in the manifest" if same else f"clashes with the manifest's guide {old.title!r}"
            result.notices.append(f"{where}: key {entry.key!r} {what}; nothing changed (pass --update to refresh it)")
            continue
        status = _record(project, entry, existing.get(entry.key), library=library, files_dir=files_dir, link=link,
                         where=where, result=result)
        if status and entry.bibtex:
            own[entry.key] = entry.bibtex
    if own:
        result.references = write_references(project.root / REFERENCES, own, replace=update)
    return result


def _unique_key(entry: LibraryEntry, seen: _Seen, existing: dict[str, Guide]) -> LibraryEntry:
    """A generated key that is taken by another work gets ``-1``, ``-2`` ... as Zotero does."""
    if entry.key_given:
        return entry
    key, n = entry.key, 0
    while key in seen.keys or (key in existing and normalise_title(existing[key].title) != normalise_title(entry.title)):
        n += 1
        key = f"{entry.key}-{n}"
    return replace(entry, key=key)


def _record(project: Project, entry: LibraryEntry, old: Guide | None, *, library: Path, files_dir: Path | None,
            link: bool, where: str, result: LibraryImport) -> bool:
    """Add or update one guide; a problem is reported and leaves the manifest as it was."""
    pdfs, broken = [], []
    for written in entry.attachments:
        try:
            pdfs.append(resolve_attachment(written, library=library, files_dir=files_dir))
        except PdfError as e:
            broken.append(str(e))
    if broken and not pdfs:
        result.errors.append(f"{where}: {entry.key!r}: {broken[0]}; entry skipped")
        return False
    if len(entry.attachments) > 1:
        names = ", ".join(Path(a).name for a in entry.attachments)
        used = pdfs[0].name
        result.notices.append(f"{where}: {entry.key!r} has {len(entry.attachments)} PDFs ({names}); added {used}"
                              + (f" ({'; '.join(broken)})" if broken else ""))
    facts = {"title": entry.title, "year": entry.year, "publisher": entry.publisher, "authors": entry.authors,
             "url": entry.url, "doi": entry.doi}
    try:
        if pdfs:
            add_guide(project, pdfs[0], key=entry.key, link=link, replace=old is not None, readable=False,
                      **facts)  # type: ignore[arg-type]
            (result.updated if old else result.added).append(entry.key)
            problem = pdf_problem(pdfs[0], (old.password if old else "") or None)
            if problem is not None:  # kept with its file, as the library has it; the build reports it until fixed
                result.notices.append(f"{where}: {entry.key!r}: {problem}")
        elif old is not None:
            merged = {**old.model_dump(), **{k: v for k, v in facts.items() if v not in ("", None)}}
            update_guide(project.manifest_path, Guide.model_validate(merged))
            result.updated.append(entry.key)
        else:
            append_guide(project.manifest_path, Guide.model_validate({"key": entry.key, **facts}))
            result.metadata_only.append(entry.key)
    except (MappingReviewError, ValueError) as e:
        result.errors.append(f"{where}: {entry.key!r}: {e}; entry skipped")
        return False
    return True


_ENTRY_START = re.compile(r"^@\w+\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


def write_references(path: Path, entries: dict[str, str], *, replace: bool) -> Path:
    """Add the library's own entries to ``references.bib``: new keys at the end; an existing key's
    entry is replaced only with ``replace``."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    starts = [(m.start(), m.group(1)) for m in _ENTRY_START.finditer(text)]
    spans = {key: (start, starts[i + 1][0] if i + 1 < len(starts) else len(text)) for i, (start, key) in enumerate(starts)}
    for key, entry in entries.items():
        if key in spans and replace:
            start, end = spans[key]
            text = text[:start] + entry + "\n" + text[end:].lstrip("\n")
            starts = [(m.start(), m.group(1)) for m in _ENTRY_START.finditer(text)]
            spans = {k: (s, starts[i + 1][0] if i + 1 < len(starts) else len(text)) for i, (s, k) in enumerate(starts)}
        elif key not in spans:
            text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + entry
    write_atomic(path, text)
    return path
