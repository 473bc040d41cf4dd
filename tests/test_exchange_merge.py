"""Which imported decisions are recorded (exchange/merge.py): one per reviewer and item, none that the
reviewer's current decision already says, none older than it."""

from __future__ import annotations

from dataclasses import replace

from mapping_review.exchange.merge import merge_decisions
from mapping_review.review.decisions import (
    UNKNOWN_TIME,
    Decision,
    append_decisions,
    newer_than,
    parse_time,
    read_decisions,
)

SPAN = Decision("Jane", "2025-01-01T10:00:00Z", "segment", "g1", "c1", True, "add", "g1:1:aa", "h", start=4, end=20)


def test_codings_in_one_sentence_become_one_on_a_span_covering_them_with_every_note():
    a = replace(SPAN, note="first")
    b = replace(SPAN, time="2025-01-02T10:00:00Z", start=30, end=40, note="second")
    (one,) = merge_decisions([b, a], []).decisions
    assert (one.start, one.end, one.action, one.time, one.note) == (4, 40, "add", b.time, "second\nfirst")


def test_a_coding_of_the_whole_sentence_covers_the_parts():
    whole = replace(SPAN, action="accept", start=-1, end=-1)
    last = replace(SPAN, time="2025-01-03T10:00:00Z", start=30, end=40)
    merged = merge_decisions([SPAN, whole, last], [])
    assert [(d.start, d.end, d.action, d.time) for d in merged.decisions] == [(-1, -1, "accept", last.time)]
    assert merged.merged and "on the whole sentence" in next(iter(merged.merged.values()))


def test_rejections_of_parts_of_one_sentence_stay_a_rejection():
    no = replace(SPAN, value=False, action="reject")
    (one,) = merge_decisions([no, replace(no, start=25, end=30)], []).decisions
    assert (one.value, one.action, one.start, one.end) == (False, "reject", 4, 30)


def test_the_same_coding_twice_is_one_decision_and_nothing_to_report():
    merged = merge_decisions([SPAN, SPAN], [])
    assert merged.decisions == [SPAN] and merged.merged == {} and merged.not_recorded == []


def test_two_guide_level_answers_leave_the_later_one_and_report_the_other():
    yes = Decision("Jane", "2025-01-02T10:00:00Z", "guide", "g1", "c1", True)
    no = replace(yes, time="2025-01-01T10:00:00Z", value=False)
    merged = merge_decisions([yes, no], [])
    assert merged.decisions == [yes]
    assert merged.not_recorded == ["g1 (whole guide): 'c1' by Jane: No made 2025-01-01T10:00:00Z is contradicted in the "
                                   "same file by Yes made 2025-01-02T10:00:00Z, which is the one taken"]


def test_answers_made_at_one_time_leave_the_one_later_in_the_file():
    yes = Decision("Jane", "2025-01-01T10:00:00Z", "guide", "g1", "c1", True)
    assert merge_decisions([yes, replace(yes, value=False)], []).decisions[0].value is False
    assert merge_decisions([replace(yes, value=False), yes], []).decisions[0].value is True


def test_what_the_reviewer_already_said_is_unchanged_and_another_reviewers_item_is_new():
    merged = merge_decisions([SPAN, replace(SPAN, reviewer="Bob")], [replace(SPAN, time="2026-01-01T00:00:00Z")])
    assert merged.unchanged == 1 and [d.reviewer for d in merged.decisions] == ["Bob"]


def test_an_older_decision_is_reported_and_a_newer_or_untimed_one_recorded():
    current = replace(SPAN, time="2025-06-01T00:00:00Z", value=False, action="reject")
    older = merge_decisions([SPAN], [current])
    assert older.decisions == [] and "that one stands" in older.not_recorded[0]
    assert merge_decisions([replace(SPAN, time="2025-06-01T00:00:01Z")], [current]).decisions
    assert merge_decisions([replace(SPAN, time="yesterday")], [current]).decisions
    assert merge_decisions([SPAN], [replace(current, time="")]).decisions
    assert not merge_decisions([replace(SPAN, time=current.time)], [current]).decisions  # a tie: what is there stays
    made_earlier = replace(SPAN, time="2026-01-01T00:00:00Z", made="2025-05-01T00:00:00Z")  # recorded later
    assert not merge_decisions([made_earlier], [current]).decisions  # judged by when it was made


