"""Review effort: a simulated reviewer replays labelled sentences in the order a method shows them, and
the recall of supporting sentences is read against the share of candidates read.

- **Recall curve**: after reading the first k candidates, the share of all supporting ones found.
- **Work saved over sampling at r** (WSS@r, Cohen et al. 2006): ``(N - n_r) / N - (1 - r)``, where ``n_r``
  is how many candidates had to be read to find a share ``r`` of the supporting ones; reading in random
  order saves nothing on average, reading every supporting one first saves ``r - share supporting``.
- **Guide-level recall**: the share of (guide, code) pairs with at least one supporting sentence for which
  one has been found - what a reviewer who answers per guide and code needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from mapping_review.errors import ConfigError
from mapping_review.review.queue import Candidate, Key, LearningQueue


def reads_to_recall(relevant: Sequence[bool], level: float) -> int:
    """How many of the candidates, read in this order, find a share ``level`` of the relevant ones."""
    total = sum(relevant)
    if total == 0:
        msg = "no relevant candidate: recall is undefined"
        raise ConfigError(msg)
    need = math.ceil(level * total - 1e-9)
    found = 0
    for k, r in enumerate(relevant, start=1):
        found += r
        if found >= need:
            return k
    return len(relevant)  # pragma: no cover - need <= total


def wss(relevant: Sequence[bool], level: float = 0.95) -> float:
    """Work saved over sampling at recall ``level``."""
    n = len(relevant)
    return (n - reads_to_recall(relevant, level)) / n - (1.0 - level)


def recall_at(relevant: Sequence[bool], share: float) -> float:
    """Recall after reading the first ``share`` of the candidates (rounded up)."""
    total = sum(relevant)
    k = math.ceil(share * len(relevant) - 1e-9)
    return sum(relevant[:k]) / total if total else float("nan")


def recall_curve(relevant: Sequence[bool], shares: Sequence[float]) -> list[float]:
    return [recall_at(relevant, s) for s in shares]


def guide_reads(order: Sequence[Candidate], truth: Mapping[Key, bool], level: float) -> int:
    """Candidates read until a supporting sentence is found for a share ``level`` of the (guide, code)
    pairs that have one."""
    present = {(c.guide, c.code) for c in order if truth[c.key]}
    if not present:
        msg = "no guide and code has a supporting sentence"
        raise ConfigError(msg)
    need = math.ceil(level * len(present) - 1e-9)
    seen: set[tuple[str, str]] = set()
    for k, c in enumerate(order, start=1):
        if truth[c.key]:
            seen.add((c.guide, c.code))
            if len(seen) >= need:
                return k
    return len(order)  # pragma: no cover


@dataclass(frozen=True)
class Replay:
    """The order a simulated reviewer read the candidates in, and how long each queue update took."""

    order: list[Candidate]
    update_seconds: list[float]


def replay_queue(candidates: Sequence[Candidate], truth: Mapping[Key, bool], *,
                 make_queue: Callable[[], LearningQueue] = LearningQueue,
                 clock: Callable[[], float] | None = None) -> Replay:
    """Read the queue's next candidate, decide it as ``truth`` says, let the queue learn, until every
    candidate is read. ``clock`` (e.g. ``time.perf_counter``) times each update and re-ranking."""
    queue = make_queue().fit(candidates)
    order: list[Candidate] = []
    times: list[float] = []
    while True:
        start = clock() if clock else 0.0
        nxt = queue.next()
        if clock:
            times.append(clock() - start)
        if nxt is None:
            break
        order.append(nxt)
        start = clock() if clock else 0.0
        queue.update({nxt.key: truth[nxt.key]})
        if clock:
            times[-1] += clock() - start
    return Replay(order, times)


def by_code(order: Sequence[Candidate], truth: Mapping[Key, bool]) -> dict[str, list[bool]]:
    """Each code's candidates in the order they were read, as relevant or not."""
    out: dict[str, list[bool]] = {}
    for c in order:
        out.setdefault(c.code, []).append(truth[c.key])
    return out


def stop_at(relevant: Sequence[bool], window: int) -> int:
    """Where a reviewer who follows the stopping hint stops: after the first ``window`` reads in a row that
    found no supporting sentence (with at least ``window`` read); everything when that never happens."""
    run = 0
    for k, r in enumerate(relevant, start=1):
        run = 0 if r else run + 1
        if k >= window and run >= window:
            return k
    return len(relevant)
