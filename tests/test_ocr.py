"""OCR for guides marked ``ocr: true``: the shared scans come out with text, marked as OCR."""

import json
import shutil
import subprocess

import pytest
from click.testing import CliRunner
from pdfmaker import guide_pages, make_pdf

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.extract import extract_document
from mapping_review.extract import ocr as ocr_module
from mapping_review.project.corpus import add_guide
from mapping_review.project.manifest import load_manifest
from mapping_review.segment.inspect import load_segments

pytestmark = pytest.mark.corpus


def need_tesseract():
    if shutil.which("tesseract") is None:
        pytest.fail("Tesseract is not installed (apt-get install tesseract-ocr); .ci/run installs it")


@pytest.fixture(scope="module")
def scans_build(tmp_path_factory, hard_dir):
    need_tesseract()
    from mapping_review.project.layout import init_project

    project = init_project(tmp_path_factory.mktemp("ocr") / "review")
    for name in ("ocrmypdf_scan_no_text_c02-22", "ocrmypdf_scan_2col_no_text_linn", "who_mh_action_plan_2013_scanned"):
        add_guide(project, hard_dir / f"{name}.pdf", key=name, link=True, ocr=True)
    report = pipeline.build_project(project, nlp_name="blank", jobs=2)
    return project, report


def test_the_two_scans_come_out_with_text_marked_as_ocr(scans_build):
    project, report = scans_build
    assert not report.failures, [f.message for f in report.failures]
    for key, words in (("ocrmypdf_scan_no_text_c02-22", ("widow", "garden", "kitchen")),
                       ("ocrmypdf_scan_2col_no_text_linn", ("LinnSequencer", "MIDI", "Sequence"))):
        segments = load_segments(project, key)
        sentences = [s for s in segments if s.kind == "sentence"]
        assert len(sentences) >= 10
        text = " ".join(s.text for s in sentences)
        assert all(w in text for w in words), (key, text[:300])
        assert all(s.source == "ocr" for s in segments)
        confidences = [s.confidence for s in sentences if s.confidence is not None]
        assert len(confidences) >= 0.9 * len(sentences)
        assert all(0 <= c <= 1 for c in confidences)
        assert sum(confidences) / len(confidences) > 0.8  # clean scans: Tesseract is sure of most words
        lines = (project.segments_dir / f"{key}.jsonl").read_text(encoding="utf-8").splitlines()
        assert all(json.loads(line)["source"] == "ocr" for line in lines)


def test_only_the_image_pages_of_the_who_plan_are_ocred(scans_build, hard_dir):
    project, report = scans_build
    key = "who_mh_action_plan_2013_scanned"
    path = hard_dir / f"{key}.pdf"
    assert ocr_module.image_only_pages(path) == [1, 33, 48, 49]
    result = ocr_module.load_ocr(project.cache_dir, load_manifest(project.manifest_path).get(key).sha256)
    assert result is not None and sorted(result.pages) == [1, 33, 48, 49]
    assert result.pages[1] and not result.pages[33]  # the cover has words; page 33 is a photograph
    segments = load_segments(project, key)
    ocred = {s.page for s in segments if s.source == "ocr"}
    assert ocred == {1}
    # the pages that had text are read from the same text as without OCR
    plain = extract_document(path, sha256="x")
    ours = pipeline_doc(project, key)
    for before, after in zip(plain.pages, ours.pages):
        if before.number not in result.pages:
            assert before.text == after.text, before.number
    (res,) = [r for r in report.extract if r.key == key]
    warnings = " ".join(res.warnings)
    assert "OCR found no text on 3 image page(s) (pages 33, 48, 49)" in warnings
    assert "OCR them" not in warnings


def pipeline_doc(project, key):
    from mapping_review.segment.inspect import load_extracted

    return load_extracted(project, key)


def test_the_ocred_pdf_is_cached_by_hash(scans_build, monkeypatch):
    project, _ = scans_build
    shutil.rmtree(project.cache_dir / "documents")

    def no_ocr(*args, **kwargs):
        raise AssertionError("OCRmyPDF ran again")

    monkeypatch.setattr(subprocess, "run", no_ocr)
    report = pipeline.build_project(project, nlp_name="blank", jobs=1, force=True)
    assert {r.status for r in report.extract} == {"extracted"}
    assert not report.failures


