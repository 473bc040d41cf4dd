import re
from pathlib import Path

import pytest
from conftest import ROOT, SHARED, need_corpus

from mapping_review.coding.codebook import load_codebook
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
