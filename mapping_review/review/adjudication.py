"""Settling disagreements between reviewers, at guide and at segment level, by someone allowed to.

A settlement is a decision of the reviewer ``consensus`` that records who settled it
(``settled_by``). Who may settle is set in ``review.yaml``::

    review:
      adjudicators: [carol]      # only these may settle (default: anyone)
      parties_may_settle: false  # a reviewer who answered the item may not settle it (default)

A party is a reviewer (not the consensus) whose own latest answer on the item exists; while no
adjudicators are named, every reviewer who has coded anything in the guide counts as a party, so
that settling never shows a coder the answers of others on a guide they code. Only open
disagreements can be settled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mapping_review.coding.codebook import Codebook
from mapping_review.coding.suggestions import Suggestion
from mapping_review.errors import ConfigError, RoleError
from mapping_review.project.settings import ReviewSettings
from mapping_review.project.yamlfile import suggest
from mapping_review.review.consensus import Disagreement
from mapping_review.review.decisions import CONSENSUS, Decision, case_twin, check_reviewer, guide_level, latest, now
from mapping_review.review.tables_io import read_table, write_table

COLUMNS = ("level", "guide", "code", "segment", "page", "quote", "answers", "machine", "n_evidence", "decision",
           "note")
ANSWERS = {"yes": True, "y": True, "accept": True, "no": False, "n": False, "reject": False}


def segment_disagreements(decisions: Sequence[Decision], suggestions: Sequence[Suggestion]) -> list[Disagreement]:
    """Segments that reviewers accepted and rejected for the same code, not yet settled by consensus."""
    answers: dict[tuple[str, str, str], dict[str, bool]] = {}
    settled = set()
    for (reviewer, _), d in latest(decisions).items():
        if d.level != "segment":
            continue
        if reviewer == CONSENSUS:
            settled.add((d.guide, d.segment, d.code))
        else:
            answers.setdefault((d.guide, d.segment, d.code), {})[reviewer] = d.value
    open_items = sorted(item for item, given in answers.items() if len(set(given.values())) > 1 and item not in settled)
    if not open_items:
        return []
    machine = {(s.guide, s.segment, s.code): s for s in suggestions}  # only when there is a disagreement to show
    out = []
    for guide, segment, code in open_items:
        given = answers[(guide, segment, code)]
        hit = machine.get((guide, segment, code))
        out.append(Disagreement(guide, code, dict(sorted(given.items())), hit is not None, int(hit is not None),
                                level="segment", segment=segment, page=hit.page if hit else 0,
                                quote=hit.quote if hit else ""))
    return out


def parties(decisions: Sequence[Decision], *, level: str, guide: str, code: str, segment: str = "") -> set[str]:
    """The reviewers (not the consensus) who gave their own answer on the item."""
    if level == "guide":
        return {r for r, given in guide_level(decisions, settled=False).items()
                if r != CONSENSUS and (guide, code) in given}
    return {r for (r, key), _ in latest(decisions).items()
            if r != CONSENSUS and key == ("segment", guide, code, segment)}


def involved_in(decisions: Sequence[Decision], item: Disagreement, settings: ReviewSettings) -> set[str]:
    """Who may not settle ``item`` for being part of it (see the module's notes)."""
    out = parties(decisions, level=item.level, guide=item.guide, code=item.code, segment=item.segment) | set(item.answers)
    if not settings.adjudicators:
        out |= {d.reviewer for d in decisions if d.guide == item.guide and d.reviewer != CONSENSUS}
    return out


def open_items(decisions: Sequence[Decision], suggestions: Sequence[Suggestion]) -> dict[tuple[str, str, str, str],
                                                                                         Disagreement]:
    """The open disagreements by (level, guide, code, segment)."""
    answers = guide_level(decisions)
    consensus = answers.pop(CONSENSUS, {})
    keys = sorted({k for given in answers.values() for k in given} - set(consensus))
    out = {}
    for guide, code in keys:
        given = {r: a[(guide, code)] for r, a in sorted(answers.items()) if (guide, code) in a}
        if len(set(given.values())) > 1:
            out[("guide", guide, code, "")] = Disagreement(guide, code, given, False, 0)
    for d in segment_disagreements(decisions, suggestions):
        out[("segment", d.guide, d.code, d.segment)] = d
    return out


def check_may_settle(name: str, *, involved: set[str], settings: ReviewSettings) -> None:
    """Raise :class:`RoleError` unless ``name`` may settle an item ``involved`` answered."""
    check_reviewer(name)
    if name == CONSENSUS:
        msg = "settle as yourself (-r NAME), not as 'consensus'; the settlement is recorded as consensus"
        raise RoleError(msg)
    if settings.adjudicators and name not in settings.adjudicators:
        allowed = ", ".join(settings.adjudicators)
        raise RoleError(f"{name} is not an adjudicator of this review (review.yaml names: {allowed})")
    if name in involved and not settings.parties_may_settle:
        raise RoleError(f"{name} answered this item and may not settle it; ask an adjudicator who did not "
                        "(or set review.parties_may_settle: true in review.yaml)")


def check_recorder(reviewer: str, settled_by: str, settings: ReviewSettings) -> None:
    """A sheet recorded as the consensus names who records it, and that person must be allowed to settle."""
    if reviewer == CONSENSUS:
        if not settled_by:
            msg = "an agreed sheet needs --by NAME: who records it for the team"
            raise ConfigError(msg)
        check_may_settle(settled_by, involved=set(), settings=settings)
    elif settled_by:
        msg = "--by goes with -r consensus only"
        raise ConfigError(msg)


def check_agreed_sheet(review: Review, decisions: Sequence[Decision], *, by: str) -> None:
    """An agreed sheet recorded by ``by`` settles every open disagreement it answers, so ``by`` must be allowed
    to settle each one; raises listing those they may not (and then nothing is recorded)."""
    problems = []
    for x in decisions:
        item = review.open.get(x.key)
        if item is None:
            continue
        try:
            check_may_settle(by, involved=involved_in(review.decisions, item, review.settings), settings=review.settings)
        except RoleError as e:
            problems.append(f"{x.origin or x.guide}: {x.guide} {x.code}{' segment ' + x.segment if x.segment else ''}: {e}")
    if problems:
        raise RoleError("\n".join(problems) + "\nNothing was imported.")


def may_settle(name: str, item: Disagreement, review: Review) -> bool:
    try:
        check_may_settle(name, involved=involved_in(review.decisions, item, review.settings), settings=review.settings)
    except (RoleError, ConfigError):
        return False
    return True


def settleable(name: str, items: Sequence[Disagreement], review: Review) -> tuple[list[Disagreement], str]:
    """The ``items`` ``name`` may settle, and why none when ``name`` may settle nothing at all (not an
    adjudicator; "" otherwise). How many are left out for ``name``'s taking part in them is never said: on
    a guide they code, it would tell a coder that others answered otherwise."""
    try:
        check_may_settle(name, involved=set(), settings=review.settings)
    except (RoleError, ConfigError) as e:
        return [], str(e)
    return [item for item in items if may_settle(name, item, review)], ""


@dataclass(frozen=True)
class Review:
    """What a settlement is checked against."""

    codebook: Codebook
    guides: Mapping[str, str]  # key -> hash recorded with guide-level decisions
    decisions: Sequence[Decision]
    segment_hashes: Mapping[str, tuple[str, str]]  # segment id -> (guide, text hash)
    settings: ReviewSettings
    open: Mapping[tuple[str, str, str, str], Disagreement]  # (level, guide, code, segment) -> the disagreement


def adjudicate(review: Review, guide: str, code: str, value: bool, *, by: str, segment: str = "", note: str = "",
               origin: str = "adjudication") -> Decision:
    """A consensus decision settling one guide x code (or, with ``segment``, one segment x code) by ``by``."""
    if guide not in review.guides:
        raise ConfigError(f"unknown guide {guide!r}{suggest(guide, list(review.guides))}")
    review.codebook.code(code)
    level = "segment" if segment else "guide"
    text_hash = review.guides[guide]
    if segment:
        where = review.segment_hashes.get(segment)
        if where is None or where[0] != guide:
            raise ConfigError(f"no segment {segment!r} in guide {guide!r}")
        text_hash = where[1]
    settlers = {d.settled_by for d in review.decisions if d.settled_by} | set(review.settings.adjudicators)
    twin = case_twin(by, settlers)
    if twin is not None:  # one person, two names: their settlements would be counted apart
        raise ConfigError(f"{by!r} differs from the settler {twin!r} only in letter case; settle as {twin!r}")
    item = review.open.get((level, guide, code, segment))
    # who may settle is checked before whether the item is open: a coder told "no open disagreement" on one
    # item and "you may not settle it" on another would learn from the refusal what the others answered
    asked = item or Disagreement(guide, code, {}, False, 0, level=level, segment=segment)
    check_may_settle(by, involved=involved_in(review.decisions, asked, review.settings), settings=review.settings)
    if item is None:
        raise ConfigError(f"there is no open disagreement on {guide} {code}{' segment ' + segment if segment else ''}; "
                          "only disagreements between reviewers are settled")
    return Decision(reviewer=CONSENSUS, time=now(), level=level, guide=guide, code=code, value=value,
                    action="set" if level == "guide" else ("accept" if value else "reject"), segment=segment,
                    text_hash=text_hash, note=note, origin=origin, settled_by=by)


def write_disagreements(path: Path, items: Sequence[Disagreement], *, force: bool = False) -> Path:
    """The open disagreements as a file to settle in (``decision`` yes/no per row)."""
    if path.exists() and not force:
        raise ConfigError(f"{path} exists (perhaps half settled); import it first, or pass --force or another file")
    rows = [[d.level, d.guide, d.code, d.segment, d.page or "", d.quote,
             "; ".join(f"{r}={'yes' if v else 'no'}" for r, v in d.answers.items()),
             "yes" if d.machine else "no", d.n_evidence, "", ""] for d in items]
    return write_table(path, COLUMNS, rows)


def read_adjudications(path: Path, review: Review, *, by: str, already: list[str] | None = None,
                       blank: list[int] | None = None) -> list[Decision]:
    """Consensus decisions from a filled-in disagreements file; raises listing every bad row (and
    every row ``by`` may not settle), and then nothing is recorded. A row that ``by`` has already settled
    so (the file imported again) records nothing and goes to ``already``; the numbers of rows left without
    a decision go to ``blank``."""
    settled = {d.key: d for (who, _), d in latest(review.decisions).items() if who == CONSENSUS and d.settled_by == by}
    header, rows = read_table(path)
    for name in ("guide", "code", "decision"):
        if name not in header:
            raise ConfigError(f"{path}: row 1: missing column {name!r}")
    col = {n: i for i, n in enumerate(header)}
    out, problems = [], []
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in enumerate(rows, start=2):
        answer = row[col["decision"]].strip().casefold()
        if not answer:
            if blank is not None and any(cell.strip() for cell in row):
                blank.append(number)
            continue
        if answer not in ANSWERS:
            problems.append(f"{path}: row {number}: decision {answer!r} is not yes or no")
            continue
        item = (row[col["guide"]], row[col["code"]], row[col["segment"]] if "segment" in col else "")
        if item in seen:
            problems.append(f"{path}: row {number}: {' '.join(filter(None, item))} also on row {seen[item]}")
            continue
        seen[item] = number
        done = settled.get(("segment" if item[2] else "guide", *item))
        if done is not None and done.value == ANSWERS[answer]:
            if already is not None:
                already.append(f"{path}: row {number}: {' '.join(filter(None, item))} already settled so by {by}")
            continue
        try:
            out.append(adjudicate(review, row[col["guide"]], row[col["code"]], ANSWERS[answer], by=by,
                                  segment=row[col["segment"]] if "segment" in col else "",
                                  note=row[col["note"]] if "note" in col else "",
                                  origin=f"adjudication:{path.name} row {number}"))
        except (ConfigError, RoleError) as e:
            problems.append(f"{path}: row {number}: {e}")
    if problems:
        raise ConfigError("\n".join(problems) + "\nNothing was recorded.")
    return out
