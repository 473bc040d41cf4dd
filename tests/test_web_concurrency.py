"""Several reviewers deciding at once through the real server, with a CLI import running meanwhile:
every decision is on disk, once, on a line of its own."""

import http.cookiejar
import json
import re
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner
from test_web import web_project  # noqa: F401  (the shared project fixture)
from werkzeug.serving import make_server

from mapping_review.cli import main
from mapping_review.review.decisions import read_decisions
from mapping_review.review.tables_io import read_table
from mapping_review.web.app import create_app

CLIENTS, DECISIONS = 4, 40


@pytest.fixture()
def server(web_project):  # noqa: F811
    httpd = make_server("127.0.0.1", 0, create_app(web_project), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


def session(base, name):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/login", timeout=30).read().decode()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"reviewer": name, "csrf": csrf}).encode()
    opener.open(urllib.request.Request(f"{base}/login", data=data), timeout=30).read()
    return opener, csrf


def decide_many(base, name, segments):
    opener, csrf = session(base, name)
    for i in range(DECISIONS):
        seg, code = segments[i % len(segments)]
        body = json.dumps({"guide": "tg1", "segment": seg, "code": code, "action": "accept" if i % 2 else "reject",
                           "note": f"{name} {i}"}).encode()
        request = urllib.request.Request(f"{base}/api/decide", data=body, method="POST",
                                         headers={"Content-Type": "application/json", "X-CSRF-Token": csrf})
        assert json.loads(opener.open(request, timeout=30).read())["ok"]


def test_concurrent_reviewers_and_cli_lose_nothing(server, web_project, tmp_path):  # noqa: F811
    opener, _ = session(server, "probe")
    page = opener.open(f"{server}/guide/tg1?page=1", timeout=30).read().decode()
    segments = re.findall(r'<li class="segment has-suggestions" id="([^"]+)".*?data-code="([^"]+)"', page, re.S)
    assert segments
    before = len(read_decisions(web_project.reviews_dir))
    assert CliRunner().invoke(main, ["sheet", "export", "-r", "dave", "-o", str(tmp_path / "dave.csv"),
                                     "-p", str(web_project.root)]).exit_code == 0
    assert len(read_table(tmp_path / "dave.csv")[1]) == 1  # one guide to import

    def cli_import():
        result = CliRunner().invoke(main, ["sheet", "import", str(tmp_path / "dave.csv"), "-r", "dave",
                                           "-p", str(web_project.root)])
        assert result.exit_code == 0, result.output

    with ThreadPoolExecutor(max_workers=CLIENTS + 1) as pool:
        futures = [pool.submit(decide_many, server, f"r{n}", segments) for n in range(CLIENTS)]
        futures.append(pool.submit(cli_import))
        for f in futures:
            f.result()
    decisions = read_decisions(web_project.reviews_dir)
    web = [d for d in decisions if d.origin == "web" and d.reviewer.startswith("r")]
    assert len(web) == CLIENTS * DECISIONS
    assert {(d.reviewer, d.note) for d in web} == {(f"r{n}", f"r{n} {i}") for n in range(CLIENTS) for i in range(DECISIONS)}
    assert len([d for d in decisions if d.reviewer == "dave"]) == 33
    assert len(decisions) == before + CLIENTS * DECISIONS + 33
    for path in web_project.reviews_dir.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            json.loads(line)  # no torn or interleaved line
