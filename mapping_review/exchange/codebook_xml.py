"""The codebook in REFI-QDA: our features and sub-values as a code tree, and back.

Each code gets a GUID made from its id, so every export names it the same way; its description
holds the definition, the include/exclude notes, the examples and a last ``Code id:`` line.
Imported code trees are mapped onto ``codebook.yaml`` by GUID, by that id line, or by name
(``Feature > Sub-value`` paths; ATLAS.ti's flat ``Parent::Child`` names are split first), and can
be written as a draft ``codebook.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

from mapping_review.coding.codebook import Codebook, load_codebook
from mapping_review.errors import ConfigError
from mapping_review.exchange.qdaxml import localname, norm_guid, stable_guid

# Distinct colours (one per feature, shared by its sub-values), in codebook order.
PALETTE = ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22",
           "#17BECF", "#AEC7E8", "#FFBB78", "#98DF8A", "#FF9896", "#C5B0D5", "#C49C94", "#F7B6D2", "#C7C7C7",
           "#DBDB8D", "#9EDAE5")
_SECTIONS = {"include:": "include", "exclude:": "exclude", "examples:": "examples"}
_ID_LINE = re.compile(r"^Code id:\s*(\S+)\s*$")


def code_guid(code_id: str) -> str:
    return stable_guid("code", code_id)


def code_description(definition: str, include: tuple[str, ...], exclude: tuple[str, ...],
                     examples: tuple[str, ...], code_id: str) -> str:
    parts = [" ".join(definition.split())]
    for title, items in (("Include", include), ("Exclude", exclude), ("Examples", examples)):
        if items:
            parts.append(f"{title}:\n" + "\n".join(f"- {' '.join(i.split())}" for i in items))
    parts.append(f"Code id: {code_id}")
    return "\n\n".join(parts)


@dataclass(frozen=True)
class Described:
    definition: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    code_id: str = ""


_BULLETS = ("- ", "* ", "\u2022 ")  # list items as we write them, and as other programs' users often do


def parse_description(text: str) -> Described:
    """The parts of a description written by :func:`code_description`; any other text is the definition."""
    definition: list[str] = []
    lists: dict[str, list[str]] = {"include": [], "exclude": [], "examples": []}
    current, code_id = "", ""
    for line in text.splitlines():
        stripped = line.strip()
        found = _ID_LINE.match(stripped)
        if found:
            code_id = found.group(1)
        elif stripped.casefold() in _SECTIONS:
            current = _SECTIONS[stripped.casefold()]
        elif current and stripped[:2] in _BULLETS:
            lists[current].append(stripped[2:].strip())
        elif stripped:  # any other text (a list ends at a line that is not an item): the definition, never lost
            current = ""
            definition.append(stripped)
    return Described(" ".join(definition), tuple(lists["include"]), tuple(lists["exclude"]),
                     tuple(lists["examples"]), code_id)


def codebook_to_codes(codebook: Codebook, ns: str) -> Any:
    """The ``<Codes>`` element: one code per feature, its sub-values inside it."""
    codes = etree.Element(f"{{{ns}}}Codes")
    for i, feature in enumerate(codebook.features):
        colour = PALETTE[i % len(PALETTE)]
        parent = _code(codes, ns, feature.id, feature.label, colour, codable=not feature.codes,
                       description=code_description(feature.definition, feature.include, feature.exclude,
                                                    feature.examples, feature.id))
        for sub in feature.codes:
            code_id = f"{feature.id}/{sub.id}"
            _code(parent, ns, code_id, sub.label, colour, codable=True,
                  description=code_description(sub.definition, sub.include, sub.exclude, sub.examples, code_id))
    return codes


def _code(parent: Any, ns: str, code_id: str, name: str, colour: str, *, codable: bool, description: str) -> Any:
    element = etree.SubElement(parent, f"{{{ns}}}Code", {"guid": code_guid(code_id), "name": name,
                                                         "isCodable": "true" if codable else "false", "color": colour})
    etree.SubElement(element, f"{{{ns}}}Description").text = description
    return element


@dataclass(frozen=True)
class ImportedCode:
    guid: str  # normalised (lower case, no braces)
    name: str
    path: tuple[str, ...]  # names from the top of the tree
    description: str
    codable: bool
    line: int


def read_codes(codes: Any, where: str) -> tuple[list[ImportedCode], list[str]]:
    """The code tree under ``<Codes>``, flattened with paths; duplicate GUIDs (or a code inside
    itself) and duplicate names are problems."""
    out: list[ImportedCode] = []
    problems: list[str] = []

    def walk(element: Any, path: tuple[str, ...], ancestors: tuple[str, ...]) -> None:
        for child in element:
            if not isinstance(child.tag, str) or localname(child) != "Code":
                continue
            name = " ".join(str(child.get("name", "")).split())
            parts = tuple(p.strip() for p in name.split("::")) if not path and "::" in name else (name,)
            guid = norm_guid(str(child.get("guid", "")))
            if guid in ancestors:
                problems.append(f"{where}:{child.sourceline}: code {name!r} contains itself (GUID {guid}): a cycle")
                continue
            desc = next((str(d.text or "") for d in child if isinstance(d.tag, str) and localname(d) == "Description"), "")
            codable = str(child.get("isCodable", "true")).lower() in ("true", "1")
            out.append(ImportedCode(guid, parts[-1], (*path, *parts), desc, codable, child.sourceline or 0))
            walk(child, (*path, *parts), (*ancestors, guid))

    walk(codes, (), ())
    seen_guid: dict[str, int] = {}
    seen_path: dict[tuple[str, ...], int] = {}
    for code in out:
        if code.guid in seen_guid:
            problems.append(f"{where}:{code.line}: code GUID {code.guid} is used twice (also line {seen_guid[code.guid]})")
        seen_guid.setdefault(code.guid, code.line)
        folded = tuple(p.casefold() for p in code.path)
        if folded in seen_path:
            problems.append(f"{where}:{code.line}: duplicate code name {' > '.join(code.path)!r} (also line "
                            f"{seen_path[folded]}); codings on it are mapped by GUID only")
        seen_path.setdefault(folded, code.line)
    return _add_missing_parents(out), problems


def _add_missing_parents(codes: list[ImportedCode]) -> list[ImportedCode]:
    """ATLAS.ti's ``A::B`` names a parent ``A`` that may not exist as a code of its own."""
    have = {tuple(p.casefold() for p in c.path) for c in codes}
    out = list(codes)
    for code in codes:
        for depth in range(1, len(code.path)):
            prefix = code.path[:depth]
            if tuple(p.casefold() for p in prefix) not in have:
                have.add(tuple(p.casefold() for p in prefix))
                out.append(ImportedCode(stable_guid("parent", *prefix).lower(), prefix[-1], prefix, "", False, code.line))
    return out


