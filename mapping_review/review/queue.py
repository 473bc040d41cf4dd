"""``queue.v1``: machine suggestions across all guides, ranked by how much a reviewer's decision would teach,
and retrained as decisions arrive.

Each candidate (a sentence and a code the machine suggested) starts from the evidence score the coding
stage gave it (the evidence classifier's probability, else the rule score) as a prior. A logistic model
(scikit-learn's ``SGDClassifier``, updated with ``partial_fit`` - incremental, no refit from scratch) learns
from the reviewer's own accept/reject decisions: the sentence's words and word pairs, also crossed with
the code, and the words of its heading crossed with the code. Per code the learnt model takes over from
the prior as that code's decisions accumulate: the log-odds are ``(1 - b) * prior + b * model`` with
``b = n / (n + prior_strength)`` for a code with ``n`` decisions.

The priority of an undecided candidate (strategy ``gain``, the default) is how much its decision would
tell about the guide-level answer for its guide and code: the expected information (bits) about "does at
least one sentence support it", from the candidates' probabilities. A guide and code the reviewer has
already answered, or that has an accepted quote, has nothing left to learn, and its candidates come
last (by probability). Strategy ``relevance`` ranks by probability alone (ASReview's "max" query).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mapping_review.errors import ConfigError

QUEUE = "queue.v1"
STRATEGIES = ("gain", "relevance")
N_FEATURES = 2**18
PRIOR_STRENGTH = 16.0  # decisions on a code before the learnt model counts as much as the prior (tuned on dev)
RELEVANCE_WEIGHT = 0.5  # strategy gain: how much the probability itself adds to the bits (tuned on dev)
KNOWN_PENALTY = 2.0  # strategy gain: subtracted where the guide-level answer is known (tuned on dev)
REPLAY = 400  # earlier decisions replayed with each update, so one decision does not swing the model
EPS = 1e-4

Key = tuple[str, str]  # (segment id, code)


@dataclass(frozen=True)
class Candidate:
    """A sentence and a code to decide on, with the machine's prior probability that it supports it."""

    guide: str
    code: str
    segment: str
    text: str
    section: tuple[str, ...] = ()
    prior: float = 0.5

    @property
    def key(self) -> Key:
        return (self.segment, self.code)


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    probability: float  # the queue's current probability that the sentence supports the code
    priority: float  # what the queue is ordered by (bits of information, or the probability)


def logit(p: float) -> float:
    p = min(max(p, EPS), 1.0 - EPS)
    return math.log(p / (1.0 - p))


def _words(text: str) -> list[str]:
    out, word = [], []
    for ch in text.lower():
        if ch.isalpha():
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return [w for w in out if len(w) > 1]


def candidate_terms(c: Candidate) -> list[str]:
    """The hashed features of a candidate: words and word pairs, each also crossed with the code, the
    heading's words crossed with the code, and the code itself."""
    ws = _words(c.text)
    terms = ws + [f"{a} {b}" for a, b in zip(ws, ws[1:])]
    crossed = [f"{c.code}|{t}" for t in terms]
    heading = [f"{c.code}|h:{w}" for w in set(_words(c.section[-1]))] if c.section else []
    return [*terms, *crossed, *heading, f"code:{c.code}"]


def _entropy(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-12, 1.0 - 1e-12)
    return np.where((p <= 0.0) | (p >= 1.0), 0.0, -(q * np.log2(q) + (1.0 - q) * np.log2(1.0 - q)))


def information(p: np.ndarray, others_absent: np.ndarray) -> np.ndarray:
    """Bits a decision on each candidate (probability ``p``) tells about "some candidate of its guide and
    code supports it", when the chance that none of the others does is ``others_absent``: the entropy of
    that answer now, less its expected entropy after the decision (a yes settles it)."""
    gain: np.ndarray = _entropy(1.0 - (1.0 - p) * others_absent) - (1.0 - p) * _entropy(1.0 - others_absent)
    return gain


def guide_gain(p: float, others_absent: float) -> float:
    return float(information(np.array([p]), np.array([others_absent]))[0])


