"""The learning queue over a project's review: every machine suggestion a candidate, the reviewer's own
segment decisions as what it learns from, and their guide-level answers as what is already known.

Blind: the queue of a reviewer learns from that reviewer's decisions only (another reviewer's accepts
would show through the ranking). The worksheet's ``--limit`` ranks by the same queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mapping_review.coding.suggestions import Suggestion
from mapping_review.errors import ConfigError
from mapping_review.review.decisions import Decision, latest, own_answers
from mapping_review.review.queue import Candidate, Key, LearningQueue, Ranked, StopHint
from mapping_review.segment.segments import Segment

STOP_WINDOW = 20  # "no supporting sentence in the last N shown"


def candidate_of(s: Suggestion) -> Candidate:
    return Candidate(s.guide, s.code, s.segment, s.quote, s.section, s.rank)


def reviewer_labels(decisions: Sequence[Decision], reviewer: str) -> dict[Key, bool]:
    """(segment, code) -> the reviewer's latest accept/reject/add, on text that has not changed since."""
    return {(d.segment, d.code): d.value for (who, _), d in latest(decisions).items()
            if who == reviewer and d.level == "segment" and not d.needs_review}


def reviewer_settled(decisions: Sequence[Decision], reviewer: str) -> set[tuple[str, str]]:
    """The guide and code pairs the reviewer has answered in a sheet or code-first."""
    return set(own_answers(decisions, reviewer))


def decisions_in_order(decisions: Sequence[Decision], reviewer: str) -> dict[Key, bool]:
    """The reviewer's segment decisions in the order they were made (a later one on the same item moves it;
    a later one flagged for review, made on text that has changed, leaves the item undecided)."""
    out: dict[Key, bool] = {}
    for d in decisions:
        if d.reviewer == reviewer and d.level == "segment":
            out.pop((d.segment, d.code), None)
            if not d.needs_review:
                out[(d.segment, d.code)] = d.value
    return out


def build_queue(suggestions: Sequence[Suggestion], decisions: Sequence[Decision], reviewer: str, *,
                strategy: str = "gain") -> LearningQueue:
    """A fitted queue for ``reviewer``: their decisions replayed in the order they made them."""
    queue = LearningQueue(strategy=strategy).fit([candidate_of(s) for s in suggestions],
                                                 settled=reviewer_settled(decisions, reviewer))
    return _replayed(queue, decisions_in_order(decisions, reviewer))


def _replayed(queue: LearningQueue, labels: Mapping[Key, bool]) -> LearningQueue:
    for key, value in labels.items():
        queue.update({key: value})
    return queue


def refresh(queue: LearningQueue, decisions: Sequence[Decision], reviewer: str) -> LearningQueue:
    """Teach ``queue`` the reviewer's decisions it has not seen yet (incremental: nothing is refitted)."""
    known = {queue.candidates_[i].key: v for i, v in queue.labels_.items()}
    labels = decisions_in_order(decisions, reviewer)
    settled = reviewer_settled(decisions, reviewer)
    if any(k not in labels for k in known):  # a decision it learnt is now flagged for review: it cannot unlearn
        return _replayed(LearningQueue(**queue.get_params()).fit(queue.candidates_, settled=settled), labels)
    fresh = {k: v for k, v in labels.items() if known.get(k) != v}
    return queue.update(fresh, settled=settled)


@dataclass(frozen=True)
class QueueView:
    items: list[Ranked]
    hints: list[StopHint]
    n_candidates: int
    n_decided: int


def queue_view(queue: LearningQueue, *, limit: int = 20, codes: Iterable[str] | None = None,
               guides: Iterable[str] | None = None, window: int = STOP_WINDOW) -> QueueView:
    """The next ``limit`` candidates and, per code with candidates, the stopping hint."""
    items = queue.ranked(limit=limit, codes=codes, guides=guides)
    wanted = sorted(set(codes) if codes is not None else {c.code for c in queue.candidates_})
    hints = [queue.stopping(code, window=window) for code in wanted]
    return QueueView(items, hints, len(queue.candidates_), len(queue.labels_))


def rank_for_review(
    suggestions: Sequence[Suggestion], *, segments: Mapping[str, Segment], decisions: Sequence[Decision],
    reviewer: str, limit: int | None = None,
) -> list[Suggestion]:
    """Suggestions best first for ``reviewer`` - most worth deciding first, by the learning queue
    (``queue.v1``), then those they already decided - at most ``limit`` (1 or more). The queue learns from
    their own decisions only, so the order tells them nothing of other reviewers' answers."""
    if limit is not None and limit < 1:
        msg = f"limit must be 1 or more, not {limit}"
        raise ConfigError(msg)
    if not suggestions:
        return []
    labels = {k: v for k, v in reviewer_labels(decisions, reviewer).items() if k[0] in segments or not segments}
    queue = LearningQueue().fit([candidate_of(s) for s in suggestions], labels,
                                settled=reviewer_settled(decisions, reviewer))
    by_key = {(s.segment, s.code): s for s in suggestions}
    ranked = [by_key[r.candidate.key] for r in queue.ranked()]
    p = queue.probabilities()
    done = sorted(queue.labels_, key=lambda i: (-p[i], i))
    ranked += [by_key[queue.candidates_[i].key] for i in done]
    return ranked[:limit] if limit else ranked
