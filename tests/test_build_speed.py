"""What keeps builds fast and their files stable: the document cache, segments made in the extraction
workers, plans made from summaries, and figures drawn only when what they show changed."""

import gzip
import json
import os
import subprocess
import sys
from dataclasses import asdict

from pdfmaker import guide_pages, make_pdf

from mapping_review import pipeline
from mapping_review.extract import cache
from mapping_review.extract.model import Page
from mapping_review.project.corpus import add_guide
from mapping_review.publish import figure_files, figures
from mapping_review.segment import stage as segment_stage
from mapping_review.segment.inspect import load_extracted, load_segments
from mapping_review.segment.nlp import load_nlp, sentence_pipes


def small_project(project, n=3):
    for i in range(n):
        make_pdf(project.corpus_dir / f"g{i}.pdf", guide_pages(title=f"Guide number {i}"))
        add_guide(project, project.corpus_dir / f"g{i}.pdf", key=f"g{i}")
    return project


def test_the_cache_file_is_the_same_bytes_whatever_its_temporary_name(project, tmp_path, monkeypatch):
    small_project(project, 1)
    pipeline.extract_corpus(project, jobs=1)
    doc = load_extracted(project, "g0")
    first = cache.save_document(tmp_path / "a", doc).read_bytes()
    monkeypatch.setattr(cache.os, "getpid", lambda: 424242)
    second = cache.save_document(tmp_path / "b", doc).read_bytes()
    assert first == second
    assert first[3] & 0x08 == 0  # no file name in the gzip header
    assert first[4:8] == b"\0\0\0\0"  # no time either
    assert json.loads(gzip.decompress(first)) == json.loads(json.dumps(doc.to_dict()))


def test_plans_come_from_summaries_not_from_reading_documents(project, monkeypatch):
    small_project(project, 2)
    first = pipeline.extract_corpus(project, jobs=1)
    monkeypatch.setattr(cache, "load_document", lambda *a: (_ for _ in ()).throw(AssertionError("read")))
    again = pipeline.extract_corpus(project, jobs=1)
    assert [r.status for r in again] == ["cached", "cached"]
    assert [(r.n_pages, r.page_status, r.warnings) for r in again] == \
        [(r.n_pages, r.page_status, r.warnings) for r in first]


def test_fresh_documents_are_segmented_in_their_workers(project, monkeypatch):
    small_project(project, 3)

    def no_reading(*args):
        raise AssertionError("the segment stage read a document back from the cache")

    monkeypatch.setattr(segment_stage, "load_document", no_reading)
    _, segmented = pipeline.extract_and_segment(project, nlp_name="blank", jobs=2)
    assert [r.status for r in segmented] == ["segmented"] * 3
    assert all(r.n_segments > 5 for r in segmented)
    state = json.loads((project.segments_dir / "state.json").read_text(encoding="utf-8"))
    assert sorted(state) == ["g0", "g1", "g2"] and state["g1"]["nlp_request"] == "blank"
    _, again = pipeline.extract_and_segment(project, nlp_name="blank", jobs=2)
    assert [r.status for r in again] == ["up to date"] * 3


def test_segment_and_block_dicts_are_those_of_asdict(project):
    small_project(project, 1)
    pipeline.extract_and_segment(project, nlp_name="blank", jobs=1)
    for seg in load_segments(project, "g0"):
        reference = asdict(seg)
        del reference["source"], reference["confidence"]
        assert json.dumps(seg.to_dict()) == json.dumps(reference)
    page: Page = load_extracted(project, "g0").pages[0]
    assert json.dumps(page.to_dict(), sort_keys=True) == json.dumps(asdict(page), sort_keys=True)


