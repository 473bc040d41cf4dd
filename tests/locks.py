"""Probing a lock from outside its holder."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def folder_held(folder: Path) -> bool:
    """Does anyone hold ``folder``'s lock (the recording lock of ``reviews/``)? Asked through a descriptor of
    its own, so a holder in this very process counts too."""
    if not folder.is_dir():
        return False
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases it when it was taken here
    return False


def note_lock_when_called(monkeypatch, module, names, folder: Path) -> list[tuple[str, bool]]:
    """Patch ``module``'s functions ``names`` to note, each time one is called, its name and whether ``folder``'s
    lock is held then; returns the list the notes go to."""
    seen: list[tuple[str, bool]] = []

    def probing(name, real):
        def probe(*args, **kwargs):
            seen.append((name, folder_held(folder)))
            return real(*args, **kwargs)
        monkeypatch.setattr(module, name, probe)

    for name in names:
        probing(name, getattr(module, name))
    return seen


def count_flocks(monkeypatch) -> list:
    """Note each time a recording lock is taken from its folder (a flock of its own: not its holder taking it
    again); returns the list the folders go to."""
    from mapping_review import files

    taken = []
    real = files.folder_lock

    def counting(folder):
        taken.append(folder)
        return real(folder)

    monkeypatch.setattr(files, "folder_lock", counting)
    return taken
