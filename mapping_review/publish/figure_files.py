"""Writing figure files: every format, whole or not at all, drawn again only when what they show changed,
and written by other processes.

- :func:`redraw` keeps a digest per figure (its data, the drawing code, matplotlib's version) and draws
  it only when that changed or a file is missing.
- Inside :func:`drawn_together`, the files are written when the block ends, by forked copies of the
  process that drew them, at the same time: one per figure, or two for one figure's formats (each
  format renders the figure again).
- A build starts a *figure process* (:func:`start_drawing_process`) before anything else: matplotlib
  loads there while the build's process extracts or reads the review, and that process later draws the
  figures and forks the writers itself. The build's process then does not load matplotlib for them,
  and the writers are copies of that small process, not of the one holding the whole review (their
  memory does not grow with it). It stays, warm, for the next build in the same process and ends with
  it (when that is killed: within a second, or once the figures it is drawing are written). Requests
  are numbered and answers carry the number, so an answer left unread by an interrupted build is never
  taken for the next one's. Only the main thread uses it. Where forking is not safe (other threads
  run, as in a Jupyter kernel) or not possible, figures are drawn in the build's process, after its
  other outputs.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import inspect
import json
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from mapping_review.bookkeeping import read_state
from mapping_review.files import replacing, write_atomic
from mapping_review.forking import fork_is_safe, may_start_process
from mapping_review.publish.figure_render import FORMATS, forget_box, warm_up, write_to
from mapping_review.publish.figure_render import __file__ as RENDER_FILE

Draw = Callable[..., list[Path]]
File = tuple[Any, Path, str]  # figure, path, format


@dataclass
class _Batch:
    """Figure files to write when the batch ends, figures the figure process is to draw, and the digests to
    record once their files are there."""

    files: list[File] = field(default_factory=list)
    requests: list[tuple[Draw, tuple[Any, ...]]] = field(default_factory=list)  # drawing function, arguments
    digests: list[tuple[Path, str, str]] = field(default_factory=list)  # state file, figure name, digest
    sent: list[tuple[Draw, tuple[Any, ...]]] = field(default_factory=list)  # requests the figure process has
    number: int = 0  # the number of the request that sent them


class _Batches(threading.local):
    """The open :func:`drawn_together` blocks of the current thread (builds in other threads have theirs)."""

    def __init__(self) -> None:
        self.open: list[_Batch] = []


_BATCHES = _Batches()
_SENT: list[_Batch] = []  # sent to the figure process (from the main thread only), its answer not read yet


@contextmanager
def drawn_together(*, wait: bool = True) -> Iterator[None]:
    """Inside, figures are drawn (by the figure process when there is one); their files are written when
    it ends, by forked copies of the process that drew them (where forking is safe).

    With ``wait=False`` the figures the figure process draws may still be being written when the block
    ends: :func:`finish_figures` waits for them (call it in a ``finally``)."""
    batch = _Batch()
    _BATCHES.open.append(batch)
    try:
        yield
    finally:
        _BATCHES.open.pop()  # this block's: blocks nest
        batch.number = _send(batch.requests) if batch.requests else 0
        sent = batch.number > 0
        if sent:
            batch.sent, batch.requests = batch.requests, []
        _finish(batch, record=not sent)  # the digests of figures sent are recorded when they are there
        if sent:
            _SENT.append(batch)
        if wait:
            finish_figures()


def finish_figures() -> None:
    """Wait for the figures sent to the figure process; those it failed on are drawn here (where the error
    is reported), and every figure's digest is recorded once its files are there. Only the main thread
    sends figures, so only it waits for them."""
    if threading.current_thread() is not threading.main_thread():
        return
    while _SENT:
        batch = _SENT.pop(0)
        if not _answered(batch.number):
            batch.requests = batch.sent
        _finish(batch)


def _finish(batch: _Batch, *, record: bool = True) -> None:
    """Draw here what is to be drawn here, write the files drawn here, and record the digests."""
    for draw, args in batch.requests:
        draw(*args)
    batch.requests = []
    try:
        _write_all(batch.files)
    finally:
        figs: list[Any] = []
        for fig, _, _ in batch.files:
            if not any(f is fig for f in figs):
                figs.append(fig)
        if figs:
            import matplotlib.pyplot as plt

            for fig in figs:
                plt.close(fig)
                forget_box(fig)
        batch.files = []
    if record:
        for state_path, name, digest in batch.digests:
            _record(state_path, name, digest)


# what writing a format costs, roughly (PNG rasterises, PDF subsets fonts)
_COST = {"png": 3, "pdf": 2, "svg": 1}


def _cost(item: File) -> int:
    return _COST.get(item[2], 2)


def _parts(files: Sequence[File]) -> list[list[File]]:
    """The files in parts, each written by a process of its own: with two figures or more a part per
    figure (the process that writes a figure lays it out once for all its formats, :func:`write_to`);
    one figure's files in two halves of about the same cost, the costliest first, each to the lighter."""
    figures: dict[int, list[File]] = {}
    for item in files:
        figures.setdefault(id(item[0]), []).append(item)
    if len(figures) > 1:
        return list(figures.values())
    halves: list[list[File]] = [[], []]
    load = [0, 0]
    for item in sorted(files, key=lambda f: -_cost(f)):
        lighter = 0 if load[0] <= load[1] else 1
        halves[lighter].append(item)
        load[lighter] += _cost(item)
    return [half for half in halves if half]


