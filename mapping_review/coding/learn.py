"""``tfidf-logreg.v1``: a model learnt from reviewers' segment decisions that ranks suggestions.

Per code, segments reviewers accepted or added are positives and segments
they rejected are negatives; ``mapping_review.review.decisions.segment_labels``
turns decisions into these labels (the consensus reviewer's word wins over the
others'). A code is learnt once it has ``MIN_PER_CLASS`` of each; its
cross-validated precision and recall are reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from mapping_review.coding.suggestions import Suggestion
from mapping_review.coding.versions import RANKER
from mapping_review.segment.segments import Segment

MODEL = RANKER
MIN_PER_CLASS = 5


def make_tfidf_logreg(*, random_state: int = 0) -> Pipeline:
    return Pipeline([
        ("tfidf", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
        ("logreg", LogisticRegression(class_weight="balanced", max_iter=2000, random_state=random_state)),
    ])


LEARNERS = {MODEL: make_tfidf_logreg}


@dataclass(frozen=True)
class CodeReport:
    code: str
    n_positive: int
    n_negative: int
    precision: float
    recall: float


@dataclass
class SuggestionRanker:
    """Per-code fitted pipelines; ``fit`` returns ``self`` (the scikit-learn contract)."""

    learner: str = MODEL
    random_state: int = 0

    def fit(self, segments: Mapping[str, Segment], labels: Mapping[tuple[str, str], bool]) -> SuggestionRanker:
        self.models_: dict[str, Pipeline] = {}
        self.report_: list[CodeReport] = []
        by_code: dict[str, list[tuple[str, bool]]] = {}
        for (seg_id, code), value in sorted(labels.items()):
            if seg_id in segments:
                by_code.setdefault(code, []).append((segments[seg_id].text, value))
        for code, items in sorted(by_code.items()):
            texts, ys = [t for t, _ in items], [int(v) for _, v in items]
            pos, neg = sum(ys), len(ys) - sum(ys)
            if min(pos, neg) < MIN_PER_CLASS:
                continue
            folds = StratifiedKFold(n_splits=min(5, pos, neg), shuffle=True, random_state=self.random_state)
            predicted = cross_val_predict(LEARNERS[self.learner](random_state=self.random_state), texts, ys, cv=folds)
            self.report_.append(CodeReport(
                code, pos, neg, float(precision_score(ys, predicted, zero_division=0)),
                float(recall_score(ys, predicted, zero_division=0)),
            ))
            self.models_[code] = LEARNERS[self.learner](random_state=self.random_state).fit(texts, ys)
        return self

    def rank(self, suggestions: Sequence[Suggestion]) -> list[tuple[Suggestion, float | None]]:
        """Suggestions with the model's probability (None where the code has no model), best first."""
        scored: list[tuple[Suggestion, float | None]] = []
        for code in sorted({s.code for s in suggestions}):
            items = [s for s in suggestions if s.code == code]
            model = self.models_.get(code)
            probs = model.predict_proba([s.quote for s in items])[:, 1] if model is not None else [None] * len(items)
            scored.extend((s, None if p is None else round(float(p), 4)) for s, p in zip(items, probs))
        return sorted(scored, key=lambda sp: (-(sp[1] if sp[1] is not None else -1), -sp[0].score, sp[0].segment))
