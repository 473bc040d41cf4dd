"""Cohen's kappa of paired answers: one function for the reviewers' agreement (``review.agreement``) and
the machine's against a reader's sheet (``coding.quality``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence

NAN = float("nan")


def kappa_of_pairs(pairs: Sequence[tuple[Hashable, Hashable]]) -> float:
    """Cohen's kappa of (first rater, second rater) answers; ``nan`` when undefined."""
    n = len(pairs)
    if not n:
        return NAN
    observed = sum(x == y for x, y in pairs) / n
    count_a, count_b = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    expected = sum(count_a[c] * count_b[c] for c in count_a) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else NAN
