"""Sentences: a text spaCy's sentencizer would leave whole is not run through the pipeline."""

import hashlib
import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mapping_review.errors import MappingReviewError
from mapping_review.extract import Block, Document, Page
from mapping_review.extract.ocr import OcrResult
from mapping_review.segment import stage as segment_stage
from mapping_review.segment.inspect import page_of, page_segments
from mapping_review.segment.nlp import load_nlp, pipeline_id
from mapping_review.segment.segments import (
    _sentence_spans,
    document_headings,
    document_to_segments,
    jsonl_to_segments,
    segments_to_jsonl,
)

_PIECES = ["Offer", "CBT", ".", "?", "!", "…", " ", "  ", "e.g.", "1.2", "(see", "below)", "\n", "“", "”", "–",
           "ok;", "U.K."]


@pytest.fixture(scope="module")
def nlp():
    return load_nlp("blank", sentences_only=True)


@given(words=st.lists(st.sampled_from(_PIECES), max_size=9), sep=st.sampled_from(["", " "]))
def test_texts_left_whole_without_the_pipeline_are_the_sentences_spacy_finds(nlp, words, sep):
    texts = [sep.join(words), " " + sep.join(words) + " \n"]
    assert _sentence_spans(nlp, texts) == _sentence_spans(nlp, texts, quick=False)


def test_a_text_with_a_mark_inside_is_split_and_one_without_is_kept_whole(nlp):
    texts = ["  Offer CBT. Review it in 2 weeks.", "  Offer CBT to the person.  ", "   ", "Offer CBT"]
    assert _sentence_spans(nlp, texts) == [[(2, 12), (13, 34)], [(2, 26)], [], [(0, 9)]]


def test_a_sentencizer_with_marks_of_several_characters_runs_on_every_text():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer", config={"punct_chars": ["...", "\n\n", "!", "?", "."]})
    texts = ["Offer CBT\n\nReview it in 2 weeks", "Offer CBT"]
    assert _sentence_spans(nlp, texts) == _sentence_spans(nlp, texts, quick=False) == [[(0, 9), (11, 31)], [(0, 9)]]


# Documents built block by block: each page is ``(number, [block, ...])``; a block is ``(kind, text)`` or
# ``(kind, text, {field: value})``. Blocks sit in the page text one line apart.
def _doc(*pages):
    out = []
    for number, blocks in pages:
        made, offset = [], 0
        for i, (kind, text, *extra) in enumerate(blocks):
            fields = {"level": 1 if kind == "heading" else 0, **(extra[0] if extra else {})}
            made.append(Block(kind, text, (72.0, 100.0 + 20 * i, 500.0, 115.0 + 20 * i), 11.0, kind == "heading",
                              1, start=offset, end=offset + len(text), **fields))
            offset += len(text) + 1
        out.append(Page(number, 612.0, 792.0, "text", "\n".join(b.text for b in made), tuple(made)))
    return Document("x", "test", len(out), tuple(out))


def _digest(kind, text):
    return hashlib.sha1(f"{kind}\x1f{text}".encode()).hexdigest()[:10]


def test_ids_are_the_guide_the_page_and_a_digest_of_kind_and_text(nlp):
    segments = document_to_segments(_doc((3, [("paragraph", "Offer CBT to adults.")])), guide="g", nlp=nlp)
    assert [(s.kind, s.id) for s in segments] == [
        ("paragraph", f"g:3:{_digest('paragraph', 'Offer CBT to adults.')}"),
        ("sentence", f"g:3:{_digest('sentence', 'Offer CBT to adults.')}"),
    ]


def test_the_same_text_twice_on_a_page_is_numbered_from_two(nlp):
    doc = _doc((1, [("paragraph", "Review at 2 weeks."), ("paragraph", "Offer CBT."), ("paragraph", "Review at 2 weeks.")]))
    segments = document_to_segments(doc, guide="g", nlp=nlp)
    base = f"g:1:{_digest('sentence', 'Review at 2 weeks.')}"
    assert [s.id for s in segments if s.kind == "sentence" and s.text == "Review at 2 weeks."] == [base, f"{base}~2"]
    assert len({s.id for s in segments}) == len(segments)


