"""Exchange with the tools review teams already use: REFI-QDA projects (``.qdpx``) and codebooks
(``.qdc``) written from the review and read back into it. Reference-manager libraries are read by
``project.library``, since they only add guides."""

from __future__ import annotations

from mapping_review.exchange.export import export_qdc, export_qdpx
from mapping_review.exchange.importer import QdaImport, import_qdc, import_qdpx

__all__ = ["QdaImport", "export_qdc", "export_qdpx", "import_qdc", "import_qdpx"]
