"""Fitting ``evidence-clf.v8`` from sentence labels, with cross-validation by guide.

Training items are rule suggestions whose unit and code carry a label: ``supports`` is a positive,
``mentions``, ``wrong_sense`` and ``boilerplate`` are negatives. Each code's prototypes (the centroids of
its supporting and of its other labelled sentences) are fitted on all items; a training item's own
prototype features come from the centroids of the *other* sources, as a new guide's would (were its own
sentence in the centroid, the model would learn to trust the feature far more than it deserves).
:func:`fit_evidence_model` returns the fitted model; :func:`cross_validate` holds out one source at a
time - a guide, or the family of sibling guides it belongs to (``Example.group``), so that neither a guide
nor its siblings help to score it - and returns the held-out probabilities with figures per held-out
source.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mapping_review.coding.evidence import MODEL, Density, EvidenceModel, Prototype, other_features, text_terms
from mapping_review.coding.suggestions import Suggestion

MIN_GUIDES = 2  # a text term must occur in labelled units of this many guides
MIN_DOCS = 3  # ... and in this many labelled units
C = 0.5  # inverse regularisation strength of the logistic regression
PROTOTYPE_TERMS = 100  # the heaviest terms each centroid keeps
CLASS_WEIGHT: str | None = "balanced"  # supports and the rest weigh alike in the fit


@dataclass(frozen=True)
class Example:
    suggestion: Suggestion
    label: bool
    density: Density | None = None  # of the suggestion's guide (every suggestion, labelled or not)
    group: str = ""  # the family of sibling guides it comes from (its guide when empty)

    @property
    def source(self) -> str:
        """What counts as one source of evidence: the guide's family, or the guide."""
        return self.group or self.suggestion.guide


def _vocabulary(examples: Sequence[Example]) -> tuple[dict[str, int], tuple[float, ...]]:
    guides_of: dict[str, set[str]] = {}
    docs: Counter[str] = Counter()
    texts = {(e.suggestion.guide, e.suggestion.segment): e.suggestion.quote for e in examples}
    for (guide, _), text in texts.items():
        for term in set(text_terms(text)):
            guides_of.setdefault(term, set()).add(guide)
            docs[term] += 1
    terms = sorted(t for t, gs in guides_of.items() if len(gs) >= MIN_GUIDES and docs[t] >= MIN_DOCS)
    n = len(texts)
    idf = tuple(math.log((1 + n) / (1 + docs[t])) + 1.0 for t in terms)
    return {t: i for i, t in enumerate(terms)}, idf


def fit_evidence_model(examples: Sequence[Example], *, definitions: Mapping[str, dict[str, int]] | None = None,
                       meta: Mapping[str, object] | None = None, random_state: int = 0) -> EvidenceModel:
    """A model fitted to ``examples`` (they need both classes); ``definitions`` are the codes' own words
    (:func:`code_definitions`)."""
    defs = {c: dict(d) for c, d in (definitions or {}).items()}
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    vocabulary, idf = _vocabulary(examples)
    empty = EvidenceModel(vocabulary, idf, tuple(0.0 for _ in idf), {}, 0.0)
    vectors = {q: empty.text_vector(q) for q in {e.suggestion.quote for e in examples}}  # each sentence once
    guides_of: dict[str, set[str]] = {}
    feats = [other_features(e.suggestion, defs, e.density) for e in examples]
    for e, f in zip(examples, feats):
        for k in f:
            guides_of.setdefault(k, set()).add(e.suggestion.guide)
    other_names = sorted(k for k, gs in guides_of.items()
                         if len(gs) >= MIN_GUIDES or k.startswith(("code:", "cue:", "defsim", "dens_")))
    other_index = {k: i for i, k in enumerate(other_names)}
    rows_t, cols_t, vals_t, rows_o, cols_o, vals_o = [], [], [], [], [], []
    for i, (e, f) in enumerate(zip(examples, feats)):
        for j, v in vectors[e.suggestion.quote].items():
            rows_t.append(i)
            cols_t.append(j)
            vals_t.append(v)
        for k, v in f.items():
            if k not in other_index:
                continue
            rows_o.append(i)
            cols_o.append(other_index[k])
            vals_o.append(v)
    for name in PROTOTYPE_FEATURES:
        other_index[name] = len(other_names)
        other_names.append(name)
    held_out = {source: prototypes_of([e for e in examples if e.source != source], empty, vectors)
                for source in sorted({e.source for e in examples})}
    for i, e in enumerate(examples):
        prototype = held_out[e.source].get(e.suggestion.code)
        if prototype is not None:
            for k, v in prototype.features(vectors[e.suggestion.quote]).items():
                rows_o.append(i)
                cols_o.append(other_index[k])
                vals_o.append(v)
    x = hstack([csr_matrix((vals_t, (rows_t, cols_t)), shape=(len(examples), len(vocabulary))),
                csr_matrix((vals_o, (rows_o, cols_o)), shape=(len(examples), len(other_names)))]).tocsr()
    y = np.array([int(e.label) for e in examples])
    clf = LogisticRegression(C=C, class_weight=CLASS_WEIGHT, max_iter=5000, random_state=random_state).fit(x, y)
    coef = clf.coef_[0]
    text_coef = tuple(float(c) for c in coef[: len(vocabulary)])
    offset = len(vocabulary)
    other_coef = {k: float(coef[offset + i]) for k, i in other_index.items() if abs(coef[offset + i]) > 1e-9}
    return EvidenceModel(vocabulary, idf, text_coef, other_coef, float(clf.intercept_[0]), name=MODEL,
                         meta=dict(meta or {}), definitions=defs, prototypes=prototypes_of(examples, empty, vectors))


