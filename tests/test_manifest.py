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
    real = manifest_edit._entry_end
    monkeypatch.setattr(manifest_edit, "_entry_end", lambda lines, start: real(lines, start) + 1)  # one line too many
    with pytest.raises(ManifestError, match="could not be taken out cleanly; the file is unchanged"):
        manifest_edit.remove_entry(path, "a_2020")
    assert path.read_text(encoding="utf-8") == GOOD
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.yaml"]


# --- review C (corpus remove) -------------------------------------------------------------------------------


def test_removing_the_first_guide_keeps_the_comment_that_introduces_the_next(tmp_path):
    """Comment lines after an entry belong to what follows it (remove_entry's own rule); for the first entry
    they were dropped along with it."""
    text = "# top\nguides:\n  - key: a\n    title: A\n  # b is the WHO one\n  - key: b\n    title: B\n"
    path = write(tmp_path, text)
    manifest_edit.remove_entry(path, "a")
    assert path.read_text(encoding="utf-8") == "# top\nguides:\n  # b is the WHO one\n  - key: b\n    title: B\n"


def test_removing_the_only_guide_keeps_the_comment_at_the_end_of_the_file(tmp_path):
    path = write(tmp_path, "guides:\n  - key: a\n    title: A\n# guides still to find: NICE 2019\n")
    manifest_edit.remove_entry(path, "a")
    assert "# guides still to find: NICE 2019" in path.read_text(encoding="utf-8")
    assert load_manifest(path).guides == ()


def test_removing_a_guide_keeps_the_comment_on_the_last_line_of_the_guide_before_it(tmp_path):
    """The removed entry's trailing comments were put in the place of the previous entry's own end-of-line
    comment, which was lost."""
    text = ("guides:\n  - key: a\n    title: A   # as printed on the cover\n  - key: b\n    title: B\n"
            "  # c has no PDF yet\n  - key: c\n")
    path = write(tmp_path, text)
    manifest_edit.remove_entry(path, "b")
    assert path.read_text(encoding="utf-8") == (
        "guides:\n  - key: a\n    title: A   # as printed on the cover\n  # c has no PDF yet\n  - key: c\n")


def test_removing_a_key_there_twice_takes_out_both_and_nothing_else(tmp_path):
    text = ("guides:\n  - key: a\n    title: A\n  - key: b\n  - key: a\n    title: A again\n"
            "  # c comes last\n  - key: c\n")
    path = write(tmp_path, text)
    assert [p.key for p in load_manifest(path).problems] == ["a"]
    manifest_edit.remove_entry(path, "a")
    assert path.read_text(encoding="utf-8") == "guides:\n  - key: b\n  # c comes last\n  - key: c\n"
    assert load_manifest(path).problems == ()


def test_an_entry_whose_key_yaml_reads_as_a_number_can_be_removed(tmp_path):
    path = write(tmp_path, "guides:\n  - key: 2020\n    title: Untitled\n  - key: b\n")
    assert [p.key for p in load_manifest(path).problems] == ["2020"]
    manifest_edit.remove_entry(path, "2020")
    assert path.read_text(encoding="utf-8") == "guides:\n  - key: b\n"


def test_removing_a_misspelt_key_suggests_an_entry_that_has_a_problem_too(tmp_path):
    path = write(tmp_path, "guides:\n  - key: who_guideline\n    year: soon\n  - key: b\n")
    with pytest.raises(ManifestError, match=r"no guide 'who_guidline' to remove \(did you mean 'who_guideline'\?\)"):
        manifest_edit.remove_entry(path, "who_guidline")


def test_a_refused_removal_never_suggests_the_key_it_refused(tmp_path):
    """``key: yes`` is a problem entry named 'True' (YAML 1.1), but the editor reads it as 'yes' (YAML 1.2):
    `corpus remove True` said "no guide 'True' to remove (did you mean 'True'?)"."""
    path = write(tmp_path, "guides:\n  - key: yes\n  - key: b\n")
    names = [p.key for p in load_manifest(path).problems]
    for name in names:
        try:
            manifest_edit.remove_entry(path, name)
        except ManifestError as e:
            assert f"did you mean {name!r}" not in str(e)


def test_a_removal_waits_for_a_concurrent_add_and_keeps_it(tmp_path):
    import threading

    path = write(tmp_path, GOOD)
    done = threading.Event()
    with manifest_edit.manifest_lock(path):
        worker = threading.Thread(target=lambda: (manifest_edit.remove_entry(path, "a_2020"), done.set()))
        worker.start()
        assert not done.wait(0.5)  # it waits for the lock
        manifest_edit.append_unlocked(path, Guide(key="c_2022", title="Third"))
    worker.join(10)
    assert done.is_set()
    assert [g.key for g in load_manifest(path).guides] == ["b_2021", "c_2022"]


def test_removing_the_first_guide_never_moves_a_comment_after_the_last(tmp_path):
    path = write(tmp_path, "guides:\n  - key: a\n  # about b\n  - key: b\n  - key: c\n    title: C\n")
    manifest_edit.remove_entry(path, "a")
    assert path.read_text(encoding="utf-8").endswith("  - key: c\n    title: C\n")


