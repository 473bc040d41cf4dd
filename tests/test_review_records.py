"""Review records a team can defend: decision files that no hand edit or torn write can corrupt or
misread, blind sheets, agreement on what both reviewers decided, and settlements by someone allowed to."""

import json
import multiprocessing
import os
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from locks import count_flocks, folder_held, note_lock_when_called
from sklearn.metrics import cohen_kappa_score

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.decide import summarise
from mapping_review.coding.suggestions import Suggestion, text_hash
from mapping_review.errors import ConfigError, RoleError
from mapping_review.files import file_lock
from mapping_review.project.settings import ReviewSettings
from mapping_review.review.adjudication import check_may_settle, parties
from mapping_review.review.agreement import agreement
from mapping_review.review.decisions import (
    Decision,
    append_decisions,
    guide_level,
    newer_than,
    read_decisions,
    read_reviews,
    recorded_by,
    recording,
)
from mapping_review.review.state import (
    MIN_CALIBRATION_GUIDES,
    ReviewState,
    agreement_by_code,
    calibration_of,
    load_review,
    resolve_review,
    stale_decisions,
    write_tables,
)
from mapping_review.review.tables_io import read_table, write_table
from mapping_review.segment.segments import Segment


def d(reviewer, guide, code, value, **kw):
    return Decision(reviewer=reviewer, time=kw.pop("time", "t"), level=kw.pop("level", "guide"), guide=guide,
                    code=code, value=value, **kw)


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


# -- the decision files -----------------------------------------------------------------------------

def test_an_append_after_a_line_without_newline_starts_a_new_line(tmp_path):
    (tmp_path / "alice.jsonl").write_text(json.dumps(d("alice", "g", "dont_stigmatize", True).to_dict()))
    append_decisions(tmp_path, [d("alice", "g", "redirect_client", False)])
    lines = (tmp_path / "alice.jsonl").read_text().splitlines()
    assert len(lines) == 2 and [json.loads(x)["code"] for x in lines] == ["dont_stigmatize", "redirect_client"]
    files = read_reviews(tmp_path)
    assert [(x.code, x.value) for x in files.decisions] == [("dont_stigmatize", True), ("redirect_client", False)]
    assert files.warnings == []


def test_an_append_is_flushed_and_synced_to_disk_before_it_returns(tmp_path, monkeypatch):
    path = tmp_path / "alice.jsonl"
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(path.read_text())  # what is on disk when the file is synced
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    append_decisions(tmp_path, [d("alice", "g", "dont_stigmatize", True)])
    assert len(synced) == 1 and json.loads(synced[0])["code"] == "dont_stigmatize"


def test_decisions_glued_by_an_older_version_are_both_read(tmp_path):
    one, two = (json.dumps(d("alice", "g", c, True).to_dict()) for c in ("dont_stigmatize", "redirect_client"))
    (tmp_path / "alice.jsonl").write_text(one + two + "\n")
    assert [x.code for x in read_decisions(tmp_path)] == ["dont_stigmatize", "redirect_client"]


@pytest.mark.parametrize(("change", "message"), [
    ({"value": "false"}, "value must be true or false, not 'false'"),
    ({"value": 0}, "value must be true or false"),
    ({"level": "page"}, "level 'page' is not one of guide, segment"),
    ({"action": "maybe"}, "action 'maybe' is not one of"),
    ({"start": "3"}, "start must be a whole number"),
    ({"colour": "red"}, "unknown field 'colour'"),
    ({"reviewer": "bob"}, "decision by 'bob' in alice.jsonl"),
])
def test_a_wrong_value_is_an_error_naming_file_and_line(tmp_path, change, message):
    good = d("alice", "g", "dont_stigmatize", True).to_dict()
    lines = [json.dumps(good), json.dumps({**good, **change})]
    (tmp_path / "alice.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as e:
        read_decisions(tmp_path)
    assert f"alice.jsonl:2: {message}" in str(e.value)


def test_missing_fields_and_segment_without_id_are_errors(tmp_path):
    (tmp_path / "alice.jsonl").write_text(json.dumps({"reviewer": "alice", "time": "t", "level": "segment",
                                                      "guide": "g", "code": "c", "value": True}) + "\n"
                                          + json.dumps({"reviewer": "alice", "level": "guide"}) + "\n")
    with pytest.raises(ConfigError) as e:
        read_decisions(tmp_path)
    assert "alice.jsonl:1: a segment decision needs the segment id" in str(e.value)
    assert "alice.jsonl:2: missing field 'guide'" in str(e.value)


def test_a_torn_last_line_is_skipped_and_reported_and_the_rest_is_read(tmp_path):
    append_decisions(tmp_path, [d("alice", "g", "dont_stigmatize", True)])
    with (tmp_path / "alice.jsonl").open("a") as fh:
        fh.write('{"reviewer": "alice", "time": "t", "lev')  # a write cut off
    files = read_reviews(tmp_path)
    assert [x.code for x in files.decisions] == ["dont_stigmatize"]
    assert len(files.warnings) == 1 and "alice.jsonl:2: an unfinished last line was skipped" in files.warnings[0]


def test_a_file_that_is_not_utf8_is_an_error_with_its_line(tmp_path):
    good = json.dumps(d("alice", "g", "dont_stigmatize", True).to_dict())
    (tmp_path / "alice.jsonl").write_bytes((good + "\n" + good.replace("t", "\xe9", 1)).encode("latin-1"))
    with pytest.raises(ConfigError, match=r"alice.jsonl:2: not UTF-8 text \(byte 0xe9\)"):
        read_decisions(tmp_path)


def _half_write_under_lock(path, started, release):
    line = json.dumps(d("alice", "g", "redirect_client", True).to_dict()) + "\n"
    with path.open("a+b") as fh, file_lock(fh, exclusive=True):
        fh.write(line[:40].encode())
        fh.flush()
        started.set()
        release.wait(10)
        fh.write(line[40:].encode())
        fh.flush()


def test_a_reader_waits_for_a_writer_and_never_sees_half_a_line(tmp_path):
    """A writer holds its lock mid-line; the reader blocks on its shared lock and then reads the whole line."""
    append_decisions(tmp_path, [d("alice", "g", "dont_stigmatize", True)])
    ctx = multiprocessing.get_context("fork")
    started, release = ctx.Event(), ctx.Event()
    writer = ctx.Process(target=_half_write_under_lock, args=(tmp_path / "alice.jsonl", started, release))
    writer.start()
    assert started.wait(10)
    threading.Timer(0.3, release.set).start()
    files = read_reviews(tmp_path)  # waits for the writer
    writer.join(10)
    assert [x.code for x in files.decisions] == ["dont_stigmatize", "redirect_client"] and files.warnings == []


def _append_one(folder, done):
    append_decisions(folder, [d("alice", "g", "redirect_client", True)])
    done.set()


def test_an_append_waits_while_a_reader_holds_the_file(tmp_path):
    append_decisions(tmp_path, [d("alice", "g", "dont_stigmatize", True)])
    path = tmp_path / "alice.jsonl"
    ctx = multiprocessing.get_context("fork")
    done = ctx.Event()
    with path.open("rb") as fh, file_lock(fh, exclusive=False):
        writer = ctx.Process(target=_append_one, args=(tmp_path, done))
        writer.start()
        assert not done.wait(0.5)  # blocked by the reader's shared lock
        assert len(path.read_text().splitlines()) == 1
    assert done.wait(10)
    writer.join(10)
    assert len(read_decisions(tmp_path)) == 2


def test_recording_taken_again_by_its_holder_is_held_until_the_outer_one_ends(tmp_path):
    assert not folder_held(tmp_path)
    with recording(tmp_path):
        assert folder_held(tmp_path)
        append_decisions(tmp_path, [d("alice", "g", "dont_stigmatize", True)])  # takes it again: no deadlock
        assert folder_held(tmp_path)  # the inner one ending left the outer one's lock in place
    assert not folder_held(tmp_path)
    assert len(read_decisions(tmp_path)) == 1


def _recording_until(folder, holding, release):
    with recording(folder):
        holding.set()
        release.wait(10)


def test_an_append_waits_while_another_process_is_recording(tmp_path):
    """An import or a sheet check reads, checks and appends under the lock: nobody appends in between."""
    ctx = multiprocessing.get_context("fork")
    holding, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_recording_until, args=(tmp_path, holding, release))
    holder.start()
    assert holding.wait(10)
    done = threading.Event()
    writer = threading.Thread(target=_append_one, args=(tmp_path, done))
    writer.start()
    assert not done.wait(0.5) and not (tmp_path / "alice.jsonl").exists()
    release.set()
    assert done.wait(10)
    writer.join(10)
    holder.join(10)
    assert [x.code for x in read_decisions(tmp_path)] == ["redirect_client"]


