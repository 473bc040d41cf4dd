"""The coding stage: rule suggestions for every segmented guide, scored as evidence by the evidence
classifier, kept in ``build/codings/``.

The classifier is the project's own (``build/models/evidence-clf.v1.json``, written by ``mapping-review
learn`` when it beats the shipped one on the reviewers' labels) or else the one shipped with the package.
A guide is coded again only when its segments, the codebook, the coder or the classifier changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from mapping_review.bookkeeping import GuideResult, Progress, read_jsonl, read_state, save_state
from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.suggestions import Suggestion
from mapping_review.coding.versions import CODER
from mapping_review.files import write_atomic
from mapping_review.project.layout import Project
from mapping_review.project.manifest import load_manifest
from mapping_review.segment.segments import read_segments

if TYPE_CHECKING:
    from mapping_review.coding.evidence import EvidenceModel


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
    if model is None:
        return None, ""
    return model, hashlib.sha256(json.dumps(model.to_dict(), sort_keys=True).encode()).hexdigest()[:16]


def code_corpus(project: Project, *, nlp_name: str = "auto", progress: Progress | None = None) -> list[GuideResult]:
    """Write ``build/codings/<key>.jsonl`` for every segmented guide that changed."""
    from mapping_review.coding.rules import RuleCoder
    from mapping_review.segment.nlp import load_nlp

    progress = progress or Progress()
    codebook = load_codebook(project.codebook_path)
    manifest = load_manifest(project.manifest_path)
    out_dir = codings_dir(project)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = read_state(out_dir / "state.json")
    book = _digest(project.codebook_path)
    model, model_digest = evidence_model(project)
    results, todo = [], []
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
    coder = RuleCoder(codebook, load_nlp(nlp_name)) if todo else None
    for key, seg_path, stamp in todo:
        assert coder is not None
        suggestions = coder.code_segments(read_segments(seg_path))
        if model is not None:
            suggestions = model.score(suggestions)
        text = "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in suggestions)
        write_atomic(out_dir / f"{key}.jsonl", text)
        state[key] = {"stamp": stamp, "n": len(suggestions)}
        results.append(GuideResult(key, "coded", n_segments=len(suggestions)))
        progress.document(key)
    save_state(out_dir, state, {g.key for g in manifest.guides})
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