def _write_all(files: Sequence[File]) -> None:
    """Write the files, where forking is safe by forked copies of this process at the same time (and the
    image buffers, which grow with the figures, are never held by this process). A file whose copy
    failed is written here, where the error is reported."""
    files = list({path: (fig, path, fmt) for fig, path, fmt in files}.values())  # a path saved again: the last wins
    if len(files) < 2 or not fork_is_safe():
        for fig, path, fmt in files:
            _write(fig, path, fmt)
        return
    writers = [(_fork_writer(part), part) for part in _parts(files)]
    failed = [part for pid, part in writers if pid is None or os.waitpid(pid, 0)[1] != 0]
    for part in failed:
        for fig, path, fmt in part:
            _write(fig, path, fmt)


def _fork_writer(files: Sequence[File]) -> int | None:
    try:
        pid = os.fork()
    except OSError:  # no process to spare: the files are written here
        return None
    if pid == 0:  # pragma: no cover - the child leaves through os._exit
        gc.disable()  # a collection would touch every object and copy the parent's memory
        code = 1
        try:
            for fig, path, fmt in files:
                _write(fig, path, fmt)
            code = 0
        finally:
            os._exit(code)
    return pid


def _record(state_path: Path, name: str, digest: str) -> None:
    state = read_state(state_path)
    state[name] = digest
    state_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(state_path, json.dumps(state, indent=1, sort_keys=True) + "\n")


def redraw(folder: Path, state_path: Path, name: str, data: Any, draw: Draw, *args: Any) -> list[Path]:
    """The files of figure ``name``, drawn by ``draw(*args)`` unless ``data`` (all the figure shows) and the
    drawing code are those of the files already there. Inside :func:`drawn_together` with a figure
    process running, that process draws it."""
    code = b"".join(Path(p).read_bytes() for p in sorted({__file__, RENDER_FILE, inspect.getfile(draw)}))
    digest = hashlib.sha256(json.dumps(
        [data, metadata.version("matplotlib"), hashlib.sha256(code).hexdigest()],
        sort_keys=True, default=repr).encode("utf-8")).hexdigest()
    paths = [folder / f"{name}.{fmt}" for fmt in FORMATS]
    if read_state(state_path).get(name) == digest and all(p.is_file() for p in paths):
        return paths
    if _BATCHES.open and drawing_process_running():
        _BATCHES.open[-1].requests.append((draw, args))
    else:
        paths = draw(*args)
    if _BATCHES.open:
        _BATCHES.open[-1].digests.append((state_path, name, digest))
    else:
        _record(state_path, name, digest)
    return paths


def _write(fig: Any, path: Path, fmt: str) -> None:
    with replacing(path) as tmp:  # a figure is whole or not there: never half written
        write_to(fig, tmp, fmt)


