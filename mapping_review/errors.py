"""The library's exception types.

Every expected failure raises a subclass of :class:`MappingReviewError` whose
message says what is wrong, where (file, line, value) and what to do. The CLI
prints it as ``Error: ...`` and exits non-zero; nothing else reaches the user
as a traceback.
"""

from __future__ import annotations


class MappingReviewError(Exception):
    """Base class of every error the library raises on purpose."""


class ProjectError(MappingReviewError):
    """The project folder is missing or not a review project."""


class ConfigError(MappingReviewError):
    """A YAML input (manifest, codebook, settings) is malformed or invalid."""


class RoleError(MappingReviewError):
    """Someone may not do what they asked (settle a disagreement they are part of, say)."""


class ManifestError(ConfigError):
    """The corpus manifest is malformed or refers to something that is wrong."""


class GuideError(MappingReviewError):
    """One guide cannot be processed; the rest of the corpus carries on.

    ``reason`` is a short machine-readable tag (``not-a-pdf``, ``password``,
    ``no-text-layer`` ...) used in summaries and tests.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class PdfError(GuideError):
    """A PDF file cannot be opened or read."""
