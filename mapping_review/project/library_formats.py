"""Reference-manager libraries read into plain entries: BibTeX (Zotero, Better BibTeX, JabRef,
Mendeley) with bibtexparser 2, RIS (Zotero, EndNote, Mendeley) with rispy, and CSL-JSON (Zotero).

Every entry keeps its citation key (generated Zotero-style, ``author_word_year``, when the format
has none), its facts, its attachments as written, and where it starts in the file. Syntax errors
are returned with their line; the other entries are read.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapping_review.errors import ConfigError

FORMATS = ("bibtex", "ris", "csl-json")
_STOPWORDS = {"a", "an", "the", "of", "on", "in", "and", "for", "to", "with", "at", "by", "from", "as", "or"}
_DOI_PREFIX = re.compile(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


@dataclass(frozen=True)
class LibraryEntry:
    """One reference of a library, with its attachments as the library writes them."""

    key: str
    title: str
    year: int | None
    authors: str
    publisher: str
    doi: str
    url: str
    attachments: tuple[str, ...]  # PDF attachments only, in the library's order
    line: int  # 1-based line where the entry starts
    key_given: bool = True  # False when the key was generated here
    bibtex: str = ""  # the library's own BibTeX entry (without its file field), BibTeX libraries only


def normalise_doi(doi: str) -> str:
    return _DOI_PREFIX.sub("", doi.strip()).strip().lower()


def normalise_title(title: str) -> str:
    """Title for duplicate checks: accents and punctuation dropped, case folded, spaces collapsed."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", ascii_text.casefold()).split())


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def make_key(authors: list[str], title: str, year: int | None) -> str:
    """A Zotero-style citation key: first creator's family name (or the whole organisation),
    first significant title word, year - ``bellack_social_2004``."""
    creator = authors[0].split(",")[0] if authors else ""
    creator = "_".join(re.sub(r"[^0-9a-z\s-]", "", _ascii(creator).casefold()).split())
    words = [re.sub(r"[^0-9a-z-]", "", w) for w in _ascii(title).casefold().split()]
    word = next((w for w in words if w and w not in _STOPWORDS), "")
    key = "_".join(p for p in (creator, word, str(year or "")) if p)
    return key.strip("_-") or "untitled"


def _year(text: Any) -> int | None:
    match = re.search(r"\b(1[89]\d\d|2[01]\d\d)\b", str(text or ""))
    return int(match.group(1)) if match else None


def detect_format(path: Path, text: str) -> str:
    suffix = path.suffix.lower()
    if suffix in (".bib", ".bibtex"):
        return "bibtex"
    if suffix == ".ris":
        return "ris"
    if suffix == ".json":
        return "csl-json"
    head = text.lstrip()[:2000]
    if head.startswith(("[", "{")):
        return "csl-json"
    if re.search(r"^TY  - ", head, flags=re.MULTILINE):
        return "ris"
    if re.search(r"^\s*@\w+\s*[{(]", head, flags=re.MULTILINE):
        return "bibtex"
    msg = f"{path}: not a BibTeX, RIS or CSL-JSON library (name it .bib, .ris or .json)"
    raise ConfigError(msg)


def read_library(path: Path) -> tuple[list[LibraryEntry], list[str], str]:
    """Entries of a library file, problems (one line each, with the file's line) and its format."""
    if not path.is_file():
        raise ConfigError(f"{path}: library file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text; export the library as UTF-8") from e
    kind = detect_format(path, text)
    reader = {"bibtex": _read_bibtex, "ris": _read_ris, "csl-json": _read_csl}[kind]
    entries, problems = reader(path, text)
    if not entries and not problems:
        raise ConfigError(f"{path}: no entries found in this {kind} library")
    return entries, problems, kind


# --- BibTeX ---------------------------------------------------------------------------------------

def split_file_field(value: str) -> list[str]:
    """PDF paths of a BibTeX ``file`` field: Zotero ``desc:path:mime;...``, JabRef/Mendeley
    ``:C\\:/path.pdf:PDF``, Better BibTeX ``path;path``."""
    value = value.replace("$\\backslash$", "\\")
    out = []
    for part in re.split(r"(?<!\\);", value):
        tokens = re.split(r"(?<!\\):", part.strip())
        if len(tokens) >= 3:
            path, kind = ":".join(tokens[1:-1]), tokens[-1]
        elif len(tokens) == 2 and len(tokens[0]) != 1:
            path, kind = tokens[1], ""
        else:
            path, kind = ":".join(tokens), ""
        path = path.replace("\\:", ":").replace("\\;", ";").replace("\\\\", "\\").strip()
        if path and ("pdf" in kind.lower() or path.lower().endswith(".pdf")):
            out.append(path)
    return out


def _latex_to_text(value: str) -> str:
    from pylatexenc.latex2text import LatexNodes2Text

    try:
        text = LatexNodes2Text(strict_latex_spaces=True).latex_to_text(value)
    except Exception:  # pylatexenc gives up on odd input; the braces-stripped text is close enough
        text = value.replace("{", "").replace("}", "")
    return " ".join(text.split())