def test_an_append_waits_while_another_thread_is_recording(tmp_path):
    done = threading.Event()
    with recording(tmp_path):
        writer = threading.Thread(target=_append_one, args=(tmp_path, done))
        writer.start()
        assert not done.wait(0.3) and not (tmp_path / "alice.jsonl").exists()
    assert done.wait(10)
    writer.join(10)


def test_recording_taken_again_through_another_path_to_the_folder_is_the_same_lock(tmp_path, monkeypatch):
    """A relative path, an absolute one and a symlink to reviews/ are one folder: the holder takes it again
    through any of them (a second flock of its own would wait for itself forever)."""
    (tmp_path / "reviews").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "reviews")
    monkeypatch.chdir(tmp_path)
    done = threading.Event()

    def nested():
        with recording(Path("reviews")), recording(tmp_path / "linked"):
            append_decisions(tmp_path / "reviews", [d("alice", "g", "dont_stigmatize", True)])
        done.set()

    threading.Thread(target=nested, daemon=True).start()
    assert done.wait(10)
    assert not folder_held(tmp_path / "reviews") and len(read_decisions(tmp_path / "reviews")) == 1


def test_a_process_forked_while_recording_waits_until_the_recording_ends(tmp_path):
    ctx = multiprocessing.get_context("fork")
    done = ctx.Event()
    with recording(tmp_path):
        child = ctx.Process(target=_append_one, args=(tmp_path, done))
        child.start()
        appended_meanwhile = done.wait(1)
    child.join(10)
    assert not appended_meanwhile


def _idle(started, release):
    started.set()
    release.wait(10)


def test_a_process_forked_while_recording_does_not_keep_the_lock_after_it_ends(tmp_path):
    ctx = multiprocessing.get_context("fork")
    started, release = ctx.Event(), ctx.Event()
    with recording(tmp_path):
        child = ctx.Process(target=_idle, args=(started, release))
        child.start()
        assert started.wait(10)  # the child runs: whatever it does after the fork is done
    try:
        assert not folder_held(tmp_path)
    finally:
        release.set()
        child.join(10)


def test_the_cli_reads_checks_and_records_a_sheet_or_a_settlement_under_the_recording_lock(review, tmp_path,
                                                                                              monkeypatch):
    """A sheet is checked against the answers it is recorded over (answered again since it was exported?), a
    settlement against the disagreements still open: another recording landing in between would be undone."""
    from mapping_review.cli import review as cli_review

    seen = note_lock_when_called(monkeypatch, cli_review, ("load_review", "read_sheet", "adjudicate"),
                                 review.reviews_dir)
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True),
                                          d("bob", "g1", "dont_stigmatize", False)])
    sheet = tmp_path / "carol.csv"
    write_table(sheet, ["Natbib", "Don't Stigmatize"], [["g1", "Yes"], ["g2", ""]])
    assert run("sheet", "import", sheet, "-r", "carol", "-p", review.root).exit_code == 0
    assert seen == [("load_review", True), ("read_sheet", True)]
    seen.clear()
    assert run("adjudicate", "g1", "dont_stigmatize", "no", "-r", "erin", "-p", review.root).exit_code == 0
    assert seen == [("load_review", True), ("adjudicate", True)] and not folder_held(review.reviews_dir)
    assert [(x.reviewer, x.value) for x in read_decisions(review.reviews_dir) if x.reviewer in ("carol", "consensus")] \
        == [("carol", True), ("consensus", False)]


def test_the_cli_holds_the_recording_lock_once_from_reading_a_sheet_or_settlement_to_appending_it(review, tmp_path,
                                                                                                   monkeypatch):
    """Released between the check and the append, another recording could land in between: one hold, not two."""
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True),
                                          d("bob", "g1", "dont_stigmatize", False)])
    taken = count_flocks(monkeypatch)
    sheet = tmp_path / "carol.csv"
    write_table(sheet, ["Natbib", "Don't Stigmatize"], [["g1", "Yes"], ["g2", ""]])
    assert run("sheet", "import", sheet, "-r", "carol", "-p", review.root).exit_code == 0
    assert len(taken) == 1
    taken.clear()
    assert run("adjudicate", "g1", "dont_stigmatize", "no", "-r", "erin", "-p", review.root).exit_code == 0
    assert len(taken) == 1


# -- guide level, agreement -----------------------------------------------------------------------

def test_a_rejected_segment_does_not_make_a_guide_level_no():
    decisions = [d("alice", "g", "redirect_client", False, level="segment", segment="g:1:a", action="reject"),
                 d("alice", "g", "dont_stigmatize", True, level="segment", segment="g:1:b", action="accept")]
    assert guide_level(decisions)["alice"] == {("g", "dont_stigmatize"): True}


def test_cohen_kappa_uses_only_items_both_decided():
    """alice decided six items, bob three of them: an item bob left undecided is not a No."""
    alice = {"u1": True, "u2": True, "u3": False, "u4": True, "u5": True, "u6": True}
    bob = {"u1": True, "u2": False, "u3": False}
    ratings = {u: {"alice": v, **({"bob": bob[u]} if u in bob else {})} for u, v in alice.items()}
    result = agreement(ratings, ["alice", "bob"])
    both = sorted(bob)
    assert result.n_units == 3 and result.n_pairs[("alice", "bob")] == 3
    assert result.cohen[("alice", "bob")] == pytest.approx(cohen_kappa_score([alice[u] for u in both],
                                                                             [bob[u] for u in both]))
    as_no = cohen_kappa_score(list(alice.values()), [bob.get(u, False) for u in alice])
    assert result.cohen[("alice", "bob")] != pytest.approx(as_no)


