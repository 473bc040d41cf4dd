"""REFI-QDA import on a small made guide, with small project files written here the way other
programs write them: which codings become whose decisions, where another program's positions land
in the guide's segments, and what is left out rather than guessed."""

from __future__ import annotations

import itertools
import shutil
import zipfile
from dataclasses import replace

import pytest
from click.testing import CliRunner
from locks import count_flocks, folder_held, note_lock_when_called
from pdfmaker import HEIGHT, guide_pages, make_pdf
from refi_helpers import write_zip

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.coding.suggestions import text_hash
from mapping_review.errors import ConfigError, RoleError
from mapping_review.exchange import export_qdpx, import_qdpx
from mapping_review.exchange.codebook_xml import code_guid
from mapping_review.exchange.export import variable_guid
from mapping_review.exchange.importer import reviewer_names
from mapping_review.exchange.matching import best_reading, match_selection
from mapping_review.exchange.reading import QdaProject, QdaSelection
from mapping_review.exchange.text import GuideText, load_guide_text
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import Project, init_project
from mapping_review.project.manifest import load_manifest
from mapping_review.project.settings import load_settings
from mapping_review.review.decisions import (
    REVIEWER_PATTERN,
    UNKNOWN_TIME,
    Decision,
    append_decisions,
    latest,
    now,
    parse_time,
)
from mapping_review.review.sheets import export_sheet, read_sheet
from mapping_review.review.state import load_review
from mapping_review.review.tables_io import read_table, write_table
from mapping_review.segment.segments import Segment

_serial = itertools.count(100)
JANE, BOB, MACHINE, SOURCE = (f"A0000000-0000-4000-8000-{n:012d}" for n in range(1, 5))
CODES = ("client_centered", "hospitalize_when_necessary", "dont_stigmatize")
PREFERENCES = "Consider their preferences when planning care:"


def new_guid() -> str:
    return f"B0000000-0000-4000-8000-{next(_serial):012d}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Project:
    base = tmp_path_factory.mktemp("import")
    project = init_project(base / "review")
    add_guide(project, make_pdf(base / "tg.pdf", guide_pages(3)), key="tg1", title="A Test Guideline", year=2024)
    assert not pipeline.build_project(project, nlp_name="blank", jobs=1).failures
    return project


@pytest.fixture(scope="module")
def gt(built) -> GuideText:
    guide = load_manifest(built.manifest_path).guides[0]
    text = load_guide_text(built, guide, engine=load_settings(built.root).build.engine)
    assert text is not None
    return text


@pytest.fixture()
def fresh(built, tmp_path) -> Project:
    """A copy of the built project, for tests that record decisions."""
    shutil.copytree(built.root, tmp_path / "copy")
    return Project(tmp_path / "copy")


def sentence_at(gt: GuideText, start: int, end: int):
    return next(s for s in gt.segments if s.kind == "sentence" and gt.spans[s.id] == (start, end))


def nth(text: str, piece: str, n: int) -> int:
    at = -1
    for _ in range(n + 1):
        at = text.index(piece, at + 1)
    return at


# --- small REFI-QDA projects, written the way other programs write them


def coding(code: str, user: str | None = JANE, time: str = "") -> str:
    who = f' creatingUser="{user}"' if user else ""
    when = f' creationDateTime="{time}"' if time else ""
    return f'<Coding guid="{new_guid()}"{who}{when}><CodeRef targetGUID="{code_guid(code)}"/></Coding>'


def selection(start: int, end: int, *inner: str, name: str = "", user: str = "") -> str:
    extra = (f' name="{name}"' if name else "") + (f' creatingUser="{user}"' if user else "")
    return (f'<PlainTextSelection guid="{new_guid()}"{extra} startPosition="{start}" endPosition="{end}">'
            f'{"".join(inner)}</PlainTextSelection>')


def text_source(*inner: str, user: str = "") -> str:
    who = f' creatingUser="{user}"' if user else ""
    return f'<TextSource guid="{SOURCE}" name="tg1" plainTextPath="internal://tg1.txt"{who}>{"".join(inner)}</TextSource>'


def rejection(note: str, user: str, code: str, why: str) -> str:
    return (f'<Note guid="{note}" name="rejected: {code}" creatingUser="{user}"><PlainTextContent>Jane Doe rejected '
            f"'{code}' on this passage. {why}\n\nCode id: {code}</PlainTextContent></Note>")


def project_xml(sources: str, *, variables: str = "", cases: str = "", notes: str = "", creating: str = "",
                modified: str = "") -> bytes:
    users = (f'<Users><User guid="{JANE}" name="Jane Doe"/><User guid="{BOB}" name="Bob"/>'
             f'<User guid="{MACHINE}" name="tfidf" id="machine:tfidf"/></Users>')
    codes = "".join(f'<Code guid="{code_guid(c)}" name="{c}" isCodable="true"/>' for c in CODES)
    parts = [users, f"<CodeBook><Codes>{codes}</Codes></CodeBook>"]
    parts += [f"<Variables>{variables}</Variables>" if variables else "", f"<Cases>{cases}</Cases>" if cases else ""]
    parts += [f"<Sources>{sources}</Sources>", f"<Notes>{notes}</Notes>" if notes else ""]
    creator = f' creatingUserGUID="{creating}"' if creating else ""
    creator += f' modifiedDateTime="{modified}"' if modified else ""
    return (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="theirs" '
            f'origin="Other QDA 2"{creator}>{"".join(parts)}</Project>').encode()


def qdpx(tmp_path, xml: bytes, text: str | None, **files: bytes):
    """An archive whose text source is ``text`` (the guide's own text, so positions are ours)."""
    members = {"project.qde": xml, **{f"sources/{n}": d for n, d in files.items()}}
    if text is not None:
        members["sources/tg1.txt"] = text.encode()
    return write_zip(tmp_path / f"theirs{next(_serial)}.qdpx", members)


def imported(project: Project, tmp_path, gt: GuideText, sources: str, **kw):
    return import_qdpx(project, qdpx(tmp_path, project_xml(sources, **kw), gt.text), dry_run=True)


# --- who decided


def test_users_with_the_same_name_stay_different_reviewers():
    qda = QdaProject(users={"u1": ("Jane Doe", ""), "u2": ("Jane Doe", ""), "u3": ("Jane  Doe", "")})
    names = reviewer_names(qda)
    assert len(set(names.values())) == 3
    assert all(REVIEWER_PATTERN.match(n) and n.startswith("Jane_Doe") for n in names.values())


