"""Review effort: how much a reviewer must read to find the supporting sentences, per code and overall.

A simulated reviewer replays the labelled sentences of the coding benchmark (data/coding/labels, split
by guide in data/coding/split.yaml) in the order each method shows them, deciding each as its label says
(``supports`` = accept, anything else = reject). Methods, on the same labels in the same run:

- ``document``: guide by guide, in reading order;
- ``rule score``: the rule coder's score, best first;
- ``evidence score``: the evidence classifier's probability, best first, never updated;
- ``queue.v1 gain`` / ``queue.v1 relevance``: our learning queue, retrained after every decision;
- ``ASReview``: ASReview LAB's own simulation with its default model (see effort_asreview.py).

For each code, recall of its supporting sentences against the share of its candidates read; WSS@95
(work saved over sampling at 95% recall); overall, the reads needed to reach 95% in every code over all
candidates. ``guide 95%``: the share of candidates read until a supporting sentence is found for 95% of
the (guide, code) pairs that have one (the guide-level answers a code-first reviewer gives). The
development part is what the queue was tuned on; the test part was not looked at while tuning.

Usage: python benchmarks/review_effort.py [--part dev|test|all] [--no-asreview] [--figure PATH]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from devset import ROOT, Devset, load_devset
from effort_data import Item, part_items

from mapping_review.coding.rules import RuleCoder
from mapping_review.review.effort import by_code, guide_reads, reads_to_recall, recall_curve, stop_at
from mapping_review.review.queue import QUEUE, Candidate, LearningQueue
from mapping_review.segment.nlp import load_nlp

SHARES = tuple(i / 20 for i in range(21))
FIGURE = ROOT / "docs" / "figures" / "review_effort.png"
TABLE = ROOT / "build" / "benchmarks" / "review_effort.csv"


def static(items: Sequence[Item], key: object) -> list[Candidate]:
    return [it.candidate for it in sorted(items, key=key)]  # type: ignore[arg-type]


def asreview_orders(items: Sequence[Item]) -> dict[str, list[Candidate]]:
    """Per code, the order ASReview's simulation reads that code's candidates in (document order given)."""
    from effort_asreview import asreview_order

    out = {}
    for code in sorted({it.candidate.code for it in items}):
        mine = [it for it in items if it.candidate.code == code]
        order = asreview_order([it.candidate.text for it in mine], [it.supports for it in mine])
        out[code] = [mine[i].candidate for i in order]
    return out


def orders(items: Sequence[Item], *, with_asreview: bool) -> tuple[dict[str, list[Candidate]], list[float]]:
    truth = {it.candidate.key: it.supports for it in items}
    cands = [it.candidate for it in items]
    out = {
        "document": cands,
        "rule score": static(items, lambda it: (-it.rule_score, it.position)),
        "evidence score": static(items, lambda it: (-it.candidate.prior, it.position)),
    }
    from mapping_review.review.effort import replay_queue

    timing: list[float] = []
    for strategy in ("gain", "relevance"):
        replay = replay_queue(cands, truth, make_queue=lambda s=strategy: LearningQueue(strategy=s),
                              clock=time.perf_counter)
        out[f"{QUEUE} {strategy}"] = replay.order
        timing.extend(replay.update_seconds)
    if with_asreview:
        per_code = asreview_orders(items)
        # one review per code, read side by side: the i-th record of a code of n at i / n
        spread = [((i + 1) / len(o), code, c) for code, o in per_code.items() for i, c in enumerate(o)]
        out["ASReview"] = [c for _, _, c in sorted(spread, key=lambda x: (x[0], x[1]))]
    return out, timing


WINDOWS = (10, 20, 40)


def stopping(order: Sequence[Candidate], truth: dict[tuple[str, str], bool]) -> dict[int, tuple[float, float]]:
    """Per window N: recall and share read when every code stops at "no supporting sentence in the last N"."""
    per = by_code(order, truth)
    out = {}
    for n in WINDOWS:
        stops = {code: stop_at(rel, n) for code, rel in per.items()}
        found = sum(sum(rel[:stops[code]]) for code, rel in per.items())
        out[n] = (found / sum(sum(rel) for rel in per.values()), sum(stops.values()) / len(order))
    return out


def figures(order: Sequence[Candidate], truth: dict[tuple[str, str], bool]) -> dict[str, object]:
    per = {code: rel for code, rel in by_code(order, truth).items() if any(rel)}
    reads = {code: reads_to_recall(rel, 0.95) for code, rel in per.items()}
    n = {code: len(rel) for code, rel in per.items()}
    curves = {code: recall_curve(rel, SHARES) for code, rel in per.items()}
    mean_curve = [statistics.fmean(c[i] for c in curves.values()) for i in range(len(SHARES))]
    total_reads, total = sum(reads.values()), sum(n.values())
    return {"wss": {c: (n[c] - reads[c]) / n[c] - 0.05 for c in per}, "reads": reads, "n": n,
            "overall_wss": (total - total_reads) / total - 0.05, "overall_share": total_reads / total,
            "curve": mean_curve, "guide95": guide_reads(order, truth, 0.95) / len(order), "stop": stopping(order, truth)}


def run_part(devset: Devset, part: str, coder: RuleCoder, *, with_asreview: bool) -> dict[str, object]:
    items = part_items(devset, part, coder)
    truth = {it.candidate.key: it.supports for it in items}
    methods, timing = orders(items, with_asreview=with_asreview)
    return {"part": part, "items": items, "methods": {m: figures(o, truth) for m, o in methods.items()},
            "timing": timing}


def print_part(result: dict[str, object]) -> None:
    items, methods = result["items"], result["methods"]
    assert isinstance(items, list) and isinstance(methods, dict)
    what = "development part (the queue was tuned here)" if result["part"] == "dev" else "test part (never tuned on)"
    guides = sorted({it.candidate.guide for it in items})
    print(f"\n== {what}: {len(guides)} guides, {len(items)} labelled sentence-code candidates, "
          f"{sum(it.supports for it in items)} supporting")
    print("| method | WSS@95 | read for 95% recall | recall @10% | @25% | @50% | read until 95% of guide-codes found |")
    print("|---|---|---|---|---|---|---|")
    for name, f in methods.items():
        curve = f["curve"]
        print(f"| {name} | {f['overall_wss']:.3f} | {100 * f['overall_share']:.0f}% | {curve[2]:.2f} | "
              f"{curve[5]:.2f} | {curve[10]:.2f} | {100 * f['guide95']:.0f}% |")
    print("\nStopping hint (a code stops after N shown without a supporting sentence): recall, share read")
    for name, f in methods.items():
        if name.startswith(QUEUE):
            print(f"  {name}: " + "; ".join(f"N={n}: {r:.2f}, {100 * share:.0f}%" for n, (r, share) in f["stop"].items()))
    codes = sorted(next(iter(methods.values()))["wss"])
    print("\nWSS@95 per code (candidates, supporting):")
    print("code".ljust(38) + "".join(f"{m[:14]:>15s}" for m in methods))
    n_sup = {c: sum(it.supports for it in items if it.candidate.code == c) for c in codes}
    for code in codes:
        n = next(iter(methods.values()))["n"][code]
        print(f"{code} ({n}, {n_sup[code]})".ljust(38) + "".join(f"{f['wss'][code]:15.3f}" for f in methods.values()))


def write_table(results: Sequence[dict[str, object]]) -> None:
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    with TABLE.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["part", "method", "code", "candidates", "reads_95", "wss_95"])
        for r in results:
            for name, f in r["methods"].items():  # type: ignore[attr-defined]
                for code in sorted(f["wss"]):
                    w.writerow([r["part"], name, code, f["n"][code], f["reads"][code], f"{f['wss'][code]:.4f}"])
                w.writerow([r["part"], name, "*", sum(f["n"].values()), sum(f["reads"].values()),
                            f"{f['overall_wss']:.4f}"])


def plot(results: Sequence[dict[str, object]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mapping_review.publish.figures import RC, _save

    colours = {"document": "#999999", "rule score": "#56B4E9", "evidence score": "#009E73",
               f"{QUEUE} gain": "#CC79A7", f"{QUEUE} relevance": "#0072B2", "ASReview": "#D55E00"}

    with plt.rc_context(RC):
        fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.4), squeeze=False)
        for ax, r in zip(axes[0], results):
            for name, f in r["methods"].items():  # type: ignore[attr-defined]
                ax.plot([100 * s for s in SHARES], f["curve"], label=name, color=colours.get(name, "#000000"),
                        linewidth=2 if name.startswith(QUEUE) else 1.2)
            ax.axhline(0.95, color="#999999", linewidth=0.6, linestyle=":")
            ax.set_title("development part (tuned)" if r["part"] == "dev" else "test part (not tuned)")
            ax.set_xlabel("% of a code's candidates read")
            ax.set_ylabel("recall of supporting sentences (mean over codes)")
        axes[0][-1].legend(loc="lower right", fontsize=7)
        for path_written in _save(fig, path.parent, path.stem):
            if path_written.suffix != ".png":
                path_written.unlink()


def product_timing(devset: Devset, coder: RuleCoder) -> None:
    """The queue at a project's scale: every suggestion of every labelled guide, each decision learnt and the
    whole queue re-ranked, against refitting a logistic regression from scratch on the same features."""
    import numpy as np
    from effort_data import coded
    from sklearn.linear_model import LogisticRegression

    cands = [Candidate(s.guide, s.code, s.segment, s.quote, s.section, min(s.score, 1.0))
             for suggestions in coded(devset, coder).values() for s in suggestions]
    start = time.perf_counter()
    queue = LearningQueue().fit(cands)
    fit_s = time.perf_counter() - start
    rng = np.random.default_rng(0)
    steps, refits = [], []
    for n in range(200):
        c = queue.next()
        assert c is not None
        label = bool(rng.random() < 0.4)
        t = time.perf_counter()
        queue.update({c.key: label})
        queue.ranked(limit=20)
        steps.append(time.perf_counter() - t)
        if n % 20 == 19:
            rows = list(queue.labels_)
            y = [int(queue.labels_[i]) for i in rows]
            t = time.perf_counter()
            if len(set(y)) == 2:
                LogisticRegression(max_iter=1000, class_weight="balanced").fit(queue.X_[rows], y).decision_function(queue.X_)
            refits.append(time.perf_counter() - t)
    med, p95 = statistics.median(steps), sorted(steps)[int(0.95 * len(steps))]
    print(f"\nqueue speed on all {len(cands)} suggestions of {len(devset.keys(None))} guides: featurise and fit "
          f"{fit_s:.2f} s; per decision (learn + re-rank + top 20) median {1000 * med:.1f} ms, 95th percentile "
          f"{1000 * p95:.1f} ms; a full logistic-regression refit + re-score {1000 * statistics.median(refits):.1f} ms "
          f"({statistics.median(refits) / med:.1f}x the incremental step)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--no-asreview", action="store_true", help="leave ASReview out (it is a separate install)")
    parser.add_argument("--figure", type=Path, default=FIGURE)
    args = parser.parse_args()
    start = time.perf_counter()
    devset = load_devset()
    coder = RuleCoder(devset.codebook, load_nlp("blank"))
    if not args.no_asreview:
        from effort_asreview import asreview_model_name, asreview_version

        try:
            import asreview  # noqa: F401
        except ImportError:
            msg = "ASReview LAB is not installed: pip install -e '.[bench]', or run with --no-asreview"
            raise SystemExit(msg) from None
        print(f"ASReview LAB {asreview_version()}, default model {asreview_model_name()}")
    parts = ["dev", "test"] if args.part == "all" else [args.part]
    results = [run_part(devset, p, coder, with_asreview=not args.no_asreview) for p in parts]
    for r in results:
        print_part(r)
    timing = [t for r in results for t in r["timing"]]  # type: ignore[union-attr]
    print(f"\nqueue replay: median {1000 * statistics.median(timing):.1f} ms per decision over {len(timing)} decisions")
    product_timing(devset, coder)
    write_table(results)
    plot(results, args.figure)
    print(f"\nwrote {TABLE.relative_to(ROOT)} and {args.figure} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
