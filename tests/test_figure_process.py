"""The figure process a build starts: it draws the figures, never answers for another request, never
outlives the build's process, and is not used where it cannot be trusted (other threads, changed code,
a daemonic caller); without it, figures are drawn in the build's process after its other outputs."""

import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from pdfmaker import guide_pages, make_pdf

from mapping_review import pipeline
from mapping_review.project.corpus import add_guide
from mapping_review.publish import figure_files, figures, outputs


@pytest.fixture()
def built(project, request):
    """A built project of two guides; None when the test was run in a fresh interpreter instead (other
    threads run here, left by earlier tests, so no figure process would start): it passed there."""
    if threading.active_count() > 1 and not os.environ.get("FIGURE_TEST_ALONE"):
        env = dict(os.environ, FIGURE_TEST_ALONE="1")
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", request.node.nodeid],
                              capture_output=True, text=True, env=env, cwd=request.config.rootpath, timeout=300)
        assert done.returncode == 0, done.stdout[-3000:]
        return None
    for i in range(2):
        make_pdf(project.corpus_dir / f"g{i}.pdf", guide_pages(title=f"Guide number {i}"))
        add_guide(project, project.corpus_dir / f"g{i}.pdf", key=f"g{i}")
    pipeline.build_project(project, nlp_name="blank", jobs=1)
    return project


@pytest.fixture()
def deadline():
    """A hang fails the test after a minute instead of stopping the suite."""
    def expired(*args):
        raise TimeoutError("the build hung")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def figure_files_of(project):
    return sorted(p.name for p in (project.build_dir / "figures").iterdir())


def forget_figures(project):
    for path in (project.build_dir / "figures").iterdir():
        path.unlink()
    (project.cache_dir / "figures.json").unlink(missing_ok=True)


def test_a_build_interrupted_while_it_waited_does_not_take_the_next_builds_answer(built, monkeypatch, deadline):
    if built is None:
        return  # it ran in a fresh interpreter
    assert figure_files.drawing_process_running()
    real = figure_files._answered
    monkeypatch.setattr(figure_files, "_answered", lambda number: (_ for _ in ()).throw(KeyboardInterrupt()))
    forget_figures(built)
    with pytest.raises(KeyboardInterrupt):
        pipeline.build_project(built, nlp_name="blank", jobs=1, force=True)
    monkeypatch.setattr(figure_files, "_answered", real)
    time.sleep(2)  # the interrupted build's answer is waiting in the pipe
    forget_figures(built)
    pipeline.build_project(built, nlp_name="blank", jobs=1, force=True)
    # when the build returns, its own figures are there, and their digests only then
    assert len(figure_files_of(built)) == 9
    assert sorted(json.loads((built.cache_dir / "figures.json").read_text())) == ["coverage", "heatmap", "network"]


def test_figures_sent_before_another_output_failed_are_waited_for(built, monkeypatch, deadline):
    if built is None:
        return  # it ran in a fresh interpreter
    real = outputs._figures

    def send_then_fail(*args):
        real(*args)
        raise OSError("disk full")

    monkeypatch.setattr(outputs, "_figures", send_then_fail)
    forget_figures(built)
    with pytest.raises(OSError, match="disk full"):
        pipeline.build_project(built, nlp_name="blank", jobs=1, force=True)
    assert figure_files._SENT == []
    monkeypatch.setattr(outputs, "_figures", real)
    figure_files.stop_drawing_process()
    forget_figures(built)
    pipeline.build_project(built, nlp_name="blank", jobs=1, force=True)  # a new figure process: no stale answer
    assert len(figure_files_of(built)) == 9


def test_the_figure_process_ends_when_the_build_is_killed(built):
    if built is None:
        return  # it ran in a fresh interpreter
    code = ("import os, sys, signal, multiprocessing as mp; from mapping_review import pipeline; "
            "from mapping_review.project.layout import open_project; "
            "pipeline.build_project(open_project(sys.argv[1]), nlp_name='blank', jobs=1, force=True); "
            "child = os.fork(); "  # a child of the build that keeps the pipe's other end open: no end of file
            "child or (os.close(1), os.close(2), __import__('time').sleep(30), os._exit(0)); "
            "print([c.pid for c in mp.active_children() if c.name == 'figures'][0], child, flush=True); "
            "os.kill(os.getpid(), signal.SIGKILL)")
    done = subprocess.run([sys.executable, "-c", code, str(built.root)], capture_output=True, text=True, timeout=120)
    pid, holder = map(int, done.stdout.split()[:2])
    try:
        for _ in range(50):  # it looks for its parent every second
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
            pytest.fail("the figure process outlived the build's process")
    finally:
        os.kill(holder, signal.SIGKILL)


def test_only_the_main_thread_waits_for_figures_and_each_thread_has_its_own_blocks(built, deadline):
    if built is None:
        return  # it ran in a fresh interpreter
    waiting = figure_files._Batch(number=99)  # as if the main thread's build waited for request 99
    seen = []

    def in_a_thread():
        figure_files.finish_figures()  # another build's figures are not this thread's to wait for
        seen.append(list(figure_files._SENT))
        seen.append(list(figure_files._BATCHES.open))

    with figure_files.drawn_together(wait=False):
        figure_files._SENT.append(waiting)
        thread = threading.Thread(target=in_a_thread)
        thread.start()
        thread.join()
        figure_files._SENT.remove(waiting)  # never sent: nothing will answer it
    assert seen == [[waiting], []]


