"""One answer per guide and code: consensus, then reviewers, then the machine.

- A decision of the reviewer ``consensus`` (an imported consensus sheet or an
  adjudication) wins.
- Otherwise the reviewers' answers: when they agree, that is the answer
  (``reviewer:alice+bob``); when they disagree, a strict majority decides
  until someone adjudicates, and the disagreement is listed.
- Otherwise the machine's guide-level rule (``auto``); where the machine has not coded the guide, no
  one has answered (``unread``), or the reviewers are tied (``tied``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from mapping_review.coding.codebook import Codebook
from mapping_review.coding.decide import Evidence
from mapping_review.review.decisions import CONSENSUS, Decision, guide_level

UNREAD = "unread"  # the source of a cell of a guide the machine has not coded, that no reviewer answered
TIED = "tied"  # the source of a cell of such a guide whose reviewers are tied
NO_ANSWER = frozenset((UNREAD, TIED))  # sources of cells with no resolved answer (present is False)


@dataclass(frozen=True)
class GuideCode:
    guide: str
    code: str
    present: bool
    source: str
    n_evidence: int


@dataclass(frozen=True)
class Disagreement:
    """Reviewers who answered one item differently: a guide x code, or a segment x code."""

    guide: str
    code: str
    answers: dict[str, bool]  # reviewer -> answer (segment level: accepted or not)
    machine: bool
    n_evidence: int
    level: str = "guide"
    segment: str = ""
    page: int = 0
    quote: str = ""


def resolve(
    codebook: Codebook, guides: Sequence[str], decisions: Sequence[Decision],
    auto: Mapping[tuple[str, str], bool], evidence: Mapping[tuple[str, str], Evidence], *,
    unread: Collection[str] = (),
) -> tuple[list[GuideCode], list[Disagreement]]:
    """The resolved guide x code table and the open disagreements. Where the machine would answer for a
    guide in ``unread`` (not coded yet), it has no answer: a cell no one answered is absent with source
    :data:`UNREAD`, and a tie between reviewers is absent with source :data:`TIED` (not ``auto``)."""
    answers = guide_level(decisions)
    consensus = answers.pop(CONSENSUS, {})
    rows, open_ = [], []
    for guide in guides:
        read = guide not in unread
        for code in codebook.codes:
            key = (guide, code.id)
            n = evidence.get(key, Evidence()).n_evidence
            if key in consensus:
                rows.append(GuideCode(guide, code.id, consensus[key], "consensus", n))
                continue
            given = {r: a[key] for r, a in sorted(answers.items()) if key in a}
            if not given:
                rows.append(GuideCode(guide, code.id, auto.get(key, False), "auto" if read else UNREAD, n))
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
                rows.append(GuideCode(guide, code.id, auto.get(key, False), "auto" if read else TIED, n))
    return rows, open_