def test_the_sentences_only_pipeline_finds_the_same_sentences():
    full, short = load_nlp("blank"), load_nlp("blank", sentences_only=True)
    assert short.pipe_names == ["sentencizer"] and "lemmatizer" in full.pipe_names
    text = "Offer CBT (see 1.2.3). Dr. Smith said: e.g. this works! Does it? [2009, amended 2022] Yes."
    with full.select_pipes(enable=sentence_pipes(full)):
        expected = [s.text for s in full(text).sents]
    assert [s.text for s in short(text).sents] == expected


def test_figures_are_drawn_again_only_when_what_they_show_changed(project, monkeypatch):
    small_project(project, 2)
    log = project.root / "drawn.txt"  # figures are drawn in the figure process: it writes them down here
    real = figures.save_figure

    def save(fig, folder, name):
        with log.open("a") as fh:
            fh.write(f"{name}\n")
        return real(fig, folder, name)

    def drawn():
        return sorted(log.read_text().split()) if log.exists() else []

    monkeypatch.setattr(figures, "save_figure", save)
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert drawn() == ["coverage", "heatmap", "network"]
    log.unlink()
    pipeline.build_project(project, nlp_name="blank", jobs=1, force=True)
    assert drawn() == []
    (project.build_dir / "figures" / "network.svg").unlink()
    pipeline.build_project(project, nlp_name="blank", jobs=1, force=True)
    assert drawn() == ["network"]
    text = project.manifest_path.read_text(encoding="utf-8").replace("key: g1\n", "key: g1\n    label: Renamed\n")
    project.manifest_path.write_text(text, encoding="utf-8")
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert drawn() == ["heatmap", "network", "network"]  # coverage shows no guide names


def log_pids(monkeypatch, owner, name, log):
    """Have every call of ``owner.name`` write the id of the process it runs in to ``log``."""
    real = getattr(owner, name)

    def logged(*args, **kwargs):
        with log.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, logged)


def test_fresh_segments_are_coded_in_their_workers(project, monkeypatch, tmp_path):
    from mapping_review.coding.rules import RuleCoder

    small_project(project, 3)
    log = tmp_path / "pids.txt"
    log_pids(monkeypatch, RuleCoder, "code_segments", log)
    report = pipeline.build_project(project, nlp_name="blank", jobs=2)
    assert [r.status for r in report.code] == ["coded"] * 3
    pids = log.read_text().split()
    assert len(pids) == 3 and str(os.getpid()) not in pids
    assert all((project.build_dir / "codings" / f"g{i}.jsonl").stat().st_size > 0 for i in range(3))


def test_a_build_with_nothing_to_code_or_draw_imports_neither_spacy_nor_matplotlib(project):
    small_project(project, 2)
    pipeline.build_project(project, jobs=1)
    code = ("import sys; from mapping_review import pipeline; from mapping_review.project.layout import open_project; "
            "report = pipeline.build_project(open_project(sys.argv[1]), force=True); "
            "print(sorted(m for m in ('spacy', 'matplotlib') if m in sys.modules), len(report.tables))")
    done = subprocess.run([sys.executable, "-c", code, str(project.root)], capture_output=True, text=True, check=True)
    modules, n_tables = done.stdout.split("] ")
    assert modules == "[" and int(n_tables) > 10  # it did write the outputs, without either library


