"""The segment worksheet: machine suggestions to accept or reject, and room to add codes.

Columns: ``guide, segment, page, section, code, score, match, quote,
text_hash, decision, add_codes, note, exported, reviewer`` (when it was made, and for whom: it is
never imported as another reviewer's). ``decision`` is one of ``accept``,
``a``, ``yes``, ``y``, ``1``, ``true``, ``✓`` or ``reject``, ``r``, ``no``,
``n``, ``0``, ``false``, ``x`` (empty: undecided); ``add_codes`` lists
further code ids for the segment, comma-separated. A reviewer may add rows of their own (guide, segment, add_codes).
Rows whose segment text has changed since export (re-extraction) are
recorded with ``needs_review`` and reported, never dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mapping_review.coding.codebook import Codebook, split_cell
from mapping_review.coding.suggestions import Suggestion, text_hash
from mapping_review.errors import ConfigError
from mapping_review.project.yamlfile import suggest
from mapping_review.review.decisions import Decision, check_reviewer, latest, newer_than, now, recorded_by
from mapping_review.review.tables_io import read_table, write_table
from mapping_review.segment.segments import Segment

COLUMNS = ("guide", "segment", "page", "section", "code", "score", "match", "quote", "text_hash",
           "decision", "add_codes", "note", "exported", "reviewer")
ACCEPT = {"accept", "a", "yes", "y", "1", "true", "✓"}
REJECT = {"reject", "r", "no", "n", "0", "false", "x"}


def export_worksheet(
    path: Path, suggestions: Sequence[Suggestion], *, reviewer: str, decisions: Sequence[Decision],
) -> Path:
    """Write the suggestions, with ``reviewer``'s earlier segment decisions filled in."""
    check_reviewer(reviewer)
    done = {(d.segment, d.code): d for (who, _), d in latest(decisions).items()
            if who == reviewer and d.level == "segment"}
    rows = []
    time = now()
    for s in suggestions:
        earlier = done.get((s.segment, s.code))
        decision = "" if earlier is None else ("accept" if earlier.value else "reject")
        rows.append([s.guide, s.segment, s.page, " > ".join(s.section), s.code, f"{s.score:g}", s.match, s.quote,
                     s.text_hash, decision, "", earlier.note if earlier else "", time, reviewer])
    return write_table(path, COLUMNS, rows)


@dataclass(frozen=True)
class WorksheetImport:
    decisions: list[Decision]
    needs_review: list[str]  # one line per decision whose text changed
    skipped: int  # rows left blank
    unchanged: int = 0  # decisions the reviewer had already recorded
    superseded: int = 0  # rows left as exported that the reviewer decided again since: the later decision stands


def _own_segment_decisions(decisions: Sequence[Decision], reviewer: str) -> dict[tuple[str, str], Decision]:
    """(segment, code) -> ``reviewer``'s current segment decision among ``decisions``."""
    return {(d.segment, d.code): d for (who, _), d in latest(decisions).items()
            if who == reviewer and d.level == "segment"}


def _header(path: Path, header: list[str]) -> dict[str, int]:
    index = {name: i for i, name in enumerate(header)}
    problems = []
    for i, name in enumerate(header):
        if name not in COLUMNS:
            problems.append(f"{path}: row 1, column {i + 1}: unknown column {name!r}{suggest(name, COLUMNS)}")
    for name in ("guide", "segment", "code", "decision"):
        if name not in index:
            problems.append(f"{path}: row 1: missing column {name!r}")
    if problems:
        raise ConfigError("\n".join(problems) + "\nNothing was imported; fix the worksheet and import it again.")
    return index


def _which_code(written: str, codebook: Codebook) -> str:
    """A hint for a code that is not an id: the id of the code it is the label of, else the nearest id."""
    wanted = written.strip().casefold()  # "Peer support", or "Support > Peer support" as a sheet's header reads
    codes = [c.id for c in codebook.codes if wanted in (c.label.casefold(), f"{c.feature_label} > {c.label}".casefold())]
    if codes:
        return f" ({written.strip()!r} is the label of {' or '.join(map(repr, codes))}; write code ids)"
    return suggest(written, codebook.by_id)


def _row_actions(where: str, verdict: str, code: str, added: str, codebook: Codebook,
                 problems: list[str]) -> list[tuple[str, str]]:
    """The (code, action) pairs a row asks for - its decision on its code, and the codes it adds; what is
    wrong with them goes to ``problems``."""
    wanted: list[tuple[str, str]] = []
    if verdict:
        if verdict not in ACCEPT | REJECT:
            problems.append(f"{where}: decision {verdict!r} is not accept or reject")
        elif code not in codebook.by_id:
            problems.append(f"{where}: unknown code {code!r}{_which_code(code, codebook)}")
        else:
            wanted.append((code, "accept" if verdict in ACCEPT else "reject"))
    for extra in map(codebook.current_id, split_cell(added)):
        if extra not in codebook.by_id:
            problems.append(f"{where}: add_codes: unknown code {extra!r}{_which_code(extra, codebook)}")
        else:
            wanted.append((extra, "add"))
    return wanted


