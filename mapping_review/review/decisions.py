"""Reviewers' decisions: append-only files under ``reviews/``, one per reviewer.

Every decision records who made it, when, on which text (a hash), from where
(sheet, worksheet, adjudication, the web app) and an optional note. Nothing
is ever rewritten: a later decision on the same guide/code (or segment/code)
wins, and the history stays in the file. Appends take an exclusive file lock
and readers a shared one, so concurrent writers never interleave lines and
readers never see half of one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mapping_review.errors import ConfigError
from mapping_review.files import file_lock, reentrant_folder_lock

REVIEWER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*\Z")  # \Z: "$" would let a final newline in
CONSENSUS = "consensus"
ACTIONS = ("set", "accept", "reject", "add")
LEVELS = ("guide", "segment")
UNKNOWN_TIME = "unknown"  # ``Decision.made`` of an imported answer whose file says not when it was made


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def check_reviewer(name: str) -> str:
    if not REVIEWER_PATTERN.match(name):
        msg = f"reviewer name {name!r} may only use letters, digits, '_', '-' and '.' (and start with one)"
        raise ConfigError(msg)
    if name.casefold() == CONSENSUS and name != CONSENSUS:  # one file with the consensus's where case is ignored
        msg = f"reviewer name {name!r} is the consensus's name written otherwise; choose another name"
        raise ConfigError(msg)
    return name


def check_new_reviewer(reviews_dir: Path, name: str) -> str:
    """Refuse ``name`` when another reviewer's file has the same name in other letter case: a file system
    that ignores case (macOS, Windows) would put both in one file, and one that does not would count one
    person twice."""
    check_reviewer(name)
    twin = case_twin(name, (path.stem for path in reviews_dir.glob("*.jsonl")) if reviews_dir.is_dir() else ())
    if twin is not None:
        msg = (f"reviewer name {name!r} differs from {twin!r} (reviews/{twin}.jsonl) only in letter case; "
               f"use {twin!r}, or a name of your own")
        raise ConfigError(msg)
    return name


def case_twin(name: str, names: Iterable[str]) -> str | None:
    """The first of ``names`` (in sorted order) that differs from ``name`` only in letter case, if any."""
    return next((n for n in sorted(names) if n != name and n.casefold() == name.casefold()), None)


@dataclass(frozen=True, slots=True)
class Decision:
    """One human decision. ``level`` is ``guide`` (a coding-sheet cell) or
    ``segment`` (accept/reject a suggestion, or add a code to a segment)."""

    reviewer: str
    time: str
    level: str
    guide: str
    code: str
    value: bool
    action: str = "set"
    segment: str = ""
    text_hash: str = ""
    note: str = ""
    origin: str = ""
    needs_review: bool = False  # the text changed since the decision was prepared
    start: int = -1  # a span of the segment's text the decision is about (-1: the whole segment)
    end: int = -1
    settled_by: str = ""  # a consensus decision: the adjudicator who settled it
    made: str = ""  # when it was made, if before it was recorded (``time``): an imported coding's own time;
    # UNKNOWN_TIME when the file it came from gives none (made at or before ``time``, but when is not known)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.level, self.guide, self.code, self.segment)

    @property
    def made_at(self) -> str:
        """When the decision was made: ``made`` where known, else when it was recorded (for a decision whose
        own time is unknown, that is the latest it can have been made)."""
        return self.time if self.made in ("", UNKNOWN_TIME) else self.made

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if not self.made:  # files stay as they were for decisions made where they were recorded
            del out["made"]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(**data)


def reviewer_path(reviews_dir: Path, reviewer: str) -> Path:
    return reviews_dir / f"{check_reviewer(reviewer)}.jsonl"


def check_appendable(reviews_dir: Path, decisions: Sequence[Decision]) -> dict[str, list[Decision]]:
    """``decisions`` by reviewer, once every reviewer's name is checked (a dry run checks what the append would)."""
    by_reviewer: dict[str, list[Decision]] = {}
    for d in decisions:
        by_reviewer.setdefault(d.reviewer, []).append(d)
    folded: dict[str, str] = {}
    for reviewer in by_reviewer:
        check_new_reviewer(reviews_dir, reviewer)
        twin = folded.setdefault(reviewer.casefold(), reviewer)
        if twin != reviewer:
            raise ConfigError(f"reviewer names {twin!r} and {reviewer!r} differ only in letter case; nothing was recorded")
    return by_reviewer


