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
