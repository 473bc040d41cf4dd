"""Train the shipped evidence classifier from the sentence labels of the development part and the training guides.

Codes those guides with the rule coder, finds each labelled sentence again, fits the evidence classifier
(``evidence-clf.v8``) on every labelled suggestion, reports cross-validated figures with each family of
sibling guides held out in turn (no guide, nor a sibling of it, helps to score it), and writes the model to
mapping_review/coding/models/evidence-clf.v8.json and the report to data/coding/evidence-clf.v8.cv.csv.
Test-part labels are never read. ``--development-only`` learns from the development part alone (as
``evidence-clf.v6`` did).

Usage: python benchmarks/train_evidence.py [--dry-run] [--development-only]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import statistics

from coding_quality import examples_of, held_out_groups, label_index
from devset import DATA, ROOT, load_devset

from mapping_review.coding.cues import CUES
from mapping_review.coding.evidence import MODEL, MODEL_FILE, code_definitions, save_model
from mapping_review.coding.evidence_fit import cross_validate, fit_evidence_model
from mapping_review.coding.rules import CODER, RuleCoder
from mapping_review.segment.nlp import load_nlp

MODEL_PATH = ROOT / "mapping_review" / "coding" / "models" / MODEL_FILE
REPORT_PATH = DATA / f"{MODEL}.cv.csv"


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")
    parser.add_argument("--development-only", action="store_true",
                        help="learn from the development part alone, not from the training guides' labels too "
                             "(split.yaml, part: train)")
    args = parser.parse_args()
    devset = load_devset()
    keys = devset.training_keys(training_guides=not args.development_only)
    coder = RuleCoder(devset.codebook, load_nlp("blank"))
    index, status = label_index(devset, keys)
    coded = {k: coder.code_segments(devset.segments[k]) for k in keys}
    groups = held_out_groups(devset, keys, "family")
    examples = [e for k in keys for e in examples_of(coded[k], index, groups[k])]
    definitions = code_definitions(devset.codebook)
    _, folds = cross_validate(examples, definitions=definitions)
    print(f"labels found again: {status}; training items: {len(examples)} ({sum(e.label for e in examples)} supports)")
    print(f"{'held-out family':62s} {'pos':>4s} {'neg':>4s} {'AUC':>6s} {'prec@.5':>7s} {'rec@.5':>7s}")
    for f in folds:
        print(f"{f.guide:62s} {f.n_positive:4d} {f.n_negative:4d} {_fmt(f.auc):>6s} {_fmt(f.precision):>7s} "
              f"{_fmt(f.recall):>7s}")
    print(f"mean AUC by family: {statistics.mean(f.auc for f in folds if f.auc is not None):.3f}")
    model = fit_evidence_model(examples, definitions=definitions, meta={
        "coder": CODER, "cues": CUES, "trained_on": keys, "n_items": len(examples),
        "n_supports": sum(e.label for e in examples),
        "labels_sha256": _labels_digest(keys),
    })
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


def _labels_digest(keys: list[str]) -> str:
    h = hashlib.sha256()
    for k in sorted(keys):
        path = DATA / "labels" / f"{k}.csv"
        if path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


if __name__ == "__main__":
    main()
