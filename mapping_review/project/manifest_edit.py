"""Changing the manifest: one entry at a time, every comment and the file's own layout kept.

Edits go through ruamel.yaml's round-trip mode with the file's own indentation. Each edit is
written to a temporary file, read back, and put in place in one step only when it reads back with
the new entry and every other entry unchanged; otherwise the manifest stays as it was. Edits hold
a lock on the corpus folder, so concurrent ``corpus add`` runs wait for each other.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from mapping_review.errors import ManifestError
from mapping_review.files import folder_lock, replacing
from mapping_review.project.manifest import HEADER, Guide, Manifest, load_manifest
from mapping_review.project.yamlfile import load_yaml, suggest


@contextmanager
def manifest_lock(path: Path) -> Iterator[None]:
    """Hold while reading, changing and writing the manifest (not re-entrant: take it once)."""
    with folder_lock(path.parent):
        yield


def _load(text: str) -> tuple[Any, Any]:
    from ruamel.yaml import YAML  # round-trip YAML: keeps comments, quotes and layout
    from ruamel.yaml.util import load_yaml_guess_indent

    _, sequence, offset = load_yaml_guess_indent(text or "guides:\n")
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096
    sequence, offset = (4, 2) if sequence is None else (sequence, offset or 0)
    rt.indent(mapping=max(sequence - offset, 2), sequence=sequence, offset=offset)
    return rt, rt.load(text or HEADER + "guides:\n")


def _dump(rt: Any, data: Any) -> str:
    out = io.StringIO()
    rt.dump(data, out)
    return out.getvalue()


def _scalar(value: Any) -> Any:
    """A value as ruamel should write it: text that a YAML 1.1 reader would take for something
    else (``Yes``, ``off``, ``1:20``, ``2020``) is quoted."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str) and yaml.safe_load(value) != value:
        return DoubleQuotedScalarString(value)
    return value


def _trailing(mapping: Any) -> tuple[Any, str]:
    """The comment lines after a mapping's last value (they belong to what follows it), split off."""
    keys = list(mapping)
    slot = mapping.ca.items.get(keys[-1]) if keys else None
    if not slot or len(slot) < 3 or slot[2] is None:
        return None, ""
    inline, newline, rest = slot[2].value.partition("\n")
    if not rest.strip():
        return None, ""
    slot[2].value = inline + newline
    return slot[2], rest


def _attach(mapping: Any, token: Any, rest: str) -> None:
    moved = copy.copy(token)
    moved.value = "\n" + rest
    mapping.ca.items[list(mapping)[-1]] = [None, None, moved, None]


def _set_fields(entry: Any, fields: dict[str, Any]) -> None:
    """Give a round-trip mapping ``fields`` exactly; comments stay where they were."""
    for name in [k for k in entry if k not in fields]:
        _move_comment_back(entry, name)
        del entry[name]
    for name, value in fields.items():
        if name in entry:
            entry[name] = _scalar(value)
            continue
        token, rest = _trailing(entry)
        entry[name] = _scalar(value)
        if token is not None:
            _attach(entry, token, rest)


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
        _attach_to(entry, previous, slot[2], rest)


def _attach_to(entry: Any, key: str, token: Any, rest: str) -> None:
    moved = copy.copy(token)
    moved.value = "\n" + rest
    entry.ca.items[key] = [None, None, moved, None]


def _write_checked(path: Path, before: Manifest, text: str, guide: Guide) -> None:
    """Replace the manifest with ``text`` in one step, only once it reads back as ``before`` with
    ``guide`` in it and every other entry unchanged; otherwise the file is left as it was."""
    unchanged = f"the entry for {guide.key!r} could not be written cleanly; the file is unchanged"
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
        try:
            after = load_manifest(tmp)
        except ManifestError as e:
            raise ManifestError(f"{path}: {unchanged} ({str(e).replace(str(tmp), path.name)})") from e
        others = [g for g in before.guides if g.key != guide.key]
        if after.get(guide.key) != guide or [g for g in after.guides if g.key != guide.key] != others:
            raise ManifestError(f"{path}: {unchanged}")


def update_unlocked(path: Path, guide: Guide) -> None:
    """Change one entry in place (the caller holds :func:`manifest_lock`)."""
    manifest = load_manifest(path)
    if manifest.get(guide.key) is None:
        raise ManifestError(f"{path}: no guide {guide.key!r} to update")
    rt, data = _load(path.read_text(encoding="utf-8"))
    for entry in data["guides"]:
        if isinstance(entry, dict) and str(entry.get("key")) == guide.key:
            _set_fields(entry, guide.to_entry())
    _write_checked(path, manifest, _dump(rt, data), guide)


