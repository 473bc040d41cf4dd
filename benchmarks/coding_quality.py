"""Coding quality on guides the machine was not tuned on: evidence precision at 1 and 3 (per code and
overall), evidence recall on passages a reader found that the rule coder had missed, and guide-level
Cohen's kappa against reader sheets - for the test part, beside the development part.

The split, labels and reader sheets are in data/coding/ (see docs/labelling.md). Test guides are
scored by the shipped evidence model; development guides by a model fitted as the shipped one is (on the
development part's and the training guides' labels; ``--development-only``: the development part's
alone) without the guide, so neither figure is in-sample for the classifier. Those fits learn from every
label of their guides, also the ones written on the shipped model's own suggestions, which the shipped
model did not learn from (``train_evidence.py``): with and without them the figures were within noise.
A development guide is held out with its family of sibling guides (``--hold-out family``, the default:
NICE guides of one family share whole recommendations, so a sibling in the training set flatters the
figure) or alone (``guide``).

Each part's precision at 1 and kappa come with a 95% bootstrap interval (over the present codes' best
passages, and over the guide x code cells): how far the figure would move by chance alone.

Precision at 1 counts the best passage of every code the machine says is present. Beside it, the codes
decided by a strong passage (whose best passage is shown first as evidence) and those decided on weak
evidence only (marked so by ``decide.v5``) are reported apart; the weak ones stay in the headline.

Each part also says where its guide-level answers go wrong (``coding.quality.cell_errors``): missed codes
with a candidate labelled supports under the bar, with other candidates only, or with none; added codes
decided on weak evidence or on a strong passage; and the kappa of a perfect judge of the candidates.
Where precision at 1 is lost (``coding.quality.first_passage_errors``): present codes whose best passage is
not evidence while a candidate labelled supports is ranked lower, or with no such candidate (the reader
sheet saying absent, or present); and precision at 1 under a perfect order of each code's candidates.

Probe guides (``--part probe``) are training guides with a reader sheet that the codebook was not made
from: each family of them is scored by a model fitted on the same labels without that family (by the
shipped model only when it did not learn from them), so they show how the machine does on wording it has
not seen. They are development figures: the decision rule, some wording and the skipped headings were
chosen looking at them.

Usage: python benchmarks/coding_quality.py [--part dev|test|probe|all] [--hold-out family,guide]
       [--development-only] [--todo FILE [--near]] [--errors FILE] [--rules-only]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from devset import Devset, load_devset

from mapping_review.bootstrap import bootstrap_interval
from mapping_review.coding.calibration import calibrate
from mapping_review.coding.decide import Evidence, guide_strengths, ranked_by_cell, summarise
from mapping_review.coding.evidence import code_definitions, density_of, shipped_model
from mapping_review.coding.evidence_fit import Example, fit_evidence_model
from mapping_review.coding.labels import SentenceLabel, match_labels
from mapping_review.coding.quality import (
    CellErrors,
    FirstPassageErrors,
    LabelIndex,
    PrecisionReport,
    ReaderAgreement,
    cell_errors,
    cohen_kappa,
    first_passage_errors,
    kappa_of,
    precision_at,
    precision_by_score,
    reader_agreement,
    recall_of,
    share,
)
from mapping_review.coding.rules import RuleCoder
from mapping_review.coding.suggestions import Suggestion
from mapping_review.coding.units import label_units
from mapping_review.segment.nlp import load_nlp


def label_index(devset: Devset, keys: Sequence[str]) -> tuple[dict[tuple[str, str, str], SentenceLabel], dict[str, int]]:
    """(guide, unit id, code) -> label for the given guides, and how the labels were found again."""
    index: dict[tuple[str, str, str], SentenceLabel] = {}
    status = {"exact": 0, "changed": 0, "lost": 0}
    for key in keys:
        for m in match_labels(devset.labels[key], label_units(devset.segments[key])):
            status[m.status] += 1
            if m.unit is not None:
                # a unit that now holds several labelled sentences (a table row) supports a code when one of them does
                known = index.get((key, m.unit.id, m.label.code))
                if known is None or (m.label.supports and not known.supports):
                    index[(key, m.unit.id, m.label.code)] = m.label
            else:
                print(f"  label lost: {key} p{m.label.page} {m.label.code} '{m.label.anchor}'", file=sys.stderr)
    return index, status


def examples_of(suggestions: Sequence[Suggestion], index: LabelIndex, group: str = "") -> list[Example]:
    """The labelled suggestions of one guide (``suggestions`` are all of its suggestions); ``group`` is
    the guide's family."""
    density = density_of(suggestions)
    out = []
    for s in suggestions:
        label = index.get((s.guide, s.segment, s.code))
        if label is not None:
            out.append(Example(s, label.supports, density, group))
    return out


