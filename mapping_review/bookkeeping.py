"""What every stage shares: progress reports, per-guide results and the state file that says which
of a stage's outputs are up to date.

One bad guide never stops the corpus: its failure becomes a :class:`GuideResult` with a one-line
reason, and the rest carry on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from mapping_review.errors import ConfigError
from mapping_review.files import write_atomic


class Progress:
    """Progress reports from the library; the CLI draws them, the default ignores them."""

    def start(self, stage: str, *, documents: int, pages: int) -> None:
        """A stage begins with this many documents and pages to do."""

    def pages(self, n: int) -> None:
        """``n`` more pages are done."""

    def document(self, key: str) -> None:
        """One more document is done."""

    def finish(self, stage: str) -> None:
        """The stage is over."""


@dataclass
class GuideResult:
    key: str
    status: str  # extracted | cached | segmented | coded | up to date | no file | failed
    message: str = ""
    reason: str = ""
    n_pages: int = 0
    page_status: dict[str, list[int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    n_segments: int = 0

    @property
    def failed(self) -> bool:
        return self.status == "failed"


def save_state(out_dir: Path, state: dict[str, Any], known: set[str] | None) -> None:
    """Drop the outputs of guides no longer in the manifest (none when ``known`` is None), then write
    ``state.json``."""
    for stale in out_dir.glob("*.jsonl"):
        if known is not None and stale.stem not in known:
            stale.unlink()
            state.pop(stale.stem, None)
    write_atomic(out_dir / "state.json", json.dumps(state, indent=2, sort_keys=True) + "\n")


def read_state(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


T = TypeVar("T")


def read_jsonl(path: Path, from_dict: Callable[[dict[str, Any]], T]) -> list[T]:
    """The records of a stage's ``.jsonl`` output; a damaged line is an error that says how to mend it
    (outputs under ``build/`` are derived: deleting one makes the next build write it again)."""
    out = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                out.append(from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                msg = (f"{path}:{number}: damaged build output ({type(e).__name__}: {e}); delete {path.name} "
                       "and run `mapping-review build` to write it again")
                raise ConfigError(msg) from e
    return out


def first_few(names: Sequence[str], *, n: int = 5) -> str:
    """``a, b, c and 4 more``: the first ``n`` of ``names`` for a one-line message."""
    return ", ".join(names[:n]) + (f" and {len(names) - n} more" if len(names) > n else "")