def test_machine_coders_are_neither_reviewers_nor_deciders(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    result = imported(built, tmp_path, gt, text_source(selection(
        *gt.spans[first.id], coding("hospitalize_when_necessary"), coding("client_centered", MACHINE))))
    assert "tfidf" not in result.reviewers.values() and result.reviewers["Jane Doe"] == "Jane_Doe"
    assert [(d.reviewer, d.code) for d in result.decisions] == [("Jane_Doe", "hospitalize_when_necessary")]


def test_a_coding_without_a_user_is_the_project_creators(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    result = imported(built, tmp_path, gt, text_source(selection(*gt.spans[first.id], coding("client_centered", None))),
                      creating=BOB)
    assert [d.reviewer for d in result.decisions] == ["Bob"]


def test_a_coding_without_a_user_is_its_selections_users(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    sel = selection(*gt.spans[first.id], coding("client_centered", None), user=BOB)
    result = imported(built, tmp_path, gt, text_source(sel, user=JANE))
    assert [d.reviewer for d in result.decisions] == ["Bob"]


def test_a_coding_keeps_the_time_it_was_made(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    made = "2024-11-05T09:30:00Z"
    result = imported(built, tmp_path, gt, text_source(selection(*gt.spans[first.id], coding("client_centered", time=made))))
    assert [d.made for d in result.decisions] == [made]


# --- which guide


def test_a_pdf_is_known_by_its_bytes_whatever_its_name(built, gt, tmp_path):
    pdf = (built.corpus_dir / "tg1.pdf").read_bytes()
    sources = ('<PDFSource guid="C0000000-0000-4000-8000-000000000001" name="download (3)" path="internal://a.pdf"/>'
               '<PDFSource guid="C0000000-0000-4000-8000-000000000002" name="download (4)" path="internal://b.pdf"/>')
    archive = qdpx(tmp_path, project_xml(sources), None, **{"a.pdf": pdf, "b.pdf": pdf.replace(b"Offer", b"Deny ")})
    result = import_qdpx(built, archive, dry_run=True)
    assert result.sources == {"download (3)": "tg1"}
    assert any("'download (4)' matches no guide" in w for w in result.warnings)


def test_a_coding_of_the_whole_source_is_an_answer_for_the_guide_on_its_text(built, gt, tmp_path):
    sha = load_manifest(built.manifest_path).guides[0].sha256
    (answer,) = imported(built, tmp_path, gt, text_source(coding("dont_stigmatize"))).decisions
    assert (answer.reviewer, answer.level, answer.guide, answer.code, answer.value) == \
        ("Jane_Doe", "guide", "tg1", "dont_stigmatize", True)
    assert answer.text_hash == sha


# --- what each coding says


def test_a_suggested_sentence_coded_whole_is_accepted_and_coded_in_part_is_added(built, gt, tmp_path):
    suggested = {s.segment for s in load_review(built).suggestions if s.code == "client_centered"}
    whole, part = [s for s in gt.segments if s.id in suggested and s.kind == "sentence" and len(s.text) > 80][:2]
    a, _ = gt.spans[part.id]
    result = imported(built, tmp_path, gt, text_source(selection(*gt.spans[whole.id], coding("client_centered")),
                                                       selection(a + 6, a + 30, coding("client_centered"))))
    actions = {d.segment: (d.action, d.start, d.end) for d in result.decisions}
    assert actions == {whole.id: ("accept", -1, -1), part.id: ("add", 6, 30)}


def test_a_segment_decision_records_the_hash_of_the_text_it_was_made_on(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    (decision,) = imported(built, tmp_path, gt, text_source(selection(*gt.spans[first.id], coding("client_centered")))
                           ).decisions
    assert decision.segment == first.id and decision.text_hash == text_hash(first.text)


def test_a_rejection_alone_on_a_passage_is_recorded_with_its_note(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    note = new_guid()
    sel = selection(*gt.spans[first.id], f'<NoteRef targetGUID="{note}"/>')
    result = imported(built, tmp_path, gt, text_source(sel),
                      notes=rejection(note, JANE, "client_centered", "Too vague to count."))
    assert [(d.reviewer, d.segment, d.code, d.value, d.action, d.note) for d in result.decisions] == \
        [("Jane_Doe", first.id, "client_centered", False, "reject", "Too vague to count.")]


def test_a_rejection_of_a_code_not_in_the_codebook_is_not_recorded(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    note = new_guid()
    sel = selection(*gt.spans[first.id], f'<NoteRef targetGUID="{note}"/>')
    result = imported(built, tmp_path, gt, text_source(sel), notes=rejection(note, JANE, "no_such_code", "Off topic."))
    assert result.decisions == []


# --- what is already there


def test_a_changed_answer_is_recorded_not_taken_for_the_one_before(fresh, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", "2025-01-01T10:00:00Z", "segment", "tg1", "client_centered",
                                                  False, "reject", first.id, text_hash(first.text))])
    result = imported(fresh, tmp_path, gt, text_source(selection(*gt.spans[first.id], coding("client_centered"))),
                      modified="2025-06-01T00:00:00Z")
    assert [(d.segment, d.value) for d in result.decisions] == [(first.id, True)] and result.unchanged == 0


def test_a_coding_moved_within_a_sentence_is_recorded_again(fresh, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    a, _ = gt.spans[first.id]
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", "2025-01-01T10:00:00Z", "segment", "tg1", "dont_stigmatize",
                                                  True, "add", first.id, text_hash(first.text), start=4, end=30)])
    result = imported(fresh, tmp_path, gt, text_source(selection(a + 6, a + 30, coding("dont_stigmatize"))),
                      modified="2025-06-01T00:00:00Z")
    assert [(d.segment, d.start, d.end) for d in result.decisions] == [(first.id, 6, 30)] and result.unchanged == 0


def test_a_coding_older_than_the_reviewers_current_decision_does_not_undo_it(fresh, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", "2025-03-01T10:00:00Z", "segment", "tg1", "client_centered",
                                                  False, "reject", first.id, text_hash(first.text))])
    for made, recorded in (("2025-02-01T10:00:00Z", False), ("2025-03-01T10:00:01Z", True),
                           ("2025-02-01T10:00:00", False), ("2025-03-01T11:00:00+02:00", False)):  # no zone is UTC
        result = imported(fresh, tmp_path, gt, text_source(selection(*gt.spans[first.id],
                                                                     coding("client_centered", time=made))))
        assert bool(result.decisions) is recorded, made
        assert any("is not newer than Jane_Doe's current decision, No made 2025-03-01T10:00:00Z; that one stands"
                   in line and first.id in line for line in result.unmatched) is not recorded


def test_a_coding_without_a_time_is_as_old_as_the_file_that_holds_it(fresh, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", "2025-03-01T10:00:00Z", "segment", "tg1", "client_centered",
                                                  False, "reject", first.id, text_hash(first.text))])
    sources = text_source(selection(*gt.spans[first.id], coding("client_centered")))
    assert not imported(fresh, tmp_path, gt, sources, modified="2025-02-01T00:00:00Z").decisions
    (later,) = imported(fresh, tmp_path, gt, sources, modified="2025-04-01T00:00:00Z").decisions
    assert later.made == "2025-04-01T00:00:00Z" and later.value and later.time > later.made  # recorded now


