"""Text normalisation: ligatures, odd spaces and words hyphenated across lines."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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


def normalize(text: str) -> str:
    """NFC, ligatures split, exotic spaces made plain, control characters dropped."""
    text = unicodedata.normalize("NFC", text.translate(_TRANSLATE))
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


def vocabulary(texts: Iterable[str]) -> set[str]:
    """Lower-cased words (hyphenated compounds included) seen in ``texts``."""
    words: set[str] = set()
    for text in texts:
        words.update(w.lower() for w in _WORD.findall(text))
    return words


def join_lines(lines: list[str], *, vocab: set[str]) -> str:
    """Join the lines of a block, rejoining words hyphenated across lines.

    ``treat-`` + ``ment`` becomes ``treatment`` when the hyphen is only a line
    break: the document uses ``treatment`` elsewhere, or never uses
    ``treat-ment``. ``self-`` + ``harm`` stays ``self-harm`` when the
    document writes ``self-harm`` and never ``selfharm``.
    """
    out = ""
    for line in lines:
        if not out:
            out = line
            continue
        head, tail = HYPHEN_END.search(out), LOWER_START.match(line)
        if head and tail:
            closed = (head.group(1) + tail.group(1)).lower()
            hyphenated = f"{head.group(1)}-{tail.group(1)}".lower()
            if closed in vocab or hyphenated not in vocab:
                out = out[:-1] + line
            else:
                out = out + line
        elif out.endswith(("-", "/")) and line[:1].isalnum():
            out = out + line  # a URL or a compound broken at its own hyphen
        else:
            out = out + " " + line
    return out
