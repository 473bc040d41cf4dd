"""The package's folders follow the data: each stage imports only the stages before it, nothing
imports in a circle, the CLI and the web app sit on top, and no module grows past ~400 lines.

Imports are read with ``ast`` (module level and inside functions alike), so a lazy import that
runs backwards is caught as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mapping_review"
NAME = "mapping_review"

# Lowest first: a module may import its own layer and those listed before it, never a later one.
LAYERS = [
    ("base", ["errors", "files", "forking", "bookkeeping", "bootstrap", "kappa"]),
    ("project", ["project"]),
    ("extract", ["extract"]),
    ("segment", ["segment"]),
    ("coding", ["coding"]),
    ("review", ["review"]),
    ("exchange", ["exchange"]),
    ("publish", ["publish"]),
    ("pipeline", ["pipeline"]),
    ("web", ["web"]),
    ("cli", ["cli"]),
    ("entry", ["__main__"]),
]
UI_LIBRARIES = ("click", "rich", "flask", "werkzeug")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str, known: dict[str, Path]) -> str:
    """``name`` if it is a module of the package, else the longest module prefix of it."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that ``module`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    out: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from pkg import mod`` imports the module ``pkg.mod``; ``from pkg import name``, ``pkg`` itself
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for target in targets:
            if target == NAME or target.startswith(NAME + "."):
                resolved = _resolve(target, known)
                if resolved and resolved != module:
                    out.add(resolved)
    return out


def layer_of(module: str) -> int:
    rest = module.removeprefix(NAME).lstrip(".")
    if not rest:
        return -1  # the top-level package imports nothing at load (its API is lazy)
    top = rest.split(".")[0]
    for rank, (_, roots) in enumerate(LAYERS):
        if top in roots:
            return rank
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in {Path(__file__).name}")


def import_graph() -> nx.DiGraph:
    known = modules()
    G = nx.DiGraph()
    for module, path in known.items():
        G.add_node(module)
        for target in imports_of(module, path, known):
            G.add_edge(module, target)
    return G


def layering_violations(G: nx.DiGraph) -> list[str]:
    out = []
    for a, b in sorted(G.edges):
        if b == NAME:
            # the lazy top-level API is for users; inside the package, import the module itself
            out.append(f"{a} imports the top-level package {NAME}")
        elif layer_of(b) > layer_of(a):
            out.append(f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]}), a later stage")
    return out


def test_every_module_has_a_layer():
    for module in modules():
        layer_of(module)


def test_no_stage_imports_a_later_stage():
    assert layering_violations(import_graph()) == []


def test_no_import_circles():
    cycles = list(nx.simple_cycles(import_graph()))
    assert cycles == [], f"import circles: {cycles}"


def test_cli_and_web_are_the_only_user_interface():
    """Only cli/ and web/ talk to a terminal or a browser; the library returns data."""
    found = []
    for module, path in modules().items():
        top = module.removeprefix(NAME + ".").split(".")[0]
        if top in ("cli", "web"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [f"{module} imports {n}" for n in names if n.split(".")[0] in UI_LIBRARIES]
    assert found == []


def test_no_module_imports_the_cli_registry():
    """Verbs are registered in ``cli/__init__``; its modules never import it back."""
    G = import_graph()
    assert sorted(a for a, b in G.edges if b == f"{NAME}.cli" and a.startswith(f"{NAME}.cli.")) == []


def test_modules_stay_small():
    long = {m: n for m, p in modules().items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


# The checks themselves must notice a mistake: each kind, written into a throwaway package.
def _graph_of(tmp_path: Path, files: dict[str, str]) -> nx.DiGraph:
    root = tmp_path / NAME
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    known = {".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): p
             for p in root.rglob("*.py")}
    G = nx.DiGraph()
    for module, path in known.items():
        G.add_node(module)
        G.add_edges_from((module, t) for t in imports_of(module, path, known))
    return G


@pytest.mark.parametrize(("files", "violation"), [
    ({"extract/stage.py": "def f():\n    from mapping_review.pipeline import build\n", "pipeline/build.py": "",
      "pipeline/__init__.py": "", "extract/__init__.py": ""}, "mapping_review.extract.stage (extract) imports"),
    ({"coding/x.py": "from mapping_review.review import decisions\n", "review/__init__.py": "",
      "review/decisions.py": "", "coding/__init__.py": ""}, "mapping_review.coding.x (coding) imports"),
    ({"project/x.py": "from ..extract import engines\n", "extract/__init__.py": "", "extract/engines.py": "",
      "project/__init__.py": ""}, "mapping_review.project.x (project) imports"),
    ({"review/x.py": "import mapping_review\n", "review/__init__.py": ""}, "imports the top-level package"),
])
def test_a_backward_import_is_caught(tmp_path, files, violation):
    problems = layering_violations(_graph_of(tmp_path, {"__init__.py": "", **files}))
    assert any(violation in p for p in problems), problems


def test_importing_the_cli_registry_back_is_caught(tmp_path):
    G = _graph_of(tmp_path, {"__init__.py": "", "cli/__init__.py": "from mapping_review.cli import review\n",
                             "cli/review.py": "from mapping_review.cli import main\n"})
    assert (f"{NAME}.cli.review", f"{NAME}.cli") in G.edges


def test_a_circle_is_caught(tmp_path):
    G = _graph_of(tmp_path, {"__init__.py": "", "web/__init__.py": "",
                             "web/app.py": "from mapping_review.web import routes\n",
                             "web/routes.py": "def f():\n    from mapping_review.web.app import g\n"})
    assert list(nx.simple_cycles(G)) != []


def test_settings_default_engine_is_the_extract_stage_default():
    """``review.yaml``'s default names the extractor's default without importing that later stage."""
    from mapping_review.extract import DEFAULT_ENGINE
    from mapping_review.project.settings import Settings

    assert Settings().build.engine == DEFAULT_ENGINE