def test_the_consensus_is_not_a_rater(review):
    append_decisions(review.reviews_dir, [
        d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", True),
        d("alice", "g2", "dont_stigmatize", False), d("bob", "g2", "dont_stigmatize", False),
        d("consensus", "g1", "dont_stigmatize", False), d("consensus", "g2", "dont_stigmatize", True)])
    by_code, overall, raters = agreement_by_code(load_review(review))
    assert raters == ["alice", "bob"]
    assert overall.percent == 1.0 and by_code["dont_stigmatize"].n_units == 2


def test_a_settled_passage_does_not_change_the_coders_guide_level_agreement(review):
    """Agreement is between the coders' own answers: bob's accepted passage made the guide address the code for
    him, and a consensus settling that passage afterwards must not take his answer out of the figures (it would
    raise the agreement by adjudicating, and move it each time a passage is settled)."""
    seg = {"level": "segment", "segment": "g1:2:abc"}
    coders = [d("alice", "g1", "dont_stigmatize", False), d("alice", "g1", "dont_stigmatize", False, action="reject", **seg),
              d("bob", "g1", "dont_stigmatize", True, action="accept", **seg)]
    append_decisions(review.reviews_dir, coders)
    _, before, _ = agreement_by_code(load_review(review))
    assert (before.n_units, before.percent) == (1, 0.0)
    append_decisions(review.reviews_dir, [d("consensus", "g1", "dont_stigmatize", False, action="reject",
                                            settled_by="erin", **seg)])
    _, after, raters = agreement_by_code(load_review(review))
    assert raters == ["alice", "bob"] and (after.n_units, after.percent) == (1, 0.0)



def test_segment_agreement_is_per_code_between_the_chosen_human_raters(review):
    seg = {"level": "segment", "segment": "g1:2:abc"}
    append_decisions(review.reviews_dir, [
        d("alice", "g1", "therapeutic_alliance", True, action="accept", **seg),
        d("bob", "g1", "therapeutic_alliance", False, action="reject", **seg),
        d("consensus", "g1", "therapeutic_alliance", True, action="accept", settled_by="erin", **seg),
        d("alice", "g1", "dont_stigmatize", True, action="add", **seg),
        d("dave", "g1", "dont_stigmatize", True, action="add", **seg),
        d("carol", "g1", "dont_stigmatize", True)])  # a guide-level answer is no segment unit
    by_code, overall, raters = agreement_by_code(load_review(review), level="segment")
    assert raters == ["alice", "bob", "dave"]
    assert overall.n_units == 2 and overall.percent == 0.5
    assert (by_code["therapeutic_alliance"].n_units, by_code["therapeutic_alliance"].percent) == (1, 0.0)
    assert (by_code["dont_stigmatize"].n_units, by_code["dont_stigmatize"].percent) == (1, 1.0)
    by_code, overall, raters = agreement_by_code(load_review(review), level="segment", reviewers=["alice", "bob"])
    assert raters == ["alice", "bob"] and overall.n_units == 1 and by_code["dont_stigmatize"].n_units == 0


def test_the_tables_carry_every_open_disagreement_and_each_reviewers_decision(review):
    seg = Segment(id="g1:2:abc", guide="g1", kind="sentence", role="text", page=2, start=0, end_page=2, end=30,
                  section=("Care",), text="Build a trusting relationship.", bbox=None)
    review.segments_dir.mkdir(parents=True, exist_ok=True)
    (review.segments_dir / "g1.jsonl").write_text(json.dumps(seg.to_dict()) + "\n")
    on_seg = {"level": "segment", "segment": seg.id, "text_hash": text_hash(seg.text)}
    append_decisions(review.reviews_dir, [
        d("alice", "g1", "dont_stigmatize", True), d("bob", "g1", "dont_stigmatize", False),
        d("alice", "g1", "therapeutic_alliance", True, action="accept", **on_seg),
        d("bob", "g1", "therapeutic_alliance", False, action="reject", **on_seg),
        d("carol", "g1", "therapeutic_alliance", True, action="add", **on_seg),  # suggested already: no row of its own
        d("alice", "g1", "redirect_client", True, action="add", start=0, end=5, **on_seg)])
    state = load_review(review)
    state.suggestions = [Suggestion("g1", "therapeutic_alliance", seg.id, 2, ("Care",), seg.text,
                                    "trusting relationship", 8, 29, 1.0, "rules.v1", text_hash(seg.text))]
    state.evidence = summarise(state.suggestions)
    write_tables(state, resolve_review(state))
    tables = review.build_dir / "tables"
    header, rows = read_table(tables / "disagreements.csv")
    found = {(r[header.index("level")], r[header.index("code")]): r[header.index("answers")] for r in rows}
    assert found == {("guide", "dont_stigmatize"): "alice=yes; bob=no",
                     ("segment", "therapeutic_alliance"): "alice=yes; bob=no; carol=yes"}
    header, rows = read_table(tables / "evidence.csv")
    col = {n: i for i, n in enumerate(header)}
    assert [(r[col["code"]], r[col["source"]], r[col["quote"]], r[col["decisions"]]) for r in rows] == [
        ("redirect_client", "reviewer:alice", "Build", "alice=added"),  # the words marked (0 to 5)
        ("therapeutic_alliance", "rules.v1", seg.text, "alice=accepted; bob=rejected; carol=added"),
    ]

# -- blind sheets -----------------------------------------------------------------------------------

def test_sheets_are_blind_and_an_untouched_sheet_records_nothing(review, tmp_path):
    root = review.root
    append_decisions(review.reviews_dir, [d("consensus", "g1", "dont_stigmatize", True),
                                          d("consensus", "g1", "location/inpatient", True)])
    alice = tmp_path / "alice.csv"
    assert run("sheet", "export", "-r", "alice", "-o", alice, "-p", root).exit_code == 0
    header, rows = read_table(alice)
    answers = [i for i, h in enumerate(header) if i and not h.endswith("[machine]") and h not in ("exported", "reviewer")]
    assert all(row[i] == "" for row in rows for i in answers)  # nothing of the consensus
    assert run("sheet", "import", alice, "-r", "alice", "-p", root).output.startswith("0 decision(s) recorded")
    # alice answers two features of g1; an empty cell stays undecided, "No" is an answer
    col = {h: i for i, h in enumerate(header)}
    rows[0][col["Don't Stigmatize"]] = "Yes"
    rows[0][col["Location"]] = "No"
    write_table(alice, header, rows)
    out = run("sheet", "import", alice, "-r", "alice", "-p", root)
    assert out.exit_code == 0 and out.output.startswith("4 decision(s) recorded"), out.output
    mine = {(x.guide, x.code): x.value for x in read_decisions(review.reviews_dir) if x.reviewer == "alice"}
    assert mine == {("g1", "dont_stigmatize"): True, ("g1", "location/inpatient"): False,
                    ("g1", "location/outpatient"): False, ("g1", "location/client_home"): False}
    # bob's sheet shows nothing of alice's (or the consensus's) answers
    bob = tmp_path / "bob.csv"
    run("sheet", "export", "-r", "bob", "-o", bob, "-p", root)
    assert all(row[i] == "" for row in read_table(bob)[1] for i in answers)
    # alice's own export shows her answers, and importing it untouched records nothing
    run("sheet", "export", "-r", "alice", "-o", tmp_path / "alice2.csv", "-p", root)
    again = read_table(tmp_path / "alice2.csv")[1]
    assert (again[0][col["Don't Stigmatize"]], again[0][col["Location"]]) == ("Yes", "No")
    assert run("sheet", "import", tmp_path / "alice2.csv", "-r", "alice", "-p", root).output.startswith(
        "0 decision(s) recorded")


