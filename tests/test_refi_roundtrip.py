"""REFI-QDA on the real shared guides: export -> import into a fresh project gives the same codebook,
decisions and guide_codes.csv; codings made by another program on its own text of a guide land on
the right segments."""

from __future__ import annotations

import re
import shutil
import uuid
from difflib import SequenceMatcher
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from refi_helpers import assert_valid, current, make_decisions, members, write_zip

from mapping_review import pipeline
from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.versions import CODER
from mapping_review.errors import RoleError
from mapping_review.exchange import export_qdc, export_qdpx, import_qdc, import_qdpx
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import Project, init_project
from mapping_review.project.manifest import load_manifest
from mapping_review.review.decisions import Decision, append_decisions, read_decisions
from mapping_review.review.state import load_review, resolve_review, write_tables
from mapping_review.segment.inspect import load_segments

pytestmark = pytest.mark.corpus


def built_copy(root: Path, guides_build: tuple[Project, object]) -> Project:
    """A project of the shared guides, built with the session project's extraction cache."""
    source, _ = guides_build
    project = init_project(root)
    for guide in load_manifest(source.manifest_path).guides:
        add_guide(project, source.corpus_dir / guide.file, key=guide.key, link=True)
    shutil.copytree(source.cache_dir, project.cache_dir, dirs_exist_ok=True)
    report = pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert not report.failures
    return project


@pytest.fixture(scope="module")
def exported(tmp_path_factory, guides_build):
    base = tmp_path_factory.mktemp("refi")
    original = built_copy(base / "original", guides_build)
    make_decisions(original)
    state = load_review(original)
    write_tables(state, resolve_review(state))
    out = export_qdpx(original, base / "review.qdpx", suggestions=True)
    return original, out, base


def test_export_validates_and_carries_every_guide_with_its_pdf_and_text(exported):
    _original, out, _ = exported
    files = members(out.path)
    assert_valid(files["project.qde"], "Project.xsd")
    qde = files["project.qde"].decode()
    assert qde.count("<PDFSource ") == len(out.sources) == 8
    pdfs = [n for n in files if n.endswith(".pdf")]
    texts = [n for n in files if n.endswith(".txt")]
    assert len(pdfs) == len(texts) == 8
    assert out.users == ["alice", "bob", "carol", "consensus", CODER]
    assert f'id="machine:{CODER}"' in qde and out.codings > 30
    for name in pdfs:
        assert files[name].startswith(b"%PDF-")


def test_round_trip_gives_the_same_codebook_decisions_and_guide_codes(exported, guides_build):
    original, out, base = exported
    fresh = built_copy(base / "fresh", guides_build)
    result = import_qdpx(fresh, out.path, settled_by="dana")
    assert result.unmapped == [] and result.unmatched == [], result.unmatched[:3]
    codebook = load_codebook(original.codebook_path)
    n_tree = len(codebook.codes) + sum(1 for f in codebook.features if f.codes)  # codes and features holding sub-values
    assert len(result.mapped) == n_tree == result.n_codes
    assert sorted(result.reviewers) == ["alice", "bob", "carol", "consensus"]  # the machine is not a reviewer
    assert current(fresh) == current(original)
    for project in (original, fresh):
        state = load_review(project)
        write_tables(state, resolve_review(state))
    table = (original.build_dir / "tables" / "guide_codes.csv").read_text()
    assert (fresh.build_dir / "tables" / "guide_codes.csv").read_text() == table
    assert "reviewer:carol" in table and "consensus" in table
    assert {d.settled_by for d in result.decisions if d.reviewer == "consensus"} == {"dana"}
    again = import_qdpx(fresh, out.path, settled_by="dana")
    assert again.decisions == [] and again.unchanged == len(result.decisions)
    assert len(read_decisions(fresh.reviews_dir)) == len(result.decisions)

    qdc = export_qdc(original, base / "codebook.qdc").path
    assert_valid(qdc.read_bytes(), "Codebook.xsd")
    mapped = import_qdc(fresh, qdc, draft=base / "draft.yaml")
    assert mapped.unmapped == [] and len(mapped.mapped) == n_tree
    draft, ours = load_codebook(base / "draft.yaml"), load_codebook(original.codebook_path)

    def exchangeable(codebook):
        return [(c.id, c.feature_label, c.label, c.definition.split(), c.include, c.exclude, c.examples)
                for c in codebook.codes]

    assert exchangeable(draft) == exchangeable(ours)


def _their_text(pdf: Path) -> str:
    """Another program's plain text of the PDF: PDFium's raw text, Windows line ends."""
    doc = pdfium.PdfDocument(str(pdf))
    try:
        pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()
    return "\r\n\r\n".join(p.replace("\r\n", "\n").replace("\n", "\r\n") for p in pages)