@contextmanager
def recording(reviews_dir: Path) -> Iterator[None]:
    """Hold it across reading decisions, checking new ones against them and appending those: no other
    process or thread appends in between (an import or a sheet checked against answers another one
    replaces at that moment would undo them). :func:`append_decisions` takes it too; reading does not."""
    reviews_dir.mkdir(parents=True, exist_ok=True)
    with reentrant_folder_lock(reviews_dir):
        yield


def append_decisions(reviews_dir: Path, decisions: Sequence[Decision]) -> int:
    """Append ``decisions`` (each to its reviewer's file) under an exclusive lock; returns how many.

    Every append starts on a fresh line, even when the file's last line lost its newline (a hand
    edit, an interrupted write), so a new decision is never glued onto an old one.
    """
    with recording(reviews_dir):
        by_reviewer = check_appendable(reviews_dir, decisions)
        for reviewer, items in by_reviewer.items():
            payload = "".join(json.dumps(d.to_dict(), ensure_ascii=False, sort_keys=True) + "\n" for d in items)
            with reviewer_path(reviews_dir, reviewer).open("a+b") as fh, file_lock(fh, exclusive=True):
                fh.seek(0, os.SEEK_END)
                if fh.tell():
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":
                        fh.write(b"\n")
                fh.write(payload.encode("utf-8"))
                fh.flush()
                os.fsync(fh.fileno())
    return len(decisions)


@dataclass(frozen=True)
class ReviewFiles:
    """Every decision in ``reviews/``, and what was skipped (a torn last line), with where and why."""

    decisions: list[Decision]
    warnings: list[str]


def read_reviews(reviews_dir: Path) -> ReviewFiles:
    """Every decision of every reviewer, in file order, each checked field by field.

    Files are read under a shared lock, so a writer's half-written line is never seen. A line that
    is not JSON (a write that was cut off, a broken hand edit) is skipped and reported, and stays in
    the file; the rest is read. A decision with a wrong or missing value is an error naming file and
    line: nothing is guessed (``"value": "false"`` is not taken for an answer).
    """
    decisions: list[Decision] = []
    warnings: list[str] = []
    problems: list[str] = []
    if not reviews_dir.is_dir():
        return ReviewFiles(decisions, warnings)
    for path in sorted(reviews_dir.glob("*.jsonl")):
        with path.open("rb") as fh, file_lock(fh, exclusive=False):
            data = fh.read()
        try:
            text = data.decode("utf-8").removeprefix("\ufeff")  # an editor's byte-order mark
        except UnicodeDecodeError as e:
            where = data.count(b"\n", 0, e.start) + 1
            problems.append(f"{path}:{where}: not UTF-8 text (byte 0x{data[e.start]:02x}); decision files are UTF-8 "
                            "JSON lines - restore the file from version control or save it again as UTF-8")
            continue
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            items, skipped = _objects(line)
            if skipped:  # a write that was cut off, or a hand edit that broke the JSON
                what = "an unfinished last line" if number == len(lines) and not items else "a damaged line"
                warnings.append(f"{path}:{number}: {what} was skipped in part ({skipped}); it stays in the file - "
                                "fix or delete it by hand, and record that decision again if it is lost")
            for item in items:
                found = _check(item, path.stem)
                problems.extend(f"{path}:{number}: {p}" for p in found)
                if not found:
                    decisions.append(Decision.from_dict(item))
    if problems:
        msg = "\n".join(problems) + "\nNo decision was read; fix these lines first (nothing was changed)."
        raise ConfigError(msg)
    return ReviewFiles(decisions, warnings)


