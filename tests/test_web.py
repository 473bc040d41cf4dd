"""The workbench through Flask's test client: decisions land in reviews/ as the CLI writes them,
and hostile text, missing CSRF tokens, foreign addresses and odd paths are refused."""

import json
import os
import re
import shutil
import threading

import pytest
from locks import count_flocks, folder_held, note_lock_when_called
from pdfmaker import guide_pages, make_pdf

from mapping_review import pipeline
from mapping_review.errors import MappingReviewError
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import Project
from mapping_review.project.manifest import load_manifest
from mapping_review.review.decisions import CONSENSUS, Decision, append_decisions, read_decisions
from mapping_review.web import store as store_module
from mapping_review.web.app import check_binding, create_app
from mapping_review.web.security import host_name, is_loopback, same_secret
from mapping_review.web.store import Store

HOSTILE = '<script>alert("x")</script> Build a trusting therapeutic relationship <img src=x onerror=alert(1)>.'


@pytest.fixture(scope="module")
def web_project(tmp_path_factory):
    from mapping_review.project.layout import init_project

    root = tmp_path_factory.mktemp("web") / "review"
    project = init_project(root)
    pages = guide_pages(3)
    pages[0].append((80, 520, 11, HOSTILE))
    pdf = make_pdf(root.parent / "guide.pdf", pages)
    add_guide(project, pdf, key="tg1", title="<b>Test</b> guide")
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    return project


def login(client, name="alice"):
    """Sign in as ``name``; the CSRF token of the pages they see then (signing in makes a new one)."""
    page = client.get("/login")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"reviewer": name, "csrf": csrf}).status_code == 302
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").text).group(1)


@pytest.fixture()
def client(web_project):
    app = create_app(web_project)
    return app.test_client()


def first_suggestion(client, key="tg1"):
    page = client.get(f"/guide/{key}?page=1").text
    seg = re.search(r'<li class="segment has-suggestions" id="([^"]+)"', page).group(1)
    code = re.search(r'id="' + re.escape(seg) + r'".*?data-code="([^"]+)"', page, re.S).group(1)
    return seg, code


def test_pages_need_a_reviewer_and_render(client):
    assert client.get("/").status_code == 302
    login(client)
    for path in ("/", "/guide/tg1", "/sheet", "/codebook", "/disagreements", "/guide/tg1?q=treatment"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    png = client.get("/page/tg1/1.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")


def test_hostile_pdf_text_is_shown_as_text(client):
    login(client)
    page = client.get("/guide/tg1?page=1").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;b&gt;Test&lt;/b&gt; guide" in client.get("/").text


def test_a_decision_is_written_at_once_in_the_cli_format(client, web_project):
    csrf = login(client)
    seg, code = first_suggestion(client)
    before = len(read_decisions(web_project.reviews_dir))
    ok = client.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code, "action": "reject",
                                          "note": "not about care"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and ok.json["status"] == "rejected"
    decisions = read_decisions(web_project.reviews_dir)
    assert len(decisions) == before + 1
    d = decisions[-1]
    assert (d.reviewer, d.level, d.guide, d.segment, d.code, d.value, d.action, d.note, d.origin) == \
        ("alice", "segment", "tg1", seg, code, False, "reject", "not about care", "web")
    line = (web_project.reviews_dir / "alice.jsonl").read_text().splitlines()[-1]
    assert set(json.loads(line)) >= {"reviewer", "time", "text_hash", "segment", "code", "value"}
    assert "rejected" in client.get(f"/guide/tg1?page=1&code={code}&status=rejected").text


def test_adding_a_code_to_a_selected_span(client, web_project):
    csrf = login(client, "bob")
    seg, _ = first_suggestion(client)
    ok = client.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": "dont_stigmatize", "action": "add",
                                          "start": 0, "end": 5}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    d = read_decisions(web_project.reviews_dir)[-1]
    assert (d.action, d.start, d.end, d.reviewer) == ("add", 0, 5, "bob")
    bad = client.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": "dont_stigmatize",
                                           "action": "add", "start": 3, "end": 99999}, headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 400


def test_forms_and_api_need_the_csrf_token(client, web_project):
    login(client)
    seg, code = first_suggestion(client)
    before = len(read_decisions(web_project.reviews_dir))
    body = {"guide": "tg1", "segment": seg, "code": code, "action": "accept"}
    assert client.post("/api/decide", json=body).status_code == 400
    assert client.post("/api/decide", json=body, headers={"X-CSRF-Token": "forged"}).status_code == 400
    assert client.post("/sheet/tg1", data={"code": "dont_stigmatize"}).status_code == 400
    assert client.post("/api/adjudicate", json={"guide": "tg1", "code": "dont_stigmatize", "value": True}).status_code == 400
    assert len(read_decisions(web_project.reviews_dir)) == before


def test_bad_values_are_refused(client):
    csrf = login(client)
    headers = {"X-CSRF-Token": csrf}
    seg, code = first_suggestion(client)
    assert client.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": "no_such", "action": "accept"},
                       headers=headers).status_code == 400
    assert client.post("/api/decide", json={"guide": "tg1", "segment": "nope", "code": code, "action": "accept"},
                       headers=headers).status_code == 404
    outside = client.post("/api/decide", json={"guide": "../../etc", "segment": seg, "code": code, "action": "accept"},
                          headers=headers)
    assert outside.status_code == 404 and "no guide" in outside.json["error"]
    assert client.get("/guide/tg1?code=bogus").status_code == 400


@pytest.mark.parametrize("path", ["/page/..%2F..%2Fetc%2Fpasswd/1.png", "/page/tg1/0.png", "/page/tg1/99.png",
                                  "/static/../../pyproject.toml", "/static/%2e%2e/%2e%2e/pyproject.toml",
                                  "/guide/..%2Fcorpus", "/reviews/alice.jsonl", "/corpus/tg1.pdf", "/build/run.json"])
def test_nothing_outside_the_app_is_served(client, path):
    login(client)
    response = client.get(path)
    assert response.status_code in (400, 404), path
    assert b"guides:" not in response.data and b"%PDF" not in response.data


