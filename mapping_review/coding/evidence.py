"""``evidence-clf.v8``: how likely a rule suggestion is evidence that the guide addresses the code.

A logistic regression over

- the unit's words and word pairs (TF-IDF, sublinear; only terms seen in labelled sentences of at
  least two guides, so one guide's phrasing is never learnt),
- the matched words (``m:``) and the code (``code:``),
- the words either side of the matched words (``wb:``, ``wa:``, and by code ``wc:``): what tells one
  sense of a word from another ("NHS trust", "practice work", "care home"),
- the rule coder's own view (strong or weak pattern group, several terms, a heading, a title),
- the cues of :mod:`cues`: who acts, what kind of sentence, which section,
- how like the code's supporting sentences, and how like its other labelled sentences, the unit is
  (``proto_pos``, ``proto_diff``: cosine similarity of its TF-IDF terms with each code's two centroids of
  labelled sentences; new in ``v5``, where a passing mention reads unlike what supports the code).

``v6`` is ``v5``'s model trained on 778 more development labels (round 8); ``v7`` is the same model trained
on the training guides' labels too (round 10: every label but the test part's); ``v8`` is ``v7``'s model
trained again after round 11's wording gave new candidates (154 more labels).

The fitted model is a small JSON file (vocabulary, idf, coefficients) read without scikit-learn;
:mod:`evidence_fit` trains it from sentence labels and reports its cross-validated figures.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from mapping_review.coding.cues import sentence_cues
from mapping_review.coding.hygiene import blank_glyphs
from mapping_review.coding.suggestions import Suggestion
from mapping_review.coding.versions import EVIDENCE_MODEL
from mapping_review.errors import ConfigError

MODEL = EVIDENCE_MODEL
MODEL_FILE = f"{MODEL}.json"
_TOKEN = re.compile(r"[^\W\d_]+|\d+")


def words(text: str) -> list[str]:
    """Lower-case word tokens; numbers become ``#``."""
    return list(_words(text))


@lru_cache(maxsize=256)  # a candidate's sentence and headings are read several times, and by its neighbours
def _words(text: str) -> tuple[str, ...]:
    return tuple("#" if t.isdigit() else t for t in _TOKEN.findall(blank_glyphs(text).lower()))


def text_terms(text: str) -> list[str]:
    """Words and adjacent word pairs of ``text`` (with repeats)."""
    ws = words(text)
    return ws + [f"{a} {b}" for a, b in zip(ws, ws[1:])]


STOP = frozenset((
    "the", "and", "for", "with", "that", "this", "are", "from", "their", "they", "have", "has", "can", "may",
    "should", "will", "been", "into", "about", "which", "when", "what", "who", "how", "also", "not", "any", "all",
    "its", "our", "your", "you", "his", "her", "them", "than", "then", "such", "other", "more", "most", "some",
    "each", "these", "those", "there", "were", "was", "being", "where", "while", "would", "could",
))


def content_words(text: str) -> list[str]:
    return [w for w in _words(text) if len(w) > 2 and w not in STOP]


def code_definitions(codebook: Any) -> dict[str, dict[str, int]]:
    """Each code's own words: label, feature label, definition, include notes and examples (word counts)."""
    out = {}
    for c in codebook.codes:
        counts: dict[str, int] = {}
        for w in content_words(" ".join([c.label, c.feature_label, c.definition, *c.include, *c.examples])):
            counts[w] = counts.get(w, 0) + 1
        out[c.id] = counts
    return out


def definition_similarity(text: str, definition: dict[str, int]) -> float:
    """Cosine similarity of a sentence's content words with a code's definition words."""
    counts: dict[str, int] = {}
    for w in content_words(text):
        counts[w] = counts.get(w, 0) + 1
    num = sum(n * definition.get(w, 0) for w, n in counts.items())
    den = math.sqrt(sum(n * n for n in counts.values())) * math.sqrt(sum(n * n for n in definition.values()))
    return num / den if den else 0.0


@dataclass(frozen=True)
class Density:
    """How many suggestions of each code a guide has, per section, per chapter (top two headings) and in all:
    evidence that stands alone in a section about something else is often a passing word."""

    by_section: dict[tuple[str, str, tuple[str, ...]], int] = field(default_factory=dict)
    by_chapter: dict[tuple[str, str, tuple[str, ...]], int] = field(default_factory=dict)
    by_code: dict[tuple[str, str], int] = field(default_factory=dict)


