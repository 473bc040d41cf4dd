"""ASReview LAB's own simulation on the benchmark's labels, run as its ``asreview simulate`` command runs it
by default (asreview.simulation.cli): no prior knowledge; records read top-down (in the order given: here,
document order) until both a relevant and an irrelevant one are labelled (``TopDown`` + ``IsFittable``);
then its default AI (``get_ai_config()``, ``elas_u4`` in ASReview 2-3: TF-IDF of words and word pairs, a
linear SVM, balanced sample weights, highest relevance first), retrained after every record, until the
last relevant record is found (``LastRelevant``). The text of a record is the sentence (as ``abstract``);
each code is a review of its own, as one would run ASReview per question.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def asreview_version() -> str:
    import asreview

    return str(asreview.__version__)


def asreview_order(texts: Sequence[str], relevant: Sequence[bool], *, seed: int = 535) -> list[int]:
    """The order ASReview's default simulation reads the records in (indices into ``texts``); records left
    when the last relevant one is found follow in the given order."""
    import pandas as pd
    from asreview.learner import ActiveLearningCycle
    from asreview.models.models import get_ai_config
    from asreview.models.queriers import TopDown
    from asreview.models.stoppers import IsFittable
    from asreview.simulation.simulate import Simulate

    np.random.seed(seed)  # as the command's --seed does: LinearSVC and the balancer draw from it
    data = pd.DataFrame({"title": [""] * len(texts), "abstract": list(texts)})
    cycles = [ActiveLearningCycle(querier=TopDown(), stopper=IsFittable()),
              ActiveLearningCycle.from_meta(get_ai_config()["value"])]
    sim = Simulate(data, np.array([int(r) for r in relevant]), cycles, print_progress=False)
    sim.review()
    read = [int(i) for i in sim._results["record_id"]]
    seen = set(read)
    return read + [i for i in range(len(texts)) if i not in seen]


def asreview_model_name() -> str:
    from asreview.models.models import get_ai_config

    return str(get_ai_config()["name"])