# -- adjudication -----------------------------------------------------------------------------------

def test_who_may_settle():
    default = ReviewSettings()
    check_may_settle("carol", involved={"alice", "bob"}, settings=default)
    with pytest.raises(RoleError, match="answered this item"):
        check_may_settle("alice", involved={"alice", "bob"}, settings=default)
    named = ReviewSettings(adjudicators=("carol",))
    with pytest.raises(RoleError, match="not an adjudicator"):
        check_may_settle("dave", involved={"alice", "bob"}, settings=named)
    check_may_settle("alice", involved={"alice", "bob"}, settings=ReviewSettings(parties_may_settle=True))
    with pytest.raises(RoleError):
        check_may_settle("consensus", involved=set(), settings=default)


def test_parties_of_guide_and_segment_items():
    decisions = [d("alice", "g", "c", True), d("bob", "g", "c", False), d("consensus", "g", "c", True),
                 d("carol", "g", "c", True, level="segment", segment="s1", action="accept")]
    assert parties(decisions, level="guide", guide="g", code="c") == {"alice", "bob", "carol"}  # carol: implied
    assert parties(decisions, level="segment", guide="g", code="c", segment="s1") == {"carol"}


def test_a_segment_settlement_does_not_make_the_consensus_a_party():
    decisions = [d("carol", "g", "c", True, level="segment", segment="s1", action="accept"),
                 d("consensus", "g", "c", False, level="segment", segment="s1", action="reject", settled_by="erin")]
    assert parties(decisions, level="segment", guide="g", code="c", segment="s1") == {"carol"}


def test_parties_of_a_segment_item_are_only_those_who_answered_that_segment():
    decisions = [d("alice", "g", "c", True, level="segment", segment="s1", action="accept"),
                 d("bob", "g", "c", False, level="segment", segment="s2", action="reject")]
    assert parties(decisions, level="segment", guide="g", code="c", segment="s1") == {"alice"}
    assert parties(decisions, level="segment", guide="g", code="c", segment="s2") == {"bob"}


def test_a_coders_export_of_disagreements_does_not_count_the_open_ones_on_guides_they_code(review, tmp_path):
    """Without adjudicators every coder of a guide is a party to its items, "so that settling never shows a coder
    the answers of others on a guide they code": how many open disagreements were left out for being hers tells
    alice that bob answered differently (and the count moves with each answer of his)."""
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True),
                                          d("bob", "g1", "dont_stigmatize", True)])
    exported = tmp_path / "open.csv"
    agreed = run("adjudicate", "-r", "alice", "--export", exported, "-p", review.root)
    append_decisions(review.reviews_dir, [d("bob", "g1", "dont_stigmatize", False)])  # bob changes his answer
    exported.unlink()
    split = run("adjudicate", "-r", "alice", "--export", exported, "-p", review.root)
    assert agreed.exit_code == split.exit_code == 0
    assert split.output == agreed.output  # alice's export reads the same whatever bob answered


def test_guide_level_settlement_from_the_cli_respects_roles(review, tmp_path):
    root = review.root
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True),
                                          d("bob", "g1", "dont_stigmatize", False)])
    refused = run("adjudicate", "g1", "dont_stigmatize", "yes", "-r", "alice", "-p", root)
    assert refused.exit_code == 1 and "alice answered this item and may not settle it" in refused.output
    (root / "review.yaml").write_text("review:\n  adjudicators: [carol]\n")
    assert "not an adjudicator" in run("adjudicate", "g1", "dont_stigmatize", "yes", "-r", "dave", "-p", root).output
    exported = tmp_path / "open.csv"
    dave = run("adjudicate", "-r", "dave", "--export", exported, "-p", root)
    assert dave.output.startswith("Wrote 0 disagreement")  # and says why the open one is left out
    assert "Warning: dave is not an adjudicator of this review (review.yaml names: carol)" in " ".join(dave.output.split())
    assert "1 " not in dave.output.replace("Wrote 0", "")  # how many are open is not told to a non-adjudicator
    exported.unlink()
    carol = run("adjudicate", "-r", "carol", "--export", exported, "-p", root)
    assert carol.output.startswith("Wrote 1 disagreement") and "left out" not in carol.output
    again = run("adjudicate", "-r", "carol", "--export", exported, "-p", root)
    assert again.exit_code == 1 and "exists" in again.output  # never overwritten without --force
    ok = run("adjudicate", "g1", "dont_stigmatize", "no", "-r", "carol", "--note", "met", "-p", root)
    assert ok.exit_code == 0, ok.output
    settled = [x for x in read_decisions(review.reviews_dir) if x.reviewer == "consensus"]
    assert [(x.code, x.value, x.settled_by, x.note) for x in settled] == [("dont_stigmatize", False, "carol", "met")]
    rows = {(r[0], r[1]): r for r in read_table(root / "build" / "tables" / "guide_codes.csv")[1]} \
        if run("consensus", "-p", root).exit_code == 0 else {}
    assert rows[("g1", "dont_stigmatize")][2:4] == ["0", "consensus"]


def test_an_export_where_no_folder_can_be_is_one_error_line(review, tmp_path):
    (tmp_path / "a-file").write_text("")
    out = run("adjudicate", "-r", "carol", "--export", tmp_path / "a-file" / "x.csv", "-p", review.root)
    assert out.exit_code == 1 and out.output.startswith("Error: ") and "a-file" in out.output


# -- what a careful reading of the first version found ---------------------------------------------