def test_only_the_reviewers_current_decision_counts():
    history = [replace(SPAN, time="2025-06-01T00:00:00Z", value=False, action="reject"),
               replace(SPAN, time="2024-01-01T00:00:00Z", value=False, action="reject")]  # later line, earlier time
    assert merge_decisions([SPAN], history).decisions == [SPAN]


def test_a_time_without_a_zone_is_utc_and_compares_with_one_that_has_a_zone():
    assert parse_time("2025-01-01T10:00:00") == parse_time("2025-01-01T10:00:00Z") == \
        parse_time("2025-01-01T12:00:00+02:00")
    assert parse_time("") is None and parse_time("soon") is None
    naive = replace(SPAN, time="2025-01-01T10:00:00")  # as another program may have written it
    assert newer_than(naive, "2025-01-01T10:00:00Z") and not newer_than(naive, "2025-01-01T10:00:01Z")


def test_the_same_answer_twice_keeps_both_notes():
    (one,) = merge_decisions([replace(SPAN, note="see chapter 3"), replace(SPAN, note="")], []).decisions
    assert one.note == "see chapter 3"


def test_codings_merged_onto_what_the_reviewer_already_said_are_not_reported_as_recorded():
    parts = [SPAN, replace(SPAN, start=30, end=40)]
    current = replace(SPAN, end=40)
    merged = merge_decisions(parts, [current])
    assert merged.decisions == [] and merged.unchanged == 1
    assert merged.merged == {}


def test_an_answer_waiting_for_review_is_recorded_again_on_todays_text():
    flagged = replace(SPAN, time="2025-01-01T09:00:00Z", needs_review=True)  # the text changed since it was made
    merged = merge_decisions([SPAN], [flagged])
    assert merged.decisions == [SPAN] and merged.unchanged == 0


def test_an_answer_waiting_for_review_is_not_confirmed_on_todays_text_by_an_older_or_untimed_one():
    flagged = replace(SPAN, time="2025-01-01T09:00:00Z", needs_review=True)
    for again in (replace(SPAN, time="2026-01-01T00:00:00Z", made="2024-12-01T00:00:00Z"),
                  replace(SPAN, time="2026-01-01T00:00:00Z", made=UNKNOWN_TIME)):
        merged = merge_decisions([again], [flagged])
        (line,) = merged.not_recorded
        assert merged.decisions == [] and merged.unchanged == 0
        assert "current decision, Yes on characters 4-20 made 2025-01-01T09:00:00Z (it waits for review: its text " \
               "changed since)" in line


def test_when_a_decision_was_made_travels_in_its_file_only_when_it_differs_from_when_it_was_recorded(tmp_path):
    imported = replace(SPAN, time="2026-01-01T00:00:00Z", made="2025-05-01T00:00:00Z")
    append_decisions(tmp_path, [SPAN, imported])
    lines = (tmp_path / "Jane.jsonl").read_text().splitlines()
    assert '"made"' not in lines[0] and '"made": "2025-05-01T00:00:00Z"' in lines[1]
    assert read_decisions(tmp_path) == [SPAN, imported]
    assert (SPAN.made_at, imported.made_at) == (SPAN.time, "2025-05-01T00:00:00Z")


def test_untimed_wins_records_the_files_answer_whatever_the_current_decisions_time():
    untimed = replace(SPAN, made=UNKNOWN_TIME)  # recorded 2025-01-01
    current = replace(SPAN, time="2025-06-01T00:00:00Z", value=False, action="reject")
    assert merge_decisions([untimed], [current]).decisions == []
    assert merge_decisions([untimed], [current], untimed_wins=True).decisions == [untimed]


def test_an_untimed_coding_merged_with_a_timed_one_does_not_widen_the_current_decision():
    current = replace(SPAN, time="2025-03-01T10:00:00Z")  # Yes on characters 4-20, the reviewer's own
    timed = replace(SPAN, time="2026-01-01T00:00:00Z", made="2025-04-01T10:00:00Z")  # says the same, later
    untimed = replace(timed, start=30, end=50, made=UNKNOWN_TIME)  # the same file, no time
    merged = merge_decisions([timed, untimed], [current])
    assert [(d.start, d.end) for d in merged.decisions if d.end > 20] == []