def density_of(suggestions: Iterable[Suggestion]) -> Density:
    density = Density()
    for s in suggestions:
        section, chapter, code = (s.guide, s.code, s.section), (s.guide, s.code, s.section[:2]), (s.guide, s.code)
        density.by_section[section] = density.by_section.get(section, 0) + 1
        density.by_chapter[chapter] = density.by_chapter.get(chapter, 0) + 1
        density.by_code[code] = density.by_code.get(code, 0) + 1
    return density


def other_features(s: Suggestion, definitions: dict[str, dict[str, int]] | None = None,
                   density: Density | None = None) -> dict[str, float]:
    """Every feature but the text terms: code, matched words, the code's own words in the sentence and in
    its heading, how close both are to the code's definition, how dense the code's suggestions are around
    it, the rule coder's view, the cues and the headings."""
    feats = {f"code:{s.code}": 1.0}
    heading = s.section[-1] if s.section else ""
    for w in _distinct(tuple(content_words(heading))):
        feats[f"ch:{s.code}|{w}"] = 0.3
    if density is not None:
        feats["dens_section"] = math.log1p(max(density.by_section.get((s.guide, s.code, s.section), 1) - 1, 0))
        feats["dens_chapter"] = math.log1p(max(density.by_chapter.get((s.guide, s.code, s.section[:2]), 1) - 1, 0))
        feats["dens_guide"] = math.log1p(density.by_code.get((s.guide, s.code), 1)) / 3
    for w in _distinct(tuple(content_words(s.quote))):
        feats[f"cw:{s.code}|{w}"] = 0.3
    if definitions is not None and s.code in definitions:
        sim = definition_similarity(s.quote, definitions[s.code])
        feats["defsim"] = 5.0 * sim
        feats["defsim_any"] = float(sim > 0.1)
        feats["defsim_heading"] = 5.0 * definition_similarity(" ".join(s.section[-2:]), definitions[s.code])
    for w in words(s.match):
        feats[f"m:{w}"] = 1.0
    feats["rule_strong"] = float(s.weight >= 1.0)
    feats["rule_terms"] = float(min(s.n_terms, 3) - 1)
    for name, value in sentence_cues(s.quote, s.section, role=s.role, heading=s.kind == "heading").items():
        if value:
            feats[f"cue:{name}"] = value
    before, after = window_words(s)
    for w in before:
        feats[f"wb:{w}"] = 0.5
        feats[f"wc:{s.code}|{w}"] = 0.5
    for w in after:
        feats[f"wa:{w}"] = 0.5
        feats[f"wc:{s.code}|{w}"] = 0.5
    inner = s.section[-1] if s.section else ""
    inner_words = _distinct(tuple(words(inner)))
    for w in inner_words:
        feats[f"h:{w}"] = 1.0
    for w in _distinct(tuple(words(" ".join(s.section[:-1])))):
        if w not in inner_words:
            feats[f"p:{w}"] = 0.5
    return feats


@lru_cache(maxsize=256)
def _distinct(items: tuple[str, ...]) -> dict[str, None]:
    """``items`` once each, in the order they first come: a set's order changes from one process to the
    next (string hashing is salted), and the order of the features is the order their weights are added
    in, so the scores would too, in their last digits."""
    return dict.fromkeys(items)


WINDOW = 3  # words either side of the matched words that are features of their own


def window_words(s: Suggestion) -> tuple[list[str], list[str]]:
    """Up to ``WINDOW`` words before and after the matched words (what tells one sense from another)."""
    return words(s.quote[: s.match_start])[-WINDOW:], words(s.quote[s.match_end:])[:WINDOW]


PROTOTYPE_SCALE = 5.0  # cosine similarities are small: scaled to the range of the other features


@dataclass(frozen=True)
class Prototype:
    """A code's two centroids of labelled sentences (TF-IDF term index -> weight, unit length): those that
    support the code and the others (mentions, wrong sense, boilerplate)."""

    supports: dict[int, float]
    others: dict[int, float]

    def features(self, vector: dict[int, float]) -> dict[str, float]:
        """``proto_pos``: how like the supporting sentences ``vector`` (a unit's terms) is; ``proto_diff``: how
        much more like them than like the others."""
        pos = sum(v * self.supports.get(j, 0.0) for j, v in vector.items())
        neg = sum(v * self.others.get(j, 0.0) for j, v in vector.items())
        return {"proto_pos": PROTOTYPE_SCALE * pos, "proto_diff": PROTOTYPE_SCALE * (pos - neg)}

    def to_dict(self) -> dict[str, list[list[float]]]:
        return {name: [[j, round(w, 5)] for j, w in sorted(part.items())]
                for name, part in (("supports", self.supports), ("others", self.others))}

    @classmethod
    def from_dict(cls, data: dict[str, list[list[float]]]) -> Prototype:
        return cls({int(j): float(w) for j, w in data["supports"]}, {int(j): float(w) for j, w in data["others"]})


