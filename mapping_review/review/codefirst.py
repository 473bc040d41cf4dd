"""Code-first review: for one guide, every code with the machine's answer and its best evidence, and the
reviewer's own answer - what the CLI's ``review`` verbs and the workbench's code-first view both show.

Blind as the sheet: everything here is read from the reviewer's own decisions; nothing of other reviewers
or of the consensus is shown, and the machine's answer is the uncalibrated rule's (calibration learns from
other reviewers). A guide-level answer is recorded like a sheet cell: ``present`` or ``absent`` is a
decision, ``undecided`` records nothing (an earlier answer stands). A quote is accepted or rejected as a
segment decision, exactly as in the guide view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mapping_review.coding.decide import guide_strengths, rank_evidence
from mapping_review.coding.suggestions import Suggestion, text_hash
from mapping_review.errors import ConfigError
from mapping_review.project.yamlfile import suggest
from mapping_review.review.decisions import CONSENSUS, Decision, check_reviewer, guide_level, latest, now, own_answers
from mapping_review.review.state import ReviewState
from mapping_review.segment.segments import Segment

ANSWERS = {"present": True, "absent": False, "undecided": None, "yes": True, "no": False}
TOP = 5  # quotes shown per code


@dataclass(frozen=True)
class Quote:
    """One piece of evidence: a suggestion, with the reviewer's own decision on it."""

    segment: str
    page: int
    section: tuple[str, ...]
    text: str
    match: str
    match_start: int
    match_end: int
    evidence: float  # what evidence is ranked by (the classifier's probability, else the rule score)
    status: str  # undecided | accepted | rejected


@dataclass(frozen=True)
class CodeRow:
    code: str
    label: str
    feature: str
    machine: bool  # the machine's guide-level answer
    answer: bool | None  # the reviewer's own answer (a sheet cell, else an accepted quote); None: undecided
    explicit: bool  # the answer is a guide-level decision (not only implied by an accepted quote)
    n_evidence: int
    quotes: list[Quote] = field(default_factory=list)
    strength: str = ""  # strong | weak (only weak evidence adding up: no quote reaches the bar) | "" (absent)
    read: bool = True  # the machine has coded the guide; else it has no answer

    @property
    def machine_words(self) -> str:
        """The machine's answer as shown: "present", "present, weak evidence only", "absent", or "not read"
        (the guide is not coded yet: no PDF in the corpus, or not built)."""
        if not self.read:
            return "not read (not coded yet: add the guide's PDF to the corpus, and build)"
        if not self.machine:
            return "absent"
        return "present, weak evidence only" if self.strength == "weak" else "present"

    @property
    def decided(self) -> bool:
        return self.answer is not None


@dataclass(frozen=True)
class CodeFirst:
    guide: str
    reviewer: str
    rows: list[CodeRow]

    @property
    def n_decided(self) -> int:
        return sum(r.decided for r in self.rows)


def own_segment_decisions(decisions: Sequence[Decision], reviewer: str) -> dict[tuple[str, str], Decision]:
    """(segment, code) -> the reviewer's latest segment decision."""
    return {(d.segment, d.code): d for (who, _), d in latest(decisions).items() if who == reviewer and d.level == "segment"}


def reviewer_answers(decisions: Sequence[Decision], reviewer: str,
                     ) -> tuple[dict[tuple[str, str], bool], set[tuple[str, str]]]:
    """The reviewer's guide-level answers (sheet cells, else accepted quotes) and which of them are cells."""
    answers = guide_level([d for d in decisions if d.reviewer == reviewer]).get(reviewer, {})
    return answers, set(own_answers(decisions, reviewer))


def _status(d: Decision | None) -> str:
    return "undecided" if d is None else "accepted" if d.value else "rejected"


def best_quotes(suggestions: Sequence[Suggestion], own: Mapping[tuple[str, str], Decision], *, top: int,
                bar: float) -> list[Quote]:
    """The suggestions of one code, best evidence first (``rank_evidence`` with the code's ``bar``); at
    most ``top``."""
    ranked = rank_evidence(suggestions, bar=bar)[:top]
    return [Quote(s.segment, s.page, s.section, s.quote, s.match, s.match_start, s.match_end, round(s.rank, 3),
                  _status(own.get((s.segment, s.code)))) for s in ranked]


