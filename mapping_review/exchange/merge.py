"""Which of an import's decisions are recorded.

- One per reviewer and item: a coder's several codings (or rejections) of one code in one sentence
  become one decision on a span covering them all, and this is reported; codings that disagree (a
  coding and a rejection, or two guide-level answers) leave the one made last, and the others are
  reported.
- Not what the reviewer's current decision already says (counted as unchanged).
- Not one older than the reviewer's current decision on the same item: a file exported or coded
  before the reviewer changed their mind must not undo the change. It is reported instead; a decision
  whose time cannot be read is recorded (decisions are append-only, so nothing is lost either way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from mapping_review.review.decisions import Decision, latest, parse_time

Item = tuple[str, tuple[str, str, str, str]]  # (reviewer, decision key)


@dataclass
class Merged:
    decisions: list[Decision] = field(default_factory=list)
    unchanged: int = 0
    not_recorded: list[str] = field(default_factory=list)  # one line each, saying why
    merged: list[str] = field(default_factory=list)  # codings recorded together, one line per item


def _what(d: Decision) -> str:
    where = f"{d.guide}, segment {d.segment}" if d.level == "segment" else f"{d.guide} (whole guide)"
    span = f" (characters {d.start}-{d.end})" if d.start >= 0 else ""
    return f"{where}: {d.code!r}{span} by {d.reviewer}"


def _answer(d: Decision) -> str:
    return ("Yes" if d.value else "No") + (f" on characters {d.start}-{d.end}" if d.start >= 0 else "")


def _made_last(group: Sequence[Decision]) -> Decision:
    """The decision made last (by its time; a later one in the file wins a tie or an unreadable time)."""
    order = {id(d): n for n, d in enumerate(group)}
    far_past = datetime.min.replace(tzinfo=timezone.utc)
    return max(group, key=lambda d: (parse_time(d.time) or far_past, order[id(d)]))


def one_per_item(new: Sequence[Decision], out: Merged) -> list[Decision]:
    """One decision per reviewer and item, in the order the items first appear."""
    groups: dict[Item, list[Decision]] = {}
    for d in new:
        groups.setdefault((d.reviewer, d.key), []).append(d)
    kept = []
    for group in groups.values():
        answers = {(d.value, d.start, d.end) for d in group}
        last = _made_last(group)
        if len(answers) == 1:
            kept.append(last)
        elif len({d.value for d in group}) == 1 and last.level == "segment":
            whole = [d for d in group if d.start < 0]
            spans = [(d.start, d.end) for d in group if d.start >= 0]
            one = whole[-1] if whole else replace(last, action="add" if last.value else last.action,
                                                  start=min(a for a, _ in spans), end=max(b for _, b in spans))
            kept.append(replace(one, time=last.time, note="\n".join(dict.fromkeys(d.note for d in group if d.note))))
            shown = "the whole sentence" if one.start < 0 else f"characters {one.start}-{one.end}"
            out.merged.append(f"{_what(one)}: {len(group)} codings in one sentence recorded as one, on {shown}")
        else:
            kept.append(last)
            for d in group:
                if d is not last:
                    out.not_recorded.append(f"{_what(d)}: {_answer(d)} made {d.time or 'at an unknown time'} is "
                                            f"contradicted in the same file by {_answer(last)} made {last.time}; "
                                            "the later one is recorded")
    return kept


def merge_decisions(new: Sequence[Decision], previous: Sequence[Decision]) -> Merged:
    """The decisions of ``new`` to record over the ``previous`` ones; see the module's docstring."""
    out = Merged()
    current = latest(previous)
    for d in one_per_item(new, out):
        before = current.get((d.reviewer, d.key))
        if before is None:
            out.decisions.append(d)
        elif (before.value, before.start, before.end) == (d.value, d.start, d.end):
            out.unchanged += 1
        elif _older(d, before):
            out.not_recorded.append(f"{_what(d)}: {_answer(d)} made {d.time} is older than {d.reviewer}'s current "
                                    f"decision, {_answer(before)} made {before.time}; the newer decision stands")
        else:
            out.decisions.append(d)
    return out


def _older(d: Decision, before: Decision) -> bool:
    mine, theirs = parse_time(d.time), parse_time(before.time)
    return mine is not None and theirs is not None and mine < theirs
