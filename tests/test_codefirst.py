"""Code-first review, progress and the learning queue over a project: the library functions, the ``review``
verbs and the workbench's API - blind to other reviewers, recording only what the reviewer answered."""

import csv
import json
import re

import pytest
from click.testing import CliRunner
from conftest import ROOT
from pdfmaker import guide_pages, make_pdf

from mapping_review import pipeline
from mapping_review.cli import main
from mapping_review.coding.codebook import load_codebook
from mapping_review.coding.decide import Evidence, strength, summarise
from mapping_review.coding.suggestions import Suggestion, text_hash
from mapping_review.errors import ConfigError
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import init_project
from mapping_review.review.codefirst import (
    TOP,
    CodeRow,
    answer_decisions,
    code_first,
    find_segment,
    next_undecided,
    quote_decision,
)
from mapping_review.review.decisions import Decision, append_decisions, read_decisions
from mapping_review.review.progress import review_progress
from mapping_review.review.queue_state import rank_for_review
from mapping_review.review.state import ReviewState, load_review, resolve_review, segments_by_id, write_tables
from mapping_review.segment.segments import Segment
from mapping_review.web.app import create_app


@pytest.fixture()
def built(tmp_path):
    project = init_project(tmp_path / "review")
    for key in ("tg1", "tg2"):
        add_guide(project, make_pdf(tmp_path / f"{key}.pdf", guide_pages(3, title=f"Guide {key}")), key=key)
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    return project


def decision(reviewer, guide, code, value, *, level="guide", segment="", action="set"):
    return Decision(reviewer=reviewer, time="2026-01-01T00:00:00Z", level=level, guide=guide, code=code, value=value,
                    segment=segment, action=action)


def suggested(state, guide="tg1"):
    return next(s for s in state.suggestions if s.guide == guide)


def test_code_first_shows_every_code_with_the_machine_and_only_the_reviewers_own_answers(built):
    state = load_review(built)
    s = suggested(state)
    append_decisions(built.reviews_dir, [decision("bob", "tg1", s.code, True, level="segment", segment=s.segment,
                                                  action="accept"),
                                         decision("consensus", "tg1", "dont_stigmatize", True)])
    state = load_review(built)
    view = code_first(state, "tg1", "alice")
    assert [r.code for r in view.rows] == [c.id for c in state.codebook.codes]
    row = next(r for r in view.rows if r.code == s.code)
    assert row.n_evidence >= 1 and row.quotes and all(q.status == "undecided" for q in row.quotes)  # bob's not shown
    assert all(r.answer is None for r in view.rows)  # nor the consensus
    assert [q.evidence for q in row.quotes] == sorted((q.evidence for q in row.quotes), reverse=True)
    for r in view.rows:  # a present code says whether one passage or only weak evidence decided it
        code = state.codebook.by_id[r.code]
        assert r.strength == strength(code.decision, state.evidence.get(("tg1", r.code), Evidence()))
        assert bool(r.strength) == r.machine
    bob = next(r for r in code_first(state, "tg1", "bob").rows if r.code == s.code)
    assert bob.answer is True and not bob.explicit and any(q.status == "accepted" for q in bob.quotes)
    with pytest.raises(ConfigError, match="unknown guide"):
        code_first(state, "nope", "alice")


def test_a_code_decided_on_weak_evidence_alone_is_marked_so():
    def row(machine, strength):
        return CodeRow("c", "C", "F", machine, None, False, 3, [], strength)

    assert row(True, "strong").machine_words == "present"
    assert row(True, "weak").machine_words == "present, weak evidence only"
    assert row(False, "").machine_words == "absent"
    unread = CodeRow("c", "C", "F", False, None, False, 0, [], "", read=False)
    assert unread.machine_words.startswith("not read") and "PDF" in unread.machine_words