def test_a_file_without_times_does_not_replace_a_current_decision_unless_the_reviewer_says_it_is_newer(fresh, gt, tmp_path):
    """QualCoder writes no times at all: its answer may be older or newer than the reviewer's current one."""
    first, second = [s for s in gt.segments if s.kind == "sentence"][:2]
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", "2025-03-01T10:00:00Z", "segment", "tg1", "client_centered",
                                                  False, "reject", first.id, text_hash(first.text))])
    archive = qdpx(tmp_path, project_xml(text_source(selection(*gt.spans[first.id], coding("client_centered")),
                                                     selection(*gt.spans[second.id], coding("client_centered")))), gt.text)
    result = import_qdpx(fresh, archive)
    assert [(d.segment, d.value, d.made) for d in result.decisions] == [(second.id, True, UNKNOWN_TIME)]  # nothing there
    (line,) = [line for line in result.unmatched if first.id in line]
    assert "has no time in the file" in line and "No made 2025-03-01T10:00:00Z" in line and "--untimed-wins" in line
    assert latest(load_review(fresh).decisions)[("Jane_Doe", ("segment", "tg1", "client_centered", first.id))].value is False
    out = CliRunner().invoke(main, ["import", "qdpx", str(archive), "--untimed-wins", "-p", str(fresh.root)])
    assert out.exit_code == 0 and "1 decision(s) recorded (Jane_Doe 1); 1 unchanged" in " ".join(out.output.split())
    assert latest(load_review(fresh).decisions)[("Jane_Doe", ("segment", "tg1", "client_centered", first.id))].value


def test_an_answer_of_unknown_time_gives_way_to_one_made_after_it_was_recorded(fresh, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    import_qdpx(fresh, qdpx(tmp_path, project_xml(text_source(selection(*gt.spans[first.id], coding("client_centered")))),
                            gt.text))
    (untimed,) = load_review(fresh).decisions
    assert untimed.made == UNKNOWN_TIME and untimed.made_at == untimed.time  # made no later than recorded
    append_decisions(fresh.reviews_dir, [replace(untimed, time="2025-03-01T10:00:00Z")])  # as if recorded then
    for made, recorded in (("2025-03-01T10:00:00Z", False), ("2025-03-01T10:00:01Z", True)):
        no = text_source(selection(*gt.spans[first.id], f'<NoteRef targetGUID="{(note := new_guid())}"/>'))
        xml = project_xml(no, notes=rejection(note, JANE, "client_centered", "Not care."), modified=made)
        result = import_qdpx(fresh, qdpx(tmp_path, xml, gt.text), dry_run=True)
        assert [d.value for d in result.decisions] == ([False] if recorded else []), made
        assert any("Yes made at an unknown time, no later than 2025-03-01T10:00:00Z; that one stands" in line
                   for line in result.unmatched) is not recorded


def test_an_import_reads_checks_and_records_under_the_recording_lock_and_a_dry_run_takes_none(fresh, gt, tmp_path,
                                                                                               monkeypatch):
    from mapping_review.exchange import importer

    names = ("load_review", "match_selection", "merge_decisions")
    seen = note_lock_when_called(monkeypatch, importer, names, fresh.reviews_dir)
    first = next(s for s in gt.segments if s.kind == "sentence")
    archive = qdpx(tmp_path, project_xml(text_source(selection(*gt.spans[first.id], coding("client_centered")))), gt.text)
    assert import_qdpx(fresh, archive, dry_run=True).decisions and not list(fresh.reviews_dir.glob("*.jsonl"))
    assert seen == [("load_review", False), ("match_selection", False), ("load_review", False),
                    ("merge_decisions", False)]
    seen.clear()
    assert import_qdpx(fresh, archive).decisions
    # the selections are placed without the lock (a large file takes a while); the decisions they are checked
    # against are read under it
    assert seen == [("load_review", False), ("match_selection", False), ("load_review", True),
                    ("merge_decisions", True)] and not folder_held(fresh.reviews_dir)


def test_an_import_holds_the_recording_lock_once_from_reading_to_appending(fresh, gt, tmp_path, monkeypatch):
    taken = count_flocks(monkeypatch)
    first = next(s for s in gt.segments if s.kind == "sentence")
    archive = qdpx(tmp_path, project_xml(text_source(selection(*gt.spans[first.id], coding("client_centered")))), gt.text)
    assert import_qdpx(fresh, archive).decisions
    assert len(taken) == 1


def test_a_coding_deleted_in_the_other_program_is_listed_and_stands(fresh, gt, tmp_path):
    first, second = [s for s in gt.segments if s.kind == "sentence"][:2]
    append_decisions(fresh.reviews_dir, [
        Decision("Jane_Doe", "2025-03-01T10:00:00Z", "segment", "tg1", "client_centered", True, "add", s.id,
                 text_hash(s.text)) for s in (first, second)])
    result = imported(fresh, tmp_path, gt, text_source(selection(*gt.spans[first.id], coding("client_centered"))),
                      modified="2025-06-01T00:00:00Z")
    assert result.decisions == [] and result.unchanged == 1
    assert [w for w in result.warnings if w.startswith("1 of Jane_Doe's current codings on tg1 are not in this file "
                                                       f"(segment {second.id} 'client_centered')")]


def test_our_own_older_export_brought_back_leaves_every_later_decision_standing(fresh, gt, tmp_path):
    """Bob accepts, Jane answers Yes on her sheet, the review is exported; both then change their minds.
    Importing the export must not bring the old answers back."""
    first = next(s for s in gt.segments if s.kind == "sentence")
    sha = load_manifest(fresh.manifest_path).guides[0].sha256
    before = [Decision("Bob", "2025-01-01T10:00:00Z", "segment", "tg1", "client_centered", True, "add", first.id,
                       text_hash(first.text)),
              Decision("Jane_Doe", "2025-01-01T10:00:00Z", "guide", "tg1", "dont_stigmatize", True, text_hash=sha)]
    append_decisions(fresh.reviews_dir, before)
    archive = export_qdpx(fresh, tmp_path / "old.qdpx", timestamp="2025-02-01T00:00:00Z").path
    after = [replace(d, time="2025-03-01T10:00:00Z", value=False, action="reject" if d.level == "segment" else "set")
             for d in before]
    append_decisions(fresh.reviews_dir, after)
    result = import_qdpx(fresh, archive)
    assert result.decisions == [] and len([line for line in result.unmatched if "that one stands" in line]) == 2
    current = latest(load_review(fresh).decisions)
    assert {(who, d.code): d.value for (who, _), d in current.items()} == \
        {("Bob", "client_centered"): False, ("Jane_Doe", "dont_stigmatize"): False}


def test_an_untimed_answer_imported_after_a_sheet_was_exported_is_not_undone_by_that_sheet(fresh, gt, tmp_path):
    sha = load_manifest(fresh.manifest_path).guides[0].sha256
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", "2025-01-01T10:00:00Z", "guide", "tg1", "dont_stigmatize",
                                                  False, text_hash=sha)])
    state = load_review(fresh)
    sheet = export_sheet(tmp_path / "jane.csv", state.codebook, ["tg1"], reviewer="Jane_Doe",
                         decisions=state.decisions, machine={}, evidence={})  # Jane's No
    header, rows = read_table(sheet)
    rows[0][header.index("exported")] = "2025-06-01T00:00:00Z"  # exported before the import below records
    write_table(sheet, header, rows)
    v = variable_guid("dont_stigmatize")
    xml = project_xml(text_source(), variables=variable(v, "x"), cases=case("tg1 | Jane Doe", {v: "true"}),
                      modified="2025-02-01T00:00:00Z")  # her Yes, from a file last changed before the sheet
    assert [d.value for d in import_qdpx(fresh, qdpx(tmp_path, xml, gt.text)).decisions] == [True]
    state = load_review(fresh)  # the sheet still says No, as exported: it records nothing, her Yes stands
    result = read_sheet(sheet, state.codebook, guides={"tg1": sha}, reviewer="Jane_Doe", previous=state.decisions)
    assert result.decisions == [] and result.superseded == 1


