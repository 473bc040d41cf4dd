"""A blind sample of the sentence labels for a second reader, and their agreement with the first.

    python benchmarks/label_sample.py export sample.csv [--n 120] [--seed 1]
    (the second reader fills the "label" column with supports / mentions / wrong_sense / boilerplate,
     following docs/labelling.md, without looking at data/coding/labels/)
    python benchmarks/label_sample.py score sample.csv

The sample is drawn from every labelled guide, stratified by the first reader's label; the exported
file holds the sentence text read from the local PDFs (it is not for committing) but not the label.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from devset import load_devset

from mapping_review.coding.labels import LABELS, match_labels
from mapping_review.coding.quality import cohen_kappa
from mapping_review.coding.units import label_units

COLUMNS = ["item", "guide", "page", "code", "code_definition", "section", "text", "label"]


def export(path: Path, n: int, seed: int) -> None:
    devset = load_devset()
    rng = random.Random(seed)
    pool: dict[str, list[tuple[str, object, object]]] = {lab: [] for lab in LABELS}
    for key in devset.keys(None):
        for m in match_labels(devset.labels[key], label_units(devset.segments[key])):
            if m.unit is not None:
                pool[m.label.label].append((key, m.label, m.unit))
    sections = {s.id: s.section for key in devset.keys(None) for s in devset.segments[key]}
    per_label = max(1, n // len(LABELS))
    chosen = [item for lab in LABELS for item in rng.sample(pool[lab], min(per_label, len(pool[lab])))]
    rng.shuffle(chosen)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for i, (key, label, unit) in enumerate(chosen, start=1):
            code = devset.codebook.by_id[label.code]  # type: ignore[attr-defined]
            w.writerow([i, key, unit.page, code.id, code.definition, " > ".join(sections.get(unit.id, ())),  # type: ignore[attr-defined]
                        unit.text, ""])  # type: ignore[attr-defined]
    print(f"wrote {len(chosen)} items to {path}; fill the 'label' column and run: score {path}")


def score(path: Path) -> None:
    devset = load_devset()
    first: dict[tuple[str, int, str, str], str] = {}
    for key in devset.keys(None):
        for m in match_labels(devset.labels[key], label_units(devset.segments[key])):
            if m.unit is not None:
                first[(key, m.unit.page, m.label.code, m.unit.text)] = m.label.label
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"].strip()]
    pairs = []
    for r in rows:
        other = r["label"].strip().lower()
        if other not in LABELS:
            raise SystemExit(f"{path}: item {r['item']}: label {other!r} is not one of {', '.join(LABELS)}")
        mine = first.get((r["guide"], int(r["page"]), r["code"], r["text"]))
        if mine is not None:
            pairs.append((mine, other))
    if not pairs:
        msg = "no filled-in item matches a label"
        raise SystemExit(msg)
    agree = sum(a == b for a, b in pairs) / len(pairs)
    keys = [(str(i), "x") for i in range(len(pairs))]
    supports = cohen_kappa({k: a == "supports" for k, (a, _) in zip(keys, pairs)},
                           {k: b == "supports" for k, (_, b) in zip(keys, pairs)}, keys)
    print(f"{len(pairs)} items: exact agreement {agree:.3f}; Cohen's kappa on supports vs the rest {supports:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export")
    e.add_argument("path", type=Path)
    e.add_argument("--n", type=int, default=120)
    e.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("score")
    s.add_argument("path", type=Path)
    args = parser.parse_args()
    if args.command == "export":
        export(args.path, args.n, args.seed)
    else:
        score(args.path)


if __name__ == "__main__":
    main()
