"""Files that cannot be lost or misread (the manifest's comments, atomic and locked edits, spreadsheet
formulas, subfolders) and a CLI that names the project one way and says every failure in one line."""

import json
import multiprocessing
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from pdfmaker import guide_pages, make_pdf
from pydantic import BaseModel

from mapping_review.cli import main
from mapping_review.errors import ConfigError, ManifestError
from mapping_review.project import manifest_edit
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import init_project
from mapping_review.project.manifest import Guide, load_manifest
from mapping_review.project.manifest_edit import append_guide, update_guide
from mapping_review.review.tables_io import read_table, write_table

COMMENTED = """\
# The guides of this review.
guides:
  - key: a_2020   # the first one
    title: First
    # checked by hand in March
    year: 2020

  # b is on loan from the library
  - key: b_2021
    title: Second
    publisher: Somebody
  # c has no PDF yet
  - key: c_2022
# the end
"""


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


# -- the manifest -----------------------------------------------------------------------------------

def test_an_edit_keeps_every_comment(tmp_path):
    path = tmp_path / "manifest.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    update_guide(path, Guide(key="a_2020", title="First, corrected", year=2020, url="https://example.org/a"))
    update_guide(path, Guide(key="b_2021", title="Second"))  # publisher removed
    update_guide(path, Guide(key="c_2022", title="Third"))
    text = path.read_text(encoding="utf-8")
    for comment in ("# The guides of this review.", "# the first one", "# checked by hand in March",
                    "# b is on loan from the library", "# c has no PDF yet", "# the end"):
        assert comment in text, comment
    # each comment still stands before the entry it is about
    assert text.index("# b is on loan") < text.index("- key: b_2021") < text.index("# c has no PDF")
    manifest = load_manifest(path)
    assert manifest.get("a_2020").url == "https://example.org/a" and manifest.get("b_2021").publisher == ""
    assert manifest.get("c_2022").title == "Third" and manifest.problems == ()


def test_an_edit_that_does_not_read_back_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "manifest.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    real_dump = manifest_edit._dump
    monkeypatch.setattr(manifest_edit, "_dump", lambda rt, data: real_dump(rt, data).replace("key: b_2021", "key: a_2020"))
    with pytest.raises(ManifestError, match="could not be written cleanly; the file is unchanged"):
        update_guide(path, Guide(key="a_2020", title="Changed"))
    monkeypatch.setattr(manifest_edit, "_dump", lambda rt, data: real_dump(rt, data) + "  - key: [broken\n")
    with pytest.raises(ManifestError, match=r"manifest.yaml: the entry for 'd_2023' could not be written cleanly"):
        append_guide(path, Guide(key="d_2023"))
    assert path.read_text(encoding="utf-8") == COMMENTED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.yaml"]  # no temporary file left


def _add_many(args):
    root, pdf, prefix, n = args
    from mapping_review.project.layout import Project

    for i in range(n):
        add_guide(Project(root), pdf, key=f"{prefix}{i}", link=True)


def test_concurrent_corpus_adds_lose_no_entry(project, tmp_path):
    pdf = make_pdf(tmp_path / "guide.pdf", guide_pages(1))
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_add_many, [(project.root, pdf, f"p{k}_", 6) for k in range(4)])
    manifest = load_manifest(project.manifest_path)
    assert sorted(g.key for g in manifest.guides) == sorted(f"p{k}_{i}" for k in range(4) for i in range(6))
    assert manifest.problems == ()


def test_a_bad_key_is_one_error_line_and_copies_nothing(project, tmp_path):
    pdf = make_pdf(tmp_path / "guide.pdf", guide_pages(1))
    before = project.manifest_path.read_text()
    out = run("corpus", "add", pdf, "--key", "bad key", "-p", project.root)
    assert out.exit_code == 1 and out.output.startswith("Error: guide 'bad key'") and "nothing was added" in out.output
    assert sorted(p.name for p in project.corpus_dir.iterdir()) == [".gitignore", "manifest.yaml"]
    assert project.manifest_path.read_text() == before


def test_a_failed_manifest_write_removes_the_copied_pdf(project, tmp_path, monkeypatch):
    pdf = make_pdf(tmp_path / "guide.pdf", guide_pages(1))
    real_dump = manifest_edit._dump
    monkeypatch.setattr(manifest_edit, "_dump", lambda rt, data: real_dump(rt, data) + "  - key: [broken\n")
    with pytest.raises(ManifestError):
        add_guide(project, pdf, key="g1")
    assert not (project.corpus_dir / "g1.pdf").exists()


