"""YAML that remembers where each value came from, for error messages with line numbers."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mapping_review.errors import ConfigError

Loc = tuple[str | int, ...]


@dataclass
class Located:
    """Plain Python data from a YAML file and the line (1-based) of every key and item."""

    data: Any
    path: Path
    lines: dict[Loc, int] = field(default_factory=dict)
    flow_plain: set[Loc] = field(default_factory=set)  # unquoted items of [flow, sequences]

    def line(self, loc: Iterable[str | int]) -> int:
        """The line of ``loc``, or of its nearest parent that has one."""
        parts = tuple(loc)
        while parts:
            if parts in self.lines:
                return self.lines[parts]
            parts = parts[:-1]
        return self.lines.get((), 1)

    def where(self, loc: Iterable[str | int]) -> str:
        return f"{self.path}:{self.line(loc)}"


def _convert(node: yaml.Node, loc: Loc, lines: dict[Loc, int], path: Path, plain: set[Loc] | None = None) -> Any:
    lines.setdefault(loc, node.start_mark.line + 1)
    plain = set() if plain is None else plain
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(key_node)
            if key in out:
                first = lines.get((*loc, key), "?")
                msg = (
                    f"{path}:{key_node.start_mark.line + 1}: {key!r} is given twice "
                    f"(first at line {first}); keep one"
                )
                raise ConfigError(msg)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            out[key] = _convert(value_node, (*loc, key), lines, path, plain)
        return out
    if isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            if node.flow_style and isinstance(item, yaml.ScalarNode) and not item.style:  # libyaml says ""
                plain.add((*loc, i))
        return [_convert(item, (*loc, i), lines, path, plain) for i, item in enumerate(node.value)]
    return _construct(node)


def _construct(node: yaml.Node) -> Any:
    """The Python value of a scalar (or a key) as YAML's safe loader types it."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def load_yaml(path: Path) -> Located:
    """Read ``path``; syntax errors become :class:`ConfigError` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: file not found") from e
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text ({e.reason} at byte {e.start})") from e
    try:
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when there
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        line = mark.line + 1 if mark is not None else "?"
        since = e.context_mark.line + 1 if e.context_mark is not None else None
        where = f" (in the block that starts on line {since})" if since is not None and since != line else ""
        msg = (f"{path}:{line}: YAML syntax error: {e.problem}{where}; check this line's indentation against "
               "the lines above it (items of one list start with '- ' at the same indentation, a value follows "
               "'key: ', and YAML indents with spaces, not tabs), and quote a value that holds ': ' or starts with "
               "a special character")
        raise ConfigError(msg) from e
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e})") from e
    lines: dict[Loc, int] = {}
    if node is None:
        return Located(data=None, path=path, lines={(): 1})
    plain: set[Loc] = set()
    data = _convert(node, (), lines, path, plain)
    return Located(data=data, path=path, lines=lines, flow_plain=plain)


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a close choice exists, else ``""``."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
