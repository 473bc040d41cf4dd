"""A REFI-QDA ``project.qde`` or ``.qdc`` read into plain records: users, the code tree, variables,
cases, notes, and every source with its selections and codings. The file is checked against the
schema first (after a known namespace variant is read as the standard one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mapping_review.exchange.codebook_xml import ImportedCode, read_codes
from mapping_review.exchange.qdaxml import (
    NS_CODEBOOK,
    NS_PROJECT,
    canonical_namespace,
    element_text,
    localname,
    norm_guid,
    parse_xml,
    validate,
)


@dataclass(frozen=True)
class QdaNote:
    guid: str
    name: str
    user: str
    time: str
    text: str


@dataclass(frozen=True)
class QdaCoding:
    guid: str
    code: str  # the code's GUID (normalised)
    user: str  # the coder's GUID (normalised), or ""
    time: str
    note: str  # the text of the notes on the coding


@dataclass(frozen=True)
class QdaSelection:
    guid: str
    name: str
    start: int  # text selections: code points in the source's plain text; -1 for a PDF area
    end: int
    page: int  # PDF selections: 1-based page; 0 when not known
    box: tuple[int, int, int, int] | None  # PDF selections: x1, y1, x2, y2 in PDF points from bottom left
    text: str  # the selection's own text, when the file gives one
    user: str
    codings: tuple[QdaCoding, ...]
    notes: tuple[QdaNote, ...]
    line: int


@dataclass
class QdaSource:
    guid: str
    kind: str  # TextSource or PDFSource (others are reported, not read)
    name: str
    path: str  # PDFSource: the PDF
    text_path: str  # the plain text (a TextSource's, or the PDF's representation)
    inline_text: str
    user: str
    selections: list[QdaSelection] = field(default_factory=list)
    codings: list[QdaCoding] = field(default_factory=list)  # codings of the whole source
    line: int = 0


@dataclass(frozen=True)
class QdaCase:
    guid: str
    name: str
    values: dict[str, str]  # variable GUID -> value as text ("true"/"false" for Booleans)
    sources: tuple[str, ...]
    line: int


@dataclass
class QdaProject:
    name: str = ""
    origin: str = ""
    base_path: str = ""
    creating_user: str = ""
    created: str = ""  # the project's creationDateTime (our export writes the time of export there)
    modified: str = ""  # its modifiedDateTime: no coding in it was made later
    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # GUID -> (name, id)
    codes: list[ImportedCode] = field(default_factory=list)
    code_problems: list[str] = field(default_factory=list)
    variables: dict[str, tuple[str, str]] = field(default_factory=dict)  # GUID -> (name, description)
    cases: list[QdaCase] = field(default_factory=list)
    sources: list[QdaSource] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    has_codebook: bool = False


def _children(element: Any, name: str) -> list[Any]:
    return [c for c in element if isinstance(c.tag, str) and localname(c) == name]


def _guid(element: Any, attr: str = "guid") -> str:
    return norm_guid(str(element.get(attr, "")))


def read_qdc(data: bytes, where: str) -> QdaProject:
    root, warning = canonical_namespace(parse_xml(data, where), NS_CODEBOOK, where)
    validate(root, "Codebook.xsd", where)
    out = QdaProject(origin=str(root.get("origin", "")), warnings=[warning] if warning else [], has_codebook=True)
    codes = _children(root, "Codes")
    out.codes, out.code_problems = read_codes(codes[0], where) if codes else ([], [])
    return out


def read_qde(data: bytes, where: str) -> QdaProject:
    root, warning = canonical_namespace(parse_xml(data, where), NS_PROJECT, where)
    validate(root, "Project.xsd", where)
    out = QdaProject(name=str(root.get("name", "")), origin=str(root.get("origin", "")),
                     base_path=str(root.get("basePath", "")), creating_user=_guid(root, "creatingUserGUID"),
                     created=str(root.get("creationDateTime", "")), modified=str(root.get("modifiedDateTime", "")),
                     warnings=[warning] if warning else [])
    for users in _children(root, "Users"):
        for user in _children(users, "User"):
            out.users[_guid(user)] = (str(user.get("name", "")), str(user.get("id", "")))
    for book in _children(root, "CodeBook"):
        out.has_codebook = True
        out.codes, out.code_problems = read_codes(_children(book, "Codes")[0], where)
    for variables in _children(root, "Variables"):
        for v in _children(variables, "Variable"):
            out.variables[_guid(v)] = (str(v.get("name", "")), element_text(v, "Description", NS_PROJECT))
    notes = {_guid(n): _note(n) for group in _children(root, "Notes") for n in _children(group, "Note")}
    for cases in _children(root, "Cases"):
        out.cases.extend(_case(c) for c in _children(cases, "Case"))
    for sources in _children(root, "Sources"):
        for element in sources:
            if not isinstance(element.tag, str):
                continue
            kind = localname(element)
            if kind in ("TextSource", "PDFSource"):
                out.sources.append(_source(element, kind, notes))
            else:
                out.warnings.append(f"{where}:{element.sourceline}: {kind} {element.get('name', '')!r} is not read "
                                    "(only text and PDF sources can hold a guide)")
    return out


def _note(element: Any) -> QdaNote:
    return QdaNote(_guid(element), str(element.get("name", "")), _guid(element, "creatingUser"),
                   str(element.get("creationDateTime", "")), element_text(element, "PlainTextContent", NS_PROJECT))


def _case(element: Any) -> QdaCase:
    values = {}
    for vv in _children(element, "VariableValue"):
        ref = _children(vv, "VariableRef")
        value = next((str(c.text or "").strip() for c in vv if isinstance(c.tag, str) and localname(c) != "VariableRef"), "")
        if ref:
            values[_guid(ref[0], "targetGUID")] = value
    refs = tuple(_guid(r, "targetGUID") for r in _children(element, "SourceRef"))
    return QdaCase(_guid(element), str(element.get("name", "")), values, refs, element.sourceline or 0)


def _codings(element: Any, notes: dict[str, QdaNote], user: str) -> tuple[QdaCoding, ...]:
    out = []
    for coding in _children(element, "Coding"):
        ref = _children(coding, "CodeRef")[0]
        text = "\n".join(notes[g].text for g in (_guid(r, "targetGUID") for r in _children(coding, "NoteRef")) if g in notes)
        out.append(QdaCoding(_guid(coding), _guid(ref, "targetGUID"), _guid(coding, "creatingUser") or user,
                             str(coding.get("creationDateTime", "")), text))
    return tuple(out)


def _selection(element: Any, notes: dict[str, QdaNote], user: str, *, pdf: bool) -> QdaSelection:
    user = _guid(element, "creatingUser") or user
    text = ""
    for rep in _children(element, "Representation"):
        text = element_text(rep, "PlainTextContent", NS_PROJECT)
    refs = [notes[g] for g in (_guid(r, "targetGUID") for r in _children(element, "NoteRef")) if g in notes]
    if pdf:
        box = tuple(int(element.get(a, 0)) for a in ("firstX", "firstY", "secondX", "secondY"))
        return QdaSelection(_guid(element), str(element.get("name", "")), -1, -1, int(element.get("page", 0)) + 1,
                            box, text, user, _codings(element, notes, user), tuple(refs), element.sourceline or 0)  # type: ignore[arg-type]
    return QdaSelection(_guid(element), str(element.get("name", "")), int(element.get("startPosition")),
                        int(element.get("endPosition")), 0, None, text, user, _codings(element, notes, user),
                        tuple(refs), element.sourceline or 0)


def _source(element: Any, kind: str, notes: dict[str, QdaNote]) -> QdaSource:
    user = _guid(element, "creatingUser")
    source = QdaSource(_guid(element), kind, str(element.get("name", "")), str(element.get("path", "")),
                       str(element.get("plainTextPath", "")), element_text(element, "PlainTextContent", NS_PROJECT),
                       user, line=element.sourceline or 0)
    holders = [element]
    if kind == "PDFSource":
        for rep in _children(element, "Representation"):
            source.text_path = str(rep.get("plainTextPath", ""))
            source.inline_text = element_text(rep, "PlainTextContent", NS_PROJECT)
            holders.append(rep)
        source.selections.extend(_selection(s, notes, user, pdf=True) for s in _children(element, "PDFSelection"))
    for holder in holders:
        source.selections.extend(_selection(s, notes, user, pdf=False) for s in _children(holder, "PlainTextSelection"))
    source.codings.extend(_codings(element, notes, user))
    return source
