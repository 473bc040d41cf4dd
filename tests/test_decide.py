from conftest import ROOT, with_leading

from mapping_review.coding.codebook import Codebook, CodebookModel, DecisionRule, Feature, LeadingCodes, load_codebook
from mapping_review.coding.decide import (
    Evidence,
    applies,
    auto_codes,
    combined,
    guide_strengths,
    leading_codes,
    rank_evidence,
    ranked_by_cell,
    strength,
    summarise,
)
from mapping_review.coding.suggestions import Suggestion


def sugg(guide, code, section, evidence, score=1.0, weight=1.0):
    return Suggestion(guide=guide, code=code, segment=f"{guide}:{section}:{evidence}", page=1, section=(section,),
                      quote="q", match="q", match_start=0, match_end=1, score=score, coder="rules.v2", text_hash="h",
                      evidence=evidence, weight=weight)


def test_the_passage_shown_first_reaches_the_bar_then_is_matched_by_a_strong_phrase():
    weak_word_high = sugg("g", "c", "A", 0.95, weight=0.5)
    phrase_over_bar = sugg("g", "c", "B", 0.72)
    phrase_higher = sugg("g", "c", "C", 0.8)
    weak_word_under = sugg("g", "c", "D", 0.6, weight=0.5)
    phrase_under = sugg("g", "c", "E", 0.3)
    phrase_under_tie = sugg("g", "c", "F", 0.3, score=2.0)
    ranked = rank_evidence([phrase_under, weak_word_under, phrase_over_bar, weak_word_high, phrase_under_tie,
                            phrase_higher], bar=0.7)
    assert ranked == [phrase_higher, phrase_over_bar, weak_word_high, phrase_under_tie, phrase_under, weak_word_under]
    # a passage under the bar never comes before one that reaches it, however it was matched
    assert rank_evidence([phrase_under, weak_word_high], bar=0.7) == [weak_word_high, phrase_under]
    # with the bar above every score, the strong phrase still comes first
    assert rank_evidence([weak_word_high, phrase_under], bar=0.99) == [phrase_under, weak_word_high]


def test_summarise_keeps_the_best_score_of_each_section():
    ev = summarise([sugg("g", "c", "A", 0.4), sugg("g", "c", "B", 0.9), sugg("g", "c", "B", 0.5)])
    e = ev[("g", "c")]
    assert (e.n_evidence, e.n_sections, e.max_score, e.section_scores) == (3, 2, 0.9, (0.9, 0.4))
    # without a classifier, the rule score (capped at 1) is the evidence score
    assert summarise([sugg("g", "c", "A", -1.0, score=1.5)])[("g", "c")].max_score == 1.0


def test_one_strong_passage_or_weak_ones_that_add_up_across_sections():
    rule = DecisionRule(min_score=0.7, min_sections=2, min_weak=0.3, min_total=0.7)
    assert applies(rule, Evidence(1, 1, 0.75, (0.75,)))
    assert not applies(rule, Evidence(1, 1, 0.6, (0.6,)))  # one weak passage never decides
    assert not applies(rule, Evidence(5, 1, 0.6, (0.6,)))  # ... nor many in one section
    assert applies(rule, Evidence(3, 2, 0.6, (0.6, 0.5)))  # 1 - 0.4 * 0.5 = 0.8
    assert not applies(rule, Evidence(3, 2, 0.5, (0.5, 0.2)))  # 0.2 is below the weak floor
    many_weak = tuple([0.35] * 4)
    assert combined(many_weak) > 0.7 and applies(rule, Evidence(4, 4, 0.35, many_weak))
    assert not applies(DecisionRule(min_evidence=5), Evidence(4, 4, 0.99, (0.99,)))


