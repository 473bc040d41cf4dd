"""A machine suggestion and the hash of the text it was made on (light: no spaCy)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

CODER = "rules.v1"  # the rule coder's versioned name (here, so that reading it needs no spaCy)


def text_hash(text: str) -> str:
    """The hash a decision records of the text it was made on."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A machine suggestion that a segment carries a code, with its evidence."""

    guide: str
    code: str
    segment: str
    page: int
    section: tuple[str, ...]
    quote: str
    match: str
    match_start: int
    match_end: int
    score: float
    coder: str
    text_hash: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["section"] = list(self.section)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suggestion:
        data = dict(data)
        data["section"] = tuple(data["section"])
        return cls(**data)
