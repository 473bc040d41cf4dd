"""The real REFI-QDA exports of QualCoder's cousin qc, NVivo and ATLAS.ti import: their codebooks and
codings are reported, and nothing is recorded that does not belong to a guide of the review."""

from __future__ import annotations

import zipfile

import pytest
from refi_helpers import need_reference

from mapping_review.coding.codebook import load_codebook
from mapping_review.exchange import import_qdpx


@pytest.fixture()
def samples():
    return need_reference("samples")


def _reviews(project):
    return sorted(p.name for p in project.reviews_dir.glob("*.jsonl"))


def test_qc_project_codebook_and_every_coding_is_reported_with_its_text(project, samples, tmp_path):
    result = import_qdpx(project, samples / "qc-1.3.2_demo.qdpx", draft=tmp_path / "draft.yaml")
    assert result.origin == "qc 1.3.2" and result.n_codes == 262 and len(result.unmapped) == 262
    assert result.reviewers == {"cp": "cp"} and result.sources == {} and result.decisions == []
    assert len(result.unmatched) == 205  # every coding, none silently dropped
    with zipfile.ZipFile(samples / "qc-1.3.2_demo.qdpx") as archive:
        board = archive.read("sources/board_2017.txt").decode()
    first = " ".join(board[320:400].split())
    assert any(line.startswith(f"board_2017.txt, page ?: {first!r}: 'rq2_curriculum_and_instruction > pedagogy > fun'")
               for line in result.unmatched)
    assert any("source 'board_2017.txt' matches no guide" in w for w in result.warnings)
    draft = load_codebook(result.draft)
    tops = list(draft.features)
    assert [f.label for f in tops][:1] == ["rq1_definition"]
    assert sum(len(f.codes) or 1 for f in tops) == 262 - sum(1 for f in tops if f.codes)
    labels = {c.label for f in tops for c in f.codes}
    assert "competencies > programming" in labels  # deeper levels kept as paths under their feature
    assert _reviews(project) == []


def test_nvivo_reexport_keeps_the_code_tree_and_reports_its_empty_sources(project, samples):
    nvivo = import_qdpx(project, samples / "nvivo-mac15_qc-project.qdpx")
    qc = import_qdpx(project, samples / "qc-1.3.2_demo.qdpx", dry_run=True)
    assert nvivo.origin == "NVivo for Mac 15.0.0" and nvivo.n_codes == 262
    assert sorted(nvivo.unmapped) == sorted(qc.unmapped)
    assert nvivo.reviewers == {"chrisp": "chrisp", "cp": "cp"} and nvivo.unmatched == [] and nvivo.decisions == []
    assert sum("matches no guide" in w and "0 coding(s)" in w for w in nvivo.warnings) == 2
    assert _reviews(project) == []


def test_atlas_ti_projects_with_and_without_a_codebook(project, samples):
    target = import_qdpx(project, samples / "atlasti-win23_target-project.qdpx")
    assert target.origin.startswith("ATLAS.ti") and target.n_codes == 3
    assert target.unmapped == ["Commits", "Commits > 2022-05-10T02:05:59Z 19e4dce", "Commits > 2022-02-11T10:39:25Z cdbfd92"]
    assert target.reviewers == {"ATLAS.ti": "ATLAS.ti", "Enric Llagostera": "Enric_Llagostera"}
    blank = import_qdpx(project, samples / "atlasti-win23_blank-project.qdpx")
    assert blank.n_codes == 0 and any("no codebook in this file" in w for w in blank.warnings)
    assert _reviews(project) == []