def check_coder(reviewer: str) -> None:
    check_reviewer(reviewer)
    if reviewer == CONSENSUS:
        msg = "code-first review is for a reviewer who codes; the consensus is recorded by adjudication"
        raise ConfigError(msg)


def code_first(state: ReviewState, guide: str, reviewer: str, *, top: int = TOP) -> CodeFirst:
    """Every code of the codebook for ``guide``, as ``reviewer`` (and only they) has answered it so far."""
    check_coder(reviewer)
    if guide not in state.guides:
        msg = f"unknown guide {guide!r}; the guides are: {', '.join(state.keys)}"
        raise ConfigError(msg)
    decided = guide_strengths(state.codebook, [guide], state.evidence)
    answers, explicit = reviewer_answers(state.decisions, reviewer)
    own = own_segment_decisions(state.decisions, reviewer)
    by_code: dict[str, list[Suggestion]] = {}
    for s in state.suggestions:
        if s.guide == guide:
            by_code.setdefault(s.code, []).append(s)
    rows = []
    for code in state.codebook.codes:
        found = by_code.get(code.id, [])
        how = decided[(guide, code.id)]
        rows.append(CodeRow(code.id, code.label, code.feature_label, bool(how),
                            answers.get((guide, code.id)), (guide, code.id) in explicit, len(found),
                            best_quotes(found, own, top=top, bar=code.decision.min_score), how,
                            guide not in state.unread))
    return CodeFirst(guide, reviewer, rows)


def next_undecided(state: ReviewState, reviewer: str, *, after: tuple[str, str] | None = None) -> tuple[str, str] | None:
    """The reviewer's next undecided guide and code, in manifest and codebook order, after ``after``
    (wrapping round); None when every one is decided."""
    answers, _ = reviewer_answers(state.decisions, reviewer)
    cells = [(g, c.id) for g in state.keys for c in state.codebook.codes]
    start = cells.index(after) + 1 if after in cells else 0
    for cell in cells[start:] + cells[:start]:
        if cell not in answers:
            return cell
    return None


def answer_decisions(state: ReviewState, guide: str, code: str, answer: str, *, reviewer: str, note: str = "",
                     origin: str = "code-first") -> list[Decision]:
    """The guide-level decision ``answer`` (present / absent / undecided) makes: none for undecided, and
    none when it repeats the reviewer's standing sheet answer."""
    check_coder(reviewer)
    if answer not in ANSWERS:
        msg = f"answer {answer!r} is not present, absent or undecided"
        raise ConfigError(msg)
    if guide not in state.guides:
        msg = f"unknown guide {guide!r}{suggest(guide, state.keys)}"
        raise ConfigError(msg)
    state.codebook.code(code)
    value = ANSWERS[answer]
    if value is None:
        return []
    answers, explicit = reviewer_answers(state.decisions, reviewer)
    if (guide, code) in explicit and answers.get((guide, code)) == value and not note:
        return []
    return [Decision(reviewer=reviewer, time=now(), level="guide", guide=guide, code=code, value=value,
                     text_hash=state.guides[guide], note=note, origin=origin)]


def quote_decision(seg: Segment, code: str, action: str, *, reviewer: str, note: str = "", origin: str = "code-first",
                   start: int = -1, end: int = -1) -> Decision:
    """A segment decision: ``accept`` or ``reject`` a suggested quote, or ``add`` a code to the segment (or
    to the span ``start:end`` of its text)."""
    check_coder(reviewer)
    if action not in ("accept", "reject", "add"):
        msg = f"action {action!r} is not accept, reject or add"
        raise ConfigError(msg)
    if not (start == end == -1 or 0 <= start < end <= len(seg.text)):
        msg = f"the span {start}:{end} is not inside the segment"
        raise ConfigError(msg)
    return Decision(reviewer=reviewer, time=now(), level="segment", guide=seg.guide, code=code,
                    value=action != "reject", action=action, segment=seg.id, text_hash=text_hash(seg.text),
                    note=note, origin=origin, start=start, end=end)


def find_segment(segments: Mapping[str, Segment], guide: str, segment_id: str) -> Segment:
    """The segment ``segment_id`` of ``guide``, or an error saying what to do."""
    seg = segments.get(segment_id)
    if seg is None or seg.guide != guide:
        msg = (f"no segment {segment_id!r} in guide {guide!r}; segment ids are shown by "
               f"'mapping-review review codes {guide}' and 'mapping-review inspect {guide} --page N'")
        raise ConfigError(msg)
    return seg
