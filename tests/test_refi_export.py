"""REFI-QDA export on a small made project: schema-valid, stable GUIDs, the same bytes apart from the
timestamp; which decisions become codings or notes, and where their passages are; the code tree written
and read back; bad .qdpx and .qdc input refused with file and line, and nothing written to reviews/."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace

import pytest
from click.testing import CliRunner
from lxml import etree
from pdfmaker import guide_pages, make_pdf
from refi_helpers import assert_valid, make_decisions, members, need_reference, without_timestamp, write_zip

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.stage import load_suggestions
from mapping_review.coding.versions import CODER
from mapping_review.errors import ConfigError
from mapping_review.exchange import export_qdc, export_qdpx, import_qdc, import_qdpx
from mapping_review.exchange.codebook_xml import PALETTE, Described, code_description, code_guid, parse_description
from mapping_review.exchange.export import selection_name, user_guid
from mapping_review.exchange.qdaxml import SCHEMAS, decode_text, parse_xml
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import Project, init_project
from mapping_review.project.manifest import Guide, load_manifest
from mapping_review.project.manifest_edit import append_guide
from mapping_review.review.decisions import Decision, append_decisions, latest, read_decisions

NS = {"q": "urn:QDA-XML:project:1.0"}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    base = tmp_path_factory.mktemp("made")
    project = init_project(base / "review")
    pdf = make_pdf(base / "tg.pdf", guide_pages(3))
    add_guide(project, pdf, key="tg1", title="A Test Guideline", year=2024)
    append_guide(project.manifest_path, Guide(key="paper_only_2020", title="A guide we have no PDF of", year=2020))
    assert not pipeline.build_project(project, nlp_name="blank", jobs=1).failures
    make_decisions(project, n_suggestions=12)
    return project, base


def guids(qde: bytes, tag: str) -> dict[str, str]:
    root = etree.fromstring(qde)
    return {e.get("name"): e.get("guid") for e in root.iter(f"{{{NS['q']}}}{tag}")}


def test_packaged_schemas_are_the_reference_ones():
    for name in ("Project.xsd", "Codebook.xsd"):
        assert (SCHEMAS / name).read_bytes() == need_reference(name).read_bytes()


def test_export_is_valid_and_the_same_apart_from_its_timestamp(made, tmp_path):
    project, _ = made
    first = export_qdpx(project, tmp_path / "a.qdpx", timestamp="2025-01-01T00:00:00Z")
    second = export_qdpx(project, tmp_path / "b.qdpx", timestamp="2026-06-30T12:00:00Z")
    a, b = members(first.path), members(second.path)
    assert_valid(a["project.qde"], "Project.xsd")
    assert a.keys() == b.keys() and a["project.qde"] != b["project.qde"]
    assert without_timestamp(a["project.qde"]) == without_timestamp(b["project.qde"])
    assert all(a[n] == b[n] for n in a if n != "project.qde")
    assert first.sources == ["tg1"] and first.cases_only == ["paper_only_2020"]
    root = etree.fromstring(a["project.qde"])
    cases = {c.get("name") for c in root.iterfind(".//q:Case", NS)}
    assert {"tg1", "paper_only_2020", "tg1 | carol", "tg1 | consensus"} <= cases
    # the machine answers for a guide it has read; for one without text it gives no value, not false
    values = {c.get("name"): len(c.findall("q:VariableValue", NS)) for c in root.iterfind(".//q:Case", NS)}
    answered = {d.code for d in read_decisions(project.reviews_dir) if d.guide == "paper_only_2020" and d.level == "guide"}
    assert values["tg1"] == 33 and values["paper_only_2020"] == len(answered) < 33
    pdf_source = root.find(".//q:PDFSource", NS)
    pdf_member = "sources/" + pdf_source.get("path").removeprefix("internal://")
    assert a[pdf_member] == (project.corpus_dir / "tg1.pdf").read_bytes()
    rep = pdf_source.find("q:Representation", NS)
    text = a["sources/" + rep.get("plainTextPath").removeprefix("internal://")].decode()
    for sel in rep.iterfind("q:PlainTextSelection", NS):  # the codings' offsets point at the segment's text
        seg_id = sel.get("name").split(" [")[0]
        quoted = text[int(sel.get("startPosition")) : int(sel.get("endPosition"))]
        segment = next(s for s in _segments(project) if s.id == seg_id)
        span = re.search(r"\[(\d+):(\d+)\]", sel.get("name"))
        assert quoted == (segment.text[int(span[1]) : int(span[2])] if span else segment.text)


def _segments(project):
    from mapping_review.segment.inspect import load_segments

    return load_segments(project, "tg1")


def test_guids_are_stable_when_the_review_changes(made, tmp_path):
    project, _ = made
    before = members(export_qdpx(project, tmp_path / "before.qdpx").path)["project.qde"]
    append_decisions(project.reviews_dir, [Decision("dave", "2025-05-01T00:00:00Z", "guide", "tg1", "redirect_client",
                                                    True, "set")])
    after = members(export_qdpx(project, tmp_path / "after.qdpx").path)["project.qde"]
    for tag in ("Code", "PDFSource", "Variable"):
        assert guids(before, tag) == guids(after, tag)
    users_before, users_after = guids(before, "User"), guids(after, "User")
    assert users_after.pop("dave") and users_after == users_before
    # a contract with the programs that keep our GUIDs: a code's GUID never changes between versions
    assert guids(before, "Code")["Inpatient"] == "DAC354FF-737B-5A99-A31C-74403A4F15D4"
    qdc = export_qdc(project, tmp_path / "codebook.qdc").path.read_bytes()
    assert_valid(qdc, "Codebook.xsd")
    assert guids(qdc.replace(b"codebook:1.0", b"project:1.0"), "Code") == guids(before, "Code")


def test_bad_archives_are_refused_and_reviews_stay_as_they_were(made, tmp_path):
    project, _ = made
    good = members(export_qdpx(project, tmp_path / "good.qdpx").path)
    reviews = {p.name: p.read_bytes() for p in project.reviews_dir.glob("*.jsonl")}
    (tmp_path / "text.qdpx").write_text("not a zip")
    cases = [
        (tmp_path / "text.qdpx", "not a ZIP archive"),
        (write_zip(tmp_path / "empty.qdpx", {"sources/x.txt": b"x"}), "no project.qde"),
        (write_zip(tmp_path / "broken.qdpx", {"project.qde": good["project.qde"][:-40]}),
         r"project.qde:\d+: not well-formed"),
    ]
    invalid = good["project.qde"].replace(b'isCodable="true"', b'isCodable="maybe"', 1)
    line = invalid[: invalid.index(b'isCodable="maybe"')].count(b"\n") + 1
    cases.append((write_zip(tmp_path / "invalid.qdpx", {**good, "project.qde": invalid}),
                  rf"project.qde:{line}: .*isCodable.*\n(.|\n)*Nothing was imported"))
    for path, message in cases:
        with pytest.raises(ConfigError, match=message):
            import_qdpx(project, path)
        result = CliRunner().invoke(main, ["import", "qdpx", str(path), "-p", str(project.root)])
        assert result.exit_code == 1 and result.output.startswith("Error: ") and "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in project.reviews_dir.glob("*.jsonl")} == reviews


def test_a_source_file_missing_from_the_archive_is_reported_not_dropped(made, tmp_path):
    project, _ = made
    good = members(export_qdpx(project, tmp_path / "good.qdpx").path)
    text_member = next(n for n in good if n.endswith(".txt"))
    partial = write_zip(tmp_path / "partial.qdpx", {n: d for n, d in good.items() if n != text_member})
    result = import_qdpx(project, partial, dry_run=True)
    assert any("is missing from the archive" in w for w in result.warnings)
    n_codings = good["project.qde"].count(b"<Coding ") - good["project.qde"].count(b'creatingUser="' +
                                                                                    _machine_guid(good) + b'"')
    n_rejections = good["project.qde"].count(b'name="rejected: ')
    assert n_rejections and len(result.unmatched) == n_codings + n_rejections and not result.decisions
    assert all("no segment has this text" in line for line in result.unmatched)


def _machine_guid(files) -> bytes:
    return re.search(rb'User guid="([^"]+)" name="' + CODER.encode() + rb'"', files["project.qde"])[1]


def test_codebooks_with_duplicate_names_or_cycles_map_what_they_safely_can(made, tmp_path):
    project, _ = made
    g = "A0000000-0000-4000-8000-00000000000{}".format
    qdc = (f'<CodeBook xmlns="urn:QDA-XML:codebook:1:0" origin="Other 1"><Codes>'
           f'<Code guid="{g(1)}" name="Location" isCodable="false"><Code guid="{g(2)}" name="Inpatient" isCodable="true">'
           f'<Code guid="{g(2)}" name="Ward" isCodable="true"/></Code></Code>'
           f'<Code guid="{g(3)}" name="Client Centered (e.g. shared decision making)" isCodable="true"/>'
           f'<Code guid="{g(4)}" name="Client Centered (e.g. shared decision making)" isCodable="true"/>'
           f'<Code guid="{g(5)}" name="Something::Else" isCodable="true"/></Codes></CodeBook>')
    path = tmp_path / "odd.qdc"
    path.write_text(qdc)
    result = import_qdc(project, path, draft=tmp_path / "draft.yaml")
    warnings = "\n".join(result.warnings)
    assert "namespace 'urn:QDA-XML:codebook:1:0' read as 'urn:QDA-XML:codebook:1.0'" in warnings
    assert "code 'Ward' contains itself" in warnings and "a cycle" in warnings
    assert "duplicate code name 'Client Centered (e.g. shared decision making)'" in warnings
    assert "draft codebook not written" in warnings and not (tmp_path / "draft.yaml").exists()
    assert result.mapped == {"Location": "location", "Location > Inpatient": "location/inpatient"}
    assert sorted(result.unmapped) == ["Client Centered (e.g. shared decision making)"] * 2 + ["Something",
                                                                                              "Something > Else"]


def test_codebook_in_the_wrong_namespace_or_invalid_is_refused(made, tmp_path):
    project, _ = made
    wrong = tmp_path / "wrong.qdc"
    wrong.write_text('<CodeBook xmlns="urn:something:else"><Codes/></CodeBook>')
    with pytest.raises(ConfigError, match=r"wrong.qdc:1: root element is in namespace 'urn:something:else'"):
        import_qdc(project, wrong)
    empty = tmp_path / "empty.qdc"
    empty.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0">\n<Codes/>\n</CodeBook>')
    with pytest.raises(ConfigError, match=r"empty.qdc:2: .*Codes.*Missing child element"):
        import_qdc(project, empty)


def test_cli_export_and_import_report(made, tmp_path):
    project, _ = made
    runner = CliRunner()
    out = runner.invoke(main, ["export", "qdpx", str(tmp_path / "r.qdpx"), "-p", str(project.root)])
    flat = " ".join(out.output.split())
    assert out.exit_code == 0 and "1 source(s)" in flat and "1 guide(s) without PDF or text as cases only" in flat
    assert "0 guide(s) as their PDF only" in flat
    out = runner.invoke(main, ["export", "qdc", str(tmp_path / "r.qdc"), "-p", str(project.root)])
    assert out.exit_code == 0 and (tmp_path / "r.qdc").exists()
    out = runner.invoke(main, ["import", "qdpx", str(tmp_path / "r.qdpx"), "--dry-run", "-p", str(project.root)])
    flat = " ".join(out.output.split())
    assert out.exit_code == 0 and "0 decision(s) would be recorded (dry run); " in flat and "unchanged" in flat
    assert "Source 'tg1' -> guide tg1" in flat
    # each file given to the other verb says which verb reads it
    out = runner.invoke(main, ["import", "qdc", str(tmp_path / "r.qdpx"), "-p", str(project.root)])
    assert out.exit_code == 1 and "a ZIP archive, not XML" in out.output and "'import qdpx'" in out.output
    out = runner.invoke(main, ["import", "qdpx", str(tmp_path / "r.qdc"), "-p", str(project.root)])
    assert out.exit_code == 1 and "not a ZIP archive" in out.output and "'import qdc'" in out.output
    # into a folder that does not exist yet: made, and no temporary file is left behind
    out = runner.invoke(main, ["export", "qdpx", str(tmp_path / "new" / "r.qdpx"), "-p", str(project.root)])
    assert out.exit_code == 0, out.output
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["r.qdpx"]
    made_here, before = members(tmp_path / "new" / "r.qdpx"), members(tmp_path / "r.qdpx")  # the same but the time
    assert made_here.keys() == before.keys()
    assert without_timestamp(made_here["project.qde"]) == without_timestamp(before["project.qde"])
    assert all(made_here[n] == before[n] for n in made_here if n != "project.qde")


def test_a_pdf_area_without_text_is_coded_on_the_paragraphs_it_covers(made, tmp_path):
    project, _ = made
    good = members(export_qdpx(project, tmp_path / "good.qdpx").path)
    paragraph = next(s for s in _segments(project) if s.kind == "paragraph" and s.page == 2 and s.role == "recommendation")
    height = 792  # tests/pdfmaker.py writes US Letter pages
    x0, top, x1, bottom = paragraph.bbox
    alice = re.search(rb'User guid="([^"]+)" name="alice"', good["project.qde"])[1].decode()
    code = re.search(rb'Code guid="([^"]+)" name="Hospitalize Client When Necessary"', good["project.qde"])[1].decode()
    area = (f'<PDFSelection guid="B0000000-0000-4000-8000-000000000001" page="1" firstX="{int(x0) - 2}" '
            f'firstY="{int(height - bottom) - 2}" secondX="{int(x1) + 2}" secondY="{int(height - top) + 2}">'
            f'<Coding guid="B0000000-0000-4000-8000-000000000002" creatingUser="{alice}">'
            f'<CodeRef targetGUID="{code}"/></Coding></PDFSelection>').encode()
    qde = re.sub(rb"(<PDFSource [^>]*>\s*<Description>[^<]*</Description>)", lambda m: m.group(1) + area,
                 good["project.qde"], count=1)
    assert_valid(qde, "Project.xsd")
    result = import_qdpx(project, write_zip(tmp_path / "area.qdpx", {**good, "project.qde": qde}), dry_run=True)
    (decision,) = result.decisions
    assert (decision.reviewer, decision.segment, decision.code) == ("alice", paragraph.id, "hospitalize_when_necessary")


def test_cases_named_key_and_reviewer_become_that_reviewers_guide_level_answers(made, tmp_path):
    project, _ = made
    good = members(export_qdpx(project, tmp_path / "good.qdpx").path)
    variable = re.search(rb'Variable guid="([^"]+)" name="Don\'t Stigmatize"', good["project.qde"])[1].decode()
    cases = "".join(
        f'<Case guid="C0000000-0000-4000-8000-00000000000{i}" name="{name}"><VariableValue>'
        f'<VariableRef targetGUID="{variable}"/><BooleanValue>{value}</BooleanValue></VariableValue></Case>'
        for i, (name, value) in enumerate([("tg1 | Jane Doe", "true"), ("tg1", "false"), ("nobody | x", "true")]))
    qde = re.sub(rb"<Cases>", b"<Cases>" + cases.encode(), good["project.qde"], count=1)
    qde = qde.replace(b'origin="mapping-review', b'origin="Another program, after mapping-review', 1)
    assert_valid(qde, "Project.xsd")
    result = import_qdpx(project, write_zip(tmp_path / "cases.qdpx", {**good, "project.qde": qde}), dry_run=True)
    (decision,) = result.decisions
    assert (decision.reviewer, decision.level, decision.guide, decision.code, decision.value) == \
        ("Jane_Doe", "guide", "tg1", "dont_stigmatize", True)
    # recorded with the hash of the guide it was made on, as a sheet's answers are
    sha = next(g.sha256 for g in load_manifest(project.manifest_path).guides if g.key == "tg1")
    assert decision.text_hash == sha and len(sha) == 64
    assert any("case 'tg1': 1 answer(s) without a reviewer are not recorded" in w for w in result.warnings)
    assert any(line.startswith("case 'nobody | x': 1 answer(s) not recorded") for line in result.unmatched)


def _with_case(project, tmp_path, name, value):
    """Our export with one case NAME answering Don't Stigmatize with VALUE (its XML element)."""
    good = members(export_qdpx(project, tmp_path / "good.qdpx").path)
    variable = re.search(rb'Variable guid="([^"]+)" name="Don\'t Stigmatize"', good["project.qde"])[1].decode()
    case = (f'<Case guid="C0000000-0000-4000-8000-000000000009" name="{name}"><VariableValue>'
            f'<VariableRef targetGUID="{variable}"/>{value}</VariableValue></Case>')
    qde = re.sub(rb"<Cases>", b"<Cases>" + case.encode(), good["project.qde"], count=1)
    return write_zip(tmp_path / "cases.qdpx", {**good, "project.qde": qde})


