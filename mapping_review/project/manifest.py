"""The corpus manifest: which guides a review reads, with their facts and file hashes.

``corpus/manifest.yaml`` holds one entry per guide. Like a pooch registry,
the tool writes each file's sha256 when the guide is added and checks it
before every use. A guide may have metadata and no file yet.

Loading is lenient per entry: a typo or a duplicate key makes that entry a
:class:`ManifestProblem` (with its line) and the other guides carry on.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapping_review.errors import ConfigError, ManifestError
from mapping_review.files import folder_lock, replacing
from mapping_review.project.yamlfile import Located, load_yaml, suggest

KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
HEADER = """\
# The guides of this review. `mapping-review corpus add PDF --key KEY` adds one and
# records its sha256; `mapping-review corpus verify` checks the files against it.
# Fields: key (citation key), label (short name for figures), title, year, publisher,
# authors, url, doi, file (relative to this folder), sha256, password (for PDFs that need
# a user password).
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

    def path(self, corpus_dir: Path) -> Path | None:
        """Where the guide's PDF is, or None when the entry has no file."""
        return (corpus_dir / self.file) if self.file else None

    def to_entry(self) -> dict[str, Any]:
        """The manifest entry: fields that are set, in a fixed order."""
        return {k: v for k, v in self.model_dump().items() if v not in ("", None)}


@dataclass(frozen=True)
class ManifestProblem:
    """An entry that cannot be used, and why."""

    line: int
    key: str
    message: str


@dataclass(frozen=True)
class Manifest:
    path: Path
    guides: tuple[Guide, ...]
    problems: tuple[ManifestProblem, ...]
    lines: dict[str, int]  # key -> line of its entry

    def get(self, key: str) -> Guide | None:
        return next((g for g in self.guides if g.key == key), None)


def _describe(error: Any, fields: list[str]) -> tuple[tuple[Any, ...], str]:
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
        return None, [ManifestProblem(line, "?", f"{located.path}:{line}: an entry must be a mapping of fields")]
    key = str(raw.get("key", "?"))
    try:
        return Guide.model_validate(raw), []
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc, what = _describe(err, list(Guide.model_fields))
            where = located.line((*base, *loc))
            problems.append(ManifestProblem(where, key, f"{located.path}:{where}: guide {key!r}: {what}"))
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
    lines: dict[str, int] = {}
    for index, raw in enumerate(entries):
        guide, found = _check_entry(located, index, raw)
        problems.extend(found)
        if guide is not None:
            guides.append(guide)
            lines.setdefault(guide.key, located.line(("guides", index)))
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


def _entry_yaml(guide: Guide) -> str:
    text = yaml.safe_dump([guide.to_entry()], sort_keys=False, allow_unicode=True, width=200)
    return "".join("  " + line + "\n" for line in text.splitlines())


@contextmanager
def manifest_lock(path: Path) -> Iterator[None]:
    """Hold while reading, changing and writing the manifest: concurrent edits wait for each other."""
    with folder_lock(path.parent):
        yield


def _ruamel() -> Any:
    from ruamel.yaml import YAML  # round-trip YAML: keeps comments, quotes and layout

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def _set_fields(entry: Any, fields: dict[str, Any]) -> None:
    """Give a round-trip mapping ``fields`` exactly; comments stay where they were (a comment after
    the last field - usually the next entry's - stays after the entry)."""
    for name in [k for k in entry if k not in fields]:
        _move_comment_back(entry, name)
        del entry[name]
    for name, value in fields.items():
        if name in entry:
            entry[name] = value
            continue
        last = list(entry)[-1]
        entry[name] = value
        slot = entry.ca.items.get(last)
        if slot and len(slot) > 2 and slot[2] is not None:
            inline, newline, rest = slot[2].value.partition("\n")
            if rest.strip():
                moved = copy.copy(slot[2])
                moved.value = "\n" + rest
                slot[2].value = inline + newline
                entry.ca.items[name] = [None, None, moved, None]


def _move_comment_back(entry: Any, name: str) -> None:
    """Before ``name`` goes: the comment lines after it move to the field before it."""
    slot = entry.ca.items.pop(name, None)
    keys = list(entry)
    if not slot or len(slot) < 3 or slot[2] is None or keys.index(name) == 0:
        return
    rest = slot[2].value.partition("\n")[2]
    if not rest.strip():
        return
    previous = keys[keys.index(name) - 1]
    target = entry.ca.items.get(previous)
    if target and len(target) > 2 and target[2] is not None:
        target[2].value += rest
    else:
        moved = copy.copy(slot[2])
        moved.value = "\n" + rest
        entry.ca.items[previous] = [None, None, moved, None]


def _edited(text: str, guide: Guide) -> str:
    rt = _ruamel()
    data = rt.load(text)
    for entry in data["guides"]:
        if isinstance(entry, dict) and str(entry.get("key")) == guide.key:
            _set_fields(entry, guide.to_entry())
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()


def _write_checked(path: Path, before: Manifest, text: str, guide: Guide) -> None:
    """Replace the manifest with ``text`` in one step, only once it reads back as ``before`` with
    ``guide`` in it and every other entry unchanged; otherwise the file is left as it was."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
        after = load_manifest(tmp)
        others = [g for g in before.guides if g.key != guide.key]
        if after.get(guide.key) != guide or [g for g in after.guides if g.key != guide.key] != others:
            msg = f"{path}: the entry for {guide.key!r} could not be written cleanly; the file is unchanged"
            raise ManifestError(msg)


def update_guide(path: Path, guide: Guide) -> None:
    """Change one entry in place, keeping every other line and every comment of the file."""
    with manifest_lock(path):
        manifest = load_manifest(path)
        if manifest.get(guide.key) is None:
            raise ManifestError(f"{path}: no guide {guide.key!r} to update")
        _write_checked(path, manifest, _edited(path.read_text(encoding="utf-8"), guide), guide)


def append_guide(path: Path, guide: Guide) -> None:
    """Add an entry at the end, keeping the file's comments and layout; refuses a key already there."""
    with manifest_lock(path):
        original = path.read_text(encoding="utf-8") if path.exists() else ""
        manifest = load_manifest(path) if original else Manifest(path, (), (), {})
        if manifest.get(guide.key) is not None or any(p.key == guide.key for p in manifest.problems):
            line = manifest.lines.get(guide.key, "?")
            raise ManifestError(f"{path}:{line}: guide {guide.key!r} already exists; pass --replace to replace it")
        text = original or HEADER + "guides:\n"
        if re.search(r"^guides:\s*(\[\s*\]|null|~)?\s*$", text, flags=re.MULTILINE) is None:
            msg = f"{path}: cannot find a `guides:` line to add the entry under; fix the manifest by hand"
            raise ManifestError(msg)
        text = re.sub(r"^guides:\s*(\[\s*\]|null|~)\s*$", "guides:", text, flags=re.MULTILINE)
        if not text.endswith("\n"):
            text += "\n"
        _write_checked(path, manifest, text + _entry_yaml(guide), guide)
