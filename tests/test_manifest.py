from pathlib import Path

import pytest

from mapping_review.errors import ManifestError
from mapping_review.project.manifest import Guide, load_manifest
from mapping_review.project.manifest_edit import append_guide

GOOD = """\
# my comment stays
guides:
  - key: a_2020
    title: First
    year: 2020
  - key: b_2021
    title: Second
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_manifest_loads(tmp_path):
    manifest = load_manifest(write(tmp_path, GOOD))
    assert [g.key for g in manifest.guides] == ["a_2020", "b_2021"]
    assert manifest.problems == ()
    assert manifest.lines == {"a_2020": 3, "b_2021": 6}


def test_typo_names_line_and_suggests_field_and_other_guides_carry_on(tmp_path):
    text = GOOD.replace("    title: Second", "    titel: Second")
    manifest = load_manifest(write(tmp_path, text))
    assert [g.key for g in manifest.guides] == ["a_2020"]
    (problem,) = manifest.problems
    assert problem.line == 7
    assert "manifest.yaml:7" in problem.message
    assert "unknown field 'titel'" in problem.message and "did you mean 'title'" in problem.message


def test_duplicate_key_sets_both_aside_and_names_lines(tmp_path):
    text = GOOD + "  - key: a_2020\n    title: Again\n"
    manifest = load_manifest(write(tmp_path, text))
    assert [g.key for g in manifest.guides] == ["b_2021"]
    (problem,) = manifest.problems
    assert "duplicate key 'a_2020'" in problem.message and "lines 3, 8" in problem.message


def test_bad_year_and_bad_key(tmp_path):
    text = "guides:\n  - key: ok\n    year: twenty\n  - key: 'bad key'\n"
    manifest = load_manifest(write(tmp_path, text))
    messages = " | ".join(p.message for p in manifest.problems)
    assert "manifest.yaml:3" in messages and "year" in messages
    assert "manifest.yaml:4" in messages and "may only use letters" in messages


def test_unquoted_all_digit_hash_is_explained(tmp_path):
    manifest = load_manifest(write(tmp_path, "guides:\n  - key: a\n    sha256: " + "0" * 64 + "\n"))
    assert "manifest.yaml:3" in manifest.problems[0].message and "in quotes" in manifest.problems[0].message


def test_yaml_syntax_error_names_line(tmp_path):
    with pytest.raises(ManifestError, match=r"manifest.yaml:3: YAML syntax error"):
        load_manifest(write(tmp_path, "guides:\n  - key: a\n  title: [unclosed\n"))


def test_field_given_twice_is_an_error(tmp_path):
    with pytest.raises(ManifestError, match=r"manifest.yaml:4: 'title' is given twice \(first at line 3\)"):
        load_manifest(write(tmp_path, "guides:\n  - key: a\n    title: x\n    title: y\n"))


def test_unknown_top_level_field(tmp_path):
    with pytest.raises(ManifestError, match=r"unknown top-level field 'guide'.*did you mean 'guides'"):
        load_manifest(write(tmp_path, "guide:\n  - key: a\n"))


def test_append_keeps_comments_and_round_trips(tmp_path):
    path = write(tmp_path, GOOD)
    guide = Guide(key="c_2022", title="Third: with colon", year=2022, sha256="0" * 64, file="c.pdf")
    append_guide(path, guide)
    assert path.read_text().startswith("# my comment stays")
    assert load_manifest(path).get("c_2022") == guide
