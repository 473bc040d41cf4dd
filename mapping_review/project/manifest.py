"""The corpus manifest: which guides a review reads, with their facts and file hashes.

``corpus/manifest.yaml`` holds one entry per guide. Like a pooch registry,
the tool writes each file's sha256 when the guide is added and checks it
before every use. A guide may have metadata and no file yet.

Loading is lenient per entry: a typo or a duplicate key makes that entry a
:class:`ManifestProblem` (with its line) and the other guides carry on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapping_review.errors import ConfigError, ManifestError
from mapping_review.project.yamlfile import Located, load_yaml, suggest

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
HEADER = """\
# The guides of this review. `mapping-review corpus add PDF --key KEY` adds one and
# records its sha256; `mapping-review corpus verify` checks the files against it.
# Fields: key (citation key), label (short name for figures), title, year, publisher,
# authors, url, doi, file (relative to this folder), sha256, password (for PDFs that need
# a user password), ocr (true: recognise the text of pages that are only images, with OCRmyPDF
# and Tesseract).
"""


class Guide(BaseModel):
    """One guide of the corpus."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=KEY_PATTERN)
    label: str = ""  # a short name for figures; the key when empty
    title: str = ""
    year: int | None = Field(default=None, ge=1800, le=2200)
    publisher: str = ""
    authors: str = ""
    url: str = ""
    doi: str = ""
    file: str = ""
    sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")
    password: str = ""
    ocr: bool = False  # OCR the pages that are only images (OCRmyPDF with Tesseract)

    def path(self, corpus_dir: Path) -> Path | None:
        """Where the guide's PDF is, or None when the entry has no file."""
        return (corpus_dir / self.file) if self.file else None

    def to_entry(self) -> dict[str, Any]:
        """The manifest entry: fields that are set, in a fixed order."""
        return {k: v for k, v in self.model_dump().items() if v not in ("", None) and v is not False}


@dataclass(frozen=True)
class ManifestProblem:
    """An entry that cannot be used, and why."""

    line: int
    key: str
    message: str
    entry: int = -1  # the entry's place in the list (-1: several entries, as for a duplicate key)


@dataclass(frozen=True)
class Manifest:
    path: Path
    guides: tuple[Guide, ...]
    problems: tuple[ManifestProblem, ...]
    lines: dict[str, int]  # key -> line of its entry

    def get(self, key: str) -> Guide | None:
        return next((g for g in self.guides if g.key == key), None)

    @property
    def kept_keys(self) -> set[str] | None:
        """The guides whose stage outputs are kept: those of the manifest, or every one (None) while an entry
        has a problem - which guide a broken entry means (a misspelt ``key:`` field, a duplicate) is for a
        person to say, so nothing is deleted until the manifest is mended."""
        return None if self.problems else {g.key for g in self.guides}

    @property
    def broken_entries(self) -> list[tuple[str, str]]:
        """(key, what is wrong) per guide that cannot be used: the several problems of an entry, or of the
        entries sharing a key, are one; entries without a key (``?``) are each their own."""
        by: dict[tuple[str, int], list[str]] = {}
        for p in self.problems:
            by.setdefault((p.key, p.entry) if p.key == "?" else (p.key, 0), []).append(p.message)
        return [(key, "; ".join(messages)) for (key, _), messages in by.items()]


def describe_problem(error: Any, fields: list[str]) -> tuple[tuple[Any, ...], str]:
    """Where in an entry a pydantic error is, and what is wrong there, said for a person."""
    loc = tuple(error["loc"])
    name = str(loc[0]) if loc else "?"
    if error["type"] == "extra_forbidden":
        return loc, f"unknown field {name!r}{suggest(name, fields)}"
    if error["type"] == "missing":
        return loc, f"missing field {name!r}"
    if error["type"] == "string_pattern_mismatch" and name == "key":
        return loc, f"key {error['input']!r} may only use letters, digits, '_', '-' and '.'"
    if name == "sha256":
        return loc, "sha256 must be 64 lower-case hex digits, in quotes (sha256: '...')"
    return loc, f"{name}: {error['msg']} (got {error.get('input')!r})"


def _check_entry(located: Located, index: int, raw: Any) -> tuple[Guide | None, list[ManifestProblem]]:
    base = ("guides", index)
    line = located.line(base)
    if not isinstance(raw, dict):
        return None, [ManifestProblem(line, "?", f"{located.path}:{line}: an entry must be a mapping of fields", index)]
    key = str(raw.get("key", "?"))
    try:
        return Guide.model_validate(raw), []
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc, what = describe_problem(err, list(Guide.model_fields))
            where = located.line((*base, *loc))
            problems.append(ManifestProblem(where, key, f"{located.path}:{where}: guide {key!r}: {what}", index))
        return None, problems


def load_manifest(path: Path) -> Manifest:
    """Read the manifest; raises only when the file as a whole is unusable."""
    try:
        located = load_yaml(path)
    except ManifestError:
        raise
    except ConfigError as e:
        raise ManifestError(str(e)) from e
    data = located.data if located.data is not None else {"guides": []}
    if not isinstance(data, dict):
        raise ManifestError(f"{path}:1: the manifest must be a mapping with a `guides:` list")
    unknown = [k for k in data if k != "guides"]
    if unknown:
        where = located.where((unknown[0],))
        raise ManifestError(f"{where}: unknown top-level field {unknown[0]!r}{suggest(unknown[0], ['guides'])}")
    entries = data.get("guides") or []
    if not isinstance(entries, list):
        raise ManifestError(f"{located.where(('guides',))}: `guides:` must be a list of entries")
    guides: list[Guide] = []
    problems: list[ManifestProblem] = []
    for index, raw in enumerate(entries):
        guide, found = _check_entry(located, index, raw)
        problems.extend(found)
        if guide is not None:
            guides.append(guide)
    return _drop_duplicates(path, guides, problems, located, entries)


def _drop_duplicates(
    path: Path, guides: list[Guide], problems: list[ManifestProblem], located: Located, entries: list[Any]
) -> Manifest:
    """Entries sharing a key are all set aside: which one is meant is for a person to say."""
    seen: dict[str, list[int]] = {}
    for index, raw in enumerate(entries):
        if isinstance(raw, dict) and "key" in raw:
            seen.setdefault(str(raw["key"]), []).append(located.line(("guides", index)))
    duplicated = {k: ls for k, ls in seen.items() if len(ls) > 1}
    for key, where in duplicated.items():
        listed = ", ".join(map(str, where))
        msg = f"{path}:{where[1]}: duplicate key {key!r} (lines {listed}); keys must be unique, rename or remove one"
        problems.append(ManifestProblem(where[1], key, msg))
    kept = tuple(g for g in guides if g.key not in duplicated)
    lines = {g.key: seen[g.key][0] for g in kept if g.key in seen}
    return Manifest(path=path, guides=kept, problems=tuple(sorted(problems, key=lambda p: p.line)), lines=lines)
