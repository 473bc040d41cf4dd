"""One answer per guide and code: consensus, then reviewers, then the machine.

- A decision of the reviewer ``consensus`` (an imported consensus sheet or an
  adjudication) wins.
- Otherwise the reviewers' answers: when they agree, that is the answer
  (``reviewer:alice+bob``); when they disagree, a strict majority decides
  until someone adjudicates, and the disagreement is listed.
- Otherwise the machine's guide-level rule (``auto``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mapping_review.coding.codebook import Codebook
from mapping_review.coding.decide import Evidence
from mapping_review.errors import ConfigError
from mapping_review.review.decisions import CONSENSUS, Decision, guide_level, now
from mapping_review.review.tables_io import read_table


@dataclass(frozen=True)
class GuideCode:
    guide: str
    code: str
    present: bool
    source: str
    n_evidence: int


@dataclass(frozen=True)
class Disagreement:
    guide: str
    code: str
    answers: dict[str, bool]  # reviewer -> answer
    machine: bool
    n_evidence: int


def resolve(
    codebook: Codebook, guides: Sequence[str], decisions: Sequence[Decision],
    auto: Mapping[tuple[str, str], bool], evidence: Mapping[tuple[str, str], Evidence],
) -> tuple[list[GuideCode], list[Disagreement]]:
    """The resolved guide x code table and the open disagreements."""
    answers = guide_level(decisions)
    consensus = answers.pop(CONSENSUS, {})
    rows, open_ = [], []
    for guide in guides:
        for code in codebook.codes:
            key = (guide, code.id)
            n = evidence.get(key, Evidence()).n_evidence
            if key in consensus:
                rows.append(GuideCode(guide, code.id, consensus[key], "consensus", n))
                continue
            given = {r: a[key] for r, a in sorted(answers.items()) if key in a}
            if not given:
                rows.append(GuideCode(guide, code.id, auto.get(key, False), "auto", n))
                continue
            values = set(given.values())
            if len(values) == 1:
                rows.append(GuideCode(guide, code.id, values.pop(), "reviewer:" + "+".join(given), n))
                continue
            open_.append(Disagreement(guide, code.id, given, auto.get(key, False), n))
            yes = [r for r, v in given.items() if v]
            no = [r for r, v in given.items() if not v]
            if len(yes) != len(no):
                side, who = (True, yes) if len(yes) > len(no) else (False, no)
                rows.append(GuideCode(guide, code.id, side, "reviewer:" + "+".join(who), n))
            else:
                rows.append(GuideCode(guide, code.id, auto.get(key, False), "auto", n))
    return rows, open_


def adjudicate(
    guide: str, code: str, value: bool, *, codebook: Codebook, guides: Mapping[str, str], note: str = "",
    origin: str = "adjudication",
) -> Decision:
    """A consensus decision settling one guide x code."""
    if guide not in guides:
        raise ConfigError(f"unknown guide {guide!r}")
    codebook.code(code)
    return Decision(reviewer=CONSENSUS, time=now(), level="guide", guide=guide, code=code, value=value,
                    action="set", text_hash=guides[guide], note=note, origin=origin)


def read_adjudications(path: Path, *, codebook: Codebook, guides: Mapping[str, str]) -> list[Decision]:
    """Consensus decisions from a filled-in disagreements file (``decision`` yes/no per row);
    raises listing every bad row, and then nothing is recorded."""
    header, rows = read_table(path)
    for name in ("guide", "code", "decision"):
        if name not in header:
            raise ConfigError(f"{path}: row 1: missing column {name!r}")
    col = {n: i for i, n in enumerate(header)}
    out, problems = [], []
    for number, row in enumerate(rows, start=2):
        answer = row[col["decision"]].strip().casefold()
        if not answer:
            continue
        if answer not in ("yes", "no", "y", "n"):
            problems.append(f"{path}: row {number}: decision {answer!r} is not yes or no")
            continue
        try:
            out.append(adjudicate(row[col["guide"]], row[col["code"]], answer.startswith("y"), codebook=codebook,
                                  guides=guides, note=row[col["note"]] if "note" in col else "",
                                  origin=f"adjudication:{path.name} row {number}"))
        except ConfigError as e:
            problems.append(f"{path}: row {number}: {e}")
    if problems:
        raise ConfigError("\n".join(problems) + "\nNothing was recorded.")
    return out