def held_out_groups(devset: Devset, keys: Sequence[str], hold_out: str) -> dict[str, str]:
    """Each guide's held-out group: its family, or itself."""
    family = {g.key: g.family or g.key for g in devset.guides}
    return {k: family[k] if hold_out == "family" else k for k in keys}


def scored(devset: Devset, coded: dict[str, list[Suggestion]], part: str, rules_only: bool,
           hold_out: str = "guide", *, training_guides: bool = False,
           labels: LabelIndex | None = None) -> dict[str, list[Suggestion]]:
    """Evidence scores of the part's guides, never by a model that learnt from the guide or its siblings:
    test guides by the shipped model; each development guide by a model fitted on the other development
    guides (or, with ``hold_out="family"``, on those outside its family), with ``training_guides`` on the
    training guides' labels too; probe guides by the shipped model when it did not learn from them and
    ``training_guides`` is off, else each family by a model fitted on those labels without that family.
    ``labels``: the training guides' label index, when the caller has it already."""
    keys = devset.keys(part)
    if rules_only:
        return {k: coded[k] for k in keys}
    if part == "probe":
        hold_out = "family"  # a probe guide is never scored by a model that learnt from its family
    if part in ("test", "probe") and not (part == "probe" and training_guides):
        model = shipped_model()
        if model is None:
            msg = "no shipped evidence model; run benchmarks/train_evidence.py first"
            raise SystemExit(msg)
        seen = sorted(set(keys) & set(model.meta.get("trained_on", [])))
        if not seen:
            return {k: model.score(coded[k]) for k in keys}
        if part == "test":
            msg = f"the shipped evidence model learnt from {', '.join(seen)}: its {part} figures would be in-sample"
            raise SystemExit(msg)
    training = devset.training_keys(training_guides=training_guides)
    groups = held_out_groups(devset, [*training, *keys], hold_out)
    if labels is None:
        labels, _ = label_index(devset, training)
    definitions = code_definitions(devset.codebook)
    out = {}
    for group in sorted({groups[k] for k in keys}):
        train = [e for k in training if groups[k] != group for e in examples_of(coded[k], labels, groups[k])]
        model = fit_evidence_model(train, definitions=definitions)
        for k in keys:
            if groups[k] == group:
                out[k] = model.score(coded[k])
    return out


def figures(devset: Devset, part: str, coded: dict[str, list[Suggestion]], *, rules_only: bool,
            hold_out: str = "family", training_guides: bool = False) -> dict[str, object]:
    """Every figure of one part; ``coded`` holds the rule coder's suggestions of every labelled guide."""
    keys = devset.keys(part)
    # development labels train the held-out models of the development part; test labels are read only for the test
    training = devset.training_keys(training_guides=training_guides)
    index, status = label_index(devset, training if part == "dev" else keys)
    scored_by_guide = scored(devset, coded, part, rules_only, hold_out, training_guides=training_guides,
                             labels=index if part == "dev" else None)
    suggestions = [s for k in keys for s in scored_by_guide[k]]
    codebook = devset.codebook
    evidence = summarise(suggestions)
    decided = guide_strengths(codebook, keys, evidence)
    machine = {k: bool(how) for k, how in decided.items()}
    present = [k for k, v in machine.items() if v]
    ranked = ranked_by_cell(suggestions, codebook)
    p1, p3 = precision_at(1, ranked, present, index), precision_at(3, ranked, present, index)
    # a present code decided by weak evidence alone is marked "weak evidence only" (no quote reaches the
    # bar): P@1 above counts its best passage all the same; here the strong and weak codes apart
    weak = [k for k in present if decided[k] == "weak"]
    strong = [k for k in present if k not in set(weak)]
    floor = codebook.model.decision.min_weak
    near = [k for k, v in ranked.items() if v and v[0].rank >= floor]
    p3_near = precision_at(3, ranked, near, index)
    targets = [(g, u, c) for (g, u, c), lab in index.items() if g in keys and lab.supports and lab.origin == "reader"]
    truth_keys = [(g, c.id) for g in keys for c in codebook.codes]
    return {
        "part": part if part != "dev" or rules_only else f"{part} (held out by {hold_out})", "guides": keys,
        "labels": status, "p1": p1, "p3": p3, "p3_near": p3_near,
        "p1_strong": precision_at(1, ranked, strong, index), "p1_weak": precision_at(1, ranked, weak, index),
        "by_score": precision_by_score(ranked, present, index),
        "first_errors": first_passage_errors(ranked, present, index, devset.truth),
        "ranked": ranked, "index": index,
        "recall": recall_of(suggestions, targets, floor=floor),
        "recall_any": recall_of(suggestions, targets),
        "kappa": cohen_kappa(devset.truth, machine, truth_keys),
        **chance_intervals(p1, devset.truth, machine, truth_keys),
        "agree": sum(devset.truth[k] == machine[k] for k in truth_keys) / len(truth_keys),
        "n_present": len(present), "n_truth": sum(devset.truth[k] for k in truth_keys),
        "errors": cell_errors({k: devset.truth[k] for k in truth_keys}, machine, ranked, index, weak=weak),
        "readers": reader_agreement(devset.truth, devset.second, machine, truth_keys),
        "calibrated": calibrated(devset, evidence, machine, truth_keys),
        "machine": machine, "decided": decided,
        "by_family": by_family(devset, keys, ranked, present, index, machine),
    }


