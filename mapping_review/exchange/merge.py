"""Which of an import's decisions are recorded.

- One per reviewer and item: a coder's several codings (or rejections) of one code in one sentence
  become one decision on a span covering them all, with every note, and this is reported when it is
  recorded; codings that disagree (a coding and a rejection, or two guide-level answers) leave the
  one made last, and the others are reported.
- Not what the reviewer's current decision already says (counted as unchanged), unless that decision
  waits for review because the text changed since: the imported one is on today's text.
- Not one made at or before the reviewer's current decision on the same item (by when each was made,
  :attr:`Decision.made_at`): a file exported or coded before the reviewer changed their mind must not
  undo the change, and a tie goes to the decision already there. It is reported instead.
- Not one whose file says not when it was made (``made`` is :data:`UNKNOWN_TIME`; QualCoder writes no
  times) where it differs from the reviewer's current decision: which came last cannot be known, so the
  current one stands and the difference is reported, unless ``untimed_wins`` (the reviewer says the file
  is newer). A current decision of unknown time was made no later than it was recorded.
  Decisions are append-only, so nothing is lost either way.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from mapping_review.review.decisions import UNKNOWN_TIME, Decision, latest, parse_time

Item = tuple[str, tuple[str, str, str, str]]  # (reviewer, decision key)


@dataclass
class Merged:
    decisions: list[Decision] = field(default_factory=list)
    unchanged: int = 0
    not_recorded: list[str] = field(default_factory=list)  # one line each, saying why
    merged: dict[Item, str] = field(default_factory=dict)  # codings recorded as one decision: the line saying so
    absent: list[str] = field(default_factory=list)  # current codings the file leaves out, one line per coder/guide


def _what(d: Decision) -> str:
    where = f"{d.guide}, segment {d.segment}" if d.level == "segment" else f"{d.guide} (whole guide)"
    span = f" (characters {d.start}-{d.end})" if d.start >= 0 else ""
    return f"{where}: {d.code!r}{span} by {d.reviewer}"


def _answer(d: Decision) -> str:
    return ("Yes" if d.value else "No") + (f" on characters {d.start}-{d.end}" if d.start >= 0 else "")


def _made_last(group: Sequence[Decision]) -> Decision:
    """The decision made last (a later one in the file wins a tie or an unreadable time)."""
    order = {id(d): n for n, d in enumerate(group)}
    far_past = datetime.min.replace(tzinfo=timezone.utc)
    return max(group, key=lambda d: (_when(d) or far_past, order[id(d)]))


def _when(d: Decision) -> datetime | None:
    """When ``d`` was made; None when that is not known."""
    return None if d.made == UNKNOWN_TIME else parse_time(d.made_at)


def _made(d: Decision, *, recorded: bool = False) -> str:
    """When ``d`` was made, in words (``recorded``: a recorded decision of unknown time was made no later)."""
    if d.made != UNKNOWN_TIME:
        return d.made_at
    return f"at an unknown time, no later than {d.time}" if recorded else "at an unknown time"


def _notes(group: Sequence[Decision]) -> str:
    return "\n".join(dict.fromkeys(d.note for d in group if d.note))


def _one(group: Sequence[Decision], out: Merged, before: Decision | None) -> tuple[Decision, str]:
    """One item's decision, and the line saying codings were recorded as one ("" when there is nothing to say);
    ``before`` is the reviewer's current decision on the item."""
    last = _made_last(group)
    if len({(d.value, d.start, d.end) for d in group}) == 1:
        return replace(last, note=_notes(group)), ""
    if len({d.value for d in group}) == 1 and last.level == "segment":
        whole = [d for d in group if d.start < 0]
        spans = [(d.start, d.end) for d in group if d.start >= 0]
        one = whole[-1] if whole else replace(last, action="add" if last.value else last.action,
                                              start=min(a for a, _ in spans), end=max(b for _, b in spans))
        shown = "the whole sentence" if one.start < 0 else f"characters {one.start}-{one.end}"
        line = f"{_what(one)}: {len(group)} codings in one sentence recorded as one, on {shown}"
        made = UNKNOWN_TIME if any(d.made == UNKNOWN_TIME for d in group) else last.made  # what it covers is that old
        return replace(one, time=last.time, made=made, note=_notes(group)), line
    why = ""
    if before is not None and all(_when(d) is None for d in group):  # nothing in the file orders them
        last = ([d for d in group if d.value != before.value] or [last])[-1]  # e.g. a coding over an exported no
        why = (f" (the file says not which came last: the one that differs from {last.reviewer}'s current decision "
               "is taken as the change made there)")
    # the answers like the one taken, made after every answer unlike it (all of them when nothing is dated),
    # are recorded as one, as any are; the others are listed
    unlike = [when for d in group if d.value != last.value and (when := _when(d)) is not None]
    side = [d for d in group if d.value == last.value
            and (not unlike or ((when := _when(d)) is not None and when > max(unlike)))] or [last]
    for d in group:
        if all(d is not x for x in side):
            out.not_recorded.append(f"{_what(d)}: {_answer(d)} made {_made(d)} is contradicted in the same file by "
                                    f"{_answer(last)} made {_made(last)}, which is the one taken{why}")
    return _one(side, out, before) if len(side) > 1 else (last, "")


