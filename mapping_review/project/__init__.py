"""The review project on disk: its folders (``layout``), the corpus manifest, the guides' files
(``corpus``, ``fetch``), the settings in ``review.yaml``, and YAML read with line numbers.

Every later stage reads the project through this package; it imports no stage.
"""

from __future__ import annotations

from mapping_review.project.layout import PACKAGED_CODEBOOK, Project, init_project, open_project

__all__ = ["PACKAGED_CODEBOOK", "Project", "init_project", "open_project"]