def read_worksheet(
    path: Path, codebook: Codebook, *, segments: Mapping[str, Segment], guides: Sequence[str], reviewer: str,
    previous: Sequence[Decision] = (),
) -> WorksheetImport:
    """Check a worksheet and turn its rows into segment decisions; raises listing every problem.

    A decision the reviewer already recorded is not recorded again, and a row that would undo a
    decision they made after the worksheet was exported is refused.
    """
    check_reviewer(reviewer)
    current = _own_segment_decisions(previous, reviewer)

    @functools.cache
    def as_exported(moment: str) -> dict[tuple[str, str], Decision]:  # what the worksheet was filled in with
        return _own_segment_decisions(recorded_by(previous, moment), reviewer)

    unchanged = superseded = 0
    header, rows = read_table(path)
    col = _header(path, header)
    problems: list[str] = []
    stale: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    decisions: list[Decision] = []
    skipped = 0
    time = now()

    def cell(row: list[str], name: str) -> str:
        return row[col[name]] if name in col else ""

    for number, row in enumerate(rows, start=2):
        guide, seg_id, code = cell(row, "guide"), cell(row, "segment"), cell(row, "code")
        code = codebook.current_id(code)  # a worksheet made before a code was renamed
        verdict, added, note = cell(row, "decision").casefold(), cell(row, "add_codes"), cell(row, "note")
        if not verdict and not added:
            skipped += 1
            continue
        where = f"{path}: row {number}"
        if guide not in guides:
            problems.append(f"{where}: unknown guide {guide!r}{suggest(guide, guides)}")
            continue
        owner = cell(row, "reviewer").strip()
        if owner and owner != reviewer:
            problems.append(f"{where}: this is {owner}'s worksheet, not {reviewer}'s; import it with -r {owner} (or "
                            "empty its reviewer column if the decisions are now yours)")
            continue
        if not seg_id:
            problems.append(f"{where}: no segment id; a decision is about one segment (copy its id from another row "
                            "or from 'mapping-review inspect GUIDE --page N')")
            continue
        wanted = _row_actions(where, verdict, code, added, codebook, problems)
        seg = segments.get(seg_id)
        exported_hash = cell(row, "text_hash")
        changed = seg is None or (bool(exported_hash) and exported_hash != text_hash(seg.text))
        if seg is not None and seg.guide != guide:
            problems.append(f"{where}: segment {seg_id!r} belongs to guide {seg.guide!r}, not {guide!r}")
            continue
        for code_id, action in wanted:
            if (seg_id, code_id) in seen:
                problems.append(f"{where}: segment {seg_id!r} and code {code_id!r} also on row {seen[(seg_id, code_id)]}")
                continue
            seen[(seg_id, code_id)] = number
            earlier = current.get((seg_id, code_id))
            if earlier is not None and earlier.value == (action != "reject") and not changed:
                unchanged += 1
                continue
            if earlier is not None and cell(row, "exported") and newer_than(earlier, cell(row, "exported")):
                # the decision column as exported (add_codes is exported empty), on the reviewer's own worksheet
                then = as_exported(cell(row, "exported")).get((seg_id, code_id)) if owner == reviewer else None
                if code_id == code and verdict and then is not None and then.value == (action != "reject"):
                    superseded += 1
                    continue
                problems.append(f"{where}: you decided {code_id!r} on this segment again at {earlier.time}, after "
                                f"this worksheet was exported ({cell(row, 'exported')}); export a fresh one")
                continue
            if changed:
                why = "no longer exists" if seg is None else "has new text"
                stale.append(f"{where}: segment {seg_id!r} {why} since the worksheet was made; "
                             f"{action} {code_id!r} is recorded and flagged for re-review")
            decisions.append(Decision(
                reviewer=reviewer, time=time, level="segment", guide=guide, code=code_id,
                value=action != "reject", action=action, segment=seg_id,
                text_hash=exported_hash or (text_hash(seg.text) if seg else ""), note=note,
                origin=f"worksheet:{path.name} row {number}", needs_review=changed,
            ))
    if problems:
        raise ConfigError("\n".join(problems) + "\nNothing was imported; fix the worksheet and import it again.")
    return WorksheetImport(decisions=decisions, needs_review=stale, skipped=skipped, unchanged=unchanged,
                           superseded=superseded)