def merge_decisions(new: Sequence[Decision], previous: Sequence[Decision], *, untimed_wins: bool = False,
                    coders: Collection[str] = (), guides: Collection[str] = ()) -> Merged:
    """The decisions of ``new`` to record over the ``previous`` ones; see the module's docstring."""
    out = Merged()
    current = latest(previous)
    groups: dict[Item, list[Decision]] = {}
    for d in new:
        groups.setdefault((d.reviewer, d.key), []).append(d)
    for item, group in groups.items():
        before = current.get(item)
        d, line = _one(group, out, before)
        if before is not None:
            if (before.value, before.start, before.end) == (d.value, d.start, d.end) and not before.needs_review:
                out.unchanged += 1
                continue
            refused = _refusal(d, before, untimed_wins=untimed_wins)
            if refused:
                out.not_recorded.append(refused)
                continue
        out.decisions.append(d)
        if line:
            out.merged[item] = line
    out.absent = _absent(groups, current, (coders, guides))
    return out


def _absent(groups: dict[Item, list[Decision]], current: dict[Item, Decision], scope: tuple[Collection[str],
            Collection[str]]) -> list[str]:
    """The current codings (accepted or added passages) of the file's coders on the file's guides (``scope``:
    its users and sources, beside those its codings name) that the file leaves out - deleted in the other
    program, perhaps: an absence records nothing, so each still stands."""
    coded = [(who, key[1]) for who, key in groups if key[0] == "segment"]
    if not coded:  # a file of guide answers only deletes no coding
        return []
    coders, guides = {who for who, _ in coded} | set(scope[0]), {guide for _, guide in coded} | set(scope[1])
    missing: dict[tuple[str, str], list[Decision]] = {}
    for (who, key), d in current.items():
        if who in coders and key[1] in guides and d.level == "segment" and d.value and (who, key) not in groups:
            missing.setdefault((who, d.guide), []).append(d)
    lines = []
    for (who, guide), items in sorted(missing.items()):
        shown = "; ".join(f"segment {d.segment} {d.code!r}" for d in items[:5]) + ("; ..." if len(items) > 5 else "")
        lines.append(f"{len(items)} of {who}'s current codings on {guide} are not in this file ({shown}): an absent "
                     "coding records nothing, so they stand; if they were deleted in the other program, reject them "
                     "here (mapping-review review quote, the worksheet or the workbench)")
    return lines


def _refusal(d: Decision, before: Decision, *, untimed_wins: bool) -> str:
    """Why ``d`` is not recorded over the reviewer's current decision ``before`` ("" when it is)."""
    if d.made == UNKNOWN_TIME:
        if untimed_wins:
            return ""
        why = "has no time in the file, so it does not replace"
        then = "; import with --untimed-wins if the file's answers are the newer ones"
    elif _newer(d, before):
        return ""
    else:
        why, then = f"made {d.made_at} is not newer than", "; that one stands"
    standing = f"{_answer(before)} made {_made(before, recorded=True)}"
    if before.needs_review:
        standing += " (it waits for review: its text changed since)"
    return f"{_what(d)}: {_answer(d)} {why} {d.reviewer}'s current decision, {standing}{then}"


def _newer(d: Decision, before: Decision) -> bool:
    """Was ``d`` (its time known) made after ``before``? One of unknown time was made no later than it was
    recorded (:attr:`Decision.made_at`). True when either time cannot be read."""
    mine, theirs = parse_time(d.made_at), parse_time(before.made_at)
    return mine is None or theirs is None or mine > theirs
