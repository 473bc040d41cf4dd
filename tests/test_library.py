"""corpus import: reference libraries (BibTeX, RIS, CSL-JSON) become guides, added as `corpus add` adds them."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pdfmaker import guide_pages, make_pdf

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.errors import ConfigError
from mapping_review.files import file_sha256
from mapping_review.project.corpus import add_guide
from mapping_review.project.library import import_library
from mapping_review.project.library_formats import make_key, read_library, split_file_field
from mapping_review.project.manifest import load_manifest

PUBLISHERS = {"nice": "National Institute for Health and Care Excellence", "who": "World Health Organization",
              "cdp": "Center for Deployment Psychology"}


def facts(i: int, pdf: Path) -> dict:
    prefix = pdf.stem.split("_")[0]
    return {"key": pdf.stem, "title": f"Guide {i}: {pdf.stem.replace('_', ' ')} th\u00e9rapie", "year": 2000 + i,
            "authors": f"Author{i}, Ann and Writer, Bob", "publisher": PUBLISHERS[prefix], "doi": f"10.5555/guide.{i}",
            "url": f"https://example.org/{pdf.stem}"}


def zotero_bib(entries: list[tuple[dict, str]]) -> str:
    """A Zotero-style BibTeX export ("Export Files"): LaTeX accents, a `file` field per attachment."""
    out = []
    for f, attachment in entries:
        title = f["title"].replace("\u00e9", "{\\'e}")
        out.append(f"@report{{{f['key']},\n  title = {{{title}}},\n  author = {{{f['authors']}}},\n"
                   f"  institution = {{{f['publisher']}}},\n  year = {{{f['year']}}},\n  doi = {{{f['doi']}}},\n"
                   f"  url = {{{f['url']}}},\n  note = {{library note {f['key']}}},\n"
                   f"  file = {{Full Text PDF:{attachment}:application/pdf}}\n}}\n")
    return "\n".join(out)


@pytest.mark.corpus
def test_zotero_library_of_the_shared_guides_gives_the_same_manifest_as_adding_them_one_by_one(tmp_path, guides_dir):
    runner = CliRunner()
    pdfs = sorted(guides_dir.glob("*.pdf"))
    library = tmp_path / "zotero" / "My Library.bib"
    entries = []
    for i, pdf in enumerate(pdfs, start=1):
        attachment = Path("files") / str(100 + i) / pdf.name
        (library.parent / attachment).parent.mkdir(parents=True)
        (library.parent / attachment).symlink_to(pdf)  # the PDFs stay in the shared corpus
        entries.append((facts(i, pdf), attachment.as_posix()))
    library.write_text(zotero_bib(entries), encoding="utf-8")
    one, many = tmp_path / "one_by_one", tmp_path / "imported"
    for root in (one, many):
        assert runner.invoke(main, ["init", str(root)]).exit_code == 0
    for i, pdf in enumerate(pdfs, start=1):
        f = facts(i, pdf)
        args = ["corpus", "add", str(pdf), "--key", f["key"], "--title", f["title"], "--year", str(f["year"]),
                "--authors", f["authors"], "--publisher", f["publisher"], "--doi", f["doi"], "--url", f["url"]]
        added = runner.invoke(main, [*args, "-p", str(one)])
        assert added.exit_code == 0, added.output
    imported = runner.invoke(main, ["corpus", "import", str(library), "-p", str(many)])
    assert imported.exit_code == 0, imported.output
    assert f"{len(pdfs)} guide(s) from bibtex library" in imported.output
    manifest = (many / "corpus" / "manifest.yaml").read_text()
    assert manifest == (one / "corpus" / "manifest.yaml").read_text()
    assert "th\u00e9rapie" in manifest and "10.5555/guide.1" in manifest
    for pdf in pdfs:
        assert (many / "corpus" / f"{pdf.stem}.pdf").read_bytes() == pdf.read_bytes()
    again = runner.invoke(main, ["corpus", "import", str(library), "-p", str(many)])
    assert again.exit_code == 0 and (many / "corpus" / "manifest.yaml").read_text() == manifest
    assert " ".join(again.output.split()).count("is already in the manifest") == len(pdfs)


def test_references_bib_reuses_the_librarys_own_entries(tmp_path, project):
    library = tmp_path / "lib.bib"
    library.write_text("@book{smith_guide_2020,\n  title = {A Guide},\n  author = {Smith, Jo},\n  year = {2020},\n"
                       "  note = {kept as the library wrote it},\n"
                       "  file = {Full Text PDF:/home/jo/private.pdf:application/pdf}\n}\n"
                       "@misc{who_care_2021,\n  title = {Care},\n  year = {2021}\n}\n", encoding="utf-8")
    result = import_library(project, library)
    assert result.metadata_only == ["who_care_2021"]
    assert result.errors and "smith_guide_2020" in result.errors[0] and "outside the library folder" in result.errors[0]
    assert [g.key for g in load_manifest(project.manifest_path).guides] == ["who_care_2021"]
    (library.parent / "private.pdf").write_bytes(make_pdf(tmp_path / "x.pdf", guide_pages(1)).read_bytes())
    library.write_text(library.read_text().replace("/home/jo/private.pdf", "private.pdf"), encoding="utf-8")
    assert import_library(project, library).added == ["smith_guide_2020"]
    report = pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert not report.failures
    bib = (project.build_dir / "tables" / "references.bib").read_text()
    assert "note = {kept as the library wrote it}" in bib and "@misc{who_care_2021" in bib
    assert "private.pdf" not in bib and "file =" not in bib


def test_metadata_only_several_pdfs_duplicates_and_key_clashes_are_reported_one_per_line(tmp_path, project):
    (tmp_path / "lib").mkdir()
    a = make_pdf(tmp_path / "lib" / "a.pdf", guide_pages(1, title="A"))
    make_pdf(tmp_path / "lib" / "b.pdf", guide_pages(2, title="B"))
    existing = make_pdf(tmp_path / "old.pdf", guide_pages(1, title="Old"))
    add_guide(project, existing, key="taken_2019", title="Something else entirely", year=2019)
    before = project.manifest_path.read_text()
    library = tmp_path / "lib" / "lib.bib"
    library.write_text(
        "@book{two_pdfs_2020, title = {Two files}, year = {2020}, file = {a.pdf;b.pdf}}\n"
        "@book{meta_2021, title = {No file at all}, year = {2021}, doi = {https://doi.org/10.1/ABC}}\n"
        "@book{copy_2021, title = {Another title}, year = {2021}, doi = {10.1/abc}}\n"
        "@book{same_title_2022, title = {The Same Title}, year = {2022}}\n"
        "@book{same_title_again, title = {the same title!}, year = {2022}}\n"
        "@book{taken_2019, title = {A different work}, year = {2019}}\n", encoding="utf-8")
    result = import_library(project, library)
    assert result.added == ["two_pdfs_2020"] and result.metadata_only == ["meta_2021", "same_title_2022"]
    notices = "\n".join(result.notices)
    assert len(result.notices) == 4 and not result.errors
    assert "lib.bib:1: 'two_pdfs_2020' has 2 PDFs (a.pdf, b.pdf); added a.pdf" in notices
    assert "lib.bib:3: 'copy_2021' duplicates 'meta_2021' in the library (same DOI 10.1/abc)" in notices
    assert "'same_title_again' duplicates 'same_title_2022' in the library (same title and year)" in notices
    assert "lib.bib:6: key 'taken_2019' clashes with the manifest's guide 'Something else entirely'" in notices
    manifest = load_manifest(project.manifest_path)
    assert manifest.get("two_pdfs_2020").sha256 == file_sha256(a)
    assert manifest.get("taken_2019").title == "Something else entirely"
    assert project.manifest_path.read_text().startswith(before)  # existing entries untouched
    updated = import_library(project, library, update=True)
    assert "taken_2019" in updated.updated and load_manifest(project.manifest_path).get("taken_2019").title == \
        "A different work"
    assert load_manifest(project.manifest_path).get("taken_2019").sha256 == manifest.get("taken_2019").sha256


def test_bibtex_syntax_error_names_its_line_and_the_rest_is_imported(tmp_path, project, caplog):
    library = tmp_path / "broken.bib"
    library.write_text("@book{good_2020,\n  title = {Good},\n  year = {2020}\n}\n\n@book{bad_2020,\n  title = {Unclosed\n"
                       "  year = 2020\n}\n@book{later_2021, title = {Later}, year = {2021}}\n", encoding="utf-8")
    result = import_library(project, library)
    assert result.metadata_only == ["good_2020", "later_2021"]
    (error,) = result.errors
    assert error.startswith(f"{library}:6: BibTeX syntax error")
    caplog.clear()
    out = CliRunner().invoke(main, ["corpus", "import", str(library), "-p", str(project.root)])
    flat = " ".join(out.output.split())
    assert out.exit_code == 1 and "broken.bib:6: BibTeX syntax error" in flat and "Traceback" not in flat
    assert not [r for r in caplog.records if r.name.startswith("bibtexparser")]  # the parser's own log line
    assert "Error: 1 entry was not imported" in flat


def test_unreadable_attachments_change_nothing(tmp_path, project):
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "page.pdf").write_text("<html><body>login</body></html>")
    library = folder / "lib.bib"
    library.write_text("@book{html_2020, title = {H}, year = {2020}, file = {Full Text:page.pdf:application/pdf}}\n"
                       "@book{gone_2020, title = {G}, year = {2020},"
                       " file = {Full Text:files/9/gone.pdf:application/pdf}}\n"
                       "@book{escape_2020, title = {E}, year = {2020},"
                       " file = {Full Text:../../etc/x.pdf:application/pdf}}\n",
                       encoding="utf-8")
    before = project.manifest_path.read_text()
    result = import_library(project, library)
    assert not result.added and not result.metadata_only and len(result.errors) == 3
    assert "HTML page saved as .pdf" in result.errors[0]
    assert "'files/9/gone.pdf' not found" in result.errors[1]
    assert "outside the library folder" in result.errors[2]
    assert project.manifest_path.read_text() == before
    assert not (project.root / "references.bib").exists()


def test_endnote_and_mendeley_ris_with_l1_l2_links_and_generated_keys(tmp_path, project):
    library = tmp_path / "Guides.ris"
    pdf_dir = tmp_path / "Guides.Data" / "PDF" / "1234567"
    pdf_dir.mkdir(parents=True)
    make_pdf(pdf_dir / "Bellack.pdf", guide_pages(1, title="Bellack"))
    (tmp_path / "mendeley folder").mkdir()
    mendeley = make_pdf(tmp_path / "mendeley folder" / "Foa.pdf", guide_pages(1, title="Foa"))
    library.write_text(
        "TY  - BOOK\nAU  - Bellack, Alan S.\nAU  - Mueser, Kim T.\nTI  - Social Skills Training for Schizophrenia\n"
        "PY  - 2004//\nPB  - Guilford Press\nDO  - 10.1000/SST\nL1  - internal-pdf://1234567/Bellack.pdf\nER  - \n\n"
        "TY  - BOOK\nAU  - Foa, Edna B.\nTI  - Exposure and Response (Ritual) Prevention\nPY  - 2012\n"
        f"L1  - {mendeley.as_uri()}\nL2  - https://example.org/foa\nER  - \n\n"
        "TY  - RPRT\nAU  - Department of Veterans Affairs\nTI  - VA/DoD Clinical Practice Guideline\nPY  - 2023\nER  - \n\n"
        "TY  - RPRT\nAU  - Department of Veterans Affairs\nTI  - VA/DoD guideline for bipolar disorder\n"
        "PY  - 2023\nER  - \n",
        encoding="utf-8")
    result = import_library(project, library)
    assert result.added == ["bellack_social_2004", "foa_exposure_2012"], result.errors
    assert result.metadata_only == ["department_of_veterans_affairs_vadod_2023",
                                    "department_of_veterans_affairs_vadod_2023-1"]
    manifest = load_manifest(project.manifest_path)
    bellack = manifest.get("bellack_social_2004")
    assert (bellack.year, bellack.publisher, bellack.doi) == (2004, "Guilford Press", "10.1000/sst")
    assert bellack.authors == "Bellack, Alan S. and Mueser, Kim T."
    assert manifest.get("foa_exposure_2012").url == "https://example.org/foa"


def test_zotero_csl_json(tmp_path, project):
    library = tmp_path / "zotero.json"
    library.write_text(json.dumps([
        {"id": "http://zotero.org/users/1/items/ABCD", "type": "report", "title": "Multicultural Guidelines",
         "author": [{"literal": "American Psychological Association"}], "issued": {"date-parts": [[2017, 8]]},
         "DOI": "10.1037/xyz", "URL": "https://apa.org/mc", "publisher": "APA"},
        {"id": "landa2017", "citation-key": "landa_cognitive_2017", "type": "book",
         "title": "Cognitive Behavioral Therapy", "author": [{"family": "Landa", "given": "Yulia"}],
         "issued": {"raw": "2017"}},
        {"id": "x", "type": "book", "title": "With a BBT key", "note": "Citation Key: bbt_key_2001",
         "issued": {"date-parts": [["2001"]]}},
    ]), encoding="utf-8")
    result = import_library(project, library)
    assert result.metadata_only == ["american_psychological_association_multicultural_2017", "landa_cognitive_2017",
                                    "bbt_key_2001"]
    apa = load_manifest(project.manifest_path).get("american_psychological_association_multicultural_2017")
    assert (apa.year, apa.doi, apa.url, apa.authors) == (2017, "10.1037/xyz", "https://apa.org/mc",
                                                          "American Psychological Association")


def test_library_files_that_cannot_be_read_are_clear_errors(tmp_path):
    bad_json = tmp_path / "lib.json"
    bad_json.write_text('[{"title": "x",}\n]')
    with pytest.raises(ConfigError, match=r"lib.json:1: not valid JSON"):
        read_library(bad_json)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ConfigError, match="not a BibTeX, RIS or CSL-JSON library"):
        read_library(tmp_path / "notes.txt")
    with pytest.raises(ConfigError, match="library file not found"):
        read_library(tmp_path / "missing.bib")


def test_file_fields_of_zotero_jabref_mendeley_and_better_bibtex():
    assert split_file_field("Full Text PDF:files/12/a b.pdf:application/pdf;Snapshot:files/13/x.html:text/html") == \
        ["files/12/a b.pdf"]
    assert split_file_field(":C\\:/Users/me/Paper.pdf:PDF") == ["C:/Users/me/Paper.pdf"]
    assert split_file_field(":C$\\backslash$:/Users/me/Paper.pdf:pdf") == ["C:/Users/me/Paper.pdf"]
    assert split_file_field("/home/me/Zotero/storage/AB12/one.pdf;/home/me/Zotero/storage/CD34/two.pdf") == \
        ["/home/me/Zotero/storage/AB12/one.pdf", "/home/me/Zotero/storage/CD34/two.pdf"]
    assert make_key(["National Institute for Health and Care Excellence"], "Obsessive-compulsive disorder", 2005) == \
        "national_institute_for_health_and_care_excellence_obsessive-compulsive_2005"
    assert make_key(["Wenzel, Amy"], "The Cognitive Therapy for Suicidal Patients", 2009) == "wenzel_cognitive_2009"


def test_a_locked_attachment_is_imported_with_a_notice_to_give_its_password(tmp_path, project, hard_dir):
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "locked.pdf").write_bytes((hard_dir / "pdfplumber_password_protected.pdf").read_bytes())
    library = folder / "lib.bib"
    library.write_text("@book{locked_2020, title = {Locked Guide}, year = {2020},"
                       " file = {Full Text:locked.pdf:application/pdf}}\n", encoding="utf-8")
    result = import_library(project, library)
    assert result.added == ["locked_2020"] and not result.errors
    (notice,) = result.notices
    assert "'locked_2020'" in notice and "needs a user password; add `password: ...` to its manifest entry" in notice
    (guide,) = load_manifest(project.manifest_path).guides
    assert guide.title == "Locked Guide" and guide.file == "locked_2020.pdf"


def test_a_guide_without_facts_gets_a_reference_that_says_where_they_go():
    from mapping_review.project.manifest import Guide
    from mapping_review.publish.summary import bibtex_entry, references

    bare = bibtex_entry(Guide(key="pfa"))
    assert bare == "@misc{pfa,\n  note = {no title, author or year in corpus/manifest.yaml}\n}\n"
    known = bibtex_entry(Guide(key="pfa", title="Psychological first aid", year=2011))
    assert "note" not in known and "title = {{Psychological first aid}}" in known and "year = {2011}" in known
    text, missing = references([Guide(key="pfa"), Guide(key="x", title="X")], "@misc{x,\n  title = {Mine}\n}\n")
    assert missing == ["pfa"] and "title = {Mine}" in text and "no title, author or year" in text


def test_corpus_add_warns_when_a_guide_has_no_title_or_year(tmp_path, project):
    from click.testing import CliRunner

    from mapping_review.cli import main

    pdf = make_pdf(tmp_path / "x.pdf", guide_pages(1, title=""))
    out = CliRunner().invoke(main, ["corpus", "add", str(pdf), "--key", "bare", "--title", "", "-p", str(project.root)])
    assert out.exit_code == 0, out.output
    flat = " ".join(out.output.split())
    assert "no year for bare" in flat or "no title or year for bare" in flat
    dated = make_pdf(tmp_path / "y.pdf", guide_pages(1, title="Dated"))
    out = CliRunner().invoke(main, ["corpus", "add", str(dated), "--key", "dated", "--title", "Dated", "--year", "2020",
                                    "-p", str(project.root)])
    assert out.exit_code == 0 and "Warning" not in out.output


@pytest.mark.parametrize(("title", "kept"), [
    ("Microsoft Word - Backup4all_network_backup_solution.doc", ""), ("guideline_final_v3.docx", ""),
    ("Psychological First Aid: Guide for Field Workers", "Psychological First Aid: Guide for Field Workers"),
])
def test_a_pdf_title_that_names_a_file_is_no_title(tmp_path, project, title, kept):
    import pikepdf

    pdf = make_pdf(tmp_path / "plain.pdf", guide_pages(1))
    with pikepdf.open(pdf) as doc:
        doc.docinfo["/Title"] = title
        doc.save(tmp_path / "titled.pdf")
    assert add_guide(project, tmp_path / "titled.pdf", key="titled").title == kept


def test_guides_missing_from_the_projects_bib_are_named_in_one_warning(review):
    (review.root / "references.bib").write_text("@misc{other,\n  title = {Other}\n}\n", encoding="utf-8")
    report = pipeline.build_project(review, nlp_name="blank", jobs=1)
    lines = [w for w in report.warnings if "references.bib: no entry for" in w]
    assert lines == [f"{review.root / 'references.bib'}: no entry for 'g1', 'g2'; made them from the manifest (add "
                     "entries to the .bib to cite them as you want)"]