@pytest.mark.parametrize(("value", "recorded"), [("maybe", None), ("", None), ("Yes", True), ("0", False), (" no ", False),
                                                   ("FALSE", False), ("1", True)])
def test_a_case_value_that_is_neither_true_nor_false_is_reported_not_dropped(made, tmp_path, value, recorded):
    project, _ = made
    path = _with_case(project, tmp_path, "tg1 | Jane Doe", f"<TextValue>{value}</TextValue>")
    result = import_qdpx(project, path, dry_run=True)
    assert [d.value for d in result.decisions] == ([] if recorded is None else [recorded])
    assert any(f"case 'tg1 | Jane Doe': 'dont_stigmatize': {value!r} is neither true nor false" in line
               for line in result.unmatched) == (recorded is None and value != "")  # an empty value is unset


@pytest.mark.parametrize("name", ["Consensus", "CONSENSUS ", "consensus."])
def test_a_consensus_written_otherwise_is_the_consensus_and_needs_by(made, tmp_path, name):
    project, _ = made
    path = _with_case(project, tmp_path, f"tg1 | {name}", "<BooleanValue>true</BooleanValue>")
    before = {p.name: p.read_bytes() for p in project.reviews_dir.glob("*.jsonl")}

    dry = import_qdpx(project, path, dry_run=True)
    assert dry.decisions == []  # an agreed answer settles disagreements: not without --by
    assert any("1 consensus decision(s) not recorded" in w for w in dry.warnings)
    real = import_qdpx(project, path)  # the same as the dry run said, not an error about the name
    assert real.decisions == [] and {p.name: p.read_bytes() for p in project.reviews_dir.glob("*.jsonl")} == before

    (agreed,) = import_qdpx(project, path, dry_run=True, settled_by="dana").decisions
    assert (agreed.reviewer, agreed.settled_by, agreed.code, agreed.value) == ("consensus", "dana", "dont_stigmatize", True)