def test_a_coding_dated_in_the_future_does_not_undo_a_later_decision_when_imported_again(fresh, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    xml = project_xml(text_source(selection(*gt.spans[first.id], coding("client_centered", time="2099-01-01T00:00:00Z"))),
                      modified="2025-06-01T00:00:00Z")
    archive = qdpx(tmp_path, xml, gt.text)
    assert [d.value for d in import_qdpx(fresh, archive).decisions] == [True]
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", now(), "segment", "tg1", "client_centered", False,
                                                  "reject", first.id, text_hash(first.text))])  # she changes her mind
    assert import_qdpx(fresh, archive, dry_run=True).decisions == []


def test_our_export_brought_back_leaves_a_decision_made_in_the_second_of_the_export_standing(fresh, gt, tmp_path):
    sha = load_manifest(fresh.manifest_path).guides[0].sha256
    yes = Decision("Jane_Doe", "2025-01-01T10:00:00Z", "guide", "tg1", "dont_stigmatize", True, text_hash=sha)
    append_decisions(fresh.reviews_dir, [yes])
    archive = export_qdpx(fresh, tmp_path / "old.qdpx", timestamp="2025-02-01T00:00:00Z").path
    append_decisions(fresh.reviews_dir, [replace(yes, time="2025-02-01T00:00:00Z", value=False)])  # just after it
    result = import_qdpx(fresh, archive, dry_run=True)
    assert result.decisions == [] and [line for line in result.unmatched if "that one stands" in line]