def test_a_guide_the_machine_has_not_read_says_so_instead_of_absent(built, tmp_path):
    (built.build_dir / "codings" / "tg2.jsonl").unlink()  # as for a guide whose PDF is not in the corpus
    state = load_review(built)
    assert state.unread == {"tg2"}
    assert all(r.machine_words.startswith("not read") for r in code_first(state, "tg2", "alice").rows)
    assert not any(r.machine_words.startswith("not read") for r in code_first(state, "tg1", "alice").rows)
    append_decisions(built.reviews_dir, [decision("bob", "tg2", "dont_stigmatize", True)])
    rows = {(r.guide, r.code): r for r in resolve_review(load_review(built)).rows}
    assert {r.source for (g, c), r in rows.items() if g == "tg2" and c != "dont_stigmatize"} == {"unread"}
    assert rows[("tg2", "dont_stigmatize")].source == "reviewer:bob"  # a person's answer stands
    assert {r.source for (g, _), r in rows.items() if g == "tg1"} == {"auto"}
    assert not any(r.present for (g, c), r in rows.items() if g == "tg2" and c != "dont_stigmatize")
    append_decisions(built.reviews_dir, [decision("carol", "tg2", "dont_stigmatize", False)])  # a tie
    state = load_review(built)
    write_tables(state, resolve_review(state))
    table = {(r["guide"], r["code"]): r for r in csv.DictReader((built.build_dir / "tables" / "guide_codes.csv").open())}
    assert table[("tg2", "dont_stigmatize")]["source"] == "tied"
    assert table[("tg2", "therapeutic_alliance")]["source"] == "unread"
    split = [r for r in csv.DictReader((built.build_dir / "tables" / "disagreements.csv").open()) if r["guide"] == "tg2"]
    assert [(r["code"], r["machine"]) for r in split] == [("dont_stigmatize", "")]
    runner, p = CliRunner(), ["-p", str(built.root)]
    shown = runner.invoke(main, ["review", "codes", "tg2", "-r", "alice", *p])
    assert shown.exit_code == 0 and "machine: not read" in shown.output and "machine: absent" not in shown.output
    for command in (["review", "queue"], ["worksheet", "export", "-o", str(tmp_path / "w.csv")]):
        said = runner.invoke(main, [*command, "-r", "alice", *p])
        assert said.exit_code == 0 and "1 of 2 guide(s) are not coded yet" in " ".join(said.output.split())
        assert "tg2" in said.output and "Add the PDFs of those without one" in " ".join(said.output.split())
    out = tmp_path / "alice.csv"
    assert runner.invoke(main, ["sheet", "export", "-r", "alice", "-o", str(out), *p]).exit_code == 0
    rows = {r["Natbib"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    machine_columns = [k for k in rows["tg1"] if k.endswith(" [machine]")]
    assert machine_columns and all(rows["tg2"][k].startswith("not read") for k in machine_columns)
    assert not any(rows["tg1"][k].startswith("not read") for k in machine_columns)
    client = create_app(built).test_client()
    _login(client, "alice")
    sheet = client.get("/sheet").text
    tg1, tg2 = sheet.split('id="row-tg1"')[1].split('id="row-tg2"')
    assert "machine: not read" in tg2 and "machine: not read" not in tg1
    (built.build_dir / "codings" / "tg2.jsonl").touch()  # coded, with no suggestions: read
    quiet = runner.invoke(main, ["review", "queue", "-r", "alice", *p])
    assert quiet.exit_code == 0 and "not coded yet" not in quiet.output


def test_a_sheet_counts_only_the_answers_given_of_a_feature_answered_in_part(built, tmp_path):
    runner, p = CliRunner(), ["-p", str(built.root)]
    given = runner.invoke(main, ["review", "answer", "tg1", "support/homework", "yes", "-r", "alice", *p])
    assert given.exit_code == 0, given.output
    assert [(d.code, d.value) for d in read_decisions(built.reviews_dir)] == [("support/homework", True)]
    out = tmp_path / "alice.csv"
    assert runner.invoke(main, ["sheet", "export", "-r", "alice", "-o", str(out), *p]).exit_code == 0
    again = runner.invoke(main, ["sheet", "import", str(out), "-r", "alice", *p])
    assert again.exit_code == 0, again.output
    assert "0 decision(s) recorded for alice, 1 answer(s) already given" in again.output
    assert len(read_decisions(built.reviews_dir)) == 1


def test_answers_record_only_what_the_reviewer_answered(built):
    state = load_review(built)
    assert answer_decisions(state, "tg1", "dont_stigmatize", "undecided", reviewer="alice") == []
    made = answer_decisions(state, "tg1", "dont_stigmatize", "absent", reviewer="alice")
    assert [(d.level, d.value, d.text_hash) for d in made] == [("guide", False, state.guides["tg1"])]
    append_decisions(built.reviews_dir, made)
    state = load_review(built)
    assert answer_decisions(state, "tg1", "dont_stigmatize", "absent", reviewer="alice") == []  # already given
    assert answer_decisions(state, "tg1", "dont_stigmatize", "present", reviewer="alice")[0].value is True
    with pytest.raises(ConfigError, match="present, absent or undecided"):
        answer_decisions(state, "tg1", "dont_stigmatize", "maybe", reviewer="alice")


def test_next_undecided_goes_across_codes_and_guides(built):
    state = load_review(built)
    codes = [c.id for c in state.codebook.codes]
    assert next_undecided(state, "alice") == ("tg1", codes[0])
    assert next_undecided(state, "alice", after=("tg1", codes[-1])) == ("tg2", codes[0])
    append_decisions(built.reviews_dir, [decision("alice", "tg2", c, False) for c in codes]
                     + [decision("alice", "tg1", c, True) for c in codes[1:]])
    state = load_review(built)
    assert next_undecided(state, "alice", after=("tg2", codes[3])) == ("tg1", codes[0])  # wraps round
    append_decisions(built.reviews_dir, [decision("alice", "tg1", codes[0], True)])
    assert next_undecided(load_review(built), "alice") is None
    out = CliRunner().invoke(main, ["review", "next", "-r", "alice", "-p", str(built.root)])
    assert "Next unanswered: none - alice has answered every guide and code." in " ".join(out.output.split())


def test_progress_shows_disagreements_to_adjudicators_only(built):
    append_decisions(built.reviews_dir, [
        decision("alice", "tg1", "dont_stigmatize", True), decision("bob", "tg1", "dont_stigmatize", False),
        decision("bob", "tg2", "redirect_client", True), decision("carol", "tg2", "redirect_client", False),
        decision("bob", "tg2", "modality/text", True), decision("carol", "tg2", "modality/text", False),
        decision("consensus", "tg2", "modality/text", True),  # settled: no longer a disagreement
    ])
    coder = review_progress(load_review(built), "alice")
    assert coder.conflicts == [] and coder.hidden_conflicts == 0  # blind: nothing tells alice bob said no
    progress = review_progress(load_review(built), "alice", adjudicator=True)
    assert [(c.guide, c.code) for c in progress.conflicts] == [("tg1", "dont_stigmatize")]
    assert progress.hidden_conflicts == 1
    assert progress.decided == 1 and progress.left == progress.total - 1
    tg1 = progress.guides[0]
    assert tg1.decided == 1 and "dont_stigmatize" not in tg1.undecided


def test_review_verbs_record_and_show(built):
    runner = CliRunner()
    state = load_review(built)
    s = suggested(state)
    p = ["-p", str(built.root)]
    result = runner.invoke(main, ["review", "answer", "tg1", s.code, "present", "-r", "alice", *p])
    assert result.exit_code == 0, result.output
    assert "1 decision(s) recorded" in result.output and "Next: tg1" in result.output
    result = runner.invoke(main, ["review", "quote", "tg1", s.segment, s.code, "reject", "-r", "alice", *p])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["review", "answer", "tg1", s.code, "undecided", "-r", "alice", *p])
    assert "0 decision(s) recorded" in result.output
    lines = [(d.level, d.code, d.value, d.action, d.origin) for d in read_decisions(built.reviews_dir)]
    assert lines == [("guide", s.code, True, "set", "cli:review"), ("segment", s.code, False, "reject", "cli:review")]
    shown = runner.invoke(main, ["review", "codes", "tg1", "-r", "alice", *p])
    assert shown.exit_code == 0 and "[rejected]" in shown.output and "you: present" in shown.output
    assert "[rejected]" not in runner.invoke(main, ["review", "codes", "tg1", "-r", "bob", *p]).output
    queue = runner.invoke(main, ["review", "queue", "-r", "alice", "--limit", "3", *p])
    assert queue.exit_code == 0 and "of " in queue.output and s.segment not in queue.output.split("suggestions decided")[0]
    progress = runner.invoke(main, ["review", "progress", "-r", "alice", *p])
    assert progress.exit_code == 0 and "1 of 66 guide-code answers given" in progress.output
    bad = runner.invoke(main, ["review", "quote", "tg1", "tg1:9:nothing", s.code, "accept", "-r", "alice", *p])
    assert bad.exit_code == 1 and "Error: no segment 'tg1:9:nothing'" in bad.output and "Traceback" not in bad.output


def test_worksheet_limit_is_ranked_by_the_queue_and_learns_from_the_reviewer_only(built):
    state = load_review(built)
    segments = segments_by_id(built, state.keys)
    everything = rank_for_review(state.suggestions, segments=segments, decisions=[], reviewer="alice")
    assert sorted(map(id, everything)) == sorted(map(id, state.suggestions))
    assert rank_for_review(state.suggestions, segments=segments, decisions=[], reviewer="alice", limit=2) == everything[:2]
    with pytest.raises(ConfigError, match="limit must be 1 or more"):
        rank_for_review(state.suggestions, segments=segments, decisions=[], reviewer="alice", limit=0)
    top = everything[0]
    mine = [decision("alice", top.guide, top.code, False, level="segment", segment=top.segment, action="reject")]
    after = rank_for_review(state.suggestions, segments=segments, decisions=mine, reviewer="alice")
    assert after[0] is not top and after[-1] is top  # decided: after every undecided one
    theirs = [decision("bob", top.guide, top.code, False, level="segment", segment=top.segment, action="reject")]
    assert rank_for_review(state.suggestions, segments=segments, decisions=theirs, reviewer="alice")[0] is top


def _login(client, name):
    page = client.get("/login")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    client.post("/login", data={"reviewer": name, "csrf": csrf})
    return re.search(r'name="csrf-token" content="([^"]+)"', client.get("/login").text).group(1)  # a new one


def test_workbench_code_first_api(built):
    state = load_review(built)
    s = suggested(state)
    append_decisions(built.reviews_dir, [decision("bob", "tg1", "dont_stigmatize", True),
                                         decision("carol", "tg1", "dont_stigmatize", False)])
    client = create_app(built).test_client()
    csrf = _login(client, "alice")
    page = client.get("/review/tg1").text
    assert page.count('class="code-card ') == len(state.codebook.codes) and 'code-card decided' not in page
    headers = {"X-CSRF-Token": csrf}
    r = client.post("/api/answer", json={"guide": "tg1", "code": s.code, "answer": "absent"}, headers=headers)
    assert r.status_code == 200 and r.json["recorded"] == 1 and r.json["next"]["guide"] == "tg1"
    assert client.post("/api/answer", json={"guide": "tg1", "code": s.code, "answer": "undecided"},
                       headers=headers).json["recorded"] == 0
    assert client.post("/api/answer", json={"guide": "tg1", "code": "nope", "answer": "absent"},
                       headers=headers).status_code == 400
    assert client.post("/api/answer", json={"guide": "tg1", "code": s.code, "answer": "absent"}).status_code == 400
    r = client.post("/api/decide", json={"guide": "tg1", "segment": s.segment, "code": s.code, "action": "accept",
                                         "origin": "web:code-first"}, headers=headers)
    assert r.status_code == 200 and r.json["label"]
    assert client.post("/api/decide", json={"guide": "tg1", "segment": s.segment, "code": s.code, "action": "accept",
                                            "origin": "elsewhere"}, headers=headers).status_code == 400
    mine = [d for d in read_decisions(built.reviews_dir) if d.reviewer == "alice"]
    assert [(d.level, d.value, d.origin) for d in mine] == [("guide", False, "web:code-first"),
                                                            ("segment", True, "web:code-first")]
    assert 'data-answer="absent" tabindex' in client.get("/review/tg1").text
    queue = client.get("/api/queue?strategy=relevance").json
    assert queue["decided"] == 1 and all(i["segment"] != s.segment or i["code"] != s.code for i in queue["items"])
    assert client.get("/api/queue?strategy=nope").status_code == 400
    dash = client.get("/").text
    assert "1</strong> of 66 guide-code answers given" in dash
    assert "between other reviewers" not in dash and "bob yes" not in dash and "carol no" not in dash  # a coder
    assert client.get("/next").headers["Location"].startswith("/review/tg1")


def test_build_uses_code_first_answers(built):
    append_decisions(built.reviews_dir, answer_decisions(load_review(built), "tg2", "dont_stigmatize", "present",
                                                         reviewer="alice"))
    pipeline.build_project(built, nlp_name="blank", jobs=1)
    rows = {(r["guide"], r["code"]): r for r in csv.DictReader((built.build_dir / "tables" / "guide_codes.csv").open())}
    row = rows[("tg2", "dont_stigmatize")]
    assert (row["present"], row["source"]) == ("1", "reviewer:alice")
    assert json.loads((built.reviews_dir / "alice.jsonl").read_text().splitlines()[0])["origin"] == "code-first"


def test_page_view_shows_notes_spans_labels_and_search_terms_again_after_reload(built):
    state = load_review(built)
    s = suggested(state)
    client = create_app(built).test_client()
    csrf = _login(client, "alice")
    headers = {"X-CSRF-Token": csrf}
    client.post("/api/decide", json={"guide": "tg1", "segment": s.segment, "code": s.code, "action": "accept",
                                     "note": "clear <b>guidance</b>"}, headers=headers)
    client.post("/api/decide", json={"guide": "tg1", "segment": s.segment, "code": "location/inpatient", "action": "add",
                                     "start": 0, "end": 5}, headers=headers)
    page = client.get(f"/guide/tg1?page={s.page}&q=options").text
    assert 'value="clear &lt;b&gt;guidance&lt;/b&gt;"' in page  # the note, escaped, back in its field
    seg_text = segments_by_id(built, ["tg1"])[s.segment].text
    assert f'<q class="span">{seg_text[:5]}</q>' in page and '<mark class="span">' in page
    assert "Location: Inpatient</span>" in page  # an added code by its Feature: value label
    assert '<mark class="search">options</mark>' in page
    assert 'class="mark accepted' in page or 'class="mark para accepted' in page  # coloured by the decision


def test_dashboard_shows_disagreements_only_to_adjudicators(built):
    (built.root / "review.yaml").write_text("review:\n  adjudicators: [carol]\n", encoding="utf-8")
    append_decisions(built.reviews_dir, [
        decision("alice", "tg1", "dont_stigmatize", True), decision("bob", "tg1", "dont_stigmatize", False),
        decision("bob", "tg2", "redirect_client", True), decision("dave", "tg2", "redirect_client", False),
        decision("carol", "tg1", "dont_stigmatize", True),
    ])
    client = create_app(built).test_client()
    _login(client, "alice")
    coder = client.get("/").text
    assert "bob no" not in coder and "answered differently" not in coder and "between other reviewers" not in coder
    assert "Coding is blind" in coder
    _login(client, "carol")
    adjudicator = client.get("/").text
    assert "alice yes, bob no, carol yes" in adjudicator and "1 disagreement(s) between other reviewers" in adjudicator


# -- small review states built in memory: what each row, quote and answer holds ---------------------------

def passage(guide, code, n, *, evidence=-1.0, score=0.5, weight=1.0, section=("Care",)):
    text = f"Passage {n} of {guide} about {code}."
    return Suggestion(guide=guide, code=code, segment=f"{guide}:1:s{n}", page=1, section=section, quote=text,
                      match="Passage", match_start=0, match_end=7, score=score, coder="rules.v3",
                      text_hash=text_hash(text), weight=weight, evidence=evidence)


CODEBOOK = load_codebook(ROOT / "codebook.yaml")


def small_state(tmp_path, suggestions=(), decisions=()):
    return ReviewState(init_project(tmp_path / "small"), CODEBOOK, {"tg1": "hash1", "tg2": "hash2"},
                       list(decisions), list(suggestions), summarise(suggestions))


SEG = Segment(id="tg1:1:s1", guide="tg1", kind="sentence", role="text", page=1, start=0, end_page=1, end=21,
              section=("Care",), text="Keep a warm alliance.", bbox=None)


def row_of(view, code):
    return next(r for r in view.rows if r.code == code)


def test_a_code_shows_its_best_few_quotes_and_counts_all_its_evidence(tmp_path):
    code = "dont_stigmatize"
    probabilities = [0.31, 0.42, 0.53, 0.64, 0.75, 0.86, 0.97]  # in reading order: the best come last
    state = small_state(tmp_path, [passage("tg1", code, i, evidence=p) for i, p in enumerate(probabilities)])
    row = row_of(code_first(state, "tg1", "alice"), code)
    assert row.n_evidence == len(probabilities)
    assert [q.evidence for q in row.quotes] == sorted(probabilities, reverse=True)[:TOP]
    two = row_of(code_first(state, "tg1", "alice", top=2), code)
    assert [q.evidence for q in two.quotes] == sorted(probabilities, reverse=True)[:2]


def test_a_quote_shows_its_passage_and_the_classifiers_probability(tmp_path):
    s = passage("tg1", "dont_stigmatize", 1, evidence=0.9, score=0.4)
    quote = row_of(code_first(small_state(tmp_path, [s]), "tg1", "alice"), s.code).quotes[0]
    assert (quote.segment, quote.text, quote.match, quote.evidence) == (s.segment, s.quote, s.match, 0.9)


def test_a_quote_reaching_the_codes_bar_comes_before_a_stronger_phrase_below_it(tmp_path):
    code = CODEBOOK.by_id["dont_stigmatize"]
    bar = code.decision.min_score
    below = passage("tg1", code.id, 1, evidence=bar - 0.05, weight=1.0)  # an unambiguous phrase, below the bar
    above = passage("tg1", code.id, 2, evidence=bar + 0.05, weight=0.5)  # an ambiguous word, reaching it
    state = small_state(tmp_path, [below, above])
    assert [q.segment for q in row_of(code_first(state, "tg1", "alice"), code.id).quotes] == [above.segment,
                                                                                             below.segment]


def test_a_guides_codes_show_only_that_guides_suggestions(tmp_path):
    code = "dont_stigmatize"
    state = small_state(tmp_path, [passage("tg1", code, 1), passage("tg2", code, 2), passage("tg2", code, 3)])
    row = row_of(code_first(state, "tg1", "alice"), code)
    assert row.n_evidence == 1 and [q.segment for q in row.quotes] == ["tg1:1:s1"]


def test_weak_evidence_adding_up_across_sections_makes_the_machine_say_present(tmp_path):
    rule = CODEBOOK.by_id["dont_stigmatize"].decision
    weak = (rule.min_score + rule.min_weak) / 2  # each passage below the bar, two of them adding up past it
    assert weak < rule.min_score and 1 - (1 - weak) ** 2 >= rule.min_total
    state = small_state(tmp_path, [passage("tg1", "dont_stigmatize", 1, evidence=weak, section=("A",)),
                                            passage("tg1", "dont_stigmatize", 2, evidence=weak, section=("B",))])
    row = row_of(code_first(state, "tg1", "alice"), "dont_stigmatize")
    assert row.machine is True and row.machine_words == "present, weak evidence only"


def test_the_consensus_and_badly_named_reviewers_cannot_review_code_first(tmp_path):
    state = small_state(tmp_path)
    for name in ("consensus", "al ice"):
        with pytest.raises(ConfigError):
            code_first(state, "tg1", name)
        with pytest.raises(ConfigError):
            answer_decisions(state, "tg1", "dont_stigmatize", "present", reviewer=name)
        with pytest.raises(ConfigError):
            quote_decision(SEG, "dont_stigmatize", "accept", reviewer=name)


def test_next_after_a_cell_not_in_the_review_starts_from_the_first(tmp_path):
    state = small_state(tmp_path)
    first = ("tg1", state.codebook.codes[0].id)
    assert next_undecided(state, "alice", after=("tg1", "no_such_code")) == first
    assert next_undecided(state, "alice", after=("tg9", first[1])) == first


def test_a_code_answered_by_an_accepted_quote_is_not_next(tmp_path):
    codes = [c.id for c in CODEBOOK.codes]
    accepted = decision("alice", "tg1", codes[0], True, level="segment", segment="tg1:1:s1", action="accept")
    state = small_state(tmp_path, decisions=[accepted])
    assert next_undecided(state, "alice") == ("tg1", codes[1])
    assert next_undecided(state, "bob") == ("tg1", codes[0])  # alice's quote answers nothing for bob


def test_an_answer_for_a_guide_or_code_not_in_the_review_is_refused(tmp_path):
    state = small_state(tmp_path)
    with pytest.raises(ConfigError, match=r"unknown guide 'tg_1' \(did you mean 'tg1'\?\)"):
        answer_decisions(state, "tg_1", "dont_stigmatize", "present", reviewer="alice")
    with pytest.raises(ConfigError, match=r"unknown guide 'zz'$"):  # nothing like it: no suggestion
        answer_decisions(state, "zz", "dont_stigmatize", "present", reviewer="alice")
    with pytest.raises(ConfigError, match="unknown code 'nope'"):
        answer_decisions(state, "tg1", "nope", "present", reviewer="alice")


def test_an_answer_keeps_its_note_and_a_repeated_answer_with_a_note_is_recorded(tmp_path):
    state = small_state(tmp_path)
    made = answer_decisions(state, "tg1", "dont_stigmatize", "present", reviewer="alice", note="p. 3")
    assert [(d.value, d.note, d.text_hash) for d in made] == [(True, "p. 3", "hash1")]
    state = small_state(tmp_path / "again", decisions=made)
    again = answer_decisions(state, "tg1", "dont_stigmatize", "present", reviewer="alice", note="also p. 5")
    assert [(d.value, d.note) for d in again] == [(True, "also p. 5")]
    assert answer_decisions(state, "tg1", "dont_stigmatize", "present", reviewer="alice") == []


def test_a_sheet_answer_after_an_accepted_quote_is_recorded(tmp_path):
    accepted = decision("alice", "tg1", "dont_stigmatize", True, level="segment", segment="tg1:1:s1", action="accept")
    state = small_state(tmp_path, decisions=[accepted])
    made = answer_decisions(state, "tg1", "dont_stigmatize", "present", reviewer="alice")
    assert [(d.level, d.guide, d.code, d.value) for d in made] == [("guide", "tg1", "dont_stigmatize", True)]


def test_a_quote_decision_records_whether_the_code_applies_and_its_span(tmp_path):
    values = {a: quote_decision(SEG, "dont_stigmatize", a, reviewer="alice").value for a in ("accept", "reject", "add")}
    assert values == {"accept": True, "reject": False, "add": True}
    whole = quote_decision(SEG, "dont_stigmatize", "add", reviewer="alice", start=0, end=len(SEG.text))
    assert (whole.segment, whole.start, whole.end, whole.value) == (SEG.id, 0, len(SEG.text), True)
    for start, end in ((3, 3), (0, len(SEG.text) + 1), (-1, 4)):
        with pytest.raises(ConfigError, match="not inside the segment"):
            quote_decision(SEG, "dont_stigmatize", "add", reviewer="alice", start=start, end=end)


def test_a_segment_is_found_only_in_its_own_guide():
    segments = {SEG.id: SEG}
    assert find_segment(segments, "tg1", SEG.id) is SEG
    with pytest.raises(ConfigError, match=f"no segment '{SEG.id}' in guide 'tg2'"):
        find_segment(segments, "tg2", SEG.id)
