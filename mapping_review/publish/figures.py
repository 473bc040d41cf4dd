"""Review figures with matplotlib, as PNG, SVG and PDF, byte-identical on every rebuild.

Colours are the Okabe-Ito palette (safe for colour-blind readers); fonts are
matplotlib's bundled DejaVu Sans; files carry no dates. How the files are written,
and when a figure is drawn again, is :mod:`figure_files`'s business.
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from mapping_review.coding.codebook import Codebook
from mapping_review.publish.figure_files import drawn_together, redraw, save_figure
from mapping_review.publish.figure_render import FORMATS, RC, warm_up
from mapping_review.review.consensus import UNREAD, GuideCode

__all__ = ["FORMATS", "agreement_bars", "coverage", "drawn_together", "eval_results", "heatmap", "network", "redraw",
           "warm_up"]

OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000")
SOURCE_COLOURS = {"absent": "#F2F2F2", "auto": "#E69F00", "reviewer": "#56B4E9", "consensus": "#0072B2",
                  UNREAD: "#5A5A5A"}
SOURCE_NAMES = {"auto": "machine (auto)", "reviewer": "reviewers", "consensus": "consensus",
                UNREAD: "not read (no answer)"}


def short_feature(label: str) -> str:
    """"Importance of Therapeutic Alliance (relationship ...)" -> "Importance of Therapeutic Alliance"."""
    return re.sub(r"\s*\(.*\)\s*$", "", label)


def _code_label(codebook: Codebook, code_id: str) -> str:
    c = codebook.by_id[code_id]
    return c.label if c.is_sub_value else short_feature(c.label)


def _source_kind(source: str) -> str:
    return source.split(":")[0] if source else "auto"


def heatmap(codebook: Codebook, guides: Sequence[str], labels: Mapping[str, str], rows: Sequence[GuideCode],
            folder: Path) -> list[Path]:
    """Guides x codes, grouped by feature; colour says who decided, and which cells nobody answered of a guide
    the machine has not read (not absent: unknown)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    kinds = ["absent", "auto", "reviewer", "consensus", UNREAD]
    cell = {(r.guide, r.code): kinds.index(_source_kind(r.source)) if r.present or r.source == UNREAD else 0
            for r in rows}
    codes = [c.id for c in codebook.codes]
    matrix = [[cell.get((g, c), 0) for c in codes] for g in guides]
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(max(8.0, 0.32 * len(codes) + 3), max(2.5, 0.32 * len(guides) + 2.2)))
        ax.imshow(matrix, cmap=ListedColormap([SOURCE_COLOURS[k] for k in kinds]), vmin=0, vmax=len(kinds) - 1,
                  aspect="auto", interpolation="nearest")
        ax.set_xticks(range(len(codes)), [_code_label(codebook, c) for c in codes], rotation=60, ha="right")
        ax.set_yticks(range(len(guides)), [labels.get(g, g) for g in guides])
        ax.set_xticks([x - 0.5 for x in range(1, len(codes))], minor=True)
        ax.set_yticks([y - 0.5 for y in range(1, len(guides))], minor=True)
        ax.grid(which="minor", color="white", linewidth=1.2)
        ax.tick_params(which="minor", length=0)
        start = 0
        for f in codebook.features:
            width = max(1, len(f.codes))
            if start:
                ax.axvline(start - 0.5, color="#333333", linewidth=1.0)
            if width > 1 or len(f.label) < 40:
                name = textwrap.fill(short_feature(f.label), width=max(10, 5 * width)) if width > 1 else ""
                ax.text(start + width / 2 - 0.5, -0.7, name, ha="center", va="bottom", fontsize=7, fontweight="bold")
            start += width
        used = sorted({kinds[v] for row in matrix for v in row if v}, key=kinds.index)
        handles = [Patch(color=SOURCE_COLOURS[k], label=SOURCE_NAMES[k]) for k in used]
        if handles:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="decided by")
        ax.set_title("Codes of each guide, grouped by feature", pad=40)
        return save_figure(fig, folder, "heatmap")


