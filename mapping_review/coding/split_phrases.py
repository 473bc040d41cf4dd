"""Phrase lists of a codebook that look like one phrase split at its commas.

An unquoted ``[thoughts, feelings and behaviour]`` in YAML is two items, "thoughts" and "feelings and
behaviour"; a phrase list written so is almost always one phrase meant whole. Quoting either item says
they are meant apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mapping_review.project.yamlfile import Located

_SPLIT_TAIL = re.compile(r"^[^\W\d_][\w'-]*( [\w'-]+)* (and|or) [\w'-]+( [\w'-]+)*$")
_ONE_WORD = re.compile(r"^[^\W\d_][\w'-]*$")
PHRASE_LISTS = ("phrases", "lemmas", "require_any", "exclude_any", "include", "exclude", "examples")


def _phrase_lists(data: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], list[Any]]]:
    """Every list of phrases in the raw codebook data, with its location."""
    if isinstance(data, dict):
        for key, value in data.items():
            if key in PHRASE_LISTS and isinstance(value, list):
                yield (*loc, key), value
            else:
                yield from _phrase_lists(value, (*loc, key))
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _phrase_lists(item, (*loc, i))


def check_split_phrases(located: Located) -> list[str]:
    """Unquoted phrases that look like one phrase split at its commas ("thoughts, feelings and behaviour"
    written in a [flow, list] without quotes becomes "thoughts" and "feelings and behaviour")."""
    problems = []
    for loc, items in _phrase_lists(located.data):
        i = 1
        while i < len(items):
            tail = items[i]
            if (isinstance(tail, str) and _SPLIT_TAIL.match(tail) and (*loc, i) in located.flow_plain
                    and isinstance(items[i - 1], str) and _ONE_WORD.match(items[i - 1])
                    and (*loc, i - 1) in located.flow_plain):
                start = i - 1
                while start > 0 and isinstance(items[start - 1], str) and _ONE_WORD.match(items[start - 1]) \
                        and (*loc, start - 1) in located.flow_plain:
                    start -= 1
                parts = items[start:i + 1]
                joined = ", ".join(parts)
                msg = (f"{located.path}:{located.line((*loc, i))}: {', '.join(repr(p) for p in parts)} look like one phrase "
                       f"split at its commas; write it in quotes (\"{joined}\"), or quote each item if they are meant apart")
                problems.append(msg)
            i += 1
    return problems
