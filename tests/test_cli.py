import re

import click
import pytest
from click.testing import CliRunner
from pdfmaker import guide_pages, make_pdf

from mapping_review.cli import main


def all_commands(group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", list(all_commands(main)))
def test_every_command_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command = main
    for name in path:
        command = command.commands[name]
    assert command.help and len(command.help.strip()) > 10


@pytest.mark.parametrize("path", list(all_commands(main)))
def test_every_option_says_what_it_does(path):
    command = main
    for name in path:
        command = command.commands[name]
    bare = [param.opts[-1] for param in command.params if isinstance(param, click.Option) and not param.help]
    assert not bare, f"{' '.join(path)}: options without help: {bare}"


def test_module_entry_point_runs():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "mapping_review", "--help"], capture_output=True, text=True, check=True)
    assert "build" in out.stdout and "corpus" in out.stdout


def test_init_add_list_verify_build_inspect(tmp_path):
    runner = CliRunner()
    root = tmp_path / "review"
    assert runner.invoke(main, ["init", str(root)]).exit_code == 0
    again = runner.invoke(main, ["init", str(root)])
    assert again.exit_code == 1 and "already a review project" in again.output
    pdf = make_pdf(tmp_path / "guide.pdf", guide_pages())
    added = runner.invoke(main, ["corpus", "add", str(pdf), "--key", "tg1", "--year", "2024", "-p", str(root)])
    assert added.exit_code == 0, added.output
    assert (root / "corpus" / "tg1.pdf").read_bytes() == pdf.read_bytes()
    dup = runner.invoke(main, ["corpus", "add", str(pdf), "--key", "tg1", "-p", str(root)])
    assert dup.exit_code == 1 and "already exists" in dup.output and "--replace" in dup.output
    assert "ok" in runner.invoke(main, ["corpus", "verify", "-p", str(root)]).output
    assert "not built" in runner.invoke(main, ["corpus", "list", "-p", str(root)]).output
    built = runner.invoke(main, ["build", str(root), "-q", "--nlp", "blank", "-j", "1"])
    assert built.exit_code == 0, built.output
    listed = runner.invoke(main, ["corpus", "list", "-p", str(root)])
    assert re.search(r"\d+ segments", listed.output) and "not built" not in listed.output
    outline = runner.invoke(main, ["inspect", "tg1", "-p", str(root)])
    assert "1.1 Principles of care" in outline.output and "p. 1" in outline.output
    page = runner.invoke(main, ["inspect", "tg1", "--page", "2", "-p", str(root)])
    assert "tg1:2:" in page.output and "paragraph/recommendation" in page.output
    text = runner.invoke(main, ["inspect", "tg1", "--page", "2", "--text", "-p", str(root)])
    flat = " ".join(text.output.split())
    assert "removed header/footer: A Test Guideline (TG1)" in flat and "Page 2 of 4" in flat
    assert "Page 2 of 4" not in flat.split("removed header/footer")[0]
    (root / "corpus" / "tg1.pdf").write_bytes(pdf.read_bytes() + b"\n% changed\n")
    verify = runner.invoke(main, ["corpus", "verify", "-p", str(root)])
    assert verify.exit_code == 1 and "changed" in verify.output


def test_not_a_project_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["build", str(tmp_path)])
    assert result.exit_code == 1
    assert "is not a review project" in result.output and "mapping-review init" in result.output
    assert "Traceback" not in result.output


def test_replacing_one_pdf_redoes_only_that_guide(tmp_path):
    from mapping_review import pipeline
    from mapping_review.project.corpus import add_guide
    from mapping_review.project.layout import init_project

    project = init_project(tmp_path / "review")
    a = make_pdf(tmp_path / "a.pdf", guide_pages(2, title="Guide A"))
    b = make_pdf(tmp_path / "b.pdf", guide_pages(2, title="Guide B"))
    add_guide(project, a, key="a")
    add_guide(project, b, key="b")
    first = pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert {r.key: r.status for r in first.extract} == {"a": "extracted", "b": "extracted"}
    b2 = make_pdf(tmp_path / "b2.pdf", guide_pages(3, title="Guide B, second edition"))
    add_guide(project, b2, key="b", replace=True)
    second = pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert {r.key: r.status for r in second.extract} == {"a": "cached", "b": "extracted"}
    assert {r.key: r.status for r in second.segment} == {"a": "up to date", "b": "segmented"}
    assert {r.key: r.status for r in second.code} == {"a": "up to date", "b": "coded"}


def test_init_refuses_a_broken_codebook_before_making_the_project(tmp_path):
    from mapping_review.project.layout import PACKAGED_CODEBOOK

    text = PACKAGED_CODEBOOK.read_text(encoding="utf-8")
    assert "    definition: Where the guide" in text
    broken = tmp_path / "mine.yaml"
    broken.write_text(text.replace("    definition: Where the guide", "    defintion: Where the guide", 1), encoding="utf-8")
    root = tmp_path / "review"
    result = CliRunner().invoke(main, ["init", str(root), "--codebook", str(broken)])
    assert result.exit_code == 1
    assert "unknown key 'defintion' (did you mean 'definition'?)" in result.output
    assert not root.exists()
    result = CliRunner().invoke(main, ["init", str(root), "--codebook", str(PACKAGED_CODEBOOK)])
    assert result.exit_code == 0 and (root / "codebook.yaml").read_text(encoding="utf-8") == text


def test_tables_piped_to_another_program_keep_whole_rows(tmp_path):
    import os
    import subprocess
    import sys

    pdf = make_pdf(tmp_path / "g.pdf", guide_pages())
    title = "A guideline whose title is long " + " ".join(f"word{i}" for i in range(40))
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path / "r")]).exit_code == 0
    added = runner.invoke(main, ["corpus", "add", str(pdf), "--key", "g", "--title", title, "-p", str(tmp_path / "r")])
    assert added.exit_code == 0, added.output
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    piped = subprocess.run([sys.executable, "-m", "mapping_review", "corpus", "list", "-p", str(tmp_path / "r")],
                           capture_output=True, text=True, env=env, check=True)
    (row,) = [line for line in piped.stdout.splitlines() if " g " in line or line.startswith("│ g ")]
    assert title in row and "…" not in piped.stdout
    env["COLUMNS"] = "80"  # a width asked for is kept
    narrow = subprocess.run([sys.executable, "-m", "mapping_review", "corpus", "list", "-p", str(tmp_path / "r")],
                            capture_output=True, text=True, env=env, check=True)
    assert title not in narrow.stdout and max(map(len, narrow.stdout.splitlines())) <= 80


def test_a_failure_summary_counts_what_failed():
    from mapping_review.cli.common import some_failed
    assert some_failed(1, 3) == "1 of 3 guides failed"
    assert some_failed(2, 3) == "2 of 3 guides failed"
    assert some_failed(2, 2) == "all 2 guides failed"
    assert some_failed(1, 1) == "the guide failed"