# -- spreadsheets -----------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_pdf_text_that_looks_like_a_formula_stays_text_and_comes_back(tmp_path, suffix):
    cells = ["=HYPERLINK(\"http://x\",\"y\")", "+1 for effort", "- a bullet", "@SUM(A1)", "'=already quoted",
             "'plain apostrophe", "plain", "-"]
    path = write_table(tmp_path / f"t.{suffix}", ["quote"], [[c] for c in cells])
    assert [row[0] for row in read_table(path)[1]] == [c.strip() for c in cells]
    if suffix == "csv":
        written = path.read_text().splitlines()[1:]
        assert all(not line.lstrip('"').startswith(("=", "+", "-", "@")) for line in written), written
    else:
        import openpyxl

        sheet = openpyxl.load_workbook(path).active
        assert {sheet.cell(row=r, column=1).data_type for r in range(2, len(cells) + 2)} == {"s"}


# -- the CLI ----------------------------------------------------------------------------------------

def leaf_commands(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


def test_every_verb_that_works_on_a_project_takes_p():
    missing = [" ".join(path) for path, command in leaf_commands(main)
               if path != ("init",) and not any("--project" in p.opts for p in command.params)]
    assert missing == []


@pytest.mark.parametrize("verb", ["build", "extract", "segment", "code", "serve"])
def test_the_project_may_still_be_positional_but_not_given_twice(verb, tmp_path):
    out = run(verb, tmp_path / "a", "-p", tmp_path / "b")
    assert out.exit_code == 2 and "the project is given twice" in out.output


def test_limit_must_be_one_or_more(project):
    out = run("worksheet", "export", "-r", "alice", "--limit", "0", "-p", project.root)
    assert out.exit_code == 2 and "0 is not in the range x>=1" in out.output


def test_the_worksheet_help_lists_the_accepted_words():
    """Every word the worksheet import accepts is in the help (and in the module's documentation)."""
    from mapping_review.review import worksheet

    text = " ".join(run("worksheet", "export", "--help").output.split())
    accept = text[text.index("accept ("):].split(")")[0]
    reject = text[text.index("reject ("):].split(")")[0]
    assert {w.strip() for w in accept.removeprefix("accept (").split(",")} | {"accept"} == worksheet.ACCEPT - {"✓"}
    assert {w.strip() for w in reject.removeprefix("reject (").split(",")} | {"reject"} == worksheet.REJECT


def test_text_with_markup_is_printed_as_it_is(project):
    append_guide(project.manifest_path, Guide(key="g1", title="Depression [amended 2022] and [/i] care"))
    out = run("corpus", "list", "-p", project.root)
    assert out.exit_code == 0 and "[amended 2022]" in out.output and "[/i]" in out.output


def test_verify_fails_when_there_is_nothing_to_verify(project):
    append_guide(project.manifest_path, Guide(key="g1", title="A book"))
    out = run("corpus", "verify", "-p", project.root)
    assert out.exit_code == 1 and "nothing was verified" in out.output



def test_verify_counts_guides_without_a_hash_apart_from_guides_without_a_file(project, tmp_path):
    add_guide(project, make_pdf(tmp_path / "a.pdf", guide_pages()), key="a")
    pdf = make_pdf(tmp_path / "b.pdf", guide_pages(2))
    append_guide(project.manifest_path, Guide(key="b", title="No hash recorded", file=str(pdf)))
    append_guide(project.manifest_path, Guide(key="c", title="Metadata only"))
    out = run("corpus", "verify", "-p", project.root)
    assert out.exit_code == 0, out.output
    flat = " ".join(out.output.split())
    assert "1 guide(s) verified, 1 without a recorded sha256, 1 without a file to check" in flat
    assert "no sha256 recorded, so not verified: b" in flat

def _built_guide(tmp_path, *, n_pages):
    """A project of one made guide ``g1``, built."""
    project = init_project(tmp_path / "review")
    add_guide(project, make_pdf(tmp_path / "guide.pdf", guide_pages(n_pages)), key="g1")
    assert run("build", "-p", project.root, "-q", "--nlp", "blank", "-j", "1").exit_code == 0
    return project


def _worksheet(project, reviewer, path, *options):
    """``reviewer``'s worksheet exported to ``path``: its header and rows."""
    assert run("worksheet", "export", "-r", reviewer, *options, "-o", path, "-p", project.root).exit_code == 0
    return read_table(path)


def test_a_guide_that_will_not_build_can_be_removed_and_its_decisions_stay(tmp_path):
    from mapping_review.review.decisions import Decision, append_decisions, read_decisions

    project = _built_guide(tmp_path, n_pages=1)
    broken = make_pdf(tmp_path / "broken.pdf", guide_pages(1, title="Other"))
    add_guide(project, broken, key="g2", link=True)
    broken.write_bytes(broken.read_bytes()[:-400])  # cut short after it was added: its build fails
    answer = Decision("alice", "2025-01-01T10:00:00Z", "guide", "g2", "dont_stigmatize", True, "set", text_hash="h")
    append_decisions(project.reviews_dir, [answer])
    failing = run("build", "-p", project.root, "-q", "--nlp", "blank", "-j", "1")
    assert failing.exit_code == 1 and "g2" in failing.output
    out = run("corpus", "remove", "g2", "-p", project.root)
    flat = " ".join(out.output.split())
    assert out.exit_code == 0 and "Removed g2 from corpus/manifest.yaml; its file" in flat
    assert "1 decision(s) on g2 stay in reviews/" in flat
    assert broken.exists() and read_decisions(project.reviews_dir) == [answer]  # nothing of it is lost
    assert [g.key for g in load_manifest(project.manifest_path).guides] == ["g1"]
    rebuilt = run("build", "-p", project.root, "--nlp", "blank", "-j", "1")
    assert rebuilt.exit_code == 0 and "guide 'g2' is not in the corpus manifest" in " ".join(rebuilt.output.split())
    again = run("corpus", "remove", "g2", "-p", project.root)
    assert again.exit_code == 1 and "no guide 'g2' to remove" in again.output


def test_a_stage_output_reads_past_blank_lines_and_names_a_line_missing_a_field(tmp_path):
    from mapping_review.bookkeeping import read_jsonl

    path = tmp_path / "g1.jsonl"
    path.write_text('{"n": 1}\n\n   \n{"n": 2}\n')
    assert read_jsonl(path, lambda d: d["n"]) == [1, 2]
    path.write_text('{"n": 1}\n{"m": 2}\n')
    with pytest.raises(ConfigError, match=r"g1.jsonl:2: damaged build output \(KeyError"):
        read_jsonl(path, lambda d: d["n"])


def test_saving_a_stage_state_drops_the_guides_no_longer_in_the_manifest(tmp_path):
    from mapping_review.bookkeeping import read_state, save_state

    for key in ("g1", "g2"):
        (tmp_path / f"{key}.jsonl").write_text("{}\n")
    save_state(tmp_path, {"g1": "a", "g2": "b"}, None)  # a broken manifest: nothing is dropped
    assert read_state(tmp_path / "state.json") == {"g1": "a", "g2": "b"} and (tmp_path / "g2.jsonl").exists()
    save_state(tmp_path, {"g1": "a", "g2": "b"}, {"g1"})
    assert read_state(tmp_path / "state.json") == {"g1": "a"}
    assert sorted(p.name for p in tmp_path.glob("*.jsonl")) == ["g1.jsonl"]
    (tmp_path / "state.json").write_text("[1, 2]\n")  # not a state: as if there were none
    assert read_state(tmp_path / "state.json") == {}


def test_first_few_names_says_how_many_more_only_when_there_are_more():
    from mapping_review.bookkeeping import first_few

    assert first_few(list("abcde")) == "a, b, c, d, e"
    assert first_few(list("abcdefg")) == "a, b, c, d, e and 2 more"
    assert first_few(["x", "y"], n=1) == "x and 1 more"


def test_a_damaged_build_output_is_one_error_line(tmp_path):
    project = _built_guide(tmp_path, n_pages=2)
    codings = project.build_dir / "codings" / "g1.jsonl"
    lines = codings.read_text().splitlines()
    codings.write_text("\n".join([lines[0], lines[1][: len(lines[1]) // 2], *lines[2:]]) + "\n")
    out = run("consensus", "-p", project.root)
    assert out.exit_code == 1 and out.output.startswith("Error: ") and "g1.jsonl:2: damaged build output" in out.output
    assert "delete g1.jsonl and run `mapping-review build`" in out.output
    codings.unlink()
    assert run("build", "-p", project.root, "-q", "--nlp", "blank", "-j", "1").exit_code == 0
    assert [json.loads(x)["guide"] for x in codings.read_text().splitlines()][:1] == ["g1"]


def test_worksheet_limit_takes_the_queues_best_first(tmp_path):
    from mapping_review.review.queue_state import rank_for_review
    from mapping_review.review.state import load_review, segments_by_id

    project = _built_guide(tmp_path, n_pages=3)
    header, rows = _worksheet(project, "alice", tmp_path / "all.csv")
    keys = [(r[header.index("segment")], r[header.index("code")]) for r in rows]
    state = load_review(project)
    queue = rank_for_review(state.suggestions, segments=segments_by_id(project, state.keys), decisions=[],
                            reviewer="alice")
    assert keys == [(s.segment, s.code) for s in queue] and len(keys) == len(state.suggestions)
    _, top = _worksheet(project, "alice", tmp_path / "top.csv", "--limit", "3")
    assert [(r[header.index("segment")], r[header.index("code")]) for r in top] == keys[:3]


class Unprintable:
    def __str__(self):
        raise RuntimeError("the disk is full")


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_a_table_write_that_fails_leaves_the_old_file_whole(tmp_path, suffix):
    path = write_table(tmp_path / f"t.{suffix}", ["a"], [["old"]])
    before = path.read_bytes()
    with pytest.raises((RuntimeError, ConfigError)):
        write_table(path, ["a"], [["new"], [Unprintable()]])
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_figure_that_fails_to_draw_leaves_the_old_one(tmp_path, monkeypatch):
    from mapping_review.publish import figure_files

    class Broken:
        def savefig(self, target, **kwargs):
            target.write_bytes(b"half a figure")
            raise RuntimeError("renderer crashed")

    (tmp_path / "heatmap.png").write_bytes(b"the old figure")
    with pytest.raises(RuntimeError):
        figure_files.save_figure(Broken(), tmp_path, "heatmap")
    assert (tmp_path / "heatmap.png").read_bytes() == b"the old figure"
    assert [p.name for p in tmp_path.iterdir()] == ["heatmap.png"]


def test_a_manifest_in_another_layout_keeps_it(tmp_path):
    path = tmp_path / "manifest.yaml"
    text = "guides:\n- key: g1\n  file: g1.pdf   # the first one\n- key: g2\n  title: Two\n"
    path.write_text(text, encoding="utf-8")
    append_guide(path, Guide(key="g3", title="Three"))
    update_guide(path, Guide(key="g2", title="Two, again"))
    assert path.read_text(encoding="utf-8") == (
        "guides:\n- key: g1\n  file: g1.pdf   # the first one\n- key: g2\n  title: Two, again\n- key: g3\n  title: Three\n")


def test_words_yaml_would_read_as_booleans_or_numbers_stay_text(tmp_path):
    path = tmp_path / "manifest.yaml"
    path.write_text("guides:\n  - key: g1\n", encoding="utf-8")
    guide = Guide(key="g1", authors="Yes", publisher="off", title="1:20", label="2020")
    update_guide(path, guide)
    assert load_manifest(path).get("g1") == guide


def test_replacing_an_entry_with_a_problem_says_what_to_fix(project, tmp_path):
    pdf = make_pdf(tmp_path / "guide.pdf", guide_pages(1))
    project.manifest_path.write_text(project.manifest_path.read_text() + "  - key: g5\n    year: 3000\n")
    out = run("corpus", "add", pdf, "--key", "g5", "--replace", "-p", project.root)
    assert out.exit_code == 1 and "year" in out.output and "fix that entry by hand" in out.output


def _add_same_key(args):
    root, pdf = args
    from mapping_review.project.layout import Project

    try:
        add_guide(Project(root), pdf, key="same")
    except ManifestError:
        return "refused"
    return "added"


def test_two_adds_of_one_key_leave_the_file_the_manifest_names(project, tmp_path):
    pdfs = [make_pdf(tmp_path / f"guide{i}.pdf", guide_pages(1 + i)) for i in range(2)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        outcomes = sorted(pool.map(_add_same_key, [(project.root, pdf) for pdf in pdfs]))
    assert outcomes == ["added", "refused"]
    guide = load_manifest(project.manifest_path).get("same")
    from mapping_review.files import file_sha256

    assert file_sha256(project.corpus_dir / "same.pdf") == guide.sha256


def test_numbers_are_not_taken_for_formulas(tmp_path):
    path = write_table(tmp_path / "t.csv", ["kappa", "text"], [["-0.500", "-so"], ["+1", "1e-3"]])
    assert path.read_text().splitlines()[1:] == ["-0.500,'-so", "+1,1e-3"]
    assert read_table(path)[1] == [["-0.500", "-so"], ["+1", "1e-3"]]


def test_an_old_worksheet_never_undoes_a_newer_decision_nor_repeats_one(tmp_path):
    from mapping_review.review.decisions import Decision, append_decisions, read_decisions

    project = _built_guide(tmp_path, n_pages=2)
    sheet = tmp_path / "ws.csv"
    header, rows = _worksheet(project, "bob", sheet)
    col = {n: i for i, n in enumerate(header)}
    rows[0][col["decision"]] = "accept"
    for row in rows:
        row[col["exported"]] = "2000-01-01T00:00:00Z"  # clearly before the import below records his accept
    write_table(sheet, header, rows)
    assert run("worksheet", "import", sheet, "-r", "bob", "-p", project.root).output.startswith("1 decision(s)")
    assert run("worksheet", "import", sheet, "-r", "bob", "-p", project.root).output.startswith("0 decision(s)")
    seg, code = rows[0][col["segment"]], rows[0][col["code"]]
    append_decisions(project.reviews_dir, [Decision(reviewer="bob", time="2999-01-01T00:00:00Z", level="segment",
                                                    guide="g1", code=code, value=False, action="reject", segment=seg)])
    n = len(read_decisions(project.reviews_dir))
    out = run("worksheet", "import", sheet, "-r", "bob", "-p", project.root)
    assert out.exit_code == 1 and "after this worksheet was exported" in out.output
    assert len(read_decisions(project.reviews_dir)) == n


def test_a_worksheet_row_left_as_exported_leaves_a_later_decision_standing(tmp_path):
    from mapping_review.review.decisions import Decision, append_decisions, latest, read_decisions

    project = _built_guide(tmp_path, n_pages=2)
    first = tmp_path / "first.csv"
    header, rows = _worksheet(project, "bob", first)
    col = {n: i for i, n in enumerate(header)}
    rows[0][col["decision"]], rows[1][col["decision"]] = "accept", "reject"
    seg, code = rows[0][col["segment"]], rows[0][col["code"]]
    write_table(first, header, rows)
    assert run("worksheet", "import", first, "-r", "bob", "-p", project.root).output.startswith("2 decision(s)")
    again = tmp_path / "again.csv"
    header, rows = _worksheet(project, "bob", again)  # filled in with his accept and reject
    assert [r[col["decision"]] for r in rows if (r[col["segment"]], r[col["code"]]) == (seg, code)] == ["accept"]
    append_decisions(project.reviews_dir, [Decision(reviewer="bob", time="2999-01-01T00:00:00Z", level="segment",
                                                    guide="g1", code=code, value=False, action="reject", segment=seg)])
    n = len(read_decisions(project.reviews_dir))
    out = run("worksheet", "import", again, "-r", "bob", "-p", project.root)  # untouched: records nothing
    flat = " ".join(out.output.split())
    assert out.exit_code == 0 and flat.startswith("0 decision(s) recorded for bob, 1 already recorded"), flat
    assert "1 row(s) left as exported were decided again since the export; those later decisions stand" in flat
    assert len(read_decisions(project.reviews_dir)) == n
    assert latest(read_decisions(project.reviews_dir))[("bob", ("segment", "g1", code, seg))].value is False


def test_a_worksheet_is_checked_against_the_decisions_it_is_recorded_over_under_the_recording_lock(tmp_path,
                                                                                                   monkeypatch):
    from locks import folder_held, note_lock_when_called

    from mapping_review.cli import review as cli_review

    project = _built_guide(tmp_path, n_pages=2)
    sheet = tmp_path / "ws.csv"
    header, rows = _worksheet(project, "bob", sheet)
    rows[0][header.index("decision")] = "accept"
    write_table(sheet, header, rows)
    seen = note_lock_when_called(monkeypatch, cli_review, ("read_worksheet",), project.reviews_dir)
    assert run("worksheet", "import", sheet, "-r", "bob", "-p", project.root).output.startswith("1 decision(s)")
    assert seen == [("read_worksheet", True)] and not folder_held(project.reviews_dir)


def test_a_worksheet_holds_the_recording_lock_once_from_reading_to_appending(tmp_path, monkeypatch):
    from locks import count_flocks

    project = _built_guide(tmp_path, n_pages=2)
    sheet = tmp_path / "ws.csv"
    header, rows = _worksheet(project, "bob", sheet)
    rows[0][header.index("decision")] = "accept"
    write_table(sheet, header, rows)
    taken = count_flocks(monkeypatch)
    assert run("worksheet", "import", sheet, "-r", "bob", "-p", project.root).output.startswith("1 decision(s)")
    assert len(taken) == 1


def test_a_linked_pdf_is_recorded_through_a_symlinked_folder_and_survives_moving_both(tmp_path):
    real = tmp_path / "store" / "pdfs"
    real.mkdir(parents=True)
    make_pdf(real / "guide.pdf", guide_pages(1))
    work = tmp_path / "work"
    work.mkdir()
    (work / "shared").symlink_to(real, target_is_directory=True)  # ../shared beside the project is a link
    project = init_project(work / "review")
    add_guide(project, work / "shared" / "guide.pdf", key="g1", link=True)
    assert load_manifest(project.manifest_path).guides[0].file == "../../shared/guide.pdf"

    moved = tmp_path / "moved"
    (work).rename(moved)  # the project and its link to the PDFs move together
    guide = load_manifest(moved / "review" / "corpus" / "manifest.yaml").guides[0]
    assert (moved / "review" / "corpus" / guide.file).is_file()


def test_a_linked_pdf_lost_by_moving_the_project_alone_says_how_to_link_it_again(tmp_path):
    (tmp_path / "pdfs").mkdir()
    pdf = make_pdf(tmp_path / "pdfs" / "guide.pdf", guide_pages(1))
    project = init_project(tmp_path / "a" / "review")
    add_guide(project, pdf, key="g1", link=True)
    add_guide(project, make_pdf(tmp_path / "copied.pdf", guide_pages(1)), key="g2")
    (tmp_path / "a" / "review").rename(tmp_path / "review")  # one level up: the relative link now misses
    out = run("corpus", "verify", "-p", tmp_path / "review")
    flat = " ".join(out.output.split())
    assert out.exit_code == 1 and "link it again with `corpus add PDF --key g1 --link --replace`" in flat
    assert flat.count("link it again") == 1  # the copied PDF moved with the project


def test_a_link_whose_folders_as_given_lead_elsewhere_is_recorded_through_the_real_folders(tmp_path):
    real_project = tmp_path / "real" / "deep" / "review"
    real_project.parent.mkdir(parents=True)
    (tmp_path / "alias").symlink_to(real_project.parent, target_is_directory=True)
    pdf = make_pdf(tmp_path / "guide.pdf", guide_pages(1))
    project = init_project(tmp_path / "alias" / "review")  # reached through a link: '..' is not what it seems
    add_guide(project, pdf, key="g1", link=True)
    guide = load_manifest(project.manifest_path).guides[0]
    assert (project.corpus_dir / guide.file).samefile(pdf)


def test_a_link_given_on_another_drive_is_still_recorded_relative_when_the_real_folders_share_one(tmp_path, monkeypatch):
    """Windows: a PDF given through a substituted drive (``S:`` for ``C:\\work\\shared``) is on another drive
    as given - ``os.path.relpath`` raises ValueError - but on the project's drive once resolved."""
    import os

    real = tmp_path / "shared"
    real.mkdir()
    pdf = make_pdf(real / "guide.pdf", guide_pages(1))
    drive = tmp_path / "S"
    drive.symlink_to(real, target_is_directory=True)  # stands for the substituted drive
    project = init_project(tmp_path / "review")
    relpath = os.path.relpath

    def across_drives(path: str, start: str = os.curdir) -> str:
        if str(path).startswith(str(drive) + os.sep):
            raise ValueError("path is on mount 'S:', start on mount 'C:'")
        return relpath(path, start)

    monkeypatch.setattr(os.path, "relpath", across_drives)
    add_guide(project, drive / "guide.pdf", key="g1", link=True)
    file = load_manifest(project.manifest_path).guides[0].file
    assert not Path(file).is_absolute() and (project.corpus_dir / file).samefile(pdf)


# -- corpus add and verify --------------------------------------------------------------------------

def test_verify_compares_the_whole_hash(project, tmp_path):
    from mapping_review.errors import GuideError
    from mapping_review.files import file_sha256
    from mapping_review.project.corpus import resolve_file
    from mapping_review.project.manifest_edit import set_guide_fields

    add_guide(project, make_pdf(tmp_path / "a.pdf", guide_pages(1)), key="a")
    actual = file_sha256(project.corpus_dir / "a.pdf")
    last = "0" if actual[-1] != "0" else "1"
    set_guide_fields(project.manifest_path, "a", sha256=actual[:-1] + last)  # only the last digit differs
    out = run("corpus", "verify", "-p", project.root)
    assert out.exit_code == 1 and "changed" in out.output
    with pytest.raises(GuideError, match="has changed since it was added"):
        resolve_file(project, load_manifest(project.manifest_path).get("a"))


def test_replace_given_for_a_new_key_adds_it(project, tmp_path):
    pdf = make_pdf(tmp_path / "a.pdf", guide_pages(1))
    guide = add_guide(project, pdf, key="new", replace=True)
    assert load_manifest(project.manifest_path).get("new") == guide
    assert (project.corpus_dir / "new.pdf").read_bytes() == pdf.read_bytes()


@pytest.mark.parametrize("readable", [True, False])
def test_a_text_file_that_mentions_pdf_is_refused_even_when_unreadable_pdfs_are_recorded(project, tmp_path, readable):
    from mapping_review.errors import PdfError

    fake = tmp_path / "note.pdf"
    fake.write_text("The PDF of this guide is behind a login; ask the library.\n")
    html = tmp_path / "page.pdf"
    html.write_text("<!DOCTYPE html>\n<html><body>Download the PDF</body></html>\n")
    before = project.manifest_path.read_text()
    with pytest.raises(PdfError, match="not a PDF"):
        add_guide(project, fake, key="note", readable=readable)
    with pytest.raises(PdfError, match=r"HTML page saved as \.pdf"):
        add_guide(project, html, key="page", readable=readable)
    assert project.manifest_path.read_text() == before
    assert not list(project.corpus_dir.glob("*.pdf"))


def test_a_failed_replace_puts_the_old_pdf_back(project, tmp_path, monkeypatch):
    old = make_pdf(tmp_path / "old.pdf", guide_pages(1, title="Old"))
    new = make_pdf(tmp_path / "new.pdf", guide_pages(2, title="New"))
    add_guide(project, old, key="g1")
    manifest_before = project.manifest_path.read_text()
    real_dump = manifest_edit._dump
    monkeypatch.setattr(manifest_edit, "_dump", lambda rt, data: real_dump(rt, data) + "  - key: [broken\n")
    with pytest.raises(ManifestError):
        add_guide(project, new, key="g1", replace=True)
    monkeypatch.undo()
    assert (project.corpus_dir / "g1.pdf").read_bytes() == old.read_bytes()
    assert project.manifest_path.read_text() == manifest_before
    out = run("corpus", "verify", "-p", project.root)
    assert out.exit_code == 0 and "1 guide(s) verified" in " ".join(out.output.split())


def test_an_unsupported_security_handler_is_said_as_it_is_not_as_a_password(project, tmp_path, monkeypatch):
    from mapping_review.errors import PdfError
    from mapping_review.project import corpus

    pdf = make_pdf(tmp_path / "g.pdf", guide_pages(1))

    def refuse(path, *, password):
        raise PdfError(f"{path}: uses an unsupported security handler; save an unencrypted copy", reason="password")

    monkeypatch.setattr(corpus, "open_pdfium", refuse)
    with pytest.raises(PdfError, match="unsupported security handler") as caught:
        add_guide(project, pdf, key="g")
    assert "password" not in str(caught.value)
    assert load_manifest(project.manifest_path).get("g") is None


def test_an_atomic_write_reaches_the_disk_before_it_replaces_the_old_file(tmp_path, monkeypatch):
    import os

    from mapping_review.files import write_atomic

    events = []
    real_fsync, real_replace = os.fsync, Path.replace

    def fsync(fd):
        events.append("fsync")
        return real_fsync(fd)

    def replace(self, target):
        events.append("replace")
        return real_replace(self, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(Path, "replace", replace)
    path = tmp_path / "manifest.yaml"
    path.write_text("guides:\n", encoding="utf-8")
    write_atomic(path, "guides:\n  - key: g1\n")
    assert path.read_text(encoding="utf-8") == "guides:\n  - key: g1\n"
    assert "fsync" in events and events.index("fsync") < events.index("replace")


def test_init_writes_a_settings_file_that_shows_every_setting_at_its_default(tmp_path):
    import yaml

    from mapping_review.project.settings import Settings, load_settings

    project = init_project(tmp_path / "review")
    text = (project.root / "review.yaml").read_text(encoding="utf-8")
    assert load_settings(project.root) == Settings()  # all commented out: the defaults
    shown = "\n".join(line[2:] for line in text.splitlines()[1:])  # uncommented, as a user would
    data = yaml.safe_load(shown)
    assert Settings.model_validate(data) == Settings()  # what it shows is what the defaults are
    assert set(data) == set(Settings.model_fields)
    for name, field in Settings.model_fields.items():
        if isinstance(field.default, BaseModel):
            assert set(data[name]) == set(type(field.default).model_fields), name  # every setting is there


def test_corpus_remove_counts_the_decisions_on_that_guide_alone(review):
    from mapping_review.review.decisions import Decision, append_decisions

    append_decisions(review.reviews_dir, [
        Decision("alice", "2025-01-01T10:00:00Z", "guide", "g1", "dont_stigmatize", True),
        Decision("alice", "2025-01-01T10:00:00Z", "guide", "g2", "dont_stigmatize", True),
        Decision("bob", "2025-01-01T10:00:00Z", "guide", "g2", "dont_stigmatize", False)])
    out = run("corpus", "remove", "g2", "-p", review.root)
    flat = " ".join(out.output.split())
    assert out.exit_code == 0 and "2 decision(s) on g2 stay in reviews/" in flat
    assert "its file" not in flat  # g2 had no file
    assert run("corpus", "remove", "g1", "-p", review.root).exit_code == 0


def test_an_atomic_write_makes_the_rename_durable_by_syncing_the_folder_after_it(tmp_path, monkeypatch):
    import os
    import stat

    from mapping_review.files import write_atomic

    events = []
    real_fsync, real_replace = os.fsync, Path.replace

    def fsync(fd):
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        return real_fsync(fd)

    def replace(self, target):
        events.append("replace")
        return real_replace(self, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(Path, "replace", replace)
    write_atomic(tmp_path / "manifest.yaml", "guides: []\n")
    assert events == ["fsync file", "replace", "fsync folder"]


def test_threads_replacing_one_file_at_once_each_write_a_whole_file_of_their_own(tmp_path):
    """Two threads of one process (a server's) inside ``replacing`` of the same file at the same time: each
    has a temporary file of its own, so both succeed and the file is one of theirs, whole."""
    import threading

    from mapping_review.files import replacing

    path = tmp_path / "cache.json"
    inside = threading.Barrier(2, timeout=10)
    errors = []

    def write(text):
        try:
            with replacing(path) as tmp:
                tmp.write_text(text)
                inside.wait()  # both are writing now
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=write, args=(text * 1000,)) for text in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert errors == []
    assert path.read_text() in ("a" * 1000, "b" * 1000)
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]


def test_the_pdf_check_finds_the_header_after_leading_bytes_and_html_after_a_comment(tmp_path):
    from mapping_review.errors import PdfError
    from mapping_review.files import check_pdf_file

    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(b"\r\n\x00junk before the header\n%PDF-1.4\n%%EOF\n")  # readers accept it: so does the check
    check_pdf_file(pdf)
    page = tmp_path / "page.pdf"
    page.write_bytes(b"<!-- saved from url=https://example.org -->\n<html><body>Sign in</body></html>\n")
    with pytest.raises(PdfError, match="not a PDF but an HTML page"):
        check_pdf_file(page)


def test_a_file_hash_covers_the_whole_of_a_large_file(tmp_path):
    import hashlib

    from mapping_review.files import file_sha256

    data = bytes(range(256)) * (3 * 4096 + 7)  # three MiB and more: read in several chunks
    path = tmp_path / "big.pdf"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


# -- mutation pass: a replaced guide and the settings -------------------------------------------------------

def test_replacing_a_guide_keeps_the_facts_of_its_entry_over_the_pdfs_own_title(project, tmp_path):
    from pypdf import PdfReader, PdfWriter

    add_guide(project, make_pdf(tmp_path / "a.pdf", guide_pages(1)), key="g", title="Given title", ocr=True)
    writer = PdfWriter(clone_from=PdfReader(make_pdf(tmp_path / "b.pdf", guide_pages(2))))
    writer.add_metadata({"/Title": "The PDF's own title"})
    with (tmp_path / "titled.pdf").open("wb") as fh:
        writer.write(fh)
    replaced = add_guide(project, tmp_path / "titled.pdf", key="g", replace=True)
    assert replaced.title == "Given title" and replaced.ocr is True
    assert load_manifest(project.manifest_path).get("g") == replaced
    assert add_guide(project, tmp_path / "titled.pdf", key="h").title == "The PDF's own title"


def _settings(tmp_path, text):
    from mapping_review.project.settings import load_settings

    (tmp_path / "review.yaml").write_text(text, encoding="utf-8")
    return load_settings(tmp_path)


def test_settings_default_without_a_settings_file(tmp_path):
    from mapping_review.project.settings import DEFAULT_ENGINE, Settings, load_settings

    settings = load_settings(tmp_path)
    assert settings == Settings()
    assert settings.figures is True and settings.build.engine == DEFAULT_ENGINE and settings.build.calibrate is True
    assert (settings.criteria.min_support, settings.criteria.quotes) == (1, 3)
    assert settings.review.adjudicators == () and settings.review.parties_may_settle is False
    assert _settings(tmp_path, "# nothing set\n") == Settings()


@pytest.mark.parametrize(("text", "message"), [
    ("criteria:\n  min_support: 0\n", "review.yaml:2: criteria.min_support: Input should be greater than or equal to 1"),
    ("criteria:\n  quotes: 21\n", "review.yaml:2: criteria.quotes: Input should be less than or equal to 20"),
    ("title: x\ncriteria:\n  min_suport: 2\n", "review.yaml:3: unknown setting 'min_suport' (did you mean 'min_support'?)"),
    ("review:\n  adjudicators: carol\n", "review.yaml:2: review.adjudicators: must be a list, e.g. [carol]"),
], ids=["min-support", "quotes", "typo", "not-a-list"])
def test_a_bad_setting_is_named_with_its_file_and_line(tmp_path, text, message):
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, text)
    assert str(caught.value).startswith(f"{tmp_path / 'review.yaml'}:") and message in str(caught.value)


def test_adding_a_key_already_there_without_replace_is_refused_and_changes_nothing(project, tmp_path):
    first = add_guide(project, make_pdf(tmp_path / "a.pdf", guide_pages(1)), key="g")
    before = project.manifest_path.read_text(encoding="utf-8")
    with pytest.raises(ManifestError, match=r"manifest.yaml:\d+: guide 'g' already exists; pass --replace"):
        add_guide(project, make_pdf(tmp_path / "b.pdf", guide_pages(2)), key="g")
    assert project.manifest_path.read_text(encoding="utf-8") == before
    assert (project.corpus_dir / "g.pdf").read_bytes() == (tmp_path / "a.pdf").read_bytes()
    assert load_manifest(project.manifest_path).get("g") == first


def test_a_guide_whose_file_is_gone_is_refused_as_missing(project, tmp_path):
    from mapping_review.errors import GuideError
    from mapping_review.project.corpus import resolve_file

    guide = add_guide(project, make_pdf(tmp_path / "a.pdf", guide_pages(1)), key="a")
    (project.corpus_dir / "a.pdf").unlink()
    with pytest.raises(GuideError, match=r"a: file not found: .*a\.pdf; add it or fix `file:`") as caught:
        resolve_file(project, guide)
    assert caught.value.reason == "missing"
