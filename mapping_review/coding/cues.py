"""Cues that tell care a guide recommends or describes from a passing word (``cues.v2``).

Three families, all read from the sentence and its section path, none tied to one guide's wording:

- **who acts**: the clinician or helper (an imperative such as "Offer ...", "Ask ...", "Do not ...";
  practitioners, staff, services or "you" with "should"/"must"), the client (the person, patient,
  mother as subject; first-person speech), the author (this guideline, the committee, evidence);
- **what kind of sentence**: recommendation or instruction, description of care, question, symptom or
  feature of a condition, example or quoted speech, exercise addressed to the client, reference,
  meta-text about the document (what the guideline covers), the staff's own training, supervision or
  practice;
- **where it stands**: recommendations, context or background, evidence and rationale, research
  recommendations, glossary, appendix, forms and handouts, case examples, the helper's own self-care
  and training, scope ("who is it for"), and sections about other people than the client (family
  members and carers, staff).

:func:`sentence_cues` returns named numeric features; the evidence classifier weighs them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from mapping_review.coding.hygiene import Caseless, blank_glyphs, ci, lowered, n_words

CUES = "cues.v2"

_LEAD = ci(r"^[\s•·●○◦▪■□☐☑✓✔➢➤►»«\-–—－*◇◆]*(\(?\d+(\.\d+)*[.)]?\s+|[a-z][.)]\s+)?")
_IMPERATIVE = Caseless(
    r"^(do not|don't|never|always|only|offer|consider|ask|discuss|explain|ensure|make sure|provide|give|assess|"
    r"review|monitor|refer|encourage|support|help|use|avoid|take|be|arrange|agree|involve|tell|check|record|"
    r"explore|identify|follow|listen|try|let|invite|praise|remind|teach|show|introduce|say|respect|keep|treat|"
    r"think about|recognise|recognize|seek|establish|develop|plan|set|start|stop|continue|reassure|validate|"
    r"acknowledge|engage|build|work|maintain|allow|inform|advise|share|document|measure|prescribe|reduce|"
    r"increase|conduct|carry out|deliver|base|tailor|adapt|focus|address|protect|link|connect|obtain|seek|"
    r"note|summarise|summarize|repeat|model|demonstrate|discourage|limit|remove|contact|visit|meet)\b",
)
_HELPER = Caseless(
    r"\b(you|practitioners?|professionals?|staff|clinicians?|therapists?|helpers?|health workers?|chws?|nurses?|"
    r"doctors?|gps?|prescribers?|services?|commissioners?|teams?|workers?|providers?|psychiatrists?|psychologists?|"
    r"counsellors?|supervisors?|facilitators?|key workers?|case managers?|health visitors?|midwives|clinics?)\b"
    r"[^.;:]{0,40}?\b(should|must|need to|needs to|are expected to|can|will|may wish to)\b",
)
_CLIENT_SUBJECT = Caseless(
    r"^(the |a |an |many |some |most |older |young |autistic |vulnerable )?(person|people|client|clients|patient|"
    r"patients|mother|mothers|father|parents?|child|children|woman|women|man|men|survivors?|individuals?|he|she|"
    r"they|adults?|young people|families|carers?)\b(?![^.]{0,40}\b(should be|must be)\b)",
)
_FIRST_PERSON = re.compile(r"\b(i|i'm|i've|my|me|myself)\b")
_AUTHOR = Caseless(
    r"\b(this (guideline|guidance|manual|guide|book|chapter|section|document|handout|workshop|course)|"
    r"the committee|the (guideline )?development group|nice|who|we recommend|we have|we use|phiac|"
    r"recommendations? (in|of) this)\b",
)
_EVIDENCE = Caseless(
    r"\b(evidence|stud(y|ies)|trials?|review(ed)?|meta-analys[ie]s|papers?|found that|reported|"
    r"prevalence|rates? of|per cent|%|cost[- ]effective(ness)?|economic)\b",
)
_MODAL = Caseless(r"\b(should|must|need to|needs to|it is important|it is essential|make sure|ensure)\b",
)
_NEGATION = Caseless(r"\b(do not|don't|never|should not|must not|avoid|not be used|not recommended|not offer)\b",
)
_QUESTION_START = Caseless(r"^(how|what|when|where|why|who|which|do|does|did|have|has|are|is|can|could|would|will)\b",
)
_SYMPTOM = Caseless(
    r"\b(symptoms?|signs?|features?|difficult(y|ies)|lack of|loss of|reduced|excessive|impair(ed|ment)|"
    r"unusual|problems? with|may (feel|experience|have|become|show)|can (cause|lead)|feel(s|ing)? (sad|hopeless|"
    r"worthless|guilty|anxious|angry|numb|scared)|diagnos(is|tic|ed)|criteria|risk factors?|associated with)\b",
)
_EXAMPLE = Caseless(r"\b(for example|e\.g\.|for instance|such as|case example|scenario|imagine that|suppose)\b",
)
_QUOTE = re.compile(r"[“”\"]|^\s*'|'\s*$")
_EXERCISE = Caseless(
    r"\b(notice|breathe|breathing|close your eyes|imagine|your (body|breath|feet|thoughts|feelings)|"
    r"say to yourself|write down|tick|circle|rate your|practise|practice)\b",
)
_CROSS_REFERENCE = Caseless(
    r"\b(see (also )?(the |our |nice'?s? |recommendations? |section |chapter |appendix |box |table )|"
    r"for (further |more )?(guidance|information|advice|recommendations) on\b.{0,120}\bsee\b|"
    r"in line with (the )?(nice|recommendations?)|(is|are) covered (by|in)|refer to (the |your )?(nice|training|"
    r"manual|bnf|appendix))",
)
_VERB_HINT = Caseless(
    r"\b(is|are|was|were|be|been|has|have|had|do|does|did|can|could|will|would|should|must|may|might|need|needs|"
    r"helps?|makes?|gives?|takes?|feel|feels|think|thinks)\b|\w(ed|es|s)\b\s+(to|the|a|an|their|his|her|them|it)\b",
)
_LISTING_HEADING = ci(
    r"\b(sample|items?|examples?|signs|symptoms|behaviou?rs|reactions|features|characteristics|thoughts?|"
    r"feelings?|consequences?|risk factors|safety behaviou?rs|precautions|distractions|protections|"
    r"questions?|answers?|picture [a-z]|caption)\b",
)
_STAFF_DEVELOPMENT = Caseless(
    r"\b(skills training|training (in|for|on)|trained (in|to)|supervis(or|ors|ion|ed)|(their|your) (own )?(practice|"
    r"competence|wellbeing|well-being)|audit|reflective practice|workforce|continuing professional)\b",
)
_META = Caseless(
    r"^(it|this (guideline|guidance|guide|manual|document|section|chapter|handout|module)|the guideline)\s+"
    r"(covers|includes|is for|does not cover|also covers|focuses|aims|describes|explains|sets out|offers|"
    r"contains|is intended|was developed|has been)\b",
)
_OTHERS_HEADING = ci(r"\b(family members|families|carers|parents|staff|workforce|practitioners|employers)\b")
_CARE_NOUN = Caseless(
    r"\b(sessions?|interventions?|treatments?|therapy|programmes?|programs?|care|support|strategies|techniques?|"
    r"assessments?|plans?|visits?|appointments?|services?)\b",
)
_SECTIONS: dict[str, re.Pattern[str]] = {
    "section_research": ci(r"\bresearch\b|\bgaps in the evidence\b"),
    "section_rationale": ci(r"\b(rationale|why the committee|committee'?s discussion|evidence|how the "
                                    r"recommendations? might|considerations|methods|economic|cost)\b"),
    "section_context": ci(r"\b(context|background|introduction|overview|preface|foreword|about this|"
                                  r"what is|who is (it|this|pm\+|pfa)|scope|purpose|aims?)\b"),
    "section_glossary": ci(r"\b(glossary|terms used|definitions?|abbreviations)\b"),
    "section_appendix": ci(r"\b(appendix|appendices|annex)\b"),
    "section_forms": ci(r"\b(forms?|handouts?|worksheets?|questionnaires?|checklists?|assessment tools?|"
                                r"measures?|scales?|record)\b"),
    "section_case": ci(r"\b(case|scenario|example|vignette|role ?play|sample conversation|dialogue|metaphor|"
                               r"analog(y|ies))s?\b"),
    "section_resources": ci(r"\b(resources?|links?|books?|manuals|further reading|websites?|blogs?|"
                                    r"downloads?|materials|bibliography|references)\b"),
    "section_self_care": ci(r"\b(caring for yourself|self-care|your own|training|supervision|staff skills|"
                                    r"competence|getting ready)\b"),
    "section_recommendations": ci(r"\b(recommendations?|key priorities|what action should|principles of care|"
                                          r"care)\b"),
}


_NUMBERED = re.compile(r"^\s*\d+\.\d+(\.\d+)*\s")
_BULLET = re.compile(r"^\s*[•·●○◦▪■□☐☑✓✔➢➤►»«\-–—－*◇◆]")
_RESOURCE_POINTER = Caseless(r"\b(download|link|website|web site|available (at|from|online)|copies of)\b")


def _strip(text: str) -> str:
    return _LEAD.sub("", blank_glyphs(text)).strip()


def sentence_cues(text: str, section: Sequence[str], *, role: str = "text", heading: bool = False) -> dict[str, float]:
    """The named cues of one sentence (or heading) and its section path; values are 0/1 or small counts."""
    body, acts = _text_cues(text, role, heading)
    return {**body, **_section_cues(tuple(section)), **acts}


# A sentence is often a candidate for several codes (one after another), and a guide has far fewer
# section paths than sentences: each part is worked out once.
@lru_cache(maxsize=64)
def _text_cues(text: str, role: str, heading: bool) -> tuple[dict[str, float], dict[str, float]]:
    body = _strip(text)
    low = lowered(body)
    words = n_words(body)
    cues: dict[str, float] = {
        "imperative": float(bool(_IMPERATIVE.match(body, low))),
        "helper_modal": float(bool(_HELPER.search(body, low))),
        "client_subject": float(bool(_CLIENT_SUBJECT.match(body, low))),
        "first_person": float(bool(_FIRST_PERSON.search(body.lower() if low is None else low))),
        "author": float(bool(_AUTHOR.search(body, low))),
        "evidence": float(bool(_EVIDENCE.search(body, low))),
        "modal": float(bool(_MODAL.search(body, low))),
        "negation": float(bool(_NEGATION.search(body, low))),
        "question": float(body.rstrip().endswith("?") or bool(_QUESTION_START.match(body, low))),
        "symptom": float(bool(_SYMPTOM.search(body, low))),
        "example": float(bool(_EXAMPLE.search(body, low))),
        "quoted": float(bool(_QUOTE.search(body))),
        "exercise": float(bool(_EXERCISE.search(body, low))),
        "care_noun": float(bool(_CARE_NOUN.search(body, low))),
        "numbered": float(bool(_NUMBERED.match(blank_glyphs(text)))),
        "role_recommendation": float(role == "recommendation"),
        "role_list_item": float(role == "list_item"),
        "heading": float(heading),
        "title": float(heading and words < 6),
        "short": float(words < 8),
        "long": float(words > 35),
        "ends_colon": float(body.rstrip().endswith(":")),
        "cross_reference": float(bool(_CROSS_REFERENCE.search(body, low))),
        "no_verb": float(not _VERB_HINT.search(body, low) and not _IMPERATIVE.match(body, low)),
        "bullet": float(bool(_BULLET.match(blank_glyphs(text)))),
        "in_brackets": float(body.startswith(("[", "("))),
        "staff_development": float(bool(_STAFF_DEVELOPMENT.search(body, low))),
        "meta": float(bool(_META.match(body, low))),
        "resource_pointer": float(bool(_RESOURCE_POINTER.search(body, low))),
    }
    helper_acts = float(cues["imperative"] or cues["helper_modal"])
    client_acts = float(not helper_acts and (cues["client_subject"] or cues["first_person"]))
    return cues, {"helper_acts": helper_acts, "client_acts": client_acts}


@lru_cache(maxsize=512)
def _section_cues(section: tuple[str, ...]) -> dict[str, float]:
    path = " > ".join(section)
    innermost = section[-1] if section else ""
    cues = {name: float(bool(pattern.search(innermost)) or bool(pattern.search(path)) * 0.5)
            for name, pattern in _SECTIONS.items()}
    cues["section_listing"] = float(bool(_LISTING_HEADING.search(innermost)))
    cues["section_others"] = float(bool(_OTHERS_HEADING.search(innermost)))
    return cues


CUE_NAMES: tuple[str, ...] = tuple(sentence_cues("Offer it.", ("Recommendations",)).keys())