@dataclass(frozen=True)
class EvidenceModel:
    """A fitted model: text vocabulary with idf, and a coefficient per feature."""

    vocabulary: dict[str, int]
    idf: tuple[float, ...]
    text_coef: tuple[float, ...]
    coef: dict[str, float]
    intercept: float
    name: str = MODEL
    meta: dict[str, Any] = field(default_factory=dict)
    definitions: dict[str, dict[str, int]] = field(default_factory=dict)
    prototypes: dict[str, Prototype] = field(default_factory=dict)  # by code (none in a v4 model)

    def text_vector(self, text: str) -> dict[int, float]:
        counts: dict[int, int] = {}
        for term in text_terms(text):
            j = self.vocabulary.get(term)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        vec = {j: (1.0 + math.log(n)) * self.idf[j] for j, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {j: v / norm for j, v in vec.items()}

    def decision(self, s: Suggestion, density: Density | None = None, vector: dict[int, float] | None = None) -> float:
        """The decision function; ``vector`` is the quote's :meth:`text_vector`, when it is at hand."""
        vector = self.text_vector(s.quote) if vector is None else vector
        z = self.intercept + sum(self.text_coef[j] * v for j, v in vector.items())
        z += sum(self.coef.get(k, 0.0) * v for k, v in other_features(s, self.definitions, density).items())
        prototype = self.prototypes.get(s.code)
        if prototype is not None:
            z += sum(self.coef.get(k, 0.0) * v for k, v in prototype.features(vector).items())
        return z

    def probability(self, s: Suggestion, density: Density | None = None, vector: dict[int, float] | None = None) -> float:
        z = self.decision(s, density, vector)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def score(self, suggestions: Sequence[Suggestion]) -> list[Suggestion]:
        """The suggestions (every suggestion of the guides concerned) with their ``evidence`` probability
        and the model's name."""
        density = density_of(suggestions)
        vectors: dict[str, dict[int, float]] = {}  # a sentence is often a candidate for several codes
        out = []
        for s in suggestions:
            if s.quote not in vectors:
                vectors[s.quote] = self.text_vector(s.quote)
            p = self.probability(s, density, vectors[s.quote])
            out.append(replace(s, evidence=round(p, 4), model=self.name))
        return out

    def to_dict(self) -> dict[str, Any]:
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            "name": self.name, "meta": self.meta, "intercept": round(self.intercept, 6),
            "terms": terms, "idf": [round(x, 5) for x in self.idf], "text_coef": [round(x, 6) for x in self.text_coef],
            "coef": {k: round(v, 6) for k, v in sorted(self.coef.items())},
            "definitions": {c: dict(sorted(d.items())) for c, d in sorted(self.definitions.items())},
            "prototypes": {c: p.to_dict() for c, p in sorted(self.prototypes.items())},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidenceModel:
        try:
            terms = data["terms"]
            return cls(vocabulary={t: i for i, t in enumerate(terms)}, idf=tuple(data["idf"]),
                       text_coef=tuple(data["text_coef"]), coef=dict(data["coef"]), intercept=float(data["intercept"]),
                       name=data.get("name", MODEL), meta=data.get("meta", {}),
                       definitions={c: dict(d) for c, d in data.get("definitions", {}).items()},
                       prototypes={c: Prototype.from_dict(p) for c, p in data.get("prototypes", {}).items()})
        except (KeyError, TypeError, ValueError) as e:
            msg = f"not an evidence model: {e}"
            raise ConfigError(msg) from e


def save_model(model: EvidenceModel, path: Path) -> Path:
    from mapping_review.files import write_atomic

    write_atomic(path, json.dumps(model.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")
    return path


def load_model(path: Path) -> EvidenceModel:
    try:
        return EvidenceModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as e:
        msg = f"{path}: cannot read the evidence model ({e})"
        raise ConfigError(msg) from e


@lru_cache(maxsize=1)
def shipped_model() -> EvidenceModel | None:
    """The model shipped with the package (``mapping_review/coding/models/evidence-clf.v8.json``)."""
    path = resources.files("mapping_review.coding").joinpath("models", MODEL_FILE)
    if not path.is_file():
        return None
    return EvidenceModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
