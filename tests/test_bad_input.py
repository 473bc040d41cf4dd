"""Every kind of bad input ends in a one-line reason naming the file; the rest carry on."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pdfmaker import guide_pages, make_pdf
from pypdf import PdfReader, PdfWriter

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.errors import PdfError
from mapping_review.project.corpus import add_guide, file_sha256
from mapping_review.project.manifest import load_manifest


def encrypt(src: Path, dst: Path, *, user: str, owner: str) -> Path:
    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password=user, owner_password=owner, algorithm="AES-128")
    with dst.open("wb") as fh:
        writer.write(fh)
    return dst


def entry(key, file, **extra):
    lines = [f"  - key: {key}", f"    file: {file}"]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture()
def bad_project(project, tmp_path, hard_dir):
    corpus = project.corpus_dir
    good = make_pdf(corpus / "good.pdf", guide_pages())
    (corpus / "page.pdf").write_text("<!DOCTYPE html>\n<html><body>Download</body></html>\n")
    (corpus / "empty.pdf").write_bytes(b"")
    data = good.read_bytes()
    (corpus / "truncated.pdf").write_bytes(data[: len(data) // 2])
    encrypt(good, corpus / "owner_only.pdf", user="", owner="secret")
    encrypt(good, corpus / "user_pw.pdf", user="letmein", owner="secret")
    for name in ("pdfplumber_password_protected.pdf", "ocrmypdf_scan_no_text_c02-22.pdf",
                 "ocrmypdf_scan_2col_no_text_linn.pdf", "pdfplumber_malformed_932.pdf",
                 "who_mh_action_plan_2013_scanned.pdf", "pdfplumber_scotus_line_numbered.pdf",
                 "pdfplumber_federal_register_3col.pdf"):
        shutil.copyfile(hard_dir / name, corpus / name)
    text = project.manifest_path.read_text()
    text += entry("good", "good.pdf", sha256=file_sha256(good))
    text += entry("html_page", "page.pdf")
    text += entry("zero_bytes", "empty.pdf")
    text += entry("truncated", "truncated.pdf")
    text += entry("missing", "not_here.pdf")
    text += entry("owner_only", "owner_only.pdf")
    text += entry("user_pw_ok", "user_pw.pdf", password="letmein")
    text += entry("user_pw_wrong", "user_pw.pdf", password="guess")
    text += entry("needs_pw", "pdfplumber_password_protected.pdf")
    text += entry("plumber_pw", "pdfplumber_password_protected.pdf", password="test")
    text += entry("scan", "ocrmypdf_scan_no_text_c02-22.pdf")
    text += entry("scan_2col", "ocrmypdf_scan_2col_no_text_linn.pdf")
    text += entry("malformed_932", "pdfplumber_malformed_932.pdf")
    text += entry("partial_ocr", "who_mh_action_plan_2013_scanned.pdf")
    text += entry("scotus", "pdfplumber_scotus_line_numbered.pdf")
    text += entry("fedreg", "pdfplumber_federal_register_3col.pdf")
    text += entry("dupe", "good.pdf") + entry("dupe", "good.pdf")
    text += "  - key: typo\n    file: good.pdf\n    titel: Misspelt\n"
    project.manifest_path.write_text(text)
    return project


def results_by_key(results):
    return {r.key: r for r in results}


def test_bad_inputs_fail_clearly_and_the_rest_are_built(bad_project):
    report = pipeline.build_project(bad_project, nlp_name="blank", jobs=2)
    res = results_by_key(report.extract)
    expected = {
        "html_page": ("not-a-pdf", "page.pdf: not a PDF but an HTML page"),
        "zero_bytes": ("empty", "empty.pdf: empty file (0 bytes)"),
        "truncated": ("malformed", "truncated.pdf: malformed or truncated PDF"),
        "missing": ("missing", "not_here.pdf"),
        "user_pw_wrong": ("password", "the password in the manifest is wrong"),
        "needs_pw": ("password", "needs a user password; add `password: ...`"),
        "scan": ("no-text-layer", "image-only scan with no text layer"),
        "scan_2col": ("no-text-layer", "ocrmypdf"),
        "malformed_932": ("no-text-layer", "7 characters on 1 page);"),
        "dupe": ("manifest", "duplicate key 'dupe'"),
        "typo": ("manifest", "unknown field 'titel' (did you mean 'title'?)"),
    }
    for key, (reason, words) in expected.items():
        assert res[key].failed, key
        assert res[key].reason == reason, (key, res[key].message)
        assert words in res[key].message, (key, res[key].message)
        assert "\n" not in res[key].message
    for key in ("good", "owner_only", "user_pw_ok", "plumber_pw", "partial_ocr", "scotus", "fedreg"):
        assert res[key].status == "extracted", (key, res[key].message)
    assert "comes from OCR" in " ".join(res["partial_ocr"].warnings)
    assert "no text layer" in " ".join(res["partial_ocr"].warnings)
    assert res["partial_ocr"].page_status["image-only"]
    segs = results_by_key(report.segment)
    assert segs["good"].n_segments > 10 and segs["plumber_pw"].n_segments > 0
    assert set(segs) == {"good", "owner_only", "user_pw_ok", "plumber_pw", "partial_ocr", "scotus", "fedreg"}


def test_cli_exits_non_zero_with_a_summary_and_no_traceback(bad_project):
    result = CliRunner().invoke(main, ["build", str(bad_project.root), "-q", "--nlp", "blank", "-j", "1"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Error: 11 of 18 guides failed" in result.output
    assert "Error: html_page:" in result.output


def test_corpus_add_refuses_a_fake_pdf_and_keeps_the_manifest(project, tmp_path):
    fake = tmp_path / "download.pdf"
    fake.write_text("<html><head><title>Sign in</title></head></html>")
    before = project.manifest_path.read_text()
    with pytest.raises(PdfError, match=r"HTML page saved as \.pdf"):
        add_guide(project, fake, key="x")
    assert project.manifest_path.read_text() == before


def test_a_text_file_named_pdf_is_refused_with_what_it_holds_and_what_to_do(project, tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_text("hello\n")
    with pytest.raises(PdfError, match=r"not a PDF .*it starts 'hello'.*download the PDF again"):
        add_guide(project, fake, key="x")
    (tmp_path / "binary.pdf").write_bytes(bytes(range(1, 9)) * 4)
    with pytest.raises(PdfError, match=r"it holds no text"):
        add_guide(project, tmp_path / "binary.pdf", key="y")


def test_a_changed_file_is_reported_not_used(project, tmp_path):
    pdf = make_pdf(tmp_path / "g.pdf", guide_pages())
    add_guide(project, pdf, key="g")
    target = project.corpus_dir / "g.pdf"
    target.write_bytes(target.read_bytes() + b"%extra\n")
    (result,) = pipeline.extract_corpus(project, jobs=1)
    assert result.failed and result.reason == "changed"
    assert "has changed since it was added" in result.message and "--replace" in result.message


def test_an_error_stays_on_one_line_when_the_output_is_not_a_terminal(project):
    # A log or a pipe is not a terminal: rich must not wrap an "Error:" line at 80 columns.
    key = "a_guide_with_a_long_citation_key_2024"
    text = project.manifest_path.read_text() + f"  - key: {key}\n    publsher: WHO\n"
    project.manifest_path.write_text(text)
    result = CliRunner().invoke(main, ["corpus", "verify", "-p", str(project.root)])
    assert result.exit_code == 1
    wanted = f"guide '{key}': unknown field 'publsher' (did you mean 'publisher'?)"
    (line,) = [ln for ln in result.output.splitlines() if ln.startswith("Error: ") and "publsher" in ln]
    assert len(line) > 80 and line.endswith(wanted)


def test_corpus_add_says_what_a_key_may_hold(project, tmp_path):
    pdf = make_pdf(tmp_path / "g.pdf", guide_pages())
    result = CliRunner().invoke(main, ["corpus", "add", str(pdf), "--key", "bad key", "-p", str(project.root)])
    assert result.exit_code == 1
    assert "key 'bad key' may only use letters, digits, '_', '-' and '.'" in result.output
    assert "String should match pattern" not in result.output


def test_corpus_add_refuses_a_locked_or_broken_pdf_and_keeps_the_manifest(project, tmp_path, hard_dir):
    good = make_pdf(tmp_path / "good.pdf", guide_pages(title="Locked Guide"))
    locked = encrypt(good, tmp_path / "locked.pdf", user="letmein", owner="secret")
    data = good.read_bytes()
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(data[: len(data) // 2])
    before = project.manifest_path.read_text()
    with pytest.raises(PdfError, match=r"locked\.pdf: it needs a user password; add it again with its password"):
        add_guide(project, locked, key="locked")
    with pytest.raises(PdfError, match=r"the password given is wrong; add it again with its password \(--password\)"):
        add_guide(project, locked, key="locked", password="guess")
    with pytest.raises(PdfError, match=r"malformed or truncated PDF"):
        add_guide(project, truncated, key="truncated")
    with pytest.raises(PdfError, match=r"needs a user password"):
        add_guide(project, hard_dir / "pdfplumber_password_protected.pdf", key="real")
    assert project.manifest_path.read_text() == before
    assert not list(project.corpus_dir.glob("*.pdf"))
    # with its password it is added, and the build reads it with the password the manifest keeps
    add_guide(project, locked, key="locked", password="letmein")
    result = CliRunner().invoke(main, ["corpus", "add", str(locked), "--key", "again", "-p", str(project.root)])
    assert result.exit_code == 1 and "needs a user password" in result.output and "Traceback" not in result.output
    (extracted,) = pipeline.extract_corpus(project, jobs=1)
    assert extracted.status == "extracted" and extracted.n_pages == 4
    # replaced by another locked file: the manifest's password is tried, and said to be the one that is wrong
    other = encrypt(good, tmp_path / "other.pdf", user="another", owner="secret")
    with pytest.raises(PdfError, match=r"the password its manifest entry has is wrong for it"):
        add_guide(project, other, key="locked", replace=True)
    assert add_guide(project, other, key="locked", replace=True, password="another").password == "another"


def test_a_broken_manifest_entry_keeps_the_outputs_of_its_last_build(project, tmp_path):
    """While an entry has a problem (a typo, a misspelt key field, a duplicate key) nothing is deleted: which
    guide it means is for a person to say. When no entry can be used, the tables of the last build stay too."""
    for key in ("one", "two"):
        add_guide(project, make_pdf(tmp_path / f"{key}.pdf", guide_pages()), key=key)
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    outputs = [project.segments_dir / f"{k}.jsonl" for k in ("one", "two")]
    outputs += [project.build_dir / "codings" / f"{k}.jsonl" for k in ("one", "two")]
    outputs.append(project.build_dir / "tables" / "coding_sheet.csv")
    before = {path: path.read_bytes() for path in outputs}
    assert "one" in before[outputs[-1]].decode() and "two" in before[outputs[-1]].decode()
    original = project.manifest_path.read_text()

    project.manifest_path.write_text(original.replace("key: two", "key: one"))  # both entries now say 'one'
    report = pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert [r.key for r in report.extract if r.failed] == ["one"]  # one broken entry, reported once
    assert any("can be used (1 entry with a problem" in w and "left as they were" in w for w in report.warnings)
    assert {path: path.read_bytes() for path in outputs} == before

    project.manifest_path.write_text(original.replace("key: two", "kye: two"))  # the key field misspelt
    report = pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert [r.key for r in report.extract if r.failed] == ["?"]
    assert all(path.read_bytes() == before[path] for path in outputs[:4])  # 'two' is still meant: kept
    sheet = outputs[-1].read_text()
    assert "one" in sheet and "two" not in sheet  # the tables are of the guides that can be used

    project.manifest_path.write_text(original.replace("    file: one.pdf\n", "    file: one.pdf\n    titel: x\n"
                                                                                      "    yeer: 2020\n"))
    report = pipeline.build_project(project, nlp_name="blank", jobs=1)
    failed = [r for r in report.extract if r.failed]
    assert [r.key for r in failed] == ["one"] and "titel" in failed[0].message and "yeer" in failed[0].message
    result = CliRunner().invoke(main, ["build", str(project.root), "-q", "--nlp", "blank", "-j", "1"])
    assert "Error: 1 of 2 guides failed" in result.output  # one entry, however many problems it has

    project.manifest_path.write_text(original.replace("  - key: two\n", "  - key: gone\n").replace(
        "two.pdf", "missing.pdf"))
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert not outputs[1].exists() and not outputs[3].exists()  # the manifest is sound again: 'two' is gone


def test_replacing_a_locked_guide_without_its_password_keeps_the_password_of_its_entry(project, tmp_path):
    good = make_pdf(tmp_path / "good.pdf", guide_pages(title="Locked Guide"))
    first = encrypt(good, tmp_path / "first.pdf", user="letmein", owner="secret")
    second = encrypt(make_pdf(tmp_path / "good2.pdf", guide_pages(2, title="Locked Guide, 2nd edition")),
                     tmp_path / "second.pdf", user="letmein", owner="secret")
    add_guide(project, first, key="locked", password="letmein")
    replaced = add_guide(project, second, key="locked", replace=True)
    assert replaced.password == "letmein" and replaced.sha256 == file_sha256(second)
    assert load_manifest(project.manifest_path).get("locked") == replaced


def test_the_build_report_counts_failures_at_every_stage_and_every_broken_entry():
    from mapping_review.bookkeeping import GuideResult
    from mapping_review.pipeline.build import BuildReport

    coded = GuideResult("g2", "failed", "g2: coding failed")
    report = BuildReport(extract=[GuideResult("", "failed"), GuideResult("", "failed"), GuideResult("g1", "extracted")],
                         segment=[GuideResult("g3", "failed")], code=[GuideResult("g1", "coded"), coded])
    assert report.failures[-1] is coded and len(report.failures) == 4
    assert report.n_failed_guides == 4  # two keyless broken entries are two guides
