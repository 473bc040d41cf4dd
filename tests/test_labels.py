"""Sentence labels: normalised keys that survive re-extraction, CSV round trip, and finding labels again."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import ROOT, need_corpus
from hypothesis import given
from hypothesis import strategies as st

from mapping_review.coding.labels import (
    ANCHOR_WORDS,
    SentenceLabel,
    Unit,
    compact,
    make_label,
    match_labels,
    read_labels,
    text_key,
    write_labels,
)
from mapping_review.errors import ConfigError

SENTENCE = "1.4.2 Offer individual guided self-help based on the principles of cognitive behavioural therapy (CBT)."


def test_the_key_ignores_what_re_extraction_changes():
    same = ["1.4.2 Offer individual guided self- help based on the principles of cognitive behavioural therapy (CBT).",
            "\ue0b7 1.4.2  Offer individual guided self-help based on the principles of cognitive\n"
            "behavioural therapy (CBT)",
            "1.4.2 Offer individual guided self-help based on the principles of cognitive behavioural therapy (CBT)."]
    assert {text_key(t) for t in same} == {text_key(SENTENCE)}
    assert text_key(SENTENCE.replace("Offer", "Do not offer")) != text_key(SENTENCE)
    label = make_label("g", 24, SENTENCE, "modality/text", "supports", origin="reader")
    assert label.anchor == "1 4 2 offer individual guided self help"
    assert len(label.anchor.split()) == ANCHOR_WORDS and label.tail == "of cognitive behavioural therapy cbt"
    assert label.hash == text_key(SENTENCE) and len(label.hash) == 12


def test_a_label_must_be_one_of_four():
    with pytest.raises(ConfigError, match="label 'maybe' is not one of supports, mentions, wrong_sense, boilerplate"):
        make_label("g", 1, SENTENCE, "x", "maybe")


@given(st.lists(st.tuples(st.integers(1, 300), st.text(min_size=1, max_size=80),
                          st.sampled_from(["supports", "mentions", "wrong_sense", "boilerplate"])), max_size=8))
def test_labels_round_trip_through_csv(tmp_path_factory, items):
    path = tmp_path_factory.mktemp("labels") / "g.csv"
    labels = [make_label("guide-1", page, text, "code/a", kind, origin="reader", note="a, \"quoted\" note")
              for page, text, kind in items]
    write_labels(path, labels)
    read = read_labels(path)
    assert sorted(read, key=lambda x: x.key) == sorted({x.key: x for x in labels}.values(), key=lambda x: x.key)
    assert read == read_labels(write_labels(path, read))  # sorted and stable


def test_a_bad_label_file_names_the_row(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("guide,page,code,label,anchor,tail,hash,origin,note\ng,x,c,supports,a,b,h,,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"g.csv: row 2: page 'x' is not a number"):
        read_labels(path)
    path.write_text("guide,page,code,label,anchor,tail,hash,origin,note\ng,2,c,yes,a,b,h,,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"g.csv: row 2: label 'yes' is not one of"):
        read_labels(path)


def unit(i, text, page=24, guide="g"):
    return Unit(f"{guide}:{page}:{i}", guide, page, page, text)


def test_labels_find_their_sentence_after_the_extraction_changed():
    label = make_label("g", 24, SENTENCE, "modality/text", "supports")
    # the same words with other spacing and hyphens, one page later: exact, nearest page wins
    exact = match_labels([label], [unit(1, SENTENCE.replace("self-help", "self- help"), page=30),
                                   unit(2, SENTENCE, page=25)])
    assert exact[0].status == "exact" and exact[0].unit.id == "g:25:2"
    # a running header was glued to the front (the head anchor fails, the tail finds it)
    header = match_labels([label], [unit(1, "NICE guideline NG222 | " + SENTENCE), unit(2, "Offer CBT.")])
    assert header[0].status == "changed" and header[0].unit.id == "g:24:1"
    # a table row now carries its column header
    row = match_labels([label], [unit(1, "Treatment: " + SENTENCE + " | How is this delivered?: in person")])
    assert row[0].status == "changed"
    # the sentence is gone (a contents page no longer makes sentences): lost, and reported as such
    lost = match_labels([label], [unit(1, "Something else entirely on this page.")])
    assert lost[0].status == "lost" and lost[0].unit is None
    # far pages and other guides are not searched by anchor
    assert match_labels([label], [unit(1, "x " + SENTENCE, page=40)])[0].status == "lost"
    assert match_labels([label], [unit(1, "x " + SENTENCE, guide="h")])[0].status == "lost"


def test_labels_find_their_sentence_by_most_of_its_words_when_the_extraction_reordered_it():
    # a table cell once read across two columns ("Beliefs and" from the row header) is now its own line
    old = "Beliefs and Who are the different ethnic and religious groups among the affected people? Religion"
    label = make_label("g", 17, old, "therapist_qualities/treat_equally", "supports")
    new = "» Who are the different ethnic and religious groups among the affected people?"
    found = match_labels([label], [unit(1, "Beliefs and Religion", page=17), unit(2, new, page=17),
                                   unit(3, "Who are the affected people and what are their needs?", page=17)])
    assert found[0].status == "changed" and found[0].unit.id == "g:17:2"
    # words scattered through a longer row: most of the anchor's words in one unit, in any order
    row = "Religion: beliefs | Who are the different ethnic groups and religious groups among the affected people"
    assert match_labels([label], [unit(4, row, page=18)])[0].unit.id == "g:18:4"
    # too few of the anchor's words, or the right words two pages away: lost
    assert match_labels([label], [unit(5, "Who are the affected people?", page=17)])[0].status == "lost"
    assert match_labels([label], [unit(6, new, page=19)])[0].status == "lost"


def test_a_short_anchor_only_matches_by_hash():
    label = make_label("g", 3, "Homework", "support/homework", "mentions")
    assert match_labels([label], [unit(1, "Review homework every week.", page=3)])[0].status == "lost"
    assert match_labels([label], [unit(1, "Homework", page=3)])[0].status == "exact"


@pytest.mark.corpus
def test_shipped_labels_survive_another_extraction_engine(tmp_path):
    """Labels made on pdfium.v1 segments are found again in pdfplumber.v1 segments of the same PDF."""
    from mapping_review import pipeline
    from mapping_review.coding.units import label_units
    from mapping_review.project.corpus import add_guide
    from mapping_review.project.layout import init_project
    from mapping_review.segment.segments import jsonl_to_segments

    pdf = need_corpus("guides", "nice_ng54_mh_learning_disabilities.pdf")
    labels = read_labels(ROOT / "data" / "coding" / "labels" / "nice_ng54_mh_learning_disabilities.csv")
    project = init_project(tmp_path / "review")
    add_guide(project, pdf, key="nice_ng54_mh_learning_disabilities", link=True)
    extracted = pipeline.extract_corpus(project, engine="pdfplumber.v1", jobs=1)
    pipeline.segment_corpus(project, engine="pdfplumber.v1", nlp_name="blank", extracted=extracted)
    segments = jsonl_to_segments((project.segments_dir / "nice_ng54_mh_learning_disabilities.jsonl").read_text())
    matches = match_labels(labels, label_units(segments))
    assert len(labels) > 100
    assert sum(m.status != "lost" for m in matches) / len(labels) > 0.97
    for m in matches:
        if m.status == "changed":
            assert m.label.anchor.replace(" ", "") in compact(m.unit.text) or \
                m.label.tail.replace(" ", "") in compact(m.unit.text)


def test_every_shipped_label_file_reads(tmp_path):
    import yaml

    files = sorted((ROOT / "data" / "coding" / "labels").glob("*.csv"))
    split = yaml.safe_load((ROOT / "data" / "coding" / "split.yaml").read_text())["guides"]
    assert sorted(p.stem for p in files) == sorted(g["key"] for g in split)  # one file per labelled guide
    for path in files:
        labels = read_labels(path)
        assert labels and {lab.guide for lab in labels} == {path.stem}
        assert all(len(lab.anchor.split()) <= ANCHOR_WORDS for lab in labels)  # no long copied passages


def test_split_is_fixed_and_keeps_families_together():
    import yaml

    split = yaml.safe_load((ROOT / "data" / "coding" / "split.yaml").read_text())["guides"]
    parts = {g["key"]: g["part"] for g in split}
    assert sum(p == "test" for p in parts.values()) >= 4
    families: dict[str, set[str]] = {}
    for g in split:
        families.setdefault(g["family"], set()).add(g["part"])
    assert all(len(p) == 1 for p in families.values())
    assert all(Path(g["file"]).suffix == ".pdf" for g in split)
    # a guide is measured (dev, test) with a reader sheet; a training guide may have one (a probe guide)
    assert set(parts.values()) == {"dev", "test", "train"}
    assert all(g.get("reader_sheet") for g in split if g["part"] != "train")
    assert any(g.get("reader_sheet") for g in split if g["part"] == "train")
    assert any(not g.get("reader_sheet") for g in split if g["part"] == "train")


def test_training_guides_train_the_classifier_only_when_asked_and_a_test_guide_never(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from devset import Devset, load_split

    split = load_split()
    devset = Devset(codebook=None, guides=split)  # type: ignore[arg-type]
    part = {g.key: g.part for g in split}
    assert {part[k] for k in devset.training_keys()} == {"dev"}
    assert {part[k] for k in devset.training_keys(training_guides=True)} == {"dev", "train"}
    # the probe guides are training guides with a reader sheet, never a development or test guide
    probe = devset.keys("probe")
    assert probe and {part[k] for k in probe} == {"train"}
    assert all(g.reader_sheet for g in split if g.key in probe)
    assert len(probe) < len(devset.keys("train"))


def test_probe_guides_are_never_scored_by_a_model_that_learnt_from_their_family(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import coding_quality
    from devset import Devset, load_split

    devset = Devset(codebook=SimpleNamespace(codes=[]), guides=load_split())  # type: ignore[arg-type]
    probe, family = devset.keys("probe"), {g.key: g.family or g.key for g in devset.guides}

    class Model:
        def __init__(self, trained_on):
            self.meta = {"trained_on": trained_on}

        def score(self, suggestions):
            return list(suggestions)

    coded = {g.key: [] for g in devset.guides}
    monkeypatch.setattr(coding_quality, "shipped_model", lambda: Model(devset.keys("dev")))
    assert coding_quality.scored(devset, coded, "probe", False) == {k: [] for k in probe}  # the shipped model
    fits = []
    monkeypatch.setattr(coding_quality, "label_index", lambda d, keys: ({}, {}))
    monkeypatch.setattr(coding_quality, "examples_of", lambda suggestions, index, group: [group])
    monkeypatch.setattr(coding_quality, "fit_evidence_model", lambda train, definitions: fits.append(train) or Model([]))
    monkeypatch.setattr(coding_quality, "shipped_model", lambda: Model([*devset.keys("dev"), probe[0]]))
    probe_families = sorted({family[k] for k in probe})
    for training_guides in (True, False):
        fits.clear()
        assert coding_quality.scored(devset, coded, "probe", False, training_guides=training_guides) == {
            k: [] for k in probe}
        # one fit per probe family, on the development (and training) guides of every other family
        assert len(fits) == len(probe_families) > 1
        training = [family[k] for k in devset.training_keys(training_guides=training_guides)]
        assert any(f in probe_families for f in training) == training_guides
        for held_out, train in zip(probe_families, fits):
            assert train == [f for f in training if f != held_out]
    with pytest.raises(SystemExit, match="would be in-sample"):  # a test guide is never scored so
        monkeypatch.setattr(coding_quality, "shipped_model", lambda: Model(devset.keys("test")[:1]))
        coding_quality.scored(devset, coded, "test", False)


def test_figures_by_family_count_each_family_on_its_own_guides(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from types import SimpleNamespace

    import coding_quality
    from devset import Devset, SplitGuide

    guides = [SplitGuide(key=k, file=f"{k}.pdf", part="dev", family=f, reader_sheet="s.csv") for k, f in
              (("a1", "fam_a"), ("a2", "fam_a"), ("b1", ""))]
    codebook = SimpleNamespace(codes=[SimpleNamespace(id="c"), SimpleNamespace(id="d")])
    truth = {("a1", "c"): True, ("a1", "d"): False, ("a2", "c"): True, ("a2", "d"): True,
             ("b1", "c"): False, ("b1", "d"): True}
    devset = Devset(codebook=codebook, guides=guides, truth=truth)  # type: ignore[arg-type]
    machine = {("a1", "c"): True, ("a1", "d"): False, ("a2", "c"): True, ("a2", "d"): False,
               ("b1", "c"): True, ("b1", "d"): True}
    ranked = {k: [SimpleNamespace(segment=f"{k[0]}-{k[1]}")] for k in machine}
    index = {("a1", "a1-c", "c"): make_label("a1", 1, "x", "c", "supports"),
             ("a2", "a2-c", "c"): make_label("a2", 1, "y", "c", "mentions"),
             ("b1", "b1-c", "c"): make_label("b1", 1, "z", "c", "supports")}
    present = [k for k, v in machine.items() if v]
    out = coding_quality.by_family(devset, ["a1", "a2", "b1"], ranked, present, index, machine)
    # a guide without a family is a family of its own; each family's precision and kappa use its guides only
    assert set(out) == {"fam_a", "b1"}
    n, p1, labelled, kappa = out["fam_a"]
    assert (n, p1, labelled) == (2, 0.5, 2) and kappa == coding_quality.cohen_kappa(truth, machine, [
        ("a1", "c"), ("a1", "d"), ("a2", "c"), ("a2", "d")])
    assert out["b1"][:3] == (1, 1.0, 1)


def test_chance_intervals_resample_the_best_passages_and_the_readers_cells(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import coding_quality

    from mapping_review.bootstrap import bootstrap_interval
    from mapping_review.coding.quality import PrecisionReport, kappa_of, share

    outcomes = [i % 3 != 0 for i in range(301)]  # enough items that another seed gives another interval
    p1 = PrecisionReport(1, outcomes=outcomes)
    keys = [("g", f"c{i}") for i in range(12)]
    truth = {k: i % 2 == 0 for i, k in enumerate(keys)}
    machine = {k: i % 3 == 0 for i, k in enumerate(keys)}
    out = coding_quality.chance_intervals(p1, truth, machine, keys)
    assert out["p1_interval"] == bootstrap_interval(share, outcomes)
    assert out["p1_interval"] != bootstrap_interval(share, outcomes, seed=1)
    assert out["kappa_interval"] == bootstrap_interval(kappa_of, [(truth[k], machine[k]) for k in keys])
    assert out["kappa_interval"] != bootstrap_interval(kappa_of, [(machine[k], machine[k]) for k in keys])
    assert out["kappa_interval"][0] < coding_quality.cohen_kappa(truth, machine, keys) < out["kappa_interval"][1]


def test_the_key_folds_ligatures_and_drops_underscores():
    # a PDF may carry the "fi" ligature as one glyph, and an extraction may join words with "_"
    assert compact("Identiﬁed") == "identified" and compact("self_help") == "selfhelp"
    # full-width letters (an East Asian font's "CBT") are the same letters
    assert compact("ＣＢＴ") == "cbt" and text_key("Offer ＣＢＴ.") == text_key("Offer CBT.")
    assert text_key("Find a ﬁrst step.") == text_key("Find a first step.")
    assert text_key("Use self_help books.") == text_key("Use self help books.")
    label = make_label("g", 2, "Oﬀer a ﬁrst step.", "c", "supports")
    assert label.anchor == "offer a first step" and label.tail == "offer a first step"
    assert match_labels([label], [unit(1, "Offer a first step.", page=2)])[0].status == "exact"


def test_an_anchor_of_exactly_the_shortest_length_is_searched():
    # the first eight words "if so we ask a gp to do" make 16 letters, the fewest that may be searched;
    # the tail "it then we go home" has 14 (too few), so only the anchor can find the sentence
    text = "If so we ask a GP to do it, then we go home."
    label = make_label("g", 5, text, "c", "mentions")
    assert len(label.anchor.replace(" ", "")) == 16 and len(label.tail.replace(" ", "")) == 14
    glued = unit(1, "Care plan | " + text, page=5)  # holds the anchor as it was
    scattered = unit(2, "we do ask a GP to if so", page=5)  # the anchor's words only, in another order
    found = match_labels([label], [glued, scattered])[0]
    assert found.status == "changed" and found.unit.id == "g:5:1"


def test_anchor_search_keeps_to_the_labels_page_and_its_neighbours():
    label = make_label("g", 24, SENTENCE, "c", "supports")
    for page in (23, 25):
        assert match_labels([label], [unit(1, "x " + SENTENCE, page=page)])[0].unit.id == f"g:{page}:1"
    for page in (22, 26):  # two pages away
        assert match_labels([label], [unit(1, "x " + SENTENCE, page=page)])[0].status == "lost"
    # a unit that runs over several pages is searched on every page it covers
    long_row = Unit("g:22:9", "g", 22, 24, "Table 3 | " + SENTENCE)
    scattered = unit(2, "based on the self help principles offer individual guided 1 4 2", page=23)
    assert match_labels([label], [long_row, scattered])[0].unit.id == "g:22:9"


def test_anchor_search_prefers_the_labels_own_page_then_the_anchor_then_reading_order():
    label = make_label("g", 24, SENTENCE, "c", "supports")
    next_page, own_page = unit(1, "x " + SENTENCE, page=25), unit(2, "y " + SENTENCE, page=24)
    assert match_labels([label], [next_page, own_page])[0].unit.id == "g:24:2"
    # one unit keeps the tail only, another the anchor only: the anchor's unit
    tail_only = unit(3, "Header | of cognitive behavioural therapy (CBT).")
    head_only = unit(4, "1.4.2 Offer individual guided self-help | see table")
    assert match_labels([label], [tail_only, head_only])[0].unit.id == "g:24:4"
    # two units equally good: the first in reading order
    assert match_labels([label], [unit(5, "x " + SENTENCE), unit(6, "y " + SENTENCE)])[0].unit.id == "g:24:5"


def test_overlap_needs_four_fifths_of_the_anchor_and_the_whole_tail():
    # ten distinct words: the anchor is the first eight, the tail the last five
    text = "alpha bravo charlie delta echo foxtrot golf hotel india juliet"
    label = make_label("g", 7, text, "c", "supports")
    assert label.anchor.split() == text.split()[:8] and label.tail.split() == text.split()[5:]
    # reordered, so neither the anchor nor the tail appears in one piece
    seven = unit(1, "hotel golf foxtrot echo delta charlie bravo", page=7)  # 7 of 8 anchor words, 3 of 5 tail
    assert match_labels([label], [seven])[0].unit.id == "g:7:1"
    six = unit(2, "golf foxtrot echo delta charlie bravo", page=7)  # 6 of 8 = 0.75, 2 of 5 tail
    assert match_labels([label], [six])[0].status == "lost"
    five = unit(3, "golf foxtrot echo delta charlie", page=7)  # 5 of 8, 2 of 5 tail
    assert match_labels([label], [five])[0].status == "lost"
    whole_tail = unit(4, "juliet india hotel golf foxtrot", page=7)  # all 5 tail words, 3 of 8 anchor
    assert match_labels([label], [whole_tail])[0].unit.id == "g:7:4"
    four_of_tail = unit(5, "juliet india hotel golf", page=7)  # 4 of 5 tail words, 3 of 8 anchor
    assert match_labels([label], [four_of_tail])[0].status == "lost"


def test_an_anchor_of_four_distinct_words_is_found_by_overlap_and_of_three_is_not():
    four = make_label("g", 3, "Offer sleep hygiene advice.", "c", "supports")
    assert match_labels([four], [unit(1, "Advice: sleep hygiene (offer)", page=3)])[0].unit.id == "g:3:1"
    three = make_label("g", 3, "Offer sleep advice.", "c", "supports")
    assert match_labels([three], [unit(1, "Advice: sleep (offer)", page=3)])[0].status == "lost"


def test_overlap_prefers_the_labels_own_page_then_the_smaller_unit():
    text = "alpha bravo charlie delta echo foxtrot golf hotel india juliet"
    label = make_label("g", 7, text, "c", "supports")
    small_next_page = unit(1, "hotel golf foxtrot echo delta charlie bravo alpha", page=8)
    large_own_page = unit(2, "hotel golf foxtrot echo delta charlie bravo alpha and more words", page=7)
    assert match_labels([label], [small_next_page, large_own_page])[0].unit.id == "g:7:2"
    larger, smaller = unit(3, "and more words hotel golf foxtrot echo delta charlie bravo alpha", page=7), \
        unit(4, "hotel golf foxtrot echo delta charlie bravo alpha", page=7)
    assert match_labels([label], [larger, smaller])[0].unit.id == "g:7:4"


def test_overlap_ranks_a_unit_by_the_better_of_anchor_and_tail():
    text = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike"
    label = make_label("g", 7, text, "c", "supports")
    assert label.anchor.split() == text.split()[:8] and label.tail.split() == text.split()[8:]
    # the whole tail and 7 of 8 anchor words (best share 1.0), the smaller unit
    a = unit(1, "mike lima kilo juliet india golf foxtrot echo delta charlie bravo alpha", page=7)
    # the whole anchor and 3 of 5 tail words (best share 1.0), a larger unit
    b = unit(2, "hotel golf foxtrot echo delta charlie bravo alpha juliet kilo lima x y", page=7)
    assert match_labels([label], [b, a])[0].unit.id == "g:7:1"


def test_labels_of_several_guides_are_found_by_overlap_each_in_its_own_guide():
    g = make_label("g", 3, "Offer sleep hygiene advice.", "c", "supports")
    h = make_label("h", 3, "Offer sleep hygiene advice.", "c", "supports")
    units = [unit(1, "Advice: sleep hygiene (offer)", page=3, guide="g"),
             unit(1, "Advice: sleep hygiene (offer)", page=3, guide="h")]
    assert [m.unit.id for m in match_labels([g, h], units)] == ["g:3:1", "h:3:1"]


def test_blank_lines_in_a_label_file_are_skipped(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("guide,page,code,label,anchor,tail,hash,origin,note\n\ng,2,c,supports,a,b,h,,\n\n",
                    encoding="utf-8")
    assert [(lab.guide, lab.page, lab.label) for lab in read_labels(path)] == [("g", 2, "supports")]


def test_overlap_of_exactly_four_fifths_of_the_anchor_is_enough():
    label = make_label("g", 7, "alpha bravo charlie delta echo", "c", "supports")  # anchor and tail: five words
    assert match_labels([label], [unit(1, "echo delta charlie bravo", page=7)])[0].unit.id == "g:7:1"  # 4 of 5


def test_an_exact_match_takes_the_nearest_page_on_either_side():
    label = make_label("g", 24, SENTENCE, "c", "supports")
    found = match_labels([label], [unit(1, SENTENCE, page=20), unit(2, SENTENCE, page=25)])[0]
    assert found.status == "exact" and found.unit.id == "g:25:2"
    found = match_labels([label], [unit(1, SENTENCE, page=28), unit(2, SENTENCE, page=23)])[0]
    assert found.status == "exact" and found.unit.id == "g:23:2"


def test_a_label_file_with_other_columns_is_refused(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("guide,page,label,code,anchor,tail,hash,origin,note\ng,2,supports,c,a,b,h,,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"g.csv: row 1: expected the columns guide, page, code, label"):
        read_labels(path)


def test_a_label_file_is_written_in_page_order_within_a_guide(tmp_path):
    labels = [make_label("g", 2, "Second page.", "a/code", "supports"),
              make_label("g", 1, "First page.", "b/code", "mentions"),
              make_label("f", 9, "Other guide.", "z/code", "supports")]
    rows = write_labels(tmp_path / "g.csv", labels).read_text(encoding="utf-8").splitlines()[1:]
    assert [row.split(",")[:3] for row in rows] == [["f", "9", "z/code"], ["g", "1", "b/code"], ["g", "2", "a/code"]]


def test_a_row_of_empty_cells_in_a_label_file_is_skipped(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("guide,page,code,label,anchor,tail,hash,origin,note\n,,,,,,,,\ng,2,c,supports,a,b,h,,\n",
                    encoding="utf-8")
    assert [(lab.guide, lab.page) for lab in read_labels(path)] == [("g", 2)]


def test_a_model_never_learns_from_labels_written_on_its_own_suggestions(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from train_evidence import labels_for

    origins = ["machine:rules.v3+evidence-clf.v8", "machine:evidence-clf.v8", "machine:rules.v3+evidence-clf.v7",
               "machine:rules.v1", "reader", "", "machine:rules.v3+evidence-clf.v80"]
    labels = [make_label("g", i, f"sentence {i}", "c", "supports", origin=o) for i, o in enumerate(origins)]
    kept = labels_for("evidence-clf.v8", labels)
    # labelled after v8 was shipped (its own top passages): for its successor; every other label trains it
    assert [label.origin for label in kept] == origins[2:]
    assert [label.origin for label in labels_for("evidence-clf.v9", labels)] == origins


def test_the_labels_digest_changes_with_any_column_and_only_then(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from dataclasses import replace

    from train_evidence import labels_digest

    labels = [make_label("g", 3, SENTENCE, "modality/text", "supports", origin="reader"),
              make_label("g", 4, "Agree a plan with the person.", "client_centered", "mentions")]
    digest = labels_digest(labels)
    assert len(digest) == 16 and labels_digest(list(labels)) == digest
    for changed in ({"label": "mentions"}, {"origin": "machine:rules.v1"}, {"page": 5}, {"note": "x"}):
        assert labels_digest([replace(labels[0], **changed), labels[1]]) != digest
    assert labels_digest(labels[::-1]) != digest and labels_digest(labels[:1]) != digest


def test_the_check_says_whether_the_shipped_model_is_what_the_labels_make(monkeypatch, tmp_path, capsys):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    from train_evidence import check

    from mapping_review.coding.evidence import EvidenceModel, save_model

    model = EvidenceModel({"plan": 0}, (1.0,), (0.5,), {"cue:x": 0.2}, -0.1, meta={"labels_sha256": "a"})
    shipped = save_model(model, tmp_path / "evidence.json")
    assert check(model, shipped) == 0 and "is what the labels make" in capsys.readouterr().out
    for other in (EvidenceModel({"plan": 0}, (1.0,), (0.5,), {"cue:x": 0.2}, -0.1, meta={"labels_sha256": "b"}),
                  EvidenceModel({"plan": 0}, (1.0,), (0.6,), {"cue:x": 0.2}, -0.1, meta={"labels_sha256": "a"})):
        assert check(other, shipped) == 1
        assert "is not what the labels make: run benchmarks/train_evidence.py" in capsys.readouterr().err
    assert check(model, tmp_path / "missing.json") == 1


def test_a_row_cut_short_after_its_last_filled_cell_reads_the_missing_cells_as_empty(tmp_path):
    # a spreadsheet may drop the empty cells at the end of a row: tail, hash, origin and note are then empty
    path = tmp_path / "g.csv"
    path.write_text("guide,page,code,label,anchor,tail,hash,origin,note\ng,2,c,supports,a b\n", encoding="utf-8")
    [lab] = read_labels(path)
    assert (lab.guide, lab.page, lab.code, lab.label, lab.anchor) == ("g", 2, "c", "supports", "a b")
    assert (lab.tail, lab.hash, lab.origin, lab.note) == ("", "", "", "")


def test_a_label_file_is_the_same_whatever_order_its_labels_came_in(tmp_path):
    # three sentences on one page, all labelled for one code: only their hashes tell them apart
    labels = [make_label("g", 4, text, "c", "supports") for text in ("First one.", "Second one.", "Third one.")]
    first = write_labels(tmp_path / "a.csv", labels).read_text(encoding="utf-8")
    second = write_labels(tmp_path / "b.csv", labels[::-1]).read_text(encoding="utf-8")
    assert first == second
    assert [row.split(",")[6] for row in first.splitlines()[1:]] == sorted(lab.hash for lab in labels)


def test_one_sentence_keeps_a_label_for_each_of_its_codes(tmp_path):
    labels = [make_label("g", 4, SENTENCE, "modality/text", "supports"),
              make_label("g", 4, SENTENCE, "methods/cbt", "mentions")]
    assert labels[0].key != labels[1].key
    read = read_labels(write_labels(tmp_path / "g.csv", labels))
    assert [(lab.code, lab.label) for lab in read] == [("methods/cbt", "mentions"), ("modality/text", "supports")]


def test_anchor_search_finds_a_sentence_on_either_neighbouring_page_before_a_scattered_one_on_its_own():
    # the anchor and tail on the page before or after beat a unit of the label's own page that only holds
    # the words in another order (which the overlap search would take)
    label = make_label("g", 24, SENTENCE, "c", "supports")
    scattered = unit(2, "based on the self help principles offer individual guided 1 4 2", page=24)
    for page in (23, 25):
        glued = unit(1, "x " + SENTENCE, page=page)
        assert match_labels([label], [glued, scattered])[0].unit.id == f"g:{page}:1"


def test_a_tail_of_exactly_the_shortest_length_is_searched():
    # the tail "dose by dose by dose" makes 16 letters, the fewest that may be searched; its two distinct
    # words are too few for the overlap search, and the unit does not hold the anchor
    text = "Raise the dose slowly, dose by dose by dose."
    label = make_label("g", 5, text, "c", "mentions")
    assert len(label.tail.replace(" ", "")) == 16 and len(set(label.tail.split())) == 2
    found = match_labels([label], [unit(1, "Then dose by dose by dose.", page=5)])[0]
    assert found.status == "changed" and found.unit.id == "g:5:1"


def test_anchor_search_prefers_the_anchor_on_a_neighbouring_page_to_the_tail_on_the_labels_own_page():
    label = make_label("g", 24, SENTENCE, "c", "supports")
    tail_only = unit(1, "Header | of cognitive behavioural therapy (CBT).", page=24)
    head_only = unit(2, "1.4.2 Offer individual guided self-help | see table", page=25)
    assert match_labels([label], [tail_only, head_only])[0].unit.id == "g:25:2"


def test_a_column_added_after_the_nine_is_ignored(tmp_path):
    # a reader may keep a column of their own at the end of the sheet
    path = tmp_path / "g.csv"
    path.write_text("guide,page,code,label,anchor,tail,hash,origin,note,checked by\n"
                    "g,2,c,supports,a,b,h,reader,n,AB\n", encoding="utf-8")
    assert read_labels(path) == [SentenceLabel("g", 2, "c", "supports", "a", "b", "h", "reader", "n")]