def append_unlocked(path: Path, guide: Guide) -> None:
    """Add an entry at the end, refusing a key already there (the caller holds :func:`manifest_lock`)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    text = path.read_text(encoding="utf-8") if path.exists() else ""
    manifest = load_manifest(path) if text else Manifest(path, (), (), {})
    if manifest.get(guide.key) is not None or any(p.key == guide.key for p in manifest.problems):
        line = manifest.lines.get(guide.key, next((p.line for p in manifest.problems if p.key == guide.key), "?"))
        raise ManifestError(f"{path}:{line}: guide {guide.key!r} already exists; pass --replace to replace it")
    rt, data = _load(text)
    if not isinstance(data, dict) or ("guides" in data and not isinstance(data["guides"], (list, type(None)))):
        raise ManifestError(f"{path}: cannot find a `guides:` list to add the entry to; fix the manifest by hand")
    if not data.get("guides"):
        data["guides"] = CommentedSeq()
    entries = data["guides"]
    entry = CommentedMap((k, _scalar(v)) for k, v in guide.to_entry().items())
    token, rest = _trailing(entries[-1]) if entries and isinstance(entries[-1], dict) else (None, "")
    entries.append(entry)
    if token is not None:
        _attach(entry, token, rest)
    _write_checked(path, manifest, _dump(rt, data), guide)


def update_guide(path: Path, guide: Guide) -> None:
    """Change one entry in place, keeping every other line and every comment of the file."""
    with manifest_lock(path):
        update_unlocked(path, guide)


def append_guide(path: Path, guide: Guide) -> None:
    """Add an entry at the end, keeping the file's comments and layout; refuses a key already there."""
    with manifest_lock(path):
        append_unlocked(path, guide)


def set_guide_fields(path: Path, key: str, **changes: Any) -> Guide:
    """Change some fields of one guide as it is in the file now (a concurrent edit of its other
    fields is kept); returns the guide as written."""
    with manifest_lock(path):
        current = load_manifest(path).get(key)
        if current is None:
            raise ManifestError(f"{path}: no guide {key!r} to update")
        guide = Guide.model_validate({**current.model_dump(), **changes})
        update_unlocked(path, guide)
        return guide


def remove_entry(path: Path, key: str) -> None:
    """Take guide ``key``'s entry (or entries, when the key is there twice) out of the manifest: the lines of
    the entry itself, its own comments among them; every other line stays as it is - comment lines after
    the entry belong to what follows it. The file changes only when it reads back with every other entry
    (and every other entry's problem) as it was."""
    with manifest_lock(path):
        before = load_manifest(path)
        text = path.read_text(encoding="utf-8")
        located = load_yaml(path)  # the same reading of keys as the manifest's (``key: yes`` is True)
        entries = (located.data.get("guides") if isinstance(located.data, dict) else None) or []
        found = [i for i, e in enumerate(entries) if isinstance(e, dict) and str(e.get("key")) == key]
        if not found:
            known = [g.key for g in before.guides] + [p.key for p in before.problems if p.key]
            raise ManifestError(f"{path}: no guide {key!r} to remove{suggest(key, [k for k in known if k != key])}")
        lines = text.splitlines(keepends=True)
        for i in reversed(found):
            start = located.line(("guides", i)) - 1
            end = _entry_end(lines, start)
            if end is None:
                raise ManifestError(f"{path}:{start + 1}: the entry for {key!r} is not a '- key: ...' block; take it "
                                    "out by hand")
            del lines[start:end]
        others = [p.key for p in before.problems if p.key != key]
        unchanged = f"the entry for {key!r} could not be taken out cleanly; the file is unchanged"
        with replacing(path) as tmp:
            tmp.write_text("".join(lines), encoding="utf-8")
            try:
                after = load_manifest(tmp)
            except ManifestError as e:
                raise ManifestError(f"{path}: {unchanged} ({str(e).replace(str(tmp), path.name)})") from e
            if (after.get(key) is not None or list(after.guides) != [g for g in before.guides if g.key != key]
                    or [p.key for p in after.problems] != others):
                raise ManifestError(f"{path}: {unchanged}")


def _entry_end(lines: list[str], start: int) -> int | None:
    """The line after a block entry starting at ``start`` (``- key: ...``): lines indented deeper than its
    dash, with blank lines between them; None when the line is not such an entry."""
    head = lines[start]
    dash = len(head) - len(head.lstrip())
    if not head.lstrip().startswith("- "):
        return None
    end, at = start + 1, start + 1
    while at < len(lines):
        line = lines[at]
        if not line.strip():
            at += 1
            continue
        if len(line) - len(line.lstrip()) <= dash:
            break
        end = at = at + 1
    return end