class LearningQueue:
    """The learning queue over a fixed set of candidates (the scikit-learn contract: ``__init__`` keeps the
    parameters; ``fit`` returns ``self``; what it learnt ends in ``_``)."""

    def __init__(self, *, strategy: str = "gain", prior_strength: float = PRIOR_STRENGTH, alpha: float = 1e-4,
                 relevance_weight: float = RELEVANCE_WEIGHT, known_penalty: float = KNOWN_PENALTY, replay: int = REPLAY,
                 random_state: int = 0) -> None:
        self.strategy = strategy
        self.known_penalty = known_penalty
        self.relevance_weight = relevance_weight
        self.prior_strength = prior_strength
        self.alpha = alpha
        self.replay = replay
        self.random_state = random_state

    def get_params(self) -> dict[str, Any]:
        """The parameters given to ``__init__`` (the scikit-learn contract): ``LearningQueue(**q.get_params())``
        is an unfitted queue like ``q``."""
        return {name: getattr(self, name) for name in inspect.signature(LearningQueue.__init__).parameters
                if name != "self"}

    # -- fitting ---------------------------------------------------------------------------------
    def fit(self, candidates: Sequence[Candidate], labels: Mapping[Key, bool] | None = None,
            *, settled: Iterable[tuple[str, str]] = ()) -> LearningQueue:
        """Featurise ``candidates`` once and learn from ``labels`` ((segment, code) -> supports)."""
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.linear_model import SGDClassifier

        if self.strategy not in STRATEGIES:
            msg = f"queue strategy {self.strategy!r} is not one of {', '.join(STRATEGIES)}"
            raise ConfigError(msg)
        self.candidates_ = list(candidates)
        self.index_ = {c.key: i for i, c in enumerate(self.candidates_)}
        hasher = HashingVectorizer(analyzer=candidate_terms, n_features=N_FEATURES, alternate_sign=False,
                                   norm="l2")
        self.prior_logit_ = np.array([logit(c.prior) for c in self.candidates_], dtype=float)
        if self.candidates_:
            self.X_ = hasher.transform(self.candidates_).tocsr()
        else:  # a project not coded yet: an empty queue
            from scipy.sparse import csr_matrix

            self.X_ = csr_matrix((0, N_FEATURES))
        codes = sorted({c.code for c in self.candidates_})
        self.code_of_ = np.array([codes.index(c.code) for c in self.candidates_], dtype=int)
        self.n_codes_ = len(codes)
        self.model_ = SGDClassifier(loss="log_loss", alpha=self.alpha, random_state=self.random_state)
        self.labels_: dict[int, bool] = {}
        self.order_: list[int] = []  # decided candidates in the order their decisions arrived
        groups = {key: n for n, key in enumerate(sorted({(c.guide, c.code) for c in self.candidates_}))}
        self.groups_ = list(groups)
        self.group_ = np.array([groups[(c.guide, c.code)] for c in self.candidates_], dtype=int)
        self.n_groups_ = len(groups)
        self.settled_: set[tuple[str, str]] = set()
        self.settled_mask_ = np.zeros(self.n_groups_, dtype=bool)
        self._settle(settled)
        self._rng = np.random.default_rng(self.random_state)
        self._scores: np.ndarray | None = None
        if labels:
            self.update(labels)
        return self

    def update(self, labels: Mapping[Key, bool], *, settled: Iterable[tuple[str, str]] = ()) -> LearningQueue:
        """Learn from new (or changed) decisions: one incremental step over them and a replay of earlier
        ones. Decisions on sentences that are not candidates are ignored."""
        self._settle(settled)
        new = [(self.index_[k], v) for k, v in labels.items() if k in self.index_ and self.labels_.get(self.index_[k]) != v]
        if not new:
            return self
        for i, v in new:
            if i in self.labels_:  # a changed decision counts where it was last made
                self.order_.remove(i)
            self.order_.append(i)
            self.labels_[i] = v
        fresh = [i for i, _ in new]
        earlier = [i for i in self.labels_ if i not in set(fresh)]
        if len(earlier) > self.replay:
            earlier = list(self._rng.choice(earlier, self.replay, replace=False))
        rows = fresh + earlier
        y = np.array([int(self.labels_[i]) for i in rows])
        n_pos = max(int(y.sum()), 1)
        n_neg = max(len(y) - int(y.sum()), 1)
        weight = np.where(y == 1, len(y) / (2.0 * n_pos), len(y) / (2.0 * n_neg))
        self.model_.partial_fit(self.X_[rows], y, classes=np.array([0, 1]), sample_weight=weight)
        self._scores = None
        return self

    def _settle(self, settled: Iterable[tuple[str, str]]) -> None:
        """Guide and code pairs whose answer the reviewer has given: nothing left to learn there."""
        index = {key: n for n, key in enumerate(self.groups_)}
        for key in settled:
            self.settled_.add(key)
            if key in index:
                self.settled_mask_[index[key]] = True
        self._scores = None

    # -- scoring ---------------------------------------------------------------------------------
    def probabilities(self) -> np.ndarray:
        """Every candidate's probability of supporting its code, now."""
        if self._scores is None:
            z = self.prior_logit_.copy()
            if self.labels_:
                per_code = np.bincount(self.code_of_[list(self.labels_)], minlength=self.n_codes_)
                beta = per_code[self.code_of_] / (per_code[self.code_of_] + self.prior_strength)
                z = (1.0 - beta) * z + beta * self.model_.decision_function(self.X_)
            self._scores = 1.0 / (1.0 + np.exp(-z))
        return self._scores

    def priorities(self) -> np.ndarray:
        """What the undecided candidates are ranked by (decided ones get -inf)."""
        p = self.probabilities()
        out = p.copy() if self.strategy == "relevance" else self._gains(p)
        for i in self.labels_:
            out[i] = -math.inf
        return out

    def _gains(self, p: np.ndarray) -> np.ndarray:
        """Bits about its guide and code's answer, plus ``relevance_weight`` times the probability; a guide
        and code whose answer is known only the latter, less 2 (after every open question)."""
        decided = np.zeros(len(p), dtype=bool)
        decided[list(self.labels_)] = True
        accepted = np.zeros(len(p), dtype=bool)
        accepted[[i for i, v in self.labels_.items() if v]] = True
        known = self.settled_mask_ | (np.bincount(self.group_, weights=accepted, minlength=self.n_groups_) > 0)
        log_open = np.where(decided, 0.0, np.log(np.clip(1.0 - p, EPS, 1.0)))
        others = np.exp(np.bincount(self.group_, weights=log_open, minlength=self.n_groups_)[self.group_] - log_open)
        gains = information(p, others)
        extra = self.relevance_weight * p
        return np.where(known[self.group_], extra - self.known_penalty, gains + extra)

    def ranked(self, *, limit: int | None = None, codes: Iterable[str] | None = None,
               guides: Iterable[str] | None = None) -> list[Ranked]:
        """Undecided candidates, most worth deciding first (ties: probability, then candidate order)."""
        if limit is not None and limit < 1:
            msg = f"limit must be 1 or more, not {limit}"
            raise ConfigError(msg)
        p, prio = self.probabilities(), self.priorities()
        wanted_codes = set(codes) if codes is not None else None
        wanted_guides = set(guides) if guides is not None else None
        order = np.lexsort((np.arange(len(p)), -p, -prio))
        out = []
        for i in order:
            c = self.candidates_[i]
            if i in self.labels_ or (wanted_codes is not None and c.code not in wanted_codes) \
                    or (wanted_guides is not None and c.guide not in wanted_guides):
                continue
            out.append(Ranked(c, round(float(p[i]), 4), round(float(prio[i]), 4)))
            if limit is not None and len(out) >= limit:
                break
        return out

    def next(self) -> Candidate | None:
        best = self.ranked(limit=1)
        return best[0].candidate if best else None

    def stopping(self, code: str, *, window: int) -> StopHint:
        """How the reviewer's decisions on ``code`` have gone lately (see :class:`StopHint`)."""
        decided = [i for i in self.order_ if self.candidates_[i].code == code]
        run = 0
        for i in reversed(decided):
            if self.labels_[i]:
                break
            run += 1
        p = self.probabilities()
        open_ = [i for i, c in enumerate(self.candidates_) if c.code == code and i not in self.labels_]
        return StopHint(code, len(decided), sum(self.labels_[i] for i in decided), run, len(open_),
                        round(float(sum(p[i] for i in open_)), 2), window)


@dataclass(frozen=True)
class StopHint:
    """Per code: decisions so far, how many supported it, how many of the latest did not (``since_last``),
    how many candidates are left and how many supporting ones the model still expects among them."""

    code: str
    decided: int
    supporting: int
    since_last: int
    left: int
    expected_left: float
    window: int

    @property
    def may_stop(self) -> bool:
        return self.decided >= self.window and self.since_last >= self.window

    def message(self) -> str:
        if self.left == 0:
            return "every candidate decided"
        if self.may_stop:
            return (f"no supporting sentence in the last {self.since_last} shown; the model expects about "
                    f"{self.expected_left:g} more among the {self.left} left - you may stop here")
        return f"{self.left} left; the model expects about {self.expected_left:g} supporting"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "decided": self.decided, "supporting": self.supporting,
                "since_last": self.since_last, "left": self.left, "expected_left": self.expected_left,
                "may_stop": self.may_stop, "message": self.message()}
