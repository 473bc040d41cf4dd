"""The review as a REFI-QDA project (``.qdpx``) or codebook (``.qdc``).

- the codebook as a code tree (see :mod:`codebook_xml`);
- every reviewer and every machine coder as a ``User`` (machine coders have ``id="machine:NAME"``);
- each guide with its PDF as a ``PDFSource`` (the PDF inside the archive) with a text
  ``Representation``; a guide whose PDF is gone but whose text was extracted as a ``TextSource``;
- each current accepted/added segment decision as a ``Coding`` of a ``PlainTextSelection`` of the
  segment (named by its segment id), a rejection as a note ``rejected: LABEL`` on the selection,
  a decision's own note as a note on its coding; the machine's suggestions when asked for;
- one Boolean ``Variable`` per code; one ``Case`` per guide with the resolved answers (the
  paper-shaped table) and one per guide and reviewer (``KEY | REVIEWER``) with that reviewer's
  guide-level answers.

Every GUID is made from what it names, and everything is written in a fixed order, so two exports
of the same review differ only in the project's ``creationDateTime``.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from lxml import etree

from mapping_review.coding.codebook import Codebook, load_codebook
from mapping_review.errors import MappingReviewError
from mapping_review.exchange.codebook_xml import code_guid, codebook_to_codes
from mapping_review.exchange.qdaxml import NS_CODEBOOK, NS_PROJECT, NS_XSI, SCHEMA_LOCATION, schema, stable_guid
from mapping_review.exchange.text import GuideText, load_guide_text
from mapping_review.files import replacing, write_bytes_atomic
from mapping_review.project.corpus import resolve_file
from mapping_review.project.layout import Project
from mapping_review.project.manifest import Guide, load_manifest
from mapping_review.project.settings import load_settings
from mapping_review.review.consensus import NO_ANSWER
from mapping_review.review.decisions import Decision, latest, now
from mapping_review.review.state import ReviewState, load_review, resolve_review

MACHINE_PREFIX = "machine:"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def origin() -> str:
    return f"mapping-review {version('mapping-review')}"


def user_guid(name: str) -> str:
    return stable_guid("user", name)


def variable_guid(code_id: str) -> str:
    return stable_guid("variable", code_id)


def case_name(key: str, reviewer: str) -> str:
    return f"{key} | {reviewer}"


def selection_name(segment: str, start: int, end: int) -> str:
    return segment if start < 0 else f"{segment} [{start}:{end}]"


@dataclass
class QdaExport:
    path: Path
    users: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)  # guide keys exported as sources
    cases_only: list[str] = field(default_factory=list)  # guides without a PDF or text: cases only
    pdf_only: list[str] = field(default_factory=list)  # guides with a PDF but no text: sources without text
    codings: int = 0
    notes: list[str] = field(default_factory=list)  # what could not be exported, one line each


def _e(parent: Any, tag: str, **attrs: str) -> Any:
    return etree.SubElement(parent, f"{{{NS_PROJECT}}}{tag}", attrs)


def export_qdc(project: Project, out: Path) -> QdaExport:
    """Write the codebook alone as ``.qdc``."""
    codebook = load_codebook(project.codebook_path)
    root = etree.Element(f"{{{NS_CODEBOOK}}}CodeBook", nsmap={None: NS_CODEBOOK, "xsi": NS_XSI}, origin=origin())
    root.set(f"{{{NS_XSI}}}schemaLocation", SCHEMA_LOCATION[NS_CODEBOOK])
    root.append(codebook_to_codes(codebook, NS_CODEBOOK))
    _check(root, "Codebook.xsd")
    write_bytes_atomic(out, _xml_bytes(root))
    return QdaExport(out)


def export_qdpx(project: Project, out: Path, *, suggestions: bool = False, timestamp: str | None = None) -> QdaExport:
    """Write the review as ``.qdpx``; see the module's docstring."""
    state = load_review(project)
    guides = list(load_manifest(project.manifest_path).guides)
    engine = load_settings(project.root).build.engine
    result = QdaExport(out)
    current = sorted(latest(state.decisions).values(), key=lambda d: (d.reviewer, d.level, d.guide, d.code, d.segment,
                                                                     d.start, d.end))
    machines = sorted({s.coder for s in state.suggestions})
    reviewers = sorted({d.reviewer for d in current})
    result.users = reviewers + machines
    root = etree.Element(f"{{{NS_PROJECT}}}Project", nsmap={None: NS_PROJECT, "xsi": NS_XSI},
                         name=project.root.resolve().name or "review", origin=origin(),
                         creationDateTime=timestamp or now())
    root.set(f"{{{NS_XSI}}}schemaLocation", SCHEMA_LOCATION[NS_PROJECT])
    if result.users:
        users = _e(root, "Users")
        for name in reviewers:
            _e(users, "User", guid=user_guid(name), name=name, id=name)
        for name in machines:
            _e(users, "User", guid=user_guid(name), name=name, id=MACHINE_PREFIX + name)
    codebook_element = _e(root, "CodeBook")
    codebook_element.append(codebook_to_codes(state.codebook, NS_PROJECT))
    _variables(root, state.codebook)
    files: dict[str, bytes] = {}
    texts: dict[str, GuideText] = {}
    sources = etree.Element(f"{{{NS_PROJECT}}}Sources")
    notes = etree.Element(f"{{{NS_PROJECT}}}Notes")
    for guide in guides:
        text = load_guide_text(project, guide, engine=engine)
        pdf = _pdf_bytes(project, guide, result)
        if pdf is None and text is None:
            result.cases_only.append(guide.key)
            continue
        if text is not None:
            texts[guide.key] = text
        result.sources.append(guide.key)
        _source(sources, notes, guide, pdf, text, state, current, suggestions, files, result)
    _cases(root, state, guides, current, set(result.sources))
    if len(sources):
        root.append(sources)
    if len(notes):
        root.append(notes)
    _check(root, "Project.xsd")
    _write_archive(out, _xml_bytes(root), files)
    return result