# --- what an export promises, checked on copies of the made project (each test changes its own copy)

Q = "{urn:QDA-XML:project:1.0}"


def _copy(made, tmp_path) -> Project:
    project, _ = made
    shutil.copytree(project.root, tmp_path / "review")
    return Project(tmp_path / "review")


def _root(result):
    return etree.fromstring(members(result.path)["project.qde"])


def _content(note) -> str:
    return note.findtext("q:PlainTextContent", namespaces=NS)


def test_the_same_timestamp_gives_the_same_archive_byte_for_byte(made, tmp_path):
    project, _ = made
    stamp = "2025-01-01T00:00:00Z"
    first = export_qdpx(project, tmp_path / "a.qdpx", timestamp=stamp)
    second = export_qdpx(project, tmp_path / "b.qdpx", timestamp=stamp)
    assert first.path.read_bytes() == second.path.read_bytes()
    assert _root(first).get("creationDateTime") == stamp


def test_users_are_the_reviewers_by_name_then_the_machine_coders(made, tmp_path):
    project = _copy(made, tmp_path)
    append_decisions(project.reviews_dir, [Decision(name, "2025-04-01T00:00:00Z", "guide", "tg1", "dont_stigmatize",
                                                    True, "set") for name in ("zoe", "mike", "yann", "ben", "quinn")])
    users = [(u.get("name"), u.get("id")) for u in _root(export_qdpx(project, tmp_path / "r.qdpx")).iter(f"{Q}User")]
    reviewers = sorted({d.reviewer for d in read_decisions(project.reviews_dir)})
    machines = sorted({s.coder for s in load_suggestions(project)})
    assert machines and len(reviewers) > 5
    assert users == [(r, r) for r in reviewers] + [(m, f"machine:{m}") for m in machines]


