"""What the judged responses say: the share of appropriate responses per criterion, condition and
model with a bootstrapped 95% interval (``build/tables/eval_results.csv`` and a figure), and how
well the judge agrees with people where responses carry human labels (``eval_agreement.csv``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mapping_review.bootstrap import mean_interval
from mapping_review.errors import ConfigError
from mapping_review.project.layout import Project
from mapping_review.publish.evaluation import Evaluation, criterion_title, polarity
from mapping_review.publish.items import ITEMS_FILE
from mapping_review.publish.results import JUDGE, Judgement
from mapping_review.review.agreement import agreement
from mapping_review.review.tables_io import write_table

# percentile bootstrap of the mean: 10,000 resamples drawn at once with numpy's default generator
# seeded for each group, so an interval depends only on its own responses
BOOTSTRAP = "bootstrap-percentile.v1"
SEED = 20250601
RESAMPLES = 10_000
LEVEL = 0.95
ALL = "*"  # the condition of rows pooled over every condition
RESULT_COLUMNS = ["criterion", "criterion_label", "polarity", "condition", "model", "n", "n_appropriate", "share",
                  "ci_low", "ci_high", "ci_method", "n_guides", "guides"]
AGREEMENT_COLUMNS = ["criterion", "statistic", "raters", "n_units", "value"]


def bootstrap_interval(values: Sequence[float], *, seed: int = SEED, resamples: int = RESAMPLES,
                       level: float = LEVEL) -> tuple[float, float]:
    """The percentile bootstrap interval of the mean of ``values``."""
    return mean_interval(values, level=level, resamples=resamples, seed=seed)


@dataclass(frozen=True)
class Share:
    criterion: str
    condition: str
    model: str
    n: int
    n_appropriate: int
    low: float
    high: float

    @property
    def share(self) -> float:
        return self.n_appropriate / self.n


def shares(ev: Evaluation, judgements: Sequence[Judgement]) -> list[Share]:
    """Per criterion x condition x model, and per criterion x model over all conditions (``*``)."""
    assert ev.items is not None
    by_id = ev.items.by_id
    groups: dict[tuple[str, str, str], list[bool]] = {}
    for j in judgements:
        item = by_id[j.item]
        for condition in (item.condition, ALL):
            groups.setdefault((item.criterion, condition, j.model), []).append(j.appropriate)
    criteria = [c.id for c in ev.criteria]
    conditions = list(ev.items.model.conditions) or sorted({i.condition for i in ev.items.items})
    order = {ALL: -1, **{c: i for i, c in enumerate(conditions)}}
    out = []
    for (crit, cond, model), values in sorted(groups.items(), key=lambda kv: (
            criteria.index(kv[0][0]), order.get(kv[0][1], len(order)), kv[0][1], kv[0][2])):
        low, high = bootstrap_interval([float(v) for v in values])
        out.append(Share(crit, cond, model, len(values), sum(values), low, high))
    return out


def result_rows(ev: Evaluation, table: Sequence[Share]) -> list[list[object]]:
    rows: list[list[object]] = []
    for s in table:
        c = ev.by_id[s.criterion]
        rows.append([s.criterion, criterion_title(c), polarity(c), s.condition, s.model, s.n, s.n_appropriate,
                     f"{s.share:.4f}", f"{s.low:.4f}", f"{s.high:.4f}", BOOTSTRAP, c.n_support,
                     ";".join(c.supported_by)])
    return rows


def agreement_rows(ev: Evaluation, judgements: Sequence[Judgement]) -> list[list[object]]:
    """Judge against people on the responses people labelled, per criterion and over all (``*``)."""
    labelled = [j for j in judgements if j.humans]
    if not labelled:
        return []
    assert ev.items is not None
    by_id = ev.items.by_id
    scopes = [c.id for c in ev.criteria if any(by_id[j.item].criterion == c.id for j in labelled)] + [ALL]
    rows: list[list[object]] = []
    for scope in scopes:
        units = {j.where: {r: int(v) for r, v in j.ratings().items()} for j in labelled
                 if scope == ALL or by_id[j.item].criterion == scope}
        raters = sorted({r for u in units.values() for r in u}, key=lambda r: (r != JUDGE, r))
        a = agreement(units, raters)
        rows.append([scope, "percent", "+".join(raters), a.n_units, _fmt(a.percent)])
        pairs = sorted(((y, x) if y == JUDGE else (x, y), k) for (x, y), k in a.cohen.items())
        rows += [[scope, "cohen", f"{x}+{y}", sum(x in u and y in u for u in units.values()), _fmt(k)]
                 for (x, y), k in sorted(pairs, key=_judge_first)]
        if len(raters) > 2:
            rows.append([scope, "fleiss", "+".join(raters), a.n_units, _fmt(a.fleiss)])
        rows.append([scope, "krippendorff_alpha", "+".join(raters), a.n_units, _fmt(a.alpha)])
    return rows


def _judge_first(pair: tuple[tuple[str, str], float]) -> tuple[bool, str, str]:
    (x, y), _ = pair
    return x != JUDGE, x, y


def _fmt(value: float) -> str:
    return "" if value != value else f"{value:.4f}"  # NaN (undefined) is left empty


@dataclass(frozen=True)
class ResultsTables:
    shares: list[Share]
    agreement: list[list[object]]
    files: list[Path]


def write_results(ev: Evaluation, judgements: Sequence[Judgement], build_dir: Path, *, figures: bool = True
                  ) -> ResultsTables:
    """``tables/eval_results.csv``, ``tables/eval_agreement.csv`` (with human labels) and the figure."""
    table = shares(ev, judgements)
    agree = agreement_rows(ev, judgements)
    tables = build_dir / "tables"
    files = [write_table(tables / "eval_results.csv", RESULT_COLUMNS, result_rows(ev, table))]
    if agree:
        files.append(write_table(tables / "eval_agreement.csv", AGREEMENT_COLUMNS, agree))
    else:
        (tables / "eval_agreement.csv").unlink(missing_ok=True)
    if figures and table:
        from mapping_review.publish.figures import eval_results

        labels = {c.id: criterion_title(c) for c in ev.criteria}
        files += eval_results([(s.criterion, s.model, s.share, s.low, s.high) for s in table if s.condition == ALL],
                              labels, build_dir / "figures")
    return ResultsTables(table, agree, files)


@dataclass(frozen=True)
class ResultsReport:
    tables: ResultsTables
    files_read: list[Path]
    n_judgements: int
    warnings: list[str]


def project_results(project: Project, paths: Sequence[Path], *, items_path: Path | None = None) -> ResultsReport:
    """``mapping-review criteria results``: read judged responses, write the tables and the figure."""
    from mapping_review.project.settings import load_settings
    from mapping_review.publish.evaluation import load_evaluation
    from mapping_review.publish.results import read_results

    ev = load_evaluation(project, items_path=items_path)
    if ev.items is None:
        raise ConfigError(f"{project.root / ITEMS_FILE}: no evaluation items; results are read against them")
    read = read_results(list(paths), ev.items)
    if not read.judgements:
        raise ConfigError(f"no judged responses in {', '.join(map(str, paths))} (files read: {len(read.files)})")
    tables = write_results(ev, read.judgements, project.build_dir, figures=load_settings(project.root).figures)
    return ResultsReport(tables, read.files, len(read.judgements), read.warnings)