def test_the_web_sheet_is_blind_and_records_only_what_was_answered(web_project):
    app = create_app(web_project)
    carol, dave = app.test_client(), app.test_client()
    csrf = login(carol, "carol")
    assert carol.post("/sheet/tg1", data={"answer:dont_stigmatize": "yes", "answer:therapeutic_alliance": "no",
                                          "answer:redirect_client": "", "csrf": csrf}).status_code == 302
    mine = {d.code: d.value for d in read_decisions(web_project.reviews_dir) if d.reviewer == "carol"}
    assert mine == {"dont_stigmatize": True, "therapeutic_alliance": False}  # undecided is not No
    # saving the same answers again records nothing
    n = len(read_decisions(web_project.reviews_dir))
    carol.post("/sheet/tg1", data={"answer:dont_stigmatize": "yes", "csrf": csrf})
    assert len(read_decisions(web_project.reviews_dir)) == n
    assert carol.post("/sheet/tg1", data={"answer:dont_stigmatize": "maybe", "csrf": csrf}).status_code == 400
    # dave's sheet shows none of carol's answers: every radio button of his stands on undecided
    login(dave, "dave")
    page = dave.get("/sheet").text
    checked = re.findall(r'name="answer:([^"]+)" value="(yes|no|)" checked', page)
    assert checked and {v for _, v in checked} == {""}, "dave sees an answer that is not his"


def erin_and_frank_disagree(app):
    """Three browsers of ``app``: erin's and frank's, who answer dont_enable_mania on tg1 differently, and gina's."""
    erin, frank, gina = app.test_client(), app.test_client(), app.test_client()
    for client_, name, answer in ((erin, "erin", "yes"), (frank, "frank", "no")):
        csrf = login(client_, name)
        client_.post("/sheet/tg1", data={"answer:dont_enable_mania": answer, "csrf": csrf})
    return erin, frank, gina