def network(codebook: Codebook, guides: Sequence[str], labels: Mapping[str, str], rows: Sequence[GuideCode],
            folder: Path) -> list[Path]:
    """The bipartite network: guides on the left, codes on the right, an edge per code a guide has."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    codes = [c.id for c in codebook.codes]
    gy = {g: 1 - (i + 0.5) / len(guides) for i, g in enumerate(guides)} if guides else {}
    cy = {c: 1 - (i + 0.5) / len(codes) for i, c in enumerate(codes)}
    feature_index = {f.id: i for i, f in enumerate(codebook.features)}
    def colour(code: str) -> str:
        return OKABE_ITO[feature_index[codebook.by_id[code].feature] % len(OKABE_ITO)]

    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(9, max(6.0, 0.22 * len(codes))))
        edges = [r for r in rows if r.present and r.guide in gy]
        # one collection of edges and one of nodes per side: the same picture as an artist per edge and
        # node, drawn in the same order, at a fraction of the cost in every format
        ax.add_collection(LineCollection([[(0, gy[r.guide]), (1, cy[r.code])] for r in edges],
                                         colors=[colour(r.code) for r in edges], alpha=0.45, linewidths=0.8, zorder=2))
        ax.scatter([0] * len(gy), list(gy.values()), s=40, color="#0072B2", zorder=3)
        ax.scatter([1] * len(cy), list(cy.values()), s=30, color=[colour(c) for c in cy], zorder=3, marker="s")
        for g, y in gy.items():
            ax.text(-0.02, y, labels.get(g, g), ha="right", va="center")
        for c, y in cy.items():
            ax.text(1.02, y, _code_label(codebook, c), ha="left", va="center")
        ax.set_xlim(-0.6, 1.6)
        ax.set_ylim(0, 1)
        ax.axis("off")
        ax.set_title("Guides and the codes they address (edges coloured by feature)")
        return save_figure(fig, folder, "network")


def coverage(codebook: Codebook, n_guides: int, counts: Mapping[str, int], folder: Path) -> list[Path]:
    """How many guides address each code."""
    import matplotlib.pyplot as plt

    codes = [c.id for c in codebook.codes]
    feature_index = {f.id: i for i, f in enumerate(codebook.features)}
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7, max(4.0, 0.24 * len(codes))))
        ys = list(range(len(codes)))[::-1]
        colours = [OKABE_ITO[feature_index[codebook.by_id[c].feature] % len(OKABE_ITO)] for c in codes]
        ax.barh(ys, [counts.get(c, 0) for c in codes], color=colours)
        ax.set_yticks(ys, [f"{short_feature(codebook.by_id[c].feature_label)}: {codebook.by_id[c].label}"
                           if codebook.by_id[c].is_sub_value else short_feature(codebook.by_id[c].label) for c in codes])
        ax.set_xlim(0, max(1, n_guides))
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(f"guides addressing the code (of {n_guides})")
        ax.set_title("Code coverage across guides")
        return save_figure(fig, folder, "coverage")


def agreement_bars(codebook: Codebook, alphas: Mapping[str, float], raters: Sequence[str], folder: Path) -> list[Path]:
    """Krippendorff's alpha per code between the reviewers."""
    import matplotlib.pyplot as plt

    codes = [c.id for c in codebook.codes]
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7, max(4.0, 0.24 * len(codes))))
        ys = list(range(len(codes)))[::-1]
        values = [alphas.get(c, math.nan) for c in codes]
        colours = ["#0072B2" if not math.isnan(v) and v >= 0.667 else "#E69F00" for v in values]
        ax.barh(ys, [0 if math.isnan(v) else v for v in values], color=colours)
        for y, v in zip(ys, values):  # every code says its value: a bar of 0 is not there to see
            label = "n/a (every answer alike, or too few)" if math.isnan(v) else f"{v:.2f}"
            ax.text(0.01 if math.isnan(v) else max(v, 0) + 0.01, y, label, va="center", fontsize=7, color="#555555")
        ax.axvline(0.667, color="#333333", linestyle="--", linewidth=0.8)
        ax.set_yticks(ys, [_code_label(codebook, c) for c in codes])
        ax.set_xlim(min(-0.2, min((v for v in values if not math.isnan(v)), default=0)), 1)
        ax.set_xlabel("Krippendorff's alpha (nominal); dashed line: 0.667")
        ax.set_title(f"Agreement between reviewers ({', '.join(raters)})")
        return save_figure(fig, folder, "agreement")


def eval_results(rows: Sequence[tuple[str, str, float, float, float]], labels: Mapping[str, str],
                 folder: Path) -> list[Path]:
    """Share of appropriate responses per criterion (all conditions), one bar per model, with the
    bootstrapped 95% interval. ``rows`` are (criterion, model, share, low, high)."""
    import matplotlib.pyplot as plt

    criteria = list(dict.fromkeys(r[0] for r in rows))
    models = sorted({r[1] for r in rows})
    height = 0.8 / max(1, len(models))
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7, max(2.5, 0.25 * len(criteria) * len(models) + 1.2)))
        for m, model in enumerate(models):
            picked = [r for r in rows if r[1] == model]
            ys = [len(criteria) - 1 - criteria.index(r[0]) + 0.4 - height * (m + 0.5) for r in picked]
            shares = [r[2] for r in picked]
            errors = [[s - r[3] for s, r in zip(shares, picked)], [r[4] - s for s, r in zip(shares, picked)]]
            ax.barh(ys, shares, height=height * 0.9, color=OKABE_ITO[m % len(OKABE_ITO)], label=model,
                    xerr=errors, error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"})
        ax.set_yticks(range(len(criteria))[::-1], [textwrap.shorten(labels.get(c, c), 60) for c in criteria])
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of appropriate responses (bootstrapped 95% interval)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, title="model")
        ax.set_title("Evaluation items: appropriate responses per criterion")
        return save_figure(fig, folder, "eval_results")