def test_files_a_forked_writer_failed_to_write_are_written_here(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    here = os.getpid()
    real = figure_files._write
    log = tmp_path / "log.txt"

    def write(fig, path, fmt):  # the forked copy given the PNG fails; the other one writes its files
        with log.open("a") as fh:
            fh.write(f"{os.getpid() == here} {path.name}\n")
        if os.getpid() != here and fmt == "png":
            os._exit(1)
        real(fig, path, fmt)

    monkeypatch.setattr(figure_files, "_write", write)
    files = [(fig, tmp_path / f"f.{fmt}", fmt) for fmt in figures.FORMATS]
    figure_files._write_all(files)
    plt.close(fig)
    assert (tmp_path / "f.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "f.svg").read_bytes().startswith(b"<?xml")
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    lines = log.read_text().splitlines()
    assert "True f.png" in lines and "False f.png" in lines  # tried there, written here
    assert not any(line.startswith("True") and "png" not in line for line in lines)  # the rest written there


def test_one_figure_s_files_are_split_between_two_writers_by_cost():
    files = [(None, f"a.{fmt}", fmt) for fmt in figures.FORMATS]
    one, two = figure_files._parts(files)
    assert [f[2] for f in one] == ["png"] and sorted(f[2] for f in two) == ["pdf", "svg"]  # 3 against 2 + 1


def test_several_figures_each_go_whole_to_a_writer_of_their_own():
    a, b, c = object(), object(), object()
    files = [(fig, f"{name}.{fmt}", fmt) for name, fig in (("a", a), ("b", b), ("c", c)) for fmt in figures.FORMATS]
    parts = figure_files._parts(files)
    assert [[f[1] for f in part] for part in parts] == [[f"{n}.{fmt}" for fmt in figures.FORMATS] for n in "abc"]


def test_figures_drawn_again_in_another_process_are_the_same_bytes(project):
    small_project(project, 2)
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    folder = project.build_dir / "figures"
    first = {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
    assert sorted(first) == sorted(f"{name}.{fmt}" for name in ("coverage", "heatmap", "network")
                                   for fmt in figures.FORMATS)
    for path in folder.iterdir():
        path.unlink()
    (project.cache_dir / "figures.json").unlink()
    code = ("import sys; from mapping_review import pipeline; from mapping_review.project.layout import open_project; "
            "pipeline.build_project(open_project(sys.argv[1]), nlp_name='blank', jobs=2, force=True)")
    subprocess.run([sys.executable, "-c", code, str(project.root)], check=True)
    assert {p.name: p.read_bytes() for p in sorted(folder.iterdir())} == first
    # written with the figures' settings, though after their drawing ended: 150 dpi (5906 dots a metre)
    png = first["heatmap.png"]
    assert png[png.index(b"pHYs") + 4:][:9] == b"\x00\x00\x17\x12\x00\x00\x17\x12\x01"


def test_the_main_process_prepares_later_stages_while_the_workers_extract(project):
    small_project(project, 2)
    calls = []

    def meanwhile():
        calls.append(os.getpid())
        raise RuntimeError("a failure here is left to the stage that needs it")

    results = pipeline.extract_corpus(project, jobs=2, meanwhile=meanwhile)
    assert [r.status for r in results] == ["extracted", "extracted"]
    assert calls == [os.getpid()]
    pipeline.extract_corpus(project, jobs=2, meanwhile=meanwhile)  # nothing to extract: nothing to wait for
    assert calls == [os.getpid()]


def test_fresh_segments_are_scored_in_their_workers_as_the_coding_stage_scores_them(project, monkeypatch, tmp_path):
    from mapping_review.coding import stage as coding_stage
    from mapping_review.coding.evidence import EvidenceModel

    small_project(project, 3)
    log = tmp_path / "pids.txt"
    log_pids(monkeypatch, EvidenceModel, "score", log)
    pipeline.build_project(project, nlp_name="blank", jobs=2)
    pids = log.read_text().split()
    assert len(pids) == 3 and str(os.getpid()) not in pids  # scored in the workers, not again here
    folder = project.build_dir / "codings"
    in_workers = {p.name: p.read_bytes() for p in sorted(folder.glob("*.jsonl"))}
    assert len(in_workers) == 3 and all(b'"evidence": 0.' in text for text in in_workers.values())
    for path in folder.iterdir():
        path.unlink()
    coding_stage.code_corpus(project, nlp_name="blank")  # every guide coded and scored here, together
    assert {p.name: p.read_bytes() for p in sorted(folder.glob("*.jsonl"))} == in_workers


def test_suggestions_scored_by_another_classifier_are_scored_again(project):
    from mapping_review.coding import stage as coding_stage

    small_project(project, 1)
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    path = project.build_dir / "codings" / "g0.jsonl"
    right = path.read_bytes()
    stale = "".join(json.dumps({**json.loads(line), "evidence": 0.5, "model": "old"}) + "\n"
                    for line in right.decode().splitlines())
    digest = coding_stage.segments_digest((project.segments_dir / "g0.jsonl").read_text(encoding="utf-8"))
    for path_ in (path, project.build_dir / "codings" / "state.json"):
        path_.unlink()
    done = {"g0": coding_stage.Coded(digest, stale, "another classifier")}
    assert [r.status for r in coding_stage.code_corpus(project, nlp_name="blank", done=done)] == ["coded"]
    assert path.read_bytes() == right
    path.unlink()
    done = {"g0": coding_stage.Coded(digest, stale, coding_stage.evidence_model(project)[1])}
    coding_stage.code_corpus(project, nlp_name="blank", done=done)  # scored by this classifier: kept as it is
    assert path.read_text(encoding="utf-8") == stale
    # written by a worker with another classifier: read back and scored again
    (project.build_dir / "codings" / "state.json").unlink()
    done = {"g0": coding_stage.Coded(digest, None, "another classifier")}
    coding_stage.code_corpus(project, nlp_name="blank", done=done)
    assert path.read_bytes() == right


def log_reads(monkeypatch, log):
    """Have every PDF read write the name of the process it runs in and the file to ``log``."""
    import multiprocessing

    from mapping_review.extract import stage as extract_stage

    real = extract_stage.extract_document

    def logged(path, **kwargs):
        name = multiprocessing.current_process().name
        with log.open("a") as fh:
            fh.write(f"{name} {path.stem}\n")
        if name == "read-ahead" and os.environ.get("FAIL_READ_AHEAD"):
            raise RuntimeError("the read-ahead failed")
        return real(path, **kwargs)

    monkeypatch.setattr(extract_stage, "extract_document", logged)


def sized_project(project, pages):
    for i, n in enumerate(pages):
        make_pdf(project.corpus_dir / f"g{i}.pdf", guide_pages(n, title=f"Guide number {i}"))
        add_guide(project, project.corpus_dir / f"g{i}.pdf", key=f"g{i}")
    return project


def test_the_largest_guide_is_read_while_the_workers_are_prepared(project, tmp_path, monkeypatch):
    from mapping_review.bookkeeping import Progress
    from mapping_review.project.layout import init_project

    class Counted(Progress):
        def __init__(self):
            self.counts = {}

        def start(self, stage, *, documents, pages):
            self.stage = stage
            self.counts[stage] = [0, pages, 0, documents]

        def pages(self, n):
            self.counts[self.stage][0] += n

        def document(self, key):
            self.counts[self.stage][2] += 1

    sized_project(project, [3, 7, 3])
    log = tmp_path / "reads.txt"
    log_reads(monkeypatch, log)
    progress = Counted()
    report = pipeline.build_project(project, nlp_name="blank", jobs=2, progress=progress)
    assert progress.counts["extract"] == [13, 13, 3, 3]  # every page and guide counted once, read ahead or not
    reads = sorted((line.split() for line in log.read_text().splitlines()), key=lambda r: r[1])
    assert [key for _, key in reads] == ["g0", "g1", "g2"]  # each read once
    by = {key: name for name, key in reads}
    assert by["g1"] == "read-ahead" and by["g0"] != "read-ahead" != by["g2"] and "MainProcess" not in by.values()
    assert [r.status for r in report.extract] == ["extracted"] * 3 and report.extract[1].n_pages == 7
    assert [r.status for r in report.code] == ["coded"] * 3
    # the same segments and codings as one process reading everything makes
    alone = sized_project(init_project(tmp_path / "alone"), [3, 7, 3])
    pipeline.build_project(alone, nlp_name="blank", jobs=1)
    for folder in ("segments", "codings"):
        assert (project.build_dir / folder / "g1.jsonl").read_bytes() == (alone.build_dir / folder / "g1.jsonl").read_bytes()


def test_a_guide_the_read_ahead_failed_on_is_read_by_a_worker(project, tmp_path, monkeypatch):
    sized_project(project, [3, 7])
    log = tmp_path / "reads.txt"
    log_reads(monkeypatch, log)
    monkeypatch.setenv("FAIL_READ_AHEAD", "1")
    report = pipeline.build_project(project, nlp_name="blank", jobs=2)
    reads = [line.split() for line in log.read_text().splitlines()]
    assert ["read-ahead", "g1"] in reads and [name for name, key in reads if key == "g1"][-1] != "read-ahead"
    assert [r.status for r in report.extract] == ["extracted"] * 2 and not report.failures
    assert [r.status for r in report.code] == ["coded"] * 2


def figure_bytes(project):
    return {p.name: p.read_bytes() for p in sorted((project.build_dir / "figures").iterdir())}


def test_a_build_draws_its_figures_in_a_process_of_their_own(project, tmp_path):
    from mapping_review.project.layout import init_project

    small_project(project, 2)
    code = ("import sys; from mapping_review import pipeline; from mapping_review.project.layout import open_project; "
            "import multiprocessing as mp; import mapping_review.publish.figure_files as ff; "
            "p = open_project(sys.argv[1]); pipeline.build_project(p, nlp_name='blank', jobs=1); "
            "first = [c.pid for c in mp.active_children() if c.name == 'figures']; "
            "(p.build_dir / 'figures' / 'heatmap.png').unlink(); pipeline.build_project(p, nlp_name='blank', jobs=1); "
            "again = [c.pid for c in mp.active_children() if c.name == 'figures']; ff.stop_drawing_process(); "
            "print('matplotlib' in sys.modules, len(first), first == again, [c.name for c in mp.active_children()])")
    done = subprocess.run([sys.executable, "-c", code, str(project.root)], capture_output=True, text=True, check=True)
    # never loaded here; one figure process, which drew the next build's figures too, until it was stopped
    assert done.stdout.split() == ["False", "1", "True", "[]"]
    drawn_there = figure_bytes(project)
    assert len(drawn_there) == 9
    # the same bytes as figures drawn in the build's own process
    here = small_project(init_project(tmp_path / "here"), 2)
    code = code.replace("pipeline.build_project", "import mapping_review.publish.figure_files as ff; "
                        "ff.start_drawing_process = lambda: None; pipeline.build_project")
    done = subprocess.run([sys.executable, "-c", code, str(here.root)], capture_output=True, text=True, check=True)
    assert done.stdout.split()[:2] == ["True", "0"]
    assert figure_bytes(here) == drawn_there


def failing_heatmap(*args):
    """A heatmap that cannot be drawn in any process but the test's."""
    if os.getpid() != int(os.environ["TEST_PID"]):
        raise RuntimeError("no heatmap here")
    return figures.heatmap.__wrapped__(*args)


def test_figures_the_figure_process_fails_on_or_dies_before_are_drawn_here(project, tmp_path, monkeypatch):
    small_project(project, 2)
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    expected = figure_bytes(project)
    for path in (project.build_dir / "figures").iterdir():
        path.unlink()
    monkeypatch.setenv("TEST_PID", str(os.getpid()))
    failing_heatmap.__wrapped__ = figures.heatmap
    monkeypatch.setattr(figures, "heatmap", failing_heatmap)
    pipeline.build_project(project, nlp_name="blank", jobs=1, force=True)
    assert figure_bytes(project) == expected
    for path in (project.build_dir / "figures").iterdir():
        path.unlink()
    monkeypatch.setattr(figures, "heatmap", failing_heatmap.__wrapped__)
    here = os.getpid()
    monkeypatch.setattr(figure_files, "warm_up", lambda: os._exit(3) if os.getpid() != here else None)
    figure_files.stop_drawing_process()  # the next build starts one, which dies at once
    pipeline.build_project(project, nlp_name="blank", jobs=1, force=True)
    assert figure_bytes(project) == expected and not figure_files.drawing_process_running()


def test_figures_sent_ahead_are_waited_for_when_the_other_outputs_fail(project, monkeypatch):
    import pytest

    from mapping_review.publish import outputs

    small_project(project, 2)

    def fail(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outputs, "_write_rest", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.build_project(project, nlp_name="blank", jobs=1)
    assert figure_files._SENT == []  # the figure process's answer was read: the next build starts clean
    assert len(figure_bytes(project)) == 9
    digests = json.loads((project.cache_dir / "figures.json").read_text())
    assert sorted(digests) == ["coverage", "heatmap", "network"]  # recorded once their files were there


def test_the_classifier_digest_is_worked_out_once_per_model(monkeypatch):
    from dataclasses import replace

    from mapping_review.coding import stage
    from mapping_review.coding.evidence import EvidenceModel, shipped_model

    model = shipped_model()
    calls = []
    real = EvidenceModel.to_dict
    monkeypatch.setattr(EvidenceModel, "to_dict", lambda self: calls.append(self) or real(self))
    first = stage.shipped_model_digest(model)
    assert stage.shipped_model_digest(model) == first and len(calls) <= 1  # asked twice, digested at most once
    other = replace(model, intercept=model.intercept + 1.0)
    assert stage.shipped_model_digest(other) != first  # another model is digested, not taken for the last one
    assert stage.shipped_model_digest(model) == first and stage.shipped_model_digest(None) == ""


def test_a_figure_saved_again_under_the_same_name_is_written_once_the_last_asked_for(monkeypatch, tmp_path):
    # writers run at the same time: two writing one path would race, so only the figure asked for last goes
    a, b, c = object(), object(), object()
    files = [(a, tmp_path / "x.png", "png"), (a, tmp_path / "x.pdf", "pdf"), (b, tmp_path / "x.png", "png"),
             (b, tmp_path / "x.pdf", "pdf"), (c, tmp_path / "y.png", "png")]
    parts = []
    written = []
    monkeypatch.setattr(figure_files, "fork_is_safe", lambda: True)
    monkeypatch.setattr(figure_files, "_fork_writer", lambda part: parts.append(part))  # None: written here
    monkeypatch.setattr(figure_files, "_write", lambda fig, path, fmt: written.append((fig, path.name)))
    figure_files._write_all(files)
    paths = [f[1] for part in parts for f in part]
    assert sorted(p.name for p in paths) == ["x.pdf", "x.png", "y.png"]  # each path in one writer only
    assert sorted(written, key=lambda w: w[1]) == [(b, "x.pdf"), (b, "x.png"), (c, "y.png")]


def test_segments_are_redone_when_the_segmenter_or_the_pipeline_asked_for_changed(project, monkeypatch):
    small_project(project, 2)
    pipeline.extract_corpus(project, jobs=1)
    first = pipeline.segment_corpus(project, nlp_name="blank")
    assert [(r.key, r.status) for r in first] == [("g0", "segmented"), ("g1", "segmented")]
    assert [r.n_segments for r in first] == [len(load_segments(project, key)) for key in ("g0", "g1")]
    state_path = project.segments_dir / "state.json"
    state = json.loads(state_path.read_text(encoding="utf-8"))
    state["g0"]["nlp_request"] = "en_core_web_sm"  # as a build with the trained pipeline left it
    state_path.write_text(json.dumps(state), encoding="utf-8")
    again = pipeline.segment_corpus(project, nlp_name="blank")
    assert [(r.key, r.status) for r in again] == [("g0", "segmented"), ("g1", "up to date")]
    monkeypatch.setattr(segment_stage, "SEGMENTER_VERSION", "segment.next")
    assert [r.status for r in pipeline.segment_corpus(project, nlp_name="blank")] == ["segmented"] * 2
