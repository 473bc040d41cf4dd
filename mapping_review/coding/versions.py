"""The versioned names of the coding stage's machine parts, recorded with what they produce (and in
``build/run.json``); kept apart so that knowing them loads neither spaCy nor scikit-learn."""

CODER = "rules.v3"  # the rule coder (coding/rules.py): candidates in sentences and headings, after the hygiene rules
EVIDENCE_MODEL = "evidence-clf.v8"  # the evidence classifier (coding/evidence.py)
DECIDER = "decide.v5"  # the guide-level rule, the strength of its answer, which passage is shown first (coding/decide.py)
RANKER = "tfidf-logreg.v1"  # the learnt ranker (coding/learn.py)