def test_a_project_with_no_guides_and_no_decisions_exports_a_valid_file(tmp_path):
    project = init_project(tmp_path / "empty")
    result = export_qdpx(project, tmp_path / "empty.qdpx")
    assert_valid(members(result.path)["project.qde"], "Project.xsd")
    assert (result.users, result.sources, result.codings, result.notes) == ([], [], 0, [])


def test_only_a_reviewers_latest_decision_is_exported(made, tmp_path):
    project = _copy(made, tmp_path)
    first = next(d for d in read_decisions(project.reviews_dir) if d.reviewer == "alice" and d.value)
    append_decisions(project.reviews_dir, [replace(first, time="2025-06-01T00:00:00Z", value=False, action="reject",
                                                   note="")])
    root = _root(export_qdpx(project, tmp_path / "r.qdpx"))
    name = selection_name(first.segment, first.start, first.end)
    (selection,) = [s for s in root.iter(f"{Q}PlainTextSelection") if s.get("name") == name]
    by_alice = [c.find("q:CodeRef", NS).get("targetGUID") for c in selection.iterfind("q:Coding", NS)
                if c.get("creatingUser") == user_guid("alice")]
    assert code_guid(first.code) not in by_alice  # she took it back: no coding, a rejection instead
    notes = {n.get("guid"): n for n in root.iter(f"{Q}Note")}
    attached = [notes[r.get("targetGUID")] for r in selection.iterfind("q:NoteRef", NS)]
    assert any(n.get("name").startswith("rejected:") and _content(n).endswith(f"Code id: {first.code}") for n in attached)