def test_only_a_non_party_settles_a_disagreement_and_is_named(web_project):
    erin, _, gina = erin_and_frank_disagree(create_app(web_project))
    # a party may not settle (review.yaml allows nobody who answered), and does not even see it listed
    csrf = login(erin, "erin")
    refused = erin.post("/api/adjudicate", json={"guide": "tg1", "code": "dont_enable_mania", "value": True},
                        headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403 and "answered this item" in refused.json["error"]
    assert 'data-code="dont_enable_mania"' not in erin.get("/disagreements").text
    csrf = login(gina, "gina")
    assert 'data-code="dont_enable_mania"' in gina.get("/disagreements").text
    bad = gina.post("/api/adjudicate", json={"guide": "tg1", "code": "dont_enable_mania", "value": "false"},
                    headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 400 and "true or false" in bad.json["error"]  # "false" is not taken for True
    ok = gina.post("/api/adjudicate", json={"guide": "tg1", "code": "dont_enable_mania", "value": False,
                                            "note": "passing mention"}, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200
    d = [d for d in read_decisions(web_project.reviews_dir) if d.reviewer == "consensus"][-1]
    assert (d.code, d.value, d.note, d.origin, d.settled_by) == (
        "dont_enable_mania", False, "passing mention", "web:adjudication", "gina")
    assert 'data-code="dont_enable_mania"' not in gina.get("/disagreements").text  # settled


def test_names_and_addresses(client, web_project):
    page = client.get("/login")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    assert "Use letters" in client.post("/login", data={"reviewer": "../x", "csrf": csrf}).text
    assert "Use letters" in client.post("/login", data={"reviewer": "consensus", "csrf": csrf}).text
    check_binding("127.0.0.1", None)
    check_binding("localhost", None)
    with pytest.raises(MappingReviewError, match="access token"):
        check_binding("0.0.0.0", None)
    check_binding("0.0.0.0", "s3cret")
    guarded = create_app(web_project, token="s3cret").test_client()
    assert guarded.get("/login").status_code == 403
    assert guarded.get("/login?token=wrong").status_code == 403
    assert guarded.get("/login?token=s3cret").status_code == 200
    assert guarded.get("/login").status_code == 200  # remembered in the session


def session_data(client):
    """What the browser's session cookie holds (Flask signs it; it does not hide it)."""
    import base64
    import zlib

    cookie = client.get_cookie("session")
    assert cookie is not None
    payload = cookie.value.split(".")[1 if cookie.value.startswith(".") else 0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(raw) if cookie.value.startswith(".") else raw).decode()


def test_the_token_is_never_kept_in_the_cookie(web_project):
    guarded = create_app(web_project, token="s3cret-token").test_client()
    assert guarded.get("/login?token=s3cret-token").status_code == 200
    assert "s3cret-token" not in session_data(guarded)
    assert guarded.get("/login").status_code == 200  # the session proves the token without holding it
    other = create_app(web_project, token="other-token").test_client()
    other.set_cookie("session", guarded.get_cookie("session").value)
    assert other.get("/login").status_code == 403  # a session made for another token is not enough


def test_non_ascii_tokens_and_csrf_values_are_refused_not_crashed(web_project, client):
    guarded = create_app(web_project, token="s3cret").test_client()
    assert guarded.get("/login?token=s%C3%A9cret").status_code == 403
    assert guarded.get("/login", headers={"X-Access-Token": "s\u00e9cret".encode().decode("latin-1")}).status_code == 403
    login(client)
    seg, code = first_suggestion(client)
    body = {"guide": "tg1", "segment": seg, "code": code, "action": "accept"}
    assert client.post("/api/decide", json=body, headers={"X-CSRF-Token": "\u00e9t\u00e9"}).status_code == 400


@pytest.mark.parametrize("change", [{"start": "3", "end": 9}, {"start": True, "end": 4}, {"start": 2.5, "end": 4},
                                    {"note": ["a list"]}, {"guide": 7}, {"action": None}])
def test_bad_request_fields_are_400_not_500(client, change):
    csrf = login(client)
    seg, code = first_suggestion(client)
    body = {"guide": "tg1", "segment": seg, "code": code, "action": "add", **change}
    response = client.post("/api/decide", json=body, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 400 and "error" in response.json
    assert client.post("/api/decide", data="[1, 2]", content_type="application/json",
                       headers={"X-CSRF-Token": csrf}).status_code == 400


def test_framing_and_cookie_settings(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "SameSite=Strict" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("target", ["//evil.example/x", "///evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\x7f/x"])
def test_login_never_redirects_off_the_site(client, target):
    page = client.get("/login")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    response = client.post("/login", query_string={"next": target}, data={"reviewer": "alice", "csrf": csrf})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_login_returns_to_the_page_asked_for(client):
    page = client.get("/login")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    response = client.post("/login", query_string={"next": "/sheet"}, data={"reviewer": "alice", "csrf": csrf})
    assert response.headers["Location"] == "/sheet"


def test_only_the_bound_host_names_are_answered(web_project):
    local = create_app(web_project).test_client()
    assert local.get("/login", headers={"Host": "127.0.0.1:8765"}).status_code == 200
    assert local.get("/login", headers={"Host": "localhost"}).status_code == 200
    assert local.get("/login", headers={"Host": "[::1]:8765"}).status_code == 200
    assert local.get("/login", headers={"Host": "rebind.attacker.example:8765"}).status_code == 403
    lan = create_app(web_project, token="t", host="0.0.0.0", allow_hosts=["review.lab"]).test_client()
    assert lan.get("/login?token=t", headers={"Host": "review.lab:8765"}).status_code == 200
    assert lan.get("/login?token=t", headers={"Host": "localhost:8765"}).status_code == 403


def test_a_segment_disagreement_is_settled_in_the_web(web_project):
    app = create_app(web_project)
    hana, ivan, june = app.test_client(), app.test_client(), app.test_client()
    csrf = login(hana, "hana")
    seg, code = first_suggestion(hana)
    for client_, name, action in ((hana, "hana", "accept"), (ivan, "ivan", "reject")):
        token = login(client_, name)
        assert client_.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code, "action": action},
                            headers={"X-CSRF-Token": token}).status_code == 200
    csrf = login(hana, "hana")
    refused = hana.post("/api/adjudicate", json={"guide": "tg1", "code": code, "segment": seg, "value": True},
                        headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 403
    csrf = login(june, "june")
    assert f'data-segment="{seg}"' in june.get("/disagreements").text
    ok = june.post("/api/adjudicate", json={"guide": "tg1", "code": code, "segment": seg, "value": False},
                   headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.json
    d = [d for d in read_decisions(web_project.reviews_dir) if d.reviewer == "consensus"][-1]
    assert (d.level, d.segment, d.code, d.value, d.action, d.settled_by) == ("segment", seg, code, False, "reject",
                                                                           "june")
    assert f'data-segment="{seg}"' not in june.get("/disagreements").text


def test_agreement_figures_are_for_named_adjudicators_only(web_project):
    app = create_app(web_project)
    kim, lee = app.test_client(), app.test_client()
    for client_, name, answer in ((kim, "kim", "yes"), (lee, "lee", "no")):
        csrf = login(client_, name)
        client_.post("/sheet/tg1", data={"answer:redirect_client": answer, "csrf": csrf})
    assert "Krippendorff" not in kim.get("/").text  # a coder could probe the others' answers with it
    settings = web_project.root / "review.yaml"
    settings.write_text("review:\n  adjudicators: [mia]\n")
    try:
        mia = app.test_client()
        login(mia, "mia")
        assert "Krippendorff" in mia.get("/").text
        assert "Krippendorff" not in kim.get("/").text
    finally:
        settings.unlink()


# -- what an adversarial reading found ---------------------------------------------------------------

def _shown(page, guide, code):
    """The answer the sheet page showed for one cell, as its form sends it back."""
    row = page[page.index(f'id="row-{guide}"'):]
    return re.search(r'name="shown:' + re.escape(code) + r'" value="(yes|no|)"', row).group(1)


def test_a_stale_sheet_row_never_undoes_an_answer_given_since_in_another_tab(web_project):
    app = create_app(web_project)
    tab1, tab2 = app.test_client(), app.test_client()
    csrf, csrf2 = login(tab1, "otto"), login(tab2, "otto")
    code = "dont_collude_with_delusions"

    def latest():
        return [x.value for x in read_decisions(web_project.reviews_dir) if x.reviewer == "otto" and x.code == code]

    shown = _shown(tab1.get("/sheet").text, "tg1", code)
    assert shown == ""
    assert tab2.post("/api/answer", json={"guide": "tg1", "code": code, "answer": "present"},
                     headers={"X-CSRF-Token": csrf2}).status_code == 200
    # the first tab still shows the cell undecided; answering No there must not silently overwrite the Yes
    stale = tab1.post("/sheet/tg1", data={f"answer:{code}": "no", f"shown:{code}": shown, "csrf": csrf})
    assert stale.status_code == 409 and code in stale.text
    assert latest() == [True]
    # a page that shows Yes, saved untouched after the answer became No elsewhere, records nothing
    page = tab1.get("/sheet").text
    assert _shown(page, "tg1", code) == "yes"
    tab2.post("/api/answer", json={"guide": "tg1", "code": code, "answer": "absent"}, headers={"X-CSRF-Token": csrf2})
    assert tab1.post("/sheet/tg1", data={f"answer:{code}": "yes", f"shown:{code}": "yes", "csrf": csrf}
                     ).status_code == 302
    assert latest() == [True, False]
    # a change made on a page that is up to date is recorded
    assert tab1.post("/sheet/tg1", data={f"answer:{code}": "yes", f"shown:{code}": "no", "csrf": csrf}
                     ).status_code == 302
    assert latest() == [True, False, True]


def test_a_refused_settlement_tells_a_coder_nothing_of_the_others_answers(web_project):
    app = create_app(web_project)
    pat, quinn = app.test_client(), app.test_client()
    for client_, name, answers in ((pat, "pat", ("yes", "yes")), (quinn, "quinn", ("no", "yes"))):
        csrf = login(client_, name)
        client_.post("/sheet/tg1", data={"answer:location/inpatient": answers[0],
                                         "answer:location/outpatient": answers[1], "csrf": csrf})
    csrf = login(pat, "pat")
    replies = [pat.post("/api/adjudicate", json={"guide": "tg1", "code": code, "value": True},
                        headers={"X-CSRF-Token": csrf}) for code in ("location/inpatient", "location/outpatient")]
    assert [r.status_code for r in replies] == [403, 403]
    assert replies[0].json == replies[1].json


def test_a_name_that_is_another_reviewers_in_other_case_is_refused_at_sign_in(client, web_project):
    login(client, "rosa")
    csrf = login(client, "rosa")
    seg, code = first_suggestion(client)
    assert client.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code, "action": "accept"},
                       headers={"X-CSRF-Token": csrf}).status_code == 200
    for name in ("Rosa", "Consensus"):
        page = client.post("/login", data={"reviewer": name, "csrf": csrf})
        assert page.status_code == 200 and ("letter case" in page.text or "Use letters" in page.text), name
    assert not (web_project.reviews_dir / "Rosa.jsonl").exists()


def test_a_reviewers_pages_are_never_cached_for_the_next_one(client):
    """The workbench has a Switch button: after it, the browser's Back must not show the last reviewer's answers."""
    csrf = login(client)
    for path in ("/", "/sheet", "/review/tg1", "/queue", "/api/queue", "/guide/tg1", "/disagreements"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    assert client.post("/api/answer", json={"guide": "tg1", "code": "dont_stigmatize", "answer": "undecided"},
                       headers={"X-CSRF-Token": csrf}).headers.get("Cache-Control") == "no-store"
    assert client.get("/page/tg1/1.png").headers["Cache-Control"] == "private, max-age=3600"  # the PDF's page only


def test_a_page_left_open_by_the_last_reviewer_records_nothing_for_the_next(web_project):
    """alice's tab stays open; at the same browser bob signs in with Switch. A click in alice's tab must
    not be recorded as bob's decision (nor as alice's: she is no longer signed in there)."""
    browser = create_app(web_project).test_client()
    alices_page = login(browser, "vera")
    seg, code = first_suggestion(browser)
    assert browser.post("/logout", data={"csrf": alices_page}).status_code == 302
    bobs_page = login(browser, "walt")
    before = len(read_decisions(web_project.reviews_dir))
    stale = browser.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code, "action": "accept"},
                         headers={"X-CSRF-Token": alices_page})
    assert stale.status_code == 400
    assert browser.post("/sheet/tg1", data={"answer:dont_stigmatize": "yes", "csrf": alices_page}).status_code == 400
    assert len(read_decisions(web_project.reviews_dir)) == before
    assert browser.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code, "action": "accept"},
                        headers={"X-CSRF-Token": bobs_page}).status_code == 200
    assert [x.reviewer for x in read_decisions(web_project.reviews_dir)][before:] == ["walt"]