def test_missing_tesseract_is_one_error_saying_what_to_install(project, monkeypatch, tmp_path, hard_dir):
    add_guide(project, hard_dir / "ocrmypdf_scan_no_text_c02-22.pdf", key="scan", link=True, ocr=True)
    make_pdf(project.corpus_dir / "good.pdf", guide_pages())
    add_guide(project, project.corpus_dir / "good.pdf", key="good")
    monkeypatch.setattr(ocr_module.shutil, "which", lambda name: None)
    result = CliRunner().invoke(main, ["build", str(project.root), "-q", "--nlp", "blank", "-j", "1"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "apt-get install tesseract-ocr" in result.output
    assert "Error: scan:" in result.output
    assert "scan" in result.output
    assert (project.segments_dir / "good.jsonl").exists()  # the other guide is built


def test_a_scan_without_ocr_keeps_the_advice_to_run_ocr(project, hard_dir):
    add_guide(project, hard_dir / "ocrmypdf_scan_no_text_c02-22.pdf", key="scan", link=True)
    (res,) = pipeline.extract_corpus(project, jobs=1)
    assert res.reason == "no-text-layer" and "run OCR first" in res.message
    assert "`ocr: true` in its manifest entry" in res.message and "--ocr" in res.message  # the built-in way, too


def test_a_guide_with_text_is_not_ocred(project, monkeypatch):
    make_pdf(project.corpus_dir / "good.pdf", guide_pages())
    add_guide(project, project.corpus_dir / "good.pdf", key="good", ocr=True)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("OCRmyPDF ran on a PDF with text"))
    report = pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert not report.failures
    assert all(s.source == "" for s in load_segments(project, "good"))


def test_corpus_add_ocr_writes_it_to_the_manifest(project):
    pdf = make_pdf(project.corpus_dir / "g.pdf", guide_pages())
    runner = CliRunner()
    added = runner.invoke(main, ["corpus", "add", str(pdf), "--key", "g1", "--ocr", "-p", str(project.root)])
    assert added.exit_code == 0, added.output
    assert load_manifest(project.manifest_path).get("g1").ocr is True
    assert "ocr: true" in project.manifest_path.read_text(encoding="utf-8")
    runner.invoke(main, ["corpus", "add", str(pdf), "--key", "g2", "-p", str(project.root)])
    assert load_manifest(project.manifest_path).get("g2").ocr is False
    assert project.manifest_path.read_text(encoding="utf-8").count("ocr:") == 1  # false is not written
    replaced = runner.invoke(main, ["corpus", "add", str(pdf), "--key", "g1", "--replace", "-p", str(project.root)])
    assert replaced.exit_code == 0
    assert load_manifest(project.manifest_path).get("g1").ocr is True  # kept unless --no-ocr


def test_a_broken_pdf_marked_for_ocr_is_reported_like_any_broken_pdf(project):
    good = make_pdf(project.corpus_dir / "good.pdf", guide_pages())
    data = good.read_bytes()
    (project.corpus_dir / "cut.pdf").write_bytes(data[: len(data) // 2])
    text = project.manifest_path.read_text(encoding="utf-8")
    project.manifest_path.write_text(text.rstrip() + "\n  - key: cut\n    file: cut.pdf\n    ocr: true\n", encoding="utf-8")
    (res,) = pipeline.extract_corpus(project, jobs=1)
    assert res.status == "failed" and res.reason == "malformed", res.message
    assert "cut.pdf" in res.message


def test_an_ocred_guide_goes_to_a_qdpx_with_its_text_and_codings_and_comes_back(scans_build, tmp_path):
    """An OCR'd guide's text is cached under the OCR extractor's name: the exchange must read that one."""
    from mapping_review.coding.suggestions import text_hash
    from mapping_review.exchange.export import export_qdpx
    from mapping_review.exchange.importer import import_qdpx
    from mapping_review.review.decisions import Decision, append_decisions

    project, _ = scans_build
    key = "ocrmypdf_scan_no_text_c02-22"
    sentence = next(s for s in load_segments(project, key) if s.kind == "sentence")
    append_decisions(project.reviews_dir, [Decision("alice", "2025-01-01T10:00:00Z", "segment", key, "client_centered",
                                                    True, "add", sentence.id, text_hash(sentence.text))])
    result = export_qdpx(project, tmp_path / "review.qdpx")
    assert key in result.sources and key not in result.pdf_only and result.codings >= 1
    assert not [n for n in result.notes if n.startswith(key)]
    back = import_qdpx(project, result.path, dry_run=True)  # the coding finds its own segment again
    assert back.decisions == [] and back.unchanged >= 1 and not back.unmatched
