"""Shared fixtures. Tests that need the real PDFs read them from ../shared/corpus;
under CI (CI=true) a missing corpus is a failure, elsewhere a skip."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from mapping_review import pipeline
from mapping_review.coding.codebook import Codebook, LeadingCodes, load_codebook
from mapping_review.project.corpus import add_guide
from mapping_review.project.layout import Project, init_project
from mapping_review.project.manifest import Guide
from mapping_review.project.manifest_edit import append_guide

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"


def without_leading() -> Codebook:
    """The shipped codebook without the codes a guide leads with."""
    codebook = load_codebook(ROOT / "codebook.yaml")
    return Codebook(codebook.model.model_copy(update={"leading": None}))


def with_leading(share: float, min_score: float) -> Codebook:
    """The shipped codebook leading with ``share`` of its codes from ``min_score``."""
    codebook = load_codebook(ROOT / "codebook.yaml")
    model = codebook.model.model_copy(update={"leading": LeadingCodes(share=share, min_score=min_score)})
    return Codebook(model)


def need_corpus(*parts: str) -> Path:
    """The shared corpus path; fail loudly under CI when it is missing, skip elsewhere."""
    path = CORPUS.joinpath(*parts)
    if not path.exists():
        message = f"the shared corpus is missing: {path} (tests read the real PDFs from ../shared/corpus)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def guides_dir() -> Path:
    return need_corpus("guides")


@pytest.fixture(scope="session")
def hard_dir() -> Path:
    return need_corpus("hard")


@pytest.fixture(scope="session")
def guides_build(tmp_path_factory: pytest.TempPathFactory, guides_dir: Path) -> tuple[Project, pipeline.BuildReport]:
    """A project holding every shared guide, built once for the session."""
    project = init_project(tmp_path_factory.mktemp("guides") / "review")
    for pdf in sorted(guides_dir.glob("*.pdf")):
        add_guide(project, pdf, key=pdf.stem, link=True)
    report = pipeline.build_project(project, nlp_name="blank", jobs=2)
    return project, report


@pytest.fixture()
def project(tmp_path: Path) -> Project:
    return init_project(tmp_path / "review")


@pytest.fixture()
def review(tmp_path: Path) -> Project:
    """A project of two guides, g1 and g2, without PDFs: enough for decisions, sheets and settlements."""
    project = init_project(tmp_path / "review")
    for key in ("g1", "g2"):
        append_guide(project.manifest_path, Guide(key=key, title=f"Guide {key}"))
    return project


@pytest.fixture(autouse=True)
def _no_figure_process_between_tests():
    """A build leaves its figure process running for the next build; each test starts with none, so that
    what a test patches is what draws its figures."""
    from mapping_review.publish.figure_files import stop_drawing_process

    stop_drawing_process()
    yield
    stop_drawing_process()


# threads a library keeps for the life of the process once it is used (dask.distributed's event loop and
# offload executor): the modules that start them run last (below), after every build that must fork
PROCESS_WIDE_THREADS = ("IO loop", "Dask-Offload")
LAST_MODULES = ("test_distributed.py",)


def pytest_collection_modifyitems(items):
    """Run the modules that leave process-wide threads behind after all the others, whatever the order of
    the files or of the command line."""
    items.sort(key=lambda item: item.path.name in LAST_MODULES)  # stable: the rest keep their order


@pytest.fixture(autouse=True)
def _no_thread_outlives_its_test():
    """A build forks its workers only while the main thread runs alone (``forking.fork_is_safe``): a server or
    pool thread a test leaves behind would change how every later test builds. Threads a test started must
    be gone when it ends."""
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and not t.name.startswith(PROCESS_WIDE_THREADS)]
    for t in left:
        t.join(timeout=10)
    alive = [t.name for t in left if t.is_alive()]
    assert not alive, f"threads still running after the test: {alive}"
