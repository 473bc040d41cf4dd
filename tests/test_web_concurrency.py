"""Several reviewers at once through the real server (waitress, as `serve` runs it): deciding while a
CLI import runs, and browsing page images of a real guide while PDFium draws them - every decision is
on disk, once, on a line of its own, and every page arrives."""

import http.cookiejar
import json
import re
import shutil
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner
from test_web import web_project  # noqa: F401  (the shared project fixture)
from waitress.server import create_server

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import init_project
from mapping_review.review.decisions import read_decisions
from mapping_review.review.tables_io import read_table, write_table
from mapping_review.web.app import create_app
from mapping_review.web.store import Store

CLIENTS, DECISIONS = 4, 40


class Serving:
    """A real server on a thread of this process; :meth:`close` stops it and every thread it started, so that
    a later test finds the main thread alone again (a build forks only then)."""

    def __init__(self, server):
        self.server = server
        self.thread = threading.Thread(target=server.run, daemon=True)
        self.thread.start()

    def close(self):
        def stop():  # in the server's own loop, so that no socket is closed under a select() call
            for channel in list(self.server._map.values()):
                channel.close()

        self.server.trigger.pull_trigger(stop)
        self.thread.join(timeout=10)  # the loop ends once its map is empty
        self.server.task_dispatcher.shutdown()
        assert not self.thread.is_alive()


def serving(project, threads=8):
    server = create_server(create_app(project), host="127.0.0.1", port=0, threads=threads)
    return Serving(server), f"http://127.0.0.1:{server.effective_port}"


@pytest.fixture()
def server(web_project):  # noqa: F811
    httpd, base = serving(web_project)
    yield base
    httpd.close()


def session(base, name):
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/login", timeout=30).read().decode()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"reviewer": name, "csrf": csrf}).encode()
    page = opener.open(urllib.request.Request(f"{base}/login", data=data), timeout=30).read().decode()
    return opener, re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # signing in makes a new one


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
    header, rows = read_table(tmp_path / "dave.csv")
    assert len(rows) == 1  # one guide to import
    for i, name in enumerate(header):
        if i and not name.endswith("[machine]") and name not in ("exported", "reviewer"):
            rows[0][i] = "No"  # dave answers every feature: 33 decisions
    write_table(tmp_path / "dave.csv", header, rows)

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


READERS, PAGES_EACH = 12, 8


@pytest.fixture(scope="module")
def real_guide(tmp_path_factory, guides_dir):
    project = init_project(tmp_path_factory.mktemp("pages") / "review")
    add_guide(project, guides_dir / "who_pfa_field_workers.pdf", key="pfa", link=True)
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    return project


@pytest.mark.corpus
def test_many_reviewers_browsing_pages_all_get_them(real_guide):
    """PDFium is not thread-safe: page images are drawn one at a time, and every request succeeds."""
    shutil.rmtree(real_guide.cache_dir / "pages", ignore_errors=True)
    httpd, base = serving(real_guide, threads=READERS)
    try:
        def browse(n):
            opener, _ = session(base, f"reader{n}")
            got = []
            for i in range(PAGES_EACH):
                page = 1 + (n * 3 + i * 7) % 60
                with opener.open(f"{base}/page/pfa/{page}.png", timeout=60) as response:
                    got.append((response.status, response.read(8)))
            return got

        with ThreadPoolExecutor(max_workers=READERS) as pool:
            results = [r for rs in pool.map(browse, range(READERS)) for r in rs]
    finally:
        httpd.close()
    assert len(results) == READERS * PAGES_EACH
    assert all(status == 200 and head == b"\x89PNG\r\n\x1a\n" for status, head in results)


def test_a_foreign_host_name_is_refused_by_the_real_server(web_project):  # noqa: F811
    httpd, base = serving(web_project)
    try:
        request = urllib.request.Request(f"{base}/login", headers={"Host": "attacker.example:8765"})
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(request, timeout=30)
        assert e.value.code == 403
        assert urllib.request.urlopen(f"{base}/login", timeout=30).status == 200
    finally:
        httpd.close()


@pytest.mark.corpus
def test_pdfium_is_used_from_one_thread_at_a_time(real_guide, monkeypatch):
    """Every document PDFium opens for a page image is closed before the next one opens, however many
    requests draw pages at once (a widened window makes an unlocked overlap certain)."""
    import time

    import pypdfium2

    active, peak, guard = [0], [0], threading.Lock()
    real = pypdfium2.PdfDocument

    class Watched(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            with guard:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.01)
            super().__init__(*args, **kwargs)

        def close(self):
            super().close()
            with guard:
                active[0] -= 1

    monkeypatch.setattr(pypdfium2, "PdfDocument", Watched)
    shutil.rmtree(real_guide.cache_dir / "pages", ignore_errors=True)
    store = Store(real_guide)
    with ThreadPoolExecutor(max_workers=8) as pool:
        images = list(pool.map(lambda n: store.page_png("pfa", n), range(1, 25)))
    assert all(image.startswith(b"\x89PNG") for image in images)
    assert peak[0] == 1


def test_serve_runs_on_a_production_server(web_project):  # noqa: F811
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "mapping_review", "serve", "-p", str(web_project.root),
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(100):
            try:
                response = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the workbench did not start")
        assert response.status == 200 and response.headers["Server"] == "mapping-review"
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "development server" not in output and "Reviewer workbench on http://127.0.0.1" in output


def test_a_reviewers_learning_queue_is_taught_under_that_reviewers_lock(web_project, monkeypatch):  # noqa: F811
    """Teaching a queue changes it in place: two requests of one reviewer must not do it at once."""
    from mapping_review.web import store as store_module

    store = Store(web_project)
    held = []

    def watched(real):
        def call(*args, **kwargs):
            held.append(store._queue_locks["alice"].locked())
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(store_module, "build_queue", watched(store_module.build_queue))
    monkeypatch.setattr(store_module, "refresh", watched(store_module.refresh))
    state = store.state()
    store.queue("alice", state)  # built
    store.queue("alice", state)  # taught what is new
    assert held == [True, True]
    assert not store._queue_locks["alice"].locked()


def test_each_reviewer_has_a_learning_queue_of_their_own(web_project):  # noqa: F811
    """One reviewer's requests never teach (or read while it is taught) the queue another reviewer is shown."""
    store = Store(web_project)
    state = store.state()
    alices = store.queue("nora", state)
    bobs = store.queue("olaf", state)
    assert alices is not bobs
    assert store.queue("nora", state) is alices and store.queue("olaf", state) is bobs
