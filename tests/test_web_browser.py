"""End to end in a real headless Chromium (Debian's package, driven by Playwright): a reviewer codes
segments of a real shared guide, the decisions land in reviews/, and the build's tables show them."""

import csv
import json
import os
import re
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
    assert page.locator(".page .mark").count() > 0  # the suggested sentences marked on the page
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


def keyboard_login(page, base, name):
    """Sign in without the mouse: the name field has the focus; Enter starts."""
    page.goto(base + "/login")
    page.wait_for_selector("#reviewer:focus")  # typing before the field takes the focus loses letters
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    page.wait_for_selector("#guides")


def _lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _settled_lines(page, path, n, *, extra_ms=500):
    """The decisions in ``path`` once ``n`` have landed (the page saves in the background; up to 10 s), after
    ``extra_ms`` more for any that should not have been sent."""
    for _ in range(100):
        if len(_lines(path)) >= n:
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(extra_ms)
    return _lines(path)


def test_code_first_review_of_a_real_guide_with_the_keyboard_only(served, page, tmp_path):
    """carol answers codes and decides quotes without the mouse; her answers land in reviews/ and in the
    build; another reviewer's decision on the same quote is not shown to her."""
    from playwright.sync_api import expect

    from mapping_review.coding.stage import load_suggestions
    from mapping_review.review.decisions import Decision, append_decisions

    project, base = served
    first_code = "location/inpatient"
    theirs = max((s for s in load_suggestions(project, [GUIDE]) if s.code == first_code), key=lambda s: s.rank)
    append_decisions(project.reviews_dir, [Decision(reviewer="dave", time="2026-01-01T00:00:00Z", level="segment",
                                                    guide=GUIDE, code=first_code, value=True, action="accept",
                                                    segment=theirs.segment)])
    keyboard_login(page, base, "carol")
    page.goto(f"{base}/review/{GUIDE}")
    page.wait_for_selector(".code-card:focus")
    cards = page.locator(".code-card")
    codes = [cards.nth(i).get_attribute("data-code") for i in range(3)]
    assert codes[0] == first_code and page.evaluate("document.activeElement.dataset.code") == first_code
    dave = page.locator(f".code-card[data-code='{first_code}'] .quote[data-segment='{theirs.segment}']")
    assert dave.get_attribute("class").split()[-1] == "undecided"  # blind: dave's accept is not shown
    assert shot(page, tmp_path, "code-first").stat().st_size > 50_000
    page.keyboard.press("j")  # the first quote of the first code
    quote = page.evaluate("document.activeElement.dataset.segment")
    page.keyboard.press("a")
    page.wait_for_selector(f".code-card[data-code='{first_code}'] .quote.accepted")
    page.keyboard.press("y")  # present, and on to the next undecided code
    expect(cards.nth(1)).to_be_focused()
    page.keyboard.press("n")  # absent
    expect(cards.nth(2)).to_be_focused()
    third_quotes = page.locator(f".code-card[data-code='{codes[2]}'] .quote").count()
    if third_quotes:
        page.keyboard.press("j")
        rejected = page.evaluate("document.activeElement.dataset.segment")
        page.keyboard.press("r")
        page.wait_for_selector(f".code-card[data-code='{codes[2]}'] .quote.rejected")
    page.keyboard.press("u")  # undecided: nothing recorded, on to the next code
    expect(cards.nth(3)).to_be_focused()
    assert page.inner_text("#progress strong") == "2"
    expected = [("segment", first_code, "accept", True), ("guide", first_code, "set", True),
                ("guide", codes[1], "set", False)]
    if third_quotes:
        expected.append(("segment", codes[2], "reject", False))
    lines = _settled_lines(page, project.reviews_dir / "carol.jsonl", len(expected))
    got = [(d["level"], d["code"], d.get("action"), d["value"]) for d in lines]
    assert got == expected
    assert lines[0]["segment"] == quote and all(d["origin"] == "web:code-first" for d in lines)
    page.keyboard.press("N")  # the next guide with undecided codes
    page.wait_for_url(f"{base}/review/hostile**")
    # the page view of the accepted quote: the sentence and its words marked where they are drawn
    seg = quote
    page.goto(f"{base}/guide/{GUIDE}?seg={seg}&code={first_code}")
    page.wait_for_selector(".page img")
    assert page.locator(f".page .mark.accepted[data-segment='{seg}']").count() >= 1
    assert page.locator(f".page .word[data-segment='{seg}']").count() >= 1
    assert shot(page, tmp_path, "page-view").stat().st_size > 50_000
    pipeline.build_project(project, nlp_name="blank")
    rows = {(r["guide"], r["code"]): r for r in csv.DictReader((project.build_dir / "tables" / "guide_codes.csv").open())}
    assert (rows[(GUIDE, codes[1])]["present"], rows[(GUIDE, codes[1])]["source"]) == ("0", "reviewer:carol")
    assert rows[(GUIDE, first_code)]["present"] == "1" and "carol" in rows[(GUIDE, first_code)]["source"]
    evidence = list(csv.DictReader((project.build_dir / "tables" / "evidence.csv").open()))
    assert any(e["segment_id"] == quote and e["code"] == first_code and "carol=accepted" in e["decisions"]
               for e in evidence)
    if third_quotes:
        assert any(e["segment_id"] == rejected and "carol=rejected" in e["decisions"] for e in evidence)
    assert not page.dialogs