# -- the store: what every page reads, fresh from the project's files -------------------------------

@pytest.fixture()
def own_project(web_project, tmp_path):
    """A copy of the shared project without its decisions, for a test that changes the project's files."""
    root = tmp_path / "review"
    shutil.copytree(web_project.root, root, ignore=shutil.ignore_patterns("reviews"))
    return Project(root)


def _touch_later(path):
    """Give ``path`` a newer modification time than it has (a rebuild may finish within one clock tick)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_the_store_sees_a_new_build_of_the_machine_outputs(own_project):
    store = Store(own_project)
    assert store.state().unread == frozenset() and store.state().suggestions
    (own_project.build_dir / "codings" / "tg1.jsonl").unlink()  # as a rebuild without the guide's PDF leaves it
    assert store.state().unread == {"tg1"} and not store.state().suggestions


def test_the_store_sees_a_guide_segmented_again(own_project):
    store = Store(own_project)
    path = own_project.segments_dir / "tg1.jsonl"
    first = store.guide("tg1").segments
    assert len(first) > 1
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:1]))
    _touch_later(path)
    assert [s.id for s in store.guide("tg1").segments] == [first[0].id]


def test_decisions_on_a_guide_or_code_the_project_no_longer_has_stay_out_of_the_review(own_project):
    def decision(guide, code):
        return Decision(reviewer="alice", time="2026-01-01T00:00:00Z", level="guide", guide=guide, code=code, value=True)

    append_decisions(own_project.reviews_dir, [decision("tg1", "dont_stigmatize"), decision("gone", "dont_stigmatize"),
                                               decision("tg1", "no_such_code")])
    decisions = Store(own_project).state().decisions
    assert [(d.guide, d.code) for d in decisions] == [("tg1", "dont_stigmatize")]
    assert len(read_decisions(own_project.reviews_dir)) == 3  # kept on disk


def test_a_damaged_line_in_a_reviewers_file_is_reported_by_the_store(own_project):
    store = Store(own_project)
    assert store.state().warnings == []  # loaded (and cached) before the line is damaged
    own_project.reviews_dir.mkdir()
    (own_project.reviews_dir / "alice.jsonl").write_text('{"reviewer": "alice", "ti\n')
    assert any("alice.jsonl:1" in w and "skipped" in w for w in store.state().warnings)


def test_the_learning_queue_is_rebuilt_when_the_machine_suggests_anew(own_project):
    client = create_app(own_project).test_client()
    login(client, "alice")
    codings = own_project.build_dir / "codings" / "tg1.jsonl"
    lines = codings.read_text().splitlines(keepends=True)
    assert len(lines) > 1
    assert client.get("/api/queue").json["candidates"] == len(lines)
    codings.write_text(lines[0])  # a rebuild that suggests less
    _touch_later(codings)
    assert client.get("/api/queue").json["candidates"] == 1


# -- blind coding and requests that change nothing ------------------------------------------------

def test_the_guide_page_shows_no_other_reviewers_decisions(own_project):
    app = create_app(own_project)
    xena, yuri = app.test_client(), app.test_client()
    csrf = login(xena, "xena")
    seg, code = first_suggestion(xena)
    headers = {"X-CSRF-Token": csrf}
    assert xena.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code, "action": "reject",
                                          "note": "xenas-own-note"}, headers=headers).status_code == 200
    assert xena.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": "dont_stigmatize", "action": "add",
                                          "note": "xenas-added-code"}, headers=headers).status_code == 200
    listed = f'class="segment has-suggestions" id="{seg}"'
    assert listed in xena.get(f"/guide/tg1?page=1&code={code}&status=rejected").text
    login(yuri, "yuri")
    assert listed not in yuri.get(f"/guide/tg1?page=1&code={code}&status=rejected").text
    assert listed in yuri.get(f"/guide/tg1?page=1&code={code}&status=undecided").text
    page = yuri.get("/guide/tg1?page=1").text
    assert "xenas-own-note" not in page and "xenas-added-code" not in page


def test_the_codebook_page_counts_the_reviewers_own_use_only(own_project):
    app = create_app(own_project)
    xena, yuri = app.test_client(), app.test_client()
    csrf = login(xena, "xena")
    seg, code = first_suggestion(xena)
    for action, code_ in (("accept", code), ("reject", "dont_stigmatize")):
        assert xena.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code_, "action": action},
                         headers={"X-CSRF-Token": csrf}).status_code == 200

    def usage(page, code_):
        entry = page[page.index(f'<div class="code-entry" id="{code_}">'):]
        return re.search(r'<p class="usage">(.*?)</p>', entry, re.S).group(1)

    page = xena.get("/codebook").text
    assert "xena: 1" in usage(page, code)
    assert "xena: 0" in usage(page, "dont_stigmatize")  # a rejection is no use of the code
    login(yuri, "yuri")
    assert "xena" not in yuri.get("/codebook").text


def test_a_decision_is_always_the_signed_in_reviewers_own(own_project):
    client = create_app(own_project).test_client()
    csrf = login(client, "uma")
    seg, code = first_suggestion(client)
    response = client.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code, "action": "accept",
                                                "reviewer": "mallory"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert [d.reviewer for d in read_decisions(own_project.reviews_dir)] == ["uma"]
    assert not (own_project.reviews_dir / "mallory.jsonl").exists()


def test_signing_out_ends_the_reviewers_session(client):
    csrf = login(client, "alice")
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf": csrf}).status_code == 302
    response = client.get("/sheet")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_reviewer_name_may_have_64_characters_and_no_more(client):
    page = client.get("/login")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    assert "Use letters" in client.post("/login", data={"reviewer": "r" * 65, "csrf": csrf}).text
    assert client.post("/login", data={"reviewer": "r" * 64, "csrf": csrf}).status_code == 302


def test_a_sheet_row_with_one_stale_cell_records_none_of_its_cells(own_project):
    app = create_app(own_project)
    tab1, tab2 = app.test_client(), app.test_client()
    csrf, csrf2 = login(tab1, "otto"), login(tab2, "otto")
    assert _shown(tab1.get("/sheet").text, "tg1", "dont_stigmatize") == ""
    assert tab2.post("/api/answer", json={"guide": "tg1", "code": "dont_stigmatize", "answer": "present"},
                     headers={"X-CSRF-Token": csrf2}).status_code == 200
    row = {"answer:dont_stigmatize": "no", "shown:dont_stigmatize": "",  # answered elsewhere since
           "answer:therapeutic_alliance": "yes", "shown:therapeutic_alliance": "", "csrf": csrf}  # a fresh answer
    assert tab1.post("/sheet/tg1", data=row).status_code == 409
    assert [(d.code, d.value) for d in read_decisions(own_project.reviews_dir)] == [("dont_stigmatize", True)]


def test_a_sheet_row_for_no_guide_or_with_a_bad_shown_value_is_refused_and_records_nothing(own_project):
    client = create_app(own_project).test_client()
    csrf = login(client, "alice")
    assert client.post("/sheet/nope", data={"answer:dont_stigmatize": "yes", "csrf": csrf}).status_code == 404
    bad = client.post("/sheet/tg1", data={"answer:dont_stigmatize": "yes", "shown:dont_stigmatize": "maybe",
                                          "csrf": csrf})
    assert bad.status_code == 400 and "dont_stigmatize" in bad.text
    assert read_decisions(own_project.reviews_dir) == []


def test_a_sheet_answer_records_the_hash_of_the_guide_it_was_given_on(own_project):
    client = create_app(own_project).test_client()
    csrf = login(client, "alice")
    assert client.post("/sheet/tg1", data={"answer:dont_stigmatize": "yes", "csrf": csrf}).status_code == 302
    (guide,) = load_manifest(own_project.manifest_path).guides
    assert guide.sha256 and [d.text_hash for d in read_decisions(own_project.reviews_dir)] == [guide.sha256]


def test_the_sheets_machine_hint_is_never_fitted_to_the_reviewers_answers(client, monkeypatch):
    def fitted(state):
        raise AssertionError("the sheet asked for decision rules fitted to the reviewers' answers")

    monkeypatch.setattr("mapping_review.review.state.calibration_of", fitted)
    login(client)
    assert client.get("/sheet").status_code == 200


def test_a_settlement_is_always_the_signed_in_adjudicators_own(own_project):
    _, _, gina = erin_and_frank_disagree(create_app(own_project))
    csrf = login(gina, "gina")
    ok = gina.post("/api/adjudicate", json={"guide": "tg1", "code": "dont_enable_mania", "value": True, "by": "erin"},
                   headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200, ok.json
    assert [d.settled_by for d in read_decisions(own_project.reviews_dir) if d.reviewer == "consensus"] == ["gina"]


def test_a_note_may_have_2000_characters_and_a_longer_one_is_refused_whole(own_project):
    client = create_app(own_project).test_client()
    csrf = login(client, "alice")
    seg, code = first_suggestion(client)
    body = {"guide": "tg1", "segment": seg, "code": code, "action": "accept"}
    long = client.post("/api/decide", json={**body, "note": "n" * 2001}, headers={"X-CSRF-Token": csrf})
    assert long.status_code == 400 and long.json["error"] == "note is longer than 2000 characters"
    assert read_decisions(own_project.reviews_dir) == []
    assert client.post("/api/decide", json={**body, "note": "n" * 2000}, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert [len(d.note) for d in read_decisions(own_project.reviews_dir)] == [2000]


def test_a_missing_field_is_refused_by_name_and_records_nothing(own_project):
    client = create_app(own_project).test_client()
    csrf = login(client, "alice")
    seg, code = first_suggestion(client)
    for missing in ("guide", "segment", "code", "action"):
        body = {"guide": "tg1", "segment": seg, "code": code, "action": "accept"}
        del body[missing]
        response = client.post("/api/decide", json=body, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 400 and response.json["error"] == f"{missing} must be text", missing
    assert read_decisions(own_project.reviews_dir) == []


def test_host_names_and_secrets_are_read_strictly():
    assert [host_name(h) for h in ("localhost:8765", "Review.Lab", "[::1]:8765", "::1", "127.0.0.1:80")] == \
        ["localhost", "review.lab", "::1", "::1", "127.0.0.1"]
    assert is_loopback("127.0.0.1") and is_loopback("[::1]") and is_loopback("localhost")
    assert not any(is_loopback(h) for h in ("10.0.0.5", "192.168.1.10", "0.0.0.0", "review.lab"))
    with pytest.raises(MappingReviewError, match="access token"):
        check_binding("192.168.1.10", None)
    assert same_secret("s3cret", "s3cret")
    assert not any(same_secret(given, "s3cret") for given in (None, "", 7, ["s3cret"], b"s3cret", "s3cre"))


def test_the_codebook_page_counts_a_reviewers_current_decisions_not_their_history(own_project):
    client = create_app(own_project).test_client()
    csrf = login(client, "xena")
    seg, code = first_suggestion(client)
    for action in ("accept", "reject"):  # xena changes her mind: the later decision wins
        assert client.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code, "action": action},
                           headers={"X-CSRF-Token": csrf}).status_code == 200
    page = client.get("/codebook").text
    entry = page[page.index(f'<div class="code-entry" id="{code}">'):]
    assert "xena: 0" in re.search(r'<p class="usage">(.*?)</p>', entry, re.S).group(1)


def test_a_build_finishing_during_a_queue_request_is_in_the_next_requests_queue(own_project):
    store = Store(own_project)
    codings = own_project.build_dir / "codings" / "tg1.jsonl"
    lines = codings.read_text().splitlines(keepends=True)
    assert len(lines) > 1
    state = store.state()  # a request reads the review ...
    codings.write_text(lines[0])  # ... a build that suggests less finishes ...
    _touch_later(codings)
    assert len(store.queue("alice", state).candidates_) == len(lines)  # ... and the request asks for its queue
    assert len(store.queue("alice", store.state()).candidates_) == 1  # the next request


def test_a_replaced_guides_pages_are_marked_where_the_new_pdf_has_its_letters(own_project, tmp_path):
    store = Store(own_project)
    assert "atestguideline" in store.glyphs("tg1", 1).letters
    new = make_pdf(tmp_path / "new.pdf", guide_pages(3, title="Another Guideline Altogether"))
    add_guide(own_project, new, key="tg1", replace=True)
    letters = store.glyphs("tg1", 1).letters
    assert "anotherguidelinealtogether" in letters and "atestguideline" not in letters


def _held_elsewhere(lock) -> bool:
    """Whether another thread holds ``lock`` (asked from a thread of its own, so an RLock is not re-entered)."""
    free = []

    def probe() -> None:
        got = lock.acquire(blocking=False)
        free.append(got)
        if got:
            lock.release()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return not free[0]


def test_a_sheet_row_is_checked_and_recorded_while_no_other_request_records_for_that_reviewer(own_project, monkeypatch):
    """Between reading the reviewer's answers and recording the row, another tab could record an answer the
    row would then undo without the 'answered elsewhere' refusal; the check and the append are one step."""
    from mapping_review.web import review_routes

    app = create_app(own_project)
    client = app.test_client()
    csrf = login(client, "otto")
    lock = app.extensions["store"].recording("otto")
    seen, folders = [], []

    def checking(decisions, reviewer):
        seen.append(("check", _held_elsewhere(lock)))
        folders.append(folder_held(own_project.reviews_dir))  # against other processes too (a CLI import)
        return real_answers(decisions, reviewer)

    def appending(reviews_dir, decisions):
        seen.append(("append", _held_elsewhere(lock)))
        folders.append(folder_held(own_project.reviews_dir))
        return real_append(reviews_dir, decisions)

    real_answers, real_append = review_routes.own_answers, store_module.append_decisions
    monkeypatch.setattr(review_routes, "own_answers", checking)
    monkeypatch.setattr(store_module, "append_decisions", appending)
    assert client.post("/sheet/tg1", data={"answer:dont_stigmatize": "yes", "csrf": csrf}).status_code == 302
    assert seen == [("check", True), ("append", True)] and folders == [True, True]
    assert not _held_elsewhere(lock) and not folder_held(own_project.reviews_dir)
    seen.clear()  # any other answer of otto's (here the code-first view's) is recorded under the same lock
    assert client.post("/api/answer", json={"guide": "tg1", "code": "therapeutic_alliance", "answer": "present"},
                       headers={"X-CSRF-Token": csrf}).status_code == 200
    assert seen == [("append", True)]
    assert [(d.code, d.value) for d in read_decisions(own_project.reviews_dir)] == [("dont_stigmatize", True),
                                                                                   ("therapeutic_alliance", True)]


def test_a_settlement_is_checked_against_the_open_disagreements_while_no_other_process_records(own_project,
                                                                                               monkeypatch):
    from mapping_review.web import review_routes

    seen = note_lock_when_called(monkeypatch, review_routes, ("adjudicate",), own_project.reviews_dir)
    _, _, gina = erin_and_frank_disagree(create_app(own_project))
    csrf = login(gina, "gina")
    ok = gina.post("/api/adjudicate", json={"guide": "tg1", "code": "dont_enable_mania", "value": False},
                   headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 200 and seen == [("adjudicate", True)] and not folder_held(own_project.reviews_dir)


def _posting(post, responses):
    def run():
        responses.append(post())
    return threading.Thread(target=run, daemon=True)


def test_a_sheet_row_takes_the_reviewers_lock_before_the_recording_lock(own_project):
    """One order: the reviewer's lock, then reviews/'s, as every Store.record takes them (the code-first view, the
    guide pages); a row holding reviews/'s lock while it waits for the reviewer's would deadlock with such a request."""
    app = create_app(own_project)
    client = app.test_client()
    csrf = login(client, "otto")
    responses = []
    row = _posting(lambda: client.post("/sheet/tg1", data={"answer:dont_stigmatize": "yes", "csrf": csrf}), responses)
    with app.extensions["store"].recording("otto"):  # another request of otto's is recording
        row.start()
        row.join(0.5)
        waiting, held = row.is_alive(), folder_held(own_project.reviews_dir)
    row.join(10)
    assert waiting and not held and responses[0].status_code == 302


def test_a_settlement_takes_the_consensus_lock_before_the_recording_lock(own_project):
    app = create_app(own_project)
    _, _, gina = erin_and_frank_disagree(app)
    csrf = login(gina, "gina")
    responses = []
    settle = _posting(lambda: gina.post("/api/adjudicate", json={"guide": "tg1", "code": "dont_enable_mania",
                                                                 "value": False}, headers={"X-CSRF-Token": csrf}),
                      responses)
    with app.extensions["store"].recording(CONSENSUS):
        settle.start()
        settle.join(0.5)
        waiting, held = settle.is_alive(), folder_held(own_project.reviews_dir)
    settle.join(10)
    assert waiting and not held and responses[0].status_code == 200


def test_a_sheet_row_and_a_settlement_hold_the_recording_lock_once_from_check_to_append(own_project, monkeypatch):
    app = create_app(own_project)
    _, _, gina = erin_and_frank_disagree(app)
    otto = app.test_client()
    csrf = login(otto, "otto")
    taken = count_flocks(monkeypatch)
    assert otto.post("/sheet/tg1", data={"answer:dont_stigmatize": "yes", "csrf": csrf}).status_code == 302
    assert len(taken) == 1
    taken.clear()
    csrf = login(gina, "gina")
    assert gina.post("/api/adjudicate", json={"guide": "tg1", "code": "dont_enable_mania", "value": False},
                     headers={"X-CSRF-Token": csrf}).status_code == 200
    assert len(taken) == 1


def test_the_dashboard_tells_a_reviewer_of_a_damaged_line_in_their_own_file_only(own_project):
    own_project.reviews_dir.mkdir()
    (own_project.reviews_dir / "alice.jsonl").write_text('{"reviewer": "alice", "ti\n')
    (own_project.reviews_dir / "bob.jsonl").write_text('{"reviewer": "bob", "code": "dont_stigmatize", "val\n')
    client = create_app(own_project).test_client()
    login(client, "alice")
    page = client.get("/").text
    assert 'id="problems"' in page and "alice.jsonl:1" in page and "skipped" in page
    assert "bob.jsonl" not in page and "dont_stigmatize" not in page.split('id="problems"')[1].split("</section>")[0]
    other = create_app(own_project).test_client()
    login(other, "carol")
    assert 'id="problems"' not in other.get("/").text


def test_review_by_code_of_a_guide_not_read_says_so_instead_of_no_evidence(own_project):
    from mapping_review.project.manifest import Guide
    from mapping_review.project.manifest_edit import append_guide

    append_guide(own_project.manifest_path, Guide(key="nopdf", title="No PDF yet"))
    client_ = create_app(own_project).test_client()
    login(client_)
    unread = client_.get("/review/nopdf").text
    assert "The machine has not read this guide yet." in unread and "found no evidence" not in unread
    read = client_.get("/review/tg1").text
    assert "has not read this guide" not in read


def test_the_dashboard_grid_names_guides_by_their_label(own_project):
    from mapping_review.project.manifest_edit import set_guide_fields

    set_guide_fields(own_project.manifest_path, "tg1", label="Test guide 2024")
    client_ = create_app(own_project).test_client()
    login(client_)
    page = client_.get("/").text
    grid = page[page.index('id="matrix"'):]
    assert '<th title="tg1">Test guide 2024</th>' in grid


# -- what a mutation-testing pass found untested ------------------------------------------------------

def test_a_host_name_allowed_in_capitals_is_answered(web_project):
    """Host headers are read in lower case, so an ``--allow-host`` given in capitals must be too."""
    lan = create_app(web_project, token="t", host="0.0.0.0", allow_hosts=["Review.Lab"]).test_client()
    assert lan.get("/login?token=t", headers={"Host": "review.lab:8765"}).status_code == 200
    assert lan.get("/login?token=t", headers={"Host": "REVIEW.LAB"}).status_code == 200


def test_a_settlement_is_not_shown_on_a_coders_guide_page(own_project):
    """The consensus's segment decisions are not the coder's own: the guide page neither shows them nor filters by them."""
    app = create_app(own_project)
    hana, ivan, june, kai = (app.test_client() for _ in range(4))
    login(hana, "hana")
    seg, code = first_suggestion(hana)
    for client_, name, action in ((hana, "hana", "accept"), (ivan, "ivan", "reject")):
        token = login(client_, name)
        assert client_.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code, "action": action},
                            headers={"X-CSRF-Token": token}).status_code == 200
    csrf = login(june, "june")
    assert june.post("/api/adjudicate", json={"guide": "tg1", "code": code, "segment": seg, "value": False,
                                              "note": "junes-settlement"}, headers={"X-CSRF-Token": csrf}).status_code == 200
    listed = f'class="segment has-suggestions" id="{seg}"'
    login(kai, "kai")
    assert listed not in kai.get(f"/guide/tg1?page=1&code={code}&status=rejected").text
    assert listed in kai.get(f"/guide/tg1?page=1&code={code}&status=undecided").text
    login(hana, "hana")  # a party still sees their own accept, not the settlement that overrode it
    assert listed in hana.get(f"/guide/tg1?page=1&code={code}&status=accepted").text
    assert "junes-settlement" not in hana.get("/guide/tg1?page=1").text


def test_a_decision_with_an_unknown_origin_is_refused_and_records_nothing(own_project):
    client = create_app(own_project).test_client()
    csrf = login(client, "alice")
    seg, code = first_suggestion(client)
    body = {"guide": "tg1", "segment": seg, "code": code, "action": "accept"}
    refused = client.post("/api/decide", json={**body, "origin": "import"}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 400 and refused.json["error"] == "unknown origin"
    assert read_decisions(own_project.reviews_dir) == []
    queued = client.post("/api/decide", json={**body, "origin": "web:queue"}, headers={"X-CSRF-Token": csrf})
    assert queued.status_code == 200
    assert [d.origin for d in read_decisions(own_project.reviews_dir)] == ["web:queue"]


def test_the_dashboard_shows_no_problem_of_a_reviewer_whose_name_begins_like_yours(own_project):
    own_project.reviews_dir.mkdir()
    (own_project.reviews_dir / "bobby.jsonl").write_text('{"reviewer": "bobby", "code": "dont_stigmatize", "val\n')
    client = create_app(own_project).test_client()
    login(client, "bob")
    page = client.get("/").text
    assert 'id="problems"' not in page and "bobby.jsonl" not in page


def test_a_sheet_row_without_shown_values_changes_an_answer(own_project):
    """A cell without its ``shown:CODE`` value is not checked for staleness: a changed answer is recorded."""
    client = create_app(own_project).test_client()
    csrf = login(client, "alice")
    for answer in ("yes", "no"):
        assert client.post("/sheet/tg1", data={"answer:dont_stigmatize": answer, "csrf": csrf}).status_code == 302
    assert [d.value for d in read_decisions(own_project.reviews_dir)] == [True, False]


def test_agreement_figures_need_two_raters(own_project):
    (own_project.root / "review.yaml").write_text("review:\n  adjudicators: [mia]\n")
    app = create_app(own_project)
    kim, mia = app.test_client(), app.test_client()
    csrf = login(kim, "kim")
    assert kim.post("/sheet/tg1", data={"answer:redirect_client": "yes", "csrf": csrf}).status_code == 302
    login(mia, "mia")
    assert "Krippendorff" not in mia.get("/").text  # one reviewer's answers agree with nobody's
    lee = app.test_client()
    csrf = login(lee, "lee")
    assert lee.post("/sheet/tg1", data={"answer:redirect_client": "no", "csrf": csrf}).status_code == 302
    assert "Krippendorff" in mia.get("/").text


def test_a_pages_letters_are_read_under_the_pdfium_lock(own_project, monkeypatch):
    """PDFium is not thread-safe: reading where a page's letters are drawn goes through the same lock as drawing it."""
    seen, real = [], store_module.page_glyphs

    def watched(*args, **kwargs):
        seen.append(store_module.PDFIUM_LOCK.locked())
        return real(*args, **kwargs)

    monkeypatch.setattr(store_module, "page_glyphs", watched)
    assert "atestguideline" in Store(own_project).glyphs("tg1", 1).letters
    assert seen == [True] and not store_module.PDFIUM_LOCK.locked()