def test_consensus_codings_are_recorded_only_by_someone_allowed_to_settle_them(tmp_path, guides_build):
    base = tmp_path
    original = built_copy(base / "original", guides_build)
    guide = sorted(load_review(original).guides)[0]
    answers = [Decision(who, "2025-04-01T10:00:00Z", "guide", guide, "modality/video", value, "set", origin="test")
               for who, value in (("alice", True), ("bob", False))]
    answers.append(Decision("consensus", "2025-04-02T10:00:00Z", "guide", guide, "modality/video", False, "set",
                            origin="adjudication", settled_by="erin"))
    append_decisions(original.reviews_dir, answers)
    out = export_qdpx(original, base / "disputed.qdpx")
    fresh = built_copy(base / "disputed", guides_build)

    left_out = import_qdpx(fresh, out.path, dry_run=True)
    assert left_out.decisions and all(d.reviewer != "consensus" for d in left_out.decisions)
    assert any("consensus decision(s) not recorded" in w and "--by" in w for w in left_out.warnings)

    with pytest.raises(RoleError, match="alice"):  # alice answered the disputed item in the same file
        import_qdpx(fresh, out.path, settled_by="alice")
    assert read_decisions(fresh.reviews_dir) == []  # nothing recorded

    result = import_qdpx(fresh, out.path, settled_by="dana")
    agreed = [d for d in read_decisions(fresh.reviews_dir) if d.reviewer == "consensus"]
    assert agreed and {d.settled_by for d in agreed} == {"dana"}
    assert any((d.guide, d.code, d.value) == (guide, "modality/video", False) for d in agreed)
    assert len(result.decisions) == len(read_decisions(fresh.reviews_dir))


def _skeleton(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def test_codings_from_another_program_land_on_the_segments_with_that_text(tmp_path, guides_build, guides_dir):
    project = built_copy(tmp_path / "review", guides_build)
    key = "nice_ng222_depression_adults"
    theirs = _their_text(guides_dir / f"{key}.pdf") + "\r\n\r\nA memo the coder wrote that is not in the guide at all.\r\n"
    counted = theirs.replace("\r\n", "\n")  # this program counts a Windows line end as one character
    lines = [m for m in re.finditer(r"[^\n]{70,}", counted) if not re.search(r"\d{2,}|www|http", m.group())]
    chosen = lines[40:400:36]
    memo = counted.index("A memo the coder")
    code = lambda: str(uuid.uuid4()).upper()  # noqa: E731 - random GUIDs, as the program makes them
    guids = {"Client Centered (e.g. shared decision making)": code(), "Methods::Case management": code(),
             "Memos::Other": code()}
    codes = "".join(f'<Code guid="{g}" name="{n}" isCodable="true"/>' for n, g in guids.items())
    user = code()
    selections = "".join(
        f'<PlainTextSelection guid="{code()}" name="Quotation {i}" startPosition="{m.start()}" endPosition="{m.end()}">'
        f'<Coding guid="{code()}" creatingUser="{user}"><CodeRef targetGUID="{guids[name]}"/></Coding></PlainTextSelection>'
        for i, (m, name) in enumerate([(m, "Client Centered (e.g. shared decision making)") for m in chosen]
                                      + [(re.compile(r"[^\n]+").match(counted, memo), "Methods::Case management")]))
    other = f'<PlainTextSelection guid="{code()}" startPosition="{chosen[0].start()}" endPosition="{chosen[0].end()}">' \
            f'<Coding guid="{code()}" creatingUser="{user}"><CodeRef targetGUID="{guids["Memos::Other"]}"/></Coding>' \
            '</PlainTextSelection>'
    qde = (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="theirs" '
           f'origin="Some QDA 9"><Users><User guid="{user}" name="Jane Doe"/></Users><CodeBook><Codes>{codes}</Codes>'
           f'</CodeBook><Sources><TextSource guid="{code()}" plainTextPath="{key}.txt">{selections}{other}</TextSource>'
           "</Sources></Project>")
    archive = write_zip(tmp_path / "theirs.qdpx", {"Trial.qde": qde.encode(), f"sources/{key}.txt": theirs.encode()})
    result = import_qdpx(project, archive)
    assert result.sources == {f"{key}.txt": key} and result.reviewers == {"Jane Doe": "Jane_Doe"}
    assert sorted(result.unmapped) == ["Memos", "Memos > Other"]
    unmatched = "\n".join(result.unmatched)
    assert len(result.unmatched) == 2, unmatched
    assert "code 'Memos > Other' is not in codebook.yaml" in unmatched
    assert re.search(rf"{key}.txt, page about \d+: 'A memo the coder wrote that is not in the guide at all.': "
                     "'Methods > Case management' by Jane_Doe: no segment has this text", unmatched)
    segments = {s.id: s for s in load_segments(project, key)}
    by_line = {}
    for d in result.decisions:
        assert (d.reviewer, d.guide, d.code, d.action) == ("Jane_Doe", key, "client_centered", "add")
        seg = segments[d.segment]
        quoted = seg.text[d.start:d.end] if d.start >= 0 else seg.text
        best = max(chosen, key=lambda m: _overlap(_skeleton(m.group()), _skeleton(quoted)))
        by_line.setdefault(best.start(), []).append(quoted)
        assert _overlap(_skeleton(best.group()), _skeleton(quoted)) >= 0.5 * min(len(_skeleton(best.group())),
                                                                                  len(_skeleton(quoted)))
    assert len(by_line) == len(chosen)  # every selected line became at least one decision


def _overlap(a: str, b: str) -> int:
    return SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b)).size