def test_a_dry_run_refuses_what_the_import_would_refuse(fresh, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    append_decisions(fresh.reviews_dir, [Decision("jane_doe", "2025-01-01T10:00:00Z", "segment", "tg1",
                                                  "client_centered", True, "add", first.id, text_hash(first.text))])
    archive = qdpx(tmp_path, project_xml(text_source(selection(*gt.spans[first.id],
                                                                coding("hospitalize_when_necessary")))), gt.text)
    with pytest.raises(ConfigError, match="only in letter case"):
        import_qdpx(fresh, archive)
    with pytest.raises(ConfigError, match="only in letter case"):
        import_qdpx(fresh, archive, dry_run=True)


def test_several_codings_of_one_code_in_one_sentence_are_one_decision_covering_them(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence" and len(s.text) > 60)
    a, _ = gt.spans[first.id]
    result = imported(built, tmp_path, gt, text_source(selection(a + 30, a + 50, coding("dont_stigmatize")),
                                                       selection(a + 4, a + 20, coding("dont_stigmatize"))))
    assert [(d.segment, d.value, d.action, d.start, d.end) for d in result.decisions] == \
        [(first.id, True, "add", 4, 50)]
    assert len(result.merged) == 1 and "2 codings in one sentence recorded as one, on characters 4-50" in result.merged[0]


def test_a_coding_and_a_rejection_of_one_sentence_leave_the_later_and_report_the_other(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    note = new_guid()
    later = f'<Note guid="{note}" name="rejected: x" creatingUser="{JANE}" creationDateTime="2025-05-01T00:00:00Z">' \
            "<PlainTextContent>Jane Doe rejected it on this passage.\n\nCode id: client_centered</PlainTextContent></Note>"
    sel = selection(*gt.spans[first.id], coding("client_centered", time="2025-04-01T00:00:00Z"),
                    f'<NoteRef targetGUID="{note}"/>')
    result = imported(built, tmp_path, gt, text_source(sel), notes=later)
    assert [(d.value, d.made) for d in result.decisions] == [(False, "2025-05-01T00:00:00Z")]
    assert [line for line in result.unmatched if "Yes made 2025-04-01T00:00:00Z is contradicted in the same file by "
            "No made 2025-05-01T00:00:00Z" in line]


def test_a_rejection_that_cannot_be_placed_is_reported(built, gt, tmp_path):
    note, other = new_guid(), new_guid()
    text = "Nothing like this passage is in the guide at all, anywhere."
    sel = selection(0, len(text), f'<NoteRef targetGUID="{note}"/>', f'<NoteRef targetGUID="{other}"/>')
    source = (f'<TextSource guid="{SOURCE}" name="tg1"><PlainTextContent>{text}</PlainTextContent>{sel}</TextSource>')
    result = imported(built, tmp_path, gt, source, notes=rejection(note, JANE, "client_centered", "No.") +
                      rejection(other, JANE, "no_such_code", "No."))
    assert result.decisions == []
    assert [line for line in result.unmatched if "rejection of 'client_centered' by Jane_Doe: no segment has this text"
            in line]
    assert [line for line in result.unmatched if "rejection of 'no_such_code' by Jane_Doe: code is not in codebook.yaml"
            in line]


def test_a_rejection_on_a_source_that_matches_no_guide_is_reported(built, gt, tmp_path):
    note = new_guid()
    sel = selection(0, 10, f'<NoteRef targetGUID="{note}"/>')
    source = f'<TextSource guid="{SOURCE}" name="elsewhere"><PlainTextContent>Some other text.</PlainTextContent>{sel}' \
             "</TextSource>"
    result = imported(built, tmp_path, gt, source, notes=rejection(note, JANE, "client_centered", "No."))
    assert [line for line in result.unmatched if "rejection of 'client_centered' by Jane_Doe: source matches no guide"
            in line]


# --- guide-level answers in cases


def case(name: str, values: dict[str, str], *refs: str) -> str:
    cells = "".join(f'<VariableValue><VariableRef targetGUID="{v}"/><BooleanValue>{value}</BooleanValue></VariableValue>'
                    for v, value in values.items())
    sources = "".join(f'<SourceRef targetGUID="{r}"/>' for r in refs)
    return f'<Case guid="{new_guid()}" name="{name}">{cells}{sources}</Case>'


def variable(guid: str, description: str) -> str:
    return (f'<Variable guid="{guid}" name="v{guid[-3:]}" typeOfVariable="Boolean">'
            f"<Description>{description}</Description></Variable>")


def answers(result) -> list[tuple]:
    return sorted((d.reviewer, d.level, d.guide, d.code, d.value) for d in result.decisions)


def test_a_case_named_otherwise_finds_its_guide_by_its_source(built, gt, tmp_path):
    ours = variable_guid("dont_stigmatize")
    result = imported(built, tmp_path, gt, text_source(), variables=variable(ours, "Stigma"),
                      cases=case("A Test Guideline | Jane Doe", {ours: "true"}, SOURCE))
    assert answers(result) == [("Jane_Doe", "guide", "tg1", "dont_stigmatize", True)] and result.unmatched == []


def test_case_values_written_as_1_and_0_are_yes_and_no(built, gt, tmp_path):
    yes, no = variable_guid("dont_stigmatize"), variable_guid("hospitalize_when_necessary")
    result = imported(built, tmp_path, gt, text_source(), variables=variable(yes, "a") + variable(no, "b"),
                      cases=case("tg1 | Jane Doe", {yes: "1", no: "0"}))
    assert answers(result) == [("Jane_Doe", "guide", "tg1", "dont_stigmatize", True),
                               ("Jane_Doe", "guide", "tg1", "hospitalize_when_necessary", False)]


def test_another_programs_variable_is_read_by_the_code_id_in_its_description(built, gt, tmp_path):
    theirs = new_guid()
    result = imported(built, tmp_path, gt, text_source(),
                      variables=variable(theirs, "Does the guide avoid stigma? Code id: dont_stigmatize"),
                      cases=case("tg1 | Bob", {theirs: "true"}))
    assert answers(result) == [("Bob", "guide", "tg1", "dont_stigmatize", True)]


def test_a_coder_in_the_file_may_not_settle_what_they_answered_in_it(built, gt, tmp_path):
    v = variable_guid("dont_stigmatize")
    cases = case("tg1 | Jane Doe", {v: "true"}) + case("tg1 | Bob", {v: "false"}) + case("tg1 | consensus", {v: "true"})
    archive = qdpx(tmp_path, project_xml(text_source(), variables=variable(v, "x"), cases=cases), gt.text)
    with pytest.raises(RoleError, match="Jane_Doe"):  # the project holds no answers: Jane's are in this file
        import_qdpx(built, archive, dry_run=True, settled_by="Jane_Doe")
    agreed = [d for d in import_qdpx(built, archive, dry_run=True, settled_by="dana").decisions if d.reviewer == "consensus"]
    assert [(d.code, d.value, d.settled_by) for d in agreed] == [("dont_stigmatize", True, "dana")]


# --- where a selection lands


def test_a_selection_at_the_very_start_of_the_text_is_placed(built, gt, tmp_path):
    first = next(s for s in gt.segments if gt.spans[s.id][0] == 0)
    a, b = gt.spans[first.id]
    result = imported(built, tmp_path, gt, text_source(selection(a, b, coding("client_centered"))))
    assert result.unmatched == [] and [d.segment for d in result.decisions] == [first.id]


def test_a_selection_is_placed_by_its_text_not_by_a_stale_segment_name(built, gt, tmp_path):
    named = next(s for s in gt.segments if s.kind == "sentence")  # the name our export gave, now wrong
    at = nth(gt.text, PREFERENCES, 1)
    there = sentence_at(gt, at, at + len(PREFERENCES))
    result = imported(built, tmp_path, gt, text_source(selection(at, at + len(PREFERENCES), coding("client_centered"),
                                                                 name=named.id)))
    assert [d.segment for d in result.decisions] == [there.id]


def pdf_source(*selections: str) -> str:
    return f'<PDFSource guid="{SOURCE}" name="tg1">{"".join(selections)}</PDFSource>'


def pdf_area(page: int, box: tuple[float, float, float, float], *inner: str) -> str:
    """A PDF area on ``page`` (1-based) around ``box`` (our points from the top left)."""
    x0, top, x1, bottom = box
    return (f'<PDFSelection guid="{new_guid()}" page="{page - 1}" firstX="{int(x0)}" firstY="{int(HEIGHT - bottom)}" '
            f'secondX="{int(x1)}" secondY="{int(HEIGHT - top)}">{"".join(inner)}</PDFSelection>')


def test_a_pdf_areas_own_text_is_found_on_its_page(built, gt, tmp_path):
    """The words recur on every page; an area that gives its text is placed by it, on its own page."""
    words = "Offer people with depression a choice of treatment"
    area = pdf_area(2, (0, 0, 10, 10), f"<Representation guid=\"{new_guid()}\"><PlainTextContent>{words}"
                    "</PlainTextContent></Representation>", coding("client_centered"))
    result = import_qdpx(built, qdpx(tmp_path, project_xml(pdf_source(area)), None), dry_run=True)
    pages = {s.id: s.page for s in gt.segments}
    assert [pages[d.segment] for d in result.decisions] == [2]


def test_a_pdf_area_takes_only_the_paragraphs_it_mostly_covers(built, gt, tmp_path):
    one, two = [s for s in gt.segments if s.kind == "paragraph" and s.page == 1][:2]
    x0, top, x1, _ = one.bbox
    reach = two.bbox[1] + 0.2 * (two.bbox[3] - two.bbox[1])  # a fifth of the next paragraph
    area = pdf_area(1, (x0 - 2, top - 2, x1 + 2, reach), coding("client_centered"))
    result = import_qdpx(built, qdpx(tmp_path, project_xml(pdf_source(area)), None), dry_run=True)
    assert [d.segment for d in result.decisions] == [one.id]


# --- another program's reading of the text


def at(start: int, end: int) -> QdaSelection:
    """A text selection by its positions alone."""
    return QdaSelection("g", "", start, end, 0, None, "", "", (), (), 0)


def test_a_convention_is_chosen_on_evidence_and_code_points_otherwise():
    theirs = "Alpha beta\r\ngamma delta"
    assert best_reading(theirs, [at(0, 5)], None).convention == "code points"  # both read "Alpha"
    counted_lf = best_reading(theirs, [at(11, 16)], None)  # "gamma" when a line end is one character
    assert counted_lf.convention == "a line end as one character" and counted_lf.text_of(at(11, 16)) == "gamma"


def test_offsets_in_utf16_units_read_the_selected_text():
    theirs = "\N{GRINNING FACE} Offer care now."  # the face is two UTF-16 units
    reading = best_reading(theirs, [at(3, 8)], None)
    assert reading.convention == "UTF-16 units" and reading.text_of(at(3, 8)) == "Offer"


def test_utf16_units_are_judged_by_word_boundaries_like_the_other_conventions():
    """Sloppy selections in code points (cut inside words) read as non-blank text under UTF-16 units: that
    alone once made UTF-16 win, and every later selection was read a character off."""
    theirs = "\N{GRINNING FACE} Alpha beta gamma delta epsilon."
    beta, sloppy, sloppier = at(8, 12), at(3, 11), at(15, 20)  # "beta", "lpha bet", "mma d" in code points
    reading = best_reading(theirs, [beta, sloppy, sloppier], None)
    assert reading.convention == "code points" and reading.text_of(beta) == "beta"


def test_a_utf16_offset_inside_a_surrogate_pair_takes_the_whole_character():
    theirs = "Go \N{GRINNING FACE} now and \N{GRINNING FACE} then."
    reading = best_reading(theirs, [at(6, 9), at(17, 21)], None)  # "now", "then": UTF-16 units
    assert reading.convention == "UTF-16 units" and reading.text_of(at(17, 21)) == "then"
    assert reading.text_of(at(4, 9)) == "\N{GRINNING FACE} now" and reading.text_of(at(3, 4)) == "\N{GRINNING FACE}"


def test_a_short_selection_in_utf16_units_on_our_own_text_is_found():
    face = "\N{GRINNING FACE}"
    text = f"Use {face} {face} {face} here. Act now. Then rest."
    spans = [(0, text.index("Act") - 1), (text.index("Act"), text.index("Then") - 1), (text.index("Then"), len(text))]
    segments = [Segment(f"s{i}", "g", "sentence", "text", 1, a, 1, b, (), text[a:b], None) for i, (a, b) in enumerate(spans)]
    ours = GuideText("g", text, [0], segments, spans={s.id: (s.start, s.end) for s in segments})
    units = [len(text[:i].encode("utf-16-le")) // 2 for i in range(len(text) + 1)]
    act = at(units[spans[1][0]], units[spans[1][1]])  # "Act now.", counted in UTF-16 units
    reading = best_reading(text, [act, at(units[spans[2][0]], units[spans[2][1]])], ours)
    assert reading.convention == "UTF-16 units" and reading.same and reading.text_of(act) == "Act now."
    found = match_selection(act, reading, ours)
    assert found is not None and [s.id for s in found.segments] == ["s1"]


def test_their_positions_are_scaled_to_ours_to_pick_the_nearest_repeat(gt):
    starts = [*gt.page_starts, len(gt.text) + 2]
    pages = [gt.text[a : b - 2] for a, b in itertools.pairwise(starts)]
    furniture = "A Test Guideline (TG1)\n{}\n(c) Test Institute 2024. All rights reserved. Subject to Notice of rights."
    theirs = "\n\n".join(furniture.format(p) for p in pages)  # their text keeps running headers and footers
    k = 4  # the fifth of nine repeats, in the middle of the guide
    where = nth(theirs, PREFERENCES, k)
    found = match_selection(at(where, where + len(PREFERENCES)), best_reading(theirs, [], gt), gt)
    ours = nth(gt.text, PREFERENCES, k)
    assert found is not None and [gt.spans[s.id] for s in found.segments] == [(ours, ours + len(PREFERENCES))]


# --- finding text in the guide


def test_a_loose_match_is_the_repeat_nearest_the_hint_and_spans_exactly_its_words(gt):
    wanted = PREFERENCES.rstrip(":").lower()  # differs in letter case, so found by letters and digits
    on_page_2 = nth(gt.text, PREFERENCES, 3)  # three repeats on each page
    assert gt.page_at(on_page_2) == 2
    assert gt.locate(wanted, on_page_2 + 5) == (on_page_2, on_page_2 + len(wanted))


def test_a_loose_match_after_a_ligature_spans_exactly_its_words():
    fi = "\N{LATIN SMALL LIGATURE FI}"  # one character in the PDF's text, two letters in theirs
    ours = GuideText("g", f"The {fi}rst step: offer the {fi}rst-line treatment.", [0], [])
    a, b = ours.locate("first-line\ntreatment", -1)
    assert ours.text[a:b] == f"{fi}rst-line treatment"


def test_a_short_selection_is_not_searched_for_loosely(gt):
    assert gt.locate("Care", -1) is None  # four letters would be found almost anywhere


def test_the_first_character_of_a_page_is_on_that_page(gt):
    assert [gt.page_at(a) for a in gt.page_starts] == [1, 2, 3]
    assert gt.page_at(gt.page_starts[1] - 1) == 1


def test_a_span_takes_the_sentences_it_mostly_covers(gt):
    first, second = [s for s in gt.segments if s.kind == "sentence" and s.page == 1][:2]
    a, b = gt.spans[first.id]
    _, end = gt.spans[second.id]
    found = gt.segments_at(b - (b - a) * 3 // 10, end)  # the last 30% of one sentence and all of the next
    assert found is not None and found.segments == (second,)


def test_a_span_at_the_start_of_a_sentence_is_that_part_of_it(gt):
    first = next(s for s in gt.segments if s.kind == "sentence")
    a, b = gt.spans[first.id]
    found = gt.segments_at(a, a + (b - a) // 3)
    assert found is not None and found.segments == (first,)
    assert first.text[found.start : found.end] == gt.text[a : a + (b - a) // 3] and found.start == 0


def test_an_imported_coding_is_exported_with_the_time_it_was_made(fresh, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    made = "2024-11-05T09:30:00Z"
    result = import_qdpx(fresh, qdpx(tmp_path, project_xml(text_source(selection(
        *gt.spans[first.id], coding("client_centered", time=made)))), gt.text))
    assert [(d.made, d.time > made) for d in result.decisions] == [(made, True)]  # recorded now, made then
    archive = export_qdpx(fresh, tmp_path / "again.qdpx").path
    with zipfile.ZipFile(archive) as z:
        qde = z.read("project.qde").decode()
    assert f'creationDateTime="{made}"' in qde.split("<Coding ", 1)[1].split(">", 1)[0]


def test_a_coding_of_unknown_time_is_exported_with_the_time_it_was_recorded(fresh, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    (d,) = import_qdpx(fresh, qdpx(tmp_path, project_xml(text_source(selection(
        *gt.spans[first.id], coding("client_centered")))), gt.text)).decisions
    assert d.made == UNKNOWN_TIME
    with zipfile.ZipFile(export_qdpx(fresh, tmp_path / "again.qdpx").path) as z:  # the export is checked by the schema
        qde = z.read("project.qde").decode()
    assert f'creationDateTime="{d.time}"' in qde.split("<Coding ", 1)[1].split(">", 1)[0]


def test_consensus_codings_left_out_for_want_of_a_recorder_are_not_reported_as_recorded(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence" and len(s.text) > 60)
    a, _ = gt.spans[first.id]
    sources = text_source(selection(a + 30, a + 50, coding("dont_stigmatize", BOB)),
                          selection(a + 4, a + 20, coding("dont_stigmatize", BOB)))
    xml = project_xml(sources).replace(f'<User guid="{BOB}" name="Bob"/>'.encode(),
                                       f'<User guid="{BOB}" name="consensus"/>'.encode())
    result = import_qdpx(built, qdpx(tmp_path, xml, gt.text), dry_run=True)  # no --by: nothing of theirs recorded
    assert result.decisions == [] and result.merged == [] and result.left_out == 1  # counted as not recorded
    assert any("consensus decision(s) not recorded" in w for w in result.warnings)


# --- files whose times say nothing: none at all, or in the future


@pytest.mark.parametrize(("coded", "modified"), [("2099-01-01T00:00:00Z", ""), ("", "2099-01-01T00:00:00Z")],
                         ids=["a coding in the future, no file time", "no coding time, the file in the future"])
def test_a_file_whose_times_are_in_the_future_does_not_undo_a_later_decision_when_imported_again(fresh, gt, tmp_path,
                                                                                                coded, modified):
    first = next(s for s in gt.segments if s.kind == "sentence")
    xml = project_xml(text_source(selection(*gt.spans[first.id], coding("client_centered", time=coded))),
                      modified=modified)
    archive = qdpx(tmp_path, xml, gt.text)
    yes = Decision("Jane_Doe", "2025-03-01T10:00:00Z", "segment", "tg1", "client_centered", True, "accept", first.id,
                   text_hash(first.text), origin=f"qdpx:{archive.name}", made="2025-03-01T10:00:00Z")
    append_decisions(fresh.reviews_dir, [yes, replace(yes, time="2025-04-01T10:00:00Z", value=False, action="reject",
                                                      origin="", made="")])  # imported once, then she changed her mind
    assert import_qdpx(fresh, archive, dry_run=True).decisions == []  # the same file again must not undo it


def test_an_untimed_coding_of_a_file_dated_in_the_future_is_not_made_after_it_was_recorded(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    (d,) = imported(built, tmp_path, gt, text_source(selection(*gt.spans[first.id], coding("client_centered"))),
                    modified="2099-01-01T00:00:00Z").decisions
    assert parse_time(d.made_at) <= parse_time(d.time)


def test_case_values_of_a_file_without_times_do_not_replace_a_current_answer(fresh, gt, tmp_path):
    sha = load_manifest(fresh.manifest_path).guides[0].sha256
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", "2025-03-01T10:00:00Z", "guide", "tg1", "dont_stigmatize",
                                                  False, text_hash=sha)])
    v, w = variable_guid("dont_stigmatize"), variable_guid("hospitalize_when_necessary")
    xml = project_xml(text_source(), variables=variable(v, "x") + variable(w, "y"),
                      cases=case("tg1 | Jane Doe", {v: "true", w: "true"}))  # QualCoder: no time anywhere
    result = import_qdpx(fresh, qdpx(tmp_path, xml, gt.text), dry_run=True)
    assert [(d.code, d.value, d.made) for d in result.decisions] == [("hospitalize_when_necessary", True, UNKNOWN_TIME)]
    assert [line for line in result.unmatched if "'dont_stigmatize' by Jane_Doe: Yes has no time in the file" in line]


def test_a_timed_coding_is_taken_over_an_untimed_rejection_in_the_same_sentence(built, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence")
    note = new_guid()
    sel = selection(*gt.spans[first.id], coding("client_centered", time="2025-04-01T00:00:00Z"),
                    f'<NoteRef targetGUID="{note}"/>')  # the rejection and the file have no time
    result = imported(built, tmp_path, gt, text_source(sel), notes=rejection(note, JANE, "client_centered", "No."))
    assert [(d.value, d.made) for d in result.decisions] == [(True, "2025-04-01T00:00:00Z")]
    assert [line for line in result.unmatched if "No made at an unknown time is contradicted in the same file by "
            "Yes made 2025-04-01T00:00:00Z" in line]


def test_an_untimed_coding_in_a_sentence_with_a_timed_one_does_not_change_the_current_decision(fresh, gt, tmp_path):
    first = next(s for s in gt.segments if s.kind == "sentence" and len(s.text) > 60)
    a, _ = gt.spans[first.id]
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", "2025-03-01T10:00:00Z", "segment", "tg1", "dont_stigmatize",
                                                  True, "add", first.id, text_hash(first.text), start=4, end=20)])
    result = imported(fresh, tmp_path, gt, text_source(  # no file time: QualCoder-like, one coding timed
        selection(a + 4, a + 20, coding("dont_stigmatize", time="2025-04-01T00:00:00Z")),  # what she says, later
        selection(a + 30, a + 50, coding("dont_stigmatize"))))  # no time: maybe older than her decision
    assert [(d.start, d.end) for d in result.decisions] == []


def test_a_coder_whose_every_coding_the_file_leaves_out_is_listed(fresh, gt, tmp_path):
    first, second = [s for s in gt.segments if s.kind == "sentence"][:2]
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", "2025-01-01T10:00:00Z", "segment", "tg1",
                                                  "client_centered", True, "add", first.id, text_hash(first.text))])
    # the file: Jane Doe (a user of it) has no coding left; Bob coded another sentence
    result = imported(fresh, tmp_path, gt, text_source(selection(*gt.spans[second.id], coding("dont_stigmatize", BOB))))
    assert [d.reviewer for d in result.decisions] == ["Bob"]
    assert any("Jane_Doe's current codings on tg1 are not in this file" in w for w in result.warnings), result.warnings


def test_a_sheet_exported_while_an_import_places_its_selections_does_not_undo_what_the_import_records(
        fresh, gt, tmp_path, monkeypatch):
    """The import's decisions are recorded when they are appended (under the lock), not when it began placing
    its selections: a sheet exported in between was filled in without them, so left as exported it must not
    undo them (review: time stamped before the lock)."""
    import time as clock

    from mapping_review.exchange import importer

    sha = load_manifest(fresh.manifest_path).guides[0].sha256
    append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", "2025-01-01T10:00:00Z", "guide", "tg1", "dont_stigmatize",
                                                  False, text_hash=sha)])
    sheet = tmp_path / "jane.csv"
    real = importer.load_guide_text

    def meanwhile(*args, **kwargs):  # placing a large file takes a while; Jane exports her sheet meanwhile
        clock.sleep(1.1)
        state = load_review(fresh)
        export_sheet(sheet, state.codebook, ["tg1"], reviewer="Jane_Doe", decisions=state.decisions, machine={},
                     evidence={})  # her No: the import has recorded nothing yet
        clock.sleep(1.1)
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "load_guide_text", meanwhile)
    v = variable_guid("dont_stigmatize")
    xml = project_xml(text_source(), variables=variable(v, "x"), cases=case("tg1 | Jane Doe", {v: "true"}),
                      modified="2025-02-01T00:00:00Z")
    assert [d.value for d in import_qdpx(fresh, qdpx(tmp_path, xml, gt.text)).decisions] == [True]
    state = load_review(fresh)  # the sheet still says No, as exported before the Yes was recorded: that stands
    result = read_sheet(sheet, state.codebook, guides={"tg1": sha}, reviewer="Jane_Doe", previous=state.decisions)
    assert result.decisions == [] and result.superseded == 1


