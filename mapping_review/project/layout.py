"""A review project on disk: codebook, corpus, reviews (human input) and build (derived)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mapping_review.errors import ProjectError
from mapping_review.project.manifest import HEADER

PACKAGED_CODEBOOK = Path(__file__).parent / "data" / "codebook.yaml"
REVIEWS_README = """\
Human input to the review: reviewers' decisions and imported coding sheets.
The decision files (<reviewer>.jsonl) are written append-only and are never changed by a machine step.
`sheet export` and `worksheet export` write sheets for reviewers to fill in under sheets/ and
worksheets/ (a sheet is written only where none is, unless given --force).
"""
GITIGNORE = "build/\n"
CORPUS_GITIGNORE = "# Guideline PDFs are often copyrighted: commit the manifest, not the files.\n*.pdf\n"
SETTINGS_TEMPLATE = """\
# The review's settings; every one is optional and shown here at its default (uncomment to change).
# title: ""
# description: ""
# build:
#   engine: pdfium.v1      # text extraction
#   nlp: auto              # a trained spaCy pipeline when one is installed, else spacy.blank("en")
#   calibrate: true        # fit the guide-level rule to the reviewers' answers (mapping-review calibrate)
# criteria:
#   min_support: 1         # guides that must address a code for it to become a criterion
#   quotes: 3              # evidence quotes kept per criterion
# review:
#   adjudicators: []       # who may settle disagreements, e.g. [carol]; empty: anyone not a party to one
#   parties_may_settle: false
# figures: true
"""


@dataclass(frozen=True)
class Project:
    """Paths of a review project rooted at ``root``."""

    root: Path

    @property
    def corpus_dir(self) -> Path:
        return self.root / "corpus"

    @property
    def manifest_path(self) -> Path:
        return self.corpus_dir / "manifest.yaml"

    @property
    def codebook_path(self) -> Path:
        return self.root / "codebook.yaml"

    @property
    def reviews_dir(self) -> Path:
        return self.root / "reviews"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def cache_dir(self) -> Path:
        return self.build_dir / "cache"

    @property
    def documents_dir(self) -> Path:
        return self.build_dir / "documents"

    @property
    def segments_dir(self) -> Path:
        return self.build_dir / "segments"

    def relative(self, path: Path) -> str:
        """``path`` relative to the project root when it lies inside it."""
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)


def open_project(root: Path | str = ".") -> Project:
    """The project at ``root``; raises :class:`ProjectError` if it is not one."""
    project = Project(Path(root))
    if not project.root.is_dir():
        raise ProjectError(f"{project.root}: no such folder")
    if not project.manifest_path.is_file():
        msg = (
            f"{project.root} is not a review project (no corpus/manifest.yaml); "
            f"create one with `mapping-review init {project.root}`"
        )
        raise ProjectError(msg)
    return project


def init_project(root: Path | str, *, codebook: Path | None = None) -> Project:
    """Create a new review project; never overwrites an existing one.

    The codebook is ``codebook`` when given, else the paper's codebook as a starting point.
    """
    project = Project(Path(root))
    if project.manifest_path.exists():
        raise ProjectError(f"{project.root} is already a review project (corpus/manifest.yaml exists)")
    project.corpus_dir.mkdir(parents=True, exist_ok=True)
    project.reviews_dir.mkdir(exist_ok=True)
    project.build_dir.mkdir(exist_ok=True)
    project.manifest_path.write_text(HEADER + "guides:\n", encoding="utf-8")
    _write_new(project.codebook_path, (codebook or PACKAGED_CODEBOOK).read_text(encoding="utf-8"))
    _write_new(project.reviews_dir / "README.md", REVIEWS_README)
    _write_new(project.root / ".gitignore", GITIGNORE)
    _write_new(project.corpus_dir / ".gitignore", CORPUS_GITIGNORE)
    _write_new(project.root / "review.yaml", SETTINGS_TEMPLATE)
    return project


def _write_new(path: Path, text: str) -> None:
    if not path.exists():
        path.write_text(text, encoding="utf-8")