def test_a_present_code_says_whether_one_passage_or_only_weak_evidence_decided_it():
    rule = DecisionRule(min_score=0.7, min_sections=2, min_weak=0.3, min_total=0.7)
    assert strength(rule, Evidence(1, 1, 0.7, (0.7,))) == "strong"  # the bar itself is strong
    assert strength(rule, Evidence(3, 2, 0.69, (0.69, 0.5))) == "weak"  # present, but no passage to show alone
    assert strength(rule, Evidence(1, 1, 0.69, (0.69,))) == ""  # absent
    assert strength(rule, Evidence()) == ""
    # the strength follows the rule, not a fixed bar
    assert strength(DecisionRule(min_score=0.9, min_weak=0.3, min_total=0.7), Evidence(2, 2, 0.8, (0.8, 0.4))) == "weak"


def test_a_guide_leads_with_the_share_of_codes_it_has_most_evidence_for():
    codebook = with_leading(0.1, 0.4)  # 33 codes: the 3 best-scoring
    codes = [c.id for c in codebook.codes]
    assert round(0.1 * len(codes)) == 3
    ev = {("g", codes[5]): Evidence(1, 1, 0.65, (0.65,)), ("g", codes[9]): Evidence(1, 1, 0.55, (0.55,)),
          ("g", codes[1]): Evidence(1, 1, 0.41, (0.41,)), ("g", codes[2]): Evidence(1, 1, 0.39, (0.39,)),
          ("g", codes[7]): Evidence(1, 1, 0.9, (0.9,)), ("h", codes[3]): Evidence(1, 1, 0.5, (0.5,))}
    # the three best are codes 7, 5 and 9 (0.9, 0.65, 0.55); 1 and 2 are fourth and fifth
    assert leading_codes(codebook, "g", ev) == {codes[7], codes[5], codes[9]}
    assert leading_codes(codebook, "h", ev) == {codes[3]}  # another guide's evidence does not count
    assert leading_codes(with_leading(0.1, 0.6), "g", ev) == {codes[7], codes[5]}  # under its floor: not present
    assert leading_codes(with_leading(0.0, 0.1), "g", ev) == set()
    assert leading_codes(Codebook(codebook.model.model_copy(update={"leading": None})), "g", ev) == set()
    # a code with no passage is never led with, even with no floor
    assert leading_codes(with_leading(0.5, 0.0), "g", ev) == {codes[i] for i in (1, 2, 5, 7, 9)}
    # half-way rounds up whatever the count: 0.5 x 33 = 16.5 -> 17 codes; 1.5/33 of 33 -> 2
    spread = {("g", c): Evidence(1, 1, round(0.99 - i / 100, 2), ()) for i, c in enumerate(codes)}
    assert len(leading_codes(with_leading(0.5, 0.0), "g", spread)) == 17
    assert len(leading_codes(with_leading(1.5 / 33, 0.0), "g", spread)) == 2
    assert len(leading_codes(with_leading(2.5 / 33, 0.0), "g", spread)) == 3
    # ties go to the codebook's order
    tied = {("g", codes[4]): Evidence(1, 1, 0.5, (0.5,)), ("g", codes[0]): Evidence(1, 1, 0.5, (0.5,)),
            ("g", codes[8]): Evidence(1, 1, 0.5, (0.5,)), ("g", codes[6]): Evidence(1, 1, 0.5, (0.5,))}
    assert leading_codes(codebook, "g", tied) == {codes[0], codes[4], codes[6]}
    how = guide_strengths(codebook, ["g", "h"], ev)
    # decided by a strong passage, by leading only (weak: no passage reaches the bar), or absent
    assert how[("g", codes[7])] == "strong" and how[("g", codes[5])] == "weak" and how[("g", codes[9])] == "weak"
    assert how[("g", codes[1])] == "" and how[("g", codes[2])] == "" and how[("h", codes[3])] == "weak"
    assert auto_codes(codebook, ["g", "h"], ev) == {k: bool(v) for k, v in how.items()}
    # a code's own (calibrated) rule still decides it first
    strict = {c: DecisionRule(min_score=0.95, min_weak=0.99, min_total=0.99) for c in codes}
    assert guide_strengths(codebook, ["g"], ev, rules=strict)[("g", codes[7])] == "weak"