def test_queue_learns_from_keyboard_decisions(served, page):
    from playwright.sync_api import expect

    project, base = served
    keyboard_login(page, base, "erin")
    page.goto(base + "/queue?strategy=relevance")
    page.wait_for_selector("ol.queue .quote:focus")
    first = page.evaluate("[document.activeElement.dataset.segment, document.activeElement.dataset.code]")
    page.keyboard.press("r")
    expect(page.locator("#queue-status .decided")).to_have_text("1")
    shown = page.evaluate("Array.from(document.querySelectorAll('ol.queue .quote'))"
                          ".map(q => [q.dataset.segment, q.dataset.code])")
    assert first not in shown and len(shown) == 20  # decided items leave the queue; it is re-ranked
    line = _lines(project.reviews_dir / "erin.jsonl")[-1]
    assert (line["segment"], line["code"], line["action"], line["origin"]) == (*first, "reject", "web:queue")
    assert not page.dialogs


def test_focus_moves_on_after_a_decision_and_the_sheet_confirms_its_save(served, page):
    from playwright.sync_api import expect

    _, base = served
    keyboard_login(page, base, "frank")
    page.goto(f"{base}/guide/{GUIDE}?page=14")
    boxes = page.locator(".suggestion[data-code]")
    assert boxes.count() >= 2
    page.keyboard.press("j")
    expect(boxes.nth(0)).to_be_focused()
    page.keyboard.press("a")
    expect(boxes.nth(0)).to_have_class(re.compile(r"\baccepted\b"))
    expect(boxes.nth(1)).to_be_focused()  # on to the next undecided suggestion
    page.goto(base + "/sheet")
    row = page.locator(f"#row-{GUIDE}")
    row.locator("fieldset[data-code='dont_stigmatize'] input[value='yes']").check()
    save = row.locator("td.save button")
    assert save.is_visible()
    box = save.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1400  # the Save button is inside the window
    save.press("Enter")
    expect(page.locator(f"#row-{GUIDE} .saved-mark")).to_have_text(re.compile("Saved"))
    assert not page.dialogs


def test_an_answer_key_with_no_code_in_focus_answers_nothing(served, page):
    """A click beside the cards leaves no code in focus; y/n/u must not then answer (or change) the first code."""
    from playwright.sync_api import expect

    project, base = served
    keyboard_login(page, base, "uma")
    page.goto(f"{base}/review/{GUIDE}")
    page.wait_for_selector(".code-card:focus")
    page.keyboard.press("y")  # the first code, in focus: present
    cards = page.locator(".code-card")
    expect(cards.nth(1)).to_be_focused()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("n")
    page.keyboard.press("J")  # moving on still starts from the first code
    expect(cards.nth(1)).to_be_focused()
    got = [(d["code"], d["value"]) for d in _settled_lines(page, project.reviews_dir / "uma.jsonl", 1)]
    assert got == [(cards.nth(0).get_attribute("data-code"), True)]
    assert not page.dialogs