def test_a_sentence_carried_on_to_the_next_page_is_placed_and_named_by_where_it_starts(nlp):
    doc = _doc((1, [("paragraph", "Intro line."), ("paragraph", "Offer CBT to adults. Review")]),
               (2, [("paragraph", "it in 2 weeks. Then stop.", {"continues": True})]))
    segments = document_to_segments(doc, guide="g", nlp=nlp)
    para = next(s for s in segments if s.kind == "paragraph" and s.text.startswith("Offer"))
    assert para.text == "Offer CBT to adults. Review it in 2 weeks. Then stop."
    assert (para.page, para.start, para.end_page, para.end) == (1, 12, 2, 25)
    assert para.id == f"g:1:{_digest('paragraph', para.text)}"
    assert para.bbox == (72.0, 120.0, 500.0, 135.0)  # where it starts
    sentences = [(s.text, s.page, s.start, s.end_page, s.end, s.id) for s in segments if s.parent == para.id]
    assert sentences == [
        ("Offer CBT to adults.", 1, 12, 1, 32, f"g:1:{_digest('sentence', 'Offer CBT to adults.')}"),
        ("Review it in 2 weeks.", 1, 33, 2, 14, f"g:1:{_digest('sentence', 'Review it in 2 weeks.')}"),
        ("Then stop.", 2, 15, 2, 25, f"g:2:{_digest('sentence', 'Then stop.')}"),
    ]
    assert [s.boxes for s in segments if s.parent == para.id][1:] == [
        ((1, 72.0, 120.0, 500.0, 135.0), (2, 72.0, 100.0, 500.0, 115.0)), ((2, 72.0, 100.0, 500.0, 115.0),)]
    assert [s.bbox for s in segments if s.parent == para.id] == [(72.0, 120.0, 500.0, 135.0)] * 2 + [
        (72.0, 100.0, 500.0, 115.0)]


def test_a_heading_carried_on_to_the_next_page_is_one_heading_at_the_page_it_starts_on():
    doc = _doc((1, [("paragraph", "Offer CBT."), ("heading", "1.2 Care of people with")]),
               (2, [("heading", "learning disabilities", {"continues": True}), ("heading", "1.3 Review", {"level": 2})]))
    assert document_headings(doc) == [(1, "1.2 Care of people with learning disabilities", 1), (2, "1.3 Review", 2)]


def test_cut_off_tags_tails_and_brackets_stay_with_their_sentence(nlp):
    texts = ["Offer CBT.\n[2009].", "Give 2.5 mg. daily at night.", "Offer CBT. (Review it.)", "Offer CBT. Review it."]
    spans = _sentence_spans(nlp, texts)
    assert [[text[a:b] for a, b in s] for text, s in zip(texts, spans)] == [
        ["Offer CBT.\n[2009]."], ["Give 2.5 mg. daily at night."], ["Offer CBT. (Review it.)"],
        ["Offer CBT.", "Review it."]]


def _sections_doc():
    care, choice, review = ("1 Care",), ("1 Care", "1.1 Choice"), ("1 Care", "1.2 Review")
    return _doc((1, [("heading", "1 Care", {"section": care}),
                     ("heading", "1.1 Choice", {"level": 2, "section": choice}),
                     ("paragraph", "Offer CBT. Explain it.", {"section": choice}),
                     ("paragraph", "1.1.1 Offer either:", {"section": choice, "number": "1.1.1"}),
                     ("list_item", "• group CBT", {"section": choice}),
                     ("paragraph", "Things to discuss:", {"section": choice}),
                     ("list_item", "• side effects", {"section": choice})]),
                (2, [("heading", "1.2 Review", {"level": 2, "section": review}),
                     ("paragraph", "Review it.", {"section": review})]))