def calibrated(devset: Devset, evidence: dict[tuple[str, str], Evidence], machine: dict[tuple[str, str], bool],
               keys: Sequence[tuple[str, str]]) -> list[tuple[str, float | None, float | None, int, int, int]]:
    """The build's calibration fitted to a part's sheets, each guide held out: what a team that has
    reviewed the other guides would get on this one. For the reader sheets and, where there are any,
    the second readers' sheets: (sheet, kappa before, kappa after, present before, after, by the sheet)."""
    out = []
    for name, sheet in (("reader sheets", devset.truth), ("second readers' sheets", devset.second)):
        cells = [k for k in keys if k in sheet]
        if len({g for g, _ in cells}) < 2:
            continue
        truth = {k: sheet[k] for k in cells}
        after = calibrate(devset.codebook, evidence, truth).held_out
        out.append((name, cohen_kappa(truth, machine, cells), cohen_kappa(truth, after, cells),
                    sum(machine[k] for k in cells), sum(after[k] for k in cells), sum(truth.values())))
    return out


def chance_intervals(p1: PrecisionReport, truth: dict[tuple[str, str], bool], machine: dict[tuple[str, str], bool],
                     keys: Sequence[tuple[str, str]]) -> dict[str, tuple[float, float] | None]:
    """How far the figures move by chance: a bootstrap over the present codes' best passages (precision at
    1) and over the guide x code cells (kappa, the reader's answer against the machine's)."""
    return {"p1_interval": bootstrap_interval(share, p1.outcomes),
            "kappa_interval": bootstrap_interval(kappa_of, [(truth[k], machine[k]) for k in keys])}


def by_family(devset: Devset, keys: Sequence[str], ranked: dict[tuple[str, str], list[Suggestion]],
              present: Sequence[tuple[str, str]], index: LabelIndex, machine: dict[tuple[str, str], bool],
              ) -> dict[str, tuple[int, float | None, int, float | None]]:
    """Per family of sibling guides: guides, precision at 1 (and its count of labelled passages), kappa."""
    family = held_out_groups(devset, keys, "family")
    out = {}
    for name in sorted(set(family.values())):
        members = {k for k in keys if family[k] == name}
        p1 = precision_at(1, ranked, [k for k in present if k[0] in members], index).overall
        cells = [(g, c.id) for g in sorted(members) for c in devset.codebook.codes]
        out[name] = (len(members), p1.precision, p1.labelled, cohen_kappa(devset.truth, machine, cells))
    return out


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _interval(bounds: tuple[float, float] | None) -> str:
    return "-" if bounds is None else f"{bounds[0]:.2f}-{bounds[1]:.2f}"