def read_decisions(reviews_dir: Path) -> list[Decision]:
    """Every decision in ``reviews/`` (see :func:`read_reviews`, which also says what was skipped)."""
    return read_reviews(reviews_dir).decisions


def _objects(line: str) -> tuple[list[Any], str]:
    """The JSON objects on one line - usually one; several where appends were once glued together -
    and what could not be read (a fragment of a write that was cut off, which may be followed by a
    whole decision that was appended after it)."""
    decoder = json.JSONDecoder()
    out, skipped, at = [], [], 0
    while at < len(line):
        try:
            item, end = decoder.raw_decode(line, at)
        except json.JSONDecodeError as e:
            resume = line.find('{"', at + 1)
            skipped.append(f"{line[at:resume if resume > 0 else len(line)][:60]!r} ({e.msg})")
            if resume < 0:
                break
            at = resume
            continue
        out.append(item)
        at = end
        while at < len(line) and line[at].isspace():
            at += 1
    return out, "; ".join(skipped)


_TEXT_FIELDS = ("reviewer", "time", "level", "guide", "code", "action", "segment", "text_hash", "note", "origin",
                "settled_by", "made")
_REQUIRED = ("reviewer", "time", "level", "guide", "code", "value")
_FIELDS = tuple(f.name for f in dataclasses.fields(Decision))


def _check(item: Any, file_reviewer: str) -> list[str]:
    """What is wrong with one decision object (nothing when it is right)."""
    if not isinstance(item, dict):
        return [f"a decision must be a JSON object, not {type(item).__name__}"]
    problems = [f"unknown field {k!r}" for k in item if k not in _FIELDS]
    problems += [f"missing field {k!r}" for k in _REQUIRED if k not in item]
    problems += [f"{k} must be text, not {item[k]!r}" for k in _TEXT_FIELDS if k in item and not isinstance(item[k], str)]
    problems += [f"{k} must be true or false, not {item[k]!r}" for k in ("value", "needs_review")
                 if k in item and not isinstance(item[k], bool)]
    problems += [f"{k} must be a whole number, not {item[k]!r}" for k in ("start", "end")
                 if k in item and (isinstance(item[k], bool) or not isinstance(item[k], int))]
    if problems:
        return problems
    if item["level"] not in LEVELS:
        problems.append(f"level {item['level']!r} is not one of {', '.join(LEVELS)}")
    if item.get("action", "set") not in ACTIONS:
        problems.append(f"action {item['action']!r} is not one of {', '.join(ACTIONS)}")
    if item["level"] == "segment" and not item.get("segment"):
        problems.append("a segment decision needs the segment id")
    if item["reviewer"] != file_reviewer:
        problems.append(f"decision by {item['reviewer']!r} in {file_reviewer}.jsonl; move it to its reviewer's file")
    return problems


def latest(decisions: Iterable[Decision]) -> dict[tuple[str, tuple[str, str, str, str]], Decision]:
    """The latest decision per (reviewer, key): later lines win."""
    out: dict[tuple[str, tuple[str, str, str, str]], Decision] = {}
    for d in decisions:
        out[(d.reviewer, d.key)] = d
    return out


