import re
from pathlib import Path

import pytest
from conftest import ROOT, SHARED, need_corpus

from mapping_review.coding.codebook import load_codebook, split_cell
from mapping_review.coding.decide import Evidence, applies
from mapping_review.errors import ConfigError
from mapping_review.project.layout import PACKAGED_CODEBOOK

SPEC_ROW = re.compile(r"^\| ([a-z_/]+) \| (.+?) \| .+ \|$")


def spec_codes():
    need_corpus()  # the reference lives beside the corpus in ../shared
    text = (SHARED / "reference" / "codebook-spec.md").read_text(encoding="utf-8")
    return [m.groups() for line in text.splitlines() if (m := SPEC_ROW.match(line)) and m.group(1) != "id"]


def test_shipped_codebook_matches_the_paper_spec():
    codebook = load_codebook(ROOT / "codebook.yaml")
    assert len(codebook.features) == 17
    spec = spec_codes()
    assert len(spec) == 33
    assert [c.id for c in codebook.codes] == [code for code, _ in spec]
    for code, label in spec:
        c = codebook.by_id[code]
        expected = f"{c.feature_label}: {c.label}" if c.is_sub_value else c.label
        assert expected == label, code
    assert all(c.definition and any(g.phrases or g.lemmas or g.tokens for g in c.patterns) for c in codebook.codes)


def test_packaged_codebook_is_the_shipped_one():
    assert PACKAGED_CODEBOOK.read_text() == (ROOT / "codebook.yaml").read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codebook.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """\
name: test
features:
  - id: alliance
    label: Alliance
    definition: The relationship matters.
    patterns:
      phrases: [rapport]
  - id: place
    label: Place
    definition: Where.
    codes:
      - id: home
        label: Home
        definition: At home.
        patterns:
          phrases: [home visit]
"""


def test_minimal_codebook_flattens_codes(tmp_path):
    codebook = load_codebook(write(tmp_path, BASE))
    assert [c.id for c in codebook.codes] == ["alliance", "place/home"]
    assert codebook.by_id["place/home"].label == "Home"