def test_every_guid_is_unique_and_every_reference_names_something_in_the_file(made, tmp_path):
    project, _ = made
    root = _root(export_qdpx(project, tmp_path / "r.qdpx", suggestions=True))
    declared = [e.get("guid") for e in root.iter() if e.get("guid")]
    assert len(declared) == len(set(declared))
    referenced = [e.get(a) for e in root.iter() for a in ("targetGUID", "creatingUser") if e.get(a)]
    assert referenced and set(referenced) <= set(declared)
    notes = {n.get("guid") for n in root.iter(f"{Q}Note")}
    assert notes and notes <= {r.get("targetGUID") for r in root.iter(f"{Q}NoteRef")}  # no note left hanging


def test_a_guide_whose_pdf_is_not_extracted_yet_is_a_source_without_text(made, tmp_path):
    project = _copy(made, tmp_path)
    add_guide(project, make_pdf(tmp_path / "tg2.pdf", guide_pages(2, title="Another Guideline")), key="tg2",
              title="Another Guideline", year=2023)
    result = export_qdpx(project, tmp_path / "r.qdpx")
    assert "tg2" in result.sources and "tg2" not in result.cases_only and result.pdf_only == ["tg2"]
    (source,) = [s for s in _root(result).iter(f"{Q}PDFSource") if s.get("name") == "tg2"]
    assert source.find("q:Representation", NS) is None
    assert any(n.startswith("tg2: no extracted text (not built yet, or its build failed)") for n in result.notes)


