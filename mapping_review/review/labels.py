"""Reviewers' decisions as sentence labels, for ``learn`` and the evidence classifier.

- A segment decision (accept, reject, add - in the workbench, a worksheet, or a quote given in a coding
  sheet) labels that sentence for that code: ``supports`` when it says yes, ``mentions`` when it says no.
  The consensus reviewer's word wins over the others'.
- A quote in a coding sheet's ``<feature> [quote]`` column is found in the guide's sentences (by its
  letters and digits, so line breaks and hyphenation do not matter) and recorded as a segment decision
  (``add``) of the reviewer, so it is kept like every other human input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mapping_review.coding.codebook import Codebook
from mapping_review.coding.labels import SentenceLabel, compact, make_label
from mapping_review.coding.suggestions import Suggestion, text_hash
from mapping_review.coding.units import heading_unit
from mapping_review.errors import ConfigError
from mapping_review.review.decisions import CONSENSUS, Decision, check_reviewer, latest, now
from mapping_review.review.sheets import QUOTE_SUFFIX
from mapping_review.review.tables_io import read_table
from mapping_review.segment.segments import Segment

MIN_QUOTE_CHARS = 12  # letters and digits: a shorter quote could be anywhere


def current_segment_decisions(decisions: Sequence[Decision], segments: Mapping[str, Segment],
                              ) -> list[tuple[Segment, Decision]]:
    """The latest segment decision per segment and code (consensus over reviewers), on text that has
    not changed since (the others wait for review)."""
    chosen: dict[tuple[str, str], Decision] = {}
    for (_, _), d in sorted(latest(decisions).items(), key=lambda kv: kv[0][0] == CONSENSUS):
        if d.level == "segment" and d.segment and not d.needs_review:
            chosen[(d.segment, d.code)] = d
    out = []
    for (segment_id, _), d in sorted(chosen.items()):
        seg = segments.get(segment_id)
        if seg is not None and not (d.text_hash and text_hash(seg.text) != d.text_hash):
            out.append((seg, d))
    return out


def decisions_to_labels(decisions: Sequence[Decision], segments: Mapping[str, Segment]) -> list[SentenceLabel]:
    """The current segment decisions as sentence labels: yes is ``supports``, no is ``mentions``."""
    return [make_label(seg.guide, seg.page, seg.text.split("\n\n", 1)[0] if seg.kind == "section" else seg.text,
                       d.code, "supports" if d.value else "mentions", origin=f"reviewer:{d.reviewer}", note=d.note)
            for seg, d in current_segment_decisions(decisions, segments)]


@dataclass(frozen=True)
class QuoteImport:
    decisions: list[Decision]
    n_quotes: int


def _target_codes(codebook: Codebook, feature_label: str, cell: str) -> tuple[list[str], str]:
    """The codes a quote cell is about, and the quote: ``Label: quote`` names a sub-value."""
    feature = next(f for f in codebook.features if f.label == feature_label)
    if not feature.codes:
        return [feature.id], cell
    head, sep, rest = cell.partition(":")
    for c in feature.codes:
        if sep and head.strip().casefold() == c.label.casefold():
            return [f"{feature.id}/{c.id}"], rest
    if len(feature.codes) == 1:
        return [f"{feature.id}/{feature.codes[0].id}"], cell
    labels = ", ".join(c.label for c in feature.codes)
    return [], f"start the quote with the sub-value it supports ({labels}), e.g. '{feature.codes[0].label}: ...'"


def find_quote(quote: str, units: Sequence[Segment]) -> Segment | None:
    """The sentence (or heading) that holds ``quote``, or that ``quote`` holds (a quote may span a sentence)."""
    key = compact(quote)
    if len(key) < MIN_QUOTE_CHARS:
        return None
    for unit in units:
        text = compact(unit.text)
        if key in text or (len(text) >= MIN_QUOTE_CHARS and text in key):
            return unit
    return None


def quotes_to_decisions(path: Path, codebook: Codebook, *, segments: Mapping[str, Sequence[Segment]],
                        guides: Mapping[str, str], reviewer: str, settled_by: str = "") -> QuoteImport:
    """Segment decisions for the quotes in a sheet's ``[quote]`` columns (an agreed sheet's name who recorded
    them, ``settled_by``); raises listing every quote that cannot be placed (nothing is recorded then)."""
    check_reviewer(reviewer)
    header, rows = read_table(path)
    columns = {i: name[: -len(QUOTE_SUFFIX)] for i, name in enumerate(header) if name.endswith(QUOTE_SUFFIX)}
    known = {f.label for f in codebook.features}
    problems = [f"{path}: row 1, column {i + 1}: {name!r} is not a feature's quote column"
                for i, name in columns.items() if name not in known]
    decisions: list[Decision] = []
    n = 0
    time = now()
    units_of = {g: _units(segs) for g, segs in segments.items()}
    for number, row in enumerate(rows, start=2):
        guide = row[0] if row else ""
        for i, feature_label in columns.items():
            cell = row[i].strip() if i < len(row) else ""
            if not cell or feature_label not in known:
                continue
            where = f"{path}: row {number}, column {header[i]!r}"
            if guide not in guides:
                problems.append(f"{where}: unknown guide {guide!r}")
                continue
            codes, quote = _target_codes(codebook, feature_label, cell)
            if not codes:
                problems.append(f"{where}: {quote}")
                continue
            for part in (p.strip().strip('"“”') for p in re.split(r"\s*\|\s*", quote) if p.strip()):
                unit = find_quote(part, units_of.get(guide, []))
                if unit is None:
                    problems.append(f"{where}: quote not found in the guide's text: {part[:80]!r}")
                    continue
                n += 1
                decisions.extend(Decision(
                    reviewer=reviewer, time=time, level="segment", guide=guide, code=code, value=True, action="add",
                    segment=unit.id, text_hash=text_hash(_segment_text(segments[guide], unit.id)),
                    note=f"quote: {part[:200]}", origin=f"sheet:{path.name} row {number} quote", settled_by=settled_by)
                    for code in codes)
    if problems:
        raise ConfigError("\n".join(problems) + "\nNothing was imported; fix the sheet and import it again.")
    return QuoteImport(decisions, n)


def _units(segments: Sequence[Segment]) -> list[Segment]:
    """Sentences and heading lines, in reading order (a section's own text would hold its sentences)."""
    return [s if s.kind == "sentence" else heading_unit(s) for s in segments if s.kind in ("sentence", "section")]


def _segment_text(segments: Sequence[Segment], segment_id: str) -> str:
    return next(s.text for s in segments if s.id == segment_id)


def sheet_quotes(path: Path, codebook: Codebook, *, project_segments: Mapping[str, Sequence[Segment]],
                 guides: Mapping[str, str], reviewer: str, settled_by: str = "") -> QuoteImport:
    """The quotes of a sheet as decisions; a sheet without ``[quote]`` columns gives none."""
    header, _ = read_table(path)
    if not any(name.endswith(QUOTE_SUFFIX) for name in header):
        return QuoteImport([], 0)
    return quotes_to_decisions(path, codebook, segments=project_segments, guides=guides, reviewer=reviewer,
                               settled_by=settled_by)


MIN_PER_CLASS = 10  # reviewer labels of each kind before a project classifier is tried
MIN_AUC_GAIN = 0.01  # held-out AUC by which it must beat the shipped classifier


@dataclass(frozen=True)
class EvidenceLearning:
    n_labels: int
    n_examples: int  # labels on machine suggestions (the classifier scores only those)
    guides: tuple[str, ...]
    shipped_auc: float | None
    project_auc: float | None
    written: Path | None  # the project classifier, when it won
    reason: str


def learn_evidence_model(codebook: Codebook, decisions: Sequence[Decision], segments: Mapping[str, Segment],
                         suggestions: Sequence[Suggestion], *, out: Path) -> EvidenceLearning:
    """Fit the evidence classifier on the reviewers' sentence labels and keep it (``out``) only when it
    beats the shipped classifier on the same labels, each guide held out in turn."""
    from mapping_review.coding.evidence import code_definitions, density_of, save_model, shipped_model
    from mapping_review.coding.evidence_fit import Example, auc, cross_validate, fit_evidence_model

    labels = current_segment_decisions(decisions, segments)
    by_key = {(s.segment, s.code): s for s in suggestions}
    density = density_of(suggestions)
    examples = [Example(by_key[(seg.id, d.code)], d.value, density) for seg, d in labels if (seg.id, d.code) in by_key]
    guides = tuple(sorted({e.suggestion.guide for e in examples}))
    n_pos = sum(e.label for e in examples)

    def result(shipped: float | None, project: float | None, written: Path | None, reason: str) -> EvidenceLearning:
        return EvidenceLearning(len(labels), len(examples), guides, shipped, project, written, reason)

    if len(guides) < 2 or min(n_pos, len(examples) - n_pos) < MIN_PER_CLASS:
        have = f"have {n_pos} and {len(examples) - n_pos} on {len(guides)}"
        return result(None, None, None, f"needs {MIN_PER_CLASS} accepted and {MIN_PER_CLASS} rejected suggestions "
                                          f"on at least 2 guides ({have})")
    definitions = code_definitions(codebook)
    held, _ = cross_validate(examples, definitions=definitions)
    indices = sorted(held)
    truth = [examples[i].label for i in indices]
    project_auc = auc([held[i] for i in indices], truth)
    shipped = shipped_model()
    shipped_auc = auc([shipped.probability(examples[i].suggestion, density) for i in indices], truth) if shipped else None
    if project_auc is None or (shipped_auc is not None and project_auc < shipped_auc + MIN_AUC_GAIN):
        return result(shipped_auc, project_auc, None, "the shipped classifier is as good on your labels; kept it")
    model = fit_evidence_model(examples, definitions=definitions, meta={"trained_on": list(guides), "source": "reviewers"})
    return result(shipped_auc, project_auc, save_model(model, out), "your labels gave a better classifier")
