"""A REFI-QDA project or codebook brought into the review.

The code tree is mapped onto ``codebook.yaml`` (or written as a draft codebook); codings on a
source that is one of the guides (same PDF hash, its key or file name, or its title) become their
coder's decisions on the segments they cover, found by text and position; coders become
reviewers. A coding that matches no segment, no guide or no code is reported with its source,
page and text. Everything is checked and worked out first; the decisions are appended in one go
at the end, so a failed import changes nothing in ``reviews/``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from contextlib import closing, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from mapping_review.coding.codebook import Codebook
from mapping_review.coding.suggestions import text_hash
from mapping_review.errors import ConfigError
from mapping_review.exchange.codebook_xml import CodeMapping, draft_codebook, map_codes, parse_description, write_draft
from mapping_review.exchange.export import MACHINE_PREFIX, variable_guid
from mapping_review.exchange.matching import best_reading, match_selection, selection_page
from mapping_review.exchange.merge import merge_decisions
from mapping_review.exchange.qdaxml import Archive, decode_text, norm_guid
from mapping_review.exchange.reading import QdaCoding, QdaNote, QdaProject, QdaSelection, QdaSource, read_qdc, read_qde
from mapping_review.exchange.text import GuideText, Match, load_guide_text
from mapping_review.project.layout import Project
from mapping_review.project.library_formats import normalise_title
from mapping_review.project.manifest import Guide, load_manifest
from mapping_review.project.settings import load_settings
from mapping_review.review.adjudication import check_agreed_sheet, check_recorder
from mapping_review.review.decisions import (
    CONSENSUS,
    REVIEWER_PATTERN,
    UNKNOWN_TIME,
    Decision,
    append_decisions,
    check_appendable,
    now,
    parse_time,
    recording,
)
from mapping_review.review.state import ReviewState, adjudication_of, load_review

_TRUTH = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}  # a case's Boolean value


@dataclass
class QdaImport:
    path: Path
    origin: str = ""
    n_codes: int = 0
    mapped: dict[str, str] = field(default_factory=dict)  # "Feature > Sub" as written -> code id
    unmapped: list[str] = field(default_factory=list)
    reviewers: dict[str, str] = field(default_factory=dict)  # user name -> reviewer
    sources: dict[str, str] = field(default_factory=dict)  # source name -> guide key
    decisions: list[Decision] = field(default_factory=list)  # recorded (or, in a dry run, to record)
    unchanged: int = 0
    unmatched: list[str] = field(default_factory=list)  # codings not recorded, one line each
    merged: list[str] = field(default_factory=list)  # several codings recorded as one decision, one line each
    left_out: int = 0  # the consensus's codings, not recorded for want of a recorder (--by)
    warnings: list[str] = field(default_factory=list)
    draft: Path | None = None


def _mapping_report(result: QdaImport, qda: QdaProject, codebook: Codebook, draft: Path | None) -> CodeMapping:
    mapping = map_codes(qda.codes, codebook, qda.code_problems)
    result.n_codes = len(qda.codes)
    by_guid = {c.guid: c for c in qda.codes}
    for guid, code_id in {**mapping.codes, **mapping.containers}.items():
        result.mapped[" > ".join(by_guid[guid].path)] = code_id
    result.unmapped = [" > ".join(c.path) for c in mapping.unmapped]
    result.warnings += qda.warnings + mapping.problems
    if not qda.has_codebook:
        result.warnings.append(f"{result.path}: no codebook in this file")
    if draft is not None:
        if qda.code_problems:
            result.warnings.append(f"draft codebook not written: fix the problems above in {result.path} first")
        elif qda.codes:
            name = qda.name or result.path.stem
            result.draft = write_draft(draft, draft_codebook(qda.codes, name=name, origin=qda.origin or result.path.name))
    return mapping


def import_qdc(project: Project, path: Path, *, draft: Path | None = None) -> QdaImport:
    """Map a ``.qdc`` codebook onto the project's codebook (and write it as a draft when asked)."""
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    qda = read_qdc(path.read_bytes(), str(path))
    result = QdaImport(path, origin=qda.origin)
    _mapping_report(result, qda, load_review(project).codebook, draft)
    return result


