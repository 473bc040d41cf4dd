"""The coding sheet in the paper's shape: one row per guide, one column per feature.

In the published sheet (the paper's shape) cells are empty, ``Yes`` (features
without sub-values) or comma-joined sub-value labels. A reviewer's sheet is
blind: it shows that reviewer's own answers and nothing of other reviewers or
the consensus; a cell they have not decided is empty (undecided), and ``No``
is an answer. Beside each feature a ``<feature> [machine]`` column gives the
machine's suggestion and evidence counts as a hint (ignored on import).
A ``<feature> [quote]`` column may hold quotes that support the answer
(``review.labels`` records them as segment decisions). Importing checks the
whole sheet first and appends nothing if anything is
wrong; it records only cells the reviewer filled in or changed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mapping_review.coding.codebook import Codebook, Feature, split_cell
from mapping_review.coding.decide import Evidence
from mapping_review.errors import ConfigError
from mapping_review.project.yamlfile import suggest
from mapping_review.review.decisions import Decision, check_reviewer, newer_than, now, own_answers, recorded_by
from mapping_review.review.tables_io import read_table, write_table

KEY_COLUMNS = ("Natbib", "key", "guide")
EVIDENCE_SUFFIX = " [evidence]"  # hint columns of sheets exported by earlier versions
MACHINE_SUFFIX = " [machine]"
NOT_READ = "not read (the guide is not coded yet)"  # a machine column of a guide without its PDF, or not built
QUOTE_SUFFIX = " [quote]"  # a reviewer's supporting quotes, read by review.labels.quotes_to_decisions
UNANSWERED = "not read"  # a cell of the resolved sheet that nobody answered, of a guide the machine has not read
EXPORTED = "exported"  # when a reviewer's sheet was exported
EXPORTED_FOR = "reviewer"  # whose sheet it is: importing it as anyone else is refused
YES = {"yes", "y", "x", "1", "true", "✓"}
NO = {"no", "n", "0", "false", "none"}
NOTHING = "\nNothing was imported; fix the sheet and import it again."
PARTLY_READ = re.compile(re.escape(f"{UNANSWERED}:"), re.IGNORECASE)  # in the cell as written (a casefold may be longer)


def feature_codes(feature: Feature) -> list[str]:
    return [f"{feature.id}/{c.id}" for c in feature.codes] if feature.codes else [feature.id]


def cell_for(feature: Feature, present: Mapping[str, bool]) -> str:
    """The sheet cell of ``feature`` given code -> present."""
    if not feature.codes:
        return "Yes" if present.get(feature.id) else ""
    return ", ".join(c.label for c in feature.codes if present.get(f"{feature.id}/{c.id}"))


def resolved_cell(feature: Feature, present: Mapping[str, bool], unanswered: Collection[str]) -> str:
    """A paper-shaped sheet's cell, where empty is No: ``not read`` when every code of the feature is
    ``unanswered`` (the machine has not read the guide and no reviewer answered), and the sub-values
    present followed by ``; not read: <labels>`` when only some are."""
    codes = feature_codes(feature)
    if all(c in unanswered for c in codes):
        return UNANSWERED
    cell = cell_for(feature, present)
    unread = [c.label for c in feature.codes if f"{feature.id}/{c.id}" in unanswered]
    if not unread:
        return cell
    return "; ".join([*([cell] if cell else []), f"{UNANSWERED}: {', '.join(unread)}"])


def sheet_rows(
    codebook: Codebook, guides: Sequence[str], codes: Mapping[tuple[str, str], bool], *,
    unanswered: Collection[tuple[str, str]] = (),
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a paper-shaped sheet; ``unanswered`` (guide x code) cells say so (:func:`resolved_cell`)."""
    header = ["Natbib"] + [f.label for f in codebook.features]
    unread: dict[str, set[str]] = {}
    for guide, code in unanswered:
        unread.setdefault(guide, set()).add(code)
    rows = []
    for guide in guides:
        present = {c.id: codes.get((guide, c.id), False) for c in codebook.codes}
        rows.append([guide] + [resolved_cell(f, present, unread.get(guide, set())) for f in codebook.features])
    return header, rows