def test_the_code_first_view_of_no_guide_is_not_found(client):
    login(client)
    assert client.get("/review/nope").status_code == 404


def test_a_code_first_answer_is_always_the_signed_in_reviewers_own(own_project):
    client = create_app(own_project).test_client()
    csrf = login(client, "uma")
    response = client.post("/api/answer", json={"guide": "tg1", "code": "dont_stigmatize", "answer": "present",
                                                "reviewer": "mallory"}, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and response.json["recorded"] == 1
    assert [d.reviewer for d in read_decisions(own_project.reviews_dir)] == ["uma"]
    assert not (own_project.reviews_dir / "mallory.jsonl").exists()


def test_the_queue_for_an_unknown_code_is_refused(client):
    login(client)
    assert client.get("/api/queue?code=no_such_code").status_code == 400
    assert client.get("/api/queue?code=dont_stigmatize").status_code == 200


def test_next_goes_on_after_the_code_asked_for(own_project):
    from urllib.parse import parse_qs, urlsplit

    first, second = (c.id for c in Store(own_project).state().codebook.codes[:2])
    client = create_app(own_project).test_client()
    login(client)
    for after, expected in ((None, first), (f"tg1/{first}", second)):
        response = client.get("/next", query_string={"after": after} if after else {})
        location = urlsplit(response.headers["Location"])
        assert location.path == "/review/tg1" and parse_qs(location.query)["code"] == [expected], after


def test_the_queue_hints_only_at_codes_the_reviewer_has_decided(own_project):
    client = create_app(own_project).test_client()
    csrf = login(client, "vera")
    assert client.get("/api/queue").json["hints"] == []  # nothing decided: no code has a history to hint at
    seg, code = first_suggestion(client)
    assert client.post("/api/decide", json={"guide": "tg1", "segment": seg, "code": code, "action": "reject"},
                       headers={"X-CSRF-Token": csrf}).status_code == 200
    hints = client.get("/api/queue").json["hints"]
    assert [(h["code"], h["decided"], h["supporting"]) for h in hints] == [(code, 1, 0)]


def test_the_last_answer_a_reviewer_gives_leaves_nothing_next(own_project):
    from mapping_review.review.codefirst import answer_decisions
    from mapping_review.review.state import load_review

    state = load_review(own_project)
    cells = [(g, c.id) for g in state.keys for c in state.codebook.codes]
    last, others = cells[-1], cells[:-1]
    append_decisions(own_project.reviews_dir, [d for g, c in others
                                               for d in answer_decisions(state, g, c, "absent", reviewer="wes")])
    client = create_app(own_project).test_client()
    csrf = login(client, "wes")
    r = client.post("/api/answer", json={"guide": last[0], "code": last[1], "answer": "present"},
                    headers={"X-CSRF-Token": csrf})
    # what is next is worked out from the answers as they stand after this one: every cell is answered
    assert r.status_code == 200 and r.json["recorded"] == 1 and r.json["next"] is None