def save_figure(fig: Any, folder: Path, name: str) -> list[Path]:
    """Write ``fig`` in every format (inside :func:`drawn_together`, when the batch ends)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{name}.{fmt}" for fmt in FORMATS]
    files = [(fig, path, fmt) for path, fmt in zip(paths, FORMATS)]
    if _BATCHES.open:
        _BATCHES.open[-1].files.extend(files)
        return paths
    import matplotlib.pyplot as plt

    _write_all(files)
    plt.close(fig)
    forget_box(fig)
    return paths


@dataclass
class _Process:
    process: Any  # multiprocessing.Process
    conn: Any  # its end of the pipe, in the process that started it
    owner: int  # that process's id
    code: str  # the drawing code it has (:func:`_code_digest` when it started)
    sent: int = 0  # the number of the last request sent: answers carry it, so none is taken for another's


_PROCESS: list[_Process] = []


def _code_digest() -> str:
    here = Path(__file__)
    files = (here, Path(RENDER_FILE), here.with_name("figures.py"))
    return hashlib.sha256(b"".join(path.read_bytes() for path in files)).hexdigest()


def start_drawing_process() -> None:
    """Start the figure process, unless it runs (only where forking is safe, and not from a daemonic
    process): it loads matplotlib now and draws the figures of :func:`drawn_together` blocks later, until
    this process ends (it checks every second) or :func:`stop_drawing_process`."""
    if drawing_process_running() or not may_start_process():
        return
    stop_drawing_process()  # one that died, or that a process this one was forked from started
    ctx = multiprocessing.get_context("fork")
    here, there = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(there, here, os.getpid()), name="figures", daemon=True)
    try:
        process.start()
    except (OSError, AssertionError):  # no process to spare: figures are drawn here
        here.close()
        return
    finally:
        there.close()
    _PROCESS.append(_Process(process, here, os.getpid(), _code_digest()))


def drawing_process_running() -> bool:
    """True in the main thread of the process that started a figure process that is alive and has the
    drawing code on disk (after an edit or a reload, figures are drawn here until the next start)."""
    if not _PROCESS or threading.current_thread() is not threading.main_thread():
        return False
    p = _PROCESS[0]
    return p.owner == os.getpid() and p.process.is_alive() and p.code == _code_digest()


def stop_drawing_process(*, at_once: bool = False) -> None:
    """End the figure process; figures sent to it and not waited for are forgotten (their digests were not
    recorded: the next build draws them). ``at_once`` ends it without asking (the pipe may hold half a
    request, after which it would not read the request to end)."""
    _SENT.clear()
    for p in list(_PROCESS):
        _PROCESS.remove(p)
        if p.owner != os.getpid():  # inherited by a fork: the process that started it ends it
            continue
        if not at_once:
            with contextlib.suppress(OSError):
                p.conn.send(None)
            p.process.join(timeout=5)
        if p.process.is_alive():
            p.process.terminate()
            p.process.join()
        p.conn.close()


def _serve(conn: Any, parent_end: Any, parent: int) -> None:  # pragma: no cover - runs in the figure process
    import signal

    parent_end.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the build; the build ends this process
    _PROCESS.clear()  # figures drawn here are drawn here
    _SENT.clear()
    with contextlib.suppress(Exception):  # a failure shows when the figures are drawn
        warm_up()
    while True:
        try:
            if not conn.poll(1.0):
                if os.getppid() != parent:  # the build's process died without ending this one
                    return
                continue
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        number, requests = message
        answer = ""
        try:
            with drawn_together():
                for draw, args in requests:
                    draw(*args)
        except Exception as e:  # the build's process draws them again and reports it
            answer = f"{type(e).__name__}: {e}"
        try:
            conn.send((number, answer))
        except OSError:
            return


def _send(requests: list[tuple[Draw, tuple[Any, ...]]]) -> int:
    """The number of the request that gave the figure process these figures to draw, or 0 when it was not
    given them (:func:`_answered` says how it went)."""
    if not drawing_process_running():
        return 0
    p = _PROCESS[0]
    p.sent += 1
    try:
        p.conn.send((p.sent, requests))
    except BaseException as e:
        # it died, what it was to draw cannot be sent, or the sending was interrupted (Ctrl-C) part way and
        # left half a request in the pipe: it is not asked again
        stop_drawing_process(at_once=True)
        if not isinstance(e, Exception):
            raise
        return 0
    return p.sent


def _answered(number: int) -> bool:
    """True when the figure process drew and wrote every figure of request ``number``; answers to earlier
    requests (a build interrupted while it waited) are passed over."""
    try:
        p = _PROCESS[0]
        while True:
            while not p.conn.poll(1.0):  # a process it forked may keep the pipe open after it died
                if not p.process.is_alive():
                    msg = "the figure process ended"
                    raise EOFError(msg)
            done, answer = p.conn.recv()
            if done == number:
                return bool(answer == "")
    except Exception:  # it died, or was stopped
        stop_drawing_process()
        return False
