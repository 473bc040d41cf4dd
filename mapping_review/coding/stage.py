"""The coding stage: rule suggestions for every segmented guide, scored as evidence by the evidence
classifier, kept in ``build/codings/``.

The rule coder and the classifier may run where the segments were made (in the extraction workers,
or on a cluster): the classifier's features are those of one guide's suggestions, so a guide scored
alone scores as it does among the others. The classifier is the project's own
(``build/models/evidence-clf.v8.json``, written by ``mapping-review learn`` when it beats the shipped
one on the reviewers' labels) or else the one shipped with the package. A guide is coded again only
when its segments, the codebook, the coder or the classifier changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapping_review.bookkeeping import GuideResult, Progress, read_jsonl, read_state, save_state
from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.suggestions import Suggestion
from mapping_review.coding.versions import CODER
from mapping_review.errors import MappingReviewError
from mapping_review.files import write_atomic
from mapping_review.project.layout import Project
from mapping_review.project.manifest import Guide, load_manifest
from mapping_review.segment.segments import Segment, jsonl_to_segments

if TYPE_CHECKING:
    from mapping_review.coding.evidence import EvidenceModel
    from mapping_review.coding.rules import RuleCoder


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def codings_dir(project: Project) -> Path:
    return project.build_dir / "codings"


def project_model_path(project: Project) -> Path:
    from mapping_review.coding.evidence import MODEL_FILE

    return project.build_dir / "models" / MODEL_FILE


def evidence_model(project: Project) -> tuple[EvidenceModel | None, str]:
    """The classifier the project codes with, and a digest of it (for the stage's up-to-date check)."""
    from mapping_review.coding.evidence import load_model, shipped_model

    path = project_model_path(project)
    if path.exists():
        return load_model(path), _digest(path)
    model = shipped_model()
    return model, shipped_model_digest(model)


_MODEL_DIGEST: list[tuple[EvidenceModel, str]] = []  # the last model digested (the shipped one is loaded once)


def shipped_model_digest(model: EvidenceModel | None) -> str:
    """The digest the coding stage stamps for the shipped classifier (empty when there is none), worked out
    once per model object: a build asks for it more than once. Models are frozen: one changed in place
    would keep its first digest."""
    if model is None:
        return ""
    last = _MODEL_DIGEST[-1] if _MODEL_DIGEST else None  # read once: another thread may replace it
    if last is not None and last[0] is model:
        return last[1]
    digest = hashlib.sha256(json.dumps(model.to_dict(), sort_keys=True).encode()).hexdigest()[:16]
    _MODEL_DIGEST[:] = [(model, digest)]
    return digest


def segments_digest(text: str) -> str:
    """The digest of a segments file's text, as the coding stage stamps it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Coded:
    """A guide's suggestions made away from the coding stage (in an extraction worker, on a cluster)."""

    segments: str  # the digest of the segments they were made from
    text: str | None  # the suggestions, as ``build/codings/<key>.jsonl`` holds them; None: written there
    model: str | None = None  # the digest of the classifier that scored them; None: not scored yet
    n: int = 0  # how many suggestions


_CODER: list[tuple[RuleCoder, EvidenceModel | None, str]] = []  # loaded in the parent before the workers fork


@dataclass
class CodeAfterSegment:
    """Codes and scores a guide's fresh segments in the worker that made them (see ``extract_and_segment``).

    The worker writes the suggestions (the stage records them): they do not travel back, and this process
    never holds every guide's at once."""

    project: Project
    nlp_name: str
    done: dict[str, Coded] = field(default_factory=dict)

    def prepare(self) -> None:
        from mapping_review.coding.rules import RuleCoder
        from mapping_review.segment.nlp import load_nlp

        _CODER.clear()
        # a broken codebook, pipeline or classifier is reported by the coding stage, after extraction
        with contextlib.suppress(MappingReviewError):
            coder = RuleCoder(load_codebook(self.project.codebook_path), load_nlp(self.nlp_name))
            _CODER.append((coder, *evidence_model(self.project)))

    def __call__(self, guide: Guide, segments_text: str, segments: Sequence[Segment]) -> Coded | None:
        if not _CODER:
            return None
        coded = code_and_score(*_CODER[0], segments_text, segments)
        out_dir = codings_dir(self.project)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(out_dir / f"{guide.key}.jsonl", coded.text or "")
        return replace(coded, text=None)

    def collect(self, key: str, value: Any) -> None:
        self.done[key] = value


def code_and_score(coder: RuleCoder, model: EvidenceModel | None, model_digest: str, segments_text: str,
                   segments: Sequence[Segment] | None = None) -> Coded:
    """A guide's suggestions and their scores, from the text of ``build/segments/<key>.jsonl`` (and its
    ``segments``, when they are at hand)."""
    suggestions = coder.code_segments(jsonl_to_segments(segments_text) if segments is None else segments)
    text, n = _scored_text(suggestions, model)
    return Coded(segments_digest(segments_text), text, model_digest, n)


def _scored(text: str, model: EvidenceModel | None) -> tuple[str, int]:
    """The rule coder's suggestions (as the stage writes them) scored again by the classifier."""
    return _scored_text([Suggestion.from_dict(json.loads(line)) for line in text.splitlines() if line.strip()], model)


def _scored_text(suggestions: list[Suggestion], model: EvidenceModel | None) -> tuple[str, int]:
    """Suggestions with the classifier's scores, as the stage writes them, and how many."""
    if model is not None:
        suggestions = model.score(suggestions)
    return "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in suggestions), len(suggestions)


def code_corpus(project: Project, *, nlp_name: str = "auto", progress: Progress | None = None,
                done: Mapping[str, Coded] | None = None) -> list[GuideResult]:
    """Write ``build/codings/<key>.jsonl`` for every segmented guide that changed.

    ``done`` holds suggestions made elsewhere (in the extraction workers, or on a cluster) with the
    current codebook; they are used when they were made from the guide's current segments, and scored
    again here unless the current classifier scored them.
    """
    progress = progress or Progress()
    done = done or {}
    manifest = load_manifest(project.manifest_path)
    out_dir = codings_dir(project)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = read_state(out_dir / "state.json")
    book = _digest(project.codebook_path)
    results, todo = [], []
    model, model_digest = evidence_model(project)
    for guide in manifest.guides:
        seg_path = project.segments_dir / f"{guide.key}.jsonl"
        if not seg_path.exists():
            continue
        stamp = {"segments": _digest(seg_path), "codebook": book, "coder": CODER, "evidence_model": model_digest}
        if (out_dir / f"{guide.key}.jsonl").exists() and state.get(guide.key, {}).get("stamp") == stamp:
            results.append(GuideResult(guide.key, "up to date", n_segments=state[guide.key].get("n", 0)))
        else:
            todo.append((guide.key, seg_path, stamp))
    progress.start("code", documents=len(todo), pages=0)
    ready = {key: done[key] for key, _, stamp in todo if key in done and done[key].segments == stamp["segments"]}
    coder = None
    if any(key not in ready for key, _, _ in todo):  # the codebook is read and spaCy loaded only then
        from mapping_review.coding.rules import RuleCoder
        from mapping_review.segment.nlp import load_nlp

        coder = RuleCoder(load_codebook(project.codebook_path), load_nlp(nlp_name))
    for key, seg_path, stamp in todo:
        made, path = ready.get(key), out_dir / f"{key}.jsonl"
        if made is None:
            assert coder is not None
            made = code_and_score(coder, model, model_digest, seg_path.read_text(encoding="utf-8"))
        if made.model == model_digest:
            n = made.n
            if made.text is not None:
                write_atomic(path, made.text)
        else:  # made elsewhere with another classifier, or none: scored again here
            text = made.text if made.text is not None else path.read_text(encoding="utf-8")
            text, n = _scored(text, model)
            write_atomic(path, text)
        state[key] = {"stamp": stamp, "n": n}
        results.append(GuideResult(key, "coded", n_segments=n))
        progress.document(key)
    save_state(out_dir, state, manifest.kept_keys)
    progress.finish("code")
    return sorted(results, key=lambda r: r.key)


def load_suggestions(project: Project, keys: list[str] | None = None) -> list[Suggestion]:
    """The stored suggestions of the given guides (all coded guides when None)."""
    out_dir = codings_dir(project)
    paths = sorted(out_dir.glob("*.jsonl")) if keys is None else [out_dir / f"{k}.jsonl" for k in keys]
    out: list[Suggestion] = []
    for path in paths:
        if path.exists():
            out.extend(read_jsonl(path, Suggestion.from_dict))
    return out
