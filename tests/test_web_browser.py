"""End to end in a real headless Chromium (Debian's package, driven by Playwright): a reviewer codes
segments of a real shared guide, the decisions land in reviews/, and the build's tables show them."""

import csv
import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from pdfmaker import guide_pages, make_pdf
from werkzeug.serving import make_server

from mapping_review import pipeline
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import init_project
from mapping_review.web.app import create_app

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
GUIDE = "nice_ng54_mh_learning_disabilities"
SCREENSHOTS = os.environ.get("MAPPING_REVIEW_SCREENSHOTS")


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def served(tmp_path_factory, guides_dir):
    root = tmp_path_factory.mktemp("browser") / "review"
    project = init_project(root)
    add_guide(project, guides_dir / f"{GUIDE}.pdf", key=GUIDE, link=True)
    pages = guide_pages(2)
    pages[0].append((80, 520, 11, "<script>alert('pdf')</script> Build a trusting therapeutic relationship."))
    add_guide(project, make_pdf(root.parent / "hostile.pdf", pages), key="hostile")
    pipeline.build_project(project, nlp_name="blank", jobs=2)
    httpd = make_server("127.0.0.1", 0, create_app(project), threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield project, f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture()
def page(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        tab = context.new_page()
        dialogs = []
        tab.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        tab.dialogs = dialogs
        yield tab
        browser.close()


def shot(tab, tmp_path, name):
    path = tmp_path / f"{name}.png"
    tab.screenshot(path=str(path))
    if SCREENSHOTS:
        shutil.copyfile(path, Path(SCREENSHOTS) / f"{name}.png")
    return path


def test_reviewer_codes_a_real_guide_and_the_build_shows_it(served, page, tmp_path):
    project, base = served
    page.goto(base + "/")
    page.fill("#reviewer", "alice")
    page.click("#start")
    page.wait_for_selector("#guides")
    assert GUIDE in page.inner_text("#guides")
    assert shot(page, tmp_path, "dashboard").stat().st_size > 10_000
    page.click(f"a[href='/guide/{GUIDE}']")
    page.wait_for_selector(".page img")
    from collections import Counter

    from mapping_review.coding.stage import load_suggestions

    busiest = Counter(s.page for s in load_suggestions(project, [GUIDE])).most_common(1)[0][0]
    page.goto(f"{base}/guide/{GUIDE}?page={busiest}")
    page.wait_for_selector(".page img")
    assert page.evaluate("document.querySelector('.page img').naturalWidth") > 500  # the page was rendered
    assert page.locator(".page .box.hit").count() > 0  # evidence outlined on the page
    first = page.locator(".suggestion[data-code]").nth(0)
    accepted_code = first.get_attribute("data-code")
    first.locator("input.note").fill("clear guidance")
    first.locator("button.accept").click()
    page.wait_for_selector(".suggestion.accepted[data-code]")
    second = page.locator(".suggestion[data-code]").nth(1)
    rejected_code = second.get_attribute("data-code")
    second.focus()
    page.keyboard.press("r")
    page.wait_for_selector(".suggestion.rejected")
    segment = page.locator(".segment").nth(0)
    segment.locator("select.add-code").select_option("dont_stigmatize")
    segment.locator("button.add-button").click()
    page.wait_for_selector(".suggestion.added")
    assert shot(page, tmp_path, "guide-view").stat().st_size > 50_000
    lines = [json.loads(x) for x in (project.reviews_dir / "alice.jsonl").read_text().splitlines()]
    assert [(d["action"], d["code"]) for d in lines] == [("accept", accepted_code), ("reject", rejected_code),
                                                          ("add", "dont_stigmatize")]
    assert lines[0]["note"] == "clear guidance" and all(d["text_hash"] and d["origin"] == "web" for d in lines)
    pipeline.build_project(project, nlp_name="blank")
    rows = {(r["guide"], r["code"]): r for r in csv.DictReader((project.build_dir / "tables" / "guide_codes.csv").open())}
    for code in (accepted_code, "dont_stigmatize"):
        assert (rows[(GUIDE, code)]["present"], rows[(GUIDE, code)]["source"]) == ("1", "reviewer:alice")
    evidence = list(csv.DictReader((project.build_dir / "tables" / "evidence.csv").open()))
    assert any(e["source"] == "reviewer:alice" and e["code"] == "dont_stigmatize" for e in evidence)
    assert not page.dialogs


def test_hostile_text_renders_as_text_in_the_browser(served, page):
    _, base = served
    page.goto(base + "/login")
    page.fill("#reviewer", "bob")
    page.click("#start")
    page.goto(base + "/guide/hostile?page=1")
    page.wait_for_selector(".segments")
    assert "<script>alert('pdf')</script>" in page.inner_text(".segments")
    assert page.locator(".segments script").count() == 0
    assert not page.dialogs
