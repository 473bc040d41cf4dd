"""The versioned names of the coding stage's machine parts, recorded with what they produce (and in
``build/run.json``); kept apart so that knowing them loads neither spaCy nor scikit-learn."""

CODER = "rules.v2"  # the rule coder (coding/rules.py)
RANKER = "tfidf-logreg.v1"  # the learnt ranker (coding/learn.py)
