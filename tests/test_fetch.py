"""corpus fetch against a local HTTP server: PDFs are kept and pinned, anything else is refused."""

import hashlib
import http.server
import threading

import pytest
from click.testing import CliRunner
from pdfmaker import guide_pages, make_pdf

from mapping_review.cli import main
from mapping_review.project.fetch import fetch_corpus
from mapping_review.project.manifest import load_manifest


@pytest.fixture()
def server(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    make_pdf(site / "guide.pdf", guide_pages(2))
    (site / "landing.pdf").write_text("<!DOCTYPE html><html><body>Download here</body></html>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", site
    httpd.shutdown()
    httpd.server_close()


def test_fetch(project, server):
    base, site = server
    good_sha = hashlib.sha256((site / "guide.pdf").read_bytes()).hexdigest()
    text = project.manifest_path.read_text() + "".join([
        "  # fetched below\n",
        f"  - key: good\n    title: A guide\n    url: {base}/guide.pdf\n",
        f"  - key: pinned\n    url: {base}/guide.pdf\n    sha256: {good_sha}\n",
        f"  - key: wrong_hash\n    url: {base}/guide.pdf\n    sha256: '{'0' * 64}'\n",
        f"  - key: landing\n    url: {base}/landing.pdf\n",
        f"  - key: gone\n    url: {base}/missing.pdf\n",
        "  - key: book\n    title: A printed book\n",
    ])
    project.manifest_path.write_text(text)
    results = {r.key: r for r in fetch_corpus(project)}
    assert results["good"].status == "fetched" and results["pinned"].status == "fetched"
    assert results["book"].status == "skipped"
    assert results["wrong_hash"].status == "failed" and "the manifest records 000000000000" in results["wrong_hash"].message
    assert results["landing"].status == "failed" and "returned an HTML page" in results["landing"].message
    assert results["gone"].status == "failed" and "404" in results["gone"].message
    manifest = load_manifest(project.manifest_path)
    assert manifest.get("good").sha256 == good_sha and manifest.get("good").file == "good.pdf"
    assert (project.corpus_dir / "good.pdf").read_bytes() == (site / "guide.pdf").read_bytes()
    assert not (project.corpus_dir / "landing.pdf").exists() and not (project.corpus_dir / "wrong_hash.pdf").exists()
    assert not list(project.corpus_dir.glob("*.part*"))
    assert "  # fetched below\n" in project.manifest_path.read_text()
    assert {r.key: r.status for r in fetch_corpus(project, keys=["good"])} == {"good": "present"}
    out = CliRunner().invoke(main, ["corpus", "fetch", "landing", "-p", str(project.root)])
    assert out.exit_code == 1 and "Error: landing:" in out.output and "Traceback" not in out.output
    report_dir = project.root
    built = CliRunner().invoke(main, ["build", str(report_dir), "-q", "--nlp", "blank", "-j", "1"])
    assert "good" in built.output and "extracted" in built.output


def test_fetch_keeps_a_subfolder_of_file(project, server):
    base, _ = server
    project.manifest_path.write_text(project.manifest_path.read_text()
                                     + f"  - key: nested\n    url: {base}/guide.pdf\n    file: nice/nested.pdf\n")
    (result,) = fetch_corpus(project)
    assert result.status == "fetched", result.message
    assert load_manifest(project.manifest_path).get("nested").file == "nice/nested.pdf"
    assert (project.corpus_dir / "nice" / "nested.pdf").is_file()
