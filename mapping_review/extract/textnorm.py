"""Text normalisation: ligatures, odd spaces and words hyphenated across lines."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable
from functools import lru_cache
from pathlib import Path

_CHAR_MAP = {
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st", "\ua733": "aa",
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2004": " ", "\u2005": " ", "\u2006": " ",
    "\u2007": " ", "\u2008": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u205f": " ",
    "\u3000": " ", "\t": " ", "\u2028": " ", "\u2029": " ",
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "",
    # PDFium reports a hyphen at the end of a line as U+FFFE or U+0002
    "\ufffe": "-", "\u0002": "-", "\u00ad": "-", "\u2010": "-", "\u2011": "-",
}
_TRANSLATE = str.maketrans(_CHAR_MAP)
_SPACES = re.compile(r" {2,}")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
HYPHEN_END = re.compile(r"([^\W\d_]+)-$")
LOWER_START = re.compile(r"^([a-z][^\W\d_]*)")
OPEN_COMPOUND = ("and", "or")  # "first- and second-line": the hyphen stands for a shared word
LEXICON_TABLES = ("en_lemma_lookup.json.gz", "en_lemma_index.json.gz")


def normalize(text: str) -> str:
    """NFC, ligatures split, exotic spaces made plain, control characters dropped."""
    text = unicodedata.normalize("NFC", text.translate(_TRANSLATE))
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


def vocabulary(texts: Iterable[str]) -> Counter[str]:
    """Lower-cased words (hyphenated compounds included) seen in ``texts``, with how often."""
    words: Counter[str] = Counter()
    for text in texts:
        words.update(w.lower() for w in _WORD.findall(text))
    return words


@lru_cache(maxsize=1)
def lexicon() -> frozenset[str]:
    """English words: the keys and lemmas of spaCy's lookup tables (spacy-lookups-data), read
    once per process; empty when the package is missing."""
    spec = importlib.util.find_spec("spacy_lookups_data")
    if spec is None or spec.origin is None:
        return frozenset()
    folder = Path(spec.origin).parent / "data"
    words: set[str] = set()
    for name in LEXICON_TABLES:
        try:
            table = json.loads(gzip.decompress((folder / name).read_bytes()))
        except (OSError, ValueError):
            continue
        for key, value in table.items():
            words.add(key.lower())
            words.update(v.lower() for v in (value if isinstance(value, list) else [value]))
    return frozenset(words)


def hyphen_join(left: str, right: str, *, vocab: Collection[str]) -> str:
    """How the word ``left-`` at a line end and the line starting with ``right`` are joined:
    ``""`` (a word broken by hyphenation: ``treat-`` + ``ment``), ``"-"`` (a compound:
    ``self-`` + ``harm``) or ``"- "`` (``first-`` + ``and second-line``).

    The form the document writes elsewhere is taken (the more frequent one when it writes both,
    when ``vocab`` counts); else the closed form when it is an English word; else the hyphen stays.
    """
    if right.lower() in OPEN_COMPOUND:
        return "- "
    closed, hyphenated = (left + right).lower(), f"{left}-{right}".lower()
    if closed in vocab and hyphenated in vocab and isinstance(vocab, Counter):
        return "" if vocab[closed] >= vocab[hyphenated] else "-"
    if closed in vocab:
        return ""
    if hyphenated in vocab:
        return "-"
    return "" if closed in lexicon() else "-"


def join_lines(lines: list[str], *, vocab: Collection[str]) -> str:
    """Join the lines of a block, rejoining words hyphenated across lines (see :func:`hyphen_join`)."""
    out = ""
    for line in lines:
        if not out:
            out = line
            continue
        head = HYPHEN_END.search(out[-64:]) if out.endswith("-") else None
        tail = LOWER_START.match(line)
        if head and tail:
            out = out[:-1] + hyphen_join(head.group(1), tail.group(1), vocab=vocab) + line
        elif out.endswith(("-", "/")) and line[:1].isalnum():
            out = out + line  # a URL or a compound broken at its own hyphen
        else:
            out = out + " " + line
    return out
