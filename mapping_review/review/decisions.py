"""Reviewers' decisions: append-only files under ``reviews/``, one per reviewer.

Every decision records who made it, when, on which text (a hash), from where
(sheet, worksheet, adjudication, the web app) and an optional note. Nothing
is ever rewritten: a later decision on the same guide/code (or segment/code)
wins, and the history stays in the file. Appends take a file lock, so
concurrent writers never interleave lines.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mapping_review.errors import ConfigError

REVIEWER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
CONSENSUS = "consensus"
ACTIONS = ("set", "accept", "reject", "add")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def check_reviewer(name: str) -> str:
    if not REVIEWER_PATTERN.match(name):
        msg = f"reviewer name {name!r} may only use letters, digits, '_', '-' and '.' (and start with one)"
        raise ConfigError(msg)
    return name


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

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.level, self.guide, self.code, self.segment)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(**data)


def reviewer_path(reviews_dir: Path, reviewer: str) -> Path:
    return reviews_dir / f"{check_reviewer(reviewer)}.jsonl"


def append_decisions(reviews_dir: Path, decisions: Sequence[Decision]) -> int:
    """Append ``decisions`` (each to its reviewer's file) under a lock; returns how many."""
    by_reviewer: dict[str, list[Decision]] = {}
    for d in decisions:
        by_reviewer.setdefault(d.reviewer, []).append(d)
    reviews_dir.mkdir(parents=True, exist_ok=True)
    for reviewer, items in by_reviewer.items():
        payload = "".join(json.dumps(d.to_dict(), ensure_ascii=False, sort_keys=True) + "\n" for d in items)
        with reviewer_path(reviews_dir, reviewer).open("a", encoding="utf-8") as fh:
            _lock(fh)
            try:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                _unlock(fh)
    return len(decisions)


def _lock(fh: Any) -> None:
    if os.name == "posix":
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)


def _unlock(fh: Any) -> None:
    if os.name == "posix":
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def read_decisions(reviews_dir: Path) -> list[Decision]:
    """Every decision of every reviewer, in file order; a damaged line is an error, never skipped."""
    out: list[Decision] = []
    if not reviews_dir.is_dir():
        return out
    for path in sorted(reviews_dir.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                decision = Decision.from_dict(json.loads(line))
            except (ValueError, TypeError) as e:
                msg = f"{path}:{number}: damaged decision line ({e}); fix it by hand, nothing was read past it"
                raise ConfigError(msg) from e
            if decision.reviewer != path.stem:
                msg = f"{path}:{number}: decision by {decision.reviewer!r} in {path.name}; move it to its reviewer's file"
                raise ConfigError(msg)
            out.append(decision)
    return out


def latest(decisions: Iterable[Decision]) -> dict[tuple[str, tuple[str, str, str, str]], Decision]:
    """The latest decision per (reviewer, key): later lines win."""
    out: dict[tuple[str, tuple[str, str, str, str]], Decision] = {}
    for d in decisions:
        out[(d.reviewer, d.key)] = d
    return out


def guide_level(decisions: Iterable[Decision]) -> dict[str, dict[tuple[str, str], bool]]:
    """Per reviewer, the guide x code answers: sheet cells, else what their segment decisions imply."""
    current = latest(decisions)
    explicit: dict[str, dict[tuple[str, str], bool]] = {}
    implied: dict[str, dict[tuple[str, str], bool]] = {}
    for (reviewer, _), d in current.items():
        if d.level == "guide":
            explicit.setdefault(reviewer, {})[(d.guide, d.code)] = d.value
        elif d.value:
            implied.setdefault(reviewer, {})[(d.guide, d.code)] = True
    out: dict[str, dict[tuple[str, str], bool]] = {}
    for reviewer in sorted(set(explicit) | set(implied)):
        merged = dict(implied.get(reviewer, {}))
        merged.update(explicit.get(reviewer, {}))
        out[reviewer] = merged
    return out


def segment_labels(decisions: Sequence[Decision]) -> dict[tuple[str, str], bool]:
    """(segment, code) -> label from the latest segment decisions; consensus overrides reviewers."""
    labels: dict[tuple[str, str], bool] = {}
    ordered = sorted(latest(decisions).items(), key=lambda kv: kv[0][0] == CONSENSUS)
    for (_, _), d in ordered:
        if d.level == "segment" and not d.needs_review:
            labels[(d.segment, d.code)] = d.value
    return labels
