import pytest
from sklearn.metrics import precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from mapping_review.coding.learn import SuggestionRanker, make_tfidf_logreg
from mapping_review.coding.rules import Suggestion
from mapping_review.review.decisions import Decision, segment_labels
from mapping_review.segment.segments import Segment


def seg(i, text):
    return Segment(id=f"g:1:{i}", guide="g", kind="sentence", role="text", page=1, start=0, end_page=1,
                   end=len(text), section=(), text=text, bbox=None)


POS = ["build a trusting therapeutic relationship with the client", "the alliance between therapist and client matters",
       "rapport with the person helps engagement", "a warm working relationship supports recovery",
       "collaborate with the client as partners in care", "the therapeutic alliance predicts outcome",
       "strengthen the relationship with the client"]
NEG = ["the relationship between dose and response", "relationships between variables were tested",
       "family relationships may be strained", "the study examined the relationship of age and risk",
       "relationship status was recorded", "no relationship between income and outcome was found",
       "statistical relationship in the data"]


def test_ranker_learns_from_decisions_and_reports_cross_validated_scores():
    segments = {s.id: s for s in [seg(i, t) for i, t in enumerate(POS + NEG)]}
    decisions = [Decision(reviewer="alice", time="t", level="segment", guide="g", code="therapeutic_alliance",
                          value=i < len(POS), action="accept" if i < len(POS) else "reject", segment=f"g:1:{i}")
                 for i in range(len(POS) + len(NEG))]
    labels = segment_labels(decisions)
    ranker = SuggestionRanker()
    assert ranker.fit(segments, labels) is ranker
    (report,) = ranker.report_
    assert report.code == "therapeutic_alliance" and (report.n_positive, report.n_negative) == (7, 7)
    # the reported figures are scikit-learn's cross-validated ones, computed here independently
    items = sorted(labels.items())
    texts, ys = [segments[s].text for (s, _), _ in items], [int(v) for _, v in items]
    predicted = cross_val_predict(make_tfidf_logreg(random_state=0), texts, ys,
                                  cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=0))
    assert report.precision == pytest.approx(precision_score(ys, predicted))
    assert report.recall == pytest.approx(recall_score(ys, predicted))
    new = [Suggestion("g", "therapeutic_alliance", f"n{i}", 1, (), text, "relationship", 0, 1, 0.5, "rules.v1", "h")
           for i, text in enumerate(["the relationship between smoking and risk",
                                     "build a strong therapeutic relationship with the client"])]
    ranked = ranker.rank(new)
    assert ranked[0][0].segment == "n1" and ranked[0][1] > ranked[1][1]


def test_too_few_labels_learn_nothing():
    segments = {s.id: s for s in [seg(0, POS[0]), seg(1, NEG[0])]}
    labels = {("g:1:0", "therapeutic_alliance"): True, ("g:1:1", "therapeutic_alliance"): False}
    ranker = SuggestionRanker().fit(segments, labels)
    assert ranker.models_ == {} and ranker.report_ == []
    assert ranker.rank([]) == []


def test_flagged_decisions_are_not_learnt_from():
    decisions = [Decision(reviewer="alice", time="t", level="segment", guide="g", code="c", value=True,
                          action="accept", segment="s", needs_review=True)]
    assert segment_labels(decisions) == {}


def test_the_consensus_overrides_reviewers_whatever_the_order():
    def seg_decision(reviewer, value):
        return Decision(reviewer=reviewer, time="t", level="segment", guide="g", code="c", value=value,
                        action="accept" if value else "reject", segment="s")

    assert segment_labels([seg_decision("consensus", False), seg_decision("alice", True)]) == {("s", "c"): False}
    assert segment_labels([seg_decision("alice", False), seg_decision("consensus", True)]) == {("s", "c"): True}