def test_the_shipped_codebook_leads_with_four_in_ten_codes_from_a_score_of_0_4():
    codebook = load_codebook(ROOT / "codebook.yaml")
    assert codebook.model.leading == LeadingCodes(share=0.4, min_score=0.4)


def test_each_bar_is_reached_by_a_score_equal_to_it():
    rule = DecisionRule(min_score=0.7, min_sections=2, min_weak=0.3, min_total=0.75)
    assert applies(rule, Evidence(2, 2, 0.65, (0.65, 0.3)))  # 0.3 is weak evidence: 1 - 0.35 * 0.7 = 0.755
    assert applies(rule, Evidence(2, 2, 0.5, (0.5, 0.5)))  # 1 - 0.5 * 0.5 = 0.75, the total itself
    assert strength(rule, Evidence(2, 2, 0.5, (0.5, 0.5))) == "weak"


def test_a_passage_just_under_the_bar_is_not_rounded_up_to_it():
    evidence = summarise([sugg("g", "c", "A", 0.696)])[("g", "c")]
    assert evidence.max_score == 0.696
    assert strength(DecisionRule(min_score=0.7), evidence) == ""


def test_the_combined_score_is_a_chance_whatever_the_scores():
    assert combined([1.5, 0.2]) == 1.0  # a score over 1 counts as 1
    assert combined([-0.5, 0.5]) == 0.5  # ... and under 0 as 0
    assert combined([]) == 0.0


def test_a_passage_scoring_the_bar_itself_is_shown_before_one_under_it():
    at_bar_word = sugg("g", "c", "A", 0.7, weight=0.5)
    phrase_under = sugg("g", "c", "B", 0.69)
    assert rank_evidence([phrase_under, at_bar_word], bar=0.7) == [at_bar_word, phrase_under]


def test_evidence_is_ordered_by_each_codes_own_bar():
    strict = Feature(id="strict", label="Strict", definition="d", decision=DecisionRule(min_score=0.9))
    plain = Feature(id="plain", label="Plain", definition="d")
    codebook = Codebook(CodebookModel(name="t", decision=DecisionRule(min_score=0.7), features=(strict, plain)))
    items = [sugg("g", code, s, rank, weight=w) for code in ("strict", "plain")
             for s, rank, w in (("A", 0.95, 0.5), ("B", 0.8, 1.0))]  # a word with other senses, a phrase of the code
    ranked = ranked_by_cell(items, codebook)
    assert [s.rank for s in ranked[("g", "strict")]] == [0.95, 0.8]  # only the word reaches strict's 0.9
    assert [s.rank for s in ranked[("g", "plain")]] == [0.8, 0.95]  # both reach 0.7: the phrase first


def test_a_code_scoring_the_leading_floor_itself_is_led_with():
    codebook = with_leading(0.1, 0.4)  # the 3 best-scoring codes, from a score of 0.4
    codes = [c.id for c in codebook.codes]
    ev = {("g", codes[3]): Evidence(1, 1, 0.4, (0.4,)), ("g", codes[8]): Evidence(1, 1, 0.39, (0.39,))}
    assert leading_codes(codebook, "g", ev) == {codes[3]}
    assert guide_strengths(codebook, ["g"], ev)[("g", codes[3])] == "weak"


def test_a_passage_under_the_weak_floor_adds_nothing_to_the_combined_score():
    rule = DecisionRule(min_score=0.7, min_sections=2, min_weak=0.3, min_total=0.7)
    # two weak passages combine to 1 - 0.55 * 0.65 = 0.6425; with the 0.25 (under the floor) it would be 0.73
    assert not applies(rule, Evidence(3, 3, 0.45, (0.45, 0.35, 0.25)))
    assert strength(rule, Evidence(3, 3, 0.45, (0.45, 0.35, 0.25))) == ""


def test_evidence_that_ties_on_everything_stays_in_reading_order():
    first, second, third = (sugg("g", "c", section, 0.5) for section in ("A", "B", "C"))
    assert rank_evidence([first, second, third], bar=0.7) == [first, second, third]
    assert rank_evidence([third, first, second], bar=0.7) == [third, first, second]