def guide_level(decisions: Iterable[Decision], *, settled: bool = True) -> dict[str, dict[tuple[str, str], bool]]:
    """Per reviewer, the guide x code answers: sheet cells, else what their segment decisions imply
    (an accepted segment implies the guide addresses the code, unless - with ``settled`` - a settlement
    found the segment does not show it; a rejected one implies nothing). The consensus's answers are its
    guide-level settlements only. Without ``settled``, the coders' own answers as they gave them (for
    agreement between them, and for who took part in an item)."""
    current = latest(decisions)
    settled_no = {(d.guide, d.code, d.segment) for (who, _), d in current.items()
                  if settled and who == CONSENSUS and d.level == "segment" and not d.value}
    explicit: dict[str, dict[tuple[str, str], bool]] = {}
    implied: dict[str, dict[tuple[str, str], bool]] = {}
    for (reviewer, _), d in current.items():
        if d.level == "guide":
            explicit.setdefault(reviewer, {})[(d.guide, d.code)] = d.value
        elif d.value and reviewer != CONSENSUS and (d.guide, d.code, d.segment) not in settled_no:
            # a settled segment is not a settled guide, but a passage settled as not showing a code implies nothing
            implied.setdefault(reviewer, {})[(d.guide, d.code)] = True
    out: dict[str, dict[tuple[str, str], bool]] = {}
    for reviewer in sorted(set(explicit) | set(implied)):
        merged = dict(implied.get(reviewer, {}))
        merged.update(explicit.get(reviewer, {}))
        out[reviewer] = merged
    return out


def own_answers(decisions: Iterable[Decision], reviewer: str) -> dict[tuple[str, str], Decision]:
    """``reviewer``'s latest explicit guide-level decision per guide x code (their sheet, as it stands)."""
    return {(d.guide, d.code): d for (who, _), d in latest(decisions).items() if who == reviewer and d.level == "guide"}


def parse_time(text: str) -> datetime | None:
    """An ISO time (one without a zone, as some QDA programs write, is read as UTC); None when ``text``
    is not one."""
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def recorded_by(decisions: Sequence[Decision], moment: str) -> list[Decision]:
    """The decisions recorded at or before ``moment`` (an ISO time; none when it is not one): what a sheet
    exported then was filled in with (one recorded in that same second may have been)."""
    then = parse_time(moment)
    return [d for d in decisions if then is not None and (when := parse_time(d.time)) is not None and when <= then]


def newer_than(decision: Decision, moment: str) -> bool:
    """Was ``decision`` made at or after ``moment`` (an ISO time)? False when either is not a time."""
    made, then = parse_time(decision.time), parse_time(moment)
    return made is not None and then is not None and made >= then


def segment_labels(decisions: Sequence[Decision]) -> dict[tuple[str, str], bool]:
    """(segment, code) -> label from the latest segment decisions; consensus overrides reviewers."""
    labels: dict[tuple[str, str], bool] = {}
    ordered = sorted(latest(decisions).items(), key=lambda kv: kv[0][0] == CONSENSUS)
    for (_, _), d in ordered:
        if d.level == "segment" and not d.needs_review:
            labels[(d.segment, d.code)] = d.value
    return labels


ALL = "all"


def learning_decisions(decisions: Sequence[Decision], *, sources: Sequence[str] = ()) -> tuple[list[Decision], str]:
    """The decisions a model may learn from, and whose they are.

    ``sources`` names reviewers, ``consensus`` or ``all``. Without any: the consensus's alone when two or
    more reviewers code (a model learnt from one reviewer's decisions would show them, in its scores, to the
    others while they code blind), else everyone's.
    """
    reviewers = sorted({d.reviewer for d in decisions} - {CONSENSUS})
    if not sources:
        sources = (CONSENSUS,) if len(reviewers) >= 2 else (ALL,)
    unknown = [s for s in sources if s not in (ALL, CONSENSUS, *reviewers)]
    if unknown:
        known = ", ".join([ALL, CONSENSUS, *reviewers])
        raise ConfigError(f"no reviewer {unknown[0]!r} has decisions to learn from; choose from {known}")
    if ALL in sources:
        return list(decisions), "every reviewer's and the consensus's decisions"
    chosen = [d for d in decisions if d.reviewer in sources]
    return chosen, "the decisions of " + ", ".join(sorted(set(sources)))