def test_a_settled_segment_does_not_settle_the_guide_level_item_above_it():
    from conftest import ROOT

    from mapping_review.coding.codebook import load_codebook
    from mapping_review.review.adjudication import Review, adjudicate, open_items

    decisions = [d("alice", "g1", "client_centered", False), d("carol", "g1", "client_centered", True),
                 d("bob", "g1", "client_centered", True, level="segment", segment="g1:1:s", action="accept"),
                 d("dave", "g1", "client_centered", False, level="segment", segment="g1:1:s", action="reject")]
    review = Review(load_codebook(ROOT / "codebook.yaml"), {"g1": "h"}, decisions, {"g1:1:s": ("g1", "th")},
                    ReviewSettings(), open_items(decisions, []))
    assert set(review.open) == {("guide", "g1", "client_centered", ""), ("segment", "g1", "client_centered", "g1:1:s")}
    with pytest.raises(RoleError):  # erin is no party; carol answered the guide, so she may not settle it
        adjudicate(review, "g1", "client_centered", True, by="carol")
    settled = adjudicate(review, "g1", "client_centered", True, by="erin", segment="g1:1:s")
    after = [*decisions, settled]
    assert "consensus" not in guide_level(after)  # the segment settlement says nothing about the guide
    assert set(open_items(after, [])) == {("guide", "g1", "client_centered", "")}


def test_only_open_disagreements_are_settled_and_coders_of_the_guide_are_parties():
    from conftest import ROOT

    from mapping_review.coding.codebook import load_codebook
    from mapping_review.review.adjudication import Review, adjudicate, open_items

    decisions = [d("alice", "g2", "dont_stigmatize", True), d("carol", "g2", "dont_stigmatize", False),
                 d("bob", "g2", "redirect_client", True), d("alice", "g3", "dont_stigmatize", False)]
    review = Review(load_codebook(ROOT / "codebook.yaml"), {"g2": "h", "g3": "h"}, decisions, {}, ReviewSettings(),
                    open_items(decisions, []))
    with pytest.raises(RoleError, match="bob answered this item"):  # bob codes g2: he may not see its answers
        adjudicate(review, "g2", "dont_stigmatize", True, by="bob")
    with pytest.raises(ConfigError, match="no open disagreement"):  # one answer is no disagreement
        adjudicate(review, "g3", "dont_stigmatize", True, by="erin")
    assert adjudicate(review, "g2", "dont_stigmatize", True, by="erin").settled_by == "erin"


def test_a_damaged_fragment_before_a_whole_decision_keeps_the_decision(tmp_path):
    whole = json.dumps(d("alice", "g", "dont_stigmatize", True).to_dict())
    (tmp_path / "alice.jsonl").write_text('{"action": "set", "code": "client_center' + whole + "\n")
    files = read_reviews(tmp_path)
    assert [x.code for x in files.decisions] == ["dont_stigmatize"]
    assert len(files.warnings) == 1 and "client_center" in files.warnings[0]


def test_a_byte_order_mark_is_not_damage(tmp_path):
    whole = json.dumps(d("alice", "g", "dont_stigmatize", True).to_dict())
    (tmp_path / "alice.jsonl").write_text("\ufeff" + whole + "\n", encoding="utf-8")
    files = read_reviews(tmp_path)
    assert [x.code for x in files.decisions] == ["dont_stigmatize"] and files.warnings == []


def test_a_reviewer_name_in_other_letter_case_is_refused_before_anything_is_exported(review, tmp_path):
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True)])
    root = review.root
    for args in (("sheet", "export", "-r", "ALICE", "-o", tmp_path / "s.csv"),
                 ("worksheet", "export", "-r", "Alice", "-o", tmp_path / "w.csv"),
                 ("review", "codes", "g1", "-r", "Alice"),
                 ("review", "answer", "g1", "redirect_client", "no", "-r", "aLice")):
        out = run(*args, "-p", root)
        assert out.exit_code == 1 and "only in letter case" in out.output and "'alice'" in out.output, args
    assert not (tmp_path / "s.csv").exists() and not (tmp_path / "w.csv").exists()
    assert run("sheet", "export", "-r", "alice", "-o", tmp_path / "s.csv", "-p", root).exit_code == 0


def test_the_resolved_sheet_says_not_read_where_nobody_answered_a_guide_the_machine_has_not_read(review, tmp_path):
    """An empty cell of the paper-shaped sheet is No: a guide that failed to build, or has no PDF yet, is not."""
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True),
                                          d("alice", "g1", "location/inpatient", False)])
    pipeline.build_project(review, nlp_name="blank", jobs=1)  # neither guide has a PDF
    header, rows = read_table(review.build_dir / "tables" / "coding_sheet.csv")
    by_guide = {r[0]: dict(zip(header, r)) for r in rows}
    assert by_guide["g1"]["Don't Stigmatize"] == "Yes"
    assert by_guide["g1"]["Location"] == "not read: Outpatient, Client's home"  # inpatient answered: No
    assert by_guide["g1"]["Redirect Client (e.g. appropriately challenge their thinking)"] == "not read"
    assert set(list(by_guide["g2"].values())[1:]) == {"not read"}
    svg = (review.build_dir / "figures" / "heatmap.svg").read_text()
    assert "#5a5a5a" in svg.casefold()  # the heatmap's colour (and legend entry) for a cell not read
    # read back as an agreed sheet, finished or not, a cell not read answers nothing
    out = run("sheet", "import", review.build_dir / "tables" / "coding_sheet.csv", "-r", "consensus", "--complete",
              "--by", "carol", "-p", review.root)
    assert out.exit_code == 0, out.output
    agreed = {(x.guide, x.code): x.value for x in read_decisions(review.reviews_dir) if x.reviewer == "consensus"}
    assert agreed[("g1", "dont_stigmatize")] and not agreed[("g1", "location/inpatient")]
    assert ("g1", "location/outpatient") not in agreed and ("g1", "location/client_home") not in agreed
    assert ("g1", "redirect_client") not in agreed and not [k for k in agreed if k[0] == "g2"]


def test_a_settled_disagreements_file_imported_again_records_nothing_and_says_so(review, tmp_path):
    root = review.root
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True),
                                          d("bob", "g1", "dont_stigmatize", False)])
    dis = tmp_path / "open.csv"
    assert run("adjudicate", "-r", "carol", "--export", dis, "-p", root).exit_code == 0
    header, rows = read_table(dis)
    rows[0][header.index("decision")] = "yes"
    write_table(dis, header, rows)
    assert "1 consensus decision(s) recorded" in run("adjudicate", "-r", "carol", "--import", dis, "-p", root).output
    again = run("adjudicate", "-r", "carol", "--import", dis, "-p", root)
    flat = " ".join(again.output.split())
    assert again.exit_code == 0 and "0 consensus decision(s) recorded, settled by carol; 1 already settled so" in flat
    other = run("adjudicate", "-r", "erin", "--import", dis, "-p", root)  # not erin's settlement
    assert other.exit_code == 1 and "no open disagreement" in other.output
    rows[0][header.index("decision")] = "no"  # carol changes her mind: a settled item is not settled again
    write_table(dis, header, rows)
    changed = run("adjudicate", "-r", "carol", "--import", dis, "-p", root)
    assert changed.exit_code == 1 and "no open disagreement" in changed.output
    assert [x.value for x in read_decisions(review.reviews_dir) if x.reviewer == "consensus"] == [True]