def _variables(root: Any, codebook: Codebook) -> None:
    variables = _e(root, "Variables")
    for code in codebook.codes:
        name = f"{code.feature_label}: {code.label}" if code.is_sub_value else code.label
        variable = _e(variables, "Variable", guid=variable_guid(code.id), name=name, typeOfVariable="Boolean")
        _e(variable, "Description").text = f"Does the guide address this code? Code id: {code.id}"


def _cases(root: Any, state: ReviewState, guides: list[Guide], current: list[Decision], with_source: set[str]) -> None:
    if not guides:
        return
    cases = _e(root, "Cases")
    resolved = resolve_review(state).rows
    by_guide: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for row in resolved:
        if row.source not in NO_ANSWER:  # the machine has not coded the guide, and no reviewer decides
            by_guide[row.guide].append((row.code, row.present))
    answers: dict[tuple[str, str], list[tuple[str, bool]]] = defaultdict(list)
    for d in current:
        if d.level == "guide" and d.code in state.codebook.by_id:
            answers[(d.guide, d.reviewer)].append((d.code, d.value))
    for guide in guides:
        _case(cases, stable_guid("case", guide.key), guide.key,
              f"{guide.title} ({guide.year or 'n.d.'}): the review's resolved answers", by_guide[guide.key],
              guide.key in with_source, guide.key)
        for (key, reviewer), given in sorted(answers.items()):
            if key == guide.key:
                _case(cases, stable_guid("case", key, reviewer), case_name(key, reviewer),
                      f"{reviewer}'s guide-level answers for {key}", given, key in with_source, key)


def _case(cases: Any, guid: str, name: str, description: str, values: list[tuple[str, bool]], has_source: bool,
          key: str) -> None:
    case = _e(cases, "Case", guid=guid, name=name)
    _e(case, "Description").text = description
    for code_id, present in values:
        value = _e(case, "VariableValue")
        _e(value, "VariableRef", targetGUID=variable_guid(code_id))
        _e(value, "BooleanValue").text = "true" if present else "false"
    if has_source:
        _e(case, "SourceRef", targetGUID=stable_guid("source", key))


def _pdf_bytes(project: Project, guide: Guide, result: QdaExport) -> bytes | None:
    if not guide.file:
        return None
    try:
        return resolve_file(project, guide).read_bytes()
    except MappingReviewError as e:
        result.notes.append(f"{guide.key}: the PDF is not in the archive: {e}")
        return None


def _source(sources: Any, notes: Any, guide: Guide, pdf: bytes | None, text: GuideText | None, state: ReviewState,
            current: list[Decision], suggestions: bool, files: dict[str, bytes], result: QdaExport) -> None:
    guid = stable_guid("source", guide.key)
    if pdf is not None:
        source = _e(sources, "PDFSource", guid=guid, name=guide.key, path=f"internal://{guid}.pdf")
        files[f"{guid}.pdf"] = pdf
        _e(source, "Description").text = _citation(guide)
        if text is None:
            result.pdf_only.append(guide.key)
            result.notes.append(f"{guide.key}: no extracted text (not built yet, or its build failed), so its PDF goes "
                                "without text or codings; `mapping-review build` says why")
            return
        rep_guid = stable_guid("representation", guide.key)
        holder = _e(source, "Representation", guid=rep_guid, name=f"{guide.key}.txt",
                    plainTextPath=f"internal://{rep_guid}.txt")
    else:
        assert text is not None
        rep_guid = guid
        holder = _e(sources, "TextSource", guid=guid, name=guide.key, plainTextPath=f"internal://{guid}.txt")
        _e(holder, "Description").text = _citation(guide)
    assert text is not None
    files[f"{rep_guid}.txt"] = text.text.encode("utf-8")
    _selections(holder, notes, guide.key, text, state, current, suggestions, result)