def test_unknown_key_names_line_and_suggestion(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_codebook(write(tmp_path, BASE.replace("      phrases: [rapport]", "      phrase: [rapport]")))
    assert "codebook.yaml:7: unknown key 'phrase' (did you mean 'phrases'?)" in str(e.value)


def test_leading_codes_are_off_unless_set_and_checked_when_set(tmp_path):
    assert load_codebook(write(tmp_path, BASE)).model.leading is None
    leading = load_codebook(write(tmp_path, "leading:\n  share: 0.3\n  min_score: 0.5\n" + BASE)).model.leading
    assert leading is not None and (leading.share, leading.min_score) == (0.3, 0.5)
    with pytest.raises(ConfigError) as e:
        load_codebook(write(tmp_path, "leading:\n  shre: 0.3\n  min_score: 0.5\n" + BASE))
    assert "unknown key 'shre' (did you mean 'share'?)" in str(e.value)
    with pytest.raises(ConfigError, match="leading"):
        load_codebook(write(tmp_path, "leading:\n  share: 1.5\n  min_score: 0.5\n" + BASE))


def test_duplicate_id_names_both_lines(tmp_path):
    text = BASE + "  - id: alliance\n    label: Again\n    definition: Twice.\n"
    with pytest.raises(ConfigError, match=r"codebook.yaml:17: duplicate feature id 'alliance' \(first at line 3\)"):
        load_codebook(write(tmp_path, text))


def test_token_pattern_that_does_not_compile(tmp_path):
    text = BASE.replace("      phrases: [rapport]", "      tokens:\n        - [{LEMMMA: build}]")
    with pytest.raises(ConfigError, match=r"codebook.yaml:8: token pattern does not compile"):
        load_codebook(write(tmp_path, text))


def test_bad_id_and_missing_definition(tmp_path):
    text = BASE.replace("id: alliance", "id: Alliance-1").replace("    definition: Where.\n", "")
    with pytest.raises(ConfigError) as e:
        load_codebook(write(tmp_path, text))
    assert "codebook.yaml:3: id 'Alliance-1' must be lower case" in str(e.value)
    assert "missing key 'definition'" in str(e.value)


def test_patterns_on_a_feature_with_sub_values_are_refused(tmp_path):
    text = BASE.replace("    definition: Where.\n", "    definition: Where.\n    patterns:\n      phrases: [x]\n")
    with pytest.raises(ConfigError, match="put its patterns on the sub-values"):
        load_codebook(write(tmp_path, text))


def test_a_phrase_split_at_its_commas_is_caught(tmp_path):
    split = "      phrases: [rapport, link between thoughts, thoughts, feelings and behaviour]"
    text = BASE.replace("      phrases: [rapport]", split)
    with pytest.raises(ConfigError) as e:
        load_codebook(write(tmp_path, text))
    message = str(e.value)
    assert "codebook.yaml:7: 'thoughts', 'feelings and behaviour' look like one phrase split at its commas" in message
    assert '"thoughts, feelings and behaviour"' in message
    # quoted as one phrase, or item by item when they are meant apart, it loads
    load_codebook(write(tmp_path, text.replace("thoughts, feelings and behaviour]", '"thoughts, feelings and behaviour"]')))
    apart = '"thoughts", "feelings and behaviour"]'
    load_codebook(write(tmp_path, text.replace("thoughts, feelings and behaviour]", apart)))
    # a block list cannot be split this way and is not flagged
    block = BASE.replace("      phrases: [rapport]", "      phrases:\n        - thoughts\n        - feelings and behaviour")
    load_codebook(write(tmp_path, block))


def test_the_shipped_codebook_has_no_single_guide_phrases():
    codebook = load_codebook(ROOT / "codebook.yaml")
    phrases = {p for c in codebook.codes for g in c.patterns for p in (*g.phrases, *g.exclude_any)}
    phrases |= {p for c in codebook.codes for p in c.context.exclude_any}
    for phrase in ["practice work", "mood chart", "unhook", "unhooking", "approach people", "department of primary care",
                   "medication bottle", "in the mother's home", "listen to the mother", "relationship with the mother"]:
        assert phrase not in phrases, phrase
    causal = {p for g in codebook.by_id["methods/causal_understanding"].patterns if g.weight >= 1 for p in g.phrases}
    assert "thoughts, feelings and behaviour" in causal and "thoughts" not in causal


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as e:
        load_codebook(write(tmp_path, text))
    return str(e.value)


def test_an_empty_codebook_file_asks_for_a_name(tmp_path):
    assert refused(tmp_path, "").endswith("codebook.yaml:1: missing key 'name'")


@pytest.mark.parametrize(("old", "new", "expected"), [
    pytest.param("      phrases: [rapport]", "      phrases: [rapport]\n      weight: 0",
                 "codebook.yaml:8: weight: Input should be greater than 0 (got 0)", id="zero weight"),
    pytest.param("label: Alliance", "label: ''",
                 "codebook.yaml:4: label: String should have at least 1 character (got '')", id="empty label"),
    pytest.param("id: alliance", "id: alliance-1",
                 "codebook.yaml:3: id 'alliance-1' must be lower case letters, digits and '_'", id="hyphen in an id"),
    pytest.param("[rapport]", "[rapport, 1]",  # the list and the value, not a list index
                 "codebook.yaml:7: phrases: Input should be a valid string (got 1)", id="wrong item in a phrase list"),
])
def test_a_bad_value_is_refused_with_its_line_field_and_value(tmp_path, old, new, expected):
    assert expected in refused(tmp_path, BASE.replace(old, new))


def test_an_unknown_key_in_a_context_suggests_the_known_one(tmp_path):
    text = BASE.replace("    patterns:\n      phrases: [rapport]",
                        "    context: {require: [clinician]}\n    patterns:\n      phrases: [rapport]")
    assert "codebook.yaml:6: unknown key 'require' (did you mean 'require_any'?)" in refused(tmp_path, text)


def test_an_unknown_code_suggests_the_nearest(tmp_path):
    codebook = load_codebook(write(tmp_path, BASE))
    with pytest.raises(ConfigError, match=r"unknown code 'place/hom' \(did you mean 'place/home'\?\)"):
        codebook.code("place/hom")


def test_without_a_decision_block_one_passage_at_half_decides(tmp_path):
    rule = load_codebook(write(tmp_path, BASE)).by_id["alliance"].decision
    assert applies(rule, Evidence(n_evidence=1, n_sections=1, max_score=0.5, section_scores=(0.5,)))
    assert not applies(rule, Evidence(n_evidence=1, n_sections=1, max_score=0.49, section_scores=(0.49,)))


def test_decision_rules_pass_from_codebook_to_feature_to_sub_value(tmp_path):
    text = ("decision: {min_score: 0.9}\n" + BASE).replace(
        "    definition: Where.\n", "    definition: Where.\n    decision: {min_score: 0.7}\n").replace(
        "matters.\n", "matters.\n    decision: {min_score: 0.8}\n")
    text += ("      - id: clinic\n        label: Clinic\n        definition: At a clinic.\n"
             "        decision: {min_score: 0.6}\n        patterns:\n          phrases: [clinic]\n"
             "  - id: hope\n    label: Hope\n    definition: Hope.\n    patterns:\n      phrases: [hope]\n")
    codebook = load_codebook(write(tmp_path, text))
    assert {c.id: c.decision.min_score for c in codebook.codes} == {
        "alliance": 0.8, "place/home": 0.7, "place/clinic": 0.6, "hope": 0.9}


def test_every_repeat_of_a_feature_id_points_to_the_first(tmp_path):
    again = "  - id: alliance\n    label: Again\n    definition: Twice.\n"
    message = refused(tmp_path, BASE + again + again)
    assert "codebook.yaml:17: duplicate feature id 'alliance' (first at line 3)" in message
    assert "codebook.yaml:20: duplicate feature id 'alliance' (first at line 3)" in message


HOME_AGAIN = "      - id: home\n        label: Home again\n        definition: Twice.\n"


def test_a_duplicate_sub_value_names_the_code_and_both_lines(tmp_path):
    assert "codebook.yaml:17: duplicate code id place/home (first at line 12)" in refused(tmp_path, BASE + HOME_AGAIN)


def test_the_same_sub_value_under_two_features_is_fine(tmp_path):
    text = BASE + "  - id: setting\n    label: Setting\n    definition: Where else.\n    codes:\n" + HOME_AGAIN
    assert [c.id for c in load_codebook(write(tmp_path, text)).codes] == ["alliance", "place/home", "setting/home"]


def test_a_context_on_a_feature_with_sub_values_is_refused(tmp_path):
    text = BASE.replace("    definition: Where.\n", "    definition: Where.\n    context: {exclude_any: [not]}\n")
    message = refused(tmp_path, text)
    assert "codebook.yaml:11: feature 'place' has sub-values: put its context on the sub-values" in message
    assert "put its patterns" not in message


def test_a_token_error_in_a_list_of_groups_names_the_tokens_line(tmp_path):
    groups = "      - phrases: [rapport]\n      - tokens:\n          - [{LEMMMA: build}]"
    message = refused(tmp_path, BASE.replace("      phrases: [rapport]", groups))
    assert "codebook.yaml:9: token pattern does not compile: - [pattern -> 0 -> LEMMMA]" in message


def test_a_sub_values_token_patterns_are_compiled_too(tmp_path):
    text = BASE.replace("          phrases: [home visit]", "          tokens:\n            - [{LEMMMA: visit}]")
    assert "codebook.yaml:17: token pattern does not compile" in refused(tmp_path, text)


@pytest.mark.parametrize("phrases", ["phrases: [rapport, ' ']", "phrases: [rapport]\n      exclude_any: ['']"])
def test_a_blank_phrase_is_refused(tmp_path, phrases):
    assert "codebook.yaml:6: empty phrase in patterns" in refused(tmp_path, BASE.replace("phrases: [rapport]", phrases))


@pytest.mark.parametrize("where", ["feature", "sub-value"])
@pytest.mark.parametrize("context", ["{require_any: ['']}", "{exclude_any: [not, ' ']}"])
def test_a_blank_phrase_in_a_codes_context_is_refused(tmp_path, where, context):
    # An empty phrase occurs in every sentence: in require_any it would silently switch the requirement off.
    if where == "feature":
        text = BASE.replace("    definition: The relationship matters.\n",
                            f"    definition: The relationship matters.\n    context: {context}\n")
        line = 6
    else:
        home = "          phrases: [home visit]"
        text = BASE.replace(home, f"{home}\n        context: {context}")
        line = 17
    message = refused(tmp_path, text)
    assert f"codebook.yaml:{line}: empty phrase in context" in message


def test_a_codes_context_with_phrases_is_accepted(tmp_path):
    context = "    context: {require_any: [client], exclude_any: [not]}\n"
    definition = "    definition: The relationship matters.\n"
    text = BASE.replace(definition, definition + context)
    assert load_codebook(write(tmp_path, text)).codes[0].context.require_any == ("client",)


@pytest.mark.parametrize(("items", "parts"), [
    ("thoughts, feelings and behaviour", "'thoughts', 'feelings and behaviour'"),  # at the start of the list
    ("rapport, anxiety, depression or stress", "'rapport', 'anxiety', 'depression or stress'"),  # with "or"
    ("thoughts, feelings, behaviour and mood", "'thoughts', 'feelings', 'behaviour and mood'"),  # back to the first item
])
def test_a_split_phrase_is_caught_wherever_it_starts(tmp_path, items, parts):
    message = refused(tmp_path, BASE.replace("[rapport]", f"[{items}]"))
    assert f"codebook.yaml:7: {parts} look like one phrase split at its commas; write it in quotes (\"{items}\")" in message


@pytest.mark.parametrize("where", ["      lemmas: [{}]", "      phrases: [rapport]\n      require_any: [{}]"])
def test_a_split_phrase_is_caught_in_lemmas_and_context_lists(tmp_path, where):
    text = BASE.replace("      phrases: [rapport]", where.format("thought, feeling and behaviour"))
    assert "'thought', 'feeling and behaviour' look like one phrase" in refused(tmp_path, text)


@pytest.mark.parametrize("field", ["include", "exclude", "examples"])
def test_a_split_phrase_is_caught_in_the_notes_for_reviewers(tmp_path, field):
    text = BASE.replace("    definition: The relationship matters.\n",
                        f"    definition: The relationship matters.\n    {field}: [thoughts, feelings and behaviour]\n")
    assert "codebook.yaml:6: 'thoughts', 'feelings and behaviour' look like one phrase" in refused(tmp_path, text)


def test_quoting_either_item_marks_them_as_meant_apart(tmp_path):
    load_codebook(write(tmp_path, BASE.replace("[rapport]", '["thoughts", feelings and behaviour]')))
    load_codebook(write(tmp_path, BASE.replace("[rapport]", '[thoughts, "feelings and behaviour"]')))


def test_a_split_phrase_in_a_list_over_several_lines_names_its_own_line(tmp_path):
    text = BASE.replace("[rapport]", "[good rapport,\n                thoughts, feelings and behaviour]")
    assert "codebook.yaml:8: 'thoughts', 'feelings and behaviour' look like one phrase" in refused(tmp_path, text)


def test_a_cell_splits_into_its_labels_without_empty_ones():
    assert split_cell(" Inpatient , , Outpatient, ") == ["Inpatient", "Outpatient"]


def test_a_renamed_code_names_its_earlier_ids_and_a_renamed_feature_takes_its_sub_values_along(tmp_path):
    text = (BASE.replace("  - id: alliance\n", "  - id: alliance\n    renamed_from: [rapport]\n")
            .replace("  - id: place\n", "  - id: place\n    renamed_from: [location]\n")
            .replace("      - id: home\n", "      - id: home\n        renamed_from: [place/house]\n"))
    codebook = load_codebook(write(tmp_path, text))
    assert codebook.renamed == {"rapport": "alliance", "place/house": "place/home", "location/home": "place/home"}


@pytest.mark.parametrize(("edit", "message"), [
    (("  - id: alliance\n", "  - id: alliance\n    renamed_from: [place/home]\n"),
     "codebook.yaml:4: alliance: 'place/home' is a code of this codebook; renamed_from names ids no longer in use"),
    (("      - id: home\n", "      - id: home\n        renamed_from: [rapport]\n"),
     "codebook.yaml:14: place/home: 'rapport' is also an earlier id of 'alliance'"),
])
def test_an_earlier_id_in_use_or_claimed_twice_is_refused(tmp_path, edit, message):
    text = BASE.replace("  - id: alliance\n", "  - id: alliance\n    renamed_from: [rapport]\n", 1) \
        if edit[0] != "  - id: alliance\n" else BASE
    assert message in refused(tmp_path, text.replace(*edit))


# --- review C (renamed_from) --------------------------------------------------------------------------------


def test_a_feature_with_sub_values_renamed_from_a_code_still_in_use_is_refused(tmp_path):
    """place (with sub-values) renamed_from [alliance]: 'alliance' is a code of this codebook, but only the
    sub-values' derived ids ('alliance/home') were checked, so it was taken."""
    text = BASE.replace("  - id: place\n", "  - id: place\n    renamed_from: [alliance]\n")
    assert "'alliance' is a code of this codebook" in refused(tmp_path, text)


@pytest.mark.parametrize("earlier", ["''", "'Rapport '", "'rapport,care'"])
def test_an_earlier_id_that_no_code_could_have_had_is_refused(tmp_path, earlier):
    """No decision can be under such an id: a typo here silently leaves the old decisions out."""
    text = BASE.replace("  - id: alliance\n", f"  - id: alliance\n    renamed_from: [{earlier}]\n")
    assert "codebook.yaml:4" in refused(tmp_path, text)


def test_a_chain_of_renames_maps_every_earlier_id_to_the_id_now(tmp_path):
    text = BASE.replace("  - id: alliance\n", "  - id: alliance\n    renamed_from: [rapport, relationship]\n")
    assert load_codebook(write(tmp_path, text)).renamed == {"rapport": "alliance", "relationship": "alliance"}


def test_the_same_earlier_id_twice_on_one_code_is_not_a_conflict(tmp_path):
    text = BASE.replace("  - id: alliance\n", "  - id: alliance\n    renamed_from: [rapport, rapport]\n")
    assert load_codebook(write(tmp_path, text)).renamed == {"rapport": "alliance"}


def test_a_renamed_feature_without_sub_values_maps_its_own_id(tmp_path):
    text = BASE.replace("  - id: alliance\n", "  - id: alliance\n    renamed_from: [rapport]\n")
    codebook = load_codebook(write(tmp_path, text))
    assert codebook.renamed == {"rapport": "alliance"}  # no 'rapport/...' ids: it has no sub-values


def test_a_sub_value_label_with_a_comma_is_refused_as_a_sheet_could_not_read_it_back(tmp_path):
    text = BASE.replace("        label: Home\n", "        label: Home, family\n")
    assert "codebook.yaml:13: the label 'Home, family' holds a comma" in refused(tmp_path, text)
    load_codebook(write(tmp_path, BASE.replace("    label: Alliance\n", "    label: Alliance, rapport\n")))  # a column