def test_what_a_sheet_was_filled_in_with_includes_answers_of_its_own_second():
    at = [d("alice", "g1", "dont_stigmatize", v, time=t) for v, t in
          ((True, "2025-01-01T10:00:00Z"), (False, "2025-01-01T10:00:05Z"), (True, "2025-01-01T10:00:06Z"))]
    assert recorded_by(at, "2025-01-01T10:00:05Z") == at[:2]  # the second of the export may have been read
    assert recorded_by(at, "2025-01-01T12:00:05+02:00") == at[:2] and recorded_by(at, "not a time") == []


def test_an_old_sheet_never_undoes_a_newer_answer(review, tmp_path):
    root = review.root
    sheet = tmp_path / "alice.csv"
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True, time="2020-01-01T00:00:00Z"),
                                          d("alice", "g1", "location/inpatient", True, time="2020-01-01T00:00:00Z")])
    run("sheet", "export", "-r", "alice", "-o", sheet, "-p", root)
    # later, in the workbench, alice changes her mind, and adds a place
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", False, time="2999-01-01T00:00:00Z"),
                                          d("alice", "g1", "location/outpatient", True, time="2999-01-01T00:00:00Z")])
    n = len(read_decisions(review.reviews_dir))
    # the sheet as exported records nothing: her later answers stand
    out = run("sheet", "import", sheet, "-r", "alice", "-p", root)
    flat = " ".join(out.output.split())
    assert out.exit_code == 0 and "0 decision(s) recorded" in flat
    # three answers stand: dont_stigmatize, and both places of the location cell (one of them new)
    assert "3 answer(s) in cells left as exported were given again since the export; those later answers stand" in flat
    assert len(read_decisions(review.reviews_dir)) == n
    # a cell she edits in the sheet that would undo an answer given since is refused, with the whole sheet
    header, rows = read_table(sheet)
    rows[0][header.index("Location")] = "Inpatient, Client's home"  # outpatient No: she said Yes since
    write_table(sheet, header, rows)
    out = run("sheet", "import", sheet, "-r", "alice", "-p", root)
    assert out.exit_code == 1 and "you answered location/outpatient again" in out.output
    assert "after this sheet was exported" in out.output and "Nothing was imported" in out.output
    assert len(read_decisions(review.reviews_dir)) == n


def test_the_consensus_is_not_a_coder_and_an_agreed_sheet_names_its_recorder(review, tmp_path):
    root = review.root
    assert "not a reviewer who codes" in run("sheet", "export", "-r", "consensus", "-o", tmp_path / "c.csv",
                                             "-p", root).output
    assert "not a reviewer who codes" in run("worksheet", "export", "-r", "consensus", "-p", root).output
    sheet = tmp_path / "agreed.csv"
    header = ["Natbib", "Don't Stigmatize"]
    write_table(sheet, header, [["g1", "Yes"], ["g2", ""]])
    assert "needs --by NAME" in run("sheet", "import", sheet, "-r", "consensus", "--complete", "-p", root).output
    (root / "review.yaml").write_text("review:\n  adjudicators: [carol]\n")
    assert "not an adjudicator" in run("sheet", "import", sheet, "-r", "consensus", "--complete", "--by", "dave",
                                       "-p", root).output
    ok = run("sheet", "import", sheet, "-r", "consensus", "--complete", "--by", "carol", "-p", root)
    assert ok.exit_code == 0, ok.output
    assert {x.settled_by for x in read_decisions(review.reviews_dir)} == {"carol"}


def test_a_decision_made_in_the_second_a_sheet_was_exported_counts_as_newer():
    """An old sheet must not undo an answer given in the same second it was exported (times are to the second)."""
    exported = "2026-03-01T10:00:00Z"
    assert newer_than(d("alice", "g", "c", True, time="2026-03-01T10:00:00Z"), exported)
    assert newer_than(d("alice", "g", "c", True, time="2026-03-01T10:00:01Z"), exported)
    assert not newer_than(d("alice", "g", "c", True, time="2026-03-01T09:59:59Z"), exported)
    assert not newer_than(d("alice", "g", "c", True, time="t"), exported)


def test_a_segment_decision_is_stale_only_when_its_text_changed(review):
    seg = Segment(id="g1:1:a", guide="g1", kind="sentence", role="text", page=1, start=0, end_page=1, end=10,
                  section=(), text="Ask first.", bbox=None)
    review.segments_dir.mkdir(parents=True, exist_ok=True)
    (review.segments_dir / "g1.jsonl").write_text(json.dumps(seg.to_dict()) + "\n")
    same = d("alice", "g1", "dont_stigmatize", True, level="segment", segment="g1:1:a", action="accept",
             text_hash=text_hash("Ask first."))
    changed = d("bob", "g1", "dont_stigmatize", True, level="segment", segment="g1:1:a", action="accept",
                text_hash=text_hash("Ask later."))
    warnings = stale_decisions(review, [same, changed])
    assert len(warnings) == 1 and warnings[0].startswith("reviews/bob.jsonl:") and "changed since" in warnings[0]


def test_decisions_on_a_guide_whose_manifest_entry_is_broken_are_kept_out_and_said_why(review):
    with review.manifest_path.open("a", encoding="utf-8") as fh:
        fh.write("  - key: g1\n    title: Again\n")  # a duplicate key: g1 cannot be used until it is mended
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True),
                                          d("alice", "g2", "dont_stigmatize", True)])
    state = load_review(review)
    assert [(x.guide, x.code) for x in state.decisions] == [("g2", "dont_stigmatize")]
    assert any("guide 'g1' has a problem in the corpus manifest" in w for w in state.warnings), state.warnings
    assert len(read_decisions(review.reviews_dir)) == 2  # kept on disk


def test_calibration_runs_from_two_reviewed_guides_with_machine_evidence(review):
    codebook = load_codebook(review.codebook_path)
    code = codebook.codes[0].id

    def state(guides):
        suggestions = [Suggestion(guide=g, code=code, segment=f"{g}:1:a", page=1, section=(), quote="q", match="q",
                                  match_start=0, match_end=1, score=1.0, coder="rules.v3", text_hash="h")
                       for g in ("g1", "g2")]  # both guides are coded
        decisions = [d("alice", g, code, True) for g in guides]
        return ReviewState(review, codebook, {"g1": "", "g2": ""}, decisions, suggestions, summarise(suggestions))

    assert MIN_CALIBRATION_GUIDES == 2
    assert calibration_of(state(["g1"])) is None
    fitted = calibration_of(state(["g1", "g2"]))
    assert fitted is not None and set(fitted.truth) == {("g1", code), ("g2", code)}


