"""When this process may fork, for every stage that runs work in a copy of itself.

A fork copies only the thread that forks: a lock another thread held (logging, a queue, stdout) stays
held in the copy, which may then wait for it forever. So forking is safe only where the main thread runs
alone; and a ``multiprocessing`` child may not be started from a daemonic process at all.
"""

from __future__ import annotations

import multiprocessing
import os
import threading


def fork_is_safe() -> bool:
    """This process can fork, and its main thread runs alone."""
    return (hasattr(os, "fork") and threading.active_count() == 1
            and threading.current_thread() is threading.main_thread())


def may_have_children() -> bool:
    """This process may start ``multiprocessing`` children (a daemonic one, such as a ``Pool``'s worker, may not)."""
    return not multiprocessing.current_process().daemon


def may_start_process() -> bool:
    """A forked ``multiprocessing`` child can be started here."""
    return fork_is_safe() and may_have_children()