def print_figures(result: dict[str, object]) -> None:
    p1, p3 = result["p1"], result["p3"]
    assert isinstance(p1, PrecisionReport) and isinstance(p3, PrecisionReport)
    print(f"\n== {result['part']} part: {len(result['guides'])} guides ({', '.join(result['guides'])})")  # type: ignore[arg-type]
    print(f"labels found again: {result['labels']}")
    print(f"{'code':38s} {'P@1':>6s} {'n':>3s} {'P@3':>6s} {'n':>3s} {'unlab@3':>7s}")
    for code in sorted(p3.by_code):
        a, b = p1.by_code[code], p3.by_code[code]
        print(f"{code:38s} {_fmt(a.precision):>6s} {a.labelled:3d} {_fmt(b.precision):>6s} {b.labelled:3d} "
              f"{b.unlabelled:7d}")
    o1, o3 = p1.overall, p3.overall
    print(f"{'ALL':38s} {_fmt(o1.precision):>6s} {o1.labelled:3d} {_fmt(o3.precision):>6s} {o3.labelled:3d} "
          f"{o3.unlabelled:7d}")
    strong, weak = result["p1_strong"].overall, result["p1_weak"].overall  # type: ignore[attr-defined]
    print(f"P@1 of the quotes shown first (codes decided by a strong passage): {_fmt(strong.precision)} "
          f"({strong.supports}/{strong.labelled}); present on weak evidence only (marked so, no quote shown as "
          f"evidence): {weak.labelled + weak.unlabelled} codes, whose best passage supports in "
          f"{weak.supports}/{weak.labelled}")
    print("P@1 of the present codes whose best passage scores at least " + "; ".join(
        f"{band.bar:g}: {_fmt(band.tally.precision)} ({band.tally.supports}/{band.tally.labelled}, {band.codes} codes)"
        for band in result["by_score"]))  # type: ignore[attr-defined]
    f = result["first_errors"]
    assert isinstance(f, FirstPassageErrors)
    print(f"best passage not evidence: {f.lower + f.none_absent + f.none_other} of {f.labelled} ({f.lower} with a "
          f"candidate labelled supports ranked lower; none labelled supports: {f.none_absent} where the reader sheet "
          f"says absent, {f.none_other} where it says present); a perfect order of the candidates: P@1 "
          f"{_fmt(f.ceiling)}")
    rec, rec_any = result["recall"], result["recall_any"]
    print(f"evidence recall on reader-found passages: {_fmt(rec.recall)} ({rec.found}/{rec.total}; "  # type: ignore[attr-defined]
          f"as any candidate {_fmt(rec_any.recall)})")  # type: ignore[attr-defined]
    print(f"guide level: kappa {_fmt(result['kappa'])}, agreement {result['agree']:.3f}, "  # type: ignore[arg-type]
          f"machine present {result['n_present']}, reader present {result['n_truth']}")
    e = result["errors"]
    assert isinstance(e, CellErrors)
    print(f"misses: {e.missed_judged + e.missed_unlabelled + e.missed_unfound} ({e.missed_judged} with a candidate "
          f"labelled supports scored under the bar, {e.missed_unlabelled} with candidates none labelled supports, "
          f"{e.missed_unfound} with no candidate); extra codes: {e.extra_weak + e.extra_strong} ({e.extra_weak} on "
          f"weak evidence only, {e.extra_strong} on a strong passage; {e.extra_supported} of them with a candidate "
          f"labelled supports); a perfect judge of the candidates: kappa {_fmt(e.ceiling)}")
    readers = result["readers"]
    assert isinstance(readers, ReaderAgreement)
    if readers.cells:
        print(f"a second, blind reader ({readers.cells} cells): against the reader sheet kappa "
              f"{_fmt(readers.readers)}; the machine against the second reader {_fmt(readers.machine_second)} "
              f"(against the reader sheet on these cells {_fmt(readers.machine_first)}); on the {readers.agreed} "
              f"cells the two readers answer alike, the machine {_fmt(readers.machine_agreed)} "
              "(benchmarks/reader_agreement.py: every pair of sheets)")
    for name, before, after, n_before, n_after, n_sheet in result["calibrated"]:  # type: ignore[attr-defined]
        print(f"calibrated to the {name}, each guide held out (the build's calibration): kappa {_fmt(before)} -> "
              f"{_fmt(after)}, machine present {n_before} -> {n_after} ({n_sheet} by the sheets)")
    families = result["by_family"]
    assert isinstance(families, dict)
    print("by family: " + "; ".join(f"{name} ({n} guide{'s' if n > 1 else ''}) P@1 {_fmt(p)} ({m}), kappa {_fmt(k)}"
                                     for name, (n, p, m, k) in families.items()))
    print(f"95% bootstrap intervals: precision at 1 {_interval(result['p1_interval'])}, "  # type: ignore[arg-type]
          f"kappa {_interval(result['kappa_interval'])} (items of one guide are not independent: "  # type: ignore[arg-type]
          "for a new guide the figures are less certain still)")


