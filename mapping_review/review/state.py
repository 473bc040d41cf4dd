"""The review as it stands: codebook, guides, machine evidence, human decisions, and the
tables that resolve them (``build/tables/guide_codes.csv``, ``evidence.csv`` ...)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mapping_review.coding.calibration import Calibration, calibrate
from mapping_review.coding.codebook import Codebook, DecisionRule, load_codebook
from mapping_review.coding.decide import Evidence, auto_codes, ranked_by_cell, summarise
from mapping_review.coding.stage import codings_dir, load_suggestions
from mapping_review.coding.suggestions import Suggestion, text_hash
from mapping_review.project.layout import Project
from mapping_review.project.manifest import load_manifest
from mapping_review.project.settings import load_settings
from mapping_review.review.adjudication import Review, open_items, segment_disagreements
from mapping_review.review.agreement import Agreement, agreement
from mapping_review.review.consensus import Disagreement, GuideCode, resolve
from mapping_review.review.decisions import CONSENSUS, Decision, guide_level, latest, read_reviews
from mapping_review.review.tables_io import write_table
from mapping_review.segment.segments import Segment, read_segments

MIN_CALIBRATION_GUIDES = 2  # reviewed guides with machine evidence before the pooled rule is fitted (held out in turn)


@dataclass
class ReviewState:
    project: Project
    codebook: Codebook
    guides: dict[str, str]  # key -> sha256 recorded with decisions
    decisions: list[Decision]
    suggestions: list[Suggestion]
    evidence: dict[tuple[str, str], Evidence]
    warnings: list[str] = field(default_factory=list)
    unread: frozenset[str] = frozenset()  # guides not coded yet (no PDF, not extracted or coded): no machine answer

    @property
    def keys(self) -> list[str]:
        return list(self.guides)

    @property
    def coded_guides(self) -> list[str]:
        return sorted({s.guide for s in self.suggestions})


def load_review(project: Project) -> ReviewState:
    """Everything the review tables are made from; decisions naming unknown guides or codes
    are kept on disk, left out of the tables and reported."""
    codebook = load_codebook(project.codebook_path)
    manifest = load_manifest(project.manifest_path)
    guides = {g.key: g.sha256 for g in manifest.guides}
    files = read_reviews(project.reviews_dir)
    decisions, warnings = [], list(files.warnings)
    broken = {k for k, _ in manifest.broken_entries}
    for d in under_current_ids(files.decisions, codebook):
        if d.guide in broken:
            warnings.append(f"reviews/{d.reviewer}.jsonl: guide {d.guide!r} has a problem in the corpus manifest "
                            "(above); its decisions are kept, and left out of the tables until it is mended")
        elif d.guide not in guides:
            warnings.append(f"reviews/{d.reviewer}.jsonl: guide {d.guide!r} is not in the corpus manifest; "
                            "its decisions are left out of the tables")
        elif d.code not in codebook.by_id:
            warnings.append(f"reviews/{d.reviewer}.jsonl: code {d.code!r} is not in the codebook; its decisions are "
                            "left out of the tables (a code renamed in codebook.yaml names its earlier ids in "
                            "renamed_from)")
        else:
            decisions.append(d)
    suggestions = [s for s in load_suggestions(project, list(guides)) if s.code in codebook.by_id]
    warnings.extend(stale_decisions(project, decisions))
    unread = frozenset(k for k in guides if not (codings_dir(project) / f"{k}.jsonl").exists())
    return ReviewState(project, codebook, guides, decisions, suggestions, summarise(suggestions),
                       sorted(set(warnings)), unread)


def under_current_ids(decisions: Sequence[Decision], codebook: Codebook) -> list[Decision]:
    """``decisions`` with a renamed code's earlier id (``renamed_from`` in the codebook) read as its id now;
    the files keep what was written."""
    return [replace(d, code=codebook.current_id(d.code)) if d.code in codebook.renamed else d for d in decisions]


def segments_by_id(project: Project, keys: list[str]) -> dict[str, Segment]:
    """The segments of the given guides by id (a guide not segmented yet has none)."""
    return {s.id: s for segs in segments_by_guide(project, keys).values() for s in segs}


def segments_by_guide(project: Project, keys: list[str]) -> dict[str, list[Segment]]:
    """The segments of the given guides, in reading order (a guide not segmented yet has none)."""
    out: dict[str, list[Segment]] = {}
    for key in keys:
        path = project.segments_dir / f"{key}.jsonl"
        out[key] = read_segments(path) if path.exists() else []
    return out


def stale_decisions(project: Project, decisions: list[Decision]) -> list[str]:
    """Segment decisions made on text that has changed since (re-extraction): to review again."""
    current = [d for (_, _), d in latest(decisions).items() if d.level == "segment" and d.segment]
    segments = segments_by_id(project, sorted({d.guide for d in current}))
    segmented = {s.guide for s in segments.values()}
    out = []
    for d in current:
        if d.guide not in segmented:
            continue
        seg = segments.get(d.segment)
        if seg is None or (d.text_hash and text_hash(seg.text) != d.text_hash) or d.needs_review:
            out.append(f"reviews/{d.reviewer}.jsonl: {d.action} {d.code!r} on segment {d.segment!r} was made on text "
                       "that has changed since; review it again (the decision is kept)")
    return out


def human_truth(decisions: list[Decision]) -> dict[tuple[str, str], bool]:
    """Guide x code answers people settled: consensus, else reviewers who all agree."""
    answers = guide_level(decisions)
    consensus = answers.pop(CONSENSUS, {})
    truth: dict[tuple[str, str], bool] = {}
    keys = {k for a in answers.values() for k in a}
    for key in keys:
        values = {a[key] for a in answers.values() if key in a}
        if len(values) == 1:
            truth[key] = values.pop()
    truth.update(consensus)
    return truth


def unsettled_cells(state: ReviewState) -> int:
    """Guide x code cells of coded guides that reviewers answered differently and no consensus settled:
    calibration leaves them out until they are settled."""
    coded = set(state.coded_guides)
    answered = {k for a in guide_level(state.decisions).values() for k in a if k[0] in coded}
    return len(answered - set(human_truth(state.decisions)))


def calibration_of(state: ReviewState) -> Calibration | None:
    """Rules fitted to the reviewers when enough reviewed guides also have machine evidence."""
    coded = set(state.coded_guides)
    truth = {k: v for k, v in human_truth(state.decisions).items() if k[0] in coded}
    if len({g for g, _ in truth}) < MIN_CALIBRATION_GUIDES:
        return None
    return calibrate(state.codebook, state.evidence, truth)


@dataclass
class Tables:
    rows: list[GuideCode]
    disagreements: list[Disagreement]  # open, guide level
    calibration: Calibration | None
    rules: dict[str, DecisionRule]
    auto: dict[tuple[str, str], bool] = field(default_factory=dict)  # the machine's own guide-level answers
    segment_disagreements: list[Disagreement] = field(default_factory=list)  # open, segment level

    @property
    def open(self) -> list[Disagreement]:
        """Every open disagreement, guide level first."""
        return self.disagreements + self.segment_disagreements


def resolve_review(state: ReviewState, *, use_calibration: bool = True) -> Tables:
    calibration = calibration_of(state) if use_calibration else None
    rules = calibration.rules if calibration else {}
    leading = calibration.leading if calibration else None
    auto = auto_codes(state.codebook, state.keys, state.evidence, rules=rules, leading=leading)
    rows, disagreements = resolve(state.codebook, state.keys, state.decisions, auto, state.evidence,
                                  unread=state.unread)
    return Tables(rows, disagreements, calibration, rules, auto,
                  segment_disagreements(state.decisions, state.suggestions))


def adjudication_of(state: ReviewState) -> Review:
    """What settlements in this review are checked against (roles from ``review.yaml``)."""
    segments = segments_by_id(state.project, state.keys)
    return Review(state.codebook, state.guides, state.decisions,
                  {s.id: (s.guide, text_hash(s.text)) for s in segments.values()},
                  load_settings(state.project.root).review, open_items(state.decisions, state.suggestions))


def write_tables(state: ReviewState, tables: Tables) -> list[Path]:
    """``guide_codes.csv``, ``evidence.csv``, ``disagreements.csv`` (and ``calibration.csv``)."""
    out = state.project.build_dir / "tables"
    written = [
        write_table(out / "guide_codes.csv", ["guide", "code", "present", "source", "n_evidence"],
                    [[r.guide, r.code, int(r.present), r.source, r.n_evidence] for r in tables.rows]),
        write_table(out / "evidence.csv", EVIDENCE_COLUMNS, _evidence_rows(state)),
        write_table(out / "disagreements.csv", ["level", "guide", "code", "segment", "answers", "machine", "n_evidence"],
                    [[d.level, d.guide, d.code, d.segment,
                      "; ".join(f"{r}={'yes' if v else 'no'}" for r, v in d.answers.items()),
                      "" if d.guide in state.unread else "yes" if d.machine else "no", d.n_evidence]
                     for d in tables.open]),
    ]
    if tables.calibration is not None:
        cal = tables.calibration
        leading_cells = ["", ""] if cal.leading is None else [cal.leading.share, cal.leading.min_score]
        written.append(write_table(
            out / "calibration.csv", ["code", "rule", "min_score", "min_sections", "min_weak", "min_total", "min_evidence",
                                      "leading_share", "leading_min_score"],
            [[c, cal.kind_of(c), r.min_score, r.min_sections, r.min_weak, r.min_total,
              r.min_evidence, *leading_cells] for c, r in sorted(cal.rules.items())],
        ))
        written.append(write_table(
            out / "calibration_by_guide.csv", ["held_out_guide", "agreement_before", "agreement_after"],
            [[g, f"{cal.agreement_before[g]:.4f}", f"{cal.agreement_after[g]:.4f}"] for g in sorted(cal.agreement_before)],
        ))
    return written


EVIDENCE_COLUMNS = ["guide", "code", "segment_id", "page", "section", "quote", "source", "score", "decisions"]
VERBS = {"accept": "accepted", "reject": "rejected", "add": "added", "set": "set"}


def _evidence_rows(state: ReviewState) -> list[list[object]]:
    """Every suggestion with the reviewers' latest decisions on it, and every code a reviewer added,
    with its page, section and quote (the words they marked, else the whole segment)."""
    order = {g: i for i, g in enumerate(state.keys)}
    said: dict[tuple[str, str], list[str]] = {}
    added: list[Decision] = []
    for (reviewer, _), d in sorted(latest(state.decisions).items()):
        if d.level != "segment":
            continue
        said.setdefault((d.segment, d.code), []).append(f"{reviewer}={VERBS[d.action] if d.value else 'rejected'}")
        if d.action == "add":
            added.append(d)
    suggested = {(s.segment, s.code) for s in state.suggestions}
    place = _evidence_places(state)
    rows: list[list[object]] = [
        [s.guide, s.code, s.segment, s.page, " > ".join(s.section), s.quote,
         f"{s.coder}+{s.model}" if s.model else s.coder, f"{s.rank:g}", "; ".join(said.get((s.segment, s.code), []))]
        for s in sorted(state.suggestions, key=lambda s: place[id(s)])
    ]
    segments = segments_by_id(state.project, sorted({d.guide for d in added}))
    for d in added:
        if (d.segment, d.code) in suggested:
            continue  # the suggestion's row already carries the decision
        seg = segments.get(d.segment)
        quote = "" if seg is None else seg.text[d.start:d.end] if 0 <= d.start < d.end else seg.text
        rows.append([d.guide, d.code, d.segment, seg.page if seg else "", " > ".join(seg.section) if seg else "",
                     quote, f"reviewer:{d.reviewer}", "", "; ".join(said.get((d.segment, d.code), []))])
    # best evidence first within each guide and code, as the machine shows it (``rank_evidence``), the
    # reviewers' additions after the machine's (a stable sort keeps the machine's order)
    rows.sort(key=lambda r: (order.get(str(r[0]), 0), str(r[1]), str(r[6]).startswith("reviewer:"),
                             "" if not str(r[6]).startswith("reviewer:") else f"{r[2]}|{r[6]}"))
    return rows


def _evidence_places(state: ReviewState) -> dict[int, int]:
    """Each suggestion's place among those of its guide and code, best evidence first."""
    cells = ranked_by_cell(state.suggestions, state.codebook)
    return {id(s): i for ranked in cells.values() for i, s in enumerate(ranked)}


def agreement_by_code(
    state: ReviewState, *, level: str = "guide", reviewers: list[str] | None = None,
) -> tuple[dict[str, Agreement], Agreement, list[str]]:
    """Agreement per code and pooled over all codes, between human reviewers (not consensus)."""
    current = latest(state.decisions)
    if level == "guide":
        answers = guide_level(state.decisions, settled=False)  # the coders' own answers, before any settlement
        answers.pop(CONSENSUS, None)
        per_unit: dict[tuple[str, str], dict[str, bool]] = {}
        for reviewer, given in answers.items():
            for key, value in given.items():
                per_unit.setdefault(key, {})[reviewer] = value
    else:
        per_unit = {}
        for (reviewer, _), d in current.items():
            if d.level == "segment" and reviewer != CONSENSUS:
                per_unit.setdefault((d.segment, d.code), {})[reviewer] = d.value
    raters = sorted(reviewers or {r for unit in per_unit.values() for r in unit})
    by_code = {
        code.id: agreement({u: r for u, r in per_unit.items() if u[1] == code.id}, raters)
        for code in state.codebook.codes
    }
    return by_code, agreement(per_unit, raters), raters