def test_a_syntax_error_within_one_line_does_not_name_a_block_starting_on_it(tmp_path):
    from mapping_review.errors import ConfigError
    from mapping_review.project.yamlfile import load_yaml

    path = tmp_path / "review.yaml"
    path.write_text("title: x\nbuild: {engine: a nlp: b}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    assert f"{path}:2: YAML syntax error: did not find expected ',' or '}}'; check this line" in str(caught.value)


# --- mutation pass: what users depend on that no test pinned -------------------------------------------------


def test_guides_that_is_not_a_list_is_named_at_its_own_line(tmp_path):
    with pytest.raises(ManifestError, match=r"manifest.yaml:2: `guides:` must be a list of entries"):
        load_manifest(write(tmp_path, "# my comment\nguides:\n  key: a\n"))


def test_an_entry_without_a_key_is_named_at_its_own_line_and_counts_as_its_own_broken_entry(tmp_path):
    manifest = load_manifest(write(tmp_path, "guides:\n  - title: A\n  - title: B\n  - key: c\n"))
    assert [g.key for g in manifest.guides] == ["c"]
    assert [(p.line, p.key) for p in manifest.problems] == [(2, "?"), (3, "?")]
    assert "manifest.yaml:3: guide '?': missing field 'key'" in manifest.problems[1].message
    assert len(manifest.broken_entries) == 2  # two entries without a key are two broken guides, not one


@pytest.mark.parametrize("key", ["-draft", ".hidden", "_x"])
def test_a_key_must_start_with_a_letter_or_digit(tmp_path, key):
    manifest = load_manifest(write(tmp_path, f"guides:\n  - key: '{key}'\n  - key: b\n"))
    assert [g.key for g in manifest.guides] == ["b"]
    (problem,) = manifest.problems
    assert "manifest.yaml:2" in problem.message and "may only use letters" in problem.message


def test_a_hash_longer_than_64_digits_is_a_problem_of_its_entry(tmp_path):
    manifest = load_manifest(write(tmp_path, "guides:\n  - key: a\n    sha256: '" + "a" * 65 + "'\n"))
    assert manifest.guides == ()
    assert "manifest.yaml:3" in manifest.problems[0].message and "64 lower-case hex digits" in manifest.problems[0].message


def test_a_duplicate_key_is_named_at_its_second_entry_and_problems_come_in_file_order(tmp_path):
    text = "guides:\n  - key: a\n  - key: a\n  - key: b\n    year: soon\n"
    manifest = load_manifest(write(tmp_path, text))
    assert [(p.line, p.key) for p in manifest.problems] == [(3, "a"), (5, "b")]
    assert manifest.problems[0].message.startswith(f"{tmp_path / 'manifest.yaml'}:3: duplicate key 'a' (lines 2, 3)")


def test_a_manifest_of_comments_alone_has_no_guides_and_no_problems(tmp_path):
    manifest = load_manifest(write(tmp_path, "# no guides yet\n"))
    assert manifest.guides == () and manifest.problems == ()


def test_appending_a_key_there_twice_is_refused_as_already_there(tmp_path):
    text = "guides:\n  - key: a\n  - key: a\n"
    path = write(tmp_path, text)
    with pytest.raises(ManifestError, match=r"manifest.yaml:3: guide 'a' already exists; pass --replace"):
        append_guide(path, Guide(key="a", title="Third"))
    assert path.read_text(encoding="utf-8") == text


def test_appending_keeps_the_comment_at_the_end_of_the_file_last(tmp_path):
    path = write(tmp_path, "guides:\n  - key: a\n    title: A\n# the end\n")
    append_guide(path, Guide(key="b", title="B"))
    assert path.read_text(encoding="utf-8") == "guides:\n  - key: a\n    title: A\n  - key: b\n    title: B\n# the end\n"


def test_the_first_entry_of_a_new_manifest_is_indented_like_the_header_says(tmp_path):
    from mapping_review.project.manifest import HEADER

    path = write(tmp_path, HEADER + "guides:\n")
    append_guide(path, Guide(key="g1", title="One"))
    assert path.read_text(encoding="utf-8") == HEADER + "guides:\n  - key: g1\n    title: One\n"


def test_removing_an_entry_with_a_blank_line_inside_takes_out_all_of_it(tmp_path):
    path = write(tmp_path, "guides:\n  - key: a\n    title: A\n\n    year: 2020\n  - key: b\n")
    manifest_edit.remove_entry(path, "a")
    assert path.read_text(encoding="utf-8") == "guides:\n  - key: b\n"


def test_removing_from_a_flow_style_list_says_to_do_it_by_hand(tmp_path):
    text = "guides: [{key: a}, {key: b}]\n"
    path = write(tmp_path, text)
    with pytest.raises(ManifestError, match=r"manifest.yaml:1: the entry for 'a' is not a '- key: \.\.\.' block; take"):
        manifest_edit.remove_entry(path, "a")
    assert path.read_text(encoding="utf-8") == text


def test_the_kept_guides_are_the_manifests_until_an_entry_has_a_problem(tmp_path):
    assert load_manifest(write(tmp_path, GOOD)).kept_keys == {"a_2020", "b_2021"}
    assert load_manifest(write(tmp_path, GOOD.replace("title: Second", "titel: Second"))).kept_keys is None
