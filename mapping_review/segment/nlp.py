"""The spaCy pipeline: a blank English pipeline with rule-based parts, or a trained one.

``blank`` is ``spacy.blank("en")`` with a sentencizer and the lookup
lemmatizer (tables from spacy-lookups-data); nothing is downloaded. ``auto``
takes ``en_core_web_sm`` when it is installed and ``blank`` otherwise. Any
other name is a pipeline package the user has installed.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata
from typing import TYPE_CHECKING, Any

from mapping_review.errors import MappingReviewError

if TYPE_CHECKING:
    from spacy.language import Language

TRAINED_DEFAULT = "en_core_web_sm"


def resolve_pipeline_name(name: str = "auto") -> str:
    """``auto`` made concrete (as ``spacy.util.is_package`` would, without importing spaCy)."""
    if name == "auto":
        try:
            metadata.distribution(TRAINED_DEFAULT)
        except metadata.PackageNotFoundError:
            return "blank"
        return TRAINED_DEFAULT
    return name


@lru_cache(maxsize=4)
def load_nlp(name: str = "auto", *, sentences_only: bool = False) -> Language:
    """The pipeline called ``name`` (see module docs); raises with advice when missing.

    ``sentences_only`` gives, for ``blank``, the tokenizer and sentencizer alone: the same sentences,
    without loading the lemma tables (segmentation needs nothing else).
    """
    import spacy

    resolved = resolve_pipeline_name(name)
    if resolved == "blank":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        if sentences_only:
            return nlp
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        try:
            nlp.initialize()
        except (OSError, ValueError) as e:
            msg = f"the lookup lemmatizer needs spacy-lookups-data: pip install spacy-lookups-data ({e})"
            raise MappingReviewError(msg) from e
        return nlp
    try:
        return spacy.load(resolved)
    except OSError as e:
        msg = f"spaCy pipeline {resolved!r} is not installed; install it or use --nlp blank"
        raise MappingReviewError(msg) from e


def pipeline_id(nlp: Language) -> str:
    """``name-version`` of a loaded pipeline, recorded with its outputs."""
    meta: dict[str, Any] = nlp.meta
    name = meta.get("name") or "blank"
    return f"{meta.get('lang', 'en')}_{name}-{meta.get('version', '0')}"


def sentence_pipes(nlp: Language) -> list[str]:
    """The components that set sentence boundaries (the others are not run to split sentences)."""
    wanted = [p for p in ("sentencizer", "senter", "parser") if p in nlp.pipe_names]
    needed: set[str] = set(wanted)
    if "parser" in needed:  # a parser may listen to a shared tok2vec/transformer
        needed.update(p for p in ("tok2vec", "transformer") if p in nlp.pipe_names)
    return [p for p in nlp.pipe_names if p in needed]

