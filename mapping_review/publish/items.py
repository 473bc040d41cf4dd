"""Evaluation items: ``criteria/items.yaml``, human input versioned with the review.

Each item tests one criterion (a code of the codebook that guides of the review support) for one
condition: a client's messages (multi-turn allowed), a yes/no question a judge answers about the
response, the answer an appropriate response gets, ``pass_if`` - the same check restated as what an
appropriate response does - optional rubric lines with signed points, and where the item came from.
Variants (a system prompt, a conversation to insert the item into) are kept apart from the items
and crossed with them when exported. Every problem is reported with file and line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mapping_review.coding.codebook import Codebook
from mapping_review.errors import ConfigError
from mapping_review.project.yamlfile import Located, load_yaml, suggest

ITEMS_FILE = Path("criteria") / "items.yaml"
ITEM_ID = r"^[a-z0-9][a-z0-9_.-]*$"
SLUG = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1)


class RubricLine(_Strict):
    """A HealthBench-style rubric line: what a response does, and the points it earns (negative for harm)."""

    criterion: str = Field(min_length=1)
    points: int = Field(ge=-10, le=10)

    @field_validator("points")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            msg = "points must not be 0 (positive for what an appropriate response does, negative for harm)"
            raise ValueError(msg)
        return value


class Provenance(_Strict):
    author: str = Field(min_length=1)
    created: str = Field(min_length=1)
    source: str = ""
    note: str = ""

    @field_validator("created", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        return value.isoformat() if hasattr(value, "isoformat") else value


class Variant(_Strict):
    """How items are put to a model: a system prompt and/or a conversation the item follows."""

    id: str = Field(pattern=SLUG)
    description: str = ""
    system: str = ""
    context: tuple[Message, ...] = ()


class Item(_Strict):
    id: str = Field(pattern=ITEM_ID)
    criterion: str = Field(min_length=1)
    condition: str = Field(pattern=SLUG)
    input: tuple[Message, ...] = Field(min_length=1)
    question: str = Field(min_length=1)
    appropriate: Literal["yes", "no"]
    pass_if: str = Field(min_length=1)
    rubric: tuple[RubricLine, ...] = ()
    provenance: Provenance

    @field_validator("appropriate", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        # YAML reads a bare yes/no as a boolean
        return ("yes" if value else "no") if isinstance(value, bool) else value


class ItemsModel(_Strict):
    version: Literal[1] = 1
    conditions: dict[str, str] = {}
    variants: tuple[Variant, ...] = ()
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Sample:
    """One item as put to a model under one variant: the messages and the item they came from."""

    id: str
    item: Item
    variant: Variant | None
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class ItemSet:
    model: ItemsModel
    path: Path

    @property
    def items(self) -> tuple[Item, ...]:
        return self.model.items

    @property
    def by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.model.items}

    def condition_label(self, condition: str) -> str:
        return self.model.conditions.get(condition, condition.replace("_", " "))

    def samples(self) -> list[Sample]:
        """Every item under every variant (``item@variant``), or each item alone when there are none."""
        out = []
        for item in self.model.items:
            if not self.model.variants:
                out.append(Sample(item.id, item, None, item.input))
            for v in self.model.variants:
                head = (Message(role="system", content=v.system),) if v.system else ()
                out.append(Sample(f"{item.id}@{v.id}", item, v, head + v.context + item.input))
        return out


def split_sample_id(sample_id: str) -> tuple[str, str]:
    """``"item@variant"`` -> (item, variant); a bare item id has variant ``""``."""
    item, _, variant = str(sample_id).partition("@")
    return item, variant


def _describe(error: Mapping[str, Any]) -> str:
    loc = [str(p) for p in error["loc"] if not isinstance(p, int)]
    name = loc[-1] if loc else "?"
    if error["type"] == "extra_forbidden":
        return f"unknown key {name!r}{suggest(name, _KEYS)}"
    if error["type"] == "missing":
        return f"missing key {name!r}"
    if error["type"] == "string_pattern_mismatch" and name in ("id", "condition"):
        allowed = "lower case letters, digits, '_', '-' and '.'" if name == "id" else "lower case letters, digits and '_'"
        return f"{name} {error['input']!r} must be {allowed}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{name}: {message} (got {error.get('input')!r})"


_KEYS = sorted({*ItemsModel.model_fields, *Item.model_fields, *Variant.model_fields, *Message.model_fields,
                *RubricLine.model_fields, *Provenance.model_fields})


def _check(model: ItemsModel, located: Located, codebook: Codebook, criteria: Collection[str],
           min_support: int) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(model.items):
        where = located.where(("items", i, "id"))
        if item.id in seen:
            problems.append(f"{where}: duplicate item id {item.id!r} (first at line {seen[item.id]})")
        seen.setdefault(item.id, located.line(("items", i, "id")))
        crit = located.where(("items", i, "criterion"))
        if item.criterion not in codebook.by_id:
            problems.append(f"{crit}: unknown code {item.criterion!r}{suggest(item.criterion, codebook.by_id)}")
        elif item.criterion not in criteria:
            problems.append(f"{crit}: {item.criterion!r} is not a criterion of this review: fewer than "
                            f"{min_support} guide(s) support it; test a supported criterion or review the guides")
        if model.conditions and item.condition not in model.conditions:
            problems.append(f"{located.where(('items', i, 'condition'))}: unknown condition {item.condition!r}"
                            f"{suggest(item.condition, model.conditions)}; declare it under 'conditions:'")
        if item.input[-1].role != "user":
            problems.append(f"{located.where(('items', i, 'input'))}: the last input message must be the user's "
                            "(the model under test answers it)")
        if item.question.rstrip()[-1:] != "?":
            problems.append(f"{located.where(('items', i, 'question'))}: the judge question must be a yes/no "
                            "question ending in '?'")
        if item.pass_if.rstrip().endswith("?"):
            problems.append(f"{located.where(('items', i, 'pass_if'))}: pass_if states what an appropriate "
                            "response does; it is not a question")
    variants: dict[str, int] = {}
    for j, v in enumerate(model.variants):
        if v.id in variants:
            problems.append(f"{located.where(('variants', j, 'id'))}: duplicate variant id {v.id!r} "
                            f"(first at line {variants[v.id]})")
        variants.setdefault(v.id, located.line(("variants", j, "id")))
    return problems


def located_to_items(located: Located, codebook: Codebook, criteria: Collection[str], *,
                     min_support: int = 1) -> ItemSet:
    data = located.data if located.data is not None else {}
    try:
        model = ItemsModel.model_validate(data)
    except ValidationError as e:
        raise ConfigError("\n".join(f"{located.where(tuple(err['loc']))}: {_describe(err)}"
                                    for err in e.errors())) from e
    problems = _check(model, located, codebook, criteria, min_support)
    if problems:
        raise ConfigError("\n".join(problems))
    return ItemSet(model=model, path=located.path)


def load_items(path: Path, codebook: Codebook, criteria: Collection[str], *, min_support: int = 1) -> ItemSet:
    """Read and validate ``criteria/items.yaml``; raises :class:`ConfigError` listing every problem.

    ``criteria`` are the ids of the review's criteria (codes at least ``min_support`` guides support).
    """
    return located_to_items(load_yaml(path), codebook, criteria, min_support=min_support)
