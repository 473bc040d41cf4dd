"""A build knows when it is out of date: every stage's version, the codebook, the settings and the
stage outputs on disk are part of what it checks; change any of them and work is redone."""

import pytest
from pdfmaker import guide_pages, make_pdf

from mapping_review import pipeline
from mapping_review.pipeline import fingerprint
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import init_project


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("fingerprint")
    project = init_project(root / "review")
    add_guide(project, make_pdf(root / "guide.pdf", guide_pages(2)), key="g1")
    assert not pipeline.build_project(project, nlp_name="blank", jobs=1).up_to_date
    return project


def rebuild(project, **kw):
    return pipeline.build_project(project, nlp_name="blank", jobs=1, **kw)


def test_nothing_changed_nothing_done(built):
    assert rebuild(built).up_to_date


@pytest.mark.parametrize(("name", "value"), [
    ("SEGMENTER_VERSION", "segmenter.test"), ("CODER", "rules.test"), ("RANKER", "ranker.test"),
])
def test_a_new_stage_version_is_work_to_do(built, monkeypatch, name, value):
    monkeypatch.setattr(fingerprint, name, value)
    assert not rebuild(built).up_to_date
    assert rebuild(built).up_to_date  # recorded: the next build has nothing to do


def test_a_new_layout_version_is_work_to_do(built, monkeypatch):
    monkeypatch.setattr(fingerprint, "extractor_name", lambda engine: f"{engine}+layout.test")
    assert not rebuild(built).up_to_date


def test_the_nlp_pipeline_is_part_of_the_build(built, monkeypatch):
    monkeypatch.setattr(fingerprint, "resolve_pipeline_name", lambda name: "en_core_web_test")
    assert not rebuild(built).up_to_date


def test_the_codebook_and_settings_are_inputs(built):
    codebook = built.codebook_path.read_text()
    try:
        built.codebook_path.write_text(codebook + "\n# a comment changes the file\n")
        assert not rebuild(built).up_to_date
    finally:
        built.codebook_path.write_text(codebook)
    rebuild(built)
    settings = built.root / "review.yaml"
    settings.write_text("criteria:\n  quotes: 2\n")
    try:
        assert not rebuild(built).up_to_date
    finally:
        settings.unlink()
    rebuild(built)


@pytest.mark.parametrize("stage", ["segments", "codings"])
def test_a_deleted_stage_output_is_made_again(built, stage):
    output = built.build_dir / stage / "g1.jsonl"
    before = output.read_bytes()
    output.unlink()
    report = rebuild(built)
    assert not report.up_to_date and output.read_bytes() == before


def test_a_deleted_cached_document_is_extracted_again(built):
    (document,) = (built.cache_dir / "documents").glob("*.json.gz")
    document.unlink()
    report = rebuild(built)
    assert not report.up_to_date and [r.status for r in report.extract] == ["extracted"]
    assert document.exists()


def test_an_ocred_guides_cached_document_counts_among_the_stage_outputs(tmp_path):
    """An OCR'd guide's document is cached under the extractor's name and the OCR engine's: deleting it is
    work to do like deleting any other guide's."""
    from mapping_review.extract import extractor_name
    from mapping_review.extract.ocr import OCR_ENGINE
    from mapping_review.project.settings import load_settings

    project = init_project(tmp_path / "review")
    settings = load_settings(project.root)
    name = extractor_name(settings.build.engine)
    folder = project.cache_dir / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    other = extractor_name("another-engine")  # a cache left by another engine's builds is no output of this one
    for sha, extractor in (("a" * 64, name), ("b" * 64, f"{name}+{OCR_ENGINE}"), ("c" * 64, "other.v0"),
                           ("d" * 64, other), ("e" * 64, f"{other}+{OCR_ENGINE}")):
        (folder / f"{sha}.{extractor}.json.gz").write_bytes(b"x")
    assert sorted(fingerprint.stage_outputs(project, settings)["documents"]) == [
        f"{'a' * 64}.{name}.json.gz", f"{'b' * 64}.{name}+{OCR_ENGINE}.json.gz"]