def test_in_a_file_without_times_the_answer_that_differs_from_the_current_decision_is_the_change_made_there():
    """A rejection exported to QualCoder comes back beside the coding the reviewer added there since: the file
    says not which came last, and the rejection is what the reviewer's current decision already says."""
    rejected = replace(SPAN, value=False, action="reject", start=-1, end=-1)  # recorded 2025-01-01
    coded = replace(SPAN, time="2026-01-01T00:00:00Z", action="add", start=-1, end=-1, made=UNKNOWN_TIME)
    exported_no = replace(rejected, time="2026-01-01T00:00:00Z", made=UNKNOWN_TIME)
    merged = merge_decisions([coded, exported_no], [rejected])  # the rejection last in the file
    assert merged.decisions == []  # of unknown time: not over the current decision without --untimed-wins
    contradicted, refused = merged.not_recorded
    assert contradicted.startswith("g1, segment g1:1:aa: 'c1' by Jane: No made at an unknown time is contradicted")
    assert "by Yes made at an unknown time, which is the one taken (the file says not which came last" in contradicted
    assert "Yes has no time in the file" in refused and "--untimed-wins" in refused
    assert merge_decisions([coded, exported_no], [rejected], untimed_wins=True).decisions == [coded]
    assert merge_decisions([exported_no, coded], [], untimed_wins=True).decisions == [coded]  # nothing there: last


def test_current_codings_a_file_leaves_out_are_listed_and_stand():
    kept = replace(SPAN, segment="g1:1:aa")
    gone = [replace(SPAN, segment=f"g1:2:{n}") for n in "bcdefg"]  # six of Jane's codings deleted elsewhere
    others = [replace(SPAN, reviewer="Bob", segment="g1:2:b"), replace(SPAN, guide="g2", segment="g2:1:a"),
              replace(SPAN, segment="g1:3:x", value=False, action="reject"),  # a rejection: nothing to delete
              replace(SPAN, level="guide", segment="", start=-1, end=-1)]
    merged = merge_decisions([kept], [kept, *gone, *others])
    assert merged.decisions == [] and merged.unchanged == 1
    (line,) = merged.absent
    assert line.startswith("6 of Jane's current codings on g1 are not in this file (segment g1:2:b 'c1'; ")
    assert "segment g1:2:f 'c1'; ...)" in line and "g1:2:g" not in line and "they stand" in line
    guide_only = replace(SPAN, level="guide", segment="", start=-1, end=-1, value=False)
    assert merge_decisions([guide_only], [kept, *gone]).absent == []  # a file of guide answers deletes no coding


def test_a_file_that_dates_one_of_the_two_answers_orders_them_by_time_not_by_the_current_decision():
    """The rejection is dated in the file and the coding is not: the rejection is the one made last (a coding of
    unknown time sorts first), even though it is what the reviewer's current decision already says."""
    current = replace(SPAN, value=False, action="reject", start=-1, end=-1)
    dated_no = replace(current, time="2026-01-01T00:00:00Z")
    undated_yes = replace(SPAN, time="2026-01-01T00:00:00Z", action="add", start=-1, end=-1, made=UNKNOWN_TIME)
    merged = merge_decisions([dated_no, undated_yes], [current], untimed_wins=True)
    assert merged.decisions == [] and merged.unchanged == 1
    assert "the file says not which came last" not in " ".join(merged.not_recorded)


def test_two_untimed_codings_over_an_exported_rejection_become_one_on_a_span_covering_both():
    current = replace(SPAN, value=False, action="reject", start=-1, end=-1)
    untimed = {"time": "2026-01-01T00:00:00Z", "made": UNKNOWN_TIME}
    exported_no = replace(current, **untimed)
    first, second = replace(SPAN, start=0, end=5, **untimed), replace(SPAN, start=10, end=20, **untimed)
    merged = merge_decisions([exported_no, first, second], [current], untimed_wins=True)
    assert [(d.value, d.start, d.end) for d in merged.decisions] == [(True, 0, 20)]
    assert not any("Yes on characters 0-5 made at an unknown time is contradicted" in line for line in merged.not_recorded)
