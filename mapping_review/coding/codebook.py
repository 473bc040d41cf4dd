"""The codebook: features, their codes, definitions, and the patterns the rule coder uses.

``codebook.yaml`` is validated with exact messages (file, line, what is
wrong): unknown keys with a suggestion, duplicate ids, token patterns that
spaCy's Matcher refuses. A feature with sub-values has one code per
sub-value (``feature/sub_value``); a feature without is a code itself.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mapping_review.coding.split_phrases import check_split_phrases
from mapping_review.errors import ConfigError
from mapping_review.project.yamlfile import Located, load_yaml, suggest

ID_PATTERN = r"^[a-z][a-z0-9_]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Patterns(_Strict):
    """A group of patterns with one weight. ``phrases`` match lower-cased tokens,
    ``lemmas`` match lemmas, ``tokens`` are spaCy Matcher patterns; ``require_any``
    and ``exclude_any`` restrict this group's matches like a code's ``context``."""

    phrases: tuple[str, ...] = ()
    lemmas: tuple[str, ...] = ()
    tokens: tuple[tuple[dict[str, Any], ...], ...] = ()
    weight: float = Field(default=1.0, gt=0, le=10)
    require_any: tuple[str, ...] = ()
    exclude_any: tuple[str, ...] = ()


PatternGroups = tuple[Patterns, ...]


def _groups(value: Any) -> Any:
    """``patterns:`` may be one group (a mapping) or a list of groups."""
    return [value] if isinstance(value, dict) else value


class Context(_Strict):
    """Sentence-level conditions on a match: at least one of ``require_any`` must
    occur in the sentence; none of ``exclude_any`` may (negation, false friends)."""

    require_any: tuple[str, ...] = ()
    exclude_any: tuple[str, ...] = ()


class DecisionRule(_Strict):
    """When a guide has a code (``source=auto``), from evidence scores in [0, 1]: one passage scoring
    at least ``min_score``; or passages in at least ``min_sections`` sections, each scoring at least
    ``min_weak``, whose combined score ``1 - prod(1 - s)`` reaches ``min_total``. Either way at least
    ``min_evidence`` passages."""

    min_score: float = Field(default=0.5, ge=0, le=1)
    min_sections: int = Field(default=2, ge=1)
    min_weak: float = Field(default=0.3, ge=0, le=1)
    min_total: float = Field(default=0.85, ge=0, le=1)
    min_evidence: int = Field(default=1, ge=1)


class LeadingCodes(_Strict):
    """Codes a guide leads with: a code whose best passage scores at least ``min_score`` is present when
    it is among the ``share`` of the codebook's codes that score best in that guide, though its own rule
    does not decide it. Scores run lower on guides unlike those the classifier learnt from; the codes a
    guide has most evidence for are still the ones it is most likely to address."""

    share: float = Field(ge=0, le=1)
    min_score: float = Field(ge=0, le=1)


class _Described(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    renamed_from: tuple[str, ...] = ()  # the code's earlier ids: decisions made under them count for it


class SubValue(_Described):
    patterns: PatternGroups = ()
    context: Context = Context()
    decision: DecisionRule | None = None

    _as_groups = field_validator("patterns", mode="before")(_groups)


class Feature(_Described):
    codes: tuple[SubValue, ...] = ()
    patterns: PatternGroups = ()
    context: Context = Context()
    decision: DecisionRule | None = None

    _as_groups = field_validator("patterns", mode="before")(_groups)


class CodebookModel(_Strict):
    name: str = Field(min_length=1)
    version: str = "1"
    description: str = ""
    decision: DecisionRule = DecisionRule()
    leading: LeadingCodes | None = None  # off unless the codebook sets it
    skip_sections: tuple[str, ...] = ()  # matches under these headings do not count
    features: tuple[Feature, ...] = ()


@dataclass(frozen=True)
class Code:
    """One binary code of the codebook, flattened for the coders."""

    id: str
    feature: str
    feature_label: str
    label: str  # the paper's cell value for a sub-value, the column header otherwise
    definition: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    examples: tuple[str, ...]
    patterns: PatternGroups
    context: Context
    decision: DecisionRule
    is_sub_value: bool
    own_rule: bool = False  # the decision rule is set on the code or its feature, not the codebook-wide one


@dataclass(frozen=True)
class Codebook:
    """A validated codebook."""

    model: CodebookModel
    path: Path | None = None

    @cached_property
    def codes(self) -> tuple[Code, ...]:
        out = []
        default = self.model.decision
        for f in self.model.features:
            if not f.codes:
                out.append(Code(f.id, f.id, f.label, f.label, f.definition, f.include, f.exclude, f.examples,
                                f.patterns, f.context, f.decision or default, False, f.decision is not None))
            for c in f.codes:
                out.append(Code(f"{f.id}/{c.id}", f.id, f.label, c.label, c.definition, c.include, c.exclude,
                                c.examples, c.patterns, c.context, c.decision or f.decision or default, True,
                                (c.decision or f.decision) is not None))
        return tuple(out)

    @cached_property
    def by_id(self) -> dict[str, Code]:
        return {c.id: c for c in self.codes}

    @cached_property
    def renamed(self) -> dict[str, str]:
        """A code's earlier id (``renamed_from``; a renamed feature's sub-values too) -> its id now."""
        return {old: new for old, new, _ in _earlier_ids(self.model)}

    def current_id(self, code_id: str) -> str:
        """``code_id`` as the codebook names the code now (an earlier id of a renamed code: its id now)."""
        return self.renamed.get(code_id, code_id)

    @property
    def features(self) -> tuple[Feature, ...]:
        return self.model.features

    def code(self, code_id: str) -> Code:
        try:
            return self.by_id[code_id]
        except KeyError:
            raise ConfigError(f"unknown code {code_id!r}{suggest(code_id, self.by_id)}") from None


def _describe(error: Any) -> str:
    loc = [str(p) for p in error["loc"] if not isinstance(p, int)]
    name = loc[-1] if loc else "?"
    if error["type"] == "extra_forbidden":
        parent_fields = _fields_at(error["loc"])
        return f"unknown key {name!r}{suggest(name, parent_fields)}"
    if error["type"] == "missing":
        return f"missing key {name!r}"
    if error["type"] == "string_pattern_mismatch" and name == "id":
        return f"id {error['input']!r} must be lower case letters, digits and '_' (starting with a letter)"
    return f"{name}: {error['msg']} (got {error.get('input')!r})"


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The known keys of the mapping that holds ``loc`` (for suggestions)."""
    model: Any = CodebookModel
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not candidates:
            return []
        model = candidates[0]
    return list(model.model_fields)