@dataclass
class CodeMapping:
    """Imported code GUID -> our code id; what did not map; features with sub-values that were
    used as codes themselves (``containers``)."""

    codes: dict[str, str] = field(default_factory=dict)
    containers: dict[str, str] = field(default_factory=dict)
    unmapped: list[ImportedCode] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def map_codes(imported: list[ImportedCode], codebook: Codebook, problems: list[str]) -> CodeMapping:
    """Map an imported code tree onto ``codebook`` (GUID, ``Code id:`` line, then name)."""
    mapping = CodeMapping(problems=list(problems))
    by_guid = {norm_guid(code_guid(c.id)): c.id for c in codebook.codes}
    by_guid.update({norm_guid(code_guid(f.id)): f.id for f in codebook.features if f.codes})
    by_guid.update({norm_guid(code_guid(old)): new for old, new in codebook.renamed.items()})  # written before a rename
    containers = {f.id for f in codebook.features if f.codes}
    by_path: dict[tuple[str, ...], str] = {}
    for f in codebook.features:
        for name in (f.label, f.id):
            by_path[(_fold(name),)] = f.id
        for sub in f.codes:
            for a in (f.label, f.id):
                for b in (sub.label, sub.id):
                    by_path[(_fold(a), _fold(b))] = f"{f.id}/{sub.id}"
    known_ids = set(codebook.by_id) | containers
    duplicated = {tuple(_fold(p) for p in c.path) for c in imported
                  if sum(tuple(_fold(p) for p in d.path) == tuple(_fold(p) for p in c.path) for d in imported) > 1}
    for code in imported:
        folded = tuple(_fold(p) for p in code.path)
        noted = parse_description(code.description).code_id
        noted = codebook.current_id(noted) if noted else noted
        target = by_guid.get(code.guid) or (noted if noted in known_ids else None)
        if target is None and folded not in duplicated:
            target = by_path.get(folded) or by_path.get((_fold(code.name),)) or (
                code.name if code.name in known_ids else None)
        if target is None:
            mapping.unmapped.append(code)
        elif target in containers:
            mapping.containers[code.guid] = target
        else:
            mapping.codes[code.guid] = target
    return mapping


