"""REFI-QDA files on disk: namespaces, stable GUIDs, the two schemas, and ``.qdpx`` archives.

A ``.qdpx`` is a ZIP holding ``project.qde`` (QDA-XML, ``urn:QDA-XML:project:1.0``) and a flat
``sources/`` folder; a ``.qdc`` is one XML file (``urn:QDA-XML:codebook:1.0``). Reading is
tolerant of what real programs write - one ``*.qde`` under another name, member names in another
case, namespace variants, ``internal://`` and plain relative paths - and strict about the schema:
XML that fails it is refused with its line.
"""

from __future__ import annotations

import uuid
import zipfile
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from lxml import etree

from mapping_review.errors import ConfigError

NS_PROJECT = "urn:QDA-XML:project:1.0"
NS_CODEBOOK = "urn:QDA-XML:codebook:1.0"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = {
    NS_PROJECT: f"{NS_PROJECT} http://schema.qdasoftware.org/versions/Project/v1.0/Project.xsd",
    NS_CODEBOOK: f"{NS_CODEBOOK} http://schema.qdasoftware.org/versions/Codebook/v1.0/Codebook.xsd",
}
# Namespaces seen in the wild for the same schemas (ATLAS.ti 23.4, third-party exporters).
VARIANTS = {
    NS_PROJECT: ("urn:QDA-XML:project:1:0", "urn:QDA-XML:project:0:4", ""),
    NS_CODEBOOK: ("urn:QDA-XML:codebook:1:0", "urn:QDA-XML:codebook:0:4", "", NS_PROJECT),
}
SCHEMAS = Path(__file__).parent / "schemas"
_GUID_SPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:mapping-review:refi-qda")


def stable_guid(kind: str, *parts: str) -> str:
    """The same GUID for the same thing on every export: a UUID5 of its kind and identity."""
    return str(uuid.uuid5(_GUID_SPACE, "\x1f".join((kind, *parts)))).upper()


def same_guid(a: str, b: str) -> bool:
    return a.strip("{}").lower() == b.strip("{}").lower()


def norm_guid(value: str) -> str:
    return value.strip().strip("{}").lower()


@cache
def schema(name: str) -> Any:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def parse_xml(data: bytes, where: str) -> Any:
    """The root element of ``data``; no entities, no network (files come from elsewhere)."""
    if data.startswith(b"PK\x03\x04"):
        msg = f"{where}: a ZIP archive, not XML; a REFI-QDA project (.qdpx) is read with 'import qdpx'"
        raise ConfigError(msg)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        line = e.position[0] if e.position else "?"
        raise ConfigError(f"{where}:{line}: not well-formed XML ({e.msg}); export the file again") from e
    entity = next((e for e in root.iter() if isinstance(e, etree._Entity)), None)
    if entity is not None:  # left unresolved, it would vanish from the text and upset the schema check
        msg = (f"{where}:{entity.sourceline}: the XML uses the entity &{entity.name}; (declared in its DOCTYPE); "
               "QDA-XML files do not use entities - replace it with the text it stands for, or export the file again")
        raise ConfigError(msg)
    return root


def localname(element: Any) -> str:
    return str(etree.QName(element).localname)


def canonical_namespace(root: Any, expected: str, where: str) -> tuple[Any, str]:
    """``root`` in the ``expected`` namespace; a known variant is rewritten (and a warning returned)."""
    found = etree.QName(root).namespace or ""
    if found == expected:
        return root, ""
    if found not in VARIANTS[expected]:
        msg = f"{where}:{root.sourceline}: root element is in namespace {found!r}, expected {expected!r}"
        raise ConfigError(msg)
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = f"{{{expected}}}{localname(element)}"
    etree.cleanup_namespaces(root)
    return root, f"{where}: namespace {found or '(none)'!r} read as {expected!r}"


def validate(root: Any, schema_name: str, where: str) -> None:
    """Raise listing every schema error (file and line) when ``root`` does not validate."""
    checker = schema(schema_name)
    if checker.validate(root):
        return
    errors = [f"{where}:{e.line}: {e.message}" for e in checker.error_log]
    more = f"\n... and {len(errors) - 10} more" if len(errors) > 10 else ""
    msg = f"{where} does not validate against {schema_name}:\n" + "\n".join(errors[:10]) + more
    raise ConfigError(msg + "\nNothing was imported.")


def element_text(element: Any, name: str, ns: str) -> str:
    child = element.find(f"{{{ns}}}{name}")
    return str(child.text or "") if child is not None else ""


def _starts_as_xml(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


class Archive:
    """A ``.qdpx`` opened for reading: its ``project.qde`` and the files it refers to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise ConfigError(f"{path}: file not found")
        if not zipfile.is_zipfile(path):
            hint = " (this is XML: a codebook .qdc is read with 'import qdc')" if _starts_as_xml(path) else ""
            raise ConfigError(f"{path}: not a ZIP archive; a .qdpx is a ZIP holding project.qde and sources/{hint}")
        self.zip = zipfile.ZipFile(path)
        self.names = {n.lower(): n for n in self.zip.namelist()}
        root_qde = [n for n in self.zip.namelist() if "/" not in n.strip("/") and n.lower().endswith(".qde")]
        preferred = [n for n in root_qde if n.lower() == "project.qde"]
        if preferred or len(root_qde) == 1:
            self.qde_name = (preferred or root_qde)[0]
        elif root_qde:
            raise ConfigError(f"{path}: several .qde files ({', '.join(sorted(root_qde))}) and no project.qde")
        else:
            raise ConfigError(f"{path}: no project.qde in the archive; export the project from the QDA program again")

    def qde(self) -> bytes:
        return self.zip.read(self.qde_name)

    def member(self, written: str, *, base_path: str = "") -> bytes | None:
        """The bytes a source path names: ``internal://X`` or a bare name in ``sources/``,
        ``relative://`` or ``absolute://`` files on disk when they are there; None when missing."""
        if written.startswith(("relative://", "absolute://")):
            rest = written.split("://", 1)[1].lstrip("/")
            if written.startswith("relative://") and not base_path:
                return None
            disk = Path(base_path) / rest if written.startswith("relative://") else Path("/" + rest)
            return disk.read_bytes() if disk.is_file() else None
        name = written.removeprefix("internal://").lstrip("/")
        for candidate in (f"sources/{name}", name, f"sources/{PurePosixPath(name).name}"):
            found = self.names.get(candidate.lower())
            if found is not None:
                return self.zip.read(found)
        return None

    def close(self) -> None:
        self.zip.close()


def decode_text(data: bytes) -> str:
    """A plain-text source: UTF-8 (the standard), with or without BOM; UTF-16 when it has a BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig", errors="replace")