def _check_ids(model: CodebookModel, located: Located) -> list[str]:
    problems = []
    seen: dict[str, int] = {}
    for i, feature in enumerate(model.features):
        line = located.line(("features", i, "id"))
        if feature.id in seen:
            problems.append(f"{located.path}:{line}: duplicate feature id {feature.id!r} (first at line {seen[feature.id]})")
        seen.setdefault(feature.id, line)
        sub_seen: dict[str, int] = {}
        for j, code in enumerate(feature.codes):
            if "," in code.label:  # a coding sheet's cell lists sub-values separated by commas
                problems.append(f"{located.path}:{located.line(('features', i, 'codes', j, 'label'))}: the label "
                                f"{code.label!r} holds a comma, which a coding sheet's cell separates sub-values with; "
                                "word it without one")
            line = located.line(("features", i, "codes", j, "id"))
            if code.id in sub_seen:
                msg = f"duplicate code id {feature.id}/{code.id} (first at line {sub_seen[code.id]})"
                problems.append(f"{located.path}:{line}: {msg}")
            sub_seen.setdefault(code.id, line)
        for key, given in (("patterns", bool(feature.patterns)), ("context", feature.context != Context())):
            if feature.codes and given:
                line = located.line(("features", i, key))
                msg = f"feature {feature.id!r} has sub-values: put its {key} on the sub-values"
                problems.append(f"{located.path}:{line}: {msg}")
    return problems


def _earlier_ids(model: CodebookModel) -> list[tuple[str, str, tuple[Any, ...]]]:
    """(earlier id, id now, where it is written) for every ``renamed_from``; a renamed feature's sub-values too."""
    out: list[tuple[str, str, tuple[Any, ...]]] = []
    for i, f in enumerate(model.features):
        out += [(old, f.id, ("features", i, "renamed_from")) for old in f.renamed_from if not f.codes]
        for j, c in enumerate(f.codes):
            out += [(old, f"{f.id}/{c.id}", ("features", i, "codes", j, "renamed_from")) for old in c.renamed_from]
            out += [(f"{old}/{c.id}", f"{f.id}/{c.id}", ("features", i, "renamed_from")) for old in f.renamed_from]
    return out


_CODE_ID = re.compile(r"[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)?")  # feature or feature/sub_value (ID_PATTERN's parts)


def _check_renamed(codebook: Codebook, located: Located) -> list[str]:
    """An earlier id must be a code id, no code's id now, nor an earlier id of another code."""
    problems: list[str] = []
    owners: dict[str, str] = {}
    grouped = [(old, f.id, ("features", i, "renamed_from")) for i, f in enumerate(codebook.model.features) if f.codes
               for old in f.renamed_from]  # a feature with sub-values: its own earlier ids, checked too
    for old, new, loc in [*_earlier_ids(codebook.model), *grouped]:
        if not _CODE_ID.fullmatch(old):
            why = f"{old!r} is not a code id (feature or feature/sub_value: lower case, digits and _)"
        elif old in codebook.by_id:
            why = f"{old!r} is a code of this codebook; renamed_from names ids no longer in use"
        elif new in codebook.by_id and owners.setdefault(old, new) != new:
            why = f"{old!r} is also an earlier id of {owners[old]!r}"
        else:
            continue
        problems.append(f"{located.path}:{located.line(loc)}: {new}: {why}")
    return problems