def _evidence_cell(feature: Feature, guide: str, evidence: Mapping[tuple[str, str], Evidence]) -> str:
    if not feature.codes:
        return str(evidence.get((guide, feature.id), Evidence()).n_evidence)
    return "; ".join(
        f"{c.label}: {evidence.get((guide, f'{feature.id}/{c.id}'), Evidence()).n_evidence}" for c in feature.codes
    )


def own_cell(feature: Feature, answers: Mapping[str, bool]) -> str:
    """A reviewer's own cell: their answers only. ``""`` is undecided, ``No`` an answer."""
    codes = feature_codes(feature)
    decided = {c: answers[c] for c in codes if c in answers}
    if not decided:
        return ""
    if not feature.codes:
        return "Yes" if decided[feature.id] else "No"
    chosen = [c.label for c in feature.codes if decided.get(f"{feature.id}/{c.id}")]
    if chosen:
        return ", ".join(chosen)
    return "No" if len(decided) == len(codes) else ""


def machine_cell(feature: Feature, guide: str, machine: Mapping[tuple[str, str], bool],
                 evidence: Mapping[tuple[str, str], Evidence], *, read: bool = True) -> str:
    """The machine's suggestion as a hint (never an answer): what it would answer, and its evidence counts;
    ``NOT_READ`` when it has not coded the guide."""
    if not read:
        return NOT_READ
    present = {c: machine.get((guide, c), False) for c in feature_codes(feature)}
    answer = cell_for(feature, present) or "No"
    counts = _evidence_cell(feature, guide, evidence)
    return f"{answer} (evidence: {counts})"


def export_sheet(
    path: Path, codebook: Codebook, guides: Sequence[str], *, reviewer: str, decisions: Sequence[Decision],
    machine: Mapping[tuple[str, str], bool], evidence: Mapping[tuple[str, str], Evidence],
    unread: Collection[str] = (),
) -> Path:
    """Write ``reviewer``'s blind sheet: their own answers and nothing of anyone else's.

    A cell they have not decided is empty; the machine's suggestion stands beside each feature in a
    ``[machine]`` column, as a hint that import ignores. The ``exported`` column records when the
    sheet was made, so that importing it later never undoes an answer given since, and ``reviewer``
    whose it is, so that it is never imported as another reviewer's answers. A guide in ``unread`` is
    not coded yet: its machine columns say so instead of answering No.
    """
    check_reviewer(reviewer)
    own = own_answers(decisions, reviewer)
    header = (["Natbib"] + [f.label for f in codebook.features] + [f.label + MACHINE_SUFFIX for f in codebook.features]
              + [EXPORTED, EXPORTED_FOR])
    time = now()
    rows = []
    for guide in guides:
        answers = {code: d.value for (g, code), d in own.items() if g == guide}
        rows.append([guide] + [own_cell(f, answers) for f in codebook.features]
                    + [machine_cell(f, guide, machine, evidence, read=guide not in unread) for f in codebook.features]
                    + [time, reviewer])
    return write_table(path, header, rows)


@dataclass(frozen=True)
class SheetImport:
    decisions: list[Decision]  # what the reviewer decided anew, to be appended
    unchanged: int  # answers the reviewer had already given
    missing_features: list[str]
    undecided: int = 0  # cells left empty: nothing recorded
    kept: int = 0  # cells emptied where the reviewer had answered: the earlier answer stands
    superseded: int = 0  # answers in cells left as exported that the reviewer gave again since: the later ones stand