PROTOTYPE_FEATURES = ("proto_pos", "proto_diff")


def prototypes_of(examples: Sequence[Example], model: EvidenceModel,
                  vectors: Mapping[str, dict[int, float]] | None = None) -> dict[str, Prototype]:
    """Each code's centroids of its supporting and of its other labelled sentences, in ``model``'s terms
    (each kept to its ``PROTOTYPE_TERMS`` heaviest terms, at unit length); ``vectors`` holds the sentences'
    :meth:`~EvidenceModel.text_vector`, when they are at hand."""
    sums: dict[tuple[str, bool], dict[int, float]] = {}
    for e in examples:
        total = sums.setdefault((e.suggestion.code, e.label), {})
        vector = vectors[e.suggestion.quote] if vectors is not None else model.text_vector(e.suggestion.quote)
        for j, v in vector.items():
            total[j] = total.get(j, 0.0) + v
    out = {}
    for code in sorted({code for code, _ in sums}):
        parts = []
        for label in (True, False):
            heaviest = sorted(sums.get((code, label), {}).items(), key=lambda jw: (-jw[1], jw[0]))[:PROTOTYPE_TERMS]
            norm = math.sqrt(sum(w * w for _, w in heaviest)) or 1.0
            parts.append({j: w / norm for j, w in heaviest})
        out[code] = Prototype(parts[0], parts[1])
    return out


@dataclass(frozen=True)
class FoldReport:
    guide: str  # the held-out source: a guide, or a family of guides
    n_positive: int
    n_negative: int
    auc: float | None
    precision: float | None  # at probability 0.5
    recall: float | None


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return None
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def cross_validate(examples: Sequence[Example], *, definitions: Mapping[str, dict[str, int]] | None = None,
                   ) -> tuple[dict[int, float], list[FoldReport]]:
    """Leave one source out (a guide, or a family of guides): each example's held-out probability (by
    index) and a report per source."""
    guides = sorted({e.source for e in examples})
    held: dict[int, float] = {}
    reports = []
    for guide in guides:
        train = [e for e in examples if e.source != guide]
        test = [(i, e) for i, e in enumerate(examples) if e.source == guide]
        if len({e.label for e in train}) < 2:
            continue
        model = fit_evidence_model(train, definitions=definitions)
        probs = [model.probability(e.suggestion, e.density) for _, e in test]
        for (i, _), p in zip(test, probs):
            held[i] = p
        labels = [e.label for _, e in test]
        predicted = [p >= 0.5 for p in probs]
        tp = sum(a and b for a, b in zip(predicted, labels))
        reports.append(FoldReport(
            guide, sum(labels), len(labels) - sum(labels), auc(probs, labels),
            tp / sum(predicted) if any(predicted) else None, tp / sum(labels) if any(labels) else None,
        ))
    return held, reports