def _check_patterns(codebook: Codebook, located: Located, *, compile_tokens: bool = True) -> list[str]:
    """Compile every token pattern with spaCy's Matcher (unless ``compile_tokens`` is False: they
    compiled before); report the ones it refuses, and empty phrases."""
    problems: list[str] = []
    if compile_tokens:
        from spacy.matcher import Matcher
        from spacy.vocab import Vocab

        vocab = Vocab()  # a pattern compiles or not whatever the language (and a pipeline costs a tenth of a second)
    for i, feature in enumerate(codebook.model.features):
        owners: list[tuple[tuple[Any, ...], PatternGroups, Context]] = [(("features", i), feature.patterns, feature.context)]
        owners += [(("features", i, "codes", j), c.patterns, c.context) for j, c in enumerate(feature.codes)]
        for loc, groups, context in owners:
            if any(not phrase.strip() for phrase in (*context.require_any, *context.exclude_any)):
                problems.append(f"{located.path}:{located.line((*loc, 'context'))}: empty phrase in context "
                                "(it would match every sentence): remove it or write the phrase")
            for g, group in enumerate(groups):
                where: tuple[Any, ...] = (*loc, "patterns", g) if len(groups) > 1 else (*loc, "patterns")
                for k, pattern in enumerate(group.tokens if compile_tokens else ()):
                    try:
                        Matcher(vocab, validate=True).add("check", [list(pattern)])
                    except (ValueError, KeyError, TypeError) as e:
                        line = located.line((*where, "tokens", k))
                        lines = str(e).strip().splitlines()
                        detail = next((ln.strip() for ln in lines if ln.strip().startswith("-")), lines[0] if lines else "")
                        problems.append(f"{located.path}:{line}: token pattern does not compile: {detail}")
                for phrase in (*group.phrases, *group.lemmas, *group.require_any, *group.exclude_any):
                    if not phrase.strip():
                        problems.append(f"{located.path}:{located.line(where)}: empty phrase in patterns")
    return problems


def _yaml_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """``loc`` as a path in the YAML: a single ``patterns`` mapping has no list index."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, dict):
            continue
        out.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def codebook_from_located(located: Located, *, compile_tokens: bool = True) -> Codebook:
    data = located.data if located.data is not None else {}
    try:
        model = CodebookModel.model_validate(data)
    except ValidationError as e:
        messages = [f"{located.path}:{located.line(_yaml_loc(data, tuple(err['loc'])))}: {_describe(err)}"
                    for err in e.errors()]
        raise ConfigError("\n".join(messages)) from e
    codebook = Codebook(model=model, path=located.path)
    problems = (_check_ids(model, located) + _check_renamed(codebook, located)
                + _check_patterns(codebook, located, compile_tokens=compile_tokens) + check_split_phrases(located))
    if problems:
        raise ConfigError("\n".join(problems))
    return codebook


COMPILED_MARKER = Path("build") / "cache" / "codebook-compiled.json"  # beside the codebook: what compiled


def load_codebook(path: Path) -> Codebook:
    """Read and validate ``codebook.yaml``; raises :class:`ConfigError` listing every problem.

    Read once per process for the same bytes. Compiling the token patterns needs spaCy (a second to
    import); a project remembers (``build/cache/codebook-compiled.json``) which codebook files
    compiled with which spaCy, so that a build with nothing to code does not import it.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return codebook_from_located(load_yaml(path))  # reports the missing file as load_yaml does
    return _load_codebook(path.resolve(), hashlib.sha256(data).hexdigest())


@lru_cache(maxsize=8)
def _load_codebook(path: Path, digest: str) -> Codebook:
    marker = path.parent / COMPILED_MARKER
    stamp = f"{digest} spacy-{_spacy_version()}"
    try:
        compiled = set(json.loads(marker.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        compiled = set()
    codebook = codebook_from_located(load_yaml(path), compile_tokens=stamp not in compiled)
    if stamp not in compiled and marker.parent.parent.is_dir():  # a project's codebook: its build/ is there
        marker.parent.mkdir(exist_ok=True)
        marker.write_text(json.dumps(sorted(compiled | {stamp})[-20:]) + "\n", encoding="utf-8")
    return codebook


def _spacy_version() -> str:
    try:
        return metadata.version("spacy")
    except metadata.PackageNotFoundError:
        return "absent"


_SPLIT = re.compile(r"\s*,\s*")


def split_cell(cell: str) -> list[str]:
    """The sub-value labels of a coding-sheet cell (``"Inpatient, Outpatient"``)."""
    return [part for part in _SPLIT.split(cell.strip()) if part]