def _citation(guide: Guide) -> str:
    parts = [guide.title or guide.key, str(guide.year or ""), guide.publisher, guide.authors, guide.doi, guide.url]
    return ". ".join(p for p in parts if p) + f". Citation key: {guide.key}"


def _selections(holder: Any, notes: Any, key: str, text: GuideText, state: ReviewState, current: list[Decision],
                suggestions: bool, result: QdaExport) -> None:
    by_id = {s.id: s for s in text.segments}
    # (segment, start, end) -> [(user, code, decision or None)]
    marks: dict[tuple[str, int, int], list[tuple[str, str, Decision | None]]] = defaultdict(list)
    for d in current:
        if d.level != "segment" or d.guide != key:
            continue
        if d.segment not in by_id:
            result.notes.append(f"{key}: {d.reviewer}'s {d.action} {d.code!r} on segment {d.segment!r} is not exported: "
                                "the segment is gone since the text was extracted again")
            continue
        marks[(d.segment, d.start, d.end)].append((d.reviewer, d.code, d))
    if suggestions:
        for s in state.suggestions:
            if s.guide == key and s.segment in by_id:
                marks[(s.segment, -1, -1)].append((s.coder, s.code, None))
    placed = []
    for (seg_id, start, end), items in marks.items():
        a, b = text.span_of(by_id[seg_id], start, end)
        placed.append((a, b, seg_id, start, end, items))
    for a, b, seg_id, start, end, items in sorted(placed, key=lambda p: p[:5]):
        selection = _e(holder, "PlainTextSelection", guid=stable_guid("selection", seg_id, str(start), str(end)),
                       name=selection_name(seg_id, start, end), startPosition=str(a), endPosition=str(b))
        refs = []
        for user, code, made in sorted(items, key=lambda i: (i[0], i[1], i[2] is None)):
            ident = (user, seg_id, code, str(start), str(end))
            if made is not None and not made.value:
                refs.append(_note(notes, ident, user, made.made_at, f"rejected: {_label(state, code)}",
                                  f"{user} rejected {_label(state, code)!r} on this passage."
                                  f"{' ' + made.note if made.note else ''}\n\nCode id: {code}"))
                continue
            attrs = {"guid": stable_guid("coding", *ident), "creatingUser": user_guid(user)}
            if made is not None:
                attrs["creationDateTime"] = made.made_at
            coding = _e(selection, "Coding", **attrs)
            _e(coding, "CodeRef", targetGUID=code_guid(code))
            result.codings += 1
            if made is not None and made.note:
                _e(coding, "NoteRef", targetGUID=_note(notes, ident, user, made.made_at, "note", made.note))
        for ref in refs:
            _e(selection, "NoteRef", targetGUID=ref)


def _label(state: ReviewState, code_id: str) -> str:
    code = state.codebook.by_id.get(code_id)
    if code is None:
        return code_id
    return f"{code.feature_label}: {code.label}" if code.is_sub_value else code.label


def _note(notes: Any, ident: tuple[str, ...], user: str, time: str, name: str, content: str) -> str:
    guid = stable_guid("note", name.partition(":")[0], *ident)
    note = _e(notes, "Note", guid=guid, name=name, creatingUser=user_guid(user), creationDateTime=time)
    _e(note, "PlainTextContent").text = content
    return guid


def _check(root: Any, schema_name: str) -> None:
    checker = schema(schema_name)
    if not checker.validate(root):  # a bug here, not bad input: say what the schema says
        first = checker.error_log[0]
        raise MappingReviewError(f"internal error: the export does not validate against {schema_name}: "
                                 f"line {first.line}: {first.message}")


def _xml_bytes(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _write_archive(path: Path, qde: bytes, files: dict[str, bytes]) -> None:
    """A ZIP with fixed dates and order, so equal content gives equal bytes."""
    with replacing(path) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for name, data in [("project.qde", qde), *((f"sources/{n}", files[n]) for n in sorted(files))]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".pdf") else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