def test_the_agreed_sheet_answers_no_sub_value_nobody_answered_of_a_guide_not_read(review, tmp_path):
    append_decisions(review.reviews_dir, [d("alice", "g1", "location/inpatient", False)])
    pipeline.build_project(review, nlp_name="blank", jobs=1)  # no PDF: the machine has not read g1
    out = run("sheet", "import", review.build_dir / "tables" / "coding_sheet.csv", "-r", "consensus", "--complete",
              "--by", "carol", "-p", review.root)
    assert out.exit_code == 0, out.output
    agreed = {(x.guide, x.code): x.value for x in read_decisions(review.reviews_dir) if x.reviewer == "consensus"}
    assert ("g1", "location/outpatient") not in agreed  # nobody answered it, and the machine has not read g1


def test_a_segment_settlement_imported_again_records_nothing(tmp_path):
    from mapping_review.review.adjudication import Review, read_adjudications
    from mapping_review.review.decisions import CONSENSUS

    codebook = load_codebook(Path(__file__).resolve().parents[1] / "codebook.yaml")
    code = codebook.codes[0].id
    done = Decision(reviewer=CONSENSUS, time="2025-01-01T00:00:00Z", level="segment", guide="g1", code=code, value=True,
                    action="accept", segment="g1:1:a", text_hash="s", settled_by="carol")
    review = Review(codebook=codebook, guides={"g1": "h"}, decisions=[done], segment_hashes={"g1:1:a": ("g1", "s")},
                    settings=ReviewSettings(), open={})
    path = write_table(tmp_path / "open.csv", ["level", "guide", "code", "segment", "decision"],
                       [["segment", "g1", code, "g1:1:a", "yes"]])
    already: list[str] = []
    assert read_adjudications(path, review, by="carol", already=already) == [] and len(already) == 1


def test_adjudicate_and_sheet_import_refuse_a_name_in_other_letter_case(review, tmp_path):
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True)])
    root = review.root
    out = run("adjudicate", "-r", "ALICE", "--export", tmp_path / "open.csv", "-p", root)
    assert out.exit_code == 1 and "only in letter case" in out.output and not (tmp_path / "open.csv").exists()
    sheet = write_table(tmp_path / "s.csv", ["Natbib", "Don't Stigmatize"], [["g1", ""]])  # nothing to record
    out = run("sheet", "import", sheet, "-r", "Alice", "-p", root)
    assert out.exit_code == 1 and "only in letter case" in out.output


def test_read_only_review_verbs_and_worksheet_import_refuse_a_name_in_other_letter_case(review, tmp_path):
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True)])
    root = review.root
    for args in (("review", "next", "-r", "Alice"), ("review", "queue", "-r", "ALICE"),
                 ("review", "progress", "-r", "aLICE")):
        out = run(*args, "-p", root)
        assert out.exit_code == 1 and "only in letter case" in out.output, (args, out.output)
    ws = write_table(tmp_path / "w.csv", ["guide", "segment", "code", "decision"], [["g1", "", "", ""]])  # all blank
    out = run("worksheet", "import", ws, "-r", "Alice", "-p", root)
    assert out.exit_code == 1 and "only in letter case" in out.output, out.output


def _two_disagreements(review):
    """alice and bob answer dont_stigmatize differently on g1 and on g2."""
    append_decisions(review.reviews_dir, [d(who, g, "dont_stigmatize", who == "alice")
                                          for g in ("g1", "g2") for who in ("alice", "bob")])


def test_an_adjudicators_name_in_other_letter_case_is_refused(review, tmp_path):
    root = review.root
    _two_disagreements(review)
    assert run("adjudicate", "g1", "dont_stigmatize", "yes", "-r", "carol", "-p", root).exit_code == 0
    out = run("adjudicate", "g2", "dont_stigmatize", "no", "-r", "Carol", "-p", root)
    assert out.exit_code == 1 and "only in letter case" in out.output, out.output


def test_heatmap_colours_consensus_cells_blue_and_draws_no_grey_without_unread_cells(tmp_path):
    import numpy as np
    from matplotlib.image import imread

    from mapping_review.publish import figures
    from mapping_review.review.consensus import GuideCode

    codebook = load_codebook(Path(__file__).resolve().parents[1] / "codebook.yaml")
    rows = [GuideCode("g1", c.id, True, "consensus", 0) for c in codebook.codes]  # every cell settled present
    written = figures.heatmap(codebook, ["g1"], {}, rows, tmp_path)
    png = next(p for p in written if p.suffix == ".png")
    pixels = np.round(imread(png)[..., :3] * 255).astype(int).reshape(-1, 3)
    blue = int(np.all(pixels == (0x00, 0x72, 0xB2), axis=1).sum())
    grey = int(np.all(pixels == (0x5A, 0x5A, 0x5A), axis=1).sum())  # antialiased text may hit it now and then
    assert blue > 20 * max(grey, 1), (blue, grey)  # the cells are the consensus's blue, not the unread grey


def test_settleable_says_why_only_when_nothing_may_be_settled_and_never_counts_a_partys_items():
    from conftest import ROOT

    from mapping_review.coding.codebook import load_codebook
    from mapping_review.review.adjudication import Review, open_items, settleable

    decisions = [d("alice", "g1", "client_centered", False), d("bob", "g1", "client_centered", True),
                 d("alice", "g1", "dont_stigmatize", False), d("bob", "g1", "dont_stigmatize", True),
                 d("bob", "g2", "dont_stigmatize", False), d("carol", "g2", "dont_stigmatize", True)]
    codebook = load_codebook(ROOT / "codebook.yaml")
    review = Review(codebook, {"g1": "h", "g2": "h"}, decisions, {}, ReviewSettings(), open_items(decisions, []))
    mine, why_not = settleable("alice", list(review.open.values()), review)
    assert [(i.guide, i.code) for i in mine] == [("g2", "dont_stigmatize")] and why_not == ""
    named = Review(codebook, {"g1": "h", "g2": "h"}, decisions, {}, ReviewSettings(adjudicators=("carol",)),
                   open_items(decisions, []))
    assert settleable("dave", list(named.open.values()), named) == ([], "dave is not an adjudicator of this review "
                                                                        "(review.yaml names: carol)")
    assert len(settleable("carol", list(named.open.values()), named)[0]) == 2  # not a party to g1's


def test_consensus_says_what_a_build_says_about_the_decisions(review):
    append_decisions(review.reviews_dir, [d("alice", "g1", "dont_stigmatize", True),
                                          d("alice", "g1", "no_such_code", True)])
    out = run("consensus", "-p", review.root)
    flat = " ".join(out.output.split())
    assert out.exit_code == 0 and "Wrote " in flat and "build/tables" in flat
    assert "Warning: reviews/alice.jsonl: code 'no_such_code' is not in the codebook" in flat


