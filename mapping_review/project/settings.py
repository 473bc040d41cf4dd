"""Project settings: ``review.yaml`` at the project root (optional; defaults below)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mapping_review.errors import ConfigError
from mapping_review.project.yamlfile import load_yaml, suggest

SETTINGS_FILE = "review.yaml"
# The extract stage's default engine (a test keeps the two equal; settings sit before that stage).
DEFAULT_ENGINE = "pdfium.v1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BuildSettings(_Strict):
    engine: str = DEFAULT_ENGINE
    nlp: str = "auto"
    calibrate: bool = True


class CriteriaSettings(_Strict):
    min_support: int = Field(default=1, ge=1)  # guides that must address a code for it to become a criterion
    quotes: int = Field(default=3, ge=0, le=20)  # evidence quotes kept per criterion


class ReviewSettings(_Strict):
    """Who may settle disagreements between reviewers."""

    # named adjudicators; empty: anyone who is not a party to the disagreement
    adjudicators: tuple[str, ...] = ()
    # may a reviewer settle a disagreement in which they gave an answer?
    parties_may_settle: bool = False


class Settings(_Strict):
    title: str = ""
    description: str = ""
    build: BuildSettings = BuildSettings()
    criteria: CriteriaSettings = CriteriaSettings()
    review: ReviewSettings = ReviewSettings()
    figures: bool = True


def load_settings(root: Path) -> Settings:
    """``review.yaml`` validated, or the defaults when the project has none."""
    path = root / SETTINGS_FILE
    if not path.exists():
        return Settings()
    located = load_yaml(path)
    try:
        return Settings.model_validate(located.data or {})
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc: tuple[Any, ...] = tuple(err["loc"])
            name = str(loc[-1]) if loc else "?"
            if err["type"] == "extra_forbidden":
                what = f"unknown setting {name!r}{suggest(name, _known(loc))}"
            elif err["type"] in ("tuple_type", "list_type"):
                what = f"{'.'.join(map(str, loc))}: must be a list, e.g. [{err.get('input')}]"
            else:
                what = f"{'.'.join(map(str, loc))}: {err['msg']} (got {err.get('input')!r})"
            problems.append(f"{located.where(loc)}: {what}")
        raise ConfigError("\n".join(problems)) from e


def _known(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(part)
        if field is None or not isinstance(field.annotation, type) or not issubclass(field.annotation, BaseModel):
            return []
        model = field.annotation
    return list(model.model_fields)