def _read_bibtex(path: Path, text: str) -> tuple[list[LibraryEntry], list[str]]:
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

    library = bibtexparser.parse_string(text, parse_stack=[])  # type: ignore[attr-defined]  # values as written
    problems = []
    for block in library.failed_blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(f"{path}:{line}: duplicate citation key {block.key!r} in the library; this entry is skipped")
        elif isinstance(block, ParsingFailedBlock):
            reason = str(getattr(block.error, "abort_reason", "") or block.error or "").strip()
            what = reason.splitlines()[0] if reason else "the entry is not closed or a field is malformed"
            problems.append(f"{path}:{line}: BibTeX syntax error, entry skipped: {what}")
    entries = []
    for entry in library.entries:
        fields = {f.key.lower(): str(f.value) for f in entry.fields}
        raw = {k: _strip_braces(v) for k, v in fields.items()}
        title = _latex_to_text(raw.get("title", ""))
        authors = [_latex_to_text(a) for a in re.split(r"\s+and\s+", raw.get("author", raw.get("editor", ""))) if a]
        publisher = raw.get("publisher") or raw.get("institution") or raw.get("organization") or ""
        own = _own_entry(entry)
        entries.append(LibraryEntry(
            key=entry.key, title=title, year=_year(raw.get("year") or raw.get("date")),
            authors=" and ".join(authors), publisher=_latex_to_text(publisher), doi=normalise_doi(raw.get("doi", "")),
            url=raw.get("url", "").strip(), attachments=tuple(split_file_field(raw.get("file", ""))),
            line=(entry.start_line or 0) + 1, bibtex=own,
        ))
    return entries, problems


def _strip_braces(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and ((value[0], value[-1]) in (("{", "}"), ('"', '"'))):
        value = value[1:-1]
    return value


def _own_entry(entry: Any) -> str:
    """The library's entry as it wrote it, less the ``file`` field (private local paths)."""
    raw = str(entry.raw)
    file_field = next((f for f in entry.fields if f.key.lower() == "file"), None)
    if file_field is None:
        return raw.strip() + "\n"
    kept = [f"  {f.key} = {f.value}" for f in entry.fields if f is not file_field]
    return f"@{entry.entry_type}{{{entry.key},\n" + ",\n".join(kept) + "\n}\n"


# --- RIS ------------------------------------------------------------------------------------------

def _read_ris(path: Path, text: str) -> tuple[list[LibraryEntry], list[str]]:
    import rispy

    starts = [i + 1 for i, line in enumerate(text.splitlines()) if line.startswith("TY  -")]
    try:
        records = rispy.loads(text, list_tags=[*rispy.LIST_TYPE_TAGS, "L1", "L2", "DO"])
    except Exception as e:  # rispy raises IOError and friends on broken records
        raise ConfigError(f"{path}: not a readable RIS file ({e}); export it again from the reference manager") from e
    if not records:
        raise ConfigError(f"{path}: no RIS records (each starts with a 'TY  - ' line)")
    entries = []
    for i, rec in enumerate(records):
        authors = [str(a) for a in rec.get("authors") or rec.get("first_authors") or []]
        title = str(rec.get("title") or rec.get("primary_title") or "")
        year = _year(rec.get("year") or rec.get("publication_year") or rec.get("date"))
        links = [str(v) for v in (rec.get("file_attachments1") or []) + (rec.get("file_attachments2") or [])]
        urls = [str(u) for u in rec.get("urls") or []]
        urls += [v for v in links if v.startswith(("http://", "https://"))]
        files = [v for v in links if not v.startswith(("http://", "https://")) and v.lower().endswith(".pdf")]
        given = str(rec.get("id") or "")
        key_ok = bool(re.match(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", given))
        dois = rec.get("doi") or []
        entries.append(LibraryEntry(
            key=given if key_ok else make_key(authors, title, year), title=" ".join(title.split()), year=year,
            authors=" and ".join(authors), publisher=str(rec.get("publisher") or ""),
            doi=normalise_doi(str(dois[0]) if dois else ""), url=urls[0] if urls else "",
            attachments=tuple(files), line=starts[i] if i < len(starts) else 0, key_given=key_ok,
        ))
    return entries, []


# --- CSL-JSON -------------------------------------------------------------------------------------

def _csl_name(name: dict[str, Any]) -> str:
    if name.get("literal"):
        return str(name["literal"])
    return ", ".join(p for p in (str(name.get("family", "")), str(name.get("given", ""))) if p)


def _csl_year(issued: Any) -> int | None:
    if isinstance(issued, dict):
        parts = issued.get("date-parts") or []
        if parts and parts[0]:
            return _year(parts[0][0])
        return _year(issued.get("raw") or issued.get("literal"))
    return _year(issued)


def _read_csl(path: Path, text: str) -> tuple[list[LibraryEntry], list[str]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}:{e.lineno}: not valid JSON ({e.msg}); export the library as CSL JSON again") from e
    items = data.get("items", [data]) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ConfigError(f"{path}: CSL-JSON must be a list of items")
    lines = [text.count("\n", 0, m.start()) + 1 for m in re.finditer(r"^\s{0,4}\{", text, flags=re.MULTILINE)]
    entries, problems = [], []
    for i, item in enumerate(items):
        line = lines[i] if i < len(lines) and len(lines) == len(items) else 0
        if not isinstance(item, dict):
            problems.append(f"{path}: item {i + 1}: not a JSON object; skipped")
            continue
        authors = [_csl_name(a) for a in item.get("author") or item.get("editor") or [] if isinstance(a, dict)]
        title, year = " ".join(str(item.get("title", "")).split()), _csl_year(item.get("issued"))
        noted = re.search(r"Citation Key:\s*(\S+)", str(item.get("note", "")))
        given = str(item.get("citation-key") or item.get("citation_key") or (noted.group(1) if noted else "")
                    or item.get("id") or "")
        key_ok = bool(re.match(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", given))
        entries.append(LibraryEntry(
            key=given if key_ok else make_key(authors, title, year), title=title, year=year,
            authors=" and ".join(authors), publisher=str(item.get("publisher", "")),
            doi=normalise_doi(str(item.get("DOI", ""))), url=str(item.get("URL", "")), attachments=(),
            line=line, key_given=key_ok,
        ))
    return entries, problems