def test_decisions_made_under_a_codes_earlier_id_count_for_it_once_renamed(review):
    append_decisions(review.reviews_dir, [d("alice", "g1", "no_stigma", True, time="2025-01-01T10:00:00Z"),
                                          d("bob", "g1", "no_stigma", True, time="2025-01-01T10:00:00Z")])
    state = load_review(review)
    assert not [x for x in state.decisions if x.guide == "g1"]  # an unknown code: left out, and said
    assert any("'no_stigma' is not in the codebook" in w and "renamed_from" in w for w in state.warnings)
    text = review.codebook_path.read_text(encoding="utf-8")
    review.codebook_path.write_text(text.replace("  - id: dont_stigmatize\n",
                                                 "  - id: dont_stigmatize\n    renamed_from: [no_stigma]\n", 1),
                                    encoding="utf-8")
    append_decisions(review.reviews_dir, [d("bob", "g1", "dont_stigmatize", False, time="2025-02-01T10:00:00Z")])
    state = load_review(review)
    assert not [w for w in state.warnings if "no_stigma" in w]
    answers = guide_level(state.decisions)
    assert answers["alice"] == {("g1", "dont_stigmatize"): True}  # her answer under the earlier id counts
    assert answers["bob"] == {("g1", "dont_stigmatize"): False}  # his later answer under the new id wins
    assert [json.loads(x)["code"] for x in (review.reviews_dir / "alice.jsonl").read_text().splitlines()] == \
        ["no_stigma"]  # the file keeps what was written
    from mapping_review.web.store import Store

    workbench = Store(review).state()  # the workbench reads the files afresh: the same reading
    assert guide_level(workbench.decisions) == answers


# -- review C: renamed_from through every reader ------------------------------------------------------------

def _rename(review, old_ids):
    text = review.codebook_path.read_text(encoding="utf-8")
    review.codebook_path.write_text(text.replace(
        "  - id: dont_stigmatize\n", f"  - id: dont_stigmatize\n    renamed_from: [{', '.join(old_ids)}]\n", 1),
        encoding="utf-8")


def test_a_code_renamed_twice_counts_the_latest_answer_under_any_of_its_ids(review):
    append_decisions(review.reviews_dir, [
        d("alice", "g1", "stigma_a", True, time="2025-01-01T10:00:00Z"),
        d("alice", "g1", "stigma_b", False, time="2025-02-01T10:00:00Z"),  # after the first rename
        d("bob", "g1", "dont_stigmatize", True, time="2025-03-01T10:00:00Z"),
        d("bob", "g1", "stigma_a", False, time="2025-04-01T10:00:00Z")])  # an old checkout: later lines win
    _rename(review, ["stigma_a", "stigma_b"])
    answers = guide_level(load_review(review).decisions)
    assert answers["alice"] == {("g1", "dont_stigmatize"): False}
    assert answers["bob"] == {("g1", "dont_stigmatize"): False}


def test_a_sheet_and_the_disagreements_read_answers_under_an_earlier_id_as_the_id_now(review, tmp_path):
    root = review.root
    append_decisions(review.reviews_dir, [d("alice", "g1", "no_stigma", True, time="2020-01-01T00:00:00Z"),
                                          d("bob", "g1", "dont_stigmatize", False, time="2020-01-01T00:00:00Z")])
    _rename(review, ["no_stigma"])
    sheet = tmp_path / "alice.csv"
    assert run("sheet", "export", "-r", "alice", "-o", sheet, "-p", root).exit_code == 0
    header, rows = read_table(sheet)
    assert rows[0][header.index("Don't Stigmatize")] == "Yes"  # her answer under the earlier id
    out = run("sheet", "import", sheet, "-r", "alice", "-p", root)
    assert out.exit_code == 0 and out.output.startswith("0 decision(s) recorded")  # nothing new in it
    state = load_review(review)
    write_tables(state, resolve_review(state))
    header, rows = read_table(review.build_dir / "tables" / "disagreements.csv")
    found = {r[header.index("code")]: r[header.index("answers")] for r in rows}
    assert found == {"dont_stigmatize": "alice=yes; bob=no"}
    out = run("adjudicate", "g1", "dont_stigmatize", "yes", "-r", "carol", "-p", root)
    assert out.exit_code == 0, out.output
    assert guide_level(load_review(review).decisions)["consensus"] == {("g1", "dont_stigmatize"): True}


def test_segment_decisions_under_an_earlier_id_count_for_the_code_now(review):
    append_decisions(review.reviews_dir, [d("alice", "g1", "no_stigma", True, level="segment", segment="g1:1:a",
                                            action="accept")])
    _rename(review, ["no_stigma"])
    (decision,) = load_review(review).decisions
    assert (decision.level, decision.code, decision.segment) == ("segment", "dont_stigmatize", "g1:1:a")


def test_a_blank_line_in_a_disagreements_file_is_not_a_row_left_open(review, tmp_path):
    root = review.root
    _two_disagreements(review)
    dis = tmp_path / "open.csv"
    assert run("adjudicate", "-r", "carol", "--export", dis, "-p", root).exit_code == 0
    header, rows = read_table(dis)
    rows[0][header.index("decision")] = "yes"
    write_table(dis, header, [rows[0], [""] * len(header), rows[1]])
    out = run("adjudicate", "-r", "carol", "--import", dis, "-p", root)
    flat = " ".join(out.output.split())
    assert out.exit_code == 0 and "1 consensus decision(s) recorded" in flat
    assert "1 row(s) without a decision recorded nothing (row 4)" in flat


@pytest.mark.parametrize("calibrate", [True, False])
def test_consensus_calibrates_as_the_build_is_set_to(review, monkeypatch, calibrate):
    from mapping_review.review import state as state_module

    fitted = []
    real = state_module.calibration_of
    monkeypatch.setattr(state_module, "calibration_of", lambda state: fitted.append(state) or real(state))
    (review.root / "review.yaml").write_text(f"build:\n  calibrate: {str(calibrate).lower()}\n", encoding="utf-8")
    assert run("consensus", "-p", review.root).exit_code == 0
    assert bool(fitted) == calibrate


def test_readers_share_a_file_and_a_writer_waits_for_them(tmp_path):
    """Shared locks do not exclude one another (two readers read at once); an exclusive one waits."""
    path = tmp_path / "alice.jsonl"
    path.write_text("")
    both, wrote = threading.Event(), threading.Event()

    def second_reader():
        with path.open("rb") as fh, file_lock(fh, exclusive=False):
            both.set()

    def writer():
        with path.open("ab") as fh, file_lock(fh, exclusive=True):
            wrote.set()

    with path.open("rb") as fh, file_lock(fh, exclusive=False):
        reader = threading.Thread(target=second_reader, daemon=True)
        reader.start()
        shared = both.wait(10)
        write = threading.Thread(target=writer, daemon=True)
        write.start()
        waited = not wrote.wait(0.3)
    assert wrote.wait(10)
    reader.join(10)
    write.join(10)
    assert shared and waited


def test_a_file_lock_is_let_go_when_its_block_ends_though_the_file_stays_open(tmp_path):
    path = tmp_path / "alice.jsonl"
    path.write_text("")
    taken = threading.Event()

    def other_writer():
        with path.open("ab") as other, file_lock(other, exclusive=True):
            taken.set()

    with path.open("ab") as fh:
        with file_lock(fh, exclusive=True):
            pass
        writer = threading.Thread(target=other_writer, daemon=True)
        writer.start()
        let_go = taken.wait(10)
    writer.join(10)
    assert let_go
