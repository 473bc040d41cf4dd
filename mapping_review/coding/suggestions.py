"""A machine suggestion and the hash of the text it was made on (light: no spaCy)."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, fields
from typing import Any


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
    kind: str = "sentence"  # sentence | heading
    role: str = ""  # the segment's role (text, list_item, recommendation, heading)
    weight: float = 0.0  # the weight of the strongest matching pattern group
    n_terms: int = 1  # distinct matched terms
    evidence: float = -1.0  # the evidence classifier's probability that the unit supports the code; -1: none
    model: str = ""  # the classifier that gave ``evidence``

    @property
    def rank(self) -> float:
        """What evidence is ranked and decided by: the classifier's probability when there is one."""
        return self.evidence if self.evidence >= 0 else min(self.score, 1.0)

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _FIELDS}
        data["section"] = list(self.section)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Suggestion:
        """A suggestion as ``to_dict`` gave it; the strings that thousands of suggestions repeat (guide, code,
        coder, headings ...) are shared, not held once per suggestion."""
        data = dict(data)
        for name in _REPEATED:
            if isinstance(data.get(name), str):
                data[name] = sys.intern(data[name])
        data["section"] = tuple(sys.intern(h) for h in data["section"])
        return cls(**data)


_FIELDS = tuple(f.name for f in fields(Suggestion))
_REPEATED = ("guide", "code", "coder", "kind", "role", "model")  # few distinct values: interned for good is fine