def _columns(path: Path, header: list[str], codebook: Codebook) -> tuple[dict[int, Feature], list[str]]:
    labels = {f.label.casefold(): f for f in codebook.features}
    if header[0] not in KEY_COLUMNS:
        msg = f"{path}: row 1, column 1: expected a key column named 'Natbib' (the citation key), got {header[0]!r}"
        raise ConfigError(msg + NOTHING)
    columns: dict[int, Feature] = {}
    problems = []
    for i, name in enumerate(header[1:], start=1):
        if name.endswith((EVIDENCE_SUFFIX, MACHINE_SUFFIX, QUOTE_SUFFIX)) or name in (EXPORTED, EXPORTED_FOR) or not name:
            continue
        feature = labels.get(name.casefold())
        if feature is None:
            hint = suggest(name, [f.label for f in codebook.features])
            problems.append(f"{path}: row 1, column {i + 1}: unknown column {name!r}{hint}")
        elif feature in columns.values():
            problems.append(f"{path}: row 1, column {i + 1}: column {name!r} appears twice")
        else:
            columns[i] = feature
    if problems:
        raise ConfigError("\n".join(problems) + NOTHING)
    missing = [f.label for f in codebook.features if f not in columns.values()]
    return columns, missing


def _parse_cell(feature: Feature, cell: str, *, complete: bool) -> tuple[dict[str, bool], str | None]:
    """code -> present for one cell (nothing for an undecided cell), or an error text."""
    marker = PARTLY_READ.search(cell)
    if marker and feature.codes:
        return _parse_partly_read(feature, cell[:marker.start()].strip().rstrip(";"), cell[marker.end():])
    value = cell.strip().casefold()
    if not value:
        return (dict.fromkeys(feature_codes(feature), False) if complete else {}), None
    if value in NO and value not in {c.label.casefold() for c in feature.codes}:  # a sub-value may be called "None"
        return dict.fromkeys(feature_codes(feature), False), None
    if not feature.codes:
        if value in YES:
            return {feature.id: True}, None
        return {}, f"{cell!r} is not a value for this feature (use Yes or No, or leave it empty: undecided)"
    chosen, error = _labelled(feature, cell)
    if error:
        return {}, f"{error} (or No; empty is undecided)"
    return {code: code in chosen for code in feature_codes(feature)}, None


def _labelled(feature: Feature, text: str, *, where: str = "") -> tuple[set[str], str | None]:
    """The codes a comma-separated list of ``feature``'s sub-value labels names (any letter case), or what
    is wrong with its first unknown label (``where``: after what it stands)."""
    by_label = {c.label.casefold(): f"{feature.id}/{c.id}" for c in feature.codes}
    chosen = set()
    for label in split_cell(text):
        code = by_label.get(label.casefold())
        if code is None:
            labels = [c.label for c in feature.codes]
            return set(), f"unknown sub-value {label!r}{where}{suggest(label, labels)}; known: {', '.join(labels)}"
        chosen.add(code)
    return chosen, None


def _parse_partly_read(feature: Feature, answered: str, unread: str) -> tuple[dict[str, bool], str | None]:
    """A cell ``<sub-values present>; not read: <sub-values>`` of a resolved sheet: the listed sub-values
    get no answer, the others are answered as the first part says (empty: none present)."""
    skipped, error = _labelled(feature, unread, where=f" after '{UNANSWERED}:'")
    if error:
        return {}, error
    if not skipped:
        return {}, f"'{UNANSWERED}:' lists no sub-value (write the sub-values nobody answered, or '{UNANSWERED}' alone)"
    values, error = _parse_cell(feature, answered, complete=True)
    both = sorted(c for c in skipped if values.get(c))
    if both:
        return {}, f"{', '.join(both)} is both present and {UNANSWERED}"
    return {c: v for c, v in values.items() if c not in skipped}, error