def _slug(text: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_") or "code"
    base = base if base[0].isalpha() else f"c_{base}"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}_{n}"
    taken.add(slug)
    return slug


def draft_codebook(imported: list[ImportedCode], *, name: str, origin: str) -> dict[str, Any]:
    """A ``codebook.yaml`` document from an imported tree: top-level codes are features, everything
    below a feature is one of its sub-values (deeper levels joined with ``>``). Patterns are empty."""
    placeholder = f"(no description in {origin}; write the definition)"
    features: list[dict[str, Any]] = []
    feature_ids: set[str] = set()
    tops = [c for c in imported if len(c.path) == 1]
    for top in sorted(tops, key=lambda c: c.line):
        about = parse_description(top.description)
        fid = about.code_id if re.fullmatch(r"[a-z][a-z0-9_]*", about.code_id) and about.code_id not in feature_ids \
            else _slug(top.name, feature_ids)
        feature_ids.add(fid)
        entry = _described({"id": fid, "label": top.name}, about, placeholder)
        below = sorted((c for c in imported if len(c.path) > 1 and c.path[0] == top.path[0]), key=lambda c: c.line)
        sub_ids: set[str] = set()
        subs = []
        for sub in below:
            sub_about = parse_description(sub.description)
            wanted = sub_about.code_id.rpartition("/")[2]
            sid = wanted if re.fullmatch(r"[a-z][a-z0-9_]*", wanted) and wanted not in sub_ids \
                else _slug(" ".join(sub.path[1:]), sub_ids)
            sub_ids.add(sid)
            subs.append(_described({"id": sid, "label": " > ".join(sub.path[1:])}, sub_about, placeholder))
        if subs:
            entry["codes"] = subs
        features.append(entry)
    return {"name": name or "imported", "version": "1",
            "description": f"Imported from {origin}; add patterns for the rule coder.", "features": features}


def _described(entry: dict[str, Any], about: Described, placeholder: str) -> dict[str, Any]:
    entry["definition"] = about.definition or placeholder
    for key in ("include", "exclude", "examples"):
        if getattr(about, key):
            entry[key] = list(getattr(about, key))
    return entry


def write_draft(path: Path, document: dict[str, Any]) -> Path:
    """Write a draft codebook (never over an existing file) and check that it loads."""
    if path.exists():
        raise ConfigError(f"{path} exists; choose another file for the draft codebook")
    header = "# Draft codebook imported from a REFI-QDA file: check the definitions and add patterns.\n"
    path.write_text(header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")
    try:
        load_codebook(path)
    except ConfigError as e:
        path.unlink()
        raise ConfigError(f"the imported codebook does not make a valid codebook.yaml: {e}") from e
    return path