def test_headings_paragraphs_and_sentences_nest_in_reading_order(nlp):
    segments = document_to_segments(_sections_doc(), guide="g", nlp=nlp)
    by_id = {s.id: s for s in segments}
    rows = [(s.kind, s.role, s.text, s.section, by_id[s.parent].text if s.parent else None) for s in segments]
    choice, review = ("1 Care", "1.1 Choice"), ("1 Care", "1.2 Review")
    assert rows == [
        ("section", "heading", "1 Care", ("1 Care",), None),
        ("section", "heading", "1.1 Choice\n\nOffer CBT. Explain it.\n\n1.1.1 Offer either:\n\n• group CBT\n\n"
                               "Things to discuss:\n\n• side effects", choice, None),
        ("paragraph", "text", "Offer CBT. Explain it.", choice, rows[1][2]),
        ("sentence", "text", "Offer CBT.", choice, "Offer CBT. Explain it."),
        ("sentence", "text", "Explain it.", choice, "Offer CBT. Explain it."),
        ("paragraph", "recommendation", "1.1.1 Offer either:\n\n• group CBT", choice, rows[1][2]),
        ("sentence", "recommendation", "1.1.1 Offer either:", choice, "1.1.1 Offer either:\n\n• group CBT"),
        ("sentence", "recommendation", "• group CBT", choice, "1.1.1 Offer either:\n\n• group CBT"),
        ("paragraph", "text", "Things to discuss:", choice, rows[1][2]),
        ("sentence", "text", "Things to discuss:", choice, "Things to discuss:"),
        ("paragraph", "list_item", "• side effects", choice, rows[1][2]),
        ("sentence", "list_item", "• side effects", choice, "• side effects"),
        ("section", "heading", "1.2 Review\n\nReview it.", review, None),
        ("paragraph", "text", "Review it.", review, "1.2 Review\n\nReview it."),
        ("sentence", "text", "Review it.", review, "Review it."),
    ]


def test_segments_round_trip_through_jsonl(nlp):
    segments = document_to_segments(_sections_doc(), guide="g", nlp=nlp)
    segments[-1] = replace(segments[-1], source="ocr", confidence=0.75)
    text = segments_to_jsonl(segments)
    assert [("source" in json.loads(line)) for line in text.splitlines()] == [False] * (len(segments) - 1) + [True]
    assert jsonl_to_segments(text.replace("\n", "\n\n", 3)) == segments


def test_a_text_whose_only_mark_comes_first_is_split_as_spacy_splits_it(nlp):
    texts = ["?Offer CBT", "!Review it"]
    assert _sentence_spans(nlp, texts) == _sentence_spans(nlp, texts, quick=False) == [[(0, 1), (1, 10)]] * 2


def test_a_page_shows_the_segments_that_run_onto_it(nlp):
    doc = _doc((1, [("paragraph", "Offer CBT to adults. Review")]),
               (2, [("paragraph", "it in 2 weeks. Then stop.", {"continues": True})]))
    segments = document_to_segments(doc, guide="g", nlp=nlp)
    assert [s.text for s in page_segments(segments, 2)] == [
        "Offer CBT to adults. Review it in 2 weeks. Then stop.", "Review it in 2 weeks.", "Then stop."]


def test_segments_on_an_ocred_page_are_marked_with_the_confidence_of_their_words(nlp, monkeypatch, tmp_path):
    doc = _doc((1, [("paragraph", "Offer CBT to adults. Review")]),
               (2, [("paragraph", "it in 2 weeks. Then stop.", {"continues": True})]))
    segments = document_to_segments(doc, guide="g", nlp=nlp)
    ocr = OcrResult(tmp_path / "x.pdf", {2: [(80.0, 102.0, 120.0, 112.0, 0.5)]})
    monkeypatch.setattr(segment_stage, "load_ocr", lambda *args: ocr)
    marked = segment_stage.mark_ocr(segments, tmp_path, "x")
    assert [(s.text, s.source, s.confidence) for s in marked] == [
        ("Offer CBT to adults. Review it in 2 weeks. Then stop.", "ocr", 0.5),
        ("Offer CBT to adults.", "", None), ("Review it in 2 weeks.", "ocr", 0.5), ("Then stop.", "ocr", 0.5)]


def test_a_page_outside_the_guide_is_an_error():
    doc = _doc((1, [("paragraph", "Offer CBT.")]), (2, [("paragraph", "Review it.")]))
    assert page_of(doc, 2).number == 2
    for number in (0, 3):
        with pytest.raises(MappingReviewError, match="out of range"):
            page_of(doc, number)


def test_the_pipeline_id_names_its_language_name_and_version():
    import spacy

    nlp = spacy.blank("fr")
    nlp.meta.update(name="custom", version="1.2.0")
    assert pipeline_id(nlp) == "fr_custom-1.2.0"
