"""Evaluation criteria from the review: each code enough guides support becomes a criterion,
with its feature, definition, supporting guides and evidence quotes, and a prompt-ready text
rendered from an editable Jinja2 template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mapping_review.coding.codebook import Codebook
from mapping_review.coding.decide import rank_evidence
from mapping_review.coding.suggestions import Suggestion
from mapping_review.errors import ConfigError
from mapping_review.publish.summary import SummaryRow

PACKAGED_TEMPLATE = Path(__file__).parent / "templates" / "criteria_prompt.txt.j2"
TEMPLATE_NAME = "criteria_prompt.txt.j2"


@dataclass(frozen=True)
class Criterion:
    id: str
    feature: str
    label: str
    definition: str
    supported_by: tuple[str, ...]
    evidence: tuple[dict[str, Any], ...] = field(default=())

    @property
    def n_support(self) -> int:
        return len(self.supported_by)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "feature": self.feature, "label": self.label, "definition": self.definition,
                "supported_by": list(self.supported_by), "n_support": self.n_support,
                "evidence": [dict(e) for e in self.evidence]}


def criteria_from_summary(
    codebook: Codebook, rows: Sequence[SummaryRow], suggestions: Sequence[Suggestion], *,
    min_support: int = 1, quotes: int = 3,
) -> list[Criterion]:
    """Criteria for the codes at least ``min_support`` guides support, in codebook order.

    Evidence quotes come from supporting guides only, strongest first: each guide's in the order of
    ``rank_evidence`` (so its first quote is the one ``evidence.csv`` lists first), ties between guides
    in the summary's order of guides.
    """
    by_code: dict[str, list[Suggestion]] = {}
    for s in suggestions:
        by_code.setdefault(s.code, []).append(s)
    out = []
    for row in rows:
        if len(row.guides) < min_support:
            continue
        code = codebook.by_id[row.code]
        # in the summary's order of guides (a stable sort), so that rank_evidence breaks its last ties by it
        chosen = sorted((s for s in by_code.get(row.code, []) if s.guide in row.guides),
                        key=lambda s: row.guides.index(s.guide))
        picked = rank_evidence(chosen, bar=code.decision.min_score)[:quotes]
        evidence = tuple({"guide": s.guide, "page": s.page, "section": " > ".join(s.section), "quote": s.quote}
                         for s in picked)
        out.append(Criterion(code.id, code.feature_label, code.label, code.definition, row.guides, evidence))
    return out


def criteria_markdown(criteria: Sequence[Criterion], *, labels: Mapping[str, str], min_support: int) -> str:
    lines = ["# Evaluation criteria", "",
             f"Each criterion is a code that at least {min_support} guide(s) of the review address.", ""]
    feature = None
    for c in criteria:
        if c.feature != feature:
            feature = c.feature
            lines += [f"## {feature}", ""]
        title = c.label if c.label != c.feature else "Criterion"
        lines += [f"### {title} (`{c.id}`)", "", c.definition, "",
                  "Supported by: " + "; ".join(f"{labels.get(g, g)} [@{g}]" for g in c.supported_by), ""]
        for e in c.evidence:
            lines.append(f"> {e['quote']}  \n> -- {labels.get(e['guide'], e['guide'])}, p. {e['page']}")
            lines.append("")
    return "\n".join(lines)


def render_prompt(
    criteria: Sequence[Criterion], *, template: Path, review: Mapping[str, str], min_support: int, n_guides: int,
) -> str:
    """The prompt-ready text; a broken template is reported with its file and line."""
    import jinja2

    try:
        text = template.read_text(encoding="utf-8")
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
        compiled = env.from_string(text)
    except jinja2.TemplateSyntaxError as e:
        raise ConfigError(f"{template}:{e.lineno}: template error: {e.message}") from e
    except OSError as e:
        raise ConfigError(f"{template}: cannot read the template ({e})") from e
    features: list[dict[str, Any]] = []
    for c in criteria:
        if not features or features[-1]["feature"] != c.feature:
            features.append({"feature": c.feature, "criteria": []})
        features[-1]["criteria"].append(c.to_dict())
    try:
        return compiled.render(features=features, criteria=[c.to_dict() for c in criteria], review=dict(review),
                               min_support=min_support, n_guides=n_guides)
    except jinja2.TemplateError as e:
        line = _error_line(e)
        raise ConfigError(f"{template}:{line}: template error: {e}") from e


def _error_line(error: Exception) -> str:
    tb = error.__traceback__
    line = "?"
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = str(tb.tb_lineno)
        tb = tb.tb_next
    return line
