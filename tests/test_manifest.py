from pathlib import Path

import pytest

from mapping_review.errors import ManifestError
from mapping_review.project import manifest_edit
from mapping_review.project.manifest import Guide, load_manifest
from mapping_review.project.manifest_edit import append_guide, update_guide

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


def test_a_misindented_line_is_named_with_what_to_check(tmp_path):
    from mapping_review.errors import ConfigError
    from mapping_review.project.yamlfile import load_yaml

    path = tmp_path / "codebook.yaml"
    path.write_text("features:\n  - id: a\n    codes:\n      - id: x\n     - id: y\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:5: YAML syntax error: did not find expected key (in the block that starts "
                              "on line 2)")
    assert "check this line's indentation against the lines above it" in message


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


@pytest.mark.parametrize("bad", ["A" * 64, "ab" * 6], ids=["upper-case", "truncated"])
def test_a_hash_not_of_64_lower_case_hex_digits_is_a_problem_of_its_entry(tmp_path, bad):
    text = GOOD.replace("    title: Second", f"    title: Second\n    sha256: '{bad}'")
    manifest = load_manifest(write(tmp_path, text))
    assert [g.key for g in manifest.guides] == ["a_2020"]
    (problem,) = manifest.problems
    assert problem.key == "b_2021" and "64 lower-case hex digits" in problem.message


COMMENTED = """\
# the guides
guides:
  - key: a_2020   # the first one
    title: First
  - key: b_2021
    title: Second   # as printed on the cover
    publisher: Somebody
  # c has no PDF yet
  - key: c_2022
"""


def test_removing_a_field_keeps_the_comment_of_the_field_before_it_and_the_one_after_it(tmp_path):
    path = write(tmp_path, COMMENTED)
    update_guide(path, Guide(key="b_2021", title="Second"))  # publisher removed
    text = path.read_text(encoding="utf-8")
    assert "publisher" not in text
    assert "# as printed on the cover" in text and "# c has no PDF yet" in text
    assert text.index("# as printed on the cover") < text.index("# c has no PDF yet") < text.index("- key: c_2022")
    assert load_manifest(path).get("b_2021") == Guide(key="b_2021", title="Second")


def test_appending_a_key_already_there_is_refused_and_says_to_replace(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(ManifestError, match=r"manifest.yaml:3: guide 'a_2020' already exists; pass --replace"):
        append_guide(path, Guide(key="a_2020", title="Again"))
    assert path.read_text(encoding="utf-8") == GOOD


def _write_breaking(monkeypatch, old: str, new: str) -> None:
    """Have the manifest edit's rendered text changed (``old`` -> ``new``) before it is written."""
    real_dump = manifest_edit._dump

    def dump(rt, data):
        text = real_dump(rt, data)
        assert old in text
        return text.replace(old, new)

    monkeypatch.setattr(manifest_edit, "_dump", dump)


def test_an_edit_that_would_change_another_entry_is_not_written(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD)
    _write_breaking(monkeypatch, "title: Second", "title: Secnod")
    with pytest.raises(ManifestError, match="could not be written cleanly; the file is unchanged"):
        update_guide(path, Guide(key="a_2020", title="First, corrected", year=2020))
    with pytest.raises(ManifestError, match="could not be written cleanly; the file is unchanged"):
        append_guide(path, Guide(key="c_2022", title="Third"))
    assert path.read_text(encoding="utf-8") == GOOD
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.yaml"]


def test_an_edit_whose_own_entry_would_read_back_otherwise_is_not_written(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD)
    _write_breaking(monkeypatch, "title: First, corrected", "title: First")
    with pytest.raises(ManifestError, match="could not be written cleanly; the file is unchanged"):
        update_guide(path, Guide(key="a_2020", title="First, corrected", year=2020))
    assert path.read_text(encoding="utf-8") == GOOD


def test_removing_a_guide_keeps_every_other_line_and_comment(tmp_path):
    path = write(tmp_path, COMMENTED)
    manifest_edit.remove_entry(path, "b_2021")
    assert path.read_text(encoding="utf-8") == COMMENTED.replace(
        "  - key: b_2021\n    title: Second   # as printed on the cover\n    publisher: Somebody\n", "")
    manifest_edit.remove_entry(path, "c_2022")  # the last: the comment before it stays
    assert [g.key for g in load_manifest(path).guides] == ["a_2020"]
    assert "# the first one" in path.read_text(encoding="utf-8")


def test_removing_a_guide_not_there_is_refused_with_a_suggestion(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(ManifestError, match=r"no guide 'a_2021' to remove \(did you mean '[ab]_202[01]'\?\)"):
        manifest_edit.remove_entry(path, "a_2021")
    assert path.read_text(encoding="utf-8") == GOOD


def test_a_guide_whose_entry_has_a_problem_can_be_removed(tmp_path):
    path = write(tmp_path, GOOD.replace("    title: Second", "    title: Second\n    year: soon"))
    assert [p.key for p in load_manifest(path).problems] == ["b_2021"]
    manifest_edit.remove_entry(path, "b_2021")
    manifest = load_manifest(path)
    assert [g.key for g in manifest.guides] == ["a_2020"] and manifest.problems == ()


def test_a_removal_that_would_change_another_entry_is_not_written(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD)
    _write_breaking(monkeypatch, "title: First", "title: Frist")
    with pytest.raises(ManifestError, match="could not be taken out cleanly; the file is unchanged"):
        manifest_edit.remove_entry(path, "b_2021")
    assert path.read_text(encoding="utf-8") == GOOD
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.yaml"]