def test_a_review_whose_decisions_fit_its_text_exports_with_nothing_to_report(made, tmp_path):
    project, _ = made
    assert export_qdpx(project, tmp_path / "r.qdpx").notes == []


def test_a_decision_on_a_segment_gone_since_extraction_is_reported_not_exported(made, tmp_path):
    project = _copy(made, tmp_path)
    gone = "tg1:9:0000000000000000"
    append_decisions(project.reviews_dir, [Decision("alice", "2025-06-01T00:00:00Z", "segment", "tg1", "client_centered",
                                                    True, "add", gone, origin="test")])
    result = export_qdpx(project, tmp_path / "r.qdpx")
    (note,) = [n for n in result.notes if gone in n]
    assert note.startswith("tg1: alice's add 'client_centered'") and "is not exported" in note
    assert gone not in members(result.path)["project.qde"].decode()


def test_every_selection_quotes_the_part_of_its_segment_its_name_gives(made, tmp_path):
    project = _copy(made, tmp_path)
    sentence = next(s for s in _segments(project) if s.kind == "sentence" and len(s.text) > 60)
    append_decisions(project.reviews_dir, [Decision("erin", "2025-06-01T00:00:00Z", "segment", "tg1", "client_centered",
                                                    True, "add", sentence.id, start=0, end=20, origin="test")])
    files = members(export_qdpx(project, tmp_path / "r.qdpx").path)
    rep = etree.fromstring(files["project.qde"]).find(".//q:Representation", NS)
    text = files["sources/" + rep.get("plainTextPath").removeprefix("internal://")].decode()
    segments = {s.id: s for s in _segments(project)}
    names = set()
    for sel in rep.iterfind("q:PlainTextSelection", NS):
        names.add(sel.get("name"))
        seg_id, _, span = sel.get("name").partition(" [")
        start, end = (int(n) for n in span.rstrip("]").split(":")) if span else (None, None)
        assert text[int(sel.get("startPosition")) : int(sel.get("endPosition"))] == segments[seg_id].text[start:end]
    assert f"{sentence.id} [0:20]" in names


def test_selections_are_written_in_the_order_of_the_text(made, tmp_path):
    project, _ = made
    rep = _root(export_qdpx(project, tmp_path / "r.qdpx", suggestions=True)).find(".//q:Representation", NS)
    spans = [(int(s.get("startPosition")), int(s.get("endPosition"))) for s in rep.iterfind("q:PlainTextSelection", NS)]
    assert len(spans) > 10 and spans == sorted(spans)


