"""Files on disk, for every stage: atomic writes, locks, content hashes, and the checks a file must
pass before it is opened as a PDF."""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from mapping_review.errors import PdfError


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A hidden temporary path beside ``path`` that replaces ``path`` in one step when the block
    succeeds and is removed when it fails: readers see the old file or the new one, never half of
    it - also after a power cut: the new file is on disk before it replaces the old one.
    (Writers that go by a file's suffix must be told the format.)"""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")  # no stage's glob matches it
    try:
        yield tmp
        if tmp.exists():
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
        tmp.replace(path)
        _sync_folder(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable where the system allows it (not on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so readers never see half of it."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_pdf_file(path: Path) -> None:
    """Raise :class:`PdfError` when ``path`` is missing, empty or not a PDF."""
    if not path.exists():
        raise PdfError(f"{path}: file not found", reason="missing")
    if not path.is_file():
        raise PdfError(f"{path}: is not a file", reason="missing")
    size = path.stat().st_size
    if size == 0:
        raise PdfError(f"{path}: empty file (0 bytes); download it again", reason="empty")
    with path.open("rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        lowered = head.lstrip().lower()
        if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head")) or b"<html" in lowered:
            msg = f"{path}: not a PDF but an HTML page saved as .pdf; download the PDF itself"
        else:
            start = head[:40].decode("utf-8", "replace")
            shown = "".join(c if c.isprintable() else " " for c in start).strip()
            what = f"it starts {shown!r}" if shown else "it holds no text"
            msg = (f"{path}: not a PDF (no %PDF- header in the first 1024 bytes; {what}); check that it is the "
                   "file you meant and download the PDF again")
        raise PdfError(msg, reason="not-a-pdf")


def open_pdfium(path: Path, *, password: str | None) -> Any:
    """The PDF opened by PDFium (a ``pypdfium2.PdfDocument``); :class:`PdfError` saying what to do when it
    is not a PDF, needs a password, or is broken."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    check_pdf_file(path)
    try:
        return pdfium.PdfDocument(str(path), password=password)
    except pdfium.PdfiumError as e:
        if e.err_code == pdfium_c.FPDF_ERR_PASSWORD:
            if password:
                msg = f"{path}: the password in the manifest is wrong"
            else:
                msg = f"{path}: needs a user password; add `password: ...` to its manifest entry"
            raise PdfError(msg, reason="password") from e
        if e.err_code == pdfium_c.FPDF_ERR_SECURITY:
            msg = f"{path}: uses an unsupported security handler; save an unencrypted copy"
            raise PdfError(msg, reason="password") from e
        msg = f"{path}: malformed or truncated PDF ({e}); download it again or repair it (e.g. qpdf)"
        raise PdfError(msg, reason="malformed") from e


@contextmanager
def file_lock(fh: IO[Any], *, exclusive: bool) -> Iterator[None]:
    """Hold an advisory lock on the open file ``fh``: shared for readers, exclusive for writers.

    Every reader and writer of a file that several processes share takes it (POSIX ``flock``).
    """
    if os.name != "posix":  # pragma: no cover - POSIX only
        yield
        return
    import fcntl

    fcntl.flock(fh.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock for a read-modify-write of a file in ``folder`` that is replaced atomically
    (the file's own inode changes on replace, so the lock is taken on the folder; no lock file)."""
    if os.name != "posix":  # pragma: no cover - POSIX only
        yield
        return
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


class _Holding:
    """One folder's lock in this process: the thread holding it and how many times it took it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.depth = 0
        self.held: contextlib.ExitStack | None = None


_holdings: dict[str, _Holding] = {}
_holdings_guard = threading.Lock()


def _holdings_of_a_new_child() -> None:
    """A child forked while this process holds a folder's lock holds nothing: it closes its copy of the
    folder's descriptor (the lock stays the parent's until the parent lets go) and starts with locks of its
    own, so it waits for the parent like any other process."""
    global _holdings, _holdings_guard  # the child's own state, made anew
    for holding in _holdings.values():
        if holding.held is not None:
            holding.held.close()  # closes the descriptor only: releasing it would release the parent's lock
    _holdings, _holdings_guard = {}, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_holdings_of_a_new_child)


@contextmanager
def reentrant_folder_lock(folder: Path) -> Iterator[None]:
    """:func:`folder_lock` that the thread holding it may take again (a read-check-write that calls
    another that locks too): other threads of this process wait on a lock of their own, other
    processes on the folder's."""
    with _holdings_guard:
        holding = _holdings.setdefault(str(folder.resolve()), _Holding())
    with holding.lock:
        if holding.depth == 0:
            stack = contextlib.ExitStack()
            stack.enter_context(folder_lock(folder))
            holding.held = stack
        holding.depth += 1
        try:
            yield
        finally:
            holding.depth -= 1
            if holding.depth == 0 and holding.held is not None:
                holding.held.close()
                holding.held = None