def as_reviewer(name: str) -> str:
    """A reviewer name (letters, digits, ``_ - .``) for a user's name: ``Jane Doe`` -> ``Jane_Doe``;
    ``Consensus`` (the consensus's name in other letter case) is the consensus, whose codings need ``--by``."""
    reviewer = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name.strip()).strip("_.-")
    return CONSENSUS if reviewer.casefold() == CONSENSUS else reviewer


def reviewer_names(qda: QdaProject) -> dict[str, str]:
    """User GUID -> reviewer name (letters, digits, ``_ - .``), distinct per user."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for guid, (name, ident) in sorted(qda.users.items(), key=lambda kv: (kv[1][0], kv[0])):
        base = as_reviewer(name or ident) or f"user_{guid[:8]}"
        reviewer, n = base, 1
        while reviewer in taken:
            n += 1
            reviewer = f"{base}_{n}"
        taken.add(reviewer)
        out[guid] = reviewer
    return out


def _match_guide(source: QdaSource, archive: Archive, guides: list[Guide]) -> Guide | None:
    if source.kind == "PDFSource" and source.path:
        data = archive.member(source.path)
        if data is not None:
            digest = hashlib.sha256(data).hexdigest()
            found = next((g for g in guides if g.sha256 == digest), None)
            if found:
                return found
    paths = [Path(p.split("://")[-1]) for p in (source.path, source.text_path) if p]
    names = {source.name, Path(source.name).stem, *(p.name for p in paths), *(p.stem for p in paths)} - {""}
    for g in guides:
        if g.key in names or (g.file and (Path(g.file).name in names or Path(g.file).stem in names)):
            return g
    title = normalise_title(Path(source.name).stem if source.name.lower().endswith(".pdf") else source.name)
    return next((g for g in guides if g.title and normalise_title(g.title) == title), None)


def _source_text(source: QdaSource, archive: Archive, base_path: str) -> str | None:
    if source.text_path:
        data = archive.member(source.text_path, base_path=base_path)
        return decode_text(data) if data is not None else None
    return source.inline_text or None


def import_qdpx(project: Project, path: Path, *, draft: Path | None = None, dry_run: bool = False,
                settled_by: str = "", untimed_wins: bool = False) -> QdaImport:
    """Bring a ``.qdpx`` project's codebook and codings in; see the module's docstring and, for what is
    recorded over a reviewer's current decisions (``untimed_wins``), :mod:`merge`.

    Codings by a user named ``consensus`` settle disagreements, so they are recorded only with ``settled_by``
    (someone ``review.yaml`` allows to settle each item they answer); without it they are left out and
    reported, and the rest is recorded.
    """
    with closing(Archive(path)) as archive:
        qda = read_qde(archive.qde(), f"{path.name}:{archive.qde_name}")
        state = load_review(project)
        result = QdaImport(path, origin=qda.origin)
        mapping = _mapping_report(result, qda, state.codebook, draft)
        reviewers = reviewer_names(qda)
        machines = {g for g, (_, ident) in qda.users.items() if ident.startswith(MACHINE_PREFIX)}
        result.reviewers = {qda.users[g][0] or qda.users[g][1]: r for g, r in reviewers.items() if g not in machines}
        guides = list(load_manifest(project.manifest_path).guides)
        engine = load_settings(project.root).build.engine
        suggested = {(s.segment, s.code) for s in state.suggestions}
        context = _Context(result, mapping, reviewers, machines, qda, suggested, f"qdpx:{path.name}",
                           set(state.codebook.by_id))
        by_source: dict[str, str] = {}
        for source in qda.sources:
            guide = _match_guide(source, archive, guides)
            if guide is None:
                n = len(source.codings) + sum(len(s.codings) for s in source.selections)
                result.warnings.append(f"source {context.name_of(source)!r} matches no guide (hash, key, file name "
                                       f"or title); its {n} coding(s) are not recorded")
                context.unmatched_source(source, _source_text(source, archive, qda.base_path))
                continue
            result.sources[context.name_of(source)] = guide.key
            by_source[source.guid] = guide.key
            text = load_guide_text(project, guide, engine=engine)
            theirs = _source_text(source, archive, qda.base_path)
            if source.text_path and theirs is None and source.selections:
                result.warnings.append(f"source {source.name!r}: {source.text_path} is missing from the archive; "
                                       "its selections are matched by their own text only")
            context.source(source, guide, text, theirs)
        context.cases(by_source, {g.key: g.sha256 for g in guides})
    # placed without the recording lock (a large file takes a while), checked against what they are recorded over
    with nullcontext() if dry_run else recording(project.reviews_dir):
        state = load_review(project)
        stamp = now()  # recorded now: a sheet exported while the file was placed was filled in without these
        merged = merge_decisions([replace(d, time=stamp) for d in context.decisions], state.decisions,
                                 untimed_wins=untimed_wins, coders=set(result.reviewers.values()),
                                 guides=set(by_source.values()))
        result.unchanged = merged.unchanged
        result.unmatched += merged.not_recorded
        result.warnings += merged.absent
        decisions = _settled(merged.decisions, state, settled_by, result)
        result.decisions = decisions
        recorded = {(d.reviewer, d.key) for d in decisions}  # not the consensus's left out for want of --by
        result.merged = [line for item, line in merged.merged.items() if item in recorded]
        check_appendable(project.reviews_dir, decisions)  # a dry run refuses what the import would
        if decisions and not dry_run:
            append_decisions(project.reviews_dir, decisions)
        return result


def _settled(decisions: list[Decision], state: ReviewState, settled_by: str, result: QdaImport) -> list[Decision]:
    """The consensus's decisions carry who recorded them, once that person is checked against the roles;
    without a recorder they are left out."""
    agreed = [d for d in decisions if d.reviewer == CONSENSUS]
    if not agreed:
        return decisions
    if not settled_by:
        result.left_out = len(agreed)
        result.warnings.append(f"{len(agreed)} consensus decision(s) not recorded: an agreed coding settles "
                               "disagreements, so import again with --by NAME (who records it for the team)")
        return [d for d in decisions if d.reviewer != CONSENSUS]
    others = [d for d in decisions if d.reviewer != CONSENSUS]
    review = adjudication_of(replace(state, decisions=state.decisions + others))  # the coders' answers of this file too
    check_recorder(CONSENSUS, settled_by, review.settings)
    agreed = [replace(d, settled_by=settled_by) for d in agreed]
    check_agreed_sheet(review, agreed, by=settled_by)
    return others + agreed


class _Context:
    """Turns one project's codings into decisions, reporting what it cannot place."""

    def __init__(self, result: QdaImport, mapping: CodeMapping, reviewers: dict[str, str], machines: set[str],
                 qda: QdaProject, suggested: set[tuple[str, str]], origin: str, code_ids: set[str]) -> None:
        self.result, self.mapping, self.reviewers, self.machines = result, mapping, reviewers, machines
        self.code_ids = code_ids
        self.qda, self.suggested, self.origin = qda, suggested, origin
        self.decisions: list[Decision] = []
        self.code_names = {c.guid: " > ".join(c.path) for c in qda.codes}
        self.fallback = reviewers.get(qda.creating_user, "imported")
        # Each decision is recorded now and keeps when it was made: its own time, bounded by when the file was
        # last changed (ours: written), which is also the time of one without; a file without that time
        # (QualCoder's) or dated in the future bounds nothing, and a coding it does not date is of unknown time.
        self.recorded = now()
        written = qda.modified or (qda.created if qda.origin.startswith("mapping-review") else "")
        bound, at = parse_time(written), parse_time(self.recorded)
        self.as_of = written if bound and at and bound <= at else ""

    def _who(self, coding: QdaCoding) -> str | None:
        if coding.user in self.machines:
            return None
        return self.reviewers.get(coding.user, self.fallback)

    def _code(self, coding: QdaCoding, where: str) -> str | None:
        code = self.mapping.codes.get(coding.code)
        if code is None:
            name = self.code_names.get(coding.code, coding.code)
            why = ("is a feature with sub-values; code one of its sub-values" if coding.code in self.mapping.containers
                   else "is not in codebook.yaml")
            self.result.unmatched.append(f"{where}: code {name!r} {why}")
        return code

    def unmatched_source(self, source: QdaSource, theirs: str | None) -> None:
        reading = best_reading(theirs, source.selections, None)
        for sel in source.selections:
            shown = self._excerpt((reading.text_of(sel) if reading else sel.text) or sel.name)
            where = self._where(source, sel.page)
            for coding in sel.codings:
                self.result.unmatched.append(f"{where}: {shown}: "
                                             f"{self.code_names.get(coding.code, coding.code)!r}: source matches no guide")
            for _, code, who in self._rejections(sel, where):
                self.result.unmatched.append(f"{where}: {shown}: rejection of {code!r} by {who}: source matches no guide")

    @staticmethod
    def name_of(source: QdaSource) -> str:
        return source.name or Path(source.text_path.split("://")[-1]).name or source.guid

    def _where(self, source: QdaSource, page: int | str) -> str:
        return f"{self.name_of(source)}, page {page or '?'}"

    @staticmethod
    def _excerpt(text: str) -> str:
        flat = " ".join(text.split())
        return repr(flat if len(flat) <= 80 else flat[:77] + "...")

    def source(self, source: QdaSource, guide: Guide, text: GuideText | None, theirs: str | None) -> None:
        for coding in source.codings:  # the whole source: a guide-level answer
            who, code = self._who(coding), self._code(coding, self._where(source, 0))
            if who and code:
                self._add(Decision(who, self.recorded, "guide", guide.key, code, True, "set", text_hash=guide.sha256,
                                   made=self.made(coding.time),
                                   note=coding.note, origin=self.origin))
        if not source.selections:
            return
        reading = best_reading(theirs, source.selections, text)
        for sel in source.selections:
            codings = [(c, self._who(c)) for c in sel.codings]
            rejections = self._rejections(sel, self._where(source, sel.page))
            if not any(who for _, who in codings) and not rejections:
                continue
            found = match_selection(sel, reading, text) if text is not None else None
            if found is None:
                shown = self._excerpt((reading.text_of(sel) if reading else sel.text) or sel.name)
                why = "the guide is not segmented yet (run `mapping-review build`)" if text is None else \
                    "no segment has this text"
                where = self._where(source, selection_page(sel, reading, text))
                for coding, who in codings:
                    if who:
                        self.result.unmatched.append(f"{where}: {shown}: "
                                                     f"{self.code_names.get(coding.code, coding.code)!r} by {who}: {why}")
                for _, code, who in rejections:
                    self.result.unmatched.append(f"{where}: {shown}: rejection of {code!r} by {who}: {why}")
                continue
            for coding, who in codings:
                code = self._code(coding, self._where(source, found.page))
                if who and code:
                    self._segment_decisions(who, code, True, found, guide.key, self.made(coding.time), coding.note)
            for note, code, who in rejections:
                self._segment_decisions(who, code, False, found, guide.key, self.made(note.time), _rejection_note(note.text))

    def _rejections(self, sel: QdaSelection, where: str) -> list[tuple[QdaNote, str, str]]:
        """The ``rejected:`` notes on a selection (ours, see :mod:`export`): (note, code id, reviewer)."""
        out = []
        for note in sel.notes:
            if not note.name.startswith("rejected:"):
                continue
            code = parse_description(note.text).code_id
            who = self.reviewers.get(note.user, self.fallback)
            if code in self.code_ids:
                out.append((note, code, who))
            elif code:
                self.result.unmatched.append(f"{where}: rejection of {code!r} by {who}: code is not in codebook.yaml")
            else:
                self.result.unmatched.append(f"{where}: rejection {note.name!r} by {who}: the note names no code "
                                             "(a line 'Code id: ID')")
        return out

    def made(self, written: str) -> str:
        """When a coding was made: its own time, but no later than the file (``as_of``); the file's time when
        it has none, one that is not a time or one after the file's. Without a file time, a time after now
        is none either: :data:`UNKNOWN_TIME`."""
        when, bound = parse_time(written), parse_time(self.as_of or self.recorded)
        return written if when is not None and bound is not None and when <= bound else (self.as_of or UNKNOWN_TIME)

    def _segment_decisions(self, who: str, code: str, value: bool, found: Match, key: str, made: str, note: str) -> None:
        for seg in found.segments:
            action = "reject" if not value else ("accept" if (seg.id, code) in self.suggested and found.start < 0 else "add")
            self._add(Decision(who, self.recorded, "segment", key, code, value, action, seg.id, text_hash(seg.text),
                               made=made, note=note,
                               origin=self.origin, start=found.start, end=found.end))

    def _add(self, decision: Decision) -> None:
        if REVIEWER_PATTERN.match(decision.reviewer):
            self.decisions.append(decision)
        else:
            self.result.unmatched.append(f"{decision.guide}: {decision.code!r}: {decision.reviewer!r} cannot be a "
                                         "reviewer name (letters, digits, '_', '-' and '.')")

    def cases(self, by_source: dict[str, str], keys: Mapping[str, str]) -> None:
        """``KEY | REVIEWER`` cases: that reviewer's guide-level answers (Boolean code variables), recorded
        with the hash of the guide (``keys``: guide key -> sha256) as a sheet's answers are."""
        variables = self._variables()
        for case in self.qda.cases:
            key, _, reviewer = (p.strip() for p in case.name.partition("|"))
            if key not in keys:
                key = next((by_source[s] for s in case.sources if s in by_source), key)
            answers = {variables[v]: value for v, value in case.values.items() if v in variables and value}  # empty: unset
            if not answers:
                continue
            if key not in keys:
                self.result.unmatched.append(f"case {case.name!r}: {len(answers)} answer(s) not recorded: "
                                             "no guide of that name or reference")
                continue
            if not reviewer:  # our own export's resolved table follows from the decisions
                if not self.qda.origin.startswith("mapping-review"):
                    self.result.warnings.append(f"case {case.name!r}: {len(answers)} answer(s) without a reviewer are not "
                                                "recorded (name the case 'KEY | REVIEWER' to record them)")
                continue
            who = as_reviewer(reviewer)
            for code, value in sorted(answers.items()):
                truth = _TRUTH.get(value.strip().casefold())
                if truth is None:
                    self.result.unmatched.append(f"case {case.name!r}: {code!r}: {value!r} is neither true nor false "
                                                 "(true/false, yes/no or 1/0); not recorded")
                    continue
                self._add(Decision(who, self.recorded, "guide", key, code, truth, "set", text_hash=keys[key],
                                   made=self.as_of or UNKNOWN_TIME, origin=self.origin))

    def _variables(self) -> dict[str, str]:
        """Variable GUID -> code id: ours by GUID, others by a ``Code id:`` in the description."""
        ours = {norm_guid(variable_guid(c)): c for c in self.code_ids}
        out = {}
        for guid, (_, description) in self.qda.variables.items():
            found = re.search(r"Code id:\s*(\S+)", description)
            code = ours.get(guid) or (found.group(1) if found else None)
            if code in self.code_ids:
                out[guid] = code
        return out


def _rejection_note(text: str) -> str:
    """The reviewer's own note inside a ``rejected:`` note (after its first sentence)."""
    first = text.split("\n\n", 1)[0]
    _, _, rest = first.partition(" on this passage.")
    return rest.strip()


