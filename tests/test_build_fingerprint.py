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


def settle(project):
    """Build until there is nothing to do (tests before may have left another stage version recorded)."""
    rebuild(project)
    assert rebuild(project).up_to_date


def shipped_model_text():
    from importlib import resources

    from mapping_review.coding.evidence import MODEL_FILE

    return resources.files("mapping_review.coding").joinpath("models", MODEL_FILE).read_text(encoding="utf-8")


@pytest.mark.parametrize(("rel", "text"), [
    ("codebook.yaml", None),  # the codebook with a comment added
    ("references.bib", "@misc{g1, title = {A guide}}\n"),
    ("templates/notes.txt", "a file in the templates folder\n"),
    ("reviews/carol.jsonl", ""),
    ("criteria/notes/readme.md", "a file in a folder under criteria\n"),
    ("build/models/evidence", "the classifier `learn` kept"),
])
def test_every_input_file_is_work_to_do(built, rel, text):
    settle(built)
    if rel == "build/models/evidence":
        from mapping_review.coding.evidence import MODEL_FILE

        rel, text = f"build/models/{MODEL_FILE}", shipped_model_text()
    path = built.root / rel
    before = path.read_text() if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(before + "\n# a comment changes the file\n" if text is None else text)
    try:
        assert not rebuild(built).up_to_date
        assert rebuild(built).up_to_date  # recorded
    finally:
        if before is None:
            path.unlink()
        else:
            path.write_text(before)
    assert not rebuild(built).up_to_date  # and taken away again
    assert rebuild(built).up_to_date


def guide_file(project):
    from mapping_review.project.manifest import load_manifest

    (guide,) = load_manifest(project.manifest_path).guides
    return guide.path(project.corpus_dir)


def test_a_changed_pdf_is_work_to_do(built, tmp_path):
    settle(built)
    path = guide_file(built)
    before = path.read_bytes()
    path.write_bytes(make_pdf(tmp_path / "other.pdf", guide_pages(3)).read_bytes())
    try:
        report = rebuild(built)  # the manifest's hash no longer matches: the guide is reported, not used
        assert not report.up_to_date and [r.status for r in report.extract] == ["failed"]
    finally:
        path.write_bytes(before)
    settle(built)


def test_a_pdf_is_hashed_again_unless_its_size_and_mtime_are_both_unchanged(built):
    path = guide_file(built)
    stat = path.stat()
    real = fingerprint._sha(path)

    def previous(size, mtime_ns):
        return {"pdfs": {"g1": {"size": size, "mtime_ns": mtime_ns, "sha256": "recorded"}}}

    assert fingerprint.inputs_of(built, previous(stat.st_size, stat.st_mtime_ns))["pdfs"]["g1"]["sha256"] == "recorded"
    assert fingerprint.inputs_of(built, previous(stat.st_size, stat.st_mtime_ns - 1))["pdfs"]["g1"]["sha256"] == real
    assert fingerprint.inputs_of(built, previous(stat.st_size + 1, stat.st_mtime_ns))["pdfs"]["g1"]["sha256"] == real


def test_an_unchanged_build_does_not_hash_the_pdfs_again(built, monkeypatch):
    settle(built)
    hashed = []
    sha = fingerprint._sha
    monkeypatch.setattr(fingerprint, "_sha", lambda path: hashed.append(path.suffix) or sha(path))
    assert rebuild(built).up_to_date
    assert hashed and ".pdf" not in hashed  # the other inputs are hashed, the PDF's last hash is reused


@pytest.mark.parametrize(("name", "value"), [("DECIDER", "decider.test"), ("_shipped_model_digest", "retrained")])
def test_the_decider_and_the_shipped_classifier_are_part_of_the_build(built, monkeypatch, name, value):
    settle(built)
    monkeypatch.setattr(fingerprint, name, (lambda: value) if name.startswith("_") else value)
    assert not rebuild(built).up_to_date
    monkeypatch.undo()
    rebuild(built)


def test_a_trained_nlp_pipeline_is_recorded_with_its_version(monkeypatch):
    from importlib import metadata

    from mapping_review.project.settings import Settings

    monkeypatch.setattr(fingerprint, "resolve_pipeline_name", lambda name: "en_core_web_test")
    version = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "3.8.0" if name == "en_core_web_test" else version(name))
    assert fingerprint.stage_versions(Settings())["nlp"] == "en_core_web_test==3.8.0"
    monkeypatch.setattr(fingerprint, "resolve_pipeline_name", lambda name: "blank")
    assert fingerprint.stage_versions(Settings())["nlp"] == "blank"


@pytest.mark.parametrize("library", ["scikit-learn", "spacy", "pdfplumber", "matplotlib"])
def test_an_upgraded_library_is_work_to_do(built, monkeypatch, library):
    from importlib import metadata

    settle(built)
    version = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "99.0" if name == library else version(name))
    assert not rebuild(built).up_to_date
    monkeypatch.undo()
    rebuild(built)


def test_a_command_line_override_of_the_settings_is_work_to_do(built):
    from mapping_review.pipeline.build import effective_settings
    from mapping_review.project.settings import load_settings

    settings = load_settings(built.root)
    assert settings.build.calibrate is True
    assert effective_settings(settings, engine=None, nlp_name=None, calibrate=False).build.calibrate is False
    assert effective_settings(settings, engine=None, nlp_name=None, calibrate=None).build.calibrate is True
    settle(built)
    assert not rebuild(built, calibrate=False).up_to_date
    assert rebuild(built, calibrate=False).up_to_date
    assert not rebuild(built).up_to_date


def test_a_forced_build_does_the_work(built):
    settle(built)
    assert not rebuild(built, force=True).up_to_date


def test_a_deleted_table_is_written_again(built):
    settle(built)
    table = built.build_dir / "tables" / "guide_codes.csv"
    before = table.read_bytes()
    table.unlink()
    assert not rebuild(built).up_to_date
    assert table.read_bytes() == before


def test_a_truncated_stage_output_is_work_to_do(built):
    settle(built)
    output = built.build_dir / "segments" / "g1.jsonl"
    before = output.read_bytes()
    output.write_bytes(before.splitlines(keepends=True)[0])  # the same name, whole lines, fewer of them
    try:
        assert not rebuild(built).up_to_date
    finally:
        output.write_bytes(before)
    settle(built)


def test_a_run_that_lists_no_outputs_is_not_trusted(built):
    import json

    settle(built)
    run_file = built.build_dir / fingerprint.RUN_FILE
    run = json.loads(run_file.read_text())
    run["outputs"] = []
    run_file.write_text(json.dumps(run))
    assert not rebuild(built).up_to_date
