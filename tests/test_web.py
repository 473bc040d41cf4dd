"""The workbench through Flask's test client: decisions land in reviews/ as the CLI writes them,
and hostile text, missing CSRF tokens, foreign addresses and odd paths are refused."""

import json
import re

import pytest
from pdfmaker import guide_pages, make_pdf

from mapping_review import pipeline
from mapping_review.errors import MappingReviewError
from mapping_review.project.corpus import add_guide
from mapping_review.review.decisions import read_decisions
from mapping_review.web.app import check_binding, create_app

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


def test_only_a_non_party_settles_a_disagreement_and_is_named(web_project):
    app = create_app(web_project)
    erin, frank, gina = app.test_client(), app.test_client(), app.test_client()
    for client_, name, answer in ((erin, "erin", "yes"), (frank, "frank", "no")):
        csrf = login(client_, name)
        client_.post("/sheet/tg1", data={"answer:dont_enable_mania": answer, "csrf": csrf})
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


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
                                    "/\n/evil.example", "/\r\n/evil.example", "/\x7f/x"])
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
