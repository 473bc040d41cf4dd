"""Train the shipped evidence classifier from the sentence labels of the development part and the training guides.

Codes those guides with the rule coder, finds each labelled sentence again, fits the evidence classifier
(``evidence-clf.v8``) on every labelled suggestion, reports cross-validated figures with each family of
sibling guides held out in turn (no guide, nor a sibling of it, helps to score it), and writes the model to
mapping_review/coding/models/evidence-clf.v8.json and the report to data/coding/evidence-clf.v8.cv.csv.
Test-part labels are never read, nor labels written on the model's own suggestions (their ``origin``
names it): those were labelled after the model was shipped and are kept for its successor, so the same
labels make the same model - ``--check`` retrains it and says whether the shipped file is exactly what
the labels make. ``--development-only`` learns from the development part alone (as ``evidence-clf.v6``
did).

Usage: python benchmarks/train_evidence.py [--dry-run | --check] [--development-only]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import statistics
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from coding_quality import examples_of, held_out_groups, label_index
from devset import DATA, ROOT, load_devset

from mapping_review.coding.cues import CUES
from mapping_review.coding.evidence import MODEL, MODEL_FILE, EvidenceModel, code_definitions, save_model
from mapping_review.coding.evidence_fit import cross_validate, fit_evidence_model
from mapping_review.coding.labels import COLUMNS, SentenceLabel
from mapping_review.coding.rules import CODER, RuleCoder
from mapping_review.segment.nlp import load_nlp

MODEL_PATH = ROOT / "mapping_review" / "coding" / "models" / MODEL_FILE
REPORT_PATH = DATA / f"{MODEL}.cv.csv"


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 unless the shipped model is exactly what the labels make")
    parser.add_argument("--development-only", action="store_true",
                        help="learn from the development part alone, not from the training guides' labels too "
                             "(split.yaml, part: train)")
    args = parser.parse_args()
    devset = load_devset()
    keys = devset.training_keys(training_guides=not args.development_only)
    for k in keys:
        devset.labels[k] = labels_for(MODEL, devset.labels[k])
    coder = RuleCoder(devset.codebook, load_nlp("blank"))
    index, status = label_index(devset, keys)
    coded = {k: coder.code_segments(devset.segments[k]) for k in keys}
    groups = held_out_groups(devset, keys, "family")
    examples = [e for k in keys for e in examples_of(coded[k], index, groups[k])]
    definitions = code_definitions(devset.codebook)
    meta = {"coder": CODER, "cues": CUES, "trained_on": keys, "n_items": len(examples),
            "n_supports": sum(e.label for e in examples),
            "labels_sha256": labels_digest(label for k in sorted(keys) for label in devset.labels[k])}
    if args.check:
        raise SystemExit(check(fit_evidence_model(examples, definitions=definitions, meta=meta)))
    _, folds = cross_validate(examples, definitions=definitions)
    print(f"labels found again: {status}; training items: {len(examples)} ({sum(e.label for e in examples)} supports)")
    print(f"{'held-out family':62s} {'pos':>4s} {'neg':>4s} {'AUC':>6s} {'prec@.5':>7s} {'rec@.5':>7s}")
    for f in folds:
        print(f"{f.guide:62s} {f.n_positive:4d} {f.n_negative:4d} {_fmt(f.auc):>6s} {_fmt(f.precision):>7s} "
              f"{_fmt(f.recall):>7s}")
    print(f"mean AUC by family: {statistics.mean(f.auc for f in folds if f.auc is not None):.3f}")
    model = fit_evidence_model(examples, definitions=definitions, meta=meta)
    if args.dry_run:
        return
    save_model(model, MODEL_PATH)
    with REPORT_PATH.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["held_out_family", "n_positive", "n_negative", "auc", "precision_at_0_5", "recall_at_0_5"])
        for f in folds:
            w.writerow([f.guide, f.n_positive, f.n_negative, _fmt(f.auc), _fmt(f.precision), _fmt(f.recall)])
    size = MODEL_PATH.stat().st_size // 1024
    print(f"wrote {MODEL_PATH.relative_to(ROOT)} ({size} kB) and {REPORT_PATH.relative_to(ROOT)}")


def labels_for(model: str, labels: Iterable[SentenceLabel]) -> list[SentenceLabel]:
    """The labels ``model`` learns from: not those written on its own suggestions (``origin`` naming it,
    as ``machine:rules.v3+evidence-clf.v8``), which were made after it was shipped."""
    return [label for label in labels if model not in label.origin.removeprefix("machine:").split("+")]


def labels_digest(labels: Iterable[SentenceLabel]) -> str:
    """A short sha256 of the labels a model learnt from, in the order given (every column)."""
    h = hashlib.sha256()
    for label in labels:
        h.update(("\t".join(str(getattr(label, c)) for c in COLUMNS) + "\n").encode("utf-8"))
    return h.hexdigest()[:16]


def check(model: EvidenceModel, shipped: Path = MODEL_PATH) -> int:
    """0 when ``shipped`` holds exactly ``model`` (byte for byte as :func:`save_model` writes it), else 1."""
    with tempfile.TemporaryDirectory() as tmp:
        made = save_model(model, Path(tmp) / MODEL_FILE).read_bytes()
    shown = shipped.relative_to(ROOT) if shipped.is_relative_to(ROOT) else shipped
    if shipped.exists() and shipped.read_bytes() == made:
        print(f"{shown} is what the labels make")
        return 0
    print(f"{shown} is not what the labels make: run benchmarks/train_evidence.py to "
          "retrain it, or add the labels with the origin of the model they were written on", file=sys.stderr)
    return 1


if __name__ == "__main__":
    main()