def test_accepts_are_codings_with_their_time_and_note_and_rejections_are_notes(made, tmp_path):
    project, _ = made
    result = export_qdpx(project, tmp_path / "r.qdpx")
    root, codebook = _root(result), load_codebook(project.codebook_path)
    selections = {s.get("name"): s for s in root.iter(f"{Q}PlainTextSelection")}
    notes = {n.get("guid"): n for n in root.iter(f"{Q}Note")}
    decided = [d for d in latest(read_decisions(project.reviews_dir)).values() if d.level == "segment"]
    assert {d.value for d in decided} == {True, False} and any(d.note for d in decided)
    for d in decided:
        selection = selections[selection_name(d.segment, d.start, d.end)]
        codings = [c for c in selection.iterfind("q:Coding", NS) if c.get("creatingUser") == user_guid(d.reviewer)
                   and c.find("q:CodeRef", NS).get("targetGUID") == code_guid(d.code)]
        if d.value:
            (coding,) = codings
            assert coding.get("creationDateTime") == d.time
            attached = [_content(notes[r.get("targetGUID")]) for r in coding.iterfind("q:NoteRef", NS)]
            assert attached == ([d.note] if d.note else [])
            continue
        assert codings == []
        code = codebook.by_id[d.code]
        label = f"{code.feature_label}: {code.label}" if code.is_sub_value else code.label
        (rejection,) = [notes[r.get("targetGUID")] for r in selection.iterfind("q:NoteRef", NS)
                        if notes[r.get("targetGUID")].get("creatingUser") == user_guid(d.reviewer)
                        and notes[r.get("targetGUID")].get("name") == f"rejected: {label}"]
        assert d.note in _content(rejection) and _content(rejection).endswith(f"Code id: {d.code}")
    assert result.codings == len(list(root.iter(f"{Q}Coding")))


def test_our_own_export_read_back_finds_every_decision_as_it_is(made, tmp_path):
    project, _ = made
    out = export_qdpx(project, tmp_path / "r.qdpx", suggestions=True)
    back = import_qdpx(project, out.path, dry_run=True)
    assert back.decisions == [] and back.unmatched == []
    assert back.unchanged == len(latest(read_decisions(project.reviews_dir)))
    assert CODER not in back.reviewers


# --- the code tree: written from codebook.yaml, read from other programs' codebooks


def _codebook_file(tmp_path, codes: str):
    path = tmp_path / "theirs.qdc"
    path.write_text(f'<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="Other 2"><Codes>{codes}</Codes></CodeBook>')
    return path


def _code(n: int, name: str, description: str = "", inner: str = "") -> str:
    about = f"<Description>{description}</Description>" if description else ""
    return f'<Code guid="A0000000-0000-4000-8000-0000000000{n:02d}" name="{name}" isCodable="true">{about}{inner}</Code>'


def test_feature_colours_repeat_once_the_palette_runs_out(tmp_path):
    features = "".join(f"  - id: f{i}\n    label: Feature {i}\n    definition: The {i}th feature.\n"
                       for i in range(len(PALETTE) + 1))
    (tmp_path / "codebook.yaml").write_text(f"name: many\nfeatures:\n{features}")
    project = init_project(tmp_path / "review", codebook=tmp_path / "codebook.yaml")
    qdc = export_qdc(project, tmp_path / "many.qdc").path.read_bytes()
    assert_valid(qdc, "Codebook.xsd")
    colours = [c.get("color") for c in etree.fromstring(qdc).find("{*}Codes")]
    assert len(set(colours)) == len(PALETTE) and colours[-1] == colours[0]


def test_a_feature_holding_sub_values_is_not_codable_and_its_sub_values_are(made, tmp_path):
    project, _ = made
    tops = {c.get("guid"): c for c in etree.fromstring(export_qdc(project, tmp_path / "c.qdc").path.read_bytes())
            .find("{*}Codes")}
    for feature in load_codebook(project.codebook_path).features:
        code = tops[code_guid(feature.id)]
        assert code.get("isCodable") == ("false" if feature.codes else "true")
        assert [sub.get("isCodable") for sub in code.findall("{*}Code")] == ["true"] * len(feature.codes)
    assert any(f.codes for f in load_codebook(project.codebook_path).features)


def test_a_description_reads_back_into_its_parts():
    written = code_description("A definition\n  over lines.", ("in one",), ("out one", "out two"), ("an example",), "f/s")
    assert parse_description(written) == Described("A definition over lines.", ("in one",), ("out one", "out two"),
                                                   ("an example",), "f/s")
    assert parse_description("Theirs.\n\nINCLUDE:\n- shouted").include == ("shouted",)


def test_text_after_a_list_heading_that_is_not_a_dash_item_is_not_lost():
    about = parse_description("Theirs.\n\nInclude:\n* a starred item\n\nA closing remark.")
    assert about.include == ("a starred item",)
    assert about.definition == "Theirs. A closing remark."


