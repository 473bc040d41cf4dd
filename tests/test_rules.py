from conftest import ROOT

from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.rules import RuleCoder, text_hash
from mapping_review.segment.nlp import load_nlp
from mapping_review.segment.segments import Segment


def sentence(text, *, section=("1.2 Assessment",), page=3, n=0):
    return Segment(id=f"g:{page}:{n:010d}", guide="g", kind="sentence", role="text", page=page, start=0,
                   end_page=page, end=len(text), section=section, text=text, bbox=None)


def coder():
    return RuleCoder(load_codebook(ROOT / "codebook.yaml"), load_nlp("blank"))


def codes_of(suggestions, seg_id):
    return {s.code for s in suggestions if s.segment == seg_id}


def test_phrases_lemmas_and_evidence():
    segs = [
        sentence("Always ask people directly about suicidal ideation and intent.", n=1),
        sentence("If the risk is immediate, she was admitted to hospital at once.", n=2),
        sentence("Build a trusting therapeutic relationship with the client.", n=3),
    ]
    out = coder().code_segments(segs)
    assert "dont_enable_suicidal_ideation" in codes_of(out, segs[0].id)
    assert "hospitalize_when_necessary" in codes_of(out, segs[1].id)  # lemma pattern "admit to hospital"
    assert "therapeutic_alliance" in codes_of(out, segs[2].id)
    for s in out:
        assert s.quote[s.match_start:s.match_end] == s.match
        assert s.coder == "rules.v1" and s.page == 3 and s.text_hash == text_hash(s.quote) and s.score > 0


def test_token_pattern_matches_session_counts():
    seg = sentence("Offer 8 to 12 sessions of cognitive therapy.", n=1)
    out = coder().code_segments([seg])
    assert "methods/time_management" in codes_of(out, seg.id)


def test_exclusions_cancel_overlapping_matches_only():
    seg = sentence("Assess the risk of self-harm at every contact.", n=1)
    assert "harmful_if_misapplied" not in codes_of(coder().code_segments([seg]), seg.id)
    seg2 = sentence("Do not offer this treatment because it may be harmful; ask about self-harm.", n=2)
    assert "harmful_if_misapplied" in codes_of(coder().code_segments([seg2]), seg2.id)
    seg3 = sentence("Staff of the NHS trust should report incidents.", n=3)
    assert "therapist_qualities/trustworthy" not in codes_of(coder().code_segments([seg3]), seg3.id)


def test_contents_and_references_do_not_count():
    segs = [sentence("Suicide risk assessment ........ 12", section=("Contents",), n=1),
            sentence("Smith J. Suicide prevention in primary care. 2010.", section=("References",), n=2)]
    assert coder().code_segments(segs) == []


def test_only_sentences_are_coded():
    para = Segment(id="g:1:p", guide="g", kind="paragraph", role="text", page=1, start=0, end_page=1, end=10,
                   section=(), text="suicide risk", bbox=None)
    assert coder().code_segments([para]) == []
