"""The coding sheet in the paper's shape: one row per guide, one column per feature.

Cells are empty, ``Yes`` (features without sub-values) or comma-joined
sub-value labels. Exported sheets are prefilled - with the reviewer's own
latest answers where they exist, else the machine's - and carry an
``<feature> [evidence]`` column each with the machine's evidence counts
(ignored on import). A ``<feature> [quote]`` column may hold quotes that
support the answer (``review.labels`` records them as segment decisions). Importing checks the whole sheet first and appends
nothing if anything is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mapping_review.coding.codebook import Codebook, Feature, split_cell
from mapping_review.coding.decide import Evidence
from mapping_review.errors import ConfigError
from mapping_review.project.yamlfile import suggest
from mapping_review.review.decisions import Decision, check_reviewer, latest, now
from mapping_review.review.tables_io import read_table, write_table

KEY_COLUMNS = ("Natbib", "key", "guide")
EVIDENCE_SUFFIX = " [evidence]"
QUOTE_SUFFIX = " [quote]"  # a reviewer's supporting quotes, read by review.labels.quotes_to_decisions
YES = {"yes", "y", "x", "1", "true", "✓"}
NO = {"", "no", "n", "0", "false"}
NOTHING = "\nNothing was imported; fix the sheet and import it again."


def feature_codes(feature: Feature) -> list[str]:
    return [f"{feature.id}/{c.id}" for c in feature.codes] if feature.codes else [feature.id]


def cell_for(feature: Feature, present: Mapping[str, bool]) -> str:
    """The sheet cell of ``feature`` given code -> present."""
    if not feature.codes:
        return "Yes" if present.get(feature.id) else ""
    return ", ".join(c.label for c in feature.codes if present.get(f"{feature.id}/{c.id}"))


def sheet_rows(
    codebook: Codebook, guides: Sequence[str], codes: Mapping[tuple[str, str], bool],
    evidence: Mapping[tuple[str, str], Evidence] | None = None,
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a paper-shaped sheet (with evidence columns when ``evidence`` is given)."""
    header = ["Natbib"] + [f.label for f in codebook.features]
    if evidence is not None:
        header += [f.label + EVIDENCE_SUFFIX for f in codebook.features]
    rows = []
    for guide in guides:
        present = {c.id: codes.get((guide, c.id), False) for c in codebook.codes}
        row = [guide] + [cell_for(f, present) for f in codebook.features]
        if evidence is not None:
            row += [_evidence_cell(f, guide, evidence) for f in codebook.features]
        rows.append(row)
    return header, rows


def _evidence_cell(feature: Feature, guide: str, evidence: Mapping[tuple[str, str], Evidence]) -> str:
    if not feature.codes:
        return str(evidence.get((guide, feature.id), Evidence()).n_evidence)
    return "; ".join(
        f"{c.label}: {evidence.get((guide, f'{feature.id}/{c.id}'), Evidence()).n_evidence}" for c in feature.codes
    )


def export_sheet(
    path: Path, codebook: Codebook, guides: Sequence[str], *, reviewer: str, decisions: Sequence[Decision],
    auto: Mapping[tuple[str, str], bool], evidence: Mapping[tuple[str, str], Evidence],
) -> Path:
    """Write ``reviewer``'s sheet: their answers where they have them, else the machine's."""
    check_reviewer(reviewer)
    own = {(d.guide, d.code): d.value for (who, _), d in latest(decisions).items()
           if who == reviewer and d.level == "guide"}
    codes = {key: own.get(key, value) for key, value in auto.items()}
    header, rows = sheet_rows(codebook, guides, codes, evidence)
    return write_table(path, header, rows)


@dataclass(frozen=True)
class SheetImport:
    decisions: list[Decision]  # what changed, to be appended
    unchanged: int
    missing_features: list[str]


def _columns(path: Path, header: list[str], codebook: Codebook) -> tuple[dict[int, Feature], list[str]]:
    labels = {f.label.casefold(): f for f in codebook.features}
    if header[0] not in KEY_COLUMNS:
        msg = f"{path}: row 1, column 1: expected a key column named 'Natbib' (the citation key), got {header[0]!r}"
        raise ConfigError(msg + NOTHING)
    columns: dict[int, Feature] = {}
    problems = []
    for i, name in enumerate(header[1:], start=1):
        if name.endswith((EVIDENCE_SUFFIX, QUOTE_SUFFIX)) or not name:
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


def _parse_cell(feature: Feature, cell: str) -> tuple[dict[str, bool], str | None]:
    """code -> present for one cell, or an error text."""
    if not feature.codes:
        value = cell.strip().casefold()
        if value in YES or value in NO:
            return {feature.id: value in YES}, None
        return {}, f"{cell!r} is not a value for this feature (use Yes or leave it empty)"
    by_label = {c.label.casefold(): c for c in feature.codes}
    chosen = set()
    for label in split_cell(cell):
        code = by_label.get(label.casefold())
        if code is None:
            hint = suggest(label, [c.label for c in feature.codes])
            return {}, f"unknown sub-value {label!r}{hint}; known: {', '.join(c.label for c in feature.codes)}"
        chosen.add(code.id)
    return {f"{feature.id}/{c.id}": c.id in chosen for c in feature.codes}, None


def read_sheet(
    path: Path, codebook: Codebook, *, guides: Mapping[str, str], reviewer: str, previous: Sequence[Decision],
) -> SheetImport:
    """Check a filled-in sheet and turn it into decisions; raises listing every problem.

    ``guides`` maps each known guide key to the hash recorded with its decisions.
    """
    check_reviewer(reviewer)
    header, rows = read_table(path)
    columns, missing = _columns(path, header, codebook)
    problems: list[str] = []
    seen: dict[str, int] = {}
    answers: dict[tuple[str, str], tuple[bool, int]] = {}
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
        for i, feature in columns.items():
            values, error = _parse_cell(feature, row[i])
            if error:
                problems.append(f"{path}: row {number}, column {header[i]!r}: {error}")
            for code, value in values.items():
                answers[(key, code)] = (value, number)
    if problems:
        raise ConfigError("\n".join(problems) + NOTHING)
    current = {(d.guide, d.code): d.value for (who, _), d in latest(previous).items()
               if who == reviewer and d.level == "guide"}
    time = now()
    decisions = [
        Decision(reviewer=reviewer, time=time, level="guide", guide=g, code=c, value=v, action="set",
                 text_hash=guides[g], origin=f"sheet:{path.name} row {n}")
        for (g, c), (v, n) in sorted(answers.items())
        if current.get((g, c)) != v
    ]
    return SheetImport(decisions=decisions, unchanged=len(answers) - len(decisions), missing_features=missing)