def write_todo(path: Path, devset: Devset, results: Sequence[dict[str, object]], *, near: bool = False) -> None:
    """The unlabelled passages among the top 3 of present codes (with ``near``: of every code whose best
    passage reaches the weak-evidence floor), to label before the figures are final."""
    rows = []
    seen = set()
    units = {}
    for r in results:
        p3 = r["p3_near" if near else "p3"]
        assert isinstance(p3, PrecisionReport)
        for guide, code, unit in p3.unlabelled_items:
            if (guide, code, unit) in seen:
                continue
            seen.add((guide, code, unit))
            if guide not in units:
                units[guide] = {u.id: u for u in label_units(devset.segments[guide])}
            u = units[guide][unit]
            rows.append([guide, code, unit, u.page, u.text])
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["guide", "code", "unit", "page", "text"])
        w.writerows(rows)
    print(f"\nwrote {len(rows)} unlabelled top-3 passages to {path}")


def write_errors(path: Path, devset: Devset, results: Sequence[dict[str, object]]) -> None:
    """Development part only: every present code whose best passage is not labelled ``supports`` - the
    passage, its label, score, section, and where the first supporting passage is ranked - for error
    analysis. Test labels are never listed."""
    rows = []
    for r in results:
        if not str(r["part"]).startswith("dev"):
            continue
        ranked, index, machine, decided = r["ranked"], r["index"], r["machine"], r["decided"]
        assert isinstance(ranked, dict) and isinstance(index, dict) and isinstance(machine, dict)
        assert isinstance(decided, dict)
        for (guide, code), present in sorted(machine.items()):
            items = ranked.get((guide, code), [])
            if not present or not items:
                continue
            top = items[0]
            label = index.get((guide, top.segment, code))
            if label is not None and label.supports:
                continue
            first = next((i + 1 for i, s in enumerate(items)
                          if (lab := index.get((guide, s.segment, code))) and lab.supports), "")
            rows.append([r["part"], guide, code, label.label if label else "", f"{top.rank:.3f}",
                         decided[(guide, code)], devset.truth[(guide, code)],
                         first, top.page, " > ".join(top.section), top.match, top.quote])
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["part", "guide", "code", "label", "evidence", "strength", "reader_present", "first_support_rank",
                    "page", "section", "match", "text"])
        w.writerows(rows)
    print(f"\nwrote {len(rows)} development codes whose best passage is not evidence to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["dev", "test", "probe", "all"], default="all",
                        help="all: the development part, the test part and the probe guides")
    parser.add_argument("--todo", type=Path, default=None, help="write unlabelled top-3 passages to this CSV")
    parser.add_argument("--errors", type=Path, default=None,
                        help="write the development part's present codes whose best passage is not evidence to this CSV")
    parser.add_argument("--near", action="store_true", help="--todo also lists codes the machine finds absent")
    parser.add_argument("--rules-only", action="store_true", help="rank and decide by the rule score alone")
    parser.add_argument("--hold-out", default="family,guide",
                        help="how development guides are held out: family, guide, or both (family,guide)")
    parser.add_argument("--development-only", action="store_true",
                        help="the held-out models learn from the development part's labels alone, not from the "
                             "training guides' too (as the shipped classifier does)")
    args = parser.parse_args()
    start = time.perf_counter()
    devset = load_devset()
    coder = RuleCoder(devset.codebook, load_nlp("blank"))
    parts = ["dev", "test", "probe"] if args.part == "all" else [args.part]
    training_guides = not args.development_only
    more = ["train"] if training_guides else []
    coded = {k: coder.code_segments(devset.segments[k]) for part in {*parts, "dev", *more} for k in devset.keys(part)}
    holds = [h for h in args.hold_out.split(",") if h in ("family", "guide")] or ["family"]
    results = [figures(devset, part, coded, rules_only=args.rules_only, hold_out=hold,
                       training_guides=training_guides)
               for part in parts for hold in (holds if part == "dev" and not args.rules_only else holds[:1])]
    for r in results:
        print_figures(r)
    if args.errors:
        write_errors(args.errors, devset, results)
    if args.todo:
        write_todo(args.todo, devset, results, near=args.near)
    print(f"\n({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
