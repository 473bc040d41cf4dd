"""``build --scheduler``: a Dask LocalCluster build writes the same build/ as a local build."""

import pytest

from mapping_review import pipeline
from mapping_review.errors import MappingReviewError
from mapping_review.pipeline import distributed
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import init_project

GUIDES = ("nice_cg91_depression_chronic_physical", "nice_ng54_mh_learning_disabilities", "who_pfa_field_workers")


def make(tmp_path, guides_dir, name):
    project = init_project(tmp_path / name)
    for key in GUIDES:
        add_guide(project, guides_dir / f"{key}.pdf", key=key, link=True)
    return project


def files(project):
    """Every file of build/ but the run's own record (times) and the figures' digests."""
    skip = {"run.json", "figures.json"}
    return {p.relative_to(project.build_dir).as_posix(): p.read_bytes()
            for p in sorted(project.build_dir.rglob("*")) if p.is_file() and p.name not in skip}


@pytest.mark.corpus
def test_a_local_cluster_build_equals_a_local_build(tmp_path, guides_dir):
    local = make(tmp_path, guides_dir, "local")
    pipeline.build_project(local, nlp_name="blank", jobs=2)
    cluster = make(tmp_path, guides_dir, "cluster")
    report = pipeline.build_project(cluster, nlp_name="blank", jobs=3, scheduler="local")
    assert not report.failures
    assert {r.status for r in report.extract} == {"extracted"}
    assert {r.status for r in report.code} == {"coded"}
    ours, theirs = files(cluster), files(local)
    assert sorted(ours) == sorted(theirs)
    assert any(name.startswith("cache/documents/") for name in ours)
    assert [name for name in ours if ours[name] != theirs[name]] == []
    again = pipeline.build_project(cluster, nlp_name="blank", jobs=3, scheduler="local", force=True)
    assert {r.status for r in again.segment + again.code} == {"up to date"}  # the states were recorded


@pytest.mark.corpus
def test_pdfs_sent_with_the_tasks_give_the_same_segments(tmp_path, guides_dir):
    project = make(tmp_path, guides_dir, "sent")
    extracted, segmented, coded = distributed.cluster_extract(project, engine="pdfium.v1", nlp_name="blank",
                                                              scheduler="local", workers=2, send_pdfs=True)
    assert {r.status for r in extracted} == {"extracted"} and sorted(segmented) == sorted(coded) == sorted(GUIDES)
    reference = make(tmp_path, guides_dir, "reference")
    pipeline.extract_and_segment(reference, nlp_name="blank", jobs=1)
    for key in GUIDES:
        assert (project.segments_dir / f"{key}.jsonl").read_bytes() == \
            (reference.segments_dir / f"{key}.jsonl").read_bytes()


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path, monkeypatch):
    from pdfmaker import guide_pages, make_pdf

    project = init_project(tmp_path / "unreachable")
    make_pdf(project.corpus_dir / "g.pdf", guide_pages())
    add_guide(project, project.corpus_dir / "g.pdf", key="g")
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", 2)
    with pytest.raises(MappingReviewError, match=r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9'"):
        pipeline.build_project(project, nlp_name="blank", scheduler="tcp://127.0.0.1:9")


def test_build_scheduler_local_from_the_command_line(tmp_path):
    from click.testing import CliRunner
    from pdfmaker import guide_pages, make_pdf

    from mapping_review.cli import main

    runner = CliRunner()
    outputs = {}
    for name, extra in (("plain", []), ("cluster", ["--scheduler", "local", "-j", "2"])):
        project = init_project(tmp_path / name)
        for i in range(2):
            make_pdf(project.corpus_dir / f"g{i}.pdf", guide_pages(title=f"Guide {i}"))
            add_guide(project, project.corpus_dir / f"g{i}.pdf", key=f"g{i}")
        result = runner.invoke(main, ["build", str(project.root), "-q", "--nlp", "blank", *extra])
        assert result.exit_code == 0, result.output
        outputs[name] = files(project)
    assert outputs["plain"] == outputs["cluster"]
    assert any(name.startswith("segments/") for name in outputs["cluster"])