def test_an_import_is_checked_against_a_decision_recorded_while_it_placed_its_selections(fresh, gt, tmp_path,
                                                                                        monkeypatch):
    """Jane rejects the passage in the workbench while the import is placing her older coding of it: the import
    must see her rejection (read again under the lock), not the decisions it read before."""
    from mapping_review.exchange import importer

    first = next(s for s in gt.segments if s.kind == "sentence")
    real = importer.match_selection

    def meanwhile(*args, **kwargs):
        append_decisions(fresh.reviews_dir, [Decision("Jane_Doe", now(), "segment", "tg1", "client_centered", False,
                                                      "reject", first.id, text_hash(first.text))])
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "match_selection", meanwhile)
    xml = project_xml(text_source(selection(*gt.spans[first.id], coding("client_centered"))),
                      modified="2025-06-01T00:00:00Z")
    result = import_qdpx(fresh, qdpx(tmp_path, xml, gt.text))
    assert result.decisions == [] and any("that one stands" in line for line in result.unmatched)
    current = latest(load_review(fresh).decisions)
    assert current[("Jane_Doe", ("segment", "tg1", "client_centered", first.id))].value is False


# -- review C: renamed_from ------------------------------------------------------------------------------------

def test_a_project_exported_before_a_code_was_renamed_maps_its_codes_onto_the_id_now(tmp_path):
    """A .qdpx/.qdc written before the rename names the code by its earlier id (GUID and "Code id:" line); with
    its label changed too, the code was left unmapped and its codings not imported, though decisions under the
    earlier id count for the code now."""
    from conftest import ROOT

    from mapping_review.coding.codebook import load_codebook
    from mapping_review.exchange.codebook_xml import ImportedCode, map_codes
    from mapping_review.exchange.qdaxml import norm_guid

    text = (ROOT / "codebook.yaml").read_text(encoding="utf-8").replace(
        "  - id: dont_stigmatize\n", "  - id: dont_stigmatize\n    renamed_from: [no_stigma]\n", 1)
    (tmp_path / "codebook.yaml").write_text(text, encoding="utf-8")
    codebook = load_codebook(tmp_path / "codebook.yaml")
    guid = norm_guid(code_guid("no_stigma"))
    old = ImportedCode(guid, "Avoid stigma", ("Avoid stigma",), "Do not stigmatise.\n\nCode id: no_stigma", True, 1)
    mapping = map_codes([old], codebook, [])
    assert mapping.codes == {guid: "dont_stigmatize"} and mapping.unmapped == []