def read_sheet(
    path: Path, codebook: Codebook, *, guides: Mapping[str, str], reviewer: str, previous: Sequence[Decision],
    complete: bool = False, settled_by: str = "",
) -> SheetImport:
    """Check a filled-in sheet and turn it into ``reviewer``'s decisions; raises listing every problem.

    Only what the reviewer decided is recorded: an empty cell is undecided (unless ``complete``
    says the sheet is finished and an empty cell means No, as in the paper's own sheet), a cell
    left as it was exported records nothing, and an answer they already gave is not recorded
    twice. ``guides`` maps each known guide key to the hash recorded with its decisions.
    """
    check_reviewer(reviewer)
    header, rows = read_table(path)
    columns, missing = _columns(path, header, codebook)
    own = own_answers(previous, reviewer)
    exported_col = header.index(EXPORTED) if EXPORTED in header else None
    owner_col = header.index(EXPORTED_FOR) if EXPORTED_FOR in header else None
    problems: list[str] = []
    seen: dict[str, int] = {}
    foreign: dict[str, list[int]] = {}  # another reviewer's rows: owner -> row numbers
    answers: dict[tuple[str, str], tuple[bool, int]] = {}
    undecided = kept = same = superseded = 0

    @functools.cache
    def as_exported(moment: str) -> dict[tuple[str, str], Decision]:  # what the sheet was filled in with
        return own_answers(recorded_by(previous, moment), reviewer)

    for number, row in enumerate(rows, start=2):
        key = row[0]
        if not any(row):
            continue
        if key not in guides:
            problems.append(f"{path}: row {number}: unknown guide {key!r}{suggest(key, guides)}")
            continue
        if key in seen:
            problems.append(f"{path}: row {number}: guide {key!r} appears twice (also row {seen[key]})")
            continue
        seen[key] = number
        owner = row[owner_col].strip() if owner_col is not None else ""
        if owner and owner != reviewer:
            foreign.setdefault(owner, []).append(number)
            continue
        mine = {code: d.value for (g, code), d in own.items() if g == key}
        exported_at = row[exported_col] if exported_col is not None else ""
        own_sheet = bool(exported_at) and owner == reviewer  # what it was filled in with is known: the owner's
        then = {code: d.value for (g, code), d in as_exported(exported_at).items() if g == key} if own_sheet else {}
        for i, feature in columns.items():
            cell, exported = row[i].strip(), own_cell(feature, mine)
            if cell.casefold() == UNANSWERED:  # a resolved sheet's cell nobody answered: no answer, complete or not
                undecided += 1
                continue
            if cell and cell == exported:
                same += sum(code in mine for code in feature_codes(feature))  # as exported: nothing new here
                continue
            if own_sheet and cell and cell == own_cell(feature, then):  # left as exported, answered since: that stands
                superseded += sum(code in mine for code in feature_codes(feature))
                continue
            if not cell and not complete:
                undecided += not exported
                kept += bool(exported)  # emptied: the earlier answer stands (write No to answer no)
                continue
            values, error = _parse_cell(feature, row[i], complete=complete)
            if error:
                problems.append(f"{path}: row {number}, column {header[i]!r}: {error}")
            for code, value in values.items():
                answers[(key, code)] = (value, number)
                since = own.get((key, code))
                if exported_at and since is not None and since.value != value and newer_than(since, exported_at):
                    problems.append(f"{path}: row {number}, column {header[i]!r}: you answered {code} again at "
                                    f"{since.time}, after this sheet was exported ({exported_at}); export a fresh "
                                    "sheet, so that an older answer never undoes a newer one")
    for owner, numbers in foreign.items():
        problems.append(f"{path}: row{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}: this is "
                        f"{owner}'s sheet, not {reviewer}'s; import it with -r {owner} (or empty its {EXPORTED_FOR} "
                        f"column if the answers are now {reviewer}'s)")
    if problems:
        raise ConfigError("\n".join(problems) + NOTHING)
    current = {key: d.value for key, d in own.items()}
    time = now()
    decisions = [
        Decision(reviewer=reviewer, time=time, level="guide", guide=g, code=c, value=v, action="set",
                 text_hash=guides[g], origin=f"sheet:{path.name} row {n}", settled_by=settled_by)
        for (g, c), (v, n) in sorted(answers.items())
        if current.get((g, c)) != v
    ]
    return SheetImport(decisions=decisions, unchanged=same + len(answers) - len(decisions), missing_features=missing,
                       undecided=undecided, kept=kept, superseded=superseded)