def test_ctrl_c_stops_the_build_not_the_figure_process(built):
    if built is None:
        return  # it ran in a fresh interpreter
    (p,) = figure_files._PROCESS
    os.kill(p.process.pid, signal.SIGINT)
    time.sleep(0.5)
    assert figure_files.drawing_process_running()
    forget_figures(built)
    pipeline.build_project(built, nlp_name="blank", jobs=1, force=True)
    assert len(figure_files_of(built)) == 9


def test_changed_drawing_code_or_another_thread_draws_here(built, monkeypatch):
    if built is None:
        return  # it ran in a fresh interpreter
    assert figure_files.drawing_process_running()
    seen = []
    thread = threading.Thread(target=lambda: seen.append(figure_files.drawing_process_running()))
    thread.start()
    thread.join()
    assert seen == [False]  # the pipe is the main thread's
    monkeypatch.setattr(figure_files, "_code_digest", lambda: "edited since")
    assert not figure_files.drawing_process_running()  # its figures would be the old code's


def _build_in_daemon(root, jobs):
    from mapping_review.project.layout import open_project

    project = open_project(root)
    for path in project.cache_dir.iterdir():  # extracted again: by workers, were there any
        if path.is_dir():
            shutil.rmtree(path)
    report = pipeline.build_project(project, nlp_name="blank", jobs=jobs, force=True)
    return len(report.tables), [r.message for r in report.failures], sorted(r.key for r in report.extract)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_build_in_a_daemonic_process_extracts_and_draws_its_own_figures(built, jobs):
    if built is None:
        return  # it ran in a fresh interpreter
    figure_files.stop_drawing_process()
    forget_figures(built)
    with multiprocessing.get_context("fork").Pool(1) as pool:  # its workers are daemonic: no children
        n_tables, failures, extracted = pool.apply(_build_in_daemon, (built.root, jobs))
    assert n_tables > 20 and failures == [] and extracted == ["g0", "g1"]
    assert len(figure_files_of(built)) == 9


def test_without_a_figure_process_a_failing_figure_leaves_the_other_outputs_written(built, monkeypatch):
    if built is None:
        return  # it ran in a fresh interpreter
    figure_files.stop_drawing_process()
    monkeypatch.setattr(figure_files, "start_drawing_process", lambda: None)

    def broken(*args):
        raise RuntimeError("no heatmap")

    monkeypatch.setattr(figures, "heatmap", broken)
    tables = built.build_dir / "tables"
    for path in tables.iterdir():
        path.unlink()
    (built.build_dir / "figures" / "heatmap.png").unlink()
    with pytest.raises(RuntimeError, match="no heatmap"):
        pipeline.build_project(built, nlp_name="blank", jobs=1, force=True)
    assert {"guide_codes.csv", "evidence.csv", "summary.md"} <= {p.name for p in tables.iterdir()}


def dying_heatmap(*args):
    """In the figure process: leave a child holding the pipe open, then die."""
    if os.getpid() != int(os.environ["TEST_PID"]):
        child = os.fork()
        if child == 0:
            time.sleep(90)
            os._exit(0)
        with open(os.environ["HOLDER_FILE"], "w") as fh:
            fh.write(str(child))
        os._exit(1)
    return dying_heatmap.__wrapped__(*args)


def test_a_figure_process_that_dies_is_noticed_though_its_pipe_stays_open(built, monkeypatch, tmp_path, deadline):
    if built is None:
        return  # it ran in a fresh interpreter
    figure_files.stop_drawing_process()
    monkeypatch.setenv("TEST_PID", str(os.getpid()))
    monkeypatch.setenv("HOLDER_FILE", str(tmp_path / "holder"))
    dying_heatmap.__wrapped__ = figures.heatmap
    monkeypatch.setattr(figures, "heatmap", dying_heatmap)
    forget_figures(built)
    try:
        started = time.monotonic()
        pipeline.build_project(built, nlp_name="blank", jobs=1, force=True)
        assert time.monotonic() - started < 30  # not the 90 s the child holds the pipe
        assert len(figure_files_of(built)) == 9  # drawn here instead
    finally:
        holder = tmp_path / "holder"
        if holder.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(holder.read_text()), signal.SIGKILL)


class HalfSent:
    """The figure process's pipe, where sending a request is interrupted (Ctrl-C) after part of it."""

    def __init__(self, conn):
        self.conn, self.sent = conn, []

    def send(self, message):
        import struct

        self.sent.append(message)
        os.write(self.conn.fileno(), struct.pack("!i", 100_000) + b"half a request")
        raise KeyboardInterrupt

    def __getattr__(self, name):
        return getattr(self.conn, name)


def test_a_request_interrupted_while_sent_ends_the_figure_process_at_once(built, deadline):
    if built is None:
        return  # it ran in a fresh interpreter
    old = figure_files._PROCESS[0]
    old.conn = pipe = HalfSent(old.conn)
    forget_figures(built)
    with pytest.raises(KeyboardInterrupt):
        pipeline.build_project(built, nlp_name="blank", jobs=1, force=True)
    assert len(pipe.sent) == 1  # the request, and no request to end after it (it would not be read whole)
    assert not old.process.is_alive() and not figure_files._PROCESS
    forget_figures(built)
    pipeline.build_project(built, nlp_name="blank", jobs=1, force=True)  # a new figure process draws them
    assert figure_files.drawing_process_running() and figure_files._PROCESS[0].process is not old.process
    assert len(figure_files_of(built)) == 9
