"""The rule coder's guards, each on a small codebook of its own, so that removing one fails a test:
context at code and at group level, whole-word matching, the boilerplate filter, and the
guide-level rule's ``min_sections``."""

import pytest

from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.decide import Evidence, applies, summarise
from mapping_review.coding.rules import RuleCoder
from mapping_review.segment.nlp import load_nlp
from mapping_review.segment.segments import Segment

CODEBOOK = """\
name: guards
decision: {min_score: 0.9, min_sections: 2, min_weak: 0.3, min_total: 0.5}
skip_sections: [references]
features:
  - id: coded_by_code_context
    label: Code context
    definition: A code whose every group needs a clinician in the sentence.
    context: {require_any: [clinician]}
    patterns:
      - phrases: [safety plan]
  - id: coded_by_group_context
    label: Group context
    definition: One group needs a clinician, the other does not.
    patterns:
      - phrases: [review medication]
        require_any: [clinician]
      - phrases: [housing support]
        weight: 0.5
  - id: whole_words
    label: Whole words
    definition: A short phrase that must not match inside other words.
    context: {require_any: [art]}
    patterns:
      - phrases: [hope]
"""


@pytest.fixture(scope="module")
def coder(tmp_path_factory):
    path = tmp_path_factory.mktemp("guards") / "codebook.yaml"
    path.write_text(CODEBOOK, encoding="utf-8")
    return RuleCoder(load_codebook(path), load_nlp("blank"))


def sentence(text, n, section=("2 Care",)):
    return Segment(id=f"g:1:{n:04d}", guide="g", kind="sentence", role="text", page=1, start=0, end_page=1,
                   end=len(text), section=section, text=text, bbox=None)


def codes(coder, *texts, section=("2 Care",)):
    return [{s.code for s in coder.code_segments([sentence(t, 1, section)])} for t in texts]


def test_code_level_context_is_required(coder):
    with_, without = codes(coder, "The clinician agrees a safety plan.", "Write a safety plan at home.")
    assert "coded_by_code_context" in with_ and "coded_by_code_context" not in without


def test_group_level_context_is_required_for_its_group_only(coder):
    with_, without, other = codes(coder, "The clinician should review medication.", "Review medication weekly.",
                                  "Offer housing support to families.")
    assert "coded_by_group_context" in with_
    assert "coded_by_group_context" not in without
    assert "coded_by_group_context" in other  # the group without a context still counts


def test_context_words_match_whole_words_only(coder):
    # "art" occurs inside "start" and "heart": neither satisfies the context
    inside, whole = codes(coder, "Start with hope in your heart.", "Art therapy can give hope.")
    assert "whole_words" not in inside and "whole_words" in whole


def test_boilerplate_and_skipped_sections_are_not_coded(coder):
    plain, boiler = codes(coder, "Offer housing support to families.",
                          "Offer housing support to families. © NICE 2022. All rights reserved.")
    assert plain == {"coded_by_group_context"} and boiler == set()
    assert codes(coder, "Offer housing support to families.", section=("References",)) == [set()]


def test_min_sections_is_part_of_the_guide_level_rule(coder):
    rule = load_codebook_rule(coder)
    text = "Services should offer housing support to people who need it."
    # three different passages (a repeated one would count once)
    same_section = [sentence(f"{text} ({n})", n) for n in range(1, 4)]
    two_sections = [sentence(f"{text} (a)", 1), sentence(f"{text} (b)", 2, ("3 Housing",))]
    one = summarise(coder.code_segments(same_section))[("g", "coded_by_group_context")]
    two = summarise(coder.code_segments(two_sections))[("g", "coded_by_group_context")]
    assert (one.n_evidence, one.n_sections) == (3, 1) and not applies(rule, one)
    assert (two.n_evidence, two.n_sections) == (2, 2) and applies(rule, two)
    # weak passages below the floor never add up, however many sections they are in
    assert not applies(rule, Evidence(n_evidence=5, n_sections=5, max_score=0.25, section_scores=(0.25,) * 5))


def load_codebook_rule(coder):
    return coder.codebook.by_id["coded_by_group_context"].decision