def test_a_double_colon_splits_only_a_top_level_name(project, tmp_path):
    path = _codebook_file(tmp_path, _code(1, "Location", inner=_code(2, "Ward::Day")) + _code(3, "Place::Room"))
    result = import_qdc(project, path)
    assert sorted(result.unmapped) == ["Location > Ward::Day", "Place", "Place > Room"]


def test_code_names_that_differ_only_in_letter_case_are_duplicates(project, tmp_path):
    result = import_qdc(project, _codebook_file(tmp_path, _code(1, "Memos") + _code(2, "MEMOS")))
    assert any("duplicate code name 'MEMOS'" in w for w in result.warnings)


def test_a_code_id_line_naming_no_code_of_ours_maps_nothing(project, tmp_path):
    result = import_qdc(project, _codebook_file(tmp_path, _code(1, "Retired", "Gone.\n\nCode id: retired_code")))
    assert result.mapped == {} and result.unmapped == ["Retired"]


def test_our_guids_map_in_any_letter_case_and_braces(project, tmp_path):
    theirs = "{" + code_guid("location").lower() + "}"
    path = _codebook_file(tmp_path, f'<Code guid="{theirs}" name="Ort" isCodable="false"/>')
    assert import_qdc(project, path).mapped == {"Ort": "location"}


def test_a_draft_codebook_is_never_written_over_an_existing_file(made, tmp_path):
    project, _ = made
    qdc = export_qdc(project, tmp_path / "ours.qdc").path
    draft = tmp_path / "draft.yaml"
    draft.write_text("mine\n")
    with pytest.raises(ConfigError, match=r"draft\.yaml exists"):
        import_qdc(project, qdc, draft=draft)
    assert draft.read_text() == "mine\n"


def test_a_draft_that_is_no_valid_codebook_is_not_left_behind(project, tmp_path):
    draft = tmp_path / "draft.yaml"
    with pytest.raises(ConfigError, match=r"does not make a valid codebook\.yaml"):
        import_qdc(project, _codebook_file(tmp_path, _code(1, "")), draft=draft)
    assert not draft.exists()


def test_a_draft_gives_two_codes_claiming_one_id_distinct_ids(project, tmp_path):
    codes = _code(1, "Alpha", "First.\n\nCode id: shared") + _code(2, "Beta", "Second.\n\nCode id: shared")
    result = import_qdc(project, _codebook_file(tmp_path, codes), draft=tmp_path / "draft.yaml")
    assert [f.id for f in load_codebook(result.draft).features] == ["shared", "beta"]


def test_a_draft_from_our_own_codebook_keeps_our_ids(made, tmp_path):
    project, _ = made
    qdc = export_qdc(project, tmp_path / "ours.qdc").path
    draft = import_qdc(project, qdc, draft=tmp_path / "draft.yaml").draft
    assert [c.id for c in load_codebook(draft).codes] == [c.id for c in load_codebook(project.codebook_path).codes]


def test_xml_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the codebook")
    data = (f'<!DOCTYPE CodeBook [<!ENTITY s SYSTEM "{secret.as_uri()}">]>'
            '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="A0000000-0000-4000-8000-000000000001" '
            'name="Memo" isCodable="true"><Description>&s;</Description></Code></Codes></CodeBook>').encode()
    with pytest.raises(ConfigError, match=r"theirs\.qdc:1: the XML uses the entity &s;") as refused:
        parse_xml(data, "theirs.qdc")
    assert "not for the codebook" not in str(refused.value)


def test_an_internal_entity_is_refused_with_its_line_not_a_schema_crash(project, tmp_path):
    """An entity left unresolved would vanish from the description; lxml's schema check then failed
    with an internal error and a traceback."""
    path = tmp_path / "theirs.qdc"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE CodeBook [<!ENTITY org "WHO">]>\n'
                    '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>\n'
                    '<Code guid="A0000000-0000-4000-8000-000000000001" name="Memo" isCodable="true">\n'
                    '<Description>From &org;.</Description></Code></Codes></CodeBook>')
    with pytest.raises(ConfigError, match=r"theirs\.qdc:5: the XML uses the entity &org;.*replace it"):
        import_qdc(project, path)


def test_a_byte_order_mark_is_not_part_of_a_text():
    assert decode_text("\ufeffÄrzte".encode()) == "Ärzte"
    assert decode_text("Ärzte".encode("utf-16")) == "Ärzte"  # Python writes the BOM itself
